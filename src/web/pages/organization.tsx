/** Settings → Organization: its name and slug, and who may change them. */
import { Hono } from 'hono';
import { can } from '../../ops/permissions.js';
import type { Runtime } from '../../runtime.js';
import type { DashEnv } from '../env.js';
import { PageHead, Time } from '../ui/components.js';
import { AppLayout } from '../ui/layout.js';
import { render } from '../ui/render.js';
import { flash } from './flash.js';

export function organizationPage(_rt: Runtime): Hono<DashEnv> {
  const app = new Hono<DashEnv>();
  app.get('/', (c) => {
    const ctx = c.get('ctx');
    return render(
      c,
      <AppLayout ctx={ctx} title="Organization" flash={flash(c)}>
        <PageHead title="Organization" />
        <div class="card">
          <dl>
            <dt class="label">Name</dt>
            <dd>{ctx.org.name}</dd>
            <dt class="label">Slug</dt>
            <dd>
              <code>{ctx.org.slug}</code> <span class="muted small">(in URLs: /app/{ctx.org.slug}; the CLI's --org)</span>
            </dd>
            <dt class="label">Created</dt>
            <dd>
              <Time iso={ctx.org.created_at} />
            </dd>
            <dt class="label">Your role</dt>
            <dd>{ctx.actor.role}</dd>
          </dl>
          {can(ctx.actor, 'org.update') ? null : <p class="muted small">Only owners can change the organization.</p>}
        </div>
      </AppLayout>,
    );
  });
  return app;
}
