import type { Kysely } from 'kysely';
import type { Dialect } from '../db.js';

/**
 * Audit durability: every entry carries an id of its own, unique in the store, so the local audit journal
 * can be replayed after a crash without writing an entry twice (`insert … on conflict (entry_id) do
 * nothing`). Entries written before this migration keep a null id; both dialects let a unique index hold
 * any number of nulls.
 */
export async function m003HardenOpsAuditEntryId(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema.alterTable('audit_log').addColumn('entry_id', 'text').execute();
  await db.schema.createIndex('audit_log_entry_id_idx').on('audit_log').column('entry_id').unique().execute();
}
