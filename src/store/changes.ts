/**
 * The change epoch (migration 006): a counter every write that can change a credential, a membership or
 * a source moves in its own transaction, as does (migration 011) every write to the org-written
 * descriptions and (migration 012) every write to policy presets and to a key's or authorization's preset. The request path reads it on every call and reuses what it cached at the same epoch;
 * anything cached at another epoch is read again. The read is one single-row
 * primary-key lookup: synchronous on the embedded SQLite file (microseconds, no Kysely), one round trip
 * on PostgreSQL in place of the credential and source queries it saves.
 */
import type Database from 'better-sqlite3';
import type pg from 'pg';

const READ = 'select n from change_epoch where id = 1';

export interface ChangeEpoch {
  /** The current epoch; a value that changed means something cached may be stale. */
  current(): number | Promise<number>;
}

export function sqliteEpoch(db: Database.Database): ChangeEpoch {
  let stmt: Database.Statement<[], { n: number | bigint }> | undefined;
  return {
    current() {
      // Prepared on first use: the table exists once the store is migrated.
      stmt ??= db.prepare<[], { n: number | bigint }>(READ);
      const row = stmt.get();
      if (!row) throw new Error('the store has no change epoch: run `sequel migrate`');
      return Number(row.n);
    },
  };
}

export function postgresEpoch(pool: pg.Pool): ChangeEpoch {
  const query = { text: READ, name: 'sequel_change_epoch' };
  return {
    async current() {
      const r = await pool.query<{ n: string | number }>(query);
      const row = r.rows[0];
      if (!row) throw new Error('the store has no change epoch: run `sequel migrate`');
      return Number(row.n);
    },
  };
}

/**
 * Values cached per key with the epoch they were read at. A lookup at another epoch reads again; entries
 * also expire at their own `validUntil` (a key's or token's expiry). Bounded: when full, the oldest
 * entries go first.
 */
export class EpochCache<V> {
  private readonly map = new Map<string, { epoch: number; validUntil: number; value: V }>();

  constructor(private readonly max = 10_000) {}

  get(key: string, epoch: number, now = Date.now()): V | undefined {
    const e = this.map.get(key);
    if (!e) return undefined;
    if (e.epoch !== epoch || e.validUntil <= now) {
      this.map.delete(key);
      return undefined;
    }
    return e.value;
  }

  set(key: string, epoch: number, value: V, validUntil = Number.POSITIVE_INFINITY): void {
    if (this.map.size >= this.max) {
      // Epochs only grow: entries of an older epoch are dead anyway; otherwise drop the oldest tenth.
      for (const [k, v] of this.map) if (v.epoch !== epoch) this.map.delete(k);
      if (this.map.size >= this.max) for (const k of [...this.map.keys()].slice(0, Math.ceil(this.max / 10))) this.map.delete(k);
    }
    this.map.set(key, { epoch, validUntil, value });
  }

  delete(key: string): void {
    this.map.delete(key);
  }
}
