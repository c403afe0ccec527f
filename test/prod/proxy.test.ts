/**
 * A real front door: two Sequel replicas on one PostgreSQL store, behind Debian's nginx terminating TLS
 * with a certificate of the test's own CA, configured with the nginx block of docs/deploy.md (only the
 * addresses, port and certificate paths substituted). Through it: API keys (a revocation on one replica
 * refused by the other), the whole OAuth flow with the official SDK client (its requests spread over both
 * replicas, as nginx's access log shows), cookies marked Secure, and client addresses taken from
 * X-Forwarded-For only because nginx is a trusted proxy.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { Client, StreamableHTTPClientTransport, UnauthorizedError } from '@modelcontextprotocol/client';
import { Agent, getGlobalDispatcher, setGlobalDispatcher, type Dispatcher } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveClientAddress } from '../../src/auth/clientAddress.js';
import { authorizeInBrowser, createUser, MemoryOAuthProvider, PASSWORD, startCallbackServer, type CallbackServer } from '../oauth/helpers.js';
import { requireNginx, startNginx, type Nginx } from '../helpers/nginx.js';
import { makePki, type TestPki } from '../helpers/privateServers.js';
import { freePort, startTestServer, type TestServer } from '../helpers/server.js';
import { createTempPgDatabase, requireService, type TempDatabase } from '../helpers/services.js';
import { makeShopFile } from '../helpers/sqliteFile.js';

const pgUp = await requireService('postgres', 'replicas behind nginx on a PostgreSQL store');
const NGINX = requireNginx('replicas behind nginx');

type ToolResult = { isError?: boolean; structuredContent?: Record<string, unknown> };

describe.skipIf(!pgUp || !NGINX)('two replicas behind nginx with TLS', () => {
  let pki: TestPki;
  let store: TempDatabase;
  let a: TestServer;
  let b: TestServer;
  let proxy: Nginx;
  let cb: CallbackServer;
  let previousDispatcher: Dispatcher;
  let shopDir: string;

  beforeAll(async () => {
    pki = makePki();
    // The test's CA is trusted by this process's fetch (and so by the SDK client), as a user's OS would.
    previousDispatcher = getGlobalDispatcher();
    setGlobalDispatcher(new Agent({ connect: { ca: [...tls.rootCertificates, pki.ca] } }));
    store = await createTempPgDatabase('sequel_proxy');
    // Both replicas must know the public URL before nginx has its port: reserve it first.
    const publicPort = await freePort();
    const env = {
      SEQUEL_SECRET_KEY: 'b'.repeat(64),
      SEQUEL_PUBLIC_URL: `https://localhost:${publicPort}`,
      // nginx connects from loopback; nothing else is trusted.
      SEQUEL_TRUST_PROXY: '127.0.0.1',
    };
    a = await startTestServer({ databaseUrl: store.url, demo: false, env });
    b = await startTestServer({ databaseUrl: store.url, demo: false, env });
    proxy = await startNginx(pki, [new URL(a.url).host, new URL(b.url).host], publicPort);
    shopDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sequel-proxy-shop-'));
    await a.source('default', { name: 'shop', engine: 'sqlite', url: makeShopFile(1_000, shopDir) });
    await createUser(a, 'ops@example.com', [['default', 'owner']]);
    cb = await startCallbackServer();
  }, 180_000);

  afterAll(async () => {
    await proxy?.stop();
    await cb?.close();
    await a?.close();
    await b?.close();
    await store?.drop();
    if (shopDir) fs.rmSync(shopDir, { recursive: true, force: true });
    if (pki) fs.rmSync(pki.dir, { recursive: true, force: true });
    if (previousDispatcher) setGlobalDispatcher(previousDispatcher);
  }, 120_000);

  it('serves https with the test CA, and the MCP endpoint names the https resource', async () => {
    const r = await fetch(`${proxy.url}/.well-known/oauth-protected-resource/mcp`);
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ resource: `${proxy.url}/mcp`, authorization_servers: [proxy.url] });
  });

  it('API keys work through the proxy, and a revocation on one replica holds on both', async () => {
    const key = await a.key('default', { name: 'proxy-key' });
    const client = new Client({ name: 'proxy-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${proxy.url}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${key.key}` } } }));
    for (let i = 0; i < 4; i++) {
      const r = (await client.callTool({ name: 'run_query', arguments: { source: 'shop', sql: 'select count(*) as n from customers' } })) as ToolResult;
      expect(r.isError).toBeFalsy();
    }
    const served = new Set(proxy.accessLog().filter((l) => l.request.startsWith('POST /mcp') && l.status === 200).map((l) => l.upstream));
    expect(served).toEqual(new Set([new URL(a.url).host, new URL(b.url).host]));
    await b.rt.store.apiKeys.revoke(key.info.org_id, key.info.id);
    for (let i = 0; i < 4; i++) {
      const r = await fetch(`${proxy.url}/mcp`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
      });
      expect(r.status).toBe(401);
    }
    await client.close();
  }, 120_000);

  it('the OAuth flow with the SDK client: its steps land on both replicas, refresh works, cookies are Secure', async () => {
    const provider = new MemoryOAuthProvider(cb.url);
    const mcpUrl = new URL(`${proxy.url}/mcp`);
    const first = new Client({ name: 'proxy-oauth', version: '1.0.0' });
    await expect(first.connect(new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider }))).rejects.toThrow(UnauthorizedError);
    const before = proxy.accessLog().length;
    // The user's browser, through the proxy; every Set-Cookie it receives is checked for Secure.
    const cookieLines: string[] = [];
    const realFetch = globalThis.fetch;
    globalThis.fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
      const res = await realFetch(input, init);
      cookieLines.push(...res.headers.getSetCookie());
      return res;
    }) as typeof fetch;
    let redirect: URL;
    try {
      redirect = await authorizeInBrowser(proxy.url, provider.authorizationUrl!.href, { email: 'ops@example.com', password: PASSWORD });
    } finally {
      globalThis.fetch = realFetch;
    }
    expect(redirect.origin + redirect.pathname).toBe(cb.url);
    expect(cookieLines.length).toBeGreaterThan(0);
    for (const line of cookieLines) expect(line).toMatch(/;\s*secure/i);
    await new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider }).finishAuth(redirect.searchParams);
    const client = new Client({ name: 'proxy-oauth', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider }));
    const list = (await client.callTool({ name: 'list_sources', arguments: {} })) as ToolResult;
    expect((list.structuredContent!.sources as Array<{ name: string }>).map((s) => s.name)).toEqual(['shop']);

    // Refresh through the proxy, then call with the new token.
    const refreshed = await fetch(`${proxy.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: provider.savedTokens!.refresh_token!, client_id: provider.client!.client_id, resource: mcpUrl.href }),
    });
    expect(refreshed.status).toBe(200);
    const tokens = (await refreshed.json()) as { access_token: string };
    const withNew = await fetch(mcpUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.access_token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(withNew.status).toBe(200);
    await client.close();

    // The flow's requests (authorize, sign-in, consent, token, refresh) were served by both replicas.
    const flow = proxy.accessLog().slice(before).filter((l) => /\/oauth\//.test(l.request));
    expect(flow.length).toBeGreaterThan(3);
    expect(new Set(flow.map((l) => l.upstream))).toEqual(new Set([new URL(a.url).host, new URL(b.url).host]));
    expect(flow.filter((l) => l.status >= 500)).toEqual([]);
  }, 180_000);

  it('client addresses come from X-Forwarded-For only through a trusted hop', () => {
    const trust = a.rt.config.trustProxy;
    // nginx (127.0.0.1, trusted) appends the address it saw; a value the client forged before it is ignored.
    expect(resolveClientAddress(trust, '127.0.0.1', '6.6.6.6, 203.0.113.9')).toBe('203.0.113.9');
    // Straight from an untrusted peer, the header is not believed.
    expect(resolveClientAddress(trust, '198.51.100.4', '203.0.113.9')).toBe('198.51.100.4');
  });
});

