/**
 * Password guessing against the sign-in page, the way an attacker would try it: a burst of concurrent
 * guesses, guesses spread over many addresses, a sprayer behind the same reverse proxy as everyone else,
 * spoofed X-Forwarded-For headers. And dynamic client registration limits keyed the same way.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { authorizationUrl, Browser, createUser, formFields, PASSWORD, pkce, registerClient } from '../oauth/helpers.js';

const REDIRECT = 'http://127.0.0.1:9/cb';

/** A form POST from a chosen local address (127.0.0.0/8 is all loopback on Linux), cookies given. */
function postFrom(localAddress: string, url: string, cookie: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<{ status: number; body: string; retryAfter: string | undefined }> {
  const body = new URLSearchParams(form).toString();
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: 'POST', localAddress, agent: false, headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body), cookie, ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), retryAfter: res.headers['retry-after'] as string | undefined }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** An interaction at its sign-in page: where to post, the CSRF token, the cookies. */
async function signInForm(ts: TestServer): Promise<{ action: string; csrf: string; cookie: string; browser: Browser }> {
  const reg = await registerClient(ts.url, { redirect_uris: [REDIRECT] }, { 'x-forwarded-for': `192.0.2.${Math.floor(Math.random() * 250) + 1}` });
  expect(reg.status).toBe(201);
  const { challenge } = pkce();
  const browser = new Browser();
  const page = await browser.follow(authorizationUrl(ts.url, { client_id: String(reg.json.client_id), redirect_uri: REDIRECT, code_challenge: challenge, code_challenge_method: 'S256' }));
  const f = formFields(page.body);
  const cookie = browser.cookieHeader(new URL(ts.url + f.action));
  return { action: new URL(f.action, ts.url).href, csrf: f.csrf, cookie, browser };
}

const evaluated = (r: { status: number }) => r.status === 401 || r.status === 303;

describe('sign-in throttles (socket addresses)', () => {
  let ts: TestServer;
  beforeAll(async () => {
    ts = await startTestServer({ demo: false });
    for (const who of ['burst', 'spread', 'bystander', 'sprayed']) await createUser(ts, `${who}@example.com`, [['alpha', 'member']]);
  }, 180_000);
  afterAll(async () => {
    await ts?.close();
  });

  it('bursts of 60 concurrent guesses for one account from one address: five are evaluated in all, then even the right password is refused', async () => {
    const f = await signInForm(ts);
    // Guesses beyond the concurrent-verification cap are refused at once ("busy", Retry-After 1 s) and
    // not counted; how many of a burst are evaluated is up to the scheduler. So burst until the account
    // is in back-off (a Retry-After of a minute), then count: no burst may get more than five in.
    const statuses: number[] = [];
    let backedOff = false;
    for (let burst = 0; burst < 30 && !backedOff; burst++) {
      const results = await Promise.all(
        Array.from({ length: 60 }, (_, i) => postFrom('127.0.0.1', f.action, f.cookie, { csrf: f.csrf, email: 'burst@example.com', password: `wrong-guess-${burst}-${i}-xxxx` })),
      );
      statuses.push(...results.map((r) => r.status));
      backedOff = results.some((r) => r.status === 429 && Number(r.retryAfter) >= 30);
    }
    expect(statuses.filter((s) => s !== 401 && s !== 429), `statuses: ${statuses.join(' ')}`).toEqual([]);
    expect(backedOff).toBe(true);
    expect(statuses.filter((s) => s === 401).length).toBe(5);
    // In back-off the right password is not even evaluated.
    const right = await postFrom('127.0.0.1', f.action, f.cookie, { csrf: f.csrf, email: 'burst@example.com', password: PASSWORD });
    expect(right.status).toBe(429);
    expect(Number(right.retryAfter)).toBeGreaterThanOrEqual(30);
  }, 120_000);

  it('five wrong guesses from each of ten addresses, then the right password from an eleventh: refused (per-account back-off)', async () => {
    const f = await signInForm(ts);
    let evaluatedCount = 0;
    for (let a = 2; a <= 11; a++) {
      for (let i = 0; i < 5; i++) {
        const r = await postFrom(`127.0.0.${a}`, f.action, f.cookie, { csrf: f.csrf, email: 'spread@example.com', password: `wrong-${a}-${i}-xxxxxx` });
        expect([401, 429]).toContain(r.status);
        if (evaluated(r)) evaluatedCount++;
      }
    }
    // Ten free failures per account, then one try per (doubling) delay: nowhere near fifty.
    expect(evaluatedCount).toBeLessThanOrEqual(12);
    const last = await postFrom('127.0.0.12', f.action, f.cookie, { csrf: f.csrf, email: 'spread@example.com', password: PASSWORD });
    expect(last.status).toBe(429);
    expect(last.retryAfter).toMatch(/^\d+$/);
    expect(last.body).toContain('Too many sign-in attempts');
  }, 180_000);

  it("a spoofed X-Forwarded-For from a peer that is not a trusted proxy is ignored", async () => {
    const plain = ts;
    {
      await createUser(plain, 'spoofed@example.com', [['alpha', 'member']]);
      const f = await signInForm(plain);
      for (let i = 0; i < 5; i++) {
        const r = await postFrom('127.0.0.1', f.action, f.cookie, { csrf: f.csrf, email: 'spoofed@example.com', password: `wrong-${i}-xxxxxxxx` }, { 'x-forwarded-for': `198.51.100.${i + 1}` });
        expect(r.status).toBe(401);
      }
      const r = await postFrom('127.0.0.1', f.action, f.cookie, { csrf: f.csrf, email: 'spoofed@example.com', password: PASSWORD }, { 'x-forwarded-for': '198.51.100.99' });
      expect(r.status).toBe(429);
    }
  }, 120_000);
});

