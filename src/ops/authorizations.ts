/**
 * OAuth authorizations ("Connected apps"): members see and revoke their own, admins everyone's in the
 * organization. Revoking deletes every token of the grant, so the app's next request fails on every replica.
 */
import { NotFoundError } from '../errors.js';
import type { AuthorizationInfo } from '../store/oauth.js';
import type { OpsDeps } from './deps.js';
import { actorUserId, can, type Actor } from './permissions.js';

export type AuthorizationView = AuthorizationInfo;

export async function listAuthorizations(deps: OpsDeps, actor: Actor): Promise<AuthorizationView[]> {
  const all = await deps.store.oauth.listAuthorizations(actor.orgId);
  return can(actor, 'authorizations.see_all') ? all : all.filter((a) => a.user_id === actorUserId(actor));
}

export async function revokeAuthorization(deps: OpsDeps, actor: Actor, id: string): Promise<AuthorizationView> {
  if (!can(actor, 'authorizations.revoke_any')) {
    const own = (await listAuthorizations(deps, actor)).find((a) => a.id === id.trim());
    if (!own) throw new NotFoundError(`no active authorization "${id}" of yours in this organization`);
  }
  const a = await deps.store.oauth.revokeAuthorization(actor.orgId, id);
  deps.log.info('oauth authorization revoked', { orgId: actor.orgId, authorizationId: a.id, by: actorUserId(actor) ?? 'cli' });
  return a;
}
