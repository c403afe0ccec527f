/**
 * Shared counters in Redis (SEQUEL_REDIS_URL). Every operation is one Lua script, which Redis runs
 * atomically, so a count and its expiry are set together (INCR + PEXPIRE; a crash between the two can
 * never leave a counter that never expires) and a back-off's check and charge cannot interleave with
 * another replica's.
 */
import { Redis } from 'ioredis';
import { backOffDelay, counterKey, type BackOffPolicy, type SharedCounters } from './shared.js';

// KEYS[1]: counter; ARGV: window ms. Returns the new count.
const INCR = `
local c = redis.call('INCR', KEYS[1])
if c == 1 or redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return c`;

// KEYS[1]: hash {c = failures, t = last failure ms}; ARGV: now, free, base, max, window.
// Returns 0 when charged, else the wait in ms. Expiry (window after the last failure) forgets the key.
const CHARGE = `
local now = tonumber(ARGV[1])
local free = tonumber(ARGV[2])
local v = redis.call('HMGET', KEYS[1], 'c', 't')
local c = tonumber(v[1]) or 0
local t = tonumber(v[2]) or 0
if c >= free then
  local d = math.min(tonumber(ARGV[4]), tonumber(ARGV[3]) * 2 ^ math.min(c - free, 30))
  if now < t + d then return math.ceil(t + d - now) end
end
redis.call('HSET', KEYS[1], 'c', c + 1, 't', now)
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 0`;

const REFUND = `
local c = tonumber(redis.call('HGET', KEYS[1], 'c'))
if c and c > 0 then redis.call('HSET', KEYS[1], 'c', c - 1) end
return 0`;

export class RedisCounters implements SharedCounters {
  readonly kind = 'redis';
  private readonly redis: Redis;

  constructor(
    url: string,
    /** Prefix for every key (tests use a unique one; deployments sharing a Redis may too). */
    private readonly prefix = 'sequel:',
  ) {
    // Fail fast rather than queue: a limiter that cannot reach Redis refuses (fail closed, see callers).
    this.redis = new Redis(url, { maxRetriesPerRequest: 2, enableOfflineQueue: true, lazyConnect: false });
    this.redis.on('error', () => {
      /* reported by the failing command; ioredis reconnects on its own */
    });
  }

  private k(name: string, key: string, suffix = ''): string {
    return `${this.prefix}${counterKey(name, key)}${suffix}`;
  }

  async incr(name: string, key: string, windowMs: number, now = Date.now()): Promise<number> {
    const win = Math.floor(now / windowMs);
    const n = await this.redis.eval(INCR, 1, this.k(name, key, `:${win}`), String(windowMs));
    return Number(n);
  }

  async charge(name: string, key: string, p: BackOffPolicy, now = Date.now()): Promise<number> {
    const wait = await this.redis.eval(CHARGE, 1, this.k(name, key), String(now), String(p.free), String(p.baseMs), String(p.maxMs), String(p.windowMs));
    return Math.max(0, Number(wait));
  }

  async refund(name: string, key: string): Promise<void> {
    await this.redis.eval(REFUND, 1, this.k(name, key));
  }

  async reset(name: string, key: string): Promise<void> {
    await this.redis.del(this.k(name, key));
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

// Keep the delay formula in one place: the Lua above must match it (tested in test/prod/shared-limits).
export { backOffDelay };
