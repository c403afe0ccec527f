/**
 * Members of an organization: list, invite by a one-time link, accept, change role, remove.
 *
 * Rules (server-side, whatever the form says): admins manage members and admins; only owners make,
 * demote or remove owners; the last owner can neither be demoted nor leave. Removing a member revokes
 * their keys and OAuth authorizations in the organization, effective at their next request.
 */
import { randomBytes } from 'node:crypto';
import { assertPasswordStrength, hashPassword } from '../auth/passwords.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../errors.js';
import type { Role } from '../store/db.js';
import type { InvitationInfo } from '../store/invitations.js';
import type { Organization } from '../store/orgs.js';
import { assertRole, normalizeEmail, type Member, type PublicUser } from '../store/users.js';
import type { OpsDeps } from './deps.js';
import { actorUserId, assertCan, can, type Actor } from './permissions.js';

/** How long an invitation link works. */
export const INVITATION_TTL_MS = 7 * 86_400_000;
/** Path of the page that accepts an invitation (the token follows). */
export const INVITE_PATH = '/invite/';

export async function listMembers(deps: OpsDeps, actor: Actor): Promise<Member[]> {
  assertCan(actor, 'members.list');
  return deps.store.users.members(actor.orgId);
}

/** The CLI's `users create`: the operator makes an account with a password and adds it to the organization. */
export async function createMember(deps: OpsDeps, actor: Actor, input: { email: string; name?: string; password: string; role: string }): Promise<PublicUser & { role: Role }> {
  if (actor.kind !== 'operator') throw new ForbiddenError('Invite people with a link instead.');
  const role = input.role;
  assertRole(role);
  assertPasswordStrength(input.password);
  const user = await deps.store.users.create({ email: input.email, name: input.name ?? null, passwordHash: await hashPassword(input.password) });
  await deps.store.users.addMembership(actor.orgId, user.id, role);
  return { ...user, role };
}

function assertMayGrant(actor: Actor, role: Role): void {
  assertCan(actor, 'members.change_role');
  if (role === 'owner') assertCan(actor, 'members.manage_owners');
}

export interface CreatedInvitation {
  invitation: InvitationInfo;
  /** The one-time token (the link is INVITE_PATH + token); only its hash is stored. */
  token: string;
}

export async function inviteMember(deps: OpsDeps, actor: Actor, input: { email: string; role: string }): Promise<CreatedInvitation> {
  assertCan(actor, 'members.invite');
  const role = input.role;
  assertRole(role);
  assertMayGrant(actor, role);
  const email = normalizeEmail(input.email);
  const existing = await deps.store.users.byEmail(email);
  if (existing && (await deps.store.users.membership(actor.orgId, existing.id))) throw new ConflictError(`${email} is already a member`);
  const token = randomBytes(24).toString('base64url');
  const inviter = actor.kind === 'user' ? ((await deps.store.users.get(actor.userId))?.email ?? 'unknown') : 'cli';
  const invitation = await deps.store.invitations.create({
    orgId: actor.orgId,
    email,
    role,
    tokenHash: deps.keys.hash('sessions', `invite:${token}`),
    invitedByUserId: actorUserId(actor),
    invitedBy: inviter,
    expiresAt: new Date(Date.now() + INVITATION_TTL_MS).toISOString(),
  });
  deps.log.info('member invited', { orgId: actor.orgId, invitationId: invitation.id, role });
  return { invitation, token };
}

export async function listInvitations(deps: OpsDeps, actor: Actor): Promise<InvitationInfo[]> {
  assertCan(actor, 'members.invite');
  return deps.store.invitations.listPending(actor.orgId);
}

export async function revokeInvitation(deps: OpsDeps, actor: Actor, id: string): Promise<InvitationInfo> {
  assertCan(actor, 'members.invite');
  return deps.store.invitations.revoke(actor.orgId, id);
}

export interface PendingInvitation {
  invitation: InvitationInfo;
  org: Organization;
  /** Whether an account with the invited email exists (sign in) or not (sign up). */
  accountExists: boolean;
}

/** What the invitation link shows: nothing about the organization unless the token is live. */
export async function lookupInvitation(deps: OpsDeps, token: string): Promise<PendingInvitation> {
  // Every key of the ring: an invitation sent before a server-key rotation is stored under the old key's hash.
  const invitation = token ? (await deps.keys.findByHash('sessions', `invite:${token}`, (h) => deps.store.invitations.pendingByHash(h)))?.found : undefined;
  const org = invitation && (await deps.store.orgs.get(invitation.org_id));
  if (!invitation || !org) throw new NotFoundError('This invitation link is not valid: it was used, revoked or has expired.');
  return { invitation, org, accountExists: !!(await deps.store.users.byEmail(invitation.email)) };
}

