/**
 * The HTTP application: one Hono app for /mcp, health, metrics and the server-rendered pages.
 */
import { hostHeaderValidation, originValidation } from '@modelcontextprotocol/hono';
import { Hono } from 'hono';
import { oauthRoutes } from './auth/oauth/routes.js';
import { McpEndpoint } from './mcp/http.js';
import type { Runtime } from './runtime.js';
import { html, page } from './web/html.js';
import { setupRoutes } from './web/setup.js';

export interface App {
  hono: Hono;
  mcp: McpEndpoint;
  /** Starts refusing new work (readiness goes red) before the server drains. */
  drain(): void;
}

export function createApp(rt: Runtime): App {
  const app = new Hono();
  let draining = false;
  const resource = `${rt.config.publicUrl}/mcp`;
  const mcp = new McpEndpoint({
    deps: { store: rt.store, manager: rt.manager, audit: rt.audit, log: rt.log, rateLimiter: rt.rateLimiter, metrics: rt.metrics, keys: rt.keys },
    auth: rt.auth,
    resource,
    resourceMetadataUrl: rt.oauth ? `${rt.config.publicUrl}/.well-known/oauth-protected-resource/mcp` : undefined,
    maxBodyBytes: rt.config.maxBodyBytes,
  });
  rt.metrics.gauge('sequel_mcp_in_flight', 'MCP requests being served.', () => mcp.active);

  app.use('*', async (c, next) => {
    await next();
    const route = c.req.routePath === '/*' ? 'other' : c.req.routePath;
    rt.metrics.httpRequests.inc({ route, status: String(c.res.status) });
  });

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

  app.get('/', (c) =>
    c.html(
      page(
        'Sequel',
        html`<div class="card"><h1>Sequel is running</h1>
<p>MCP endpoint: <code>${resource}</code></p>
<p class="muted">Connect an MCP client with an API key (<code>npx sequel keys create --org default --name my-laptop</code>) sent as <code>Authorization: Bearer sql_…</code>.</p></div>`,
      ),
    ),
  );

  app.notFound((c) => c.json({ error: 'not_found', message: `No route for ${c.req.method} ${new URL(c.req.url).pathname}` }, 404));
  app.onError((err, c) => {
    rt.log.error('unhandled request error', { err, path: new URL(c.req.url).pathname });
    return c.json({ error: 'internal_error', message: 'Internal server error.' }, 500);
  });

  return {
    hono: app,
    mcp,
    drain() {
      draining = true;
    },
  };
}
