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

  /**
   * Inserts entries; one with an `entry_id` already stored is skipped, which makes replaying the audit
   * journal after a crash idempotent. One transaction, so a batch is stored whole or not at all.
   */
  async insertMany(entries: AuditEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.db.transaction().execute(async (trx) => {
      // Chunked: SQLite caps bound variables per statement.
      for (let i = 0; i < entries.length; i += 50) {
        await trx
          .insertInto('audit_log')
          .values(entries.slice(i, i + 50))
          .onConflict((oc) => oc.column('entry_id').doNothing())
          .execute();
      }
    });
  }

  /** How many of these entry ids are stored (crash-recovery tests count with it). */
  async countEntryIds(ids: string[]): Promise<number> {
    let n = 0;
    for (let i = 0; i < ids.length; i += 500) {
      const r = await this.db
        .selectFrom('audit_log')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('entry_id', 'in', ids.slice(i, i + 500))
        .executeTakeFirstOrThrow();
      n += Number(r.n);
    }
    return n;
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
