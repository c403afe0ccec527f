/**
 * What must fail, and fail safely: PKCE missing, wrong or `plain`; redirect-URI mismatch; code replay
 * (the grant is revoked); tokens for another resource; expired, revoked and reused tokens (a reused
 * refresh token revokes the whole grant — except within the grace window, where a client refreshing
 * twice concurrently gets two valid answers); a user removed from the organization; forged CSRF tokens
 * and cross-site posts on the consent forms; password guessing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adapterFactory } from '../../src/auth/oauth/adapter.js';
import { hashTokenId } from '../../src/auth/oauth/keys.js';
import { connectClient, INITIALIZE, rpc, startTestServer, type TestServer } from '../helpers/server.js';
import {
  authorizationUrl,
  Browser,
  createUser,
  formFields,
  getCode,
  pkce,
  postForm,
  registerClient,
  tokensFor,
  PASSWORD,
} from './helpers.js';

const REDIRECT = 'http://127.0.0.1:9/cb';
let ts: TestServer;
let token: string;
let alphaId: string;

beforeAll(async () => {
  ts = await startTestServer({ demo: false });
  token = `${ts.url}/oauth/token`;
  await createUser(ts, 'ada@example.com', [['alpha', 'member']]);
  alphaId = (await ts.org('alpha')).id;
}, 180_000);
afterAll(async () => {
  await ts?.close();
});

const mcpStatus = async (accessToken: string) => (await rpc(ts.mcpUrl, INITIALIZE, { authorization: `Bearer ${accessToken}` })).status;

async function publicClient(redirectUri = REDIRECT): Promise<string> {
  const r = await registerClient(ts.url, { redirect_uris: [redirectUri] });
  expect(r.status).toBe(201);
  return String(r.json.client_id);
}

/** Where the server sends the browser for an authorization request that never reaches the sign-in page. */
async function authorizeError(params: Record<string, string>): Promise<{ status: number; location?: URL; body: string }> {
  const res = await new Browser().request(authorizationUrl(ts.url, params));
  const loc = res.headers.get('location');
  return { status: res.status, ...(loc ? { location: new URL(loc, ts.url) } : {}), body: res.body };
}

