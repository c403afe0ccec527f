/**
 * HTTP hardening shared by every page and form (everything but /mcp, which has its own limits):
 *
 * - framing: no page may be framed (clickjacking) — `X-Frame-Options: DENY` and CSP
 *   `frame-ancestors 'none'` (CSP Level 2 §7.7) on every HTML response, in one middleware so new pages
 *   get them without thinking about it;
 * - request bodies: a small limit (SEQUEL_MAX_FORM_BYTES, 64 KiB) checked from Content-Length before
 *   anything reads the body, and counted while reading a chunked one; the answer is 413 and the
 *   connection is closed rather than drained;
 * - forms: a body that does not parse (malformed multipart, say) is the client's error — 400, not 500.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { html, page } from './html.js';

export const FRAME_HEADERS = { 'x-frame-options': 'DENY', frameAncestors: "frame-ancestors 'none'" } as const;

/** The Content-Security-Policy value with `frame-ancestors 'none'` added when it names none. */
export function withFrameAncestors(csp: string | null | undefined): string {
  if (!csp?.trim()) return FRAME_HEADERS.frameAncestors;
  return /(^|;)\s*frame-ancestors\b/i.test(csp) ? csp : `${csp.replace(/;\s*$/, '')}; ${FRAME_HEADERS.frameAncestors}`;
}

/** Adds the framing headers to HTML responses (Hono). */
export const frameGuard: MiddlewareHandler = async (c, next) => {
  await next();
  const type = c.res.headers.get('content-type') ?? '';
  if (!type.toLowerCase().startsWith('text/html')) return;
  c.res.headers.set('x-frame-options', FRAME_HEADERS['x-frame-options']);
  c.res.headers.set('content-security-policy', withFrameAncestors(c.res.headers.get('content-security-policy')));
};

function tooLarge(c: Context): Response {
  // The OAuth endpoints a client calls (token, registration, revocation…) answer errors in JSON
  // (RFC 6749 §5.2, RFC 7591 §3.2.2); the pages a browser shows get a page.
  const p = c.req.path;
  if (p.startsWith('/oauth/') && p !== '/oauth/authorize' && !p.startsWith('/oauth/interaction/')) {
    return c.json({ error: 'invalid_request', error_description: 'The request body is too large.' }, 413, { connection: 'close' });
  }
  return c.html(
    page('Request too large', html`<div class="card"><h1>Request too large</h1><p class="muted">This server accepts small forms only.</p></div>`),
    413,
    { connection: 'close' },
  );
}

/**
 * Refuses a declared body larger than `maxBytes` before any handler runs. Bodies without a length
 * (chunked) are left to `formBodyLimit` on the routes that read them through Hono, and to the OAuth
 * library's own 56 KiB cap on its endpoints (which read Node's stream directly: touching the body here
 * would consume it).
 */
export function declaredBodyLimit(maxBytes: number, skip: (path: string) => boolean): MiddlewareHandler {
  return async (c, next) => {
    const length = c.req.header('content-length');
    if (length !== undefined && !skip(c.req.path)) {
      const n = Number(length);
      if (!Number.isFinite(n) || n > maxBytes) return tooLarge(c);
    }
    await next();
  };
}

/** Counts a form body while it is read (chunked bodies too) and refuses it past `maxBytes`. */
export function formBodyLimit(maxBytes: number): MiddlewareHandler {
  return bodyLimit({ maxSize: maxBytes, onError: (c) => tooLarge(c) });
}

/** A form body that could not be parsed. */
export class BadForm extends Error {
  constructor() {
    super('The form could not be read.');
  }
}

/** The form's string fields (file parts ignored); `BadForm` when the body does not parse. */
export async function readForm(c: Context): Promise<Record<string, string>> {
  let body: Record<string, unknown>;
  try {
    body = await c.req.parseBody();
  } catch (err) {
    if (err instanceof HTTPException) throw err;
    throw new BadForm();
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(body)) if (typeof v === 'string') out[k] = v;
  return out;
}
