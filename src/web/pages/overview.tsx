/** Overview: the MCP endpoint and the getting-started checklist (each step ticks itself). */
import { Hono } from 'hono';
import type { FC, PropsWithChildren } from 'hono/jsx';
import { gettingStarted } from '../../ops/overview.js';
import type { Runtime } from '../../runtime.js';
import type { DashEnv } from '../env.js';
import { PageHead } from '../ui/components.js';
import { AppLayout } from '../ui/layout.js';
import { render } from '../ui/render.js';
import { flash } from './flash.js';

const Step: FC<PropsWithChildren<{ done: boolean; title: string; href: string; action: string; dialog?: string }>> = ({ done, title, href, action, dialog, children }) => (
  <li>
    <span class={`tick ${done ? 'done' : ''}`} aria-hidden="true">
      {done ? '✓' : ''}
    </span>
    <div>
      <strong>{title}</strong>
      <span class="visually-hidden">{done ? ' (done)' : ' (to do)'}</span>
      <div class="muted small">{children}</div>
      {done ? null : (
        <a href={href} data-open-dialog={dialog}>
          {action}
        </a>
      )}
    </div>
  </li>
);

export function overviewPage(rt: Runtime): Hono<DashEnv> {
  const app = new Hono<DashEnv>();
  app.get('/', async (c) => {
    const ctx = c.get('ctx');
    const g = await gettingStarted(rt, ctx.actor);
    return render(
      c,
      <AppLayout ctx={ctx} title="Overview" flash={flash(c)}>
        <PageHead title={ctx.org.name} description="Read-only, audited SQL for your AI clients." />
        <div class="card">
          <h2>MCP endpoint</h2>
          <div class="secret">
            <input id="mcp-url" class="mono" readonly value={ctx.mcpUrl} aria-label="MCP endpoint URL" />
            <button type="button" class="secondary" data-copy="mcp-url">
              Copy
            </button>
          </div>
        </div>
        <div class="card">
          <h2>Getting started</h2>
          <ul class="checklist">
            <Step done={g.sources > 0} title="Connect a data source" href={`${ctx.base}/sources`} action="Add a data source">
              {g.sources > 0 ? `${g.sources} connected.` : 'PostgreSQL, MySQL/MariaDB, SQLite or DuckDB.'}
            </Step>
            <Step done={g.described} title="Describe its tables" href={`${ctx.base}/sources`} action="Open the schema browser">
              Descriptions help models pick the right tables and columns.
            </Step>
            <Step done={g.credentials > 0} title="Connect a client" href={`${ctx.base}/connect`} action="Connect a client" dialog="connect-dialog">
              Claude, Cursor, VS Code, ChatGPT and more; we create the key for you.
            </Step>
            <Step done={g.queried} title="Run a first query" href={`${ctx.base}/activity`} action="See activity">
              Ask your client a question about your data; every call shows up in Activity.
            </Step>
          </ul>
        </div>
      </AppLayout>,
    );
  });
  return app;
}