describe('PKCE', () => {
  it('refuses an authorization request without PKCE', async () => {
    const clientId = await publicClient();
    const r = await authorizeError({ client_id: clientId, redirect_uri: REDIRECT, state: 'x' });
    expect(r.location?.origin + r.location!.pathname).toBe(REDIRECT);
    expect(r.location?.searchParams.get('error')).toBe('invalid_request');
    expect(r.location?.searchParams.get('error_description')).toMatch(/PKCE/i);
  });

  it('refuses the plain method', async () => {
    const clientId = await publicClient();
    const r = await authorizeError({ client_id: clientId, redirect_uri: REDIRECT, code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' });
    expect(r.location?.searchParams.get('error')).toBe('invalid_request');
    expect(r.location?.searchParams.get('error_description')).toMatch(/code_challenge_method/);
  });

  it('refuses a wrong or missing code_verifier at the token endpoint', async () => {
    const clientId = await publicClient();
    const { code } = await getCode(ts.url, { clientId, redirectUri: REDIRECT, email: 'ada@example.com' });
    const base = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: clientId };
    const missing = await postForm(token, base);
    expect(missing.status).toBe(400);
    expect(missing.json.error).toBe('invalid_grant');
    const wrong = await postForm(token, { ...base, code_verifier: pkce().verifier });
    expect(wrong.status).toBe(400);
    expect(wrong.json.error).toBe('invalid_grant');
  });
});

describe('redirect URIs', () => {
  it('refuses an unregistered redirect URI without redirecting to it', async () => {
    const clientId = await publicClient();
    const { challenge } = pkce();
    const r = await authorizeError({ client_id: clientId, redirect_uri: 'https://evil.example/cb', code_challenge: challenge, code_challenge_method: 'S256' });
    expect(r.status).toBe(400);
    expect(r.location).toBeUndefined();
    expect(r.body).toContain('redirect_uri');
    expect(r.body).toContain('Sequel');
  });

  it('refuses to register plain-http redirect URIs other than loopback', async () => {
    const bad = await registerClient(ts.url, { redirect_uris: ['http://evil.example/cb'] });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toBe('invalid_redirect_uri');
    // Sequel's own explanation, not the library's generic one about authorization requests.
    expect(bad.json.error_description).toMatch(/must use https, except for loopback/);
    for (const ok of ['http://localhost:8765/callback', 'http://127.0.0.1:33418/', 'http://[::1]:9000/cb', 'https://app.example/cb']) {
      expect((await registerClient(ts.url, { redirect_uris: [ok] })).status, ok).toBe(201);
    }
    // Native apps may use a private-use scheme.
    expect((await registerClient(ts.url, { application_type: 'native', redirect_uris: ['cursor://anysphere.cursor-mcp/oauth/callback'] })).status).toBe(201);
  });

  it('refuses wildcard hosts and userinfo in redirect URIs, with a message saying which', async () => {
    for (const [uri, why] of [
      ['https://*.example/cb', /wildcard/],
      ['https://*/cb', /wildcard/],
      ['https://user:secret@app.example/cb', /user name or password/],
      ['https://user@app.example/cb', /user name or password/],
      ['http://user@127.0.0.1:8080/cb', /user name or password/],
    ] as const) {
      const r = await registerClient(ts.url, { redirect_uris: [uri] });
      expect(r.status, uri).toBe(400);
      expect(r.json.error, uri).toBe('invalid_redirect_uri');
      expect(String(r.json.error_description), uri).toMatch(why);
    }
  });

  it('refuses a token request whose redirect_uri differs from the authorization request', async () => {
    const other = 'http://127.0.0.1:9/other';
    const r = await registerClient(ts.url, { redirect_uris: [REDIRECT, other] });
    const clientId = String(r.json.client_id);
    const { code, verifier } = await getCode(ts.url, { clientId, redirectUri: REDIRECT, email: 'ada@example.com' });
    const t = await postForm(token, { grant_type: 'authorization_code', code, redirect_uri: other, code_verifier: verifier, client_id: clientId });
    expect(t.json.error).toBe('invalid_grant');
  });
});

describe('codes and tokens', () => {
  it('a replayed code fails and revokes the grant: the tokens from the first exchange stop working', async () => {
    const clientId = await publicClient();
    const { code, verifier } = await getCode(ts.url, { clientId, redirectUri: REDIRECT, email: 'ada@example.com' });
    const form = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier, client_id: clientId };
    const first = await postForm(token, form);
    expect(first.status).toBe(200);
    expect(await mcpStatus(String(first.json.access_token))).toBe(200);
    const replay = await postForm(token, form);
    expect(replay.json.error).toBe('invalid_grant');
    expect(await mcpStatus(String(first.json.access_token))).toBe(401);
    const refresh = await postForm(token, { grant_type: 'refresh_token', refresh_token: String(first.json.refresh_token), client_id: clientId });
    expect(refresh.json.error).toBe('invalid_grant');
  });

  it('refuses tokens for another resource, at the authorization and token endpoints and at /mcp', async () => {
    const clientId = await publicClient();
    const { challenge } = pkce();
    const r = await authorizeError({ client_id: clientId, redirect_uri: REDIRECT, code_challenge: challenge, code_challenge_method: 'S256', resource: 'https://other.example/mcp' });
    expect(r.location?.searchParams.get('error')).toBe('invalid_target');

    const { code, verifier } = await getCode(ts.url, { clientId, redirectUri: REDIRECT, email: 'ada@example.com', extra: { resource: ts.mcpUrl } });
    const t = await postForm(token, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier, client_id: clientId, resource: 'https://other.example/mcp' });
    expect(t.json.error).toBe('invalid_target');

    // A token whose audience is another resource, stored as the provider stores tokens, under a live
    // authorization: /mcp refuses it (RFC 8707 audience check on every request).
    const good = await tokensFor(ts.url, { email: 'ada@example.com' });
    const stored = await ts.rt.store.oauth.findAccessToken(hashTokenId(ts.rt.keys, good.access_token));
    const payload = JSON.parse(stored!.payload) as Record<string, unknown>;
    const forged = 'OtherAudienceToken_' + 'q'.repeat(24);
    const adapter = adapterFactory({ store: ts.rt.store, keys: ts.rt.keys, log: ts.rt.log, refreshGraceMs: 0, invalidGrant: (d) => new Error(d) as never })('AccessToken');
    await adapter.upsert(forged, { ...payload, jti: forged, aud: 'https://other.example/mcp' }, 600);
    const res = await rpc(ts.mcpUrl, INITIALIZE, { authorization: `Bearer ${forged}` });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
    // The same payload with the right audience is accepted: the audience alone made the difference.
    const same = 'SameAudienceToken_' + 'q'.repeat(25);
    await adapter.upsert(same, { ...payload, jti: same }, 600);
    expect(await mcpStatus(same)).toBe(200);
  });

  it('a token without the mcp scope gets 403 insufficient_scope', async () => {
    const clientId = await publicClient();
    const { code, verifier } = await getCode(ts.url, { clientId, redirectUri: REDIRECT, email: 'ada@example.com', extra: { scope: 'openid' } });
    const t = await postForm(token, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier, client_id: clientId });
    expect(t.status).toBe(200);
    const res = await rpc(ts.mcpUrl, INITIALIZE, { authorization: `Bearer ${String(t.json.access_token)}` });
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    expect(res.headers.get('www-authenticate')).toContain('scope="mcp"');
  });

  it('a revoked authorization stops working on the very next request (store/CLI revoke and RFC 7009)', async () => {
    const a = await tokensFor(ts.url, { email: 'ada@example.com' });
    expect(await mcpStatus(a.access_token)).toBe(200);
    const listed = await ts.rt.store.oauth.listAuthorizations(alphaId);
    const mine = listed.find((x) => x.client_id === a.clientId)!;
    expect(mine).toMatchObject({ client_name: 'Raw client', user_email: 'ada@example.com', redirect_host: '127.0.0.1:9' });
    expect(mine.last_used_at).not.toBeNull();
    await ts.rt.store.oauth.revokeAuthorization(alphaId, mine.id);
    expect(await mcpStatus(a.access_token)).toBe(401);
    expect((await postForm(token, { grant_type: 'refresh_token', refresh_token: a.refresh_token, client_id: a.clientId })).json.error).toBe('invalid_grant');

    // RFC 7009: revoking the refresh token revokes the grant, access token included.
    const b = await tokensFor(ts.url, { email: 'ada@example.com' });
    const rev = await postForm(`${ts.url}/oauth/revoke`, { token: b.refresh_token, token_type_hint: 'refresh_token', client_id: b.clientId });
    expect(rev.status).toBe(200);
    expect(await mcpStatus(b.access_token)).toBe(401);
    expect((await ts.rt.store.oauth.listAuthorizations(alphaId)).map((x) => x.client_id)).not.toContain(b.clientId);
  });

  it("a user removed from the organization loses access at once, and can't refresh", async () => {
    const user = await createUser(ts, 'leaver@example.com', [['alpha', 'member']]);
    const t = await tokensFor(ts.url, { email: 'leaver@example.com' });
    expect(await mcpStatus(t.access_token)).toBe(200);
    await ts.rt.store.users.removeMembership(alphaId, user.id);
    expect(await mcpStatus(t.access_token)).toBe(401);
    expect((await postForm(token, { grant_type: 'refresh_token', refresh_token: t.refresh_token, client_id: t.clientId })).json.error).toBe('invalid_grant');
    // Added back, the old authorization does not come back to life.
    await ts.rt.store.users.addMembership(alphaId, user.id, 'member');
    expect(await mcpStatus(t.access_token)).toBe(401);
  });
});

