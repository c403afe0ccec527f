/** Account: who you are, your organizations, password change, signing out everywhere. */
import { Hono, type Context } from 'hono';
import { AppError, httpStatusOf } from '../../errors.js';
import { changePassword } from '../../ops/account.js';
import type { Runtime } from '../../runtime.js';
import type { DashEnv } from '../env.js';
import { Csrf, Field, Notice, PageHead } from '../ui/components.js';
import { AppLayout } from '../ui/layout.js';
import { render } from '../ui/render.js';
import { flash } from './flash.js';

export function accountPage(rt: Runtime): Hono<DashEnv> {
  const app = new Hono<DashEnv>();

  const page = (c: Context<DashEnv>, opts: { error?: string; status?: 200 | 400 } = {}) => {
    const ctx = c.get('ctx');
    return render(
      c,
      <AppLayout ctx={ctx} title="Account" flash={flash(c)}>
        <PageHead title="Account" description={ctx.user.email} />
        <div class="card">
          <h2>Organizations</h2>
          <ul>
            {ctx.memberships.map((m) => (
              <li>
                <a href={`/app/${m.org_slug}`}>{m.org_name}</a> <span class="muted">· {m.role}</span>
              </li>
            ))}
          </ul>
          <a class="btn secondary" href="/app/new">
            Create organization
          </a>
        </div>
        <div class="card">
          <h2>Change password</h2>
          {opts.error ? <Notice kind="error">{opts.error}</Notice> : null}
          <form method="post" action={`${ctx.base}/account/password`} class="stack">
            <Csrf token={ctx.csrf} />
            <input type="text" name="username" autocomplete="username" value={ctx.user.email} hidden />
            <Field label="Current password" name="current" type="password" autocomplete="current-password" required />
            <Field label="New password" name="next" type="password" autocomplete="new-password" minlength={10} required hint="At least 10 characters." />
            <Field label="Confirm new password" name="confirm" type="password" autocomplete="new-password" minlength={10} required />
            <button type="submit">Change password</button>
          </form>
        </div>
        <div class="card">
          <h2>Sessions</h2>
          <p class="muted">Signs you out of the dashboard on every browser, this one included. API keys and connected apps keep working.</p>
          <form method="post" action="/signout?everywhere=1">
            <Csrf token={ctx.csrf} />
            <button type="submit" class="secondary">
              Sign out everywhere
            </button>
          </form>
        </div>
      </AppLayout>,
      opts.status ?? 200,
    );
  };

  app.get('/', (c) => page(c));
  app.post('/password', async (c) => {
    const form = await c.req.parseBody();
    try {
      await changePassword(rt, c.get('session'), { current: String(form.current ?? ''), next: String(form.next ?? ''), confirm: String(form.confirm ?? '') });
    } catch (err) {
      if (err instanceof AppError && httpStatusOf(err) === 400) return page(c, { error: err.message, status: 400 });
      throw err;
    }
    return c.redirect(`${c.get('ctx').base}/account?ok=password-changed`, 303);
  });
  return app;
}
