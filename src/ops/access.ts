/**
 * Who performs an operation, and the checks every operation of this folder makes before it touches the
 * store: the organization (every lookup is scoped by the actor's organization, so an id from another
 * organization is simply not found) and the role. The dashboard and the CLI call these operations; neither
 * touches the store directly.
 */
import { AppError, NotFoundError } from '../errors.js';
import type { Role } from '../store/db.js';
import type { Runtime } from '../runtime.js';

/**
 * The operator (the CLI: whoever holds the store's credentials can do anything already) or a signed-in
 * person acting in one organization with a role — the dashboard frame's `Actor` (ops/permissions.ts).
 */
export type OpsActor = { kind: 'operator'; orgId: string } | { kind: 'user'; userId: string; orgId: string; role: Role };

/** The person behind an actor, or null for the operator. */
export function userIdOf(actor: OpsActor): string | null {
  return actor.kind === 'user' ? actor.userId : null;
}

/** What the operations need from the running server. */
export type OpsDeps = Pick<Runtime, 'store' | 'keys' | 'manager' | 'audit' | 'log' | 'rateLimiter' | 'metrics' | 'config'>;

/** The actor's role does not allow the operation (the organization is right). */
export class ForbiddenError extends AppError {
  constructor(message: string) {
    super('FORBIDDEN', message);
  }
}

const RANK: Record<Role, number> = { member: 0, admin: 1, owner: 2 };

/**
 * The actor's role as the store knows it now (a membership changed or removed since the session began
 * counts), failing closed: a person who is no longer a member finds nothing.
 */
export async function currentRole(deps: Pick<OpsDeps, 'store'>, actor: OpsActor): Promise<Role> {
  if (actor.kind === 'operator') return 'owner';
  const role = await deps.store.users.membership(actor.orgId, actor.userId);
  if (!role) throw new NotFoundError('no such organization');
  // Never more than the caller claims, never more than the store says.
  return RANK[role] < RANK[actor.role] ? role : actor.role;
}

export async function requireRole(deps: Pick<OpsDeps, 'store'>, actor: OpsActor, min: Role, what: string): Promise<Role> {
  const role = await currentRole(deps, actor);
  if (RANK[role] < RANK[min]) throw new ForbiddenError(`only ${min === 'admin' ? 'admins and owners' : 'owners'} can ${what}`);
  return role;
}

export function isAdmin(role: Role): boolean {
  return RANK[role] >= RANK.admin;
}