describe('refresh-token rotation', () => {
  const refresh = (rt: string, clientId: string) => postForm(token, { grant_type: 'refresh_token', refresh_token: rt, client_id: clientId });

  it('rotates on every use; two concurrent refreshes with the same token get the same successor, not two chains', async () => {
    const t = await tokensFor(ts.url, { email: 'ada@example.com' });
    const [a, b] = await Promise.all([refresh(t.refresh_token, t.clientId), refresh(t.refresh_token, t.clientId)]);
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    expect(a.json.refresh_token).not.toBe(t.refresh_token);
    expect(b.json.refresh_token).toBe(a.json.refresh_token);
    expect(b.json.access_token).toBe(a.json.access_token);
    expect(await mcpStatus(String(a.json.access_token))).toBe(200);
    // The one successor keeps working.
    expect((await refresh(String(a.json.refresh_token), t.clientId)).status).toBe(200);
  });

  it('a replay inside the grace window gets the same answer again; once the successor has been used, a replay revokes the grant', async () => {
    const t = await tokensFor(ts.url, { email: 'ada@example.com' });
    const first = await refresh(t.refresh_token, t.clientId);
    expect(first.status).toBe(200);
    // A retry (lost response) or an attacker with the old token: the same pair, no chain of its own.
    const again = await refresh(t.refresh_token, t.clientId);
    expect(again.status).toBe(200);
    expect(again.json.refresh_token).toBe(first.json.refresh_token);
    expect(again.json.access_token).toBe(first.json.access_token);
    expect(Number(again.json.expires_in)).toBeLessThanOrEqual(Number(first.json.expires_in));
    // Another client presenting it gets nothing.
    expect((await refresh(t.refresh_token, await publicClient())).json.error).toBe('invalid_grant');
    // Exactly one refresh-token chain exists under the grant: the original (spent) and its one successor.
    const grantId = (await ts.rt.store.oauth.listAuthorizations(alphaId)).find((x) => x.client_id === t.clientId)!.id;
    const tokens = await ts.rt.store.db
      .withTables<{ oauth_models: { model: string; grant_id: string | null; consumed_at: string | null } }>()
      .selectFrom('oauth_models')
      .select(['consumed_at'])
      .where('model', '=', 'RefreshToken')
      .where('grant_id', '=', grantId)
      .execute();
    expect(tokens).toHaveLength(2);
    expect(tokens.filter((r) => r.consumed_at === null)).toHaveLength(1);

    // The client moves on with the successor; the old token showing up again now is theft.
    const next = await refresh(String(first.json.refresh_token), t.clientId);
    expect(next.status).toBe(200);
    const stolen = await refresh(t.refresh_token, t.clientId);
    expect(stolen.json.error).toBe('invalid_grant');
    expect(await mcpStatus(String(next.json.access_token))).toBe(401);
    expect((await refresh(String(next.json.refresh_token), t.clientId)).json.error).toBe('invalid_grant');
  });

  it('reuse of a spent refresh token after the grace window revokes the whole grant', async () => {
    const t = await tokensFor(ts.url, { email: 'ada@example.com' });
    const next = await refresh(t.refresh_token, t.clientId);
    expect(next.status).toBe(200);
    // The rotation happened longer ago than the grace window (30 s by default).
    await ts.rt.store.db
      .withTables<{ oauth_models: { model: string; id: string; consumed_at: string | null } }>()
      .updateTable('oauth_models')
      .set({ consumed_at: new Date(Date.now() - 31_000).toISOString() })
      .where('model', '=', 'RefreshToken')
      .where('id', '=', hashTokenId(ts.rt.keys, t.refresh_token))
      .execute();
    const reuse = await refresh(t.refresh_token, t.clientId);
    expect(reuse.status).toBe(400);
    expect(reuse.json.error).toBe('invalid_grant');
    // Everything issued under the grant is dead: the legitimate successor too.
    expect(await mcpStatus(String(next.json.access_token))).toBe(401);
    expect(await mcpStatus(t.access_token)).toBe(401);
    expect((await refresh(String(next.json.refresh_token), t.clientId)).json.error).toBe('invalid_grant');
    expect((await ts.rt.store.oauth.listAuthorizations(alphaId)).map((x) => x.client_id)).not.toContain(t.clientId);
  });

  it("refuses another client's refresh token", async () => {
    const t = await tokensFor(ts.url, { email: 'ada@example.com' });
    const other = await publicClient();
    expect((await refresh(t.refresh_token, other)).json.error).toBe('invalid_grant');
    expect(await mcpStatus(t.access_token)).toBe(200);
  });
});

