/**
 * Verifies OAuth access tokens on /mcp. Tokens are opaque and looked up in the store (one query joining
 * the token, its authorization and the membership); a verified token is kept in memory under the store's
 * change epoch of the request (store/changes.ts), which every write to tokens, authorizations and
 * memberships moves, so revoking a token, a grant or a membership still takes effect on the very next
 * request on every replica (BRIEF §1).
 *
 * Checked each time: the token exists and has not expired; its audience is exactly this server's MCP
 * resource (RFC 8707; MCP authorization spec, "Token Audience Binding and Validation"); it is a plain
 * bearer token; its authorization is live (not revoked, not expired) and still bound to the same
 * client; the user still holds the membership they consented under. Scope is returned in the
 * Principal and checked by the endpoint (403 insufficient_scope, RFC 6750 §3.1).
 */
import type { AccessTokenVerifier } from '../bearer.js';
import type { Principal } from '../principal.js';
import { AuthError } from '../../errors.js';
import type { ServerKeys } from '../../secrets.js';
import { EpochCache } from '../../store/changes.js';
import type { Store } from '../../store/index.js';
import { hashTokenId } from './keys.js';

/** last_used_at is written at most this often per authorization. */
const TOUCH_INTERVAL_MS = 60_000;

/** oidc-provider's opaque tokens: 43 base64url characters (256 bits); anything far off is not one. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{20,256}$/;

interface StoredAccessToken {
  exp?: number;
  aud?: string | string[];
  scope?: string;
  clientId?: string;
  accountId?: string;
  grantId?: string;
  jkt?: string;
  'x5t#S256'?: string;
}

interface CachedToken {
  principal: Principal;
  authorizationId: string;
  lastUsedMs: number;
}

export class OAuthAccessTokenVerifier implements AccessTokenVerifier {
  private readonly cache = new EpochCache<CachedToken>();

  constructor(
    private readonly store: Store,
    private readonly keys: ServerKeys,
    /** `<publicUrl>/mcp`. */
    private readonly resource: string,
  ) {}

  async verify(token: string, epoch?: number): Promise<Principal> {
    const invalid = (why: string) => new AuthError('INVALID_TOKEN', `The access token is ${why}; sign in again through your client.`);
    if (!TOKEN_SHAPE.test(token)) throw invalid('not valid');
    const idHash = hashTokenId(this.keys, token);
    const nowMs = Date.now();
    const cached = epoch === undefined ? undefined : this.cache.get(idHash, epoch, nowMs);
    if (cached) {
      if (nowMs - cached.lastUsedMs > TOUCH_INTERVAL_MS) {
        cached.lastUsedMs = nowMs;
        await this.store.oauth.touchAuthorization(cached.authorizationId, new Date(nowMs).toISOString()).catch(() => undefined);
      }
      return cached.principal;
    }
    // During a server-key rotation, a token issued before it is stored under a previous key's hash.
    const row = (await this.keys.findByHash('oauth-tokens', token, (h) => this.store.oauth.findAccessToken(h)))?.found;
    if (!row) throw invalid('not valid, expired or revoked');
    const t = JSON.parse(row.payload) as StoredAccessToken;
    if (typeof t.exp !== 'number' || t.exp * 1000 <= nowMs || (row.expires_at !== null && Date.parse(row.expires_at) <= nowMs)) throw invalid('expired');
    const aud = Array.isArray(t.aud) ? t.aud : t.aud === undefined ? [] : [t.aud];
    if (aud.length !== 1 || aud[0] !== this.resource) throw invalid(`not issued for ${this.resource}`);
    // Sender-constrained tokens (DPoP, mTLS) are not offered; one carrying a binding is not a bearer token.
    if (t.jkt !== undefined || t['x5t#S256'] !== undefined) throw invalid('sender-constrained, which this server does not accept');
    if (row.authorization_id === null || row.org_id === null || row.user_id === null || row.client_id === null) throw invalid('not bound to an authorization');
    if (row.revoked_at !== null) throw invalid('revoked');
    if (row.authorization_expires_at === null || Date.parse(row.authorization_expires_at) <= nowMs) throw invalid('expired');
    if (t.clientId !== row.client_id || t.accountId !== row.user_id || t.grantId !== row.authorization_id) throw invalid('not valid');
    if (!row.member) throw invalid('for a user who is no longer a member of the organization');
    // Fail closed: an authorization narrowed to a preset that is gone must not fall back to the source policies alone.
    if (row.preset === 'missing') throw invalid('narrowed to a policy preset that no longer exists');
    let lastUsedMs = row.last_used_at === null ? 0 : Date.parse(row.last_used_at);
    if (nowMs - lastUsedMs > TOUCH_INTERVAL_MS) {
      lastUsedMs = nowMs;
      // A failure to record usage must not fail the call.
      await this.store.oauth.touchAuthorization(row.authorization_id, new Date(nowMs).toISOString()).catch(() => undefined);
    }
    const principal: Principal = Object.freeze({
      orgId: row.org_id,
      userId: row.user_id,
      credential: Object.freeze({ kind: 'oauth' as const, id: row.authorization_id, label: row.client_name ?? row.client_id, clientId: row.client_id }),
      sourceIds: null,
      scopes: Object.freeze((t.scope ?? '').split(' ').filter(Boolean)) as string[],
      preset: row.preset,
    });
    if (epoch !== undefined) {
      // Valid until the token or its authorization expires, whichever is first (and the epoch moves).
      const validUntil = Math.min(t.exp * 1000, row.expires_at === null ? Infinity : Date.parse(row.expires_at), Date.parse(row.authorization_expires_at));
      this.cache.set(idHash, epoch, { principal, authorizationId: row.authorization_id, lastUsedMs }, validUntil);
    }
    return principal;
  }
}
