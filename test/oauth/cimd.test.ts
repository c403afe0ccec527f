/**
 * Client ID Metadata Documents: the fetch is an SSRF vector (whoever starts an authorization picks the
 * URL), so private and loopback targets are refused unless explicitly allow-listed (tests only),
 * redirects are not followed, bodies are capped and slow servers time out; bad documents are refused.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FetchRefused, fetchAllowedByName, guardedFetch, guardedLookup, isSpecialUseAddress } from '../../src/auth/oauth/cimd.js';
import { freePort, startTestServer, type TestServer } from '../helpers/server.js';
import { authorizationUrl, Browser, createUser, pkce, selfSignedCert, startHttpsDocServer, type HttpsDocServer } from './helpers.js';

let allowed: HttpsDocServer;
let notAllowed: HttpsDocServer;
let ts: TestServer;
let certDir: string;
let ca: string;

beforeAll(async () => {
  const tlsFiles = selfSignedCert();
  certDir = tlsFiles.dir;
  ca = tlsFiles.cert;
  allowed = await startHttpsDocServer(tlsFiles, await freePort());
  notAllowed = await startHttpsDocServer(tlsFiles, await freePort());
  ts = await startTestServer({
    demo: false,
    env: { SEQUEL_OAUTH_CIMD_ALLOW_PRIVATE: `127.0.0.1:${allowed.port}`, SEQUEL_OAUTH_CIMD_CA_FILE: path.join(certDir, 'cert.pem'), SEQUEL_OAUTH_CIMD_TIMEOUT_MS: '20000' },
  });
  await createUser(ts, 'ada@example.com', [['alpha', 'member']]);
}, 180_000);
afterAll(async () => {
  await ts?.close();
  await allowed?.close();
  await notAllowed?.close();
  if (certDir) fs.rmSync(certDir, { recursive: true, force: true });
});

describe('address rules', () => {
  it('recognises loopback, private, link-local and other special-use addresses', () => {
    for (const a of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', '::', 'fe80::1', 'fd00::1', '::ffff:10.0.0.1', '::ffff:127.0.0.1', 'not-an-ip']) {
      expect(isSpecialUseAddress(a), a).toBe(true);
    }
    for (const a of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '::ffff:8.8.8.8']) expect(isSpecialUseAddress(a), a).toBe(false);
  });

  it('refuses non-https, credentials in the URL, loopback and private literals, and local names — unless allow-listed', () => {
    const none = { allowPrivate: [] };
    expect(fetchAllowedByName('https://example.com/client.json', none)).toBe(true);
    for (const u of ['http://example.com/c.json', 'https://user:pw@example.com/c.json', 'https://127.0.0.1/c.json', 'https://[::1]/c.json', 'https://10.0.0.5/c.json', 'https://localhost/c.json', 'https://metadata.internal/c.json', 'https://intranet/c.json']) {
      expect(fetchAllowedByName(u, none), u).toBe(false);
    }
    expect(fetchAllowedByName('https://127.0.0.1:8443/c.json', { allowPrivate: ['127.0.0.1:8443'] })).toBe(true);
    expect(fetchAllowedByName('https://127.0.0.1:8444/c.json', { allowPrivate: ['127.0.0.1:8443'] })).toBe(false);
  });
});

describe('the guarded fetch', () => {
  it('refuses a name that resolves to a loopback address at connection time', async () => {
    const resolve = (privateOk: boolean) =>
      new Promise<string>((ok, fail) => guardedLookup(privateOk)('localhost', { family: 4 }, (err, address) => (err ? fail(err) : ok(String(address)))));
    await expect(resolve(false)).rejects.toThrow(/private or special-use/);
    await expect(resolve(true)).resolves.toBe('127.0.0.1');
  });

  it('refuses a loopback target that is not allow-listed, before connecting', async () => {
    const f = guardedFetch({ allowPrivate: [], extraCa: ca });
    notAllowed.set('/c.json', { ok: true });
    const before = notAllowed.hits.get('/c.json') ?? 0;
    await expect(f(`${notAllowed.origin}/c.json`)).rejects.toThrow(FetchRefused);
    expect(notAllowed.hits.get('/c.json') ?? 0).toBe(before);
  });

  it('does not follow redirects, caps the body, and gives up on a server that does not answer', async () => {
    const f = guardedFetch({ allowPrivate: [`127.0.0.1:${allowed.port}`], extraCa: ca, maxBytes: 1024, timeoutMs: 500 });
    allowed.set('/redirect.json', '', { ':status': '302', location: `${notAllowed.origin}/c.json` });
    const r = await f(`${allowed.origin}/redirect.json`);
    expect(r.status).toBe(302);
    allowed.set('/big.json', { pad: 'x'.repeat(4096) });
    await expect(f(`${allowed.origin}/big.json`)).rejects.toThrow(/larger than 1024 bytes/);
    // A TLS listener that accepts and then says nothing.
    const silent = http.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as AddressInfo).port;
    const g = guardedFetch({ allowPrivate: [`127.0.0.1:${port}`], timeoutMs: 300 });
    await expect(g(`https://127.0.0.1:${port}/c.json`)).rejects.toThrow();
    // With its own deadline (SEQUEL_OAUTH_CIMD_TIMEOUT_MS) the caller's signal is ignored, the deadline is not.
    const own = guardedFetch({ allowPrivate: [`127.0.0.1:${port}`], timeoutMs: 300, ownDeadline: true });
    await expect(own(`https://127.0.0.1:${port}/c.json`, { signal: new AbortController().signal })).rejects.toThrow();
    silent.closeAllConnections();
    await new Promise((resolve) => silent.close(resolve));
  });
});

describe('CIMD clients at the authorization endpoint', () => {
  async function start(clientId: string): Promise<{ status: number; body: string; location: string | null }> {
    const { challenge } = pkce();
    const r = await new Browser().request(authorizationUrl(ts.url, { client_id: clientId, redirect_uri: 'https://app.example/cb', code_challenge: challenge, code_challenge_method: 'S256' }));
    return { status: r.status, body: r.body, location: r.headers.get('location') };
  }
  const doc = (clientId: string, extra: Record<string, unknown> = {}) => ({ client_id: clientId, client_name: 'Doc client', redirect_uris: ['https://app.example/cb'], token_endpoint_auth_method: 'none', ...extra });

  it('accepts a good document and shows the publishing host on the sign-in page', async () => {
    const id = `${allowed.origin}/good.json`;
    allowed.set('/good.json', doc(id));
    const r = await start(id);
    expect(r.status).toBe(303);
    const page = await new Browser().follow(authorizationUrl(ts.url, { client_id: id, redirect_uri: 'https://app.example/cb', code_challenge: pkce().challenge, code_challenge_method: 'S256' }));
    expect(page.body).toContain('Doc client');
    expect(page.body).toContain(`App published by <code>127.0.0.1:${allowed.port}</code>`);
  });

  it('refuses a document on a private address that is not allow-listed, without fetching it', async () => {
    const id = `${notAllowed.origin}/c2.json`;
    notAllowed.set('/c2.json', doc(id));
    const r = await start(id);
    expect(r.status).toBe(400);
    expect(r.body).toContain('invalid_client');
    expect(notAllowed.hits.get('/c2.json') ?? 0).toBe(0);
  });

  it('refuses documents that redirect, are too large, or name another client_id', async () => {
    const redirectId = `${allowed.origin}/moved.json`;
    allowed.set('/moved.json', '', { ':status': '301', location: `${allowed.origin}/good.json` });
    const bigId = `${allowed.origin}/huge.json`;
    allowed.set('/huge.json', doc(bigId, { client_name: 'x'.repeat(20_000) }));
    const wrongId = `${allowed.origin}/wrong.json`;
    allowed.set('/wrong.json', doc(`${allowed.origin}/someone-else.json`));
    const secretId = `${allowed.origin}/secret.json`;
    allowed.set('/secret.json', doc(secretId, { token_endpoint_auth_method: 'client_secret_basic' }));
    for (const id of [redirectId, bigId, wrongId, secretId]) {
      const r = await start(id);
      expect(r.status, id).toBe(400);
      expect(r.body, id).toContain('invalid_client');
      expect(r.location, id).toBeNull();
    }
  });
});
