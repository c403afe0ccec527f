/**
 * Test helpers for the OAuth flows: a user who can sign in, a minimal cookie-keeping "browser" that
 * follows redirects and fills the sign-in and consent forms over HTTP, a local redirect-URI callback
 * server, PKCE, and an OAuthClientProvider for the official MCP SDK client.
 */
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthClientProvider,
  OAuthDiscoveryState,
  OAuthTokens,
} from '@modelcontextprotocol/client';
import { hashPassword } from '../../src/auth/passwords.js';
import type { Role } from '../../src/store/db.js';
import type { TestServer } from '../helpers/server.js';

export const PASSWORD = 'correct horse battery staple';

let passwordHash: Promise<string> | undefined;

/** A user with a password, member of the given orgs (created when missing). */
export async function createUser(ts: TestServer, email: string, orgs: Array<[slug: string, role: Role]>): Promise<{ id: string; email: string }> {
  passwordHash ??= hashPassword(PASSWORD);
  const user = await ts.rt.store.users.create({ email, passwordHash: await passwordHash });
  for (const [slug, role] of orgs) await ts.rt.store.users.addMembership((await ts.org(slug)).id, user.id, role);
  return user;
}

export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** Records the requests that reach a redirect URI, as a client's local callback listener would. */
export interface CallbackServer {
  url: string;
  received: URL[];
  close(): Promise<void>;
}

export async function startCallbackServer(pathname = '/callback'): Promise<CallbackServer> {
  const received: URL[] = [];
  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', `http://${req.headers.host}`);
    if (u.pathname === pathname) received.push(u);
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('You can close this window.');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}${pathname}`,
    received,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface Cookie {
  name: string;
  value: string;
  path: string;
  host: string;
}

export interface PageResponse {
  status: number;
  url: string;
  headers: Headers;
  body: string;
}

/**
 * Just enough of a browser: a cookie jar honouring Path, manual redirects (so each hop can be
 * inspected), form posts.
 */
export class Browser {
  private cookies: Cookie[] = [];
  /** Every URL visited, in order (redirect hops included). */
  readonly visited: string[] = [];

  cookieHeader(url: URL): string {
    return this.cookies
      .filter((c) => c.host === url.host && (url.pathname === c.path || url.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`) || c.path === '/'))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  private store(url: URL, headers: Headers): void {
    for (const line of headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';').map((s) => s.trim());
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      let cpath = '/';
      let expired = false;
      for (const a of attrs) {
        const [k, v = ''] = a.split('=');
        if (k!.toLowerCase() === 'path') cpath = v;
        if (k!.toLowerCase() === 'expires' && Date.parse(v) < Date.now()) expired = true;
        if (k!.toLowerCase() === 'max-age' && Number(v) <= 0) expired = true;
      }
      this.cookies = this.cookies.filter((c) => !(c.name === name && c.path === cpath && c.host === url.host));
      if (!expired && value !== '') this.cookies.push({ name, value, path: cpath, host: url.host });
    }
  }

  async request(url: string, init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<PageResponse> {
    const u = new URL(url);
    this.visited.push(u.href);
    const headers: Record<string, string> = { ...init.headers };
    const cookie = this.cookieHeader(u);
    if (cookie) headers.cookie = cookie;
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const res = await fetch(u, { method: init.method ?? (init.form ? 'POST' : 'GET'), headers, body, redirect: 'manual' });
    this.store(u, res.headers);
    return { status: res.status, url: u.href, headers: res.headers, body: await res.text() };
  }

  /**
   * Follows redirects from `url` until a page that is not a redirect, or until the next hop would leave
   * `stayOn` (an origin) — e.g. the client's redirect URI, which is returned unfetched.
   */
  async follow(url: string, init: Parameters<Browser['request']>[1] = {}, stayOn?: string): Promise<PageResponse & { left?: string }> {
    let res = await this.request(url, init);
    for (let i = 0; i < 20 && res.status >= 300 && res.status < 400; i++) {
      const next = new URL(res.headers.get('location')!, res.url).href;
      if (stayOn && new URL(next).origin !== stayOn) return { ...res, left: next };
      res = await this.request(next);
    }
    return res;
  }
}

export function formFields(body: string): { action: string; csrf: string } {
  const action = /<form method="post" action="([^"]+)"/.exec(body)?.[1];
  const csrf = /name="csrf" value="([^"]+)"/.exec(body)?.[1];
  if (!action || !csrf) throw new Error(`no form on page: ${body.slice(0, 500)}`);
  return { action: action.replace(/&amp;/g, '&'), csrf };
}

