/**
 * Bearer verification for /mcp (RFC 6750). A `sql_…` token is an API key, found by its keyed hash;
 * anything else is handed to the OAuth access-token verifier when OAuth is configured.
 *
 * Credentials are kept in memory, tagged with the store's change epoch (store/changes.ts) they were read
 * at, and every request reads the epoch first: any write that could revoke, expire, narrow or re-own a
 * credential moves the epoch in its own transaction, so a revoked key still fails on the very next request
 * on every replica (BRIEF §1) while an unchanged one costs one single-row read instead of a join.
 */
import { AuthError } from '../errors.js';
import type { ServerKeys } from '../secrets.js';
import { EpochCache } from '../store/changes.js';
import type { ActiveApiKey } from '../store/apiKeys.js';
import type { Store } from '../store/index.js';
import { SERVER_KEY_FINGERPRINT } from '../store/settings.js';
import { hashApiKey, isWellFormedApiKey, keyLabel, looksLikeApiKey } from './apiKeys.js';
import { MCP_SCOPE, type Principal } from './principal.js';

/** Verifies an OAuth access token for the MCP resource (implemented by the OAuth provider). */
export interface AccessTokenVerifier {
  /** `epoch`: the store's change epoch read for this request; results may be reused within it. */
  verify(token: string, epoch?: number): Promise<Principal>;
}

/** A request's principal and the change epoch it was checked at (for the request's other caches). */
export interface Authenticated {
  principal: Principal;
  epoch: number;
}

interface CachedKey {
  principal: Principal;
  lastUsedMs: number;
}

/** last_used_at is written at most this often per key, so that a busy key does not write on every call. */
const TOUCH_INTERVAL_MS = 60_000;

export class BearerAuthenticator {
  private readonly keyCache = new EpochCache<CachedKey>();

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
    return (await this.check(header)).principal;
  }

  /** Authenticates, returning the change epoch the credential was checked at as well. */
  async check(header: string | null | undefined): Promise<Authenticated> {
    if (!header) throw new AuthError('MISSING_CREDENTIALS', 'Missing Authorization header: send "Authorization: Bearer sql_…" (an API key) or an OAuth access token.');
    const token = BearerAuthenticator.tokenFrom(header);
    if (!token) throw new AuthError('INVALID_TOKEN', 'The Authorization header must be "Bearer <token>".');
    const apiKey = looksLikeApiKey(token);
    if (!apiKey && !this.oauth) throw new AuthError('INVALID_TOKEN', 'The bearer token is not a valid Sequel API key.');
    // Read before the credential: a change committed in between moves the epoch past the one the
    // credential is cached under, so the next request reads it again (never the other way round).
    const epoch = await this.store.epoch.current();
    const principal = apiKey ? await this.apiKey(token, epoch) : await this.oauth!.verify(token, epoch);
    return { principal, epoch };
  }

  private async apiKey(token: string, epoch: number): Promise<Principal> {
    const invalid = () => new AuthError('INVALID_TOKEN', 'The API key is invalid, revoked or expired.');
    if (!isWellFormedApiKey(token)) throw invalid();
    const hash = hashApiKey(this.keys, token);
    const nowMs = Date.now();
    const cached = this.keyCache.get(hash, epoch, nowMs);
    if (cached) {
      if (nowMs - cached.lastUsedMs > TOUCH_INTERVAL_MS) {
        cached.lastUsedMs = nowMs;
        await this.store.apiKeys.touch(cached.principal.credential.id, new Date(nowMs).toISOString()).catch(() => undefined);
      }
      return cached.principal;
    }
    const key = (await this.store.apiKeys.findActiveByHash(hash)) ?? (await this.underPreviousKey(token, hash));
    if (!key) throw invalid();
    const expiresMs = key.expires_at === null ? Number.POSITIVE_INFINITY : Date.parse(key.expires_at);
    if (expiresMs <= nowMs) throw invalid();
    // Fail closed: a key narrowed to a preset that is gone must not fall back to the source policies alone.
    if (key.preset === 'missing') throw new AuthError('INVALID_TOKEN', 'The API key is narrowed to a policy preset that no longer exists; ask an admin for a new key.');
    let lastUsedMs = key.last_used_at === null ? 0 : Date.parse(key.last_used_at);
    if (nowMs - lastUsedMs > TOUCH_INTERVAL_MS) {
      lastUsedMs = nowMs;
      // A failure to record usage must not fail the call.
      await this.store.apiKeys.touch(key.id, new Date(nowMs).toISOString()).catch(() => undefined);
    }
    // Shared by every request of this key until the epoch moves: frozen, so no caller can alter another's.
    const principal: Principal = Object.freeze({
      orgId: key.org_id,
      userId: key.created_by_user_id,
      credential: Object.freeze({ kind: 'api_key' as const, id: key.id, label: keyLabel(key) }),
      sourceIds: key.source_ids === null ? null : (Object.freeze([...key.source_ids]) as string[]),
      scopes: Object.freeze([MCP_SCOPE]) as string[],
      preset: key.preset,
    });
    this.keyCache.set(hash, epoch, { principal, lastUsedMs }, expiresMs);
    return principal;
  }

  /**
   * During a server-key rotation a key created before it is stored under a previous key's hash. Found
   * that way once `sequel rotate-server-key` has finished (the store is recorded as under the current
   * key, so every replica holds it), it is re-hashed under the current key — the raw key is at hand only
   * now — and no longer depends on the old one. Not before: a replica still without the new key would
   * stop finding it. The command lists the keys not yet moved.
   */
  private async underPreviousKey(token: string, currentHash: string): Promise<ActiveApiKey | undefined> {
    if (!this.keys.rotating) return undefined;
    for (const { hash } of this.keys.hashes('api-keys', token).slice(1)) {
      const key = await this.store.apiKeys.findActiveByHash(hash);
      if (!key) continue;
      if ((await this.store.settings.get(SERVER_KEY_FINGERPRINT)) === this.keys.fingerprint()) {
        // Best effort: a failure leaves the old hash, which the ring still accepts.
        await this.store.apiKeys.rehash(key.id, hash, currentHash, this.keys.id).catch(() => undefined);
      }
      return key;
    }
    return undefined;
  }
}
