/**
 * A token bucket per credential, per replica: `perMinute` calls a minute with bursts up to the same
 * number. Behind a load balancer with N replicas the effective limit is up to N times this; it protects
 * each replica and the databases behind it from one runaway agent, which is what it is for.
 */
import { ToolError } from '../errors.js';

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly perMinute: number) {}

  take(credentialId: string, now = Date.now()): void {
    if (this.perMinute <= 0) return;
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
