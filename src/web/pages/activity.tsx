/**
 * Activity: the overview (calls per day per source, error rate, p95 latency — server-rendered SVG), the
 * filters (kept in the URL, so a filtered view can be shared), the log newest first with keyset paging,
 * each entry expandable to its full SQL and error, and the CSV export of the filtered set, streamed.
 */
import { Hono, type Context } from 'hono';
import { stream } from 'hono/streaming';
import type { FC } from 'hono/jsx';
import { activityCsv, activityFacets, activityOverview, listActivity, type ActivityFilter, type ActivityOverview } from '../../ops/activity.js';
import { can } from '../../ops/permissions.js';
import type { Runtime } from '../../runtime.js';
import type { DashEnv } from '../env.js';
import { Empty, PageHead, Select, Time } from '../ui/components.js';
import { AppLayout } from '../ui/layout.js';
import { render } from '../ui/render.js';

const RANGES: Record<string, number> = { '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 };

function filterOf(c: Context): { filter: ActivityFilter; range: string; query: URLSearchParams } {
  const q = (k: string) => (c.req.query(k) ?? '').slice(0, 100) || undefined;
  const range = q('range') ?? '';
  const since = RANGES[range] ? new Date(Date.now() - RANGES[range]!).toISOString() : q('since');
  const filter: ActivityFilter = { sourceId: q('source'), userId: q('user'), credentialId: q('credential'), tool: q('tool'), outcome: q('outcome'), since, until: q('until') };
  const query = new URLSearchParams();
  for (const k of ['source', 'user', 'credential', 'tool', 'outcome', 'range', 'since', 'until']) {
    const v = q(k);
    if (v) query.set(k, v);
  }
  return { filter, range, query };
}

/** Up to five series get their own colour; the rest are summed as "other". */
const SERIES = 5;

const Chart: FC<{ o: ActivityOverview }> = ({ o }) => {
  const W = 600;
  const H = 120;
  const n = o.days.length;
  const bw = W / n;
  const named = o.sources.slice(0, SERIES);
  const max = Math.max(1, ...o.days.map((d) => d.calls));
  const label = `Calls per day for the last ${n} days: ${o.calls} in all${named.length ? `, most on ${named.join(', ')}` : ''}.`;
  return (
    <figure class="chart">
      <figcaption>Calls per day</figcaption>
      <svg viewBox={`0 0 ${W} ${H + 16}`} role="img" aria-label={label} preserveAspectRatio="none" class="bars">
        <line x1="0" y1={H} x2={W} y2={H} class="axis" />
        {o.days.map((d, i) => {
          let y = H;
          const parts = named.map((s, k) => ({ k, calls: d.bySource.find((b) => b.source === s)?.calls ?? 0 }));
          const other = d.calls - parts.reduce((a, p) => a + p.calls, 0);
          if (other > 0) parts.push({ k: SERIES, calls: other });
          return (
            <g>
              <title>{`${d.day}: ${d.calls} calls${d.bySource.length ? ' — ' + d.bySource.map((b) => `${b.source} ${b.calls}`).join(', ') : ''}`}</title>
              {parts
                .filter((p) => p.calls > 0)
                .map((p) => {
                  const h = (p.calls / max) * (H - 4);
                  y -= h;
                  return <rect x={i * bw + 1} y={y} width={Math.max(1, bw - 2)} height={h} class={`s${p.k}`} />;
                })}
            </g>
          );
        })}
      </svg>
      <ul class="legend">
        {named.map((s, k) => (
          <li>
            <span class={`swatch s${k}`} aria-hidden="true"></span>
            {s}
          </li>
        ))}
        {o.sources.length > SERIES ? (
          <li>
            <span class={`swatch s${SERIES}`} aria-hidden="true"></span>other
          </li>
        ) : null}
      </ul>
    </figure>
  );
};

const Spark: FC<{ o: ActivityOverview; kind: 'errors' | 'p95' }> = ({ o, kind }) => {
  const W = 300;
  const H = 60;
  const values = o.days.map((d) => (kind === 'errors' ? (d.calls ? d.errors / d.calls : null) : d.p95Ms));
  const max = Math.max(kind === 'errors' ? 0.05 : 1, ...values.map((v) => v ?? 0));
  const bw = W / values.length;
  const total = kind === 'errors' ? (o.calls ? `${((o.errors / o.calls) * 100).toFixed(1)}%` : '—') : o.p95Ms !== null ? `${o.p95Ms} ms` : '—';
  const caption = kind === 'errors' ? 'Error rate' : 'p95 latency (worst day)';
  return (
    <figure class="chart small-chart">
      <figcaption>
        {caption} <strong>{total}</strong>
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`${caption}: ${total} over ${values.length} days`} preserveAspectRatio="none" class={kind}>
        <line x1="0" y1={H - 0.5} x2={W} y2={H - 0.5} class="axis" />
        {values.map((v, i) =>
          v === null ? null : (
            <rect x={i * bw + 1} y={H - (v / max) * (H - 2)} width={Math.max(1, bw - 2)} height={(v / max) * (H - 2)}>
              <title>{`${o.days[i]!.day}: ${kind === 'errors' ? `${(v * 100).toFixed(1)}% errors` : `p95 ${v} ms`}`}</title>
            </rect>
          ),
        )}
      </svg>
    </figure>
  );
};

