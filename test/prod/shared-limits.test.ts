/**
 * Limits shared by replicas (issue 13 item 2): two real servers on one PostgreSQL store with the same
 * server key — a credential's tool calls split across both are limited at the configured total, and
 * sign-in failures for one account split across both reach the per-account back-off. Then the same with
 * the counters in Redis (SEQUEL_REDIS_URL, a unique key prefix per run).
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SIGN_IN_LIMITS } from '../../src/auth/signin.js';
import { RedisCounters } from '../../src/limits/redis.js';
import { connectClient, startTestServer, type TestServer } from '../helpers/server.js';
import { createTempPgDatabase, requireService, type TempDatabase } from '../helpers/services.js';
import { createUser, PASSWORD } from '../oauth/helpers.js';

const pgUp = await requireService('postgres', 'shared limits on a PostgreSQL store');
const REDIS_URL = process.env.SEQUEL_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';
const redisUp = await new Promise<boolean>((resolve) => {
  const u = new URL(REDIS_URL);
  const s = net.connect(Number(u.port || 6379), u.hostname, () => {
    s.end();
    resolve(true);
  });
  s.on('error', () => resolve(false));
});
if (!redisUp && (process.env.CI === 'true' || process.env.CI === '1')) throw new Error(`Redis is not reachable at ${REDIS_URL}; .ci/run starts it`);

const LIMIT = 12;

/** Waits, if needed, until a fresh one-minute window has at least 30 s left (the limit is a fixed window). */
async function roomInWindow(): Promise<void> {
  while (Date.now() % 60_000 > 30_000) await new Promise((r) => setTimeout(r, 250));
}

