/**
 * The first-run page: whoever holds the one-time link printed at start creates the owner account of the
 * default organization. The token is the capability (and, sent back in the form, the CSRF defence);
 * it is single-use and only its hash is stored.
 */
import { Hono } from 'hono';
import { AppError } from '../errors.js';
import { startSession } from '../ops/account.js';
import { createMember } from '../ops/members.js';
import { orgBySlug } from '../ops/orgs.js';
import { checkSetupToken, consumeSetupToken, DEFAULT_ORG, setupPending, type Runtime } from '../runtime.js';
import { BadForm, formBodyLimit, readForm } from './guard.js';
import { html, page } from './html.js';
import { cookieSettings, setSessionCookie } from './session.js';

function form(token: string, error?: string, email = '') {
  return page(
    'Set up',
    html`<div class="card"><h1>Set up Sequel</h1>
<p class="muted">Create the owner account of your organization. This link works once.</p>
${error ? html`<p class="error" role="alert">${error}</p>` : ''}
<form method="post" action="/setup?token=${token}">
<input type="hidden" name="token" value="${token}">
<label for="email">Email</label><input id="email" name="email" type="email" autocomplete="username" required value="${email}">
<label for="name">Name</label><input id="name" name="name" autocomplete="name">
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="new-password" minlength="10" required>
<label for="confirm">Confirm password</label><input id="confirm" name="confirm" type="password" autocomplete="new-password" minlength="10" required>
<button type="submit">Create owner account</button>
</form></div>`,
  );
}

export function setupRoutes(rt: Runtime): Hono {
  const app = new Hono();
  const invalid = () =>
    page('Set up', html`<div class="card"><h1>This setup link is no longer valid</h1><p class="muted">It was used already, or the server was restarted and printed a new one.</p></div>`);

  app.get('/setup', async (c) => {
    const token = c.req.query('token') ?? '';
    if (!(await checkSetupToken(rt, token))) return c.html(invalid(), 404);
    c.header('referrer-policy', 'no-referrer');
    return c.html(form(token));
  });

  app.post('/setup', formBodyLimit(rt.config.maxFormBytes), async (c) => {
    // The capability is checked before the body is read: the form posts to /setup?token=…, and a
    // post without it is read only while a setup link is outstanding at all.
    const queryToken = c.req.query('token');
    if (queryToken !== undefined ? !(await checkSetupToken(rt, queryToken)) : !(await setupPending(rt))) return c.html(invalid(), 404);
    let body: Record<string, string>;
    try {
      body = await readForm(c);
    } catch (err) {
      if (err instanceof BadForm) return c.html(invalid(), 400);
      throw err;
    }
    const token = queryToken ?? body.token ?? '';
    if (!(await checkSetupToken(rt, token))) return c.html(invalid(), 404);
    const email = String(body.email ?? '');
    const password = String(body.password ?? '');
    if (password !== String(body.confirm ?? '')) return c.html(form(token, 'The passwords do not match.', email), 400);
    try {
      const org = await orgBySlug(rt, DEFAULT_ORG);
      // Whoever holds the setup link acts as the operator, once: it creates the owner.
      const user = await createMember(rt, { kind: 'operator', orgId: org.id }, { email, name: String(body.name ?? ''), password, role: 'owner' });
      await consumeSetupToken(rt);
      rt.log.info('owner account created', { userId: user.id });
      // The owner lands signed in on the dashboard.
      setSessionCookie(c, cookieSettings(rt.config.publicUrl), await startSession(rt, user.id, c.req.header('user-agent')));
      return c.redirect(`/app/${org.slug}?ok=welcome`, 303);
    } catch (err) {
      if (err instanceof AppError) return c.html(form(token, err.message, email), 400);
      throw err;
    }
  });
  return app;
}
