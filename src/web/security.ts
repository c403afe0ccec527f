/**
 * Headers and request checks every dashboard page gets: a strict Content-Security-Policy (scripts and
 * styles from this server only, no inline script or style; no framing: `frame-ancestors 'none'`,
 * CSP3 §7.7.3), no caching of pages, a body-size limit on every form, and the origin check that backs the
 * CSRF token.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { ForbiddenError } from '../errors.js';

export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

/** Largest form body the dashboard accepts. */
export const MAX_FORM_BYTES = 64 * 1024;

export function pageHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const type = c.res.headers.get('content-type') ?? '';
    if (type.startsWith('text/html') || type.startsWith('application/json')) {
      c.header('content-security-policy', DASHBOARD_CSP);
      c.header('x-frame-options', 'DENY');
      c.header('x-content-type-options', 'nosniff');
      c.header('referrer-policy', 'same-origin');
      c.header('cache-control', 'no-store');
    }
  };
}

export function formLimit(): MiddlewareHandler {
  return bodyLimit({
    maxSize: MAX_FORM_BYTES,
    onError: (c) => c.text('The form is too large.', 413),
  });
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function isStateChanging(c: Context): boolean {
  return UNSAFE.has(c.req.method);
}

/**
 * Refuses a state-changing request a browser says came from another site: a foreign `Origin`
 * (RFC 6454 §7), `Origin: null`, or `Sec-Fetch-Site: cross-site`. The CSRF token is checked as well;
 * this only closes the door earlier.
 */
export function assertSameOrigin(c: Context, publicOrigin: string): void {
  const origin = c.req.header('origin');
  if (origin !== undefined && origin.toLowerCase() !== publicOrigin.toLowerCase()) throw new ForbiddenError('This form was submitted from another site.');
  const site = c.req.header('sec-fetch-site');
  if (site === 'cross-site') throw new ForbiddenError('This form was submitted from another site.');
}

/** A path fit for the log: the capability token of an invitation or password reset link is cut off. */
export function loggablePath(pathname: string): string {
  return pathname.replace(/^\/(invite|reset)\/[^/]+/, '/$1/…');
}
