/**
 * HTTP routes of the authorization server on Sequel's Hono app:
 *
 * - RFC 9728 protected-resource metadata at `/.well-known/oauth-protected-resource/mcp` (the path-inserted
 *   form for the `/mcp` resource) and at the root form, with CORS for browser-based clients;
 * - RFC 8414 / OpenID discovery, the authorize, token, registration, revocation and JWKS endpoints —
 *   served by oidc-provider, which needs Node's own request and response (@hono/node-server hands them
 *   over as `c.env.incoming` / `c.env.outgoing`; the handler writes the response itself and Hono is told
 *   so with RESPONSE_ALREADY_SENT);
 * - the sign-in and consent pages (src/web/oauth.ts).
 *
 * Host is checked as on /mcp (DNS-rebinding protection for the sign-in pages).
 */
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { Hono, type MiddlewareHandler } from 'hono';
import type { Runtime } from '../../runtime.js';
import { interactionRoutes } from '../../web/oauth.js';
import { addressKey } from '../clientAddress.js';
import { clientIp, nodeEnv } from './node.js';
import { OAUTH_ROUTES, type OAuthServer } from './provider.js';
import { Throttle } from './throttle.js';

const PRM_PATHS = ['/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource'];
const PROVIDER_PATHS = [
  '/.well-known/openid-configuration',
  '/.well-known/oauth-authorization-server',
  OAUTH_ROUTES.authorization,
  `${OAUTH_ROUTES.authorization}/*`,
  OAUTH_ROUTES.token,
  OAUTH_ROUTES.registration,
  OAUTH_ROUTES.revocation,
  OAUTH_ROUTES.jwks,
  // oidc-provider always mounts the logout confirmation; it is unused but must not be a 404 from Hono.
  `${OAUTH_ROUTES.end_session}/*`,
];

/**
 * Dynamic registrations per client address (IPv6 by /64, the forwarded-for address behind a trusted
 * proxy) per window: generous for clients that register twice in a row. Counted before the registration
 * is processed, so concurrent requests cannot all pass under the limit.
 */
const REGISTRATIONS_PER_WINDOW = 60;

export function oauthRoutes(rt: Runtime, server: OAuthServer): Hono {
  const app = new Hono();
  const allowedHosts = new Set(rt.config.allowedHosts.map((h) => h.toLowerCase()));
  const registrations = new Throttle(REGISTRATIONS_PER_WINDOW, 10 * 60_000);

  // Only on this module's paths: a sub-app's middleware applies to every route after it once mounted.
  const hostCheck: MiddlewareHandler = async (c, next) => {
    const host = c.req.header('host')?.toLowerCase();
    // SEQUEL_ALLOWED_HOSTS may list `host:port` or bare hostnames (port-agnostic); accept either form.
    let hostname: string | undefined;
    try {
      hostname = host ? new URL(`http://${host}`).hostname : undefined;
    } catch {
      hostname = undefined;
    }
    if (!host || !(allowedHosts.has(host) || (hostname !== undefined && allowedHosts.has(hostname)))) {
      return c.json({ error: 'invalid_request', error_description: `Host "${host ?? ''}" is not allowed; set SEQUEL_PUBLIC_URL or SEQUEL_ALLOWED_HOSTS.` }, 403);
    }
    await next();
  };
  app.use('/oauth/*', hostCheck);
  app.use('/.well-known/*', hostCheck);

  for (const path of PRM_PATHS) {
    app.on(['GET', 'HEAD'], path, (c) =>
      c.json(server.protectedResourceMetadata(), 200, { 'access-control-allow-origin': '*', 'cache-control': 'public, max-age=3600' }),
    );
    app.options(path, (c) =>
      c.body(null, 204, {
        'access-control-allow-origin': '*',
        'access-control-allow-methods': 'GET',
        'access-control-allow-headers': c.req.header('access-control-request-headers') ?? '*',
        'access-control-max-age': '3600',
      }),
    );
  }

  app.route('/', interactionRoutes(rt, server));

  for (const path of PROVIDER_PATHS) {
    app.all(path, async (c) => {
      const node = nodeEnv(c);
      if (!node) {
        // Only reachable when the app is driven without @hono/node-server (e.g. app.request() in a test).
        return c.json({ error: 'server_error', error_description: 'The OAuth endpoints need the Node HTTP server.' }, 500);
      }
      if (c.req.method === 'POST' && new URL(c.req.url).pathname === OAUTH_ROUTES.registration) {
        const ip = addressKey(clientIp(c, rt.config.trustProxy));
        const wait = registrations.blockedFor(ip);
        if (wait > 0) {
          return c.json(
            { error: 'invalid_request', error_description: 'Too many client registrations from this address; try again later.' },
            429,
            { 'retry-after': String(Math.ceil(wait / 1000)) },
          );
        }
        registrations.hit(ip);
      }
      await server.handle(node.incoming, node.outgoing);
      return RESPONSE_ALREADY_SENT;
    });
  }
  return app;
}
