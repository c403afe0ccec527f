/**
 * The playground (admins): pick a source, write SQL, run it through exactly the path a model's
 * run_query takes (guard, policy, caps, timeout, audit — marked "playground" in Activity), and see the
 * rows, the truncation notice, the error with its code, and the text the model would read.
 */
import { Hono, type Context } from 'hono';
import { AppError } from '../../errors.js';
import { can } from '../../ops/permissions.js';
import { runPlayground, type PlaygroundResult } from '../../ops/playground.js';
import { listSources } from '../../ops/sources.js';
import type { Runtime } from '../../runtime.js';
import type { DashEnv } from '../env.js';
import { Csrf, Empty, Notice, PageHead, Select } from '../ui/components.js';
import { AppLayout } from '../ui/layout.js';
import { render } from '../ui/render.js';

function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

export function playgroundPage(rt: Runtime): Hono<DashEnv> {
  const app = new Hono<DashEnv>();

  const show = async (c: Context<DashEnv>, opts: { sourceId?: string; sql?: string; maxRows?: string; result?: PlaygroundResult; error?: string; status?: 200 | 400 | 403 } = {}) => {
    const ctx = c.get('ctx');
    if (!can(ctx.actor, 'playground.run')) {
      return render(
        c,
        <AppLayout ctx={ctx} title="Playground">
          <PageHead title="Playground" />
          <Notice kind="error">Only admins and owners can use the playground.</Notice>
        </AppLayout>,
        403,
      );
    }
    const sources = await listSources(rt, ctx.actor);
    const r = opts.result;
    const sql = opts.sql ?? '';
    const lines = Math.max(6, Math.min(30, sql.split('\n').length + 1));
    return render(
      c,
      <AppLayout ctx={ctx} title="Playground">
        <PageHead title="Playground" description="Run SQL exactly as a model would: same read-only guard, policy, caps, timeout — and it is audited." />
        {sources.length === 0 ? (
          <Empty
            title="No data sources yet"
            action={
              <a class="btn" href={`${ctx.base}/sources/new`}>
                Add data source
              </a>
            }
          >
            The playground runs SQL on a data source. Add one first.
          </Empty>
        ) : (
          <form method="post" action={`${ctx.base}/playground`} class="card playground">
            <Csrf token={ctx.csrf} />
            <div class="row pg-controls">
              <Select label="Source" name="source" value={opts.sourceId ?? sources[0]!.id} options={sources.map((s) => ({ value: s.id, label: `${s.name} (${s.engine})` }))} />
              <div class="field">
                <label for="maxRows">Rows</label>
                <input id="maxRows" name="maxRows" type="number" min={1} value={opts.maxRows ?? ''} placeholder="source default" />
              </div>
            </div>
            <div class="field">
              <label for="sql">SQL</label>
              <div class="editor">
                <pre class="gutter" aria-hidden="true">
                  {Array.from({ length: lines }, (_, i) => String(i + 1)).join('\n')}
                </pre>
                <textarea id="sql" name="sql" rows={lines} spellcheck={false} class="mono" required placeholder="select * from …" autocapitalize="off">
                  {sql}
                </textarea>
              </div>
            </div>
            <button type="submit">Run</button>
          </form>
        )}
        {opts.error ? <Notice kind="error">{opts.error}</Notice> : null}
        {r ? (
          <section aria-label="Result" class="result">
            {r.ok && r.result ? (
              <>
                <p class="row">
                  <span class="pill ok">ok</span>
                  <span>
                    {r.result.row_count} row{r.result.row_count === 1 ? '' : 's'} in {r.result.elapsed_ms} ms
                  </span>
                </p>
                {r.result.truncated ? <Notice kind="warn">Truncated: {r.result.hint ?? 'more rows exist.'}</Notice> : r.result.hint ? <Notice>{r.result.hint}</Notice> : null}
                <div class="table-wrap result-table">
                  <table>
                    <thead>
                      <tr>
                        {r.result.columns.map((col) => (
                          <th scope="col">
                            {col.name} <span class="muted small mono">{col.type}</span>
                          </th>
                        ))}
                      </tr>
                    </thead>
                    <tbody>
                      {r.result.rows.map((row) => (
                        <tr>
                          {row.map((v) => (
                            <td class={`mono small${v === null ? ' muted' : ''}`}>{v === null ? 'null' : cell(v)}</td>
                          ))}
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              </>
            ) : (
              <Notice kind="error">
                <strong>{r.error?.code}</strong>: {r.error?.message}
              </Notice>
            )}
            <details class="model-view">
              <summary>As the model sees it</summary>
              <pre class="sql">{r.modelText}</pre>
            </details>
          </section>
        ) : null}
      </AppLayout>,
      opts.status ?? 200,
    );
  };

  app.get('/', (c) => show(c, { sourceId: c.req.query('source') }));

  app.post('/', async (c) => {
    const ctx = c.get('ctx');
    const body = await c.req.parseBody();
    const sourceId = String(body.source ?? '');
    const sql = String(body.sql ?? '');
    const maxRows = String(body.maxRows ?? '').trim();
    try {
      const n = maxRows ? Number(maxRows) : undefined;
      const result = await runPlayground(rt, ctx.actor, { sourceId, sql, maxRows: n !== undefined && Number.isInteger(n) && n > 0 ? n : undefined }, c.req.raw.signal);
      return show(c, { sourceId, sql, maxRows, result });
    } catch (err) {
      if (err instanceof AppError && err.code === 'VALIDATION') return show(c, { sourceId, sql, maxRows, error: err.message, status: 400 });
      throw err;
    }
  });

  return app;
}
