/**
 * The whole OAuth flow as connectors run it, against a real Sequel: discovery (RFC 9728 → RFC 8414),
 * dynamic registration or a Client ID Metadata Document, PKCE with `resource`, sign-in and consent over
 * HTTP, the token, `tools/call` with the official MCP SDK client, then refresh and call again.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { Client, StreamableHTTPClientTransport, UnauthorizedError } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashTokenId } from '../../src/auth/oauth/keys.js';
import { freePort, INITIALIZE, rpc, startTestServer, type TestServer } from '../helpers/server.js';
import { makeShopFile } from '../helpers/sqliteFile.js';
import {
  authorizeInBrowser,
  createUser,
  MemoryOAuthProvider,
  orgChoices,
  pkce,
  postForm,
  selfSignedCert,
  startCallbackServer,
  startHttpsDocServer,
  Browser,
  type CallbackServer,
  type HttpsDocServer,
} from './helpers.js';

let ts: TestServer;
let cb: CallbackServer;
let docs: HttpsDocServer;
let certDir: string;
let alphaId: string;
let betaId: string;

beforeAll(async () => {
  const tlsFiles = selfSignedCert();
  certDir = tlsFiles.dir;
  docs = await startHttpsDocServer(tlsFiles, await freePort());
  ts = await startTestServer({
    demo: false,
    env: {
      // Test-only: the CIMD documents below are served from this loopback https server.
      SEQUEL_OAUTH_CIMD_ALLOW_PRIVATE: `127.0.0.1:${docs.port}`,
      SEQUEL_OAUTH_CIMD_CA_FILE: path.join(certDir, 'cert.pem'),
      // A loaded CI machine can take longer than the library's 2.5 s for a TLS fetch.
      SEQUEL_OAUTH_CIMD_TIMEOUT_MS: '20000',
    },
  });
  cb = await startCallbackServer();
  const shop = makeShopFile(10);
  await ts.source('alpha', { name: 'shop', engine: 'sqlite', url: shop });
  await ts.source('beta', { name: 'beta-only', engine: 'sqlite', url: shop });
  alphaId = (await ts.org('alpha')).id;
  betaId = (await ts.org('beta')).id;
  await createUser(ts, 'ada@example.com', [['alpha', 'member'], ['beta', 'admin']]);
}, 180_000);

afterAll(async () => {
  await cb?.close();
  await docs?.close();
  await ts?.close();
  if (certDir) fs.rmSync(certDir, { recursive: true, force: true });
});

type ToolResult = { isError?: boolean; structuredContent?: Record<string, unknown> };

/** Connect → 401 → authorization URL → the user signs in and consents → callback → finishAuth → connected. */
async function connectWithOAuth(provider: MemoryOAuthProvider, org: string): Promise<{ client: Client; authorizationUrl: URL }> {
  const first = new Client({ name: 'oauth-test', version: '1.0.0' });
  await expect(first.connect(new StreamableHTTPClientTransport(new URL(ts.mcpUrl), { authProvider: provider }))).rejects.toThrow(UnauthorizedError);
  const authorizationUrl = provider.authorizationUrl!;
  expect(authorizationUrl).toBeDefined();
  const redirect = await authorizeInBrowser(ts.url, authorizationUrl.href, { email: 'ada@example.com', orgId: org });
  expect(redirect.origin + redirect.pathname).toBe(cb.url);
  // The browser lands on the client's local callback listener.
  const before = cb.received.length;
  expect((await fetch(redirect)).status).toBe(200);
  expect(cb.received.length).toBe(before + 1);
  const transport = new StreamableHTTPClientTransport(new URL(ts.mcpUrl), { authProvider: provider });
  await transport.finishAuth(redirect.searchParams);
  const client = new Client({ name: 'oauth-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(ts.mcpUrl), { authProvider: provider }));
  return { client, authorizationUrl };
}

describe('discovery', () => {
  it('serves RFC 9728 metadata at the path-inserted and root locations, with CORS', async () => {
    for (const p of ['/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource']) {
      const r = await fetch(ts.url + p, { headers: { origin: 'https://claude.ai' } });
      expect(r.status).toBe(200);
      expect(r.headers.get('access-control-allow-origin')).toBe('*');
      expect(await r.json()).toEqual({
        resource: ts.mcpUrl,
        authorization_servers: [ts.url],
        scopes_supported: ['mcp'],
        bearer_methods_supported: ['header'],
        resource_name: 'Sequel',
      });
    }
  });

  it('serves RFC 8414 metadata at both well-known paths with what MCP clients look for', async () => {
    for (const p of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
      const r = await fetch(ts.url + p, { headers: { origin: 'https://chatgpt.com' } });
      expect(r.status).toBe(200);
      expect(r.headers.get('access-control-allow-origin')).toBe('https://chatgpt.com');
      const m = (await r.json()) as Record<string, unknown>;
      expect(m).toMatchObject({
        issuer: ts.url,
        authorization_endpoint: `${ts.url}/oauth/authorize`,
        token_endpoint: `${ts.url}/oauth/token`,
        registration_endpoint: `${ts.url}/oauth/register`,
        revocation_endpoint: `${ts.url}/oauth/revoke`,
        code_challenge_methods_supported: ['S256'],
        client_id_metadata_document_supported: true,
        authorization_response_iss_parameter_supported: true,
        response_types_supported: ['code'],
        grant_types_supported: ['authorization_code', 'refresh_token'],
      });
      expect(m.scopes_supported).toContain('mcp');
      expect(m.token_endpoint_auth_methods_supported).toContain('none');
      // Nothing MCP does not need.
      expect(m).not.toHaveProperty('pushed_authorization_request_endpoint');
      expect(m).not.toHaveProperty('userinfo_endpoint');
      expect(m).not.toHaveProperty('introspection_endpoint');
    }
  });

  it("/mcp's 401 names the resource metadata and the scope", async () => {
    const r = await rpc(ts.mcpUrl, INITIALIZE);
    expect(r.status).toBe(401);
    const challenge = r.headers.get('www-authenticate') ?? '';
    expect(challenge).toContain(`resource_metadata="${ts.url}/.well-known/oauth-protected-resource/mcp"`);
    expect(challenge).toContain('scope="mcp"');
  });

  it('refuses a foreign Host on the OAuth endpoints and pages (DNS-rebinding protection)', async () => {
    for (const p of ['/.well-known/oauth-authorization-server', '/.well-known/oauth-protected-resource/mcp', '/oauth/authorize', '/oauth/interaction/abc']) {
      const status = await new Promise<number>((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port: new URL(ts.url).port, path: p, headers: { host: 'evil.example' } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
      expect(status, p).toBe(403);
    }
  });

  it('answers CORS preflights on the token, registration and revocation endpoints', async () => {
    for (const p of ['/oauth/token', '/oauth/register', '/oauth/revoke']) {
      const r = await fetch(ts.url + p, {
        method: 'OPTIONS',
        headers: { origin: 'https://inspector.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
      expect(r.status, p).toBe(204);
      expect(r.headers.get('access-control-allow-origin'), p).toMatch(/^(\*|https:\/\/inspector\.example)$/);
    }
  });
});

describe('the official MCP SDK client', () => {
  it('DCR → PKCE with resource → sign-in and consent → token → tools/call, then refresh and call again', async () => {
    const provider = new MemoryOAuthProvider(cb.url);
    const { client, authorizationUrl } = await connectWithOAuth(provider, alphaId);
    // What the client sent: PKCE S256 and the RFC 8707 resource.
    expect(authorizationUrl.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorizationUrl.searchParams.get('resource')).toBe(ts.mcpUrl);
    expect(provider.client?.client_id).toBeTruthy();
    expect(provider.savedTokens).toMatchObject({ token_type: 'Bearer', scope: 'mcp', expires_in: 3600 });
    expect(provider.savedTokens?.refresh_token).toBeTruthy();

    const list = (await client.callTool({ name: 'list_sources', arguments: {} })) as ToolResult;
    expect((list.structuredContent!.sources as Array<{ name: string }>).map((s) => s.name)).toEqual(['shop']);
    const search = (await client.callTool({ name: 'search_schema', arguments: { source: 'beta-only' } })) as ToolResult;
    // Organization-scoped: beta's source does not exist for an authorization of alpha.
    expect(search.structuredContent).toMatchObject({ error: { code: 'UNKNOWN_SOURCE' } });

    // The access token runs out (its expiry moved to the past in the store, as an hour passing would):
    // the SDK gets a 401, refreshes with its refresh token, and the call goes through with the new token.
    const oldTokens = provider.savedTokens!;
    await expireAccessToken(oldTokens.access_token);
    expect((await rpc(ts.mcpUrl, INITIALIZE, { authorization: `Bearer ${oldTokens.access_token}` })).status).toBe(401);
    const again = (await client.callTool({ name: 'list_sources', arguments: {} })) as ToolResult;
    expect(again.isError).toBeFalsy();
    expect((again.structuredContent!.sources as Array<{ name: string }>).map((s) => s.name)).toEqual(['shop']);
    expect(provider.savedTokens!.access_token).not.toBe(oldTokens.access_token);
    // Rotation: the refresh token changed too.
    expect(provider.savedTokens!.refresh_token).not.toBe(oldTokens.refresh_token);
    await client.close();
  });

  it('with a Client ID Metadata Document served over https (CIMD), then refresh and call again', async () => {
    const clientId = `${docs.origin}/oauth/client.json`;
    docs.set('/oauth/client.json', {
      client_id: clientId,
      client_name: 'CIMD Test Connector',
      client_uri: docs.origin,
      redirect_uris: [cb.url],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    }, { 'cache-control': 'max-age=300' });
    const provider = new MemoryOAuthProvider(cb.url, {}, clientId);
    const registrationsBefore = await countModels('Client');
    const { client, authorizationUrl } = await connectWithOAuth(provider, betaId);
    expect(authorizationUrl.searchParams.get('client_id')).toBe(clientId);
    expect(provider.client?.client_id).toBe(clientId);
    // No dynamic registration happened, and the document was fetched (and then served from cache).
    expect(await countModels('Client')).toBe(registrationsBefore);
    expect(docs.hits.get('/oauth/client.json')).toBeGreaterThanOrEqual(1);
    const hitsAfterFlow = docs.hits.get('/oauth/client.json')!;

    const list = (await client.callTool({ name: 'list_sources', arguments: {} })) as ToolResult;
    expect((list.structuredContent!.sources as Array<{ name: string }>).map((s) => s.name)).toEqual(['beta-only']);

    // Refresh directly at the token endpoint, as a connector does in the background, and call again.
    const refreshed = await postForm(`${ts.url}/oauth/token`, { grant_type: 'refresh_token', refresh_token: provider.savedTokens!.refresh_token!, client_id: clientId });
    expect(refreshed.status).toBe(200);
    expect(refreshed.json).toMatchObject({ token_type: 'Bearer', scope: 'mcp' });
    expect(docs.hits.get('/oauth/client.json')).toBe(hitsAfterFlow); // cached per Cache-Control
    const after = await rpc(ts.mcpUrl, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'list_sources', arguments: {} } }, {
      authorization: `Bearer ${String(refreshed.json.access_token)}`,
      'mcp-protocol-version': '2025-11-25',
    });
    expect(after.status).toBe(200);
    expect(JSON.stringify(after.json)).toContain('beta-only');
    await client.close();
  });

  it('the audit log names the OAuth client and the user', async () => {
    await ts.rt.audit.flush();
    const ada = await ts.rt.store.users.byEmail('ada@example.com');
    const entries = await ts.rt.store.audit.list({ orgId: alphaId, limit: 50 });
    const oauth = entries.filter((e) => e.credential_kind === 'oauth');
    expect(oauth.length).toBeGreaterThan(0);
    for (const e of oauth) {
      expect(e.credential_label).toBe('Sequel test client');
      expect(e.user_id).toBe(ada!.id);
    }
    const beta = (await ts.rt.store.audit.list({ orgId: betaId, limit: 50 })).filter((e) => e.credential_kind === 'oauth');
    expect(beta.map((e) => e.credential_label)).toContain('CIMD Test Connector');
  });
});

async function expireAccessToken(token: string): Promise<void> {
  await ts.rt.store.db
    .withTables<{ oauth_models: { model: string; id: string; expires_at: string | null } }>()
    .updateTable('oauth_models')
    .set({ expires_at: new Date(Date.now() - 1000).toISOString() })
    .where('model', '=', 'AccessToken')
    .where('id', '=', hashTokenId(ts.rt.keys, token))
    .execute();
}

async function countModels(model: string): Promise<number> {
  const rows = await ts.rt.store.db
    .withTables<{ oauth_models: { model: string } }>()
    .selectFrom('oauth_models')
    .select('model')
    .where('model', '=', model)
    .execute();
  return rows.length;
}

async function register(body: Record<string, unknown>): Promise<{ status: number; json: Record<string, unknown> }> {
  const r = await fetch(`${ts.url}/oauth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: r.status, json: (await r.json()) as Record<string, unknown> };
}

/** A raw authorization-code flow for a registered client; returns the token response. */
async function rawFlow(clientId: string, redirectUri: string, extra: Record<string, string> = {}, org = alphaId) {
  const { verifier, challenge } = pkce();
  const u = new URL(`${ts.url}/oauth/authorize`);
  u.search = new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: redirectUri, code_challenge: challenge, code_challenge_method: 'S256', state: 's1', ...extra }).toString();
  const back = await authorizeInBrowser(ts.url, u.href, { email: 'ada@example.com', orgId: org });
  expect(back.searchParams.get('state')).toBe('s1');
  expect(back.searchParams.get('iss')).toBe(ts.url); // RFC 9207
  return postForm(`${ts.url}/oauth/token`, { grant_type: 'authorization_code', code: back.searchParams.get('code') ?? '', redirect_uri: redirectUri, code_verifier: verifier, client_id: clientId });
}

describe('known client behaviour', () => {
  it('a client that registers twice in a row gets two working registrations', async () => {
    const meta = { client_name: 'Twice', redirect_uris: [cb.url], grant_types: ['authorization_code', 'refresh_token'], token_endpoint_auth_method: 'none' };
    const a = await register(meta);
    const b = await register(meta);
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(a.json.client_id).not.toBe(b.json.client_id);
    for (const c of [a, b]) {
      const t = await rawFlow(String(c.json.client_id), cb.url);
      expect(t.status).toBe(200);
      expect((await rpc(ts.mcpUrl, INITIALIZE, { authorization: `Bearer ${String(t.json.access_token)}` })).status).toBe(200);
    }
  });

  it("accepts Claude.ai's and ChatGPT's redirect URIs", async () => {
    for (const uri of [
      'https://claude.ai/api/mcp/auth_callback',
      'https://claude.com/api/mcp/auth_callback',
      'https://chatgpt.com/connector_platform_oauth_redirect',
      'https://chatgpt.com/connector/oauth/abc123',
    ]) {
      const r = await register({ client_name: 'Connector', redirect_uris: [uri], grant_types: ['authorization_code', 'refresh_token'], token_endpoint_auth_method: 'none' });
      expect(r.status, uri).toBe(201);
      const { challenge } = pkce();
      const u = new URL(`${ts.url}/oauth/authorize`);
      u.search = new URLSearchParams({ response_type: 'code', client_id: String(r.json.client_id), redirect_uri: uri, code_challenge: challenge, code_challenge_method: 'S256', resource: ts.mcpUrl }).toString();
      const back = await authorizeInBrowser(ts.url, u.href, { email: 'ada@example.com' });
      expect(back.origin + back.pathname).toBe(uri);
      expect(back.searchParams.get('code')).toBeTruthy();
    }
  });

  it('a confidential client registered through DCR authenticates with its secret', async () => {
    const r = await register({ client_name: 'Confidential', redirect_uris: [cb.url], grant_types: ['authorization_code', 'refresh_token'], token_endpoint_auth_method: 'client_secret_post' });
    expect(r.status).toBe(201);
    expect(r.json.client_secret).toBeTruthy();
    const { verifier, challenge } = pkce();
    const u = new URL(`${ts.url}/oauth/authorize`);
    u.search = new URLSearchParams({ response_type: 'code', client_id: String(r.json.client_id), redirect_uri: cb.url, code_challenge: challenge, code_challenge_method: 'S256' }).toString();
    const back = await authorizeInBrowser(ts.url, u.href, { email: 'ada@example.com' });
    const form = { grant_type: 'authorization_code', code: back.searchParams.get('code')!, redirect_uri: cb.url, code_verifier: verifier, client_id: String(r.json.client_id) };
    expect((await postForm(`${ts.url}/oauth/token`, { ...form, client_secret: 'wrong' })).json.error).toBe('invalid_client');
    const t = await postForm(`${ts.url}/oauth/token`, { ...form, client_secret: String(r.json.client_secret) });
    expect(t.status).toBe(200);
  });

  it('an authorization request without scope gets the default scope (ChatGPT re-authorizing)', async () => {
    const r = await register({ client_name: 'No scope', redirect_uris: [cb.url], grant_types: ['authorization_code', 'refresh_token'], token_endpoint_auth_method: 'none' });
    const t = await rawFlow(String(r.json.client_id), cb.url, {});
    expect(t.status).toBe(200);
    expect(t.json.scope).toBe('mcp');
    const empty = await rawFlow(String(r.json.client_id), cb.url, { scope: '' });
    expect(empty.json.scope).toBe('mcp');
    expect(t.json.refresh_token).toBeTruthy(); // no offline_access asked, a refresh token anyway
    expect((await rpc(ts.mcpUrl, INITIALIZE, { authorization: `Bearer ${String(t.json.access_token)}` })).status).toBe(200);
  });

  it('asks to sign in for every authorization, and another account can sign in from the same browser', async () => {
    await createUser(ts, 'bob@example.com', [['beta', 'member']]);
    const r = await register({ client_name: 'Shared browser', redirect_uris: [cb.url], token_endpoint_auth_method: 'none' });
    const clientId = String(r.json.client_id);
    const browser = new Browser();
    const flow = async (email: string) => {
      const { verifier, challenge } = pkce();
      const u = new URL(`${ts.url}/oauth/authorize`);
      u.search = new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: cb.url, code_challenge: challenge, code_challenge_method: 'S256' }).toString();
      const back = await authorizeInBrowser(ts.url, u.href, { email }, browser);
      const t = await postForm(`${ts.url}/oauth/token`, { grant_type: 'authorization_code', code: back.searchParams.get('code') ?? '', redirect_uri: cb.url, code_verifier: verifier, client_id: clientId });
      expect(t.status).toBe(200);
      return ts.rt.oauth!.verify(String(t.json.access_token));
    };
    const ada = await flow('ada@example.com');
    const again = await flow('ada@example.com'); // the sign-in page again, not a remembered session
    const bob = await flow('bob@example.com');
    expect(ada.userId).toBe((await ts.rt.store.users.byEmail('ada@example.com'))!.id);
    expect(again.userId).toBe(ada.userId);
    expect(again.credential.id).not.toBe(ada.credential.id); // a new authorization each time
    expect(bob.userId).toBe((await ts.rt.store.users.byEmail('bob@example.com'))!.id);
    expect(bob.orgId).toBe(betaId);
    expect(bob.credential).toMatchObject({ kind: 'oauth', label: 'Shared browser', clientId });
  });

  it('the consent page names the client and its redirect host, warns for loopback redirects, and offers only the user’s organizations', async () => {
    await ts.org('gamma'); // exists, but ada is not a member
    const r = await register({ client_name: 'Local Tool', redirect_uris: [cb.url], token_endpoint_auth_method: 'none' });
    const { challenge } = pkce();
    const u = new URL(`${ts.url}/oauth/authorize`);
    u.search = new URLSearchParams({ response_type: 'code', client_id: String(r.json.client_id), redirect_uri: cb.url, code_challenge: challenge, code_challenge_method: 'S256' }).toString();
    const browser = new Browser();
    const signIn = await browser.follow(u.href);
    expect(signIn.status).toBe(200);
    expect(signIn.headers.get('x-frame-options')).toBe('DENY');
    expect(signIn.body).toContain('Local Tool');
    expect(signIn.body).toContain(new URL(cb.url).host);
    expect(signIn.body).toContain('runs on your own computer');
    const action = /action="([^"]+\/login)"/.exec(signIn.body)![1]!;
    const csrf = /name="csrf" value="([^"]+)"/.exec(signIn.body)![1]!;
    const consent = await browser.follow(new URL(action, ts.url).href, { form: { csrf, email: 'ada@example.com', password: 'correct horse battery staple' } });
    expect(consent.body).toContain('Allow access');
    expect(orgChoices(consent.body).map((o) => o.id).sort()).toEqual([alphaId, betaId].sort());
  });
});
