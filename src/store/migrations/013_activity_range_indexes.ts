import type { Kysely } from 'kysely';
import type { Dialect } from '../db.js';

/**
 * The Activity page pages the audit log newest first by `(at, id)` (src/store/audit.ts). Migration 004's
 * `(org_id, <filter>, id)` indexes could not serve a filter together with a time range: the database
 * walked the filter's entries from the newest back to the range, reading each row for its time (143–210 ms
 * at a million entries). `(org_id, <filter>, at, id)` per filter, and `(org_id, at, id)` without one, serve
 * the filter, the range, the cursor and the order in one index walk that stops after a page. They replace
 * 004's, which no query uses any more (fewer indexes for every audit write); the overview's
 * `(org_id, at)` reads use the new prefix. Building them reads the whole log once, at the upgrade.
 */
export async function m013ActivityRangeIndexes(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  const filters: Array<[string, string]> = [
    ['source', 'source_id'],
    ['user', 'user_id'],
    ['credential', 'credential_id'],
    ['tool', 'tool'],
    ['outcome', 'outcome'],
  ];
  for (const [name, column] of filters) {
    await db.schema.createIndex(`audit_log_org_${name}_at_idx`).ifNotExists().on('audit_log').columns(['org_id', column, 'at', 'id']).execute();
    await db.schema.dropIndex(`audit_log_org_${name}_idx`).ifExists().execute();
  }
  await db.schema.createIndex('audit_log_org_at_id_idx').ifNotExists().on('audit_log').columns(['org_id', 'at', 'id']).execute();
  await db.schema.dropIndex('audit_log_org_time_idx').ifExists().execute();
}
