import type { Insertable, Kysely } from 'kysely';
import type { AuditLogTable, DB } from './db.js';

export type AuditEntry = Omit<Insertable<AuditLogTable>, 'id'>;

export interface AuditRecord extends AuditEntry {
  id: number;
}

export interface AuditFilter {
  orgId: string;
  tool?: string | undefined;
  sourceName?: string | undefined;
  credentialId?: string | undefined;
  userId?: string | undefined;
  outcome?: string | undefined;
  /** ISO time bounds. */
  since?: string | undefined;
  until?: string | undefined;
  /** Entries older than this id (paging backwards from the newest). */
  beforeId?: number | undefined;
  limit?: number | undefined;
}

export class AuditLog {
  constructor(private readonly db: Kysely<DB>) {}

  async insertMany(entries: AuditEntry[]): Promise<void> {
    if (entries.length === 0) return;
    // Chunked: SQLite caps bound variables per statement.
    for (let i = 0; i < entries.length; i += 50) {
      await this.db.insertInto('audit_log').values(entries.slice(i, i + 50)).execute();
    }
  }

  /** Newest first. */
  async list(f: AuditFilter): Promise<AuditRecord[]> {
    let q = this.db.selectFrom('audit_log').selectAll().where('org_id', '=', f.orgId);
    if (f.tool) q = q.where('tool', '=', f.tool);
    if (f.sourceName) q = q.where('source_name', '=', f.sourceName);
    if (f.credentialId) q = q.where('credential_id', '=', f.credentialId);
    if (f.userId) q = q.where('user_id', '=', f.userId);
    if (f.outcome) q = q.where('outcome', '=', f.outcome);
    if (f.since) q = q.where('at', '>=', f.since);
    if (f.until) q = q.where('at', '<', f.until);
    if (f.beforeId !== undefined) q = q.where('id', '<', f.beforeId);
    const rows = await q.orderBy('id', 'desc').limit(Math.min(Math.max(f.limit ?? 100, 1), 10_000)).execute();
    return rows.map((r) => ({ ...r, id: Number(r.id), row_count: r.row_count === null ? null : Number(r.row_count), duration_ms: Number(r.duration_ms) }));
  }
}
