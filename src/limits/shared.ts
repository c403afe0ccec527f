/**
 * Counters shared by every replica (and every SEQUEL_WORKERS process), so per-credential rate limits,
 * sign-in back-offs and registration limits hold across all of them instead of N× per process.
 *
 * Two backends: Redis when SEQUEL_REDIS_URL is set (./redis.ts), else the PostgreSQL store when
 * SEQUEL_DATABASE_URL is set (../store/rateCounters.ts). With the embedded SQLite store and no Redis
 * there is one process to protect and the in-process limiters are used (src/mcp/rateLimit.ts,
 * src/auth/oauth/throttle.ts).
 *
 * Keys are hashed before they leave the process: they contain email addresses and client addresses,
 * which have no business in Redis or in a counters table.
 */
import { createHash } from 'node:crypto';

export interface BackOffPolicy {
  /** Failures before back-off starts. */
  free: number;
  /** First delay; doubles with each further failure. */
  baseMs: number;
  maxMs: number;
  /** A key that fails no more for this long is forgotten. */
  windowMs: number;
}

export interface SharedCounters {
  /** Which backend, for logs: `redis` or `postgres`. */
  readonly kind: string;
  /**
   * Fixed window: adds one to the counter of (name, key, the window `now` falls in) and returns the new
   * count — one atomic round trip, so concurrent callers on any replica each see a distinct count.
   */
  incr(name: string, key: string, windowMs: number, now?: number): Promise<number>;
  /**
   * Back-off (the semantics of `BackOff` in src/auth/oauth/throttle.ts, atomically): when the key is not
   * waiting, counts one failure and returns 0; when it is, counts nothing and returns the wait in ms.
   */
  charge(name: string, key: string, policy: BackOffPolicy, now?: number): Promise<number>;
  /** Takes back one charge (the attempt succeeded). */
  refund(name: string, key: string): Promise<void>;
  /** Forgets the key. */
  reset(name: string, key: string): Promise<void>;
  close(): Promise<void>;
}

/** The stored form of a key: a hash, fixed length, revealing nothing. */
export function counterKey(name: string, key: string): string {
  return `${name}:${createHash('sha256').update(key).digest('base64url').slice(0, 32)}`;
}

/** The back-off delay after `count` failures (0 while under `free`); mirrors `BackOff.charge`. */
export function backOffDelay(count: number, policy: BackOffPolicy): number {
  if (count < policy.free) return 0;
  return Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(count - policy.free, 30));
}
