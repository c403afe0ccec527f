/**
 * Password reset by a one-time link (issue 10): an owner or admin makes a link for a member who forgot
 * their password (the dashboard's Members page, or `sequel users reset-password`) and sends it to them;
 * the person opens it and sets a new password, which signs them out everywhere.
 *
 * Modelled on invitations: a random token, only its keyed hash stored, 24 h, works once, and a newer
 * link for the same person replaces the older one. The rules on who may make one follow the role rules
 * (admins for members and admins, only owners for owners) and one more: a password is the person's in
 * every organization they belong to, so a signed-in admin may reset it only when they manage the person
 * in each of those organizations — otherwise an owner of a small organization could take over someone
 * who is an owner elsewhere. The operator (the CLI) may reset anyone's.
 *
 * An unknown, expired, used or replaced link all get the same answer, so the page is no oracle; the
 * token appears in no log line.
 */
import { randomBytes } from 'node:crypto';
import { assertPasswordStrength, hashPassword } from '../auth/passwords.js';
import { ForbiddenError, NotFoundError, ValidationError } from '../errors.js';
import type { ResetLinkInfo } from '../store/passwordResets.js';
import type { PublicUser } from '../store/users.js';
import type { OpsDeps } from './deps.js';
import { actorUserId, assertCan, roleAtLeast, type Actor, type UserActor } from './permissions.js';

/** How long a reset link works. */
export const RESET_LINK_TTL_MS = 24 * 3_600_000;
/** Path of the page that sets the new password (the token follows). */
export const RESET_PATH = '/reset/';

/** The one answer for a link that does not work, whatever the reason. */
export const INVALID_RESET_LINK = 'This password reset link does not work: it was already used, replaced by a newer one, or has expired. Ask an owner or admin of your organization for a new one.';

function linkHash(deps: OpsDeps, token: string): string {
  return deps.keys.hash('sessions', `reset:${token}`);
}

export interface CreatedResetLink {
  link: ResetLinkInfo;
  /** Who the link is for. */
  email: string;
  /** The one-time token (the link is RESET_PATH + token); only its hash is stored. */
  token: string;
  /** Older unused links of the person that this one replaced. */
  superseded: number;
}

/**
 * A signed-in admin resets a password only when they manage the person everywhere the person is a
 * member: admin or owner in each of those organizations, and owner where the person is an owner.
 */
async function assertManagesEverywhere(deps: OpsDeps, actor: UserActor, userId: string, email: string): Promise<void> {
  for (const m of await deps.store.users.membershipsOf(userId)) {
    if (m.org_id === actor.orgId) continue;
    const mine = await deps.store.users.membership(m.org_id, actor.userId);
    const manages = !!mine && roleAtLeast(mine, 'admin') && (m.role !== 'owner' || mine === 'owner');
    if (!manages) {
      throw new ForbiddenError(
        `${email} also belongs to an organization where you cannot manage them, so you cannot reset their password. The server's operator can, with \`sequel users reset-password\`.`,
      );
    }
  }
}

/** Makes a one-time reset link for a member of the actor's organization. */
export async function createResetLink(deps: OpsDeps, actor: Actor, userId: string, nowMs = Date.now()): Promise<CreatedResetLink> {
  assertCan(actor, 'members.reset_password');
  const role = await deps.store.users.membership(actor.orgId, userId);
  if (!role) throw new NotFoundError('no such member in this organization');
  if (role === 'owner') assertCan(actor, 'members.manage_owners');
  const user = await deps.store.users.get(userId);
  if (!user) throw new NotFoundError('no such member in this organization');
  if (actor.kind === 'user' && actor.userId !== userId) await assertManagesEverywhere(deps, actor, userId, user.email);
  const creator = actor.kind === 'user' ? ((await deps.store.users.get(actor.userId))?.email ?? 'unknown') : 'cli';
  const at = new Date(nowMs).toISOString();
  // Making a link is rare: a good moment to drop the ones that can no longer be used.
  await deps.store.passwordResets.purgeDead(at);
  const token = randomBytes(24).toString('base64url');
  const { link, superseded } = await deps.store.passwordResets.create({
    userId,
    orgId: actor.orgId,
    tokenHash: linkHash(deps, token),
    createdByUserId: actorUserId(actor),
    createdBy: creator,
    expiresAt: new Date(nowMs + RESET_LINK_TTL_MS).toISOString(),
  });
  deps.log.info('password reset link created', { orgId: actor.orgId, userId, linkId: link.id, by: actorUserId(actor) ?? 'cli', superseded });
  return { link, email: user.email, token, superseded };
}

export interface PendingReset {
  link: ResetLinkInfo;
  user: PublicUser;
}

/**
 * What the reset link shows: the person's email, only while the link is live. A link stops working too
 * when the person has left the organization it was made in (its admins no longer manage them).
 */
export async function lookupResetLink(deps: OpsDeps, token: string): Promise<PendingReset> {
  // Every key of the ring: a link made before a server-key rotation is stored under the old key's hash.
  const link = token && token.length <= 100 ? (await deps.keys.findByHash('sessions', `reset:${token}`, (h) => deps.store.passwordResets.liveByHash(h)))?.found : undefined;
  const user = link && (await deps.store.users.get(link.user_id));
  if (!link || !user || !(await deps.store.users.membership(link.org_id, user.id))) throw new NotFoundError(INVALID_RESET_LINK);
  return { link, user };
}

/**
 * Sets the new password with the link: the link is used up, and every dashboard session of the person
 * ends (sign out everywhere), since whoever knew the old password may still be signed in.
 */
export async function resetPasswordWithLink(deps: OpsDeps, token: string, input: { password: string; confirm: string }): Promise<{ user: PublicUser; sessionsEnded: number }> {
  const { link, user } = await lookupResetLink(deps, token);
  if (input.password !== input.confirm) throw new ValidationError('The two passwords do not match.');
  assertPasswordStrength(input.password);
  const hash = await hashPassword(input.password);
  // Used up first: of two submissions at once, only one sets a password.
  if (!(await deps.store.passwordResets.markUsed(link.id))) throw new NotFoundError(INVALID_RESET_LINK);
  await deps.store.users.setPasswordHash(user.id, hash);
  const sessionsEnded = await deps.store.sessions.deleteAllOf(user.id);
  deps.log.info('password reset with a link', { userId: user.id, linkId: link.id, sessionsEnded });
  return { user, sessionsEnded };
}
