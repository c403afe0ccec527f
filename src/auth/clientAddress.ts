/**
 * Which address a request comes from, for throttles and logs.
 *
 * Behind a reverse proxy every request arrives from the proxy's address, so a throttle keyed on the
 * socket would make one attacker slow everyone down. `SEQUEL_TRUST_PROXY` names the proxies whose
 * `X-Forwarded-For` is believed: either a list of addresses and CIDR ranges (`loopback` and `private`
 * as shorthands), or a hop count. The header is read right to left (RFC 7239 §5.2 order: each proxy
 * appends the address it received from), stopping at the first address that is not a trusted proxy —
 * entries further left were written by the client and prove nothing. Without the setting the header is
 * ignored.
 *
 * Throttle keys group IPv6 addresses by /64: one subscriber usually holds a whole /64 (RFC 6177), so
 * keying on the full address would let them rotate through 2^64 keys.
 */
import net from 'node:net';
import { ValidationError } from '../errors.js';

export type TrustProxy = { kind: 'none' } | { kind: 'hops'; hops: number } | { kind: 'list'; list: net.BlockList; source: string };

const SHORTHANDS: Record<string, Array<[string, number, 'ipv4' | 'ipv6']>> = {
  loopback: [
    ['127.0.0.0', 8, 'ipv4'],
    ['::1', 128, 'ipv6'],
  ],
  private: [
    ['10.0.0.0', 8, 'ipv4'],
    ['172.16.0.0', 12, 'ipv4'],
    ['192.168.0.0', 16, 'ipv4'],
    ['fc00::', 7, 'ipv6'],
  ],
};

/** Parses `SEQUEL_TRUST_PROXY`: empty (trust no one), a hop count, or a comma-separated list of addresses/CIDRs. */
export function parseTrustProxy(raw: string | undefined): TrustProxy {
  const value = (raw ?? '').trim();
  if (value === '' || value === '0' || value.toLowerCase() === 'false') return { kind: 'none' };
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    if (hops > 32) throw new ValidationError(`SEQUEL_TRUST_PROXY hop count must be at most 32, got ${hops}`);
    return { kind: 'hops', hops };
  }
  const list = new net.BlockList();
  for (const item of value.split(',').map((s) => s.trim()).filter(Boolean)) {
    const shorthand = SHORTHANDS[item.toLowerCase()];
    if (shorthand) {
      for (const [addr, prefix, type] of shorthand) list.addSubnet(addr, prefix, type);
      continue;
    }
    const [addr = '', prefixText] = item.split('/');
    const family = net.isIP(addr);
    if (family === 0) throw new ValidationError(`SEQUEL_TRUST_PROXY: "${item}" is not an IP address, a CIDR range, "loopback" or "private"`);
    const max = family === 4 ? 32 : 128;
    const prefix = prefixText === undefined ? max : Number(prefixText);
    if (!Number.isInteger(prefix) || prefix < 0 || prefix > max || (prefixText !== undefined && !/^\d+$/.test(prefixText))) {
      throw new ValidationError(`SEQUEL_TRUST_PROXY: "${item}" has an invalid prefix length`);
    }
    list.addSubnet(addr, prefix, family === 4 ? 'ipv4' : 'ipv6');
  }
  return { kind: 'list', list, source: value };
}

/** The address in canonical form: IPv4-mapped IPv6 as IPv4, no zone, no brackets, lower case; '' when not an IP. */
export function normalizeAddress(raw: string | undefined): string {
  let a = (raw ?? '').trim().toLowerCase();
  if (a.startsWith('[')) a = a.slice(1, a.indexOf(']') > 0 ? a.indexOf(']') : undefined);
  const zone = a.indexOf('%');
  if (zone >= 0) a = a.slice(0, zone);
  if (a.startsWith('::ffff:') && net.isIPv4(a.slice(7))) a = a.slice(7);
  // An IPv4 address with a port ("203.0.113.5:4711"), as some proxies write it.
  if (!net.isIP(a) && /^\d+\.\d+\.\d+\.\d+:\d+$/.test(a)) a = a.slice(0, a.lastIndexOf(':'));
  return net.isIP(a) ? a : '';
}

function trusted(trust: TrustProxy, addr: string): boolean {
  if (trust.kind !== 'list') return false;
  return trust.list.check(addr, net.isIPv6(addr) ? 'ipv6' : 'ipv4');
}

/**
 * The client's address: the socket peer, or — when the peer is a trusted proxy — the rightmost
 * `X-Forwarded-For` entry not itself a trusted proxy.
 */
export function resolveClientAddress(trust: TrustProxy, remote: string | undefined, forwardedFor: string | string[] | undefined): string {
  const peer = normalizeAddress(remote) || 'unknown';
  if (trust.kind === 'none' || forwardedFor === undefined) return peer;
  const header = Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor;
  const chain = [...header.split(',').map((s) => s.trim()), peer];
  let i = chain.length - 1;
  if (trust.kind === 'hops') {
    for (let n = 0; n < trust.hops && i > 0; n++) {
      const next = normalizeAddress(chain[i - 1]);
      if (!next) break;
      chain[i - 1] = next;
      i--;
    }
    return chain[i]!;
  }
  while (i > 0 && trusted(trust, chain[i]!)) {
    const next = normalizeAddress(chain[i - 1]);
    // A malformed entry was written by whoever sits left of the last trusted hop: stop at that hop.
    if (!next) break;
    chain[i - 1] = next;
    i--;
  }
  return chain[i]!;
}

/** The throttle key of an address: IPv4 as is, IPv6 by its /64 prefix. */
export function addressKey(addr: string): string {
  if (!net.isIPv6(addr)) return addr;
  const [head = '', tail = ''] = addr.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  // An embedded IPv4 tail (::1.2.3.4) sits in the low 64 bits, which are dropped anyway.
  const groups = addr.includes('::') ? [...h, ...Array<string>(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t] : h;
  const prefix = groups.slice(0, 4).map((g) => (Number.parseInt(g, 16) || 0).toString(16));
  return `${prefix.join(':')}::/64`;
}
