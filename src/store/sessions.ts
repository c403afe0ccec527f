/**
 * Dashboard sessions. The cookie carries a random token; the store keeps only its keyed hash, so a copy
 * of the store signs nobody in. A session expires after a period of inactivity and at an absolute limit,
 * and can be revoked one by one or all at once ("sign out everywhere").
 */
import type { Kysely } from 'kysely';
import { now, type DB } from './db.js';

export interface DashboardSessionsTable {
  id_hash: string;
  user_id: string;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
  user_agent: string | null;
}

export type SessionTables = { dashboard_sessions: DashboardSessionsTable };

export type SessionRow = DashboardSessionsTable;

export class Sessions {
  private readonly db: Kysely<DB & SessionTables>;
  constructor(db: Kysely<DB>) {
    this.db = db.withTables<SessionTables>();
  }

  async create(row: DashboardSessionsTable): Promise<void> {
    await this.db.insertInto('dashboard_sessions').values(row).execute();
  }

  /** The live session with this hash (not expired at `at`). */
  async find(idHash: string, at = now()): Promise<SessionRow | undefined> {
    return this.db.selectFrom('dashboard_sessions').selectAll().where('id_hash', '=', idHash).where('expires_at', '>', at).executeTakeFirst();
  }

  async touch(idHash: string, lastSeenAt: string, expiresAt: string): Promise<void> {
    await this.db.updateTable('dashboard_sessions').set({ last_seen_at: lastSeenAt, expires_at: expiresAt }).where('id_hash', '=', idHash).execute();
  }

  async delete(idHash: string): Promise<void> {
    await this.db.deleteFrom('dashboard_sessions').where('id_hash', '=', idHash).execute();
  }

  /** Ends every session of a user, optionally keeping one (the one changing the password). Returns how many ended. */
  async deleteAllOf(userId: string, keepIdHash?: string): Promise<number> {
    let q = this.db.deleteFrom('dashboard_sessions').where('user_id', '=', userId);
    if (keepIdHash) q = q.where('id_hash', '!=', keepIdHash);
    const r = await q.executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async countOf(userId: string, at = now()): Promise<number> {
    const r = await this.db
      .selectFrom('dashboard_sessions')
      .select((eb) => eb.fn.countAll<string | number>().as('n'))
      .where('user_id', '=', userId)
      .where('expires_at', '>', at)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async purgeExpired(at = now()): Promise<void> {
    await this.db.deleteFrom('dashboard_sessions').where('expires_at', '<=', at).execute();
  }
}