function suite(name: string, redis: boolean): void {
  describe.skipIf(!pgUp || (redis && !redisUp))(name, () => {
    let db: TempDatabase;
    let a: TestServer;
    let b: TestServer;
    const prefix = `sequel-test-${randomBytes(6).toString('hex')}:`;

    beforeAll(async () => {
      db = await createTempPgDatabase('sequel_shared_limits');
      const env: Record<string, string> = {
        SEQUEL_SECRET_KEY: randomBytes(32).toString('base64'),
        SEQUEL_RATE_LIMIT_PER_MINUTE: String(LIMIT),
        ...(redis ? { SEQUEL_REDIS_URL: REDIS_URL, SEQUEL_REDIS_PREFIX: prefix } : {}),
      };
      a = await startTestServer({ databaseUrl: db.url, env });
      b = await startTestServer({ databaseUrl: db.url, env });
      await createUser(a, 'grace@example.com', [['default', 'member']]);
    }, 90_000);
    afterAll(async () => {
      await b?.close();
      await a?.close();
      await db?.drop();
      if (redis) {
        // Remove this run's keys (unique prefix) from the shared Redis.
        const { Redis } = await import('ioredis');
        const r = new Redis(REDIS_URL);
        const keys = await r.keys(`${prefix}*`);
        if (keys.length) await r.del(...keys);
        await r.quit();
      }
    });

    it('uses the expected backend', () => {
      expect(a.rt.counters?.kind).toBe(redis ? 'redis' : 'postgres');
      expect(b.rt.counters?.kind).toBe(redis ? 'redis' : 'postgres');
    });

    it("a credential's tool calls split across both replicas are limited at the configured total", async () => {
      const key = await a.key('default', { name: 'shared-limit' });
      const other = await a.key('default', { name: 'bystander' });
      const ca = await connectClient(a.mcpUrl, key.key);
      const cb = await connectClient(b.mcpUrl, key.key);
      const cOther = await connectClient(b.mcpUrl, other.key);
      try {
        await roomInWindow();
        const outcomes: string[] = [];
        for (let i = 0; i < LIMIT * 2; i++) {
          const client = i % 2 === 0 ? ca : cb;
          const r = await client.callTool({ name: 'list_sources', arguments: {} });
          const text = JSON.stringify(r.content);
          outcomes.push(r.isError ? (text.includes('RATE_LIMITED') ? 'limited' : `error ${text}`) : 'ok');
        }
        // Exactly the configured total passes, though each replica saw only half the calls.
        expect(outcomes.filter((o) => o === 'ok')).toHaveLength(LIMIT);
        expect(outcomes.slice(LIMIT).every((o) => o === 'limited')).toBe(true);
        // Another credential is not affected.
        const r = await cOther.callTool({ name: 'list_sources', arguments: {} });
        expect(r.isError).toBeFalsy();
      } finally {
        await Promise.all([ca.close(), cb.close(), cOther.close()]);
      }
    }, 120_000);

    it('sign-in failures for one account spread over replicas and addresses reach the per-account back-off', async () => {
      const { free } = DEFAULT_SIGN_IN_LIMITS.account;
      // A different address for every attempt, so only the per-account back-off can apply.
      const attempt = (i: number, password: string) =>
        (i % 2 === 0 ? a : b).rt.signIn.attempt({ email: 'grace@example.com', password, client: `198.51.100.${i + 1}`, surface: 'test' });
      for (let i = 0; i < free; i++) {
        const r = await attempt(i, 'wrong password!');
        expect(r.ok === false && r.reason).toBe('invalid');
      }
      // The next attempt, at either replica, is held back before the password is even checked — the
      // right password included.
      const nextA = await a.rt.signIn.attempt({ email: 'grace@example.com', password: PASSWORD, client: '203.0.113.7', surface: 'test' });
      const nextB = await b.rt.signIn.attempt({ email: 'grace@example.com', password: PASSWORD, client: '203.0.113.8', surface: 'test' });
      for (const r of [nextA, nextB]) {
        expect(r.ok).toBe(false);
        if (!r.ok) expect(r.reason).toBe('throttled');
        if (!r.ok && r.reason === 'throttled') expect(r.retryAfterMs).toBeGreaterThan(0);
      }
      // Another account is not affected.
      await createUser(a, 'hopper@example.com', [['default', 'member']]);
      const hopper = await b.rt.signIn.attempt({ email: 'hopper@example.com', password: PASSWORD, client: '203.0.113.9', surface: 'test' });
      expect(hopper.ok).toBe(true);
    }, 120_000);

    it('per (address, account): failures from one address split across replicas back off after the free ones', async () => {
      const { free } = DEFAULT_SIGN_IN_LIMITS.addressAccount;
      await createUser(a, 'lovelace@example.com', [['default', 'member']]);
      const attempt = (i: number, password: string) => (i % 2 === 0 ? a : b).rt.signIn.attempt({ email: 'lovelace@example.com', password, client: '192.0.2.44', surface: 'test' });
      for (let i = 0; i < free; i++) expect((await attempt(i, 'nope nope nope')).ok).toBe(false);
      const held = await attempt(free, PASSWORD);
      expect(held.ok === false && held.reason).toBe('throttled');
      // From another address the owner still gets in (the account budget is not spent).
      const owner = await a.rt.signIn.attempt({ email: 'lovelace@example.com', password: PASSWORD, client: '192.0.2.99', surface: 'test' });
      expect(owner.ok).toBe(true);
    }, 120_000);
  });
}

suite('shared limits: two replicas on a PostgreSQL store', false);
suite('shared limits: two replicas with SEQUEL_REDIS_URL', true);

describe.skipIf(!redisUp)('Redis counters', () => {
  it('back-off in Redis matches the in-process formula', async () => {
    const c = new RedisCounters(REDIS_URL, `sequel-test-${randomBytes(6).toString('hex')}:`);
    try {
      const p = { free: 2, baseMs: 1000, maxMs: 8000, windowMs: 60_000 };
      const t0 = 1_000_000;
      expect(await c.charge('t', 'k', p, t0)).toBe(0);
      expect(await c.charge('t', 'k', p, t0)).toBe(0); // second failure: back-off starts (1 s)
      expect(await c.charge('t', 'k', p, t0 + 500)).toBe(500);
      expect(await c.charge('t', 'k', p, t0 + 1000)).toBe(0); // third: 2 s
      expect(await c.charge('t', 'k', p, t0 + 2000)).toBe(1000);
      await c.refund('t', 'k');
      expect(await c.charge('t', 'k', p, t0 + 2000)).toBe(0);
      await c.reset('t', 'k');
      expect(await c.charge('t', 'k', p, t0 + 2000)).toBe(0);
    } finally {
      await c.reset('t', 'k');
      await c.close();
    }
  });
});
