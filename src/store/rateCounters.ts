/**
 * Shared rate counters in the PostgreSQL store (migration 009): each operation is one statement —
 * `insert … on conflict do update … returning` — so concurrent replicas never read-then-write a count.
 * Only used on a PostgreSQL store; see src/limits/shared.ts.
 */
import { sql, type Kysely } from 'kysely';
import { backOffDelay, counterKey, type BackOffPolicy, type SharedCounters } from '../limits/shared.js';
import type { DB } from './db.js';

/** Rows past their expiry are swept at most this often (one indexed delete). */
const SWEEP_EVERY_MS = 60_000;

export class PgRateCounters implements SharedCounters {
  readonly kind = 'postgres';
  private lastSweep = 0;

  constructor(private readonly db: Kysely<DB>) {}

  async incr(name: string, key: string, windowMs: number, now = Date.now()): Promise<number> {
    this.sweep(now);
    const win = Math.floor(now / windowMs);
    const expires = (win + 1) * windowMs;
    const r = await sql<{ count: string }>`
      insert into rate_counters (name, key, win, count, last_at, expires_at)
      values (${name}, ${counterKey(name, key)}, ${win}, 1, ${now}, ${expires})
      on conflict (name, key, win) do update set count = rate_counters.count + 1, last_at = excluded.last_at
      returning count`.execute(this.db);
    return Number(r.rows[0]?.count ?? Number.MAX_SAFE_INTEGER);
  }

  async charge(name: string, key: string, p: BackOffPolicy, now = Date.now()): Promise<number> {
    this.sweep(now);
    const k = counterKey(name, key);
    // Charged unless the row is live, at or past `free`, and its delay since the last failure has not
    // passed (the same formula as backOffDelay). An expired row starts over at 1.
    const r = await sql<{ count: string }>`
      insert into rate_counters (name, key, win, count, last_at, expires_at)
      values (${name}, ${k}, 0, 1, ${now}, ${now + p.windowMs})
      on conflict (name, key, win) do update set
        count = case when rate_counters.expires_at <= excluded.last_at then 1 else rate_counters.count + 1 end,
        last_at = excluded.last_at,
        expires_at = excluded.expires_at
      where rate_counters.expires_at <= excluded.last_at
         or rate_counters.count < ${p.free}
         or rate_counters.last_at + least(${p.maxMs}::float8, ${p.baseMs}::float8 * power(2, least(rate_counters.count - ${p.free}, 30))) <= excluded.last_at
      returning count`.execute(this.db);
    if (r.rows.length) return 0;
    const row = await this.db
      .selectFrom('rate_counters')
      .select(['count', 'last_at'])
      .where('name', '=', name)
      .where('key', '=', k)
      .where('win', '=', 0)
      .executeTakeFirst();
    if (!row) return 1000; // deleted in between (a reset): let the caller retry shortly
    return Math.max(1, Number(row.last_at) + backOffDelay(Number(row.count), p) - now);
  }

  async refund(name: string, key: string): Promise<void> {
    await sql`update rate_counters set count = greatest(count - 1, 0) where name = ${name} and key = ${counterKey(name, key)} and win = 0`.execute(this.db);
  }

  async reset(name: string, key: string): Promise<void> {
    await sql`delete from rate_counters where name = ${name} and key = ${counterKey(name, key)}`.execute(this.db);
  }

  async close(): Promise<void> {
    /* the store owns the connection pool */
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < SWEEP_EVERY_MS) return;
    this.lastSweep = now;
    void sql`delete from rate_counters where expires_at < ${now}`.execute(this.db).catch(() => {
      /* best effort: the next sweep retries */
    });
  }
}