describe('behind a trusted reverse proxy (SEQUEL_TRUST_PROXY)', () => {
  let ts: TestServer;
  beforeAll(async () => {
    ts = await startTestServer({ demo: false, env: { SEQUEL_TRUST_PROXY: '127.0.0.1' } });
    await createUser(ts, 'victim@example.com', [['alpha', 'member']]);
  }, 180_000);
  afterAll(async () => {
    await ts?.close();
  });

  it('failures with random emails from one client do not lock out a different client behind the same proxy; the sprayer is slowed, not locked for long', async () => {
    const f = await signInForm(ts);
    const attacker = { 'x-forwarded-for': '203.0.113.7' };
    let throttled: { status: number; retryAfter: string | undefined } | undefined;
    for (let i = 0; i < 34; i++) {
      const r = await postFrom('127.0.0.1', f.action, f.cookie, { csrf: f.csrf, email: `random-${i}-${Math.random()}@example.com`, password: 'whatever-xxxxxx' }, attacker);
      expect([401, 429]).toContain(r.status);
      if (r.status === 429) throttled = r;
    }
    // The sprayer hit the per-address back-off; it is a slow-down (at most a minute), not a 15-minute lock.
    expect(throttled?.status).toBe(429);
    expect(Number(throttled?.retryAfter)).toBeLessThanOrEqual(60);
    // Another user, through the same proxy (same socket address), signs in at once.
    const victim = await postFrom('127.0.0.1', f.action, f.cookie, { csrf: f.csrf, email: 'victim@example.com', password: PASSWORD }, { 'x-forwarded-for': '198.51.100.23' });
    expect(victim.status).toBe(303);
  }, 180_000);

  it('the client is the rightmost untrusted X-Forwarded-For entry: a prefix the client wrote itself changes nothing', async () => {
    await createUser(ts, 'forged@example.com', [['alpha', 'member']]);
    const f = await signInForm(ts);
    for (let i = 0; i < 5; i++) {
      // The client sends "X-Forwarded-For: <random>"; the proxy appends the address it saw.
      const r = await postFrom('127.0.0.1', f.action, f.cookie, { csrf: f.csrf, email: 'forged@example.com', password: `wrong-${i}-xxxxxxx` }, { 'x-forwarded-for': `10.9.8.${i}, 203.0.113.50` });
      expect(r.status).toBe(401);
    }
    const r = await postFrom('127.0.0.1', f.action, f.cookie, { csrf: f.csrf, email: 'forged@example.com', password: PASSWORD }, { 'x-forwarded-for': '10.9.8.200, 203.0.113.50' });
    expect(r.status).toBe(429);
  }, 120_000);

  it('dynamic client registration is limited per client address, not per proxy', async () => {
    let limited = false;
    for (let i = 0; i < 61; i++) {
      const r = await registerClient(ts.url, {}, { 'x-forwarded-for': '203.0.113.8' });
      if (r.status === 429) {
        limited = true;
        break;
      }
      expect(r.status).toBe(201);
    }
    expect(limited).toBe(true);
    expect((await registerClient(ts.url, {}, { 'x-forwarded-for': '198.51.100.8' })).status).toBe(201);
  }, 180_000);
});
