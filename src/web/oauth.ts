/**
 * The OAuth sign-in and consent pages (server-rendered, Sequel's look). Every authorization request
 * comes here twice: once to sign in (email + password), once to see which app asks, where it will
 * send the user back, and to pick the organization the app may reach — or deny.
 *
 * Protections: the interaction is named by a signed, SameSite cookie that oidc-provider checks against
 * the uid in the path; each form carries a CSRF token derived from that uid under a server key; POSTs
 * from a foreign Origin are refused; passwords are checked by the shared `SignIn` (src/auth/signin.ts)
 * with its throttles; the pages cannot be framed.
 */
import { Hono, type Context } from 'hono';
import type { InteractionInstance } from 'oidc-provider';
import { csrfToken, csrfTokens } from '../auth/oauth/keys.js';
import { INTERACTION_PATH, isLoopbackHostname, type OAuthServer } from '../auth/oauth/provider.js';
import { clientIp, nodeEnv } from '../auth/oauth/node.js';
import { MCP_SCOPE } from '../auth/principal.js';
import type { Runtime } from '../runtime.js';
import { safeEqual } from '../secrets.js';
import type { Membership } from '../store/users.js';
import { BadForm, formBodyLimit, readForm } from './guard.js';
import { html, page, type Raw } from './html.js';

const SECURITY_HEADERS: Record<string, string> = {
  'cache-control': 'no-store',
  'x-frame-options': 'DENY',
  // No form-action: Chrome applies it to the redirect chain after the POST, which ends at the client.
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
  // same-origin, not no-referrer: under no-referrer a browser sends `Origin: null` with the form POSTs
  // (Fetch §3.1.3 "serializing a request origin"), which the CSRF origin check must refuse. same-origin
  // still keeps the interaction URL away from the client the user is sent on to.
  'referrer-policy': 'same-origin',
};

interface ClientView {
  id: string;
  name: string;
  redirectUri: string;
  redirectHost: string;
  loopback: boolean;
  /** The client_id is an https URL whose host vouches for the metadata (CIMD). */
  verifiedHost: string | undefined;
}

class PageError extends Error {
  constructor(
    readonly status: 400 | 403 | 404 | 429 | 500,
    message: string,
  ) {
    super(message);
  }
}

