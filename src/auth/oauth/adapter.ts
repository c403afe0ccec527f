/**
 * oidc-provider's storage adapter on Sequel's store (both dialects, one generic table).
 *
 * - Token-like models are keyed by an HMAC of their id and the raw id (`jti`) is stripped from the
 *   stored payload and restored on `find`: the table holds no usable bearer credential, session
 *   cookie or interaction handle.
 * - Secrets that must stay readable are encrypted (AES-256-GCM under the server key): a confidential
 *   client's `client_secret`, and an interaction's copy of its session cookie.
 * - Consumption lives in its own column. A refresh token presented again within the grace window after
 *   its rotation gets the *same* answer as the first presentation (./refreshReplay.ts): a client that
 *   refreshed twice concurrently, or lost the response and retried, keeps one chain; no second chain
 *   is ever issued. After the window oidc-provider sees it consumed and revokes the whole grant.
 * - Codes are consumed with a conditional update: of two concurrent redemptions exactly one wins and
 *   the other revokes the grant (RFC 6749 §4.1.2, OAuth 2.1 §4.1.3).
 */
import type { Adapter, AdapterPayload, OIDCProviderError } from 'oidc-provider';
import type { Logger } from '../../log.js';
import type { ServerKeys } from '../../secrets.js';
import type { Store } from '../../store/index.js';
import { hashTokenId } from './keys.js';
import { markRefreshReplay, replayAad, REPLAY_MODEL } from './refreshReplay.js';

/** Models whose id is a bearer secret (a token, a code, a cookie value). */
const HASHED = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'ClientCredentials',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'RegistrationAccessToken',
  'InitialAccessToken',
  'PushedAuthorizationRequest',
  'PreAuthorizedCode',
  'Session',
  'Interaction',
]);

const PURGE_INTERVAL_MS = 5 * 60_000;

export interface AdapterDeps {
  store: Store;
  keys: ServerKeys;
  log: Logger;
  /** Refresh-token reuse grace window (0 = none). */
  refreshGraceMs: number;
  /**
   * oidc-provider's InvalidGrant (passed in: the library is imported lazily, see provider.ts, so that
   * importing this module does not load it).
   */
  invalidGrant: (description: string) => OIDCProviderError;
}

export class StoreAdapter implements Adapter {
  private readonly hashed: boolean;

  constructor(
    private readonly model: string,
    private readonly deps: AdapterDeps,
    private readonly purger: Purger,
  ) {
    this.hashed = HASHED.has(model);
  }

  private key(id: string): string {
    return this.hashed ? hashTokenId(this.deps.keys, id) : id;
  }

  /**
   * The stored row's key for an existing id: during a server-key rotation, a token issued before it is
   * stored under a previous key's hash (token ids cannot be re-hashed without the raw id, so they stay
   * there until they expire or are rotated).
   */
  private async existingKey(id: string): Promise<string> {
    if (!this.hashed || !this.deps.keys.rotating) return this.key(id);
    return (await this.deps.keys.findByHash('oauth-tokens', id, (h) => this.deps.store.oauth.findModel(this.model, h)))?.hash ?? this.key(id);
  }

  /** Associated data for encrypted fields: binds a ciphertext to its row. */
  private aad(key: string, field: string): string {
    return fieldAad(this.model, key, field);
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn: number | undefined): Promise<void> {
    const key = this.key(id);
    const stored: Record<string, unknown> = { ...payload };
    if (this.hashed) delete stored.jti;
    if (this.model === 'Client' && typeof stored.client_secret === 'string') {
      stored.client_secret = { enc: this.deps.keys.encrypt(stored.client_secret, this.aad(key, 'client_secret')) };
    }
    const session = stored.session as { cookie?: unknown } | undefined;
    if (this.model === 'Interaction' && session && typeof session.cookie === 'string') {
      stored.session = { ...session, cookie: { enc: this.deps.keys.encrypt(session.cookie, this.aad(key, 'session.cookie')) } };
    }
    await this.deps.store.oauth.upsertModel({
      model: this.model,
      id: key,
      payload: JSON.stringify(stored),
      grant_id: typeof payload.grantId === 'string' ? payload.grantId : null,
      user_code: typeof payload.userCode === 'string' ? payload.userCode : null,
      uid: typeof payload.uid === 'string' ? payload.uid : null,
      expires_at: expiresIn ? new Date(Date.now() + expiresIn * 1000).toISOString() : null,
    });
    this.purger.maybe();
  }

