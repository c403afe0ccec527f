/**
 * The last connection check of each source: status, server version or the failure's code and message
 * (connectors never put secrets in messages), table count, least-privilege and sizing warnings.
 */
import type { Kysely, Selectable } from 'kysely';
import type { DB, SourceChecksTable } from './db.js';

export interface SourceCheck {
  sourceId: string;
  checkedAt: string;
  status: 'ok' | 'failing';
  serverVersion: string | null;
  error: { code: string; message: string } | null;
  tableCount: number | null;
  /** null when the privileges were not checked. */
  privilegeWarnings: string[] | null;
  /** null when the sizing was not checked. */
  sizingWarnings: string[] | null;
}

function toCheck(r: Selectable<SourceChecksTable>): SourceCheck {
  return {
    sourceId: r.source_id,
    checkedAt: r.checked_at,
    status: r.status,
    serverVersion: r.server_version,
    error: r.error_code ? { code: r.error_code, message: r.error_message ?? '' } : null,
    tableCount: r.table_count === null ? null : Number(r.table_count),
    privilegeWarnings: r.privilege_warnings === null ? null : (JSON.parse(r.privilege_warnings) as string[]),
    sizingWarnings: r.sizing_warnings === null ? null : (JSON.parse(r.sizing_warnings) as string[]),
  };
}

export class SourceChecks {
  constructor(private readonly db: Kysely<DB>) {}

  /**
   * Records a check. Fields the check did not measure (table count, privileges) keep their last known
   * value when `undefined` is passed.
   */
  async record(
    check: Omit<SourceCheck, 'tableCount' | 'privilegeWarnings' | 'sizingWarnings'> & {
      tableCount?: number | null;
      privilegeWarnings?: string[] | null;
      sizingWarnings?: string[] | null;
    },
  ): Promise<void> {
    const row = {
      source_id: check.sourceId,
      checked_at: check.checkedAt,
      status: check.status,
      server_version: check.serverVersion,
      error_code: check.error?.code ?? null,
      error_message: check.error?.message ?? null,
      ...(check.tableCount !== undefined ? { table_count: check.tableCount } : {}),
      ...(check.privilegeWarnings !== undefined ? { privilege_warnings: check.privilegeWarnings === null ? null : JSON.stringify(check.privilegeWarnings) } : {}),
      ...(check.sizingWarnings !== undefined ? { sizing_warnings: check.sizingWarnings === null ? null : JSON.stringify(check.sizingWarnings) } : {}),
    };
    const { source_id: _id, ...update } = row;
    await this.db
      .insertInto('source_checks')
      .values({ table_count: null, privilege_warnings: null, sizing_warnings: null, ...row })
      .onConflict((oc) => oc.column('source_id').doUpdateSet(update))
      .execute();
  }

  /** The checks of the org's sources (joined through `sources`, so never another org's). */
  async forOrg(orgId: string): Promise<Map<string, SourceCheck>> {
    const rows = await this.db
      .selectFrom('source_checks as c')
      .innerJoin('sources as s', 's.id', 'c.source_id')
      .selectAll('c')
      .where('s.org_id', '=', orgId)
      .execute();
    return new Map(rows.map((r) => [r.source_id, toCheck(r)]));
  }
}