export function orgChoices(body: string): Array<{ id: string; label: string }> {
  return [...body.matchAll(/<input type="radio" name="org" value="([^"]+)"[^>]*> ([^<]+)</g)].map((m) => ({ id: m[1]!, label: m[2]!.trim() }));
}

export interface AuthorizeOptions {
  email?: string;
  password?: string;
  /** Organization slug to pick; the first offered when absent. */
  orgId?: string;
  deny?: boolean;
  /** Policy preset (id) to pick on the consent page; none when absent. */
  preset?: string;
}

/**
 * Plays the user: from the authorization URL, signs in, picks the organization, approves (or denies),
 * and returns the URL the server redirected the browser to (the client's redirect URI with code/iss or
 * error), without fetching it.
 */
export async function authorizeInBrowser(serverUrl: string, authorizationUrl: string, opts: AuthorizeOptions & { email: string }, browser = new Browser()): Promise<URL> {
  const origin = new URL(serverUrl).origin;
  const signIn = await browser.follow(authorizationUrl, {}, origin);
  if (signIn.left) return new URL(signIn.left);
  if (signIn.status !== 200 || !signIn.body.includes('Sign in to Sequel')) throw new Error(`expected the sign-in page, got ${signIn.status}: ${signIn.body.slice(0, 400)}`);
  const login = formFields(signIn.body);
  const consent = await browser.follow(new URL(login.action, signIn.url).href, { form: { csrf: login.csrf, email: opts.email, password: opts.password ?? PASSWORD } }, origin);
  if (consent.left) return new URL(consent.left);
  if (consent.status !== 200 || !consent.body.includes('Allow access')) throw new Error(`expected the consent page, got ${consent.status}: ${consent.body.slice(0, 600)}`);
  const form = formFields(consent.body);
  const org = opts.orgId ?? orgChoices(consent.body)[0]?.id ?? '';
  const done = await browser.follow(new URL(form.action, consent.url).href, { form: { csrf: form.csrf, org, action: opts.deny ? 'deny' : 'approve', ...(opts.preset ? { preset: opts.preset } : {}) } }, origin);
  if (!done.left) throw new Error(`expected a redirect to the client, got ${done.status}: ${done.body.slice(0, 400)}`);
  return new URL(done.left);
}

/** An OAuthClientProvider for the SDK client that keeps everything in memory and records the authorization URL. */
export class MemoryOAuthProvider implements OAuthClientProvider {
  client: OAuthClientInformationMixed | undefined;
  savedTokens: OAuthTokens | undefined;
  verifier = '';
  discovery: OAuthDiscoveryState | undefined;
  authorizationUrl: URL | undefined;
  tokenHistory: OAuthTokens[] = [];

  constructor(
    readonly redirectUrl: string,
    private readonly metadata: Partial<OAuthClientMetadata> = {},
    readonly clientMetadataUrl?: string,
  ) {}

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: 'Sequel test client',
      redirect_uris: [this.redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      ...this.metadata,
    } as OAuthClientMetadata;
  }

  clientInformation() {
    return this.client;
  }
  saveClientInformation(info: OAuthClientInformationMixed) {
    this.client = info;
  }
  tokens() {
    return this.savedTokens;
  }
  saveTokens(tokens: OAuthTokens) {
    this.savedTokens = tokens;
    this.tokenHistory.push(tokens);
  }
  redirectToAuthorization(url: URL) {
    this.authorizationUrl = url;
  }
  saveCodeVerifier(v: string) {
    this.verifier = v;
  }
  codeVerifier() {
    return this.verifier;
  }
  discoveryState() {
    return this.discovery;
  }
  saveDiscoveryState(state: OAuthDiscoveryState) {
    this.discovery = state;
  }
  invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery') {
    if (scope === 'all' || scope === 'tokens') this.savedTokens = undefined;
    if (scope === 'all' || scope === 'client') this.client = undefined;
  }
}

/** A self-signed certificate for 127.0.0.1/localhost (openssl CLI), for serving a CIMD document over https. */
export function selfSignedCert(): { key: string; cert: string; dir: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sequel-cimd-'));
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')],
    { stdio: 'pipe' },
  );
  return { key: fs.readFileSync(path.join(dir, 'key.pem'), 'utf8'), cert: fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8'), dir };
}

export interface HttpsDocServer {
  origin: string;
  port: number;
  /** Requests per path. */
  hits: Map<string, number>;
  set(pathname: string, body: unknown, headers?: Record<string, string>): void;
  close(): Promise<void>;
}

