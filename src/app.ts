/**
 * The HTTP application: one Hono app for /mcp, health, metrics and the server-rendered pages.
 */
import { hostHeaderValidation, originValidation } from '@modelcontextprotocol/hono';
import { Hono } from 'hono';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { oauthRoutes } from './auth/oauth/routes.js';
import { McpEndpoint } from './mcp/http.js';
import type { Runtime } from './runtime.js';
import { AppError, httpStatusOf } from './errors.js';
import { isSetUp } from './ops/account.js';
import { dashboardRoutes } from './web/dashboard.js';
import { HTTPException } from 'hono/http-exception';
import { BadForm, declaredBodyLimit, frameGuard } from './web/guard.js';
import { isStoreUnavailable } from './store/errors.js';
import { EpochCache } from './store/changes.js';
import type { SourceRecord } from './store/sources.js';
import { html, page } from './web/html.js';
import { loggablePath } from './web/security.js';
import { setupRoutes } from './web/setup.js';
import { assetRoutes } from './web/ui/assets.js';

export interface App {
  hono: Hono;
  mcp: McpEndpoint;
  /** Starts refusing new work (readiness goes red) before the server drains. */
  drain(): void;
  /**
   * Serves `POST /mcp` straight on node's request and response (McpEndpoint.handleNode) and returns true;
   * false for every other request, which goes to `hono`.
   */
  node(req: IncomingMessage, res: ServerResponse): boolean;
}

export function createApp(rt: Runtime): App {
  const app = new Hono();
  let draining = false;
  const resource = `${rt.config.publicUrl}/mcp`;
  const mcp = new McpEndpoint({
    deps: {
      store: rt.store,
      manager: rt.manager,
      audit: rt.audit,
      log: rt.log,
      rateLimiter: rt.rateLimiter,
      metrics: rt.metrics,
      keys: rt.keys,
      sourceCache: new EpochCache<SourceRecord[]>(),
    },
    auth: rt.auth,
    resource,
    resourceMetadataUrl: rt.oauth ? `${rt.config.publicUrl}/.well-known/oauth-protected-resource/mcp` : undefined,
    maxBodyBytes: rt.config.maxBodyBytes,
    allowedHosts: rt.config.allowedHosts,
    allowedOrigins: rt.config.allowedOrigins,
  });
  rt.metrics.gauge('sequel_mcp_in_flight', 'MCP requests being served.', () => mcp.active);

  app.use('*', async (c, next) => {
    await next();
    const route = c.req.routePath === '/*' ? 'other' : c.req.routePath;
    rt.metrics.httpRequests.inc({ route, status: String(c.res.status) });
  });

  // Every page, present and future, refuses to be framed; every body but /mcp's (own limit) is small.
  app.use('*', frameGuard);
  app.use('*', declaredBodyLimit(rt.config.maxFormBytes, (p) => p === '/mcp'));

  // DNS-rebinding protection (MCP Streamable HTTP, "Security Warning"): Host and Origin are checked by
  // the SDK's Hono adapter before anything else reads the request.
  app.use('/mcp', hostHeaderValidation(rt.config.allowedHosts), originValidation(rt.config.allowedOrigins));
  app.all('/mcp', (c) => {
    if (draining) return c.json({ jsonrpc: '2.0', error: { code: -32000, message: 'Server is shutting down; retry.' }, id: null }, 503, { 'retry-after': '1' });
    return mcp.fetch(c.req.raw);
  });

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    if (draining) return c.json({ status: 'draining' }, 503);
    try {
      await rt.store.ping();
      return c.json({ status: 'ready' });
    } catch {
      return c.json({ status: 'store unavailable' }, 503);
    }
  });
  app.get('/metrics', (c) => c.text(rt.metrics.render(), 200, { 'content-type': 'text/plain; version=0.0.4' }));

  app.route('/', setupRoutes(rt));
  if (rt.oauthServer) app.route('/', oauthRoutes(rt, rt.oauthServer));

  app.route('/', assetRoutes());
  app.route('/', dashboardRoutes(rt));

  // The dashboard is the front door; before the owner account exists, say where the setup link is.
  app.get('/', async (c) => {
    if (await isSetUp(rt)) return c.redirect('/app', 303);
    return c.html(
      page(
        'Sequel',
        html`<div class="card"><h1>Sequel is running</h1>
<p>MCP endpoint: <code>${resource}</code></p>
<p class="muted">To create the owner account, open the one-time setup link the server printed when it started (restart it to print a new one).</p></div>`,
      ),
    );
  });

  app.notFound((c) => c.json({ error: 'not_found', message: `No route for ${c.req.method} ${new URL(c.req.url).pathname}` }, 404));
  app.onError((err, c) => {
    // The client's fault, answered as such (a body over the limit, a form that does not parse).
    if (err instanceof HTTPException) return err.getResponse();
    if (err instanceof BadForm) return c.json({ error: 'bad_request', message: err.message }, 400);
    const status = httpStatusOf(err);
    if (err instanceof AppError && status < 500) return c.json({ error: err.code, message: err.message }, status);
    const pathname = loggablePath(new URL(c.req.url).pathname);
    if (isStoreUnavailable(err)) {
      // A store that is down, locked or out of disk passes: say so, and when to try again (RFC 9110 §15.6.4).
      rt.log.error('store unavailable', { err, path: pathname });
      const message = 'Sequel cannot reach its store right now; try again shortly.';
      const body = pathname === '/mcp' ? { jsonrpc: '2.0', error: { code: -32603, message }, id: null } : { error: 'store_unavailable', message };
      return c.json(body, 503, { 'retry-after': '2' });
    }
    rt.log.error('unhandled request error', { err, path: pathname });
    return c.json({ error: 'internal_error', message: 'Internal server error.' }, 500);
  });

  const count = (status: number) => rt.metrics.httpRequests.inc({ route: '/mcp', status: String(status) });
  return {
    hono: app,
    mcp,
    drain() {
      draining = true;
    },
    node(req, res) {
      // Only POST /mcp (a query string aside) while serving; draining answers and other methods stay on Hono.
      if (draining || req.method !== 'POST' || !(req.url === '/mcp' || req.url?.startsWith('/mcp?'))) return false;
      mcp.handleNode(req, res).then(count, (err: unknown) => {
        // The same mapping as onError above: a store that is down answers 503 + Retry-After, not 500.
        const unavailable = isStoreUnavailable(err);
        const status = unavailable ? 503 : 500;
        rt.log.error(unavailable ? 'store unavailable' : 'unhandled request error', { err, path: '/mcp' });
        if (!res.headersSent) {
          const body = unavailable
            ? { jsonrpc: '2.0', error: { code: -32603, message: 'Sequel cannot reach its store right now; try again shortly.' }, id: null }
            : { error: 'internal_error', message: 'Internal server error.' };
          res.writeHead(status, { 'content-type': 'application/json', ...(unavailable ? { 'retry-after': '2' } : {}) }).end(JSON.stringify(body));
        } else res.destroy();
        count(status);
      });
      return true;
    },
  };
}
