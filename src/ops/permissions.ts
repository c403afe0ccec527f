/**
 * Who may do what: one table, checked by every operation in src/ops (the CLI and the dashboard call the
 * same operations, so a route cannot forget a check the CLI makes, or the reverse).
 *
 * The actor is either the operator (the CLI: whoever holds the store's credentials can already do
 * anything, so nothing is refused) or a signed-in user acting in one organization with their current role,
 * read from the store on every request.
 */
import { ForbiddenError } from '../errors.js';
import type { Role } from '../store/db.js';

export interface OperatorActor {
  kind: 'operator';
  orgId: string;
}

export interface UserActor {
  kind: 'user';
  userId: string;
  orgId: string;
  role: Role;
}

/** Who performs an operation in an organization. */
export type Actor = OperatorActor | UserActor;

/** Someone acting outside any one organization (account settings, creating an organization). */
export type Person = { kind: 'operator' } | { kind: 'user'; userId: string };

export type Action =
  | 'keys.create'
  | 'keys.see_all'
  | 'keys.revoke_any'
  | 'members.list'
  | 'members.invite'
  | 'members.change_role'
  | 'members.remove'
  | 'members.reset_password'
  | 'members.manage_owners'
  | 'authorizations.see_all'
  | 'authorizations.revoke_any'
  | 'sources.read'
  | 'sources.write'
  | 'presets.write'
  | 'audit.read'
  | 'audit.see_all'
  | 'playground.run'
  | 'org.update'
  | 'org.delete';

/** The lowest role that may perform each action (owner > admin > member). */
export const MIN_ROLE: Readonly<Record<Action, Role>> = {
  'keys.create': 'member',
  'keys.see_all': 'admin',
  'keys.revoke_any': 'admin',
  'members.list': 'member',
  'members.invite': 'admin',
  'members.change_role': 'admin',
  'members.remove': 'admin',
  'members.reset_password': 'admin',
  'members.manage_owners': 'owner',
  'authorizations.see_all': 'admin',
  'authorizations.revoke_any': 'admin',
  'sources.read': 'member',
  'sources.write': 'admin',
  'presets.write': 'admin',
  'audit.read': 'member',
  'audit.see_all': 'admin',
  'playground.run': 'admin',
  'org.update': 'owner',
  'org.delete': 'owner',
};

const RANK: Readonly<Record<Role, number>> = { member: 0, admin: 1, owner: 2 };

export function roleAtLeast(role: Role, min: Role): boolean {
  return RANK[role] >= RANK[min];
}

export function can(actor: Actor, action: Action): boolean {
  return actor.kind === 'operator' || roleAtLeast(actor.role, MIN_ROLE[action]);
}

const WHO: Readonly<Record<Role, string>> = { owner: 'owners', admin: 'admins and owners', member: 'members' };

/** Throws FORBIDDEN unless the actor may perform the action. */
export function assertCan(actor: Actor, action: Action): void {
  if (!can(actor, action)) throw new ForbiddenError(`Only ${WHO[MIN_ROLE[action]]} can do this.`);
}

/** The user behind an actor, or null for the operator. */
export function actorUserId(actor: Actor | Person): string | null {
  return actor.kind === 'user' ? actor.userId : null;
}