function preview(sql: string | null): string {
  if (!sql) return '';
  const one = sql.replace(/\s+/g, ' ').trim();
  return one.length > 80 ? `${one.slice(0, 79)}…` : one;
}

export function activityPage(rt: Runtime): Hono<DashEnv> {
  const app = new Hono<DashEnv>();

  app.get('/', async (c) => {
    const ctx = c.get('ctx');
    const { filter, range, query } = filterOf(c);
    const beforeRaw = Number(c.req.query('before'));
    const before = Number.isSafeInteger(beforeRaw) && beforeRaw > 0 ? beforeRaw : undefined;
    const [page, facets, overview] = await Promise.all([listActivity(rt, ctx.actor, filter, { before, limit: 50 }), activityFacets(rt, ctx.actor), activityOverview(rt, ctx.actor, 30)]);
    const admin = can(ctx.actor, 'audit.see_all');
    const older = new URLSearchParams(query);
    if (page.nextCursor) older.set('before', String(page.nextCursor));
    const csv = `${ctx.base}/activity/export.csv${query.size ? `?${query}` : ''}`;
    const filtered = query.size > 0;
    const opt = (v: string, l: string) => ({ value: v, label: l });
    return render(
      c,
      <AppLayout ctx={ctx} title="Activity">
        <PageHead
          title="Activity"
          description={admin ? 'Every tool call in this organization, newest first.' : 'Your tool calls, newest first.'}
          actions={
            <a class="btn secondary" href={csv} download>
              Export CSV
            </a>
          }
        />
        <section class="card overview" aria-label="Last 30 days">
          <h2>Last 30 days</h2>
          <div class="charts">
            <Chart o={overview} />
            <div class="sparks">
              <Spark o={overview} kind="errors" />
              <Spark o={overview} kind="p95" />
            </div>
          </div>
        </section>
        <form method="get" class="filters card" aria-label="Filters">
          <Select label="Source" name="source" value={c.req.query('source') ?? ''} options={[opt('', 'All sources'), ...facets.sources.map((s) => opt(s.id, s.name))]} />
          {admin ? <Select label="Person" name="user" value={c.req.query('user') ?? ''} options={[opt('', 'Everyone'), ...facets.users.map((u) => opt(u.id, u.label))]} /> : null}
          <Select label="Key" name="credential" value={c.req.query('credential') ?? ''} options={[opt('', 'All keys and apps'), ...facets.credentials.map((k) => opt(k.id, k.label))]} />
          <Select label="Tool" name="tool" value={c.req.query('tool') ?? ''} options={[opt('', 'All tools'), ...facets.tools.map((t) => opt(t, t))]} />
          <Select label="Outcome" name="outcome" value={c.req.query('outcome') ?? ''} options={[opt('', 'Any outcome'), opt('ok', 'Succeeded'), opt('error', 'Failed'), ...facets.outcomes.filter((o) => o !== 'ok' && o !== 'error').map((o) => opt(o, o))]} />
          <Select label="Time" name="range" value={range} options={[opt('', 'Any time'), opt('1h', 'Last hour'), opt('24h', 'Last 24 hours'), opt('7d', 'Last 7 days'), opt('30d', 'Last 30 days')]} />
          <div class="row filter-actions">
            <button type="submit">Filter</button>
            {filtered ? (
              <a class="btn ghost" href={`${ctx.base}/activity`}>
                Clear
              </a>
            ) : null}
          </div>
        </form>
        {page.entries.length === 0 ? (
          <Empty
            title={filtered || before ? 'No calls match' : 'No activity yet'}
            action={
              filtered ? null : (
                <a class="btn" href={`${ctx.base}/connect`} data-open-dialog="connect-dialog">
                  Connect a client
                </a>
              )
            }
          >
            {filtered || before ? 'Nothing matches these filters. Widen the time range or clear a filter.' : 'Every call a client makes — the SQL, rows, time and outcome — shows up here.'}
          </Empty>
        ) : (
          <div class="table-wrap">
            <table class="activity">
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Who</th>
                  <th scope="col" class="hide-phone">
                    Source
                  </th>
                  <th scope="col">Call</th>
                  <th scope="col" class="hide-phone num">
                    Rows
                  </th>
                  <th scope="col" class="hide-phone num">
                    ms
                  </th>
                  <th scope="col">Outcome</th>
                </tr>
              </thead>
              <tbody>
                {page.entries.map((e) => (
                  <tr>
                    <td class="nowrap small">
                      <Time iso={e.at} />
                    </td>
                    <td class="small">
                      <div>{e.user?.label ?? <span class="muted">CLI key</span>}</div>
                      <div class="muted">
                        {e.credential.kind === 'playground' ? <span class="pill accent">playground</span> : e.credential.kind === 'oauth' ? `${e.credential.label} (app)` : e.credential.label}
                      </div>
                    </td>
                    <td class="hide-phone">{e.source ?? <span class="muted">—</span>}</td>
                    <td class="call">
                      <span class="mono small">{e.tool}</span>
                      {e.sql || e.error ? (
                        <details>
                          <summary class="mono small">{e.sql ? preview(e.sql) : 'error details'}</summary>
                          {e.sql ? <pre class="sql">{e.sql}</pre> : null}
                          {e.error ? <p class="error-text small">{e.error}</p> : null}
                        </details>
                      ) : null}
                    </td>
                    <td class="hide-phone num">{e.rowCount ?? ''}</td>
                    <td class="hide-phone num">{e.durationMs}</td>
                    <td>{e.outcome === 'ok' ? <span class="pill ok">ok</span> : <span class="pill danger">{e.outcome}</span>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <nav class="pager row" aria-label="Pages">
          {before ? (
            <a class="btn secondary small" href={`${ctx.base}/activity${query.size ? `?${query}` : ''}`}>
              Newest
            </a>
          ) : null}
          {page.nextCursor ? (
            <a class="btn secondary small" href={`${ctx.base}/activity?${older}`}>
              Older →
            </a>
          ) : null}
        </nav>
      </AppLayout>,
    );
  });

  app.get('/export.csv', async (c) => {
    const ctx = c.get('ctx');
    const { filter } = filterOf(c);
    const lines = activityCsv(rt, ctx.actor, filter);
    // The first chunk (the header) is read before answering, so a refused request is an error page, not a broken download.
    const first = await lines.next();
    c.header('content-type', 'text/csv; charset=utf-8');
    c.header('content-disposition', `attachment; filename="sequel-activity-${ctx.org.slug}-${new Date().toISOString().slice(0, 10)}.csv"`);
    c.header('cache-control', 'no-store');
    c.header('x-content-type-options', 'nosniff');
    return stream(c, async (s) => {
      if (!first.done) await s.write(first.value);
      for await (const chunk of lines) await s.write(chunk);
    });
  });

  return app;
}
