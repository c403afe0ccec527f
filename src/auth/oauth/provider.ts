/**
 * Sequel as its own OAuth 2.1 authorization server, on oidc-provider 9, configured for MCP (authorization
 * spec 2025-06-18, 2025-11-25, 2026-07-28) rather than as an OpenID login for users:
 *
 * - authorization code + PKCE S256 for every client (plain is refused by the library), refresh tokens;
 *   no implicit or hybrid flows, no device flow, no dev interactions;
 * - clients: RFC 7591 dynamic registration (public `none` clients and the confidential ones DCR allows)
 *   and Client ID Metadata Documents (the client_id is an https URL, fetched through ./cimd.ts);
 * - RFC 8707: one resource, `<publicUrl>/mcp`, the default when a client names none, bound into every
 *   access token's audience; opaque tokens stored hashed (./adapter.ts) and checked per request
 *   (./verifier.ts);
 * - RFC 7009 revocation, RFC 9207 `iss` in authorization responses, RFC 8414 metadata at both well-known
 *   paths;
 * - refresh tokens rotate on every use; reusing a spent one revokes the grant, except within a short
 *   grace window (./adapter.ts);
 * - every authorization shows the sign-in and consent pages (src/web/oauth.ts), where the user picks
 *   the organization; the grant is bound to (user, organization, client).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import fs from 'node:fs';
import type * as oidc from 'oidc-provider';
import type { Configuration, KoaContext, Provider as ProviderType } from 'oidc-provider';
import type { Config } from '../../config.js';
import type { Logger } from '../../log.js';
import type { ServerKeys } from '../../secrets.js';
import type { Store } from '../../store/index.js';
import { FRAME_HEADERS, withFrameAncestors } from '../../web/guard.js';
import { html, page } from '../../web/html.js';
import { MCP_SCOPE } from '../principal.js';
import { adapterFactory, Purger } from './adapter.js';
import { fetchAllowedByName, guardedFetch } from './cimd.js';
import { markRefreshReplay, RefreshReplays, refreshReplayOf, withRefreshScope } from './refreshReplay.js';
import { cookieKeys, idTokenSigningJwk } from './keys.js';
import { OAuthAccessTokenVerifier } from './verifier.js';

/** The provider's endpoints, under one prefix so they are easy to route and to recognise in logs. */
export const OAUTH_ROUTES = {
  authorization: '/oauth/authorize',
  token: '/oauth/token',
  registration: '/oauth/register',
  revocation: '/oauth/revoke',
  jwks: '/oauth/jwks',
  end_session: '/oauth/logout',
  userinfo: '/oauth/userinfo',
  introspection: '/oauth/introspect',
} as const;

/** Where the sign-in and consent pages live (one per interaction uid). */
export const INTERACTION_PATH = '/oauth/interaction';

/** Grants outlive their refresh tokens: a connector that keeps refreshing stays connected this long. */
const GRANT_TTL_SECONDS = 365 * 86400;

export interface OAuthServerDeps {
  config: Config;
  store: Store;
  keys: ServerKeys;
  log: Logger;
}

/**
 * oidc-provider warns on import when it runs on Node < 22 (it is tested on 22+, and uses nothing that
 * Node 20.19+ lacks). That line would land unstructured on stderr among Sequel's JSON logs, so it is
 * logged through the logger instead.
 */
let loading: Promise<typeof oidc> | undefined;

async function loadProvider(log: Logger): Promise<typeof oidc> {
  // Once per process: the module (and its one-time runtime check) is cached after the first import,
  // and swapping console.warn concurrently from two callers could leave the wrapper installed.
  loading ??= (async () => {
    const original = console.warn;
    console.warn = (...args: unknown[]) => {
      const first = String(args[0] ?? '');
      if (first.includes('oidc-provider WARNING: Unsupported runtime')) log.debug('oidc-provider runtime notice', { notice: first });
      else original(...args);
    };
    try {
      return await import('oidc-provider');
    } finally {
      console.warn = original;
    }
  })();
  return loading;
}

