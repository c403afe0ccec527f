/**
 * The dashboard: sign-in and sign-out, organization creation, invitation and password reset links, and every page under
 * `/app/<org-slug>/…`. Each request under /app resolves the signed-in person's membership in the
 * organization named by the URL (an organization they do not belong to is 404, never 403) and their
 * current role, which the operations check; state-changing requests need the session's CSRF token.
 */
import { randomBytes } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { clientIp } from '../auth/oauth/node.js';
import { AppError, httpStatusOf, ValidationError } from '../errors.js';
import { endAllSessions, endSession, resumeSession, startSession } from '../ops/account.js';
import { acceptInvitation, lookupInvitation, signUpWithInvitation } from '../ops/members.js';
import { lookupResetLink, resetPasswordWithLink } from '../ops/passwordReset.js';
import { actorIn, createOrg, myOrgs } from '../ops/orgs.js';
import type { Runtime } from '../runtime.js';
import { safeEqual } from '../secrets.js';
import type { DashEnv } from './env.js';
import { accountPage } from './pages/account.js';
import { appsPage } from './pages/apps.js';
import { connectPage } from './pages/connect.js';
import { keysPage } from './pages/keys.js';
import { presetsPage } from './pages/presets.js';
import { membersPage } from './pages/members.js';
import { organizationPage } from './pages/organization.js';
import { overviewPage } from './pages/overview.js';
import { activityPage } from './pages/activity.js';
import { playgroundPage } from './pages/playground.js';
import { sourcesPage } from './pages/sources.js';
import { assertSameOrigin, formLimit, isStateChanging, loggablePath, pageHeaders } from './security.js';
import { clearSessionCookie, cookieSettings, csrfFor, csrfMatches, requireSession, safeNext, setSessionCookie } from './session.js';
import { Csrf, Field, Notice } from './ui/components.js';
import { AppLayout, AuthLayout } from './ui/layout.js';
import { render } from './ui/render.js';

const SIGNIN_CSRF_COOKIE = 'sequel_signin';

