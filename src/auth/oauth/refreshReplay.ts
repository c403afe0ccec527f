/**
 * Refresh-token reuse inside the grace window answers with the same successor, never a new chain.
 *
 * Rotation (OAuth 2.1 §4.3.1, RFC 9700 §4.14.2) spends a refresh token at each use; reuse of a spent one
 * signals theft and revokes the grant. A grace window (SEQUEL_REFRESH_GRACE_SECONDS) spares clients that
 * refresh twice at once or retry after losing a response. If each such presentation were rotated again,
 * one grant would fork into independent chains that all keep rotating — an attacker replaying a stolen
 * token within the window would get a chain of their own and reuse detection would never fire. So:
 *
 * - a successful rotation records its answer (the successor pair, encrypted under the server key, bound
 *   to the spent token's hash and the client) for the length of the window;
 * - a presentation of the spent token inside the window — detected after oidc-provider has
 *   authenticated the client and checked the grant (findAccount), or by losing the conditional
 *   consumption to a concurrent request (adapter.consume) — is answered with that recorded answer;
 * - if the successor has itself been rotated since, the old token is being replayed after the chain
 *   moved on: that is reuse, and the grant is revoked.
 *
 * Works across replicas (the record lives in the store); a concurrent loser waits briefly for the
 * winner's record.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from '../../log.js';
import type { ServerKeys } from '../../secrets.js';
import type { Store } from '../../store/index.js';
import { hashTokenId } from './keys.js';

export const REPLAY_MODEL = 'RefreshSuccessor';
const MODEL = REPLAY_MODEL;
/** How long a request that lost a concurrent rotation waits for the winner's answer. */
const WAIT_FOR_WINNER_MS = 10_000;

interface Scope {
  /** Hash of the presented refresh token, when its presentation is a replay to answer from the record. */
  replayOf?: string;
}

const scope = new AsyncLocalStorage<Scope>();

/** Runs one token-endpoint request in a scope where a replay can be flagged. */
export function withRefreshScope<T>(fn: () => Promise<T>): Promise<T> {
  return scope.run({}, fn);
}

/** Flags the current token request as a replay of the spent refresh token `idHash`. */
export function markRefreshReplay(idHash: string): void {
  const s = scope.getStore();
  if (s) s.replayOf = idHash;
}

export function refreshReplayOf(): string | undefined {
  return scope.getStore()?.replayOf;
}

interface Recorded {
  clientId: string;
  grantId: string;
  /** The token response as first sent. */
  body: Record<string, unknown>;
  /** When it was sent (ms). */
  at: number;
  /** Hash of the successor refresh token. */
  successor: string | null;
}

/** Associated data of a replay record's encrypted payload: binds it to its row. */
export function replayAad(idHash: string): string {
  return `oauth:${MODEL}:${idHash}`;
}

export class RefreshReplays {
  constructor(
    private readonly deps: { store: Store; keys: ServerKeys; log: Logger; graceMs: number },
  ) {}

  private aad(idHash: string): string {
    return replayAad(idHash);
  }

  /** Whether the refresh token `rawId` was rotated within the grace window (so this is a replay). */
  async isReplayInGrace(rawId: string): Promise<string | undefined> {
    const idHash = hashTokenId(this.deps.keys, rawId);
    const row = await this.deps.store.oauth.findModel('RefreshToken', idHash);
    if (!row?.consumed_at) return undefined;
    return Date.now() - Date.parse(row.consumed_at) <= this.deps.graceMs ? idHash : undefined;
  }

  /** Records a rotation's answer for replays within the window. */
  async record(spentRawId: string, r: Omit<Recorded, 'at' | 'successor'>): Promise<void> {
    if (this.deps.graceMs <= 0) return;
    const idHash = hashTokenId(this.deps.keys, spentRawId);
    const successorRaw = typeof r.body.refresh_token === 'string' ? r.body.refresh_token : undefined;
    const value: Recorded = { ...r, at: Date.now(), successor: successorRaw ? hashTokenId(this.deps.keys, successorRaw) : null };
    await this.deps.store.oauth.upsertModel({
      model: MODEL,
      id: idHash,
      payload: JSON.stringify({ enc: this.deps.keys.encrypt(JSON.stringify(value), this.aad(idHash)) }),
      // Revoking the grant deletes the record with everything else issued under it.
      grant_id: r.grantId,
      user_code: null,
      uid: null,
      expires_at: new Date(Date.now() + this.deps.graceMs + 60_000).toISOString(),
    });
  }

  private async find(idHash: string): Promise<Recorded | undefined> {
    const row = await this.deps.store.oauth.findModel(MODEL, idHash);
    if (!row || (row.expires_at !== null && Date.parse(row.expires_at) <= Date.now())) return undefined;
    const box = JSON.parse(row.payload) as { enc: string };
    return JSON.parse(this.deps.keys.decrypt(box.enc, this.aad(idHash))) as Recorded;
  }

  /**
   * The answer for a replay of the spent token `idHash` by `clientId`, or `revoke` when the chain has
   * moved on (the successor was rotated too), or undefined when there is nothing to answer with.
   */
  async answer(idHash: string, clientId: string | undefined): Promise<{ body: Record<string, unknown> } | { revoke: string } | undefined> {
    const deadline = Date.now() + WAIT_FOR_WINNER_MS;
    let rec = await this.find(idHash);
    while (!rec && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      rec = await this.find(idHash);
    }
    if (!rec || rec.clientId !== clientId) return undefined;
    if (!(await this.deps.store.oauth.authorizationUsable(rec.grantId))) return undefined;
    if (rec.successor) {
      const next = await this.deps.store.oauth.findModel('RefreshToken', rec.successor);
      if (!next) return undefined;
      if (next.consumed_at) return { revoke: rec.grantId };
    }
    const body = { ...rec.body };
    if (typeof body.expires_in === 'number') body.expires_in = Math.max(1, body.expires_in - Math.floor((Date.now() - rec.at) / 1000));
    return { body };
  }
}
