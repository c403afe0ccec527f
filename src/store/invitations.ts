/**
 * Member invitations: a one-time link (its token stored only as a keyed hash) that makes the person with
 * the invited email a member of the organization with the given role. Pending until accepted, revoked or
 * expired.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { NotFoundError } from '../errors.js';
import { now, type DB, type Role } from './db.js';

export interface InvitationsTable {
  id: string;
  org_id: string;
  email: string;
  role: Role;
  token_hash: string;
  invited_by_user_id: string | null;
  invited_by: string;
  created_at: string;
  expires_at: string;
  accepted_at: string | null;
  revoked_at: string | null;
}

export type InvitationTables = { invitations: InvitationsTable };

/** What may be shown about an invitation: never the token hash. */
export type InvitationInfo = Omit<InvitationsTable, 'token_hash'>;

export class Invitations {
  private readonly db: Kysely<DB & InvitationTables>;
  constructor(db: Kysely<DB>) {
    this.db = db.withTables<InvitationTables>();
  }

  async create(input: { orgId: string; email: string; role: Role; tokenHash: string; invitedByUserId: string | null; invitedBy: string; expiresAt: string }): Promise<InvitationInfo> {
    const row: InvitationsTable = {
      id: randomUUID(),
      org_id: input.orgId,
      email: input.email,
      role: input.role,
      token_hash: input.tokenHash,
      invited_by_user_id: input.invitedByUserId,
      invited_by: input.invitedBy,
      created_at: now(),
      expires_at: input.expiresAt,
      accepted_at: null,
      revoked_at: null,
    };
    await this.db.insertInto('invitations').values(row).execute();
    const { token_hash: _omit, ...info } = row;
    return info;
  }

  /** The pending (not accepted, revoked or expired) invitation with this token hash. */
  async pendingByHash(tokenHash: string, at = now()): Promise<InvitationInfo | undefined> {
    return this.db
      .selectFrom('invitations')
      .select(['id', 'org_id', 'email', 'role', 'invited_by_user_id', 'invited_by', 'created_at', 'expires_at', 'accepted_at', 'revoked_at'])
      .where('token_hash', '=', tokenHash)
      .where('accepted_at', 'is', null)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', at)
      .executeTakeFirst();
  }

  async listPending(orgId: string, at = now()): Promise<InvitationInfo[]> {
    return this.db
      .selectFrom('invitations')
      .select(['id', 'org_id', 'email', 'role', 'invited_by_user_id', 'invited_by', 'created_at', 'expires_at', 'accepted_at', 'revoked_at'])
      .where('org_id', '=', orgId)
      .where('accepted_at', 'is', null)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', at)
      .orderBy('created_at', 'desc')
      .execute();
  }

  /** Marks it accepted, once: false when someone else got there first. */
  async markAccepted(id: string, at = now()): Promise<boolean> {
    const r = await this.db.updateTable('invitations').set({ accepted_at: at }).where('id', '=', id).where('accepted_at', 'is', null).where('revoked_at', 'is', null).executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async revoke(orgId: string, id: string, at = now()): Promise<InvitationInfo> {
    const found = (await this.listPending(orgId, at)).find((i) => i.id === id);
    if (!found) throw new NotFoundError('no pending invitation with that id in this organization');
    await this.db.updateTable('invitations').set({ revoked_at: at }).where('id', '=', id).where('org_id', '=', orgId).execute();
    return { ...found, revoked_at: at };
  }
}
