import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { now, ROLES, type DB, type Role, type UsersTable } from './db.js';
import { isUniqueViolation } from './errors.js';

export type User = Selectable<UsersTable>;
/** A user without the password hash: what leaves the store module for display. */
export type PublicUser = Omit<User, 'password_hash'>;

export interface Membership {
  org_id: string;
  org_slug: string;
  org_name: string;
  user_id: string;
  role: Role;
  created_at: string;
}

export interface Member extends PublicUser {
  role: Role;
  joined_at: string;
}

const EMAIL = /^[^\s@]+@[^\s@]+$/;

export function normalizeEmail(email: string): string {
  const e = email.trim().toLowerCase();
  if (!EMAIL.test(e) || e.length > 254) throw new ValidationError(`"${email}" is not an email address`);
  return e;
}

export function assertRole(role: string): asserts role is Role {
  if (!(ROLES as readonly string[]).includes(role)) throw new ValidationError(`role must be one of ${ROLES.join(', ')}`);
}

export class Users {
  constructor(private readonly db: Kysely<DB>) {}

  async create(input: { email: string; name?: string | null; passwordHash?: string | null }): Promise<PublicUser> {
    const row: User = {
      id: randomUUID(),
      email: normalizeEmail(input.email),
      name: input.name?.trim() || null,
      password_hash: input.passwordHash ?? null,
      created_at: now(),
    };
    try {
      await this.db.insertInto('users').values(row).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`a user with email ${row.email} already exists`);
      throw err;
    }
    const { password_hash: _omit, ...user } = row;
    return user;
  }

  /** Includes the password hash: for sign-in only. */
  async byEmailWithHash(email: string): Promise<User | undefined> {
    return this.db.selectFrom('users').selectAll().where('email', '=', email.trim().toLowerCase()).executeTakeFirst();
  }

  async byEmail(email: string): Promise<PublicUser | undefined> {
    return this.db
      .selectFrom('users')
      .select(['id', 'email', 'name', 'created_at'])
      .where('email', '=', email.trim().toLowerCase())
      .executeTakeFirst();
  }

  async get(id: string): Promise<PublicUser | undefined> {
    return this.db.selectFrom('users').select(['id', 'email', 'name', 'created_at']).where('id', '=', id).executeTakeFirst();
  }

  async setPasswordHash(userId: string, hash: string): Promise<void> {
    const r = await this.db.updateTable('users').set({ password_hash: hash }).where('id', '=', userId).executeTakeFirst();
    if (r.numUpdatedRows === 0n) throw new NotFoundError('no such user');
  }

  async list(): Promise<PublicUser[]> {
    return this.db.selectFrom('users').select(['id', 'email', 'name', 'created_at']).orderBy('email').execute();
  }

  async count(): Promise<number> {
    const r = await this.db.selectFrom('users').select((eb) => eb.fn.countAll<string | number>().as('n')).executeTakeFirstOrThrow();
    return Number(r.n);
  }

  // Memberships are part of the user aggregate: a user is a member of organizations with a role.

  async addMembership(orgId: string, userId: string, role: Role): Promise<void> {
    assertRole(role);
    try {
      await this.db.insertInto('memberships').values({ org_id: orgId, user_id: userId, role, created_at: now() }).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError('the user is already a member of that organization');
      throw err;
    }
  }

  async setRole(orgId: string, userId: string, role: Role): Promise<void> {
    assertRole(role);
    const r = await this.db.updateTable('memberships').set({ role }).where('org_id', '=', orgId).where('user_id', '=', userId).executeTakeFirst();
    if (r.numUpdatedRows === 0n) throw new NotFoundError('the user is not a member of that organization');
  }

  /**
   * Removes a member. Their API keys in that organization are revoked in the same transaction, so a
   * removed member's keys stop working at once (BRIEF §1); OAuth grants are checked against membership
   * on every request.
   */
  async removeMembership(orgId: string, userId: string): Promise<{ keysRevoked: number }> {
    return this.db.transaction().execute(async (tx) => {
      const r = await tx.deleteFrom('memberships').where('org_id', '=', orgId).where('user_id', '=', userId).executeTakeFirst();
      if (r.numDeletedRows === 0n) throw new NotFoundError('the user is not a member of that organization');
      const k = await tx
        .updateTable('api_keys')
        .set({ revoked_at: now() })
        .where('org_id', '=', orgId)
        .where('created_by_user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return { keysRevoked: Number(k.numUpdatedRows) };
    });
  }

  async membership(orgId: string, userId: string): Promise<Role | undefined> {
    const r = await this.db
      .selectFrom('memberships')
      .select('role')
      .where('org_id', '=', orgId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return r?.role;
  }

  /** How many owners the organization has (the last one cannot leave or be demoted). */
  async ownerCount(orgId: string): Promise<number> {
    const r = await this.db
      .selectFrom('memberships')
      .select((eb) => eb.fn.countAll<string | number>().as('n'))
      .where('org_id', '=', orgId)
      .where('role', '=', 'owner')
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async membershipsOf(userId: string): Promise<Membership[]> {
    return this.db
      .selectFrom('memberships as m')
      .innerJoin('organizations as o', 'o.id', 'm.org_id')
      .select(['m.org_id', 'o.slug as org_slug', 'o.name as org_name', 'm.user_id', 'm.role', 'm.created_at'])
      .where('m.user_id', '=', userId)
      .orderBy('o.slug')
      .execute();
  }

  async members(orgId: string): Promise<Member[]> {
    return this.db
      .selectFrom('memberships as m')
      .innerJoin('users as u', 'u.id', 'm.user_id')
      .select(['u.id', 'u.email', 'u.name', 'u.created_at', 'm.role', 'm.created_at as joined_at'])
      .where('m.org_id', '=', orgId)
      .orderBy('u.email')
      .execute();
  }
}
