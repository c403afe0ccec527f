/**
 * The dashboard session cookie and CSRF tokens.
 *
 * Cookie: `HttpOnly`, `SameSite=Lax`, `Path=/`, and `Secure` with the `__Host-` prefix when the public URL
 * is https (RFC 6265bis §4.1.3.2). Its value is a random token; the store keeps a keyed hash.
 * CSRF: every state-changing request carries a token (form field `_csrf` or header `x-csrf-token`) that
 * is an HMAC of the session's stored hash, so it changes with the session and needs no storage; a
 * request without the right one is refused with 403 before any handler runs.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { ForbiddenError } from '../errors.js';
import { resumeSession, SESSION_MAX_MS, type Session } from '../ops/account.js';
import type { OpsDeps } from '../ops/deps.js';
import { safeEqual } from '../secrets.js';
import { assertSameOrigin, isStateChanging } from './security.js';

export interface SessionEnv {
  Variables: {
    session: Session;
    csrf: string;
  };
}

export interface CookieSettings {
  name: string;
  secure: boolean;
}

export function cookieSettings(publicUrl: string): CookieSettings {
  const secure = new URL(publicUrl).protocol === 'https:';
  return { name: secure ? '__Host-sequel_session' : 'sequel_session', secure };
}

export function setSessionCookie(c: Context, cookie: CookieSettings, token: string): void {
  setCookie(c, cookie.name, token, { httpOnly: true, sameSite: 'Lax', secure: cookie.secure, path: '/', maxAge: Math.floor(SESSION_MAX_MS / 1000) });
}

export function clearSessionCookie(c: Context, cookie: CookieSettings): void {
  deleteCookie(c, cookie.name, { path: '/', secure: cookie.secure });
}

export function csrfFor(deps: OpsDeps, session: Session): string {
  return deps.keys.hash('sessions', `csrf:${session.idHash}`);
}

/** Whether a presented CSRF token is the session's, under any key of the ring (a page rendered before a key rotation). */
export function csrfMatches(deps: OpsDeps, session: Session, presented: string): boolean {
  return deps.keys.hashes('sessions', `csrf:${session.idHash}`).some((h) => safeEqual(presented, h.hash));
}

/** Reads the CSRF token a request carries: the `_csrf` form field or the `x-csrf-token` header. */
async function presentedToken(c: Context): Promise<string> {
  const header = c.req.header('x-csrf-token');
  if (header) return header;
  const type = c.req.header('content-type') ?? '';
  if (type.startsWith('application/x-www-form-urlencoded') || type.startsWith('multipart/form-data')) {
    const body = await c.req.parseBody();
    return typeof body._csrf === 'string' ? body._csrf : '';
  }
  return '';
}

/**
 * Requires a live session (else redirects a page request to sign-in, or answers 401 to a script) and,
 * on state-changing requests, the same origin and the session's CSRF token (else 403).
 */
export function requireSession(deps: OpsDeps, opts: { publicUrl: string }): MiddlewareHandler<SessionEnv> {
  const cookie = cookieSettings(opts.publicUrl);
  const origin = new URL(opts.publicUrl).origin;
  return async (c, next) => {
    const session = await resumeSession(deps, getCookie(c, cookie.name) ?? '');
    if (!session) {
      if (isStateChanging(c) || c.req.header('accept')?.includes('application/json')) {
        return c.json({ error: 'unauthenticated', message: 'Sign in again.' }, 401);
      }
      const url = new URL(c.req.url);
      return c.redirect(`/signin?next=${encodeURIComponent(url.pathname + url.search)}`, 303);
    }
    const csrf = csrfFor(deps, session);
    if (isStateChanging(c)) {
      assertSameOrigin(c, origin);
      if (!csrfMatches(deps, session, await presentedToken(c))) throw new ForbiddenError('This form is no longer valid; reload the page and try again.');
    }
    c.set('session', session);
    c.set('csrf', csrf);
    await next();
  };
}

/** A `next` path to return to after sign-in: only a path on this server (never `//host` or a URL). */
export function safeNext(next: string | undefined): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/app';
  return next;
}