  private decode(row: { id: string; payload: string; expires_at: string | null; consumed_at: string | null }, rawId: string): AdapterPayload | undefined {
    const nowMs = Date.now();
    if (row.expires_at !== null && Date.parse(row.expires_at) <= nowMs) return undefined;
    const payload = JSON.parse(row.payload) as AdapterPayload;
    // The raw id was stripped before storing; the caller just presented it.
    if (this.hashed) payload.jti = rawId;
    if (this.model === 'Client' && isBox(payload.client_secret)) {
      payload.client_secret = this.deps.keys.decrypt(payload.client_secret.enc, this.aad(row.id, 'client_secret'));
    }
    const session = payload.session as { cookie?: unknown } | undefined;
    if (this.model === 'Interaction' && session && isBox(session.cookie)) {
      payload.session = { ...session, cookie: this.deps.keys.decrypt(session.cookie.enc, this.aad(row.id, 'session.cookie')) };
    }
    if (row.consumed_at !== null) {
      const consumedMs = Date.parse(row.consumed_at);
      const inGrace = this.model === 'RefreshToken' && nowMs - consumedMs <= this.deps.refreshGraceMs;
      if (!inGrace) payload.consumed = Math.floor(consumedMs / 1000);
    }
    return payload;
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const row = this.hashed
      ? (await this.deps.keys.findByHash('oauth-tokens', id, (h) => this.deps.store.oauth.findModel(this.model, h)))?.found
      : await this.deps.store.oauth.findModel(this.model, id);
    return row ? this.decode(row, id) : undefined;
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    // Only Session is looked up by uid (to check an interaction's or a token's session still exists).
    // Its raw id (the cookie value) is not recoverable from the hash, so the payload comes back without
    // `jti`; oidc-provider only reads such a session, it never re-saves it.
    const row = await this.deps.store.oauth.findModelBy(this.model, 'uid', uid);
    if (!row || (row.expires_at !== null && Date.parse(row.expires_at) <= Date.now())) return undefined;
    return JSON.parse(row.payload) as AdapterPayload;
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    // The device flow is disabled; kept for completeness of the adapter contract.
    const row = await this.deps.store.oauth.findModelBy(this.model, 'user_code', userCode);
    if (!row || (row.expires_at !== null && Date.parse(row.expires_at) <= Date.now())) return undefined;
    return JSON.parse(row.payload) as AdapterPayload;
  }

  async consume(id: string): Promise<void> {
    const key = await this.existingKey(id);
    const first = await this.deps.store.oauth.consumeModel(this.model, key, new Date().toISOString());
    if (!first && this.model === 'RefreshToken') {
      // A concurrent request rotated this token a moment ago: this one must not mint a second chain.
      // It is answered with that rotation's result instead (see refreshReplay.ts).
      markRefreshReplay(key);
      throw this.deps.invalidGrant('refresh token already used');
    }
    if (!first && this.model === 'AuthorizationCode') {
      // Lost a race with a concurrent redemption of the same code: treat it as a replay.
      const row = await this.deps.store.oauth.findModel(this.model, key);
      const grantId = row ? (JSON.parse(row.payload) as AdapterPayload).grantId : undefined;
      if (typeof grantId === 'string') await this.revokeByGrantId(grantId);
      throw this.deps.invalidGrant('authorization code already consumed');
    }
    // A refresh token keeps its first consumption time, so the grace window is measured from the first
    // rotation and cannot be extended by retrying.
  }

  async destroy(id: string): Promise<void> {
    if (this.model === 'Grant') {
      await this.deps.store.oauth.revokeGrant(id);
      return;
    }
    await this.deps.store.oauth.destroyModel(this.model, await this.existingKey(id));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await this.deps.store.oauth.revokeGrant(grantId);
    this.deps.log.info('oauth grant revoked', { grantId, model: this.model });
  }
}

function fieldAad(model: string, key: string, field: string): string {
  return `oauth:${model}:${key}:${field}`;
}

/** The models whose stored payload holds encrypted fields (see `reencryptPayload`). */
export const ENCRYPTED_MODELS = ['Client', 'Interaction', REPLAY_MODEL];

/**
 * A stored payload with its encrypted fields re-encrypted under the current server key (for `sequel
 * rotate-server-key`); undefined when they already are. Throws DECRYPT_FAILED when a field is under no
 * key of the ring.
 */
export function reencryptPayload(keys: ServerKeys, model: string, id: string, payload: string): string | undefined {
  const p = JSON.parse(payload) as Record<string, unknown>;
  let changed = false;
  const again = (box: { enc: string }, aad: string): { enc: string } => {
    if (keys.isCurrent(box.enc)) return box;
    changed = true;
    return { enc: keys.encrypt(keys.decrypt(box.enc, aad), aad) };
  };
  if (model === 'Client' && isBox(p.client_secret)) p.client_secret = again(p.client_secret, fieldAad(model, id, 'client_secret'));
  const session = p.session as { cookie?: unknown } | undefined;
  if (model === 'Interaction' && session && isBox(session.cookie)) p.session = { ...session, cookie: again(session.cookie, fieldAad(model, id, 'session.cookie')) };
  if (model === REPLAY_MODEL && isBox(p)) {
    const box = again(p, replayAad(id));
    return changed ? JSON.stringify(box) : undefined;
  }
  return changed ? JSON.stringify(p) : undefined;
}

function isBox(v: unknown): v is { enc: string } {
  return typeof v === 'object' && v !== null && typeof (v as { enc?: unknown }).enc === 'string';
}

/** Deletes expired rows now and then (at most every five minutes per process), off the request path. */
export class Purger {
  private last = 0;
  private running: Promise<void> | undefined;
  constructor(
    private readonly store: Store,
    private readonly log: Logger,
  ) {}

  maybe(): void {
    const t = Date.now();
    if (this.running || t - this.last < PURGE_INTERVAL_MS) return;
    this.last = t;
    this.running = this.store.oauth
      .purge()
      .catch((err: unknown) => this.log.warn('oauth purge failed', { err }))
      .finally(() => {
        this.running = undefined;
      });
  }

  /** Waits for a purge in progress (shutdown). */
  async settle(): Promise<void> {
    await this.running;
  }
}

export function adapterFactory(deps: AdapterDeps, purger = new Purger(deps.store, deps.log)): (model: string) => StoreAdapter {
  const cache = new Map<string, StoreAdapter>();
  return (model: string) => {
    let a = cache.get(model);
    if (!a) {
      a = new StoreAdapter(model, deps, purger);
      cache.set(model, a);
    }
    return a;
  };
}