describe('sign-in and consent forms', () => {
  async function toConsent(browser: Browser, clientId: string): Promise<{ action: string; csrf: string; body: string; url: string }> {
    const { challenge } = pkce();
    const signIn = await browser.follow(authorizationUrl(ts.url, { client_id: clientId, redirect_uri: REDIRECT, code_challenge: challenge, code_challenge_method: 'S256', state: 'st' }));
    const f = formFields(signIn.body);
    const consent = await browser.follow(new URL(f.action, ts.url).href, { form: { csrf: f.csrf, email: 'ada@example.com', password: PASSWORD } });
    expect(consent.body).toContain('Allow access');
    return { ...formFields(consent.body), body: consent.body, url: consent.url };
  }

  it('refuses a forged CSRF token and a cross-site post on consent; no code is issued', async () => {
    const clientId = await publicClient();
    const browser = new Browser();
    const c = await toConsent(browser, clientId);
    const forged = await browser.request(new URL(c.action, ts.url).href, { form: { csrf: 'forged', org: alphaId, action: 'approve' } });
    expect(forged.status).toBe(403);
    expect(forged.headers.get('location')).toBeNull();
    const crossSite = await browser.request(new URL(c.action, ts.url).href, { form: { csrf: c.csrf, org: alphaId, action: 'approve' }, headers: { origin: 'https://evil.example' } });
    expect(crossSite.status).toBe(403);
    // Another interaction's CSRF token does not fit this one either.
    const other = await toConsent(new Browser(), clientId);
    const swapped = await browser.request(new URL(c.action, ts.url).href, { form: { csrf: other.csrf, org: alphaId, action: 'approve' } });
    expect(swapped.status).toBe(403);
    // Nothing was granted; the genuine form still works.
    const ok = await browser.follow(new URL(c.action, ts.url).href, { form: { csrf: c.csrf, org: alphaId, action: 'approve' } }, new URL(ts.url).origin);
    expect(new URL(ok.left!).searchParams.get('code')).toBeTruthy();
  });

  it('a consent form naming an organization the user is not a member of is refused', async () => {
    const foreign = await ts.org('foreign');
    const browser = new Browser();
    const c = await toConsent(browser, await publicClient());
    const r = await browser.request(new URL(c.action, ts.url).href, { form: { csrf: c.csrf, org: foreign.id, action: 'approve' } });
    expect(r.status).toBe(400);
    expect(r.body).toContain('Pick one of your organizations');
  });

  it('deny sends access_denied (with iss and state) back to the client', async () => {
    const browser = new Browser();
    const c = await toConsent(browser, await publicClient());
    const r = await browser.follow(new URL(c.action, ts.url).href, { form: { csrf: c.csrf, org: alphaId, action: 'deny' } }, new URL(ts.url).origin);
    const back = new URL(r.left!);
    expect(back.origin + back.pathname).toBe(REDIRECT);
    expect(back.searchParams.get('error')).toBe('access_denied');
    expect(back.searchParams.get('state')).toBe('st');
    expect(back.searchParams.get('iss')).toBe(ts.url);
    expect(back.searchParams.get('code')).toBeNull();
  });

  it('rate-limits wrong passwords per IP and email: after five, even the right one waits', async () => {
    await createUser(ts, 'target@example.com', [['alpha', 'member']]);
    const clientId = await publicClient();
    const { challenge } = pkce();
    const browser = new Browser();
    const signIn = await browser.follow(authorizationUrl(ts.url, { client_id: clientId, redirect_uri: REDIRECT, code_challenge: challenge, code_challenge_method: 'S256' }));
    const f = formFields(signIn.body);
    const attempt = (password: string, email = 'target@example.com') => browser.request(new URL(f.action, ts.url).href, { form: { csrf: f.csrf, email, password } });
    for (let i = 0; i < 5; i++) {
      const r = await attempt(`wrong-password-${i}`);
      expect(r.status).toBe(401);
      expect(r.body).toContain('Wrong email or password');
    }
    const blocked = await attempt(PASSWORD);
    expect(blocked.status).toBe(429);
    expect(blocked.headers.get('retry-after')).toMatch(/^\d+$/);
    // An unknown email is refused exactly like a wrong password.
    const unknown = await attempt(PASSWORD, 'nobody@example.com');
    expect(unknown.status).toBe(401);
    expect(unknown.body).toContain('Wrong email or password');
  });

  it('a sign-in page opened without its cookie (another browser) is refused', async () => {
    const clientId = await publicClient();
    const { challenge } = pkce();
    const signIn = await new Browser().follow(authorizationUrl(ts.url, { client_id: clientId, redirect_uri: REDIRECT, code_challenge: challenge, code_challenge_method: 'S256' }));
    const page = await new Browser().request(signIn.url);
    expect(page.status).toBe(400);
    expect(page.body).toContain('expired');
  });
});

