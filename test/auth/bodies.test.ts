/**
 * Unauthenticated bodies: every route but /mcp takes small bodies only, refused from the declared length
 * before anything is read (and counted while reading a chunked one); the interaction forms look at their
 * cookie before the body; a malformed multipart body is the client's error (400), not the server's; and
 * no page can be framed.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueSetupToken } from '../../src/runtime.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { authorizationUrl, Browser, formFields, pkce, registerClient } from '../oauth/helpers.js';

const REDIRECT = 'http://127.0.0.1:9/cb';
let ts: TestServer;

beforeAll(async () => {
  ts = await startTestServer({ demo: false });
}, 180_000);
afterAll(async () => {
  await ts?.close();
});

/** An interaction at its sign-in page: the login form's URL, its CSRF token, the browser's cookies. */
async function interaction(): Promise<{ action: string; csrf: string; cookie: string; uidUrl: string }> {
  const reg = await registerClient(ts.url, { redirect_uris: [REDIRECT] });
  const { challenge } = pkce();
  const browser = new Browser();
  const page = await browser.follow(authorizationUrl(ts.url, { client_id: String(reg.json.client_id), redirect_uri: REDIRECT, code_challenge: challenge, code_challenge_method: 'S256' }));
  const f = formFields(page.body);
  const action = new URL(f.action, ts.url).href;
  return { action, csrf: f.csrf, cookie: browser.cookieHeader(new URL(action)), uidUrl: page.url };
}

/**
 * Declares a huge body and sends only `sendBytes` of it, slowly; resolves with the status as soon as the
 * server answers. A server that waited for the declared body would never answer.
 */
function hugePost(url: string, o: { declared?: number; sendBytes: number; cookie?: string; chunked?: boolean }): Promise<{ status: number; sent: number }> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let done = false;
    const headers: Record<string, string | number> = { 'content-type': 'application/x-www-form-urlencoded' };
    if (!o.chunked) headers['content-length'] = o.declared ?? 256 * 1024 * 1024;
    if (o.cookie) headers.cookie = o.cookie;
    const req = http.request(url, { method: 'POST', headers, agent: false }, (res) => {
      done = true;
      res.resume();
      resolve({ status: res.statusCode ?? 0, sent });
      req.destroy();
    });
    req.on('error', (err) => {
      if (!done) reject(err);
    });
    const chunk = Buffer.alloc(64 * 1024, 'a');
    const pump = () => {
      if (done) return;
      if (sent >= o.sendBytes) return; // stop sending; the server must answer without the rest
      sent += chunk.length;
      if (req.write(chunk)) setImmediate(pump);
      else req.once('drain', pump);
    };
    pump();
  });
}

describe('request bodies', () => {
  it('a huge declared body is refused with 413 before it is read, on every form route; the server keeps serving', async () => {
    const it1 = await interaction();
    const setupToken = (await issueSetupToken(ts.rt))!;
    const base = it1.action.replace(/\/login$/, '');
    const targets = [`${base}/login`, `${base}/consent`, `${base}/abort`, `${ts.url}/setup`, `${ts.url}/setup?token=${setupToken}`, `${ts.url}/oauth/token`, `${ts.url}/oauth/register`];
    // Six at once, each declaring 256 MiB and sending only 1 MiB.
    const results = await Promise.all(targets.map((u) => hugePost(u, { sendBytes: 1024 * 1024, cookie: it1.cookie })));
    for (const [i, r] of results.entries()) expect(r.status, targets[i]).toBe(413);
    expect((await fetch(`${ts.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${ts.url}/`)).status).toBe(200);
  }, 120_000);

  it('a chunked body is counted while read and refused past the limit, with or without the cookie', async () => {
    const it1 = await interaction();
    for (const cookie of [it1.cookie, undefined]) {
      const r = await hugePost(it1.action, { chunked: true, sendBytes: 4 * 1024 * 1024, ...(cookie ? { cookie } : {}) });
      // With the cookie the body is cut off at the limit (413); without it the answer may also be the
      // refused interaction (400). Either way the server answered though the body never ended.
      expect([400, 413]).toContain(r.status);
      if (cookie) expect(r.status).toBe(413);
    }
    expect((await fetch(`${ts.url}/healthz`)).status).toBe(200);
  }, 120_000);

  it('a form post without the interaction cookie is refused without its body being parsed', async () => {
    const it1 = await interaction();
    const r = await fetch(it1.action, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ csrf: it1.csrf, email: 'a@example.com', password: 'x' }) });
    expect(r.status).toBe(400);
    expect(await r.text()).toContain('expired');
  });

  it('malformed multipart bodies get 400 and no error-level log line', async () => {
    const it1 = await interaction();
    const setupToken = (await issueSetupToken(ts.rt))!;
    const before = ts.logs.length;
    const bad = '--xyz\r\nContent-Disposition: form-data; name="csrf"\r\n\r\nnot terminated';
    for (const url of [it1.action, `${ts.url}/setup?token=${setupToken}`, `${ts.url}/setup`]) {
      const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=xyz', cookie: it1.cookie }, body: bad });
      expect(r.status, url).toBe(400);
    }
    const errors = ts.logs.slice(before).filter((l) => (JSON.parse(l) as { level: string }).level === 'error');
    expect(errors).toEqual([]);
    expect((await fetch(`${ts.url}/healthz`)).status).toBe(200);
  });
});

describe('framing', () => {
  const framed = (res: { headers: Headers }) => {
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
  };

  it("every HTML page says DENY and frame-ancestors 'none': home, setup, sign-in, interaction and OAuth error pages", async () => {
    const setupToken = (await issueSetupToken(ts.rt))!;
    const it1 = await interaction();
    const pages = [
      `${ts.url}/`,
      `${ts.url}/setup?token=${setupToken}`,
      `${ts.url}/setup?token=wrong`,
      it1.uidUrl,
      // An interaction page opened without its cookie (the Sequel error page).
      `${ts.url}/oauth/interaction/nonexistent`,
      // oidc-provider's own error page (renderError): an unknown client.
      authorizationUrl(ts.url, { client_id: 'no-such-client', redirect_uri: REDIRECT }),
    ];
    for (const url of pages) {
      const res = await fetch(url, { headers: { accept: 'text/html', cookie: url === it1.uidUrl ? it1.cookie : '' } });
      expect(res.headers.get('content-type'), url).toMatch(/text\/html/);
      framed(res);
    }
  });
});