export function interactionRoutes(rt: Runtime, server: OAuthServer): Hono {
  const app = new Hono();
  const { provider } = server;
  const publicOrigin = new URL(rt.config.publicUrl).origin;

  const respond = (c: Context, status: number, title: string, body: Raw) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) c.header(k, v);
    return c.html(page(title, body), status as 200);
  };

  /** The interaction named by both the path and the signed cookie, or a PageError. */
  async function load(c: Context): Promise<InteractionInstance> {
    const node = nodeEnv(c);
    if (!node) throw new PageError(500, 'The sign-in pages need the Node HTTP server.');
    server.prepare(node.incoming);
    let details: InteractionInstance;
    try {
      details = await provider.interactionDetails(node.incoming, node.outgoing);
    } catch {
      throw new PageError(400, 'This sign-in page has expired or was opened in another browser.');
    }
    if (details.uid !== c.req.param('uid')) throw new PageError(400, 'This sign-in page has expired or was opened in another browser.');
    return details;
  }

  async function clientView(details: InteractionInstance): Promise<ClientView> {
    const id = String(details.params.client_id ?? '');
    const client = await provider.Client.find(id).catch(() => undefined);
    const redirectUri = String(details.params.redirect_uri ?? '');
    let redirect: URL | undefined;
    try {
      redirect = new URL(redirectUri);
    } catch {
      redirect = undefined;
    }
    const verifiedHost = client?.clientIdMetadataDocument ? new URL(id).host : undefined;
    return {
      id,
      name: client?.clientName?.trim() || verifiedHost || id,
      redirectUri,
      redirectHost: redirect?.host ?? redirectUri,
      loopback: redirect ? isLoopbackHostname(redirect.hostname) : false,
      verifiedHost,
    };
  }

  /** Refuses a POST without the interaction's CSRF token or from a foreign origin. */
  function checkForm(c: Context, uid: string, form: Record<string, string>): void {
    const origin = c.req.header('origin');
    if (origin !== undefined && origin !== 'null' && origin.toLowerCase() !== publicOrigin.toLowerCase()) {
      throw new PageError(403, 'This form was submitted from another site.');
    }
    if (origin === 'null') throw new PageError(403, 'This form was submitted from another site.');
    const token = form.csrf ?? '';
    if (!csrfTokens(rt.keys, uid).some((t) => safeEqual(token, t))) throw new PageError(403, 'This form is no longer valid; reload the page and try again.');
  }

  async function finish(c: Context, result: Record<string, unknown>, merge: boolean): Promise<Response> {
    const node = nodeEnv(c)!;
    const returnTo = await provider.interactionResult(node.incoming, node.outgoing, result, { mergeWithLastSubmission: merge });
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) c.header(k, v);
    return c.redirect(returnTo, 303);
  }

  function clientHeader(cv: ClientView): Raw {
    return html`<div class="client">
<p><strong>${cv.name}</strong> wants to connect to Sequel.</p>
${cv.verifiedHost ? html`<p class="muted">App published by <code>${cv.verifiedHost}</code>.</p>` : html`<p class="muted">The app chose this name itself when it registered.</p>`}
<p class="muted">After you decide, you will be sent to <code>${cv.redirectHost}</code>.</p>
${cv.loopback ? html`<p class="warn" role="note">This app runs on your own computer (<code>${cv.redirectHost}</code>). Continue only if you just started it yourself.</p>` : ''}
</div>`;
  }

  function signInPage(c: Context, uid: string, cv: ClientView, opts: { status?: number; error?: string; email?: string } = {}) {
    const action = `${server.basePath}${INTERACTION_PATH}/${uid}`;
    return respond(
      c,
      opts.status ?? 200,
      'Sign in',
      html`<div class="card"><h1>Sign in to Sequel</h1>
${clientHeader(cv)}
${opts.error ? html`<p class="error" role="alert">${opts.error}</p>` : ''}
<form method="post" action="${action}/login">
<input type="hidden" name="csrf" value="${csrfToken(rt.keys, uid)}">
<label for="email">Email</label><input id="email" name="email" type="email" autocomplete="username" required autofocus value="${opts.email ?? ''}">
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
<button type="submit" class="secondary" formaction="${action}/abort" formnovalidate>Cancel</button>
</form></div>`,
    );
  }

  /** Each organization's presets, for the consent page's select (grouped by organization). */
  async function presetsOf(memberships: Membership[]): Promise<Map<string, Array<{ id: string; name: string; description: string }>>> {
    const out = new Map<string, Array<{ id: string; name: string; description: string }>>();
    for (const m of memberships) out.set(m.org_id, await rt.store.presets.list(m.org_id));
    return out;
  }

  async function consentPage(c: Context, uid: string, cv: ClientView, email: string, memberships: Membership[], opts: { status?: number; error?: string } = {}) {
    const presets = await presetsOf(memberships);
    const anyPreset = [...presets.values()].some((l) => l.length > 0);
    const action = `${server.basePath}${INTERACTION_PATH}/${uid}/consent`;
    const csrf = csrfToken(rt.keys, uid);
    if (memberships.length === 0) {
      return respond(
        c,
        opts.status ?? 200,
        'Authorize',
        html`<div class="card"><h1>No organization to connect</h1>
${clientHeader(cv)}
<p class="error" role="alert">You (${email}) are not a member of any organization on this Sequel server. Ask an admin to add you.</p>
<form method="post" action="${action}"><input type="hidden" name="csrf" value="${csrf}">
<button type="submit" name="action" value="deny" class="secondary">Back to the app</button></form></div>`,
      );
    }
    return respond(
      c,
      opts.status ?? 200,
      'Authorize',
      html`<div class="card"><h1>Authorize ${cv.name}</h1>
${clientHeader(cv)}
${opts.error ? html`<p class="error" role="alert">${opts.error}</p>` : ''}
<p>Signed in as <strong>${email}</strong>. The app will be able to list and query, read-only, the data sources of the organization you choose, as you, until you or an admin revoke it.</p>
<form method="post" action="${action}">
<input type="hidden" name="csrf" value="${csrf}">
<fieldset style="border:0;padding:0;margin:0"><legend><strong>Organization</strong></legend>
${memberships.map(
  (m, i) => html`<label style="font-weight:400"><input type="radio" name="org" value="${m.org_id}" style="width:auto"${i === 0 ? html` checked` : ''}> ${m.org_name} <span class="muted">(${m.org_slug}, ${m.role})</span></label>`,
)}
</fieldset>
${
  anyPreset
    ? html`<label for="preset"><strong>Policy preset</strong></label>
<select id="preset" name="preset"><option value="">None: what each source's policy allows</option>
${memberships.map((m) =>
  (presets.get(m.org_id) ?? []).length
    ? html`<optgroup label="${m.org_name}">${(presets.get(m.org_id) ?? []).map((p) => html`<option value="${p.id}">${p.name}${p.description ? ` (${p.description})` : ''}</option>`)}</optgroup>`
    : '',
)}
</select>
<p class="muted">A preset narrows what the app may read below the sources' own policies (it must belong to the organization you choose).</p>`
    : ''
}
<button type="submit" name="action" value="approve">Allow access</button>
<button type="submit" name="action" value="deny" class="secondary">Deny</button>
</form></div>`,
    );
  }

  const formLimit = formBodyLimit(rt.config.maxFormBytes);
  const formOf = async (c: Context) => {
    try {
      return await readForm(c);
    } catch (err) {
      if (err instanceof BadForm) throw new PageError(400, 'This form could not be read; reload the page and try again.');
      throw err;
    }
  };

  const errorPage = (c: Context, err: unknown) => {
    if (err instanceof PageError) {
      return respond(c, err.status, 'Sign-in problem', html`<div class="card"><h1>Something went wrong</h1><p class="error" role="alert">${err.message}</p><p class="muted">Go back to the app you were connecting and start again.</p></div>`);
    }
    throw err;
  };

  app.get(`${INTERACTION_PATH}/:uid`, async (c) => {
    try {
      const details = await load(c);
      const cv = await clientView(details);
      if (details.prompt.name === 'login') return signInPage(c, details.uid, cv);
      const userId = details.session?.accountId ?? '';
      const user = await rt.store.users.get(userId);
      if (!user) throw new PageError(400, 'Your sign-in expired; go back to the app and start again.');
      return await consentPage(c, details.uid, cv, user.email, await rt.store.users.membershipsOf(user.id));
    } catch (err) {
      return errorPage(c, err);
    }
  });

  app.post(`${INTERACTION_PATH}/:uid/login`, formLimit, async (c) => {
    try {
      // The interaction (its signed cookie) first: an anonymous body is never parsed.
      const details = await load(c);
      const form = await formOf(c);
      checkForm(c, details.uid, form);
      if (details.prompt.name !== 'login') return c.redirect(`${server.basePath}${INTERACTION_PATH}/${details.uid}`, 303);
      const cv = await clientView(details);
      const email = String(form.email ?? '').trim().toLowerCase().slice(0, 254);
      const result = await rt.signIn.attempt({ email, password: String(form.password ?? ''), client: clientIp(c, rt.config.trustProxy), surface: 'oauth' });
      if (!result.ok) {
        if (result.reason === 'throttled') c.header('retry-after', String(Math.ceil(result.retryAfterMs / 1000)));
        return signInPage(c, details.uid, cv, { status: result.reason === 'throttled' ? 429 : 401, email, error: result.message });
      }
      const { user } = result;
      // Start from a clean browser session: another account's earlier session on this browser would
      // otherwise make oidc-provider ask to sign that one out first.
      if (details.session?.uid) {
        await rt.store.oauth.destroyModelBy('Session', 'uid', details.session.uid);
        details.session = undefined;
        await details.save(Math.max(1, details.exp - Math.floor(Date.now() / 1000)));
      }
      rt.log.info('oauth sign-in', { userId: user.id, clientId: cv.id });
      return await finish(c, { login: { accountId: user.id, remember: false } }, true);
    } catch (err) {
      return errorPage(c, err);
    }
  });

  app.post(`${INTERACTION_PATH}/:uid/abort`, formLimit, async (c) => {
    try {
      // The interaction (its signed cookie) first: an anonymous body is never parsed.
      const details = await load(c);
      const form = await formOf(c);
      checkForm(c, details.uid, form);
      return await finish(c, { error: 'access_denied', error_description: 'The user cancelled the sign-in.' }, false);
    } catch (err) {
      return errorPage(c, err);
    }
  });

  app.post(`${INTERACTION_PATH}/:uid/consent`, formLimit, async (c) => {
    try {
      // The interaction (its signed cookie) first: an anonymous body is never parsed.
      const details = await load(c);
      const form = await formOf(c);
      checkForm(c, details.uid, form);
      if (details.prompt.name !== 'consent') return c.redirect(`${server.basePath}${INTERACTION_PATH}/${details.uid}`, 303);
      if (form.action === 'deny') {
        return await finish(c, { error: 'access_denied', error_description: 'The user denied the authorization request.' }, false);
      }
      if (form.action !== 'approve') throw new PageError(400, 'Choose "Allow access" or "Deny".');
      const userId = details.session?.accountId ?? '';
      const user = await rt.store.users.get(userId);
      if (!user) throw new PageError(400, 'Your sign-in expired; go back to the app and start again.');
      const cv = await clientView(details);
      const memberships = await rt.store.users.membershipsOf(user.id);
      // Only an organization the user belongs to, whatever the form says.
      const membership = memberships.find((m) => m.org_id === form.org);
      if (!membership) return await consentPage(c, details.uid, cv, user.email, memberships, { status: 400, error: 'Pick one of your organizations.' });
      // Only a preset of the chosen organization, whatever the form says.
      const presetId = typeof form.preset === 'string' && form.preset ? form.preset : null;
      if (presetId !== null && !(await rt.store.presets.get(membership.org_id, presetId))) {
        return await consentPage(c, details.uid, cv, user.email, memberships, { status: 400, error: `That policy preset is not one of ${membership.org_name}'s; pick one listed under it, or none.` });
      }

      const grant = new provider.Grant({ accountId: user.id, clientId: cv.id });
      grant.addResourceScope(server.resource, MCP_SCOPE);
      // OpenID scopes the client asked for (openid, offline_access) — harmless, and refusing them would
      // only make some clients fail.
      const missingOIDC = details.prompt.details.missingOIDCScope;
      if (Array.isArray(missingOIDC) && missingOIDC.length) grant.addOIDCScope(missingOIDC.map(String).join(' '));
      const grantId = await grant.save();
      await rt.store.oauth.createAuthorization({
        grantId,
        orgId: membership.org_id,
        userId: user.id,
        membershipCreatedAt: membership.created_at,
        clientId: cv.id,
        clientName: cv.name.slice(0, 200),
        redirectUri: cv.redirectUri,
        scope: MCP_SCOPE,
        expiresAt: new Date(Date.now() + server.grantTtlSeconds * 1000).toISOString(),
        presetId,
      });
      rt.log.info('oauth consent', { userId: user.id, orgId: membership.org_id, clientId: cv.id, grantId, presetId });
      return await finish(c, { consent: { grantId } }, true);
    } catch (err) {
      return errorPage(c, err);
    }
  });

  return app;
}
