import type { Kysely } from 'kysely';
import type { Dialect } from '../db.js';

/**
 * The last connection check of each source (Test connection, a save, a check from the list), so the
 * dashboard shows status and "last checked" whichever replica ran the check and across restarts.
 */
export async function m005DashDataSourceChecks(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('source_checks')
    .addColumn('source_id', 'text', (c) => c.primaryKey().references('sources.id').onDelete('cascade'))
    .addColumn('checked_at', 'text', (c) => c.notNull())
    // 'ok' or 'failing'
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('server_version', 'text')
    .addColumn('error_code', 'text')
    .addColumn('error_message', 'text')
    .addColumn('table_count', 'integer')
    // JSON list of least-privilege warnings found at the check; null when not checked.
    .addColumn('privilege_warnings', 'text')
    .execute();
}
