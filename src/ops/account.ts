/**
 * A person's own account and dashboard sessions. Sessions: a random token in an HttpOnly cookie, stored
 * only as a keyed hash; idle expiry (renewed as the person uses the dashboard, at most once a minute)
 * under an absolute limit; "sign out everywhere" ends them all; a password change ends every other one.
 */
import { randomBytes } from 'node:crypto';
import { assertPasswordStrength, hashPassword, verifyPassword } from '../auth/passwords.js';
import { NotFoundError, ValidationError } from '../errors.js';
import type { PublicUser } from '../store/users.js';
import type { OpsDeps } from './deps.js';

export const SESSION_IDLE_MS = 7 * 86_400_000;
export const SESSION_MAX_MS = 30 * 86_400_000;
const TOUCH_EVERY_MS = 60_000;

export interface Session {
  /** The keyed hash that names the session in the store (never the cookie value). */
  idHash: string;
  user: PublicUser;
  createdAt: string;
}

function sessionHash(deps: OpsDeps, token: string): string {
  return deps.keys.hash('sessions', `dashboard:${token}`);
}

/** Whether the first-run setup is done (an account exists). */
export async function isSetUp(deps: OpsDeps): Promise<boolean> {
  return (await deps.store.users.count()) > 0;
}

/** Starts a session; returns the cookie value (the only copy of it). */
export async function startSession(deps: OpsDeps, userId: string, userAgent: string | undefined, nowMs = Date.now()): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  const at = new Date(nowMs).toISOString();
  // Sign-ins are rare: a good moment to drop sessions that expired.
  await deps.store.sessions.purgeExpired(at);
  await deps.store.sessions.create({
    id_hash: sessionHash(deps, token),
    user_id: userId,
    created_at: at,
    last_seen_at: at,
    expires_at: new Date(nowMs + SESSION_IDLE_MS).toISOString(),
    user_agent: userAgent?.slice(0, 200) ?? null,
  });
  return token;
}

/** The live session a cookie names, renewed for idle expiry; undefined when it is unknown, expired or revoked. */
export async function resumeSession(deps: OpsDeps, token: string, nowMs = Date.now()): Promise<Session | undefined> {
  if (!token || token.length > 100) return undefined;
  // During a server-key rotation, a session started before it is stored under a previous key's hash.
  const hit = await deps.keys.findByHash('sessions', `dashboard:${token}`, (h) => deps.store.sessions.find(h, new Date(nowMs).toISOString()));
  if (!hit) return undefined;
  const { found: row, hash: idHash } = hit;
  const user = await deps.store.users.get(row.user_id);
  if (!user) return undefined;
  if (nowMs - Date.parse(row.last_seen_at) > TOUCH_EVERY_MS) {
    const hardLimit = Date.parse(row.created_at) + SESSION_MAX_MS;
    await deps.store.sessions.touch(idHash, new Date(nowMs).toISOString(), new Date(Math.min(nowMs + SESSION_IDLE_MS, hardLimit)).toISOString());
  }
  return { idHash, user, createdAt: row.created_at };
}

export async function endSession(deps: OpsDeps, session: Session): Promise<void> {
  await deps.store.sessions.delete(session.idHash);
}

/** Sign out everywhere: every session of the person, this one included. */
export async function endAllSessions(deps: OpsDeps, userId: string): Promise<number> {
  const n = await deps.store.sessions.deleteAllOf(userId);
  deps.log.info('signed out everywhere', { userId, sessions: n });
  return n;
}

/** Changes the password (the current one is required) and ends every other session of the person. */
export async function changePassword(deps: OpsDeps, session: Session, input: { current: string; next: string; confirm: string }): Promise<void> {
  const row = await deps.store.users.byEmailWithHash(session.user.email);
  if (!row) throw new NotFoundError('no such user');
  if (!row.password_hash || !(await verifyPassword(input.current, row.password_hash))) throw new ValidationError('The current password is wrong.');
  if (input.next !== input.confirm) throw new ValidationError('The new passwords do not match.');
  assertPasswordStrength(input.next);
  await deps.store.users.setPasswordHash(row.id, await hashPassword(input.next));
  await deps.store.sessions.deleteAllOf(row.id, session.idHash);
  deps.log.info('password changed', { userId: row.id });
}