/** A signed-in person accepts: they must be the invited email. */
export async function acceptInvitation(deps: OpsDeps, userId: string, token: string): Promise<Organization> {
  const { invitation, org } = await lookupInvitation(deps, token);
  const user = await deps.store.users.get(userId);
  if (!user || user.email !== invitation.email) {
    throw new ForbiddenError(`This invitation is for ${invitation.email}; sign in with that account to accept it.`);
  }
  if (!(await deps.store.invitations.markAccepted(invitation.id))) throw new NotFoundError('This invitation link was just used.');
  if (!(await deps.store.users.membership(org.id, user.id))) await deps.store.users.addMembership(org.id, user.id, invitation.role);
  deps.log.info('invitation accepted', { orgId: org.id, userId: user.id });
  return org;
}

/** Someone without an account accepts: the account is created with the invited email. */
export async function signUpWithInvitation(deps: OpsDeps, token: string, input: { name?: string; password: string }): Promise<{ user: PublicUser; org: Organization }> {
  const { invitation, accountExists } = await lookupInvitation(deps, token);
  if (accountExists) throw new ConflictError(`An account for ${invitation.email} exists already; sign in to accept.`);
  assertPasswordStrength(input.password);
  const user = await deps.store.users.create({ email: invitation.email, name: input.name ?? null, passwordHash: await hashPassword(input.password) });
  const org = await acceptInvitation(deps, user.id, token);
  return { user, org };
}

async function targetRole(deps: OpsDeps, actor: Actor, userId: string): Promise<Role> {
  const role = await deps.store.users.membership(actor.orgId, userId);
  if (!role) throw new NotFoundError('no such member in this organization');
  return role;
}

export async function changeRole(deps: OpsDeps, actor: Actor, input: { userId: string; role: string }): Promise<Member> {
  const role = input.role;
  assertRole(role);
  const current = await targetRole(deps, actor, input.userId);
  assertMayGrant(actor, role);
  if (current === 'owner') assertCan(actor, 'members.manage_owners');
  if (current === 'owner' && role !== 'owner' && (await deps.store.users.ownerCount(actor.orgId)) <= 1) {
    throw new ValidationError('The last owner cannot be demoted: make someone else an owner first.');
  }
  await deps.store.users.setRole(actor.orgId, input.userId, role);
  deps.log.info('member role changed', { orgId: actor.orgId, userId: input.userId, role });
  const m = (await deps.store.users.members(actor.orgId)).find((x) => x.id === input.userId);
  if (!m) throw new NotFoundError('no such member in this organization');
  return m;
}

export interface RemovedMember {
  email: string;
  keysRevoked: number;
  authorizationsRevoked: number;
}

/**
 * Removes a member (an admin's action; anyone may remove themselves, i.e. leave). Their keys and OAuth
 * authorizations in the organization are revoked, and the counts say so.
 */
export async function removeMember(deps: OpsDeps, actor: Actor, userId: string): Promise<RemovedMember> {
  const current = await targetRole(deps, actor, userId);
  const leaving = actor.kind === 'user' && actor.userId === userId;
  if (!leaving) assertCan(actor, 'members.remove');
  if (current === 'owner' && !leaving) assertCan(actor, 'members.manage_owners');
  if (current === 'owner' && (await deps.store.users.ownerCount(actor.orgId)) <= 1) {
    throw new ValidationError('The last owner cannot leave or be removed: make someone else an owner first.');
  }
  const user = await deps.store.users.get(userId);
  const { keysRevoked } = await deps.store.users.removeMembership(actor.orgId, userId);
  const authorizationsRevoked = await deps.store.oauth.revokeAuthorizationsOfMember(actor.orgId, userId);
  deps.log.info('member removed', { orgId: actor.orgId, userId, keysRevoked, authorizationsRevoked });
  return { email: user?.email ?? userId, keysRevoked, authorizationsRevoked };
}

/** Finds a member by email (the CLI names people by email). */
export async function memberByEmail(deps: OpsDeps, actor: Actor, email: string): Promise<Member> {
  const e = email.trim().toLowerCase();
  const m = (await listMembers(deps, actor)).find((x) => x.email === e);
  if (!m) throw new NotFoundError(`no member ${e} in this organization`);
  return m;
}

export { can };

/** Adds a person who already has an account (in another organization) to this one, with a role. */
export async function addExistingMember(deps: OpsDeps, actor: Actor, input: { email: string; role: string }): Promise<Member> {
  const role = input.role;
  assertRole(role);
  assertMayGrant(actor, role);
  const email = normalizeEmail(input.email);
  const user = await deps.store.users.byEmail(email);
  if (!user) throw new NotFoundError(`no account ${email}; create it with \`sequel users create\` (or invite them from the dashboard)`);
  if (await deps.store.users.membership(actor.orgId, user.id)) throw new ConflictError(`${email} is already a member of this organization`);
  await deps.store.users.addMembership(actor.orgId, user.id, role);
  deps.log.info('member added', { orgId: actor.orgId, userId: user.id, role });
  const m = (await deps.store.users.members(actor.orgId)).find((x) => x.id === user.id);
  if (!m) throw new NotFoundError('no such member in this organization');
  return m;
}