/** Loopback hostnames (RFC 8252 §7.3; `localhost` as the MCP spec allows). */
export function isLoopbackHostname(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

export class OAuthServer {
  readonly issuer: string;
  readonly resource: string;
  readonly verifier: OAuthAccessTokenVerifier;
  /** The public URL's path (a deployment under a path prefix), '' at the root. */
  readonly basePath: string;
  private readonly publicHost: string;
  private readonly publicProto: string;
  private readonly handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>;

  constructor(
    readonly provider: ProviderType,
    readonly deps: OAuthServerDeps,
    private readonly purger?: Purger,
  ) {
    const u = new URL(deps.config.publicUrl);
    this.issuer = deps.config.publicUrl;
    this.resource = `${deps.config.publicUrl}/mcp`;
    this.basePath = u.pathname.replace(/\/+$/, '');
    this.publicHost = u.host;
    this.publicProto = u.protocol.replace(':', '');
    this.verifier = new OAuthAccessTokenVerifier(deps.store, deps.keys, this.resource);
    this.handler = provider.callback();
  }

  /**
   * Makes the request look as it does from outside: oidc-provider builds every URL it returns from the
   * request's host and scheme, and those must agree with the issuer (SEQUEL_PUBLIC_URL) whichever name
   * the request arrived under. `originalUrl` carries a path prefix the reverse proxy stripped.
   */
  prepare(req: IncomingMessage, path?: string): void {
    req.headers['x-forwarded-host'] = this.publicHost;
    req.headers['x-forwarded-proto'] = this.publicProto;
    if (path !== undefined) {
      const q = req.url?.indexOf('?') ?? -1;
      req.url = path + (q >= 0 ? req.url!.slice(q) : '');
    }
    (req as IncomingMessage & { originalUrl?: string }).originalUrl = this.basePath + (req.url ?? '/');
  }

  /** Serves one request with oidc-provider; resolves once the response has been written. */
  async handle(req: IncomingMessage, res: ServerResponse, path?: string): Promise<void> {
    this.prepare(req, path);
    await this.handler(req, res);
  }

  /** RFC 9728 protected-resource metadata for `<publicUrl>/mcp`. */
  protectedResourceMetadata(): Record<string, unknown> {
    return {
      resource: this.resource,
      authorization_servers: [this.issuer],
      scopes_supported: [MCP_SCOPE],
      bearer_methods_supported: ['header'],
      resource_name: 'Sequel',
    };
  }

  /** Waits for background store work (the expired-row purge) before the store closes. */
  async close(): Promise<void> {
    await this.purger?.settle();
  }

  /** Seconds a grant lives (for the authorization row written at consent). */
  get grantTtlSeconds(): number {
    return Math.max(GRANT_TTL_SECONDS, this.deps.config.refreshTokenTtlSeconds);
  }
}

export async function createOAuthServer(deps: OAuthServerDeps): Promise<OAuthServer> {
  const { config, store, keys, log } = deps;
  const { default: Provider, errors, interactionPolicy } = await loadProvider(log);
  const resource = `${config.publicUrl}/mcp`;
  const basePath = new URL(config.publicUrl).pathname.replace(/\/+$/, '');

  // Sign in and consent on every authorization request: the user picks the organization each time, and a
  // client that registered itself (DCR needs no credentials) never gets a code without the user seeing it.
  const policy = interactionPolicy.base();
  policy.get('login')?.checks.add(new interactionPolicy.Check('sequel_sign_in', 'sign in for each authorization', (ctx) => !ctx.oidc?.result?.login));
  policy.get('consent')?.checks.add(new interactionPolicy.Check('sequel_consent', 'consent for each authorization', (ctx) => !ctx.oidc?.result?.consent));

  const fetchOptions = {
    allowPrivate: config.cimdAllowPrivateHosts,
    extraCa: config.cimdCaFile ? fs.readFileSync(config.cimdCaFile, 'utf8') : undefined,
    ...(config.cimdTimeoutMs !== undefined ? { timeoutMs: config.cimdTimeoutMs, ownDeadline: true } : {}),
  };

  const purger = new Purger(store, log);
  const replays = new RefreshReplays({ store, keys, log, graceMs: config.refreshGraceSeconds * 1000 });
  const configuration: Configuration = {
    adapter: adapterFactory({
      store,
      keys,
      log,
      refreshGraceMs: config.refreshGraceSeconds * 1000,
      invalidGrant: (description) => new errors.InvalidGrant(description),
    }, purger),
    clients: [],
    async findAccount(ctx: KoaContext, sub: string, token?: { grantId?: string; kind?: string; jti?: string }) {
      // A refresh token presented again within the grace window, its client authenticated and its grant
      // checked by now: answered with the first rotation's result, never rotated again (./refreshReplay.ts).
      if (ctx.oidc?.route === 'token' && token?.kind === 'RefreshToken' && token.jti) {
        const replayOf = await replays.isReplayInGrace(token.jti);
        if (replayOf) {
          markRefreshReplay(replayOf);
          throw new errors.InvalidGrant('refresh token already used');
        }
      }
      const user = await store.users.get(sub);
      if (!user) return undefined;
      // At the token endpoint the grant must still be usable: not revoked, and the user still a member of
      // the organization they authorized (a refresh after removal fails with invalid_grant).
      if (token?.grantId && ctx.oidc?.route === 'token' && !(await store.oauth.authorizationUsable(token.grantId))) return undefined;
      return { accountId: sub, claims: () => ({ sub, email: user.email }) };
    },
    jwks: { keys: [idTokenSigningJwk(keys)] },
    cookies: {
      keys: cookieKeys(keys),
      names: { session: '_sequel_oauth_session', interaction: '_sequel_oauth_interaction', resume: '_sequel_oauth_resume' },
      long: { httpOnly: true, sameSite: 'lax', signed: true },
      short: { httpOnly: true, sameSite: 'lax', signed: true },
    },
    routes: OAUTH_ROUTES,
    // `mcp` is the resource's scope (getResourceServerInfo below); listing it here as well lets clients
    // name it in their registration metadata (DCR rejects a `scope` with values the server does not list).
    scopes: [MCP_SCOPE, 'openid', 'offline_access'],
    responseTypes: ['code'],
    pkce: { required: () => true },
    clientAuthMethods: ['none', 'client_secret_basic', 'client_secret_post'],
    clientDefaults: {
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'ES256',
    },
    enabledJWA: { idTokenSigningAlgValues: ['ES256'] },
    // MCP authorization spec (Communication Security): redirect URIs are https or loopback. Plain http
    // to any other host is refused at registration (DCR) and for CIMD documents alike; custom schemes
    // (native apps) stay allowed — oidc-provider only accepts them for application_type "native".
    extraClientMetadata: {
      properties: ['redirect_uris'],
      validator: (_ctx: unknown, key: string, value: unknown) => {
        if (key !== 'redirect_uris' || !Array.isArray(value)) return;
        // RFC 7591 §3.2.2 invalid_redirect_uri. oidc-provider's InvalidRedirectUri carries a fixed
        // description (about authorization requests); ours says what is wrong with the registration.
        const refuse = (description: string): never => {
          const err = new errors.InvalidRedirectUri();
          err.error_description = description;
          throw err;
        };
        for (const uri of value) {
          const u = typeof uri === 'string' ? URL.parse(uri) : null;
          if (!u) continue; // oidc-provider refuses it with its own message
          if (u.protocol === 'http:' && !isLoopbackHostname(u.hostname)) {
            refuse('redirect_uris must use https, except for loopback (localhost, 127.0.0.1, [::1])');
          }
          // Redirect URIs are compared exactly (OAuth 2.1 §2.3.1 / §4.1.1): a wildcard host would only
          // ever look like a pattern to the person reading the consent page.
          if (u.hostname.includes('*')) refuse('redirect_uris must not contain wildcards');
          // Userinfo in a redirect URI misleads whoever reads it (RFC 3986 §7.6) and is never needed.
          if (u.username || u.password) refuse('redirect_uris must not contain a user name or password');
        }
      },
    },
    // OAuth 2.1 §4.1.3: the redirect_uri of the authorization request is required again, exactly.
    allowOmittingSingleRegisteredRedirectUri: false,
    features: {
      devInteractions: { enabled: false },
      registration: { enabled: true, initialAccessToken: false, issueRegistrationAccessToken: false },
      revocation: { enabled: true },
      introspection: { enabled: false },
      userinfo: { enabled: false },
      rpInitiatedLogout: { enabled: false },
      pushedAuthorizationRequests: { enabled: false },
      dPoP: { enabled: false },
      resourceIndicators: {
        enabled: true,
        // A client that names no resource gets the MCP endpoint (there is no other).
        defaultResource: () => resource,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: KoaContext, indicator: string) => {
          if (indicator !== resource) throw new errors.InvalidTarget(`this server issues tokens only for ${resource}`);
          return { scope: MCP_SCOPE, audience: resource, accessTokenTTL: config.accessTokenTtlSeconds, accessTokenFormat: 'opaque' };
        },
      },
      clientIdMetadataDocument: {
        enabled: true,
        ack: 'draft-02',
        allowFetch: (_ctx: KoaContext, clientId: string) => fetchAllowedByName(clientId, fetchOptions),
        allowClient: () => true,
        cacheDuration: { min: 60, max: 86400 },
      },
    },
    fetch: guardedFetch(fetchOptions),
    fetchResponseBodyLimits: { 'client_id metadata document': 8 * 1024, jwks_uri: 64 * 1024, sector_identifier_uri: 64 * 1024 },
    ttl: {
      AccessToken: config.accessTokenTtlSeconds,
      AuthorizationCode: 60,
      RefreshToken: config.refreshTokenTtlSeconds,
      Grant: Math.max(GRANT_TTL_SECONDS, config.refreshTokenTtlSeconds),
      Interaction: 30 * 60,
      Session: 12 * 3600,
      IdToken: 3600,
      ClientCredentials: 600,
      DeviceCode: 600,
      BackchannelAuthenticationRequest: 600,
      PreAuthorizedCode: 600,
    },
    rotateRefreshToken: true,
    // Clients do not always ask for offline_access; a connector must stay connected regardless.
    issueRefreshToken: (_ctx: KoaContext, client: { grantTypeAllowed(t: string): boolean }) => client.grantTypeAllowed('refresh_token'),
    // Tokens outlive the browser sign-in session that produced them.
    expiresWithSession: () => false,
    // Only the grant made by this very consent; never one remembered from an earlier authorization.
    loadExistingGrant: async (ctx: KoaContext) => {
      const grantId = ctx.oidc?.result?.consent?.grantId;
      return grantId ? ctx.oidc!.provider.Grant.find(grantId) : undefined;
    },
    interactions: { policy, url: (_ctx: KoaContext, interaction: { uid: string }) => `${basePath}${INTERACTION_PATH}/${interaction.uid}` },
    // Token and revocation requests carry their own proof (code + verifier, a refresh token): any
    // origin may make them from a browser.
    clientBasedCORS: () => true,
    async renderError(ctx: KoaContext, out: Record<string, string>) {
      ctx.type = 'html';
      ctx.body = page(
        'Authorization problem',
        html`<div class="card"><h1>This authorization request cannot continue</h1>
<p class="error" role="alert"><strong>${out.error ?? 'error'}</strong>${out.error_description ? html`: ${out.error_description}` : ''}</p>
<p class="muted">Go back to the app you were connecting and start again. If it keeps happening, the app may be misconfigured.</p></div>`,
      );
    },
  };

  const provider = new Provider(config.publicUrl, configuration);
  // Behind Sequel's own request preparation (see OAuthServer.prepare): X-Forwarded-Host/Proto are set
  // from SEQUEL_PUBLIC_URL for every request, never taken from the client.
  provider.proxy = true;

  provider.use(async (ctx, next) => {
    // The provider writes its own responses (error pages included), past Hono's frameGuard: the same
    // framing headers here (src/web/guard.ts).
    ctx.set('x-frame-options', FRAME_HEADERS['x-frame-options']);
    ctx.set('content-security-policy', withFrameAncestors(undefined));
    try {
      if (ctx.method === 'POST' && ctx.path === OAUTH_ROUTES.token) await withRefreshScope(() => tokenRequest(ctx, next));
      else await sequelMiddleware(ctx, next);
    } finally {
      ctx.set('x-frame-options', FRAME_HEADERS['x-frame-options']);
      ctx.set('content-security-policy', withFrameAncestors(ctx.response.get('content-security-policy')));
    }
  });

  /** The token endpoint: a grace-window replay gets the recorded answer; a rotation's answer is recorded. */
  async function tokenRequest(ctx: KoaContext, next: () => Promise<void>): Promise<void> {
    await sequelMiddleware(ctx, next);
    const replayOf = refreshReplayOf();
    const clientId = ctx.oidc?.client?.clientId;
    if (replayOf) {
      const answer = await replays.answer(replayOf, clientId);
      if (answer && 'body' in answer) {
        ctx.status = 200;
        ctx.body = answer.body;
        log.info('oauth refresh replay answered with the recorded rotation', { clientId });
      } else if (answer) {
        // The spent token came back after its successor was used: not a duplicate request but reuse.
        await store.oauth.revokeGrant(answer.revoke);
        log.info('oauth grant revoked', { grantId: answer.revoke, reason: 'refresh token reused after its successor' });
      }
      return;
    }
    const spent = ctx.oidc?.params?.refresh_token;
    const grantId = ctx.oidc?.entities.Grant?.jti;
    if (ctx.status === 200 && ctx.oidc?.params?.grant_type === 'refresh_token' && typeof spent === 'string' && clientId && grantId && ctx.body && typeof ctx.body === 'object') {
      await replays.record(spent, { clientId, grantId, body: ctx.body as Record<string, unknown> });
    }
  }

  async function sequelMiddleware(ctx: KoaContext, next: () => Promise<void>): Promise<void> {
    // RFC 6749 §3.3: a missing scope means the default scope (ChatGPT re-authorizes without one).
    if (ctx.method === 'GET' && ctx.path === OAUTH_ROUTES.authorization) {
      const q = new URLSearchParams(ctx.querystring);
      if (!q.get('scope')?.trim()) {
        q.set('scope', MCP_SCOPE);
        ctx.querystring = q.toString();
      }
    }
    // Browser-based clients register themselves (RFC 7591 has no credentials to protect here).
    if (ctx.path === OAUTH_ROUTES.registration) {
      ctx.set('Access-Control-Allow-Origin', '*');
      if (ctx.method === 'OPTIONS') {
        ctx.set('Access-Control-Allow-Methods', 'POST');
        ctx.set('Access-Control-Allow-Headers', ctx.get('Access-Control-Request-Headers') || 'content-type');
        ctx.set('Access-Control-Max-Age', '3600');
        ctx.status = 204;
        return;
      }
    }
    await next();
    if (ctx.oidc?.route === 'token' && ctx.status === 200) {
      const grantId = ctx.oidc.entities.Grant?.jti;
      if (grantId) await store.oauth.activateAuthorization(grantId);
    }
    if (ctx.oidc?.route === 'discovery' && ctx.body && typeof ctx.body === 'object') {
      const body = ctx.body as { scopes_supported?: string[] };
      body.scopes_supported = [MCP_SCOPE, ...(body.scopes_supported ?? []).filter((s) => s !== MCP_SCOPE)];
    }
  }

  provider.on('server_error', (_ctx, err) => log.error('oauth server error', { err }));
  for (const event of ['authorization.error', 'grant.error', 'registration_create.error', 'revocation.error', 'discovery.error']) {
    provider.on(event, (_ctx, err) => log.info(`oauth ${event}`, { err }));
  }
  provider.on('grant.revoked', (_ctx, grantId) => log.info('oauth grant revoked', { grantId }));

  return new OAuthServer(provider, deps, purger);
}
