/**
 * Key material for the authorization server, all derived from the one server key so that every replica
 * agrees without extra configuration: the cookie-signing keys, the HMAC under which token ids are
 * stored, and the (rarely used) ID-token signing key.
 */
import { createECDH, createHash, createHmac } from 'node:crypto';
import type { ServerKeys } from '../../secrets.js';

/** Keyed hash under which token-like ids (access/refresh tokens, codes, sessions…) are stored. */
export function hashTokenId(keys: ServerKeys, id: string): string {
  return keys.hash('oauth-tokens', id);
}

/**
 * Keys Koa signs the interaction and session cookies with: the current server key's signs, every key in
 * the ring verifies (keygrip), so cookies set before a key rotation stay valid.
 */
export function cookieKeys(keys: ServerKeys): string[] {
  return keys.allKeys('oauth-cookies').map((k) => k.toString('base64url'));
}

/** CSRF token for an interaction's forms: bound to its uid, which the signed interaction cookie also names. */
export function csrfToken(keys: ServerKeys, uid: string): string {
  return csrfTokens(keys, uid)[0]!;
}

/** The CSRF tokens accepted for an interaction: one per key in the ring (a form rendered before a rotation). */
export function csrfTokens(keys: ServerKeys, uid: string): string[] {
  return keys.allKeys('oauth-cookies').map((k) => createHmac('sha256', k).update(`csrf\u0000${uid}`).digest('base64url'));
}

// Order of P-256 (SEC 2): a private scalar must be in [1, n-1].
const P256_ORDER = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');

export interface SigningJwk {
  kty: 'EC';
  crv: 'P-256';
  d: string;
  x: string;
  y: string;
  kid: string;
  alg: 'ES256';
  use: 'sig';
}

/**
 * A deterministic ES256 key for ID tokens (issued only if a client asks for `openid`; MCP does not
 * need them). Deterministic so that all replicas sign with — and publish — the same key.
 */
export function idTokenSigningJwk(keys: ServerKeys): SigningJwk {
  for (let counter = 0; ; counter++) {
    const d = createHmac('sha256', keys.key('oauth-tokens')).update(`id-token signing key v1/${counter}`).digest();
    const scalar = BigInt('0x' + d.toString('hex'));
    if (scalar === 0n || scalar >= P256_ORDER) continue;
    const ecdh = createECDH('prime256v1');
    ecdh.setPrivateKey(d);
    const pub = ecdh.getPublicKey(); // 0x04 || X || Y
    const x = pub.subarray(1, 33).toString('base64url');
    const y = pub.subarray(33, 65).toString('base64url');
    // RFC 7638 thumbprint as the key id.
    const kid = createHash('sha256').update(JSON.stringify({ crv: 'P-256', kty: 'EC', x, y })).digest('base64url');
    return { kty: 'EC', crv: 'P-256', d: d.toString('base64url'), x, y, kid, alg: 'ES256', use: 'sig' };
  }
}
