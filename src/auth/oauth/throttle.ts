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

/**
 * Failures with exponential back-off: the first `free` failures of a key cost nothing; after that the
 * key may try once per delay, which doubles with each further failure (from `baseMs` up to `maxMs`).
 * A key that fails no more for `windowMs` is forgotten. This slows a guesser down without locking the
 * key out for a fixed term — the owner of an account an attacker is hammering still gets a turn.
 *
 * Failures are charged *before* the expensive check runs (and refunded when it succeeds), so concurrent
 * attempts cannot all slip in under the limit while the first ones are still being verified.
 */
export class BackOff {
  private readonly state = new Map<string, { failures: number; nextAt: number; lastAt: number }>();

  constructor(
    private readonly opts: { free: number; baseMs: number; maxMs: number; windowMs: number; maxKeys?: number },
  ) {}

  /** Milliseconds until the key may try again, or 0 when it may now. */
  waitFor(key: string, nowMs = Date.now()): number {
    const s = this.state.get(key);
    if (!s) return 0;
    if (nowMs - s.lastAt > this.opts.windowMs) {
      this.state.delete(key);
      return 0;
    }
    if (s.failures < this.opts.free) return 0;
    return Math.max(0, s.nextAt - nowMs);
  }

  /** Counts one failure (or an attempt not yet known to succeed). */
  charge(key: string, nowMs = Date.now()): void {
    let s = this.state.get(key);
    if (!s || nowMs - s.lastAt > this.opts.windowMs) {
      if (!s && this.state.size >= (this.opts.maxKeys ?? 50_000)) this.sweep(nowMs);
      s = { failures: 0, nextAt: 0, lastAt: nowMs };
      this.state.set(key, s);
    }
    s.failures++;
    s.lastAt = nowMs;
    if (s.failures >= this.opts.free) {
      const over = s.failures - this.opts.free;
      s.nextAt = nowMs + Math.min(this.opts.maxMs, this.opts.baseMs * 2 ** Math.min(over, 30));
    }
  }

  /** Takes back one charge (the attempt succeeded). */
  refund(key: string): void {
    const s = this.state.get(key);
    if (s) s.failures = Math.max(0, s.failures - 1);
  }

  reset(key: string): void {
    this.state.delete(key);
  }

  private sweep(nowMs: number): void {
    for (const [k, s] of this.state) if (nowMs - s.lastAt > this.opts.windowMs) this.state.delete(k);
    while (this.state.size >= (this.opts.maxKeys ?? 50_000)) {
      const first = this.state.keys().next();
      if (first.done) break;
      this.state.delete(first.value);
    }
  }
}

/** Work in progress per key, with a cap: `enter` refuses once `limit` are running for the key. */
export class InFlight {
  private readonly running = new Map<string, number>();

  constructor(private readonly limit: number) {}

  enter(key: string): boolean {
    const n = this.running.get(key) ?? 0;
    if (n >= this.limit) return false;
    this.running.set(key, n + 1);
    return true;
  }

  leave(key: string): void {
    const n = (this.running.get(key) ?? 1) - 1;
    if (n <= 0) this.running.delete(key);
    else this.running.set(key, n);
  }
}