export function dashboardRoutes(rt: Runtime): Hono<DashEnv> {
  const app = new Hono<DashEnv>();
  const publicOrigin = new URL(rt.config.publicUrl).origin;
  const cookie = cookieSettings(rt.config.publicUrl);
  const mcpUrl = `${rt.config.publicUrl}/mcp`;

  for (const path of ['/signin', '/signout', '/invite/*', '/reset/*', '/app', '/app/*']) {
    app.use(path, pageHeaders());
    app.use(path, async (c, next) => (isStateChanging(c) ? formLimit()(c, next) : next()));
  }

  // ---- sign in / out ----
  /** Login CSRF: a random value in a cookie that the form must echo (double submit), plus the origin check. */
  const signinToken = (c: Context) => {
    let t = getCookie(c, SIGNIN_CSRF_COOKIE);
    if (!t || t.length < 20) {
      t = randomBytes(18).toString('base64url');
      setCookie(c, SIGNIN_CSRF_COOKIE, t, { httpOnly: true, sameSite: 'Lax', secure: cookie.secure, path: '/' });
    }
    return t;
  };

  const signInForm = (c: Context, opts: { next: string; email?: string; error?: string; notice?: string; status?: 200 | 400 | 401 | 403 | 429 }) =>
    render(
      c,
      <AuthLayout title="Sign in">
        <div class="card">
          <h1>Sign in</h1>
          <p class="muted">to your Sequel dashboard</p>
          {opts.error ? <Notice kind="error">{opts.error}</Notice> : null}
          {opts.notice ? <Notice kind="ok">{opts.notice}</Notice> : null}
          <form method="post" action={`/signin?next=${encodeURIComponent(opts.next)}`}>
            <Csrf token={signinToken(c)} />
            <Field label="Email" name="email" type="email" autocomplete="username" required value={opts.email} autofocus />
            <Field label="Password" name="password" type="password" autocomplete="current-password" required />
            <button type="submit">Sign in</button>
          </form>
        </div>
      </AuthLayout>,
      opts.status ?? 200,
    );

  app.get('/signin', async (c) => {
    const next = safeNext(c.req.query('next'));
    if (await resumeSession(rt, getCookie(c, cookie.name) ?? '')) return c.redirect(next, 303);
    // After a reset by link (a fixed code, so a crafted URL cannot put words on the page).
    const notice = c.req.query('reset') === 'done' ? 'Your password was changed and you were signed out everywhere. Sign in with the new password.' : undefined;
    return signInForm(c, notice ? { next, notice } : { next });
  });

  app.post('/signin', async (c) => {
    const next = safeNext(c.req.query('next'));
    const form = await c.req.parseBody();
    assertSameOrigin(c, publicOrigin);
    const expected = getCookie(c, SIGNIN_CSRF_COOKIE) ?? '';
    if (!expected || !safeEqual(String(form._csrf ?? ''), expected)) {
      return signInForm(c, { next, status: 403, error: 'This form expired; try again.' });
    }
    const email = String(form.email ?? '').trim().toLowerCase().slice(0, 254);
    const result = await rt.signIn.attempt({ email, password: String(form.password ?? ''), client: clientIp(c, rt.config.trustProxy), surface: 'dashboard' });
    if (!result.ok) {
      if (result.reason === 'throttled') c.header('retry-after', String(Math.ceil(result.retryAfterMs / 1000)));
      return signInForm(c, { next, email, error: result.message, status: result.reason === 'throttled' ? 429 : 401 });
    }
    const token = await startSession(rt, result.user.id, c.req.header('user-agent'));
    setSessionCookie(c, cookie, token);
    return c.redirect(next, 303);
  });

  app.post('/signout', requireSession(rt, { publicUrl: rt.config.publicUrl }), async (c) => {
    const session = c.get('session');
    if (c.req.query('everywhere')) await endAllSessions(rt, session.user.id);
    else await endSession(rt, session);
    clearSessionCookie(c, cookie);
    return c.redirect('/signin', 303);
  });

  // ---- invitations (public: the link is the capability) ----
  app.get('/invite/:token', async (c) => {
    const token = c.req.param('token');
    const inv = await lookupInvitation(rt, token);
    const session = await resumeSession(rt, getCookie(c, cookie.name) ?? '');
    const here = `/invite/${encodeURIComponent(token)}`;
    c.header('referrer-policy', 'no-referrer');
    return render(
      c,
      <AuthLayout title="Invitation">
        <div class="card">
          <h1>Join {inv.org.name}</h1>
          <p class="muted">
            {inv.invitation.invited_by} invited <strong>{inv.invitation.email}</strong> as {inv.invitation.role === 'admin' ? 'an' : 'a'} {inv.invitation.role}.
          </p>
          {session ? (
            session.user.email === inv.invitation.email ? (
              <form method="post" action={here}>
                <Csrf token={csrfFor(rt, session)} />
                <button type="submit">Accept and open {inv.org.name}</button>
              </form>
            ) : (
              <Notice kind="warn">
                You are signed in as {session.user.email}. This invitation is for {inv.invitation.email}: sign out, then open this link again.
              </Notice>
            )
          ) : inv.accountExists ? (
            <p>
              <a class="btn" href={`/signin?next=${encodeURIComponent(here)}`}>
                Sign in as {inv.invitation.email} to accept
              </a>
            </p>
          ) : (
            <form method="post" action={here}>
              <Csrf token={signinToken(c)} />
              <Field label="Email" name="email" value={inv.invitation.email} readonly autocomplete="username" />
              <Field label="Your name" name="name" autocomplete="name" />
              <Field label="Password" name="password" type="password" autocomplete="new-password" minlength={10} required hint="At least 10 characters." />
              <button type="submit">Create account and join</button>
            </form>
          )}
        </div>
      </AuthLayout>,
    );
  });

  app.post('/invite/:token', async (c) => {
    const token = c.req.param('token');
    assertSameOrigin(c, publicOrigin);
    const form = await c.req.parseBody();
    const session = await resumeSession(rt, getCookie(c, cookie.name) ?? '');
    const presented = String(form._csrf ?? '');
    if (session) {
      if (!csrfMatches(rt, session, presented)) return c.text('This form expired; reload the page.', 403);
      const org = await acceptInvitation(rt, session.user.id, token);
      return c.redirect(`/app/${org.slug}?ok=joined`, 303);
    }
    const expected = getCookie(c, SIGNIN_CSRF_COOKIE) ?? '';
    if (!expected || !safeEqual(presented, expected)) return c.text('This form expired; reload the page.', 403);
    const { user, org } = await signUpWithInvitation(rt, token, { name: String(form.name ?? ''), password: String(form.password ?? '') });
    setSessionCookie(c, cookie, await startSession(rt, user.id, c.req.header('user-agent')));
    return c.redirect(`/app/${org.slug}?ok=joined`, 303);
  });

  // ---- password reset links (public: the link is the capability) ----
  const resetForm = async (c: Context, token: string, opts: { error?: string; status?: 200 | 400 | 403 } = {}) => {
    // An unknown, expired, used or replaced link is one NOT_FOUND page with one sentence (no oracle).
    const { user } = await lookupResetLink(rt, token);
    return render(
      c,
      <AuthLayout title="Choose a new password">
        <div class="card">
          <h1>Choose a new password</h1>
          <p class="muted">
            for <strong>{user.email}</strong>. Setting it signs this account out everywhere; then you sign in with the new password.
          </p>
          {opts.error ? <Notice kind="error">{opts.error}</Notice> : null}
          <form method="post" action={`/reset/${encodeURIComponent(token)}`}>
            <Csrf token={signinToken(c)} />
            <Field label="Email" name="email" value={user.email} readonly autocomplete="username" />
            <Field label="New password" name="password" type="password" autocomplete="new-password" minlength={10} required autofocus hint="At least 10 characters." />
            <Field label="Confirm new password" name="confirm" type="password" autocomplete="new-password" minlength={10} required />
            <button type="submit">Set password</button>
          </form>
        </div>
      </AuthLayout>,
      opts.status ?? 200,
    );
  };

  app.get('/reset/:token', (c) => resetForm(c, c.req.param('token')));

  app.post('/reset/:token', async (c) => {
    const token = c.req.param('token');
    assertSameOrigin(c, publicOrigin);
    const form = await c.req.parseBody();
    const expected = getCookie(c, SIGNIN_CSRF_COOKIE) ?? '';
    if (!expected || !safeEqual(String(form._csrf ?? ''), expected)) return resetForm(c, token, { error: 'This form expired; try again.', status: 403 });
    try {
      await resetPasswordWithLink(rt, token, { password: String(form.password ?? ''), confirm: String(form.confirm ?? '') });
    } catch (err) {
      if (err instanceof ValidationError) return resetForm(c, token, { error: err.message, status: 400 });
      throw err;
    }
    return c.redirect('/signin?reset=done', 303);
  });

  // ---- /app: pick an organization, or create one ----
  const session = requireSession(rt, { publicUrl: rt.config.publicUrl });
  app.use('/app', session);
  app.use('/app/*', session);

  const newOrgForm = (c: Context<DashEnv>, opts: { error?: string; slug?: string; name?: string; none?: boolean; status?: 200 | 400 | 409 } = {}) =>
    render(
      c,
      <AuthLayout title="Create organization">
        <div class="card">
          <h1>{opts.none ? 'No organization yet' : 'Create organization'}</h1>
          <p class="muted">
            {opts.none ? 'You are not a member of any organization. Create one (you become its owner), or ask an admin for an invitation link.' : 'You become its owner.'}
          </p>
          {opts.error ? <Notice kind="error">{opts.error}</Notice> : null}
          <form method="post" action="/app/new">
            <Csrf token={c.get('csrf')} />
            <Field label="Name" name="name" required value={opts.name} autofocus />
            <Field label="Slug" name="slug" required value={opts.slug} hint="Lower-case letters, digits and hyphens; it appears in URLs (/app/<slug>)." />
            <div class="row">
              <button type="submit">Create organization</button>
              {opts.none ? null : (
                <a class="btn secondary" href="/app">
                  Cancel
                </a>
              )}
            </div>
          </form>
        </div>
      </AuthLayout>,
      opts.status ?? 200,
    );

  app.get('/app', async (c) => {
    const orgs = await myOrgs(rt, c.get('session').user.id);
    if (orgs[0]) return c.redirect(`/app/${orgs[0].org_slug}`, 303);
    return newOrgForm(c, { none: true });
  });
  app.get('/app/new', (c) => newOrgForm(c));
  app.post('/app/new', async (c) => {
    const form = await c.req.parseBody();
    const slug = String(form.slug ?? '').trim().toLowerCase();
    const name = String(form.name ?? '').trim();
    try {
      const org = await createOrg(rt, { kind: 'user', userId: c.get('session').user.id }, { slug, name });
      return c.redirect(`/app/${org.slug}?ok=org-created`, 303);
    } catch (err) {
      if (err instanceof AppError && httpStatusOf(err) < 500) return newOrgForm(c, { error: err.message, slug, name, status: httpStatusOf(err) === 409 ? 409 : 400 });
      throw err;
    }
  });

  // ---- /app/<org>/…: the organization's pages ----
  const org = new Hono<DashEnv>();
  org.use('*', async (c, next) => {
    const s = c.get('session');
    const { actor, org: o } = await actorIn(rt, s.user.id, c.req.param('org') ?? '');
    c.set('ctx', {
      org: o,
      actor,
      user: s.user,
      memberships: await myOrgs(rt, s.user.id),
      csrf: c.get('csrf'),
      base: `/app/${o.slug}`,
      path: new URL(c.req.url).pathname,
      mcpUrl,
    });
    await next();
  });
  org.route('/', overviewPage(rt));
  org.route('/connect', connectPage(rt));
  org.route('/settings/keys', keysPage(rt));
  org.route('/settings/presets', presetsPage(rt));
  org.route('/settings/apps', appsPage(rt));
  org.route('/settings/members', membersPage(rt));
  org.route('/settings/organization', organizationPage(rt));
  org.route('/account', accountPage(rt));
  org.route('/sources', sourcesPage(rt));
  org.route('/activity', activityPage(rt));
  org.route('/playground', playgroundPage(rt));
  app.route('/app/:org', org);

  app.onError(async (err, c) => {
    const status = httpStatusOf(err);
    if (status === 500) {
      const ref = randomBytes(4).toString('hex');
      rt.log.error('dashboard error', { err, ref, path: loggablePath(new URL(c.req.url).pathname) });
      return errorPage(c, 500, `Something went wrong on our side (reference ${ref}).`);
    }
    if (c.req.header('accept')?.includes('application/json') && !c.req.header('accept')?.includes('text/html')) {
      return c.json({ error: (err as AppError).code, message: err.message }, status);
    }
    return errorPage(c, status, err.message);
  });

  const errorPage = (c: Context<DashEnv>, status: 400 | 401 | 403 | 404 | 409 | 500, message: string) => {
    const ctx = c.get('ctx') as DashEnv['Variables']['ctx'] | undefined;
    const title = status === 404 ? 'Not found' : status === 403 ? 'Not allowed' : status === 500 ? 'Error' : 'Could not do that';
    const body = (
      <div class="card">
        <h1>{title}</h1>
        <Notice kind="error">{message}</Notice>
        <a class="btn secondary" href={ctx?.base ?? '/app'}>
          Back to the dashboard
        </a>
      </div>
    );
    return render(c, ctx ? <AppLayout ctx={ctx} title={title}>{body}</AppLayout> : <AuthLayout title={title}>{body}</AuthLayout>, status);
  };

  return app;
}
