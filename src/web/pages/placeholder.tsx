/** A page whose feature is not built yet: says what it will be, in the frame. */
import { Hono } from 'hono';
import type { DashEnv } from '../env.js';
import { Empty, PageHead } from '../ui/components.js';
import { AppLayout } from '../ui/layout.js';
import { render } from '../ui/render.js';

export function placeholderPage(title: string, what: string): Hono<DashEnv> {
  const app = new Hono<DashEnv>();
  app.get('/', (c) =>
    render(
      c,
      <AppLayout ctx={c.get('ctx')} title={title}>
        <PageHead title={title} />
        <Empty title="Not available yet">{what} Use the CLI (npx sequel --help) meanwhile.</Empty>
      </AppLayout>,
    ),
  );
  return app;
}
