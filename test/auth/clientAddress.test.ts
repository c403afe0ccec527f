/** SEQUEL_TRUST_PROXY parsing, the client address behind proxies, and throttle keys (IPv6 by /64). */
import { describe, expect, it } from 'vitest';
import { addressKey, normalizeAddress, parseTrustProxy, resolveClientAddress } from '../../src/auth/clientAddress.js';
import { loadConfig } from '../../src/config.js';

describe('client address', () => {
  it('ignores X-Forwarded-For unless the peer is a trusted proxy', () => {
    const none = parseTrustProxy('');
    expect(resolveClientAddress(none, '127.0.0.1', '203.0.113.1')).toBe('127.0.0.1');
    const list = parseTrustProxy('10.0.0.0/8, 192.0.2.1');
    expect(resolveClientAddress(list, '198.51.100.9', '203.0.113.1')).toBe('198.51.100.9');
    expect(resolveClientAddress(list, '10.1.2.3', '203.0.113.1')).toBe('203.0.113.1');
  });

  it('reads right to left and stops at the first untrusted hop', () => {
    const list = parseTrustProxy('10.0.0.0/8');
    // client-written junk, the real client, a second trusted proxy; the peer is the first proxy.
    expect(resolveClientAddress(list, '10.0.0.1', '1.1.1.1, 203.0.113.7, 10.0.0.2')).toBe('203.0.113.7');
    // A malformed entry stops the walk at the proxy that wrote it.
    expect(resolveClientAddress(list, '10.0.0.1', 'garbage, 10.0.0.2')).toBe('10.0.0.2');
    // Every hop trusted: the leftmost.
    expect(resolveClientAddress(list, '10.0.0.1', '10.0.0.3, 10.0.0.2')).toBe('10.0.0.3');
  });

  it('a hop count takes that many entries from the right', () => {
    expect(resolveClientAddress(parseTrustProxy('1'), '10.0.0.1', '6.6.6.6, 203.0.113.7')).toBe('203.0.113.7');
    expect(resolveClientAddress(parseTrustProxy('2'), '10.0.0.1', '6.6.6.6, 203.0.113.7, 10.0.0.9')).toBe('203.0.113.7');
    expect(resolveClientAddress(parseTrustProxy('3'), '10.0.0.1', '203.0.113.7')).toBe('203.0.113.7');
  });

  it('normalizes IPv4-mapped IPv6, brackets, zones and ports; keys IPv6 by /64', () => {
    expect(normalizeAddress('::ffff:203.0.113.5')).toBe('203.0.113.5');
    expect(normalizeAddress('[2001:db8::1]')).toBe('2001:db8::1');
    expect(normalizeAddress('fe80::1%eth0')).toBe('fe80::1');
    expect(normalizeAddress('203.0.113.5:4711')).toBe('203.0.113.5');
    expect(normalizeAddress('not-an-ip')).toBe('');
    expect(resolveClientAddress(parseTrustProxy('loopback'), '::ffff:127.0.0.1', '2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2:aaaa::1');
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe(addressKey('2001:db8:1:2:ffff:ffff:ffff:ffff'));
    expect(addressKey('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8:1:3::1')).not.toBe(addressKey('2001:db8:1:2::1'));
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('203.0.113.5')).toBe('203.0.113.5');
  });

  it('refuses a setting it cannot read', () => {
    expect(() => loadConfig({ SEQUEL_TRUST_PROXY: 'proxy.example' })).toThrow(/SEQUEL_TRUST_PROXY/);
    expect(() => loadConfig({ SEQUEL_TRUST_PROXY: '10.0.0.0/33' })).toThrow(/prefix/);
    expect(loadConfig({ SEQUEL_TRUST_PROXY: 'private, loopback' }).trustProxy.kind).toBe('list');
  });
});
