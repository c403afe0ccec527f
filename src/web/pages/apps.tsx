/**
 * Settings → Connected apps: OAuth authorizations (the app's self-chosen name, marked unverified unless
 * its client id is an https URL that vouches for it), who granted it, when, last use; revoke is
 * immediate on every replica. Members see their own, admins everyone's (ops/authorizations.ts).
 */
import { Hono } from 'hono';
import { NotFoundError } from '../../errors.js';
import { listAuthorizations, revokeAuthorization } from '../../ops/authorizations.js';
import { can } from '../../ops/permissions.js';
import type { Runtime } from '../../runtime.js';
import type { DashEnv } from '../env.js';
import { ConfirmCard, ConfirmDialog, Empty, PageHead, Time } from '../ui/components.js';
import { AppLayout } from '../ui/layout.js';
import { render } from '../ui/render.js';
import { flash } from './flash.js';

function verified(clientId: string): boolean {
  return clientId.startsWith('https://');
}

export function appsPage(rt: Runtime): Hono<DashEnv> {
  const app = new Hono<DashEnv>();

  app.get('/', async (c) => {
    const ctx = c.get('ctx');
    const list = await listAuthorizations(rt, ctx.actor);
    const all = can(ctx.actor, 'authorizations.see_all');
    return render(
      c,
      <AppLayout ctx={ctx} title="Connected apps" flash={flash(c)}>
        <PageHead title="Connected apps" description={all ? 'Apps people in this organization allowed through “Sign in with Sequel” (OAuth).' : 'Apps you allowed through “Sign in with Sequel” (OAuth).'} />
        {list.length === 0 ? (
          <Empty
            title="No connected apps"
            action={
              <a class="btn" href={`${ctx.base}/connect?client=claude-ai`} data-open-dialog="connect-dialog">
                Connect a client
              </a>
            }
          >
            Apps like ChatGPT and Claude.ai connect by signing in with a Sequel account. Once someone allows one, it shows up here and can be disconnected at any time.
          </Empty>
        ) : (
          <div class="table-wrap">
            <table>
              <caption class="visually-hidden">Connected apps</caption>
              <thead>
                <tr>
                  <th scope="col">App</th>
                  <th scope="col">Person</th>
                  <th scope="col" class="hide-phone">Connected</th>
                  <th scope="col">Last used</th>
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {list.map((a) => (
                  <tr>
                    <td>
                      <div>
                        {a.client_name} {verified(a.client_id) ? null : <span class="pill">unverified</span>}
                      </div>
                      <div class="muted small">returns to {a.redirect_host}</div>
                      {a.preset_name ? <div class="muted small">preset: {a.preset_name}</div> : null}
                    </td>
                    <td>{a.user_email}</td>
                    <td class="hide-phone">
                      <Time iso={a.created_at} />
                    </td>
                    <td>
                      <Time iso={a.last_used_at} />
                    </td>
                    <td class="actions">
                      <ConfirmDialog
                        id={`revoke-app-${a.id}`}
                        title={`Disconnect ${a.client_name}?`}
                        trigger="Revoke"
                        submitLabel="Disconnect"
                        action={`${ctx.base}/settings/apps/${a.id}/revoke`}
                        fallbackHref={`${ctx.base}/settings/apps/${a.id}/revoke`}
                        csrf={ctx.csrf}
                      >
                        <p>
                          {a.client_name} (allowed by {a.user_email}) loses access at its next request; its tokens are deleted. It can ask again, and someone has to allow it again.
                        </p>
                      </ConfirmDialog>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </AppLayout>,
    );
  });

  app.get('/:id/revoke', async (c) => {
    const ctx = c.get('ctx');
    const a = (await listAuthorizations(rt, ctx.actor)).find((x) => x.id === c.req.param('id'));
    if (!a) throw new NotFoundError('No such connected app.');
    return render(
      c,
      <AppLayout ctx={ctx} title="Disconnect app">
        <ConfirmCard title={`Disconnect ${a.client_name}?`} action={`${ctx.base}/settings/apps/${a.id}/revoke`} csrf={ctx.csrf} submitLabel="Disconnect" cancelHref={`${ctx.base}/settings/apps`}>
          <p>It loses access at its next request.</p>
        </ConfirmCard>
      </AppLayout>,
    );
  });

  app.post('/:id/revoke', async (c) => {
    const ctx = c.get('ctx');
    await revokeAuthorization(rt, ctx.actor, c.req.param('id'));
    return c.redirect(`${ctx.base}/settings/apps?ok=app-revoked`, 303);
  });

  return app;
}
