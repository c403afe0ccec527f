/**
 * The checks every data operation (sources, schema, activity, playground) makes before it touches the
 * store: the organization (every lookup is scoped by the actor's organization, so an id from another
 * organization is simply not found) and the permission, from the one table in ./permissions.ts. The
 * role is read from the store again at the operation, so a membership changed or removed since the
 * request began counts.
 */
import { ForbiddenError, NotFoundError } from '../errors.js';
import type { Role } from '../store/db.js';
import type { Runtime } from '../runtime.js';
import { assertCan, roleAtLeast, type Action, type Actor } from './permissions.js';

export type OpsActor = Actor;
export { ForbiddenError };

/** What the data operations need from the running server (connectors, audit, rate limits besides the store). */
export type OpsDeps = Pick<Runtime, 'store' | 'keys' | 'manager' | 'audit' | 'log' | 'rateLimiter' | 'metrics' | 'config'>;

/** The person behind an actor, or null for the operator. */
export function userIdOf(actor: OpsActor): string | null {
  return actor.kind === 'user' ? actor.userId : null;
}

/**
 * The actor's role as the store knows it now, failing closed: a person who is no longer a member finds
 * nothing, and a role claimed above the stored one counts for nothing.
 */
export async function currentRole(deps: Pick<OpsDeps, 'store'>, actor: OpsActor): Promise<Role> {
  if (actor.kind === 'operator') return 'owner';
  const role = await deps.store.users.membership(actor.orgId, actor.userId);
  if (!role) throw new NotFoundError('No such page.');
  return roleAtLeast(actor.role, role) ? role : actor.role;
}

/** Throws FORBIDDEN unless the actor's current role allows the action; returns that role. */
export async function requireCan(deps: Pick<OpsDeps, 'store'>, actor: OpsActor, action: Action): Promise<Role> {
  const role = await currentRole(deps, actor);
  assertCan(actor.kind === 'user' ? { ...actor, role } : actor, action);
  return role;
}

export function isAdmin(role: Role): boolean {
  return roleAtLeast(role, 'admin');
}
