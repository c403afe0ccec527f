/**
 * The install dialog's page form (without script) and its key endpoint: POST …/connect/key provisions a
 * fresh `sequel_mcp` key for the signed-in person and answers it once, as JSON, to the dialog's script.
 */
import { Hono, type Context } from 'hono';
import { provisionInstallKey } from '../../ops/keys.js';
import type { Runtime } from '../../runtime.js';
import { ConnectPanel } from '../connect/panel.js';
import type { DashEnv } from '../env.js';
import { PageHead } from '../ui/components.js';
import { AppLayout } from '../ui/layout.js';
import { render } from '../ui/render.js';

export function connectPage(rt: Runtime): Hono<DashEnv> {
  const app = new Hono<DashEnv>();
  const page = (c: Context<DashEnv>, apiKey?: string) => {
    const ctx = c.get('ctx');
    return render(
      c,
      <AppLayout ctx={ctx} title="Connect a client">
        <PageHead title="Connect a client" description="Pick your client: we create a key for it and give you the exact configuration." />
        <div class="card">
          <ConnectPanel mcpUrl={ctx.mcpUrl} base={ctx.base} csrf={ctx.csrf} mode="page" selected={c.req.query('client')} apiKey={apiKey} />
        </div>
      </AppLayout>,
    );
  };
  app.get('/', (c) => page(c));
  app.post('/', async (c) => {
    const created = await provisionInstallKey(rt, c.get('ctx').actor);
    return page(c, created.key);
  });
  app.post('/key', async (c) => {
    const created = await provisionInstallKey(rt, c.get('ctx').actor);
    return c.json({ key: created.key, prefix: created.view.prefix, name: created.view.name });
  });
  return app;
}