/** An https server on 127.0.0.1 serving JSON documents (CIMD) with chosen headers. */
export async function startHttpsDocServer(tlsFiles: { key: string; cert: string }, port = 0): Promise<HttpsDocServer> {
  const docs = new Map<string, { body: string; headers: Record<string, string> }>();
  const hits = new Map<string, number>();
  const server = https.createServer({ key: tlsFiles.key, cert: tlsFiles.cert }, (req, res) => {
    const p = new URL(req.url ?? '/', 'https://x').pathname;
    hits.set(p, (hits.get(p) ?? 0) + 1);
    const doc = docs.get(p);
    if (!doc) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(doc.headers[':status'] ? Number(doc.headers[':status']) : 200, { 'content-type': 'application/json', ...Object.fromEntries(Object.entries(doc.headers).filter(([k]) => k !== ':status')) });
    res.end(doc.body);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const actual = (server.address() as AddressInfo).port;
  return {
    origin: `https://127.0.0.1:${actual}`,
    port: actual,
    hits,
    set(pathname, body, headers = {}) {
      docs.set(pathname, { body: typeof body === 'string' ? body : JSON.stringify(body), headers });
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** POST a form to the token endpoint (or any endpoint), returning status and JSON. */
export async function postForm(url: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<{ status: number; json: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(form).toString() });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = { raw: text };
  }
  return { status: res.status, json, headers: res.headers };
}

/** RFC 7591 registration of a public client (or whatever `body` says). */
/**
 * fetch, tried once more when the connection was reset before any response: a pooled socket the server
 * closed as the request went out (the request never reached the server, so a retry is safe).
 */
export async function fetchRetryingReset(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (err) {
    const code = (err as { cause?: { code?: string } }).cause?.code;
    if (code !== 'ECONNRESET' && code !== 'UND_ERR_SOCKET' && code !== 'EPIPE') throw err;
    return fetch(url, init);
  }
}

export async function registerClient(serverUrl: string, body: Record<string, unknown> = {}, headers: Record<string, string> = {}): Promise<{ status: number; json: Record<string, unknown> }> {
  const r = await fetchRetryingReset(`${serverUrl}/oauth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ client_name: 'Raw client', redirect_uris: ['http://127.0.0.1:9/cb'], grant_types: ['authorization_code', 'refresh_token'], token_endpoint_auth_method: 'none', ...body }),
  });
  return { status: r.status, json: (await r.json()) as Record<string, unknown> };
}

export function authorizationUrl(serverUrl: string, params: Record<string, string>): string {
  const u = new URL(`${serverUrl}/oauth/authorize`);
  u.search = new URLSearchParams({ response_type: 'code', ...params }).toString();
  return u.href;
}

/** Authorization code + PKCE for a registered public client, through sign-in and consent; returns the code and verifier. */
export async function getCode(
  serverUrl: string,
  o: { clientId: string; redirectUri: string; email: string; orgId?: string; preset?: string; extra?: Record<string, string> },
): Promise<{ code: string; verifier: string; back: URL }> {
  const { verifier, challenge } = pkce();
  const back = await authorizeInBrowser(
    serverUrl,
    authorizationUrl(serverUrl, { client_id: o.clientId, redirect_uri: o.redirectUri, code_challenge: challenge, code_challenge_method: 'S256', state: 'st', ...o.extra }),
    { email: o.email, ...(o.orgId ? { orgId: o.orgId } : {}), ...(o.preset ? { preset: o.preset } : {}) },
  );
  return { code: back.searchParams.get('code') ?? '', verifier, back };
}

export interface TokenSet {
  access_token: string;
  refresh_token: string;
  scope?: string;
}

/** The whole raw flow: register, authorize, exchange. */
export async function tokensFor(serverUrl: string, o: { email: string; orgId?: string; redirectUri?: string; preset?: string }): Promise<TokenSet & { clientId: string }> {
  const redirectUri = o.redirectUri ?? 'http://127.0.0.1:9/cb';
  const reg = await registerClient(serverUrl, { redirect_uris: [redirectUri] });
  const clientId = String(reg.json.client_id);
  const { code, verifier } = await getCode(serverUrl, { clientId, redirectUri, email: o.email, ...(o.orgId ? { orgId: o.orgId } : {}), ...(o.preset ? { preset: o.preset } : {}) });
  const t = await postForm(`${serverUrl}/oauth/token`, { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier, client_id: clientId });
  if (t.status !== 200) throw new Error(`token request failed: ${JSON.stringify(t.json)}`);
  return { ...(t.json as unknown as TokenSet), clientId };
}
