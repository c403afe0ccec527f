import type { Kysely } from 'kysely';
import type { Dialect } from '../db.js';

/**
 * The dashboard's Activity page filters the audit log by source, person, credential, tool, outcome and
 * time, newest first, a page at a time (keyset on `id`). One index per filter, each ending in `id`, lets
 * the database walk the matching entries backwards from the cursor and stop after a page, whatever the
 * size of the log; `(org_id, at)` serves time ranges and the overview's per-day aggregates.
 */
export async function m004DashDataAuditIndexes(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  const byOrgThen = async (name: string, column: string) => {
    await db.schema.createIndex(name).ifNotExists().on('audit_log').columns(['org_id', column, 'id']).execute();
  };
  await byOrgThen('audit_log_org_source_idx', 'source_id');
  await byOrgThen('audit_log_org_user_idx', 'user_id');
  await byOrgThen('audit_log_org_credential_idx', 'credential_id');
  await byOrgThen('audit_log_org_tool_idx', 'tool');
  await byOrgThen('audit_log_org_outcome_idx', 'outcome');
  await db.schema.createIndex('audit_log_org_time_idx').ifNotExists().on('audit_log').columns(['org_id', 'at']).execute();
}
