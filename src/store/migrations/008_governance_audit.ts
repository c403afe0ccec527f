import type { Kysely } from 'kysely';
import type { Dialect } from '../db.js';

/**
 * Governance in the audit log (issue 11): which policy rule refused a statement (`refused:hidden-column`,
 * `refused:hidden-table`…) or which output columns were masked (`masked:2 columns (hash, mask)`).
 */
export async function m008GovernanceAudit(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema.alterTable('audit_log').addColumn('governance', 'text').execute();
}
