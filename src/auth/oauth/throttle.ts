/**
 * Failure counters for password sign-in and client registration: a fixed window per key, in memory.
 *
 * Per replica, deliberately: a shared counter would put a store write on every failed attempt, and with
 * N replicas an attacker gains at most N× the budget — still a handful of guesses per account per
 * window against scrypt-hashed passwords of at least ten characters.
 */
export class Throttle {
  private readonly hits = new Map<string, { count: number; resetAt: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly maxKeys = 10_000,
  ) {}

  /** Milliseconds until the key may try again, or 0 when it may now. */
  blockedFor(key: string, nowMs = Date.now()): number {
    const h = this.hits.get(key);
    if (!h || h.resetAt <= nowMs) return 0;
    return h.count >= this.limit ? h.resetAt - nowMs : 0;
  }

  /** Counts one event (a failure, a registration). */
  hit(key: string, nowMs = Date.now()): void {
    let h = this.hits.get(key);
    if (!h || h.resetAt <= nowMs) {
      if (this.hits.size >= this.maxKeys) this.sweep(nowMs);
      h = { count: 0, resetAt: nowMs + this.windowMs };
      this.hits.set(key, h);
    }
    h.count++;
  }

  reset(key: string): void {
    this.hits.delete(key);
  }

  private sweep(nowMs: number): void {
    for (const [k, h] of this.hits) if (h.resetAt <= nowMs) this.hits.delete(k);
    // Still full of live keys (a flood): forget the oldest rather than grow without bound.
    while (this.hits.size >= this.maxKeys) {
      const first = this.hits.keys().next();
      if (first.done) break;
      this.hits.delete(first.value);
    }
  }
}
