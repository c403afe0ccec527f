/**
 * The per-credential limit of tool calls a minute (SEQUEL_RATE_LIMIT_PER_MINUTE).
 *
 * Single process (SQLite store, no Redis): a token bucket in memory — `perMinute` calls a minute with
 * bursts up to the same number, no I/O on the hot path.
 *
 * Several replicas or SEQUEL_WORKERS processes (a PostgreSQL store, or SEQUEL_REDIS_URL): a fixed
 * one-minute window per credential counted in the shared store (src/limits/shared.ts), one atomic round
 * trip per call, so the limit holds across every replica with no slack inside a window: the
 * `perMinute + 1`-th call of a minute is refused wherever it lands. As with any fixed window, a burst
 * straddling a window boundary can pass up to 2 × perMinute within 60 s. If the shared store cannot be
 * reached the call is refused (fail closed).
 */
import { ToolError } from '../errors.js';
import type { SharedCounters } from '../limits/shared.js';

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly perMinute: number,
    private readonly shared?: SharedCounters,
  ) {}

  async take(credentialId: string, now = Date.now()): Promise<void> {
    if (this.perMinute <= 0) return;
    if (this.shared) {
      let n: number;
      try {
        n = await this.shared.incr('tool_calls', credentialId, 60_000, now);
      } catch {
        throw new ToolError('RATE_LIMITED', 'The shared rate limit store is unreachable; try again shortly.');
      }
      if (n > this.perMinute) {
        const waitS = Math.max(1, Math.ceil((60_000 - (now % 60_000)) / 1000));
        throw new ToolError('RATE_LIMITED', `This credential is over its limit of ${this.perMinute} tool calls a minute; wait ${waitS}s and batch work into fewer, larger queries.`);
      }
      return;
    }
    const rate = this.perMinute / 60_000;
    let b = this.buckets.get(credentialId);
    if (!b) {
      if (this.buckets.size > 50_000) this.prune(now);
      b = { tokens: this.perMinute, at: now };
      this.buckets.set(credentialId, b);
    }
    b.tokens = Math.min(this.perMinute, b.tokens + (now - b.at) * rate);
    b.at = now;
    if (b.tokens < 1) {
      const waitS = Math.ceil((1 - b.tokens) / rate / 1000);
      throw new ToolError('RATE_LIMITED', `This credential is over its limit of ${this.perMinute} tool calls a minute; wait ${waitS}s and batch work into fewer, larger queries.`);
    }
    b.tokens -= 1;
  }

  /** Drops buckets that have refilled completely (they hold no information). */
  private prune(now: number): void {
    for (const [id, b] of this.buckets) if (now - b.at > 60_000) this.buckets.delete(id);
  }
}
