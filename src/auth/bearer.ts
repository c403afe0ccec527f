/**
 * Bearer verification for /mcp (RFC 6750). A `sql_…` token is an API key, looked up by its keyed hash on
 * every request — no cache, so a revoked key fails on the very next request on every replica (BRIEF §1).
 * Anything else is handed to the OAuth access-token verifier when OAuth is configured.
 */
import { AuthError } from '../errors.js';
import type { ServerKeys } from '../secrets.js';
import type { Store } from '../store/index.js';
import { hashApiKey, isWellFormedApiKey, keyLabel, looksLikeApiKey } from './apiKeys.js';
import { MCP_SCOPE, type Principal } from './principal.js';

/** Verifies an OAuth access token for the MCP resource (implemented by the OAuth provider). */
export interface AccessTokenVerifier {
  verify(token: string): Promise<Principal>;
}

/** last_used_at is written at most this often per key, so that a busy key does not write on every call. */
const TOUCH_INTERVAL_MS = 60_000;

export class BearerAuthenticator {
  constructor(
    private readonly store: Store,
    private readonly keys: ServerKeys,
    private readonly oauth?: AccessTokenVerifier,
  ) {}

  /** Parses `Authorization: Bearer <token>`; tokens are never accepted from query strings (RFC 6750 §2.3 is not offered). */
  static tokenFrom(header: string | null | undefined): string | undefined {
    if (!header) return undefined;
    const m = /^Bearer[ ]+([A-Za-z0-9\-._~+/]+=*)\s*$/i.exec(header);
    return m?.[1];
  }

  async authenticate(header: string | null | undefined): Promise<Principal> {
    if (!header) throw new AuthError('MISSING_CREDENTIALS', 'Missing Authorization header: send "Authorization: Bearer sql_…" (an API key) or an OAuth access token.');
    const token = BearerAuthenticator.tokenFrom(header);
    if (!token) throw new AuthError('INVALID_TOKEN', 'The Authorization header must be "Bearer <token>".');
    if (looksLikeApiKey(token)) return this.apiKey(token);
    if (this.oauth) return this.oauth.verify(token);
    throw new AuthError('INVALID_TOKEN', 'The bearer token is not a valid Sequel API key.');
  }

  private async apiKey(token: string): Promise<Principal> {
    const invalid = () => new AuthError('INVALID_TOKEN', 'The API key is invalid, revoked or expired.');
    if (!isWellFormedApiKey(token)) throw invalid();
    const key = await this.store.apiKeys.findActiveByHash(hashApiKey(this.keys, token));
    if (!key) throw invalid();
    const nowMs = Date.now();
    if (key.expires_at !== null && Date.parse(key.expires_at) <= nowMs) throw invalid();
    if (key.last_used_at === null || nowMs - Date.parse(key.last_used_at) > TOUCH_INTERVAL_MS) {
      // A failure to record usage must not fail the call.
      await this.store.apiKeys.touch(key.id, new Date(nowMs).toISOString()).catch(() => undefined);
    }
    return {
      orgId: key.org_id,
      userId: key.created_by_user_id,
      credential: { kind: 'api_key', id: key.id, label: keyLabel(key) },
      sourceIds: key.source_ids,
      scopes: [MCP_SCOPE],
    };
  }
}
