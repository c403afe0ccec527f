// @ts-check
/**
 * An OAuth access token for the benchmark, minted through the real flow as a client would: RFC 7591
 * registration, the authorization endpoint with PKCE, the sign-in and consent pages (a minimal cookie jar
 * follows the redirects and fills the forms), and the code exchange.
 */
import { createHash, randomBytes } from 'node:crypto';

/** @param {string} body */
function formFields(body) {
  const action = /<form method="post" action="([^"]+)"/.exec(body)?.[1];
  const csrf = /name="csrf" value="([^"]+)"/.exec(body)?.[1];
  if (!action || !csrf) throw new Error(`no form on page: ${body.slice(0, 300)}`);
  return { action: action.replace(/&amp;/g, '&'), csrf };
}

/**
 * @param {string} serverUrl @param {string} email @param {string} password
 * @returns {Promise<string>} the access token
 */
export async function mintAccessToken(serverUrl, email, password) {
  const redirectUri = 'http://127.0.0.1:9/cb';
  const reg = await fetch(`${serverUrl}/oauth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_name: 'sequel-bench', redirect_uris: [redirectUri], grant_types: ['authorization_code', 'refresh_token'], token_endpoint_auth_method: 'none' }),
  });
  const clientId = String((/** @type {{ client_id: string }} */ (await reg.json())).client_id);
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const authorize = new URL(`${serverUrl}/oauth/authorize`);
  authorize.search = new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: redirectUri, code_challenge: challenge, code_challenge_method: 'S256', state: 'st', scope: 'mcp' }).toString();

  /** @type {Map<string, string>} */
  const jar = new Map();
  const origin = new URL(serverUrl).origin;
  /** @param {string} url @param {Record<string, string>} [form] */
  const request = async (url, form) => {
    /** @type {Record<string, string>} */
    const headers = {};
    if (jar.size) headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    if (form) headers['content-type'] = 'application/x-www-form-urlencoded';
    const res = await fetch(url, { method: form ? 'POST' : 'GET', headers, body: form ? new URLSearchParams(form).toString() : undefined, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) {
      const pair = line.split(';')[0] ?? '';
      const eq = pair.indexOf('=');
      const value = pair.slice(eq + 1);
      if (value && !/max-age=0|expires=thu, 01 jan 1970/i.test(line)) jar.set(pair.slice(0, eq), value);
      else jar.delete(pair.slice(0, eq));
    }
    return { res, url, body: await res.text() };
  };
  /** Follows redirects while they stay on the server; returns the page, or the URL that leaves it. */
  /** @param {string} url @param {Record<string, string>} [form] */
  const follow = async (url, form) => {
    let r = await request(url, form);
    for (let i = 0; i < 20 && r.res.status >= 300 && r.res.status < 400; i++) {
      const next = new URL(r.res.headers.get('location') ?? '', r.url).href;
      if (new URL(next).origin !== origin) return { ...r, left: next };
      r = await request(next);
    }
    return { ...r, left: undefined };
  };
  const signIn = await follow(authorize.href);
  const login = formFields(signIn.body);
  const consent = await follow(new URL(login.action, signIn.url).href, { csrf: login.csrf, email, password });
  const choice = formFields(consent.body);
  const org = /<input type="radio" name="org" value="([^"]+)"/.exec(consent.body)?.[1] ?? '';
  const done = await follow(new URL(choice.action, consent.url).href, { csrf: choice.csrf, org, action: 'approve' });
  if (!done.left) throw new Error(`OAuth flow did not come back to the client: ${done.res.status} ${done.body.slice(0, 300)}`);
  const code = new URL(done.left).searchParams.get('code') ?? '';
  const tok = await fetch(`${serverUrl}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier, client_id: clientId }).toString(),
  });
  const json = /** @type {{ access_token?: string }} */ (await tok.json());
  if (!json.access_token) throw new Error(`token exchange failed: ${JSON.stringify(json)}`);
  return json.access_token;
}
