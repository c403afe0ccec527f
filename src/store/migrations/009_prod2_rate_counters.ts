import type { Kysely } from 'kysely';
import type { Dialect } from '../db.js';

/**
 * Shared rate counters (src/store/rateCounters.ts): one row per (limit, hashed key, window). Fixed
 * windows use `win` = the window's number; back-offs use `win` = 0 with `last_at` the last failure.
 * `expires_at` (ms) lets a sweep delete rows nobody needs any more. Created on both dialects so the
 * schema is the same; only a PostgreSQL store uses it (SQLite means one process: in-memory limits).
 */
export async function m009Prod2RateCounters(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('rate_counters')
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('win', 'bigint', (c) => c.notNull())
    .addColumn('count', 'bigint', (c) => c.notNull())
    .addColumn('last_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('rate_counters_pk', ['name', 'key', 'win'])
    .execute();
  await db.schema.createIndex('rate_counters_expires').on('rate_counters').column('expires_at').execute();
}
