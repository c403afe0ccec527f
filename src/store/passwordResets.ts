/**
 * One-time password reset links: a token (stored only as a keyed hash) that lets the person it was made
 * for set a new password, once, before it expires. At most one link per person is live: making a new
 * one revokes the older ones, in the same transaction.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { now, type DB } from './db.js';

export interface PasswordResetLinksTable {
  id: string;
  user_id: string;
  org_id: string;
  token_hash: string;
  created_by_user_id: string | null;
  created_by: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
  revoked_at: string | null;
}

export type PasswordResetTables = { password_reset_links: PasswordResetLinksTable };

/** What may be shown about a link: never the token hash. */
export type ResetLinkInfo = Omit<PasswordResetLinksTable, 'token_hash'>;

const COLUMNS = ['id', 'user_id', 'org_id', 'created_by_user_id', 'created_by', 'created_at', 'expires_at', 'used_at', 'revoked_at'] as const;

export class PasswordResets {
  private readonly db: Kysely<DB & PasswordResetTables>;
  constructor(db: Kysely<DB>) {
    this.db = db.withTables<PasswordResetTables>();
  }

  /** Records a new link for the person and revokes their links not used yet; returns how many it replaced. */
  async create(input: { userId: string; orgId: string; tokenHash: string; createdByUserId: string | null; createdBy: string; expiresAt: string }): Promise<{ link: ResetLinkInfo; superseded: number }> {
    const at = now();
    const row: PasswordResetLinksTable = {
      id: randomUUID(),
      user_id: input.userId,
      org_id: input.orgId,
      token_hash: input.tokenHash,
      created_by_user_id: input.createdByUserId,
      created_by: input.createdBy,
      created_at: at,
      expires_at: input.expiresAt,
      used_at: null,
      revoked_at: null,
    };
    const superseded = await this.db.transaction().execute(async (tx) => {
      const r = await tx
        .updateTable('password_reset_links')
        .set({ revoked_at: at })
        .where('user_id', '=', input.userId)
        .where('used_at', 'is', null)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      await tx.insertInto('password_reset_links').values(row).execute();
      return Number(r.numUpdatedRows);
    });
    const { token_hash: _omit, ...link } = row;
    return { link, superseded };
  }

  /** The live (not used, revoked or expired) link with this token hash. */
  async liveByHash(tokenHash: string, at = now()): Promise<ResetLinkInfo | undefined> {
    return this.db
      .selectFrom('password_reset_links')
      .select(COLUMNS)
      .where('token_hash', '=', tokenHash)
      .where('used_at', 'is', null)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', at)
      .executeTakeFirst();
  }

  /** Marks the link used, once: false when it was used, revoked or expired meanwhile (someone got there first). */
  async markUsed(id: string, at = now()): Promise<boolean> {
    const r = await this.db
      .updateTable('password_reset_links')
      .set({ used_at: at })
      .where('id', '=', id)
      .where('used_at', 'is', null)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', at)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** Deletes links that can no longer be used and are older than `before` (housekeeping). */
  async purgeDead(before: string): Promise<void> {
    await this.db.deleteFrom('password_reset_links').where('expires_at', '<=', before).execute();
  }
}