describe('MCP resources', () => {
  it('a badly percent-encoded resource URI is an invalid-params error with a clear message, not an internal error', async () => {
    const key = await ts.key('alpha');
    const client = await connectClient(ts.mcpUrl, key.key);
    try {
      const err = await client.readResource({ uri: 'sequel://sources/%E0%A4%A/schema' }).then(
        () => undefined,
        (e: unknown) => e as { code?: number; message?: string },
      );
      expect(err?.code).toBe(-32602);
      expect(err?.message).toMatch(/percent-encoded/);
      expect(err?.message).not.toMatch(/URI malformed/);
    } finally {
      await client.close();
    }
  });
});

describe('access-token expiry', () => {
  let short: TestServer;
  beforeAll(async () => {
    short = await startTestServer({ demo: false, env: { SEQUEL_ACCESS_TOKEN_TTL: '1' } });
    await createUser(short, 'ada@example.com', [['alpha', 'member']]);
  }, 180_000);
  afterAll(async () => {
    await short?.close();
  });

  it('an expired access token gets 401; a refresh brings a working one', async () => {
    const t = await tokensFor(short.url, { email: 'ada@example.com' });
    const stored = await short.rt.store.oauth.findAccessToken(hashTokenId(short.rt.keys, t.access_token));
    expect(JSON.parse(stored!.payload).exp - JSON.parse(stored!.payload).iat).toBe(1);
    await new Promise((r) => setTimeout(r, 2100));
    const res = await rpc(short.mcpUrl, INITIALIZE, { authorization: `Bearer ${t.access_token}` });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
    const r = await postForm(`${short.url}/oauth/token`, { grant_type: 'refresh_token', refresh_token: t.refresh_token, client_id: t.clientId });
    expect(r.status).toBe(200);
    expect(r.json.expires_in).toBe(1);
    expect((await rpc(short.mcpUrl, INITIALIZE, { authorization: `Bearer ${String(r.json.access_token)}` })).status).toBe(200);
  });
});
