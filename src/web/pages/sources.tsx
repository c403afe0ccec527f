/**
 * Data sources: the list (engine, status and last check, tables), add and edit per engine with Test
 * connection (saving tests first, with "save anyway"), the least-privilege notice, and a source's page —
 * Schema (browse and describe), Policy (allowed schemas, hidden tables and columns as boxes, the other
 * rules — patterns, masks — as lists a save keeps), Settings and the
 * danger zone. Every handler calls an operation in src/ops, which checks role and organization; the
 * ids in these URLs are only looked up inside the signed-in person's organization.
 */
import { Hono, type Context } from 'hono';
import type { Child, FC } from 'hono/jsx';
import type { TlsMode } from '../../connectors/types.js';
import { AppError, ValidationError } from '../../errors.js';
import { can } from '../../ops/permissions.js';
import { browseSchema, savePolicyForm, setDescription, type BrowsedTable, type SchemaBrowse } from '../../ops/schema.js';
import {
  checkSource,
  createSource,
  deleteSource,
  getSource,
  keysLimitedTo,
  listSources,
  sourceFormValues,
  testSource,
  updateSource,
  type ConnectionTest,
  type SourceForm,
  type SourceSummary,
} from '../../ops/sources.js';
import type { Runtime } from '../../runtime.js';
import type { DashEnv } from '../env.js';
import { Csrf, Empty, Field, Notice, PageHead, Select, Time } from '../ui/components.js';
import { AppLayout, type PageCtx } from '../ui/layout.js';
import { render } from '../ui/render.js';

const ENGINES: Array<{ id: string; label: string; network: boolean; hint: string }> = [
  { id: 'postgres', label: 'PostgreSQL', network: true, hint: 'postgres://user@host:5432/database' },
  { id: 'mysql', label: 'MySQL / MariaDB', network: true, hint: 'mysql://user@host:3306/database' },
  { id: 'sqlite', label: 'SQLite', network: false, hint: '/path/to/file.sqlite (on the server)' },
  { id: 'duckdb', label: 'DuckDB', network: false, hint: '/path/to/file.duckdb, or a CSV / Parquet / JSON file' },
];
const engineLabel = (id: string) => ENGINES.find((e) => e.id === id)?.label ?? id;

/** Notices after a redirect: only these codes are shown, so a crafted link cannot put words on the page. */
const OK: Record<string, string> = {
  added: 'Data source added.',
  saved: 'Changes saved.',
  deleted: 'Data source deleted.',
  described: 'Description saved. describe_table and search_schema show it from the next call.',
  policy: 'Policy saved. Models see the change from their next call.',
  checked: 'Checked just now.',
};
const okNotice = (c: Context) => {
  const text = OK[c.req.query('ok') ?? ''];
  return text ? <Notice kind="ok">{text}</Notice> : null;
};

const StatusPill: FC<{ s: SourceSummary }> = ({ s }) =>
  s.status.state === 'ok' ? (
    <span class="pill ok">ok</span>
  ) : s.status.state === 'failing' ? (
    <span class="pill danger">failing</span>
  ) : (
    <span class="pill">unknown</span>
  );

const EngineIcon: FC<{ engine: string }> = ({ engine }) => (
  <span class={`engine engine-${engine}`} aria-hidden="true">
    {engine === 'postgres' ? 'Pg' : engine === 'mysql' ? 'My' : engine === 'sqlite' ? 'Sq' : 'Dk'}
  </span>
);

// ---------- forms ----------

function num(v: unknown, what: string): number | undefined {
  const s = String(v ?? '').trim().replace(/[_\s,]/g, '');
  if (!s) return undefined;
  const n = Number(s);
  if (!Number.isInteger(n)) throw new ValidationError(`${what} must be a whole number`);
  return n;
}

/** The add/edit form's fields → the operation's input. Seconds in the form, milliseconds in the store. */
export function parseSourceForm(body: Record<string, unknown>): SourceForm {
  const str = (k: string) => (typeof body[k] === 'string' ? (body[k] as string) : '');
  const seconds = (k: string, what: string) => {
    const s = str(k).trim();
    if (!s) return undefined;
    const n = Number(s);
    if (!Number.isFinite(n) || n <= 0) throw new ValidationError(`${what} must be a positive number of seconds`);
    return Math.round(n * 1000);
  };
  const mode = str('tlsMode');
  return {
    name: str('name').trim(),
    engine: str('engine'),
    description: str('description'),
    url: str('mode') === 'fields' ? undefined : str('url').trim() || undefined,
    host: str('host') || undefined,
    port: num(body.port, 'port'),
    user: str('user') || undefined,
    database: str('database') || undefined,
    password: str('password') || undefined,
    clearPassword: str('clearPassword') === 'on',
    tlsMode: (['disable', 'require', 'verify-full'].includes(mode) ? mode : undefined) as TlsMode | undefined,
    tlsCa: str('tlsCa') || undefined,
    connectTimeoutMs: seconds('connectTimeout', 'connect timeout'),
    statementTimeoutMs: seconds('statementTimeout', 'statement timeout'),
    poolMax: num(body.poolMax, 'pool size'),
    maxRows: num(body.maxRows, 'default rows'),
    maxRowsCeiling: num(body.maxRowsCeiling, 'row ceiling'),
    maxBytes: num(body.maxBytes, 'byte cap'),
  };
}

const secs = (ms: number | undefined) => (ms === undefined ? '' : String(ms / 1000));

const TestResult: FC<{ test: ConnectionTest; saved?: boolean }> = ({ test }) =>
  test.ok ? (
    <div>
      <Notice kind="ok">
        Connected in {test.elapsedMs} ms — {test.version}
        {test.tableCount !== null ? `, ${test.tableCount} table${test.tableCount === 1 ? '' : 's'} and views` : ''}.
      </Notice>
      {test.privileges ? <PrivilegeNotice warnings={test.privileges.warnings} recommendation={test.privileges.recommendation} /> : null}
      {test.sizing?.warnings.length ? <SizingNotice warnings={test.sizing.warnings} /> : null}
    </div>
  ) : (
    <Notice kind="error">
      <strong>Could not connect</strong> ({test.error?.code}): {test.error?.message}
    </Notice>
  );

/** The sizing check's warning (docs/deploy.md, "Sizing"): the pools on every worker and replica against the database's limit. */
const SizingNotice: FC<{ warnings: string[] }> = ({ warnings }) => (
  <div class="notice warn" role="status" data-sizing>
    <strong>Connection limit.</strong> Every worker of every replica keeps its own pool for this source:
    <ul>
      {warnings.map((w) => (
        <li>{w}</li>
      ))}
    </ul>
  </div>
);

const PrivilegeNotice: FC<{ warnings: string[]; recommendation: string | null }> = ({ warnings, recommendation }) =>
  warnings.length ? (
    <div class="notice warn" role="status">
      <strong>This account can do more than read.</strong> Sequel never writes, but a read-only account keeps it that way whatever happens:
      <ul>
        {warnings.map((w) => (
          <li>{w}</li>
        ))}
      </ul>
      {recommendation ? (
        <>
          <p class="small">Create a read-only account instead, then use it here:</p>
          <pre class="sql">{recommendation}</pre>
        </>
      ) : null}
    </div>
  ) : null;

const SourceFormView: FC<{
  ctx: PageCtx;
  action: string;
  values: SourceForm & { hasPassword?: boolean };
  editing: boolean;
  test?: ConnectionTest | undefined;
  error?: string | undefined;
  offerForce?: boolean;
}> = ({ ctx, action, values, editing, test, error, offerForce }) => {
  const engine = ENGINES.find((e) => e.id === values.engine) ?? ENGINES[0]!;
  const useFields = !values.url && !!values.host;
  return (
    <form method="post" action={action} class="card source-form">
      <Csrf token={ctx.csrf} />
      <input type="hidden" name="engine" value={engine.id} />
      {error ? <Notice kind="error">{error}</Notice> : null}
      {test ? <TestResult test={test} /> : null}
      <div class="grid-2">
        <Field label="Name" name="name" value={values.name} required maxlength={63} hint="What tools take as source: lower-case letters, digits, hyphens." />
        <Field label="Description" name="description" value={values.description} maxlength={500} hint="Shown to models in list_sources." />
      </div>
      {engine.network ? (
        <fieldset>
          <legend>Connection</legend>
          <label class="choice">
            <input type="radio" name="mode" value="url" checked={!useFields} /> Connection URL
          </label>
          <label class="choice">
            <input type="radio" name="mode" value="fields" checked={useFields} /> Host, port, user and database
          </label>
          <div class="dsn-url">
            <Field label="Connection URL" name="url" value={values.url} placeholder={engine.hint} hint="A password in the URL is stored encrypted, apart from it." />
          </div>
          <div class="grid-2 dsn-fields">
            <Field label="Host" name="host" value={values.host} />
            <Field label="Port" name="port" type="number" value={values.port ? String(values.port) : ''} placeholder={engine.id === 'postgres' ? '5432' : '3306'} />
            <Field label="User" name="user" value={values.user} autocomplete="off" />
            <Field label="Database" name="database" value={values.database} />
          </div>
        </fieldset>
      ) : (
        <Field label="File path" name="url" value={values.url} required placeholder={engine.hint} hint="A path on the Sequel server; opened read-only." />
      )}
      {engine.network ? (
        <>
          <Field
            label="Password"
            name="password"
            type="password"
            autocomplete="new-password"
            hint={editing && values.hasPassword ? 'Leave empty to keep the stored password.' : 'Stored encrypted (AES-256-GCM); never shown again.'}
          />
          {editing && values.hasPassword ? (
            <label class="choice">
              <input type="checkbox" name="clearPassword" /> Remove the stored password
            </label>
          ) : null}
          <div class="grid-2">
            <Select
              label="TLS"
              name="tlsMode"
              value={values.tlsMode ?? 'disable'}
              options={[
                { value: 'disable', label: 'Off' },
                { value: 'require', label: 'Required (not verified)' },
                { value: 'verify-full', label: 'Verify certificate and host' },
              ]}
            />
            <div class="field">
              <label for="tlsCa">CA certificate (PEM)</label>
              <textarea id="tlsCa" name="tlsCa" rows={3} class="mono" aria-describedby="tlsCa-hint">
                {values.tlsCa ?? ''}
              </textarea>
              <span class="hint" id="tlsCa-hint">
                For verify-full with a private CA.
              </span>
            </div>
          </div>
        </>
      ) : null}
      <details class="advanced" open={editing}>
        <summary>Timeouts, caps and pool</summary>
        <div class="grid-3">
          {engine.network ? <Field label="Connect timeout (s)" name="connectTimeout" type="number" value={secs(values.connectTimeoutMs)} placeholder="5" /> : null}
          <Field label="Statement timeout (s)" name="statementTimeout" type="number" value={secs(values.statementTimeoutMs)} placeholder="15" />
          <Field label="Pool size" name="poolMax" type="number" value={values.poolMax ? String(values.poolMax) : ''} placeholder="5" />
          <Field label="Rows by default" name="maxRows" type="number" value={values.maxRows ? String(values.maxRows) : ''} placeholder="200" />
          <Field label="Row ceiling" name="maxRowsCeiling" type="number" value={values.maxRowsCeiling ? String(values.maxRowsCeiling) : ''} placeholder="5000" />
          <Field label="Byte cap" name="maxBytes" type="number" value={values.maxBytes ? String(values.maxBytes) : ''} placeholder="262144" />
        </div>
      </details>
      <div class="row">
        <button type="submit" name="do" value="test" class="secondary">
          Test connection
        </button>
        <button type="submit" name="do" value="save">
          {editing ? 'Test and save' : 'Test and add'}
        </button>
        {offerForce ? (
          <button type="submit" name="do" value="force" class="danger">
            Save anyway
          </button>
        ) : null}
        <a class="btn ghost" href={`${ctx.base}/sources`}>
          Cancel
        </a>
      </div>
    </form>
  );
};

// ---------- schema ----------

function matches(t: BrowsedTable, q: string): boolean {
  if (!q) return true;
  const n = q.toLowerCase();
  return (
    `${t.schema}.${t.name}`.toLowerCase().includes(n) ||
    (t.description ?? '').toLowerCase().includes(n) ||
    t.columns.some((c) => c.name.toLowerCase().includes(n) || (c.description ?? '').toLowerCase().includes(n))
  );
}

const anchor = (t: { schema: string; name: string }) => `t-${t.schema}-${t.name}`.replace(/[^A-Za-z0-9_-]/g, '_');

const DescribeForm: FC<{ ctx: PageCtx; sourceId: string; t: BrowsedTable; column?: string; value: string | null; q: string; label: string }> = ({ ctx, sourceId, t, column, value, q, label }) => (
  <form method="post" action={`${ctx.base}/sources/${sourceId}/describe`} class="describe">
    <Csrf token={ctx.csrf} />
    <input type="hidden" name="schema" value={t.schema} />
    <input type="hidden" name="table" value={t.name} />
    {column ? <input type="hidden" name="column" value={column} /> : null}
    <input type="hidden" name="q" value={q} />
    <input name="description" value={value ?? ''} maxlength={4000} aria-label={label} placeholder="Add a description…" />
    <button type="submit" class="secondary small">
      Save
    </button>
  </form>
);

const SchemaTab: FC<{ ctx: PageCtx; id: string; b: SchemaBrowse; q: string }> = ({ ctx, id, b, q }) => {
  const admin = can(ctx.actor, 'sources.write');
  const tables = b.schemas.flatMap((s) => s.tables);
  return (
    <>
      <form method="get" class="search row" role="search">
        <label class="visually-hidden" for="schema-q">
          Search tables and columns
        </label>
        <input id="schema-q" name="q" value={q} placeholder="Search tables, columns and descriptions" />
        <button type="submit" class="secondary">
          Search
        </button>
      </form>
      {tables.length === 0 ? (
        <Empty title="No tables">{b.full ? 'This database has no tables or views Sequel can see.' : 'No tables are visible under this source’s policy.'}</Empty>
      ) : null}
      {b.schemas.map((s) => {
        const shown = s.tables.filter((t) => matches(t, q));
        if (!shown.length) return null;
        return (
          <section class="schema" aria-label={`Schema ${s.name}`}>
            <h2>
              {s.name} <span class="muted small">{shown.length} of {s.tables.length}</span> {s.allowed ? null : <span class="pill danger">not allowed by the policy</span>}
            </h2>
            {shown.map((t) => (
              <details class="table-card" id={anchor(t)} open={!!q || shown.length === 1}>
                <summary>
                  <span class="mono">{t.name}</span>
                  <span class="muted small">
                    {t.kind.replace('_', ' ')} · {t.columns.length} columns{t.rowEstimate !== null ? ` · ~${t.rowEstimate.toLocaleString('en')} rows` : ''}
                  </span>
                  {t.hidden ? <span class="pill danger">hidden from models</span> : null}
                  {t.description ? <span class="summary-desc">{t.description}</span> : null}
                </summary>
                <div class="table-body">
                  {admin ? <DescribeForm ctx={ctx} sourceId={id} t={t} value={t.description} q={q} label={`Description of ${t.schema}.${t.name}`} /> : null}
                  {t.comment ? <p class="muted small">Database comment: {t.comment}</p> : null}
                  <div class="table-wrap">
                    <table>
                      <thead>
                        <tr>
                          <th scope="col">Column</th>
                          <th scope="col">Type</th>
                          <th scope="col">Keys</th>
                          <th scope="col">Description</th>
                        </tr>
                      </thead>
                      <tbody>
                        {t.columns.map((col) => (
                          <tr>
                            <td class="mono">
                              {col.name}
                              {col.hidden ? <span class="pill danger">hidden</span> : null}
                            </td>
                            <td class="mono small">
                              {col.type}
                              {col.nullable ? <span class="muted"> null</span> : null}
                            </td>
                            <td class="small">
                              {col.primaryKey ? <span class="pill accent">PK</span> : null}
                              {col.references ? <span class="pill">→ {`${col.references.table}.${col.references.column}`}</span> : null}
                            </td>
                            <td>
                              {admin ? (
                                <DescribeForm ctx={ctx} sourceId={id} t={t} column={col.name} value={col.description} q={q} label={`Description of ${t.name}.${col.name}`} />
                              ) : (
                                (col.description ?? col.comment ?? <span class="muted">—</span>)
                              )}
                            </td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </div>
                  {t.indexes.length ? (
                    <p class="small muted indexes">
                      Indexes:{' '}
                      {t.indexes.map((i) => (
                        <code>
                          {i.name}({i.columns.join(', ')}){i.primary ? ' primary' : i.unique ? ' unique' : ''}
                        </code>
                      ))}
                    </p>
                  ) : null}
                </div>
              </details>
            ))}
          </section>
        );
      })}
    </>
  );
};

/** A labelled text area of policy entries, one a line. */
const RuleList: FC<{ id: string; label: string; hint: Child; lines: string[] }> = ({ id, label, hint, lines }) => (
  <div class="field">
    <label for={id}>{label}</label>
    <textarea id={id} name={id} rows={Math.min(8, Math.max(2, lines.length + 1))} class="mono" spellcheck={false} autocapitalize="off" aria-describedby={`${id}-hint`}>
      {lines.join('\n')}
    </textarea>
    <span class="hint" id={`${id}-hint`}>
      {hint}
    </span>
  </div>
);

const PolicyTab: FC<{ ctx: PageCtx; id: string; b: SchemaBrowse }> = ({ ctx, id, b }) => {
  const p = b.policy!;
  const allowed = new Set(p.allowedSchemas);
  const hiddenT = new Set(p.hiddenTables);
  const hiddenC = new Set(p.hiddenColumns);
  const allowedSchema = new Map(b.schemas.map((s) => [s.name, s.allowed]));
  // Hidden by a rule that is not its own box (a pattern, a name for every table, an exposing view): said beside the box.
  const byRule = <span class="muted small">hidden by another rule</span>;
  return (
    <form method="post" action={`${ctx.base}/sources/${id}/policy`}>
      <Csrf token={ctx.csrf} />
      <input type="hidden" name="version" value={String(p.version)} />
      <div class="card">
        <h2>Allowed schemas</h2>
        <p class="muted small">Models see only the schemas ticked or listed here; none means every schema.</p>
        <fieldset>
          <legend class="visually-hidden">Allowed schemas</legend>
          {b.schemas.map((s) => (
            <label class="choice">
              <input type="checkbox" name="allowedSchemas" value={s.name} checked={allowed.has(s.name)} /> <span class="mono">{s.name}</span>
            </label>
          ))}
        </fieldset>
        <RuleList
          id="otherAllowedSchemas"
          label="Other allowed schemas"
          lines={p.other.allowedSchemas}
          hint="Schemas the database does not show now, one a line. Kept when you save; delete a line to remove it."
        />
      </div>
      <div class="card">
        <h2>Hidden tables and columns</h2>
        <p class="muted small">Hidden tables and columns are left out of list, search and describe answers, and run_query refuses to read them.</p>
        {b.schemas.map((s) =>
          s.tables.map((t) => {
            const tq = `${t.schema}.${t.name}`;
            const tableByRule = t.hidden && !hiddenT.has(tq) && allowedSchema.get(t.schema) !== false;
            const anyHidden = hiddenT.has(tq) || tableByRule || t.columns.some((c) => hiddenC.has(`${tq}.${c.name}`) || (c.hidden && !t.hidden));
            return (
              <details class="policy-table" open={anyHidden}>
                <summary>
                  <span class="mono">{tq}</span> {anyHidden ? <span class="pill danger">has hidden parts</span> : null}
                </summary>
                <label class="choice">
                  <input type="checkbox" name="hiddenTables" value={tq} checked={hiddenT.has(tq)} /> Hide the whole table {tableByRule ? byRule : null}
                </label>
                <fieldset class="columns">
                  <legend class="small muted">Hide columns</legend>
                  {t.columns.map((c) => (
                    <label class="choice">
                      <input type="checkbox" name="hiddenColumns" value={`${tq}.${c.name}`} checked={hiddenC.has(`${tq}.${c.name}`)} /> <span class="mono">{c.name}</span>{' '}
                      {c.hidden && !t.hidden && !hiddenC.has(`${tq}.${c.name}`) ? byRule : null}
                    </label>
                  ))}
                </fieldset>
              </details>
            );
          }),
        )}
      </div>
      <div class="card">
        <h2>Patterns and other rules</h2>
        <p class="muted small">
          Rules that are not one box above: patterns (<code>*</code> matches any run of characters, case-insensitive), a column name alone (every table), and tables
          or columns the database does not show now. They are kept when you save; delete a line to remove a rule.
        </p>
        <RuleList
          id="otherHiddenTables"
          label="Hidden tables"
          lines={p.other.hiddenTables}
          hint={
            <>
              One a line: <code>schema.table</code> or <code>table</code> (default schema <code>{b.defaultSchema}</code>), e.g. <code>audit_*</code>.
            </>
          }
        />
        <RuleList
          id="otherHiddenColumns"
          label="Hidden columns"
          lines={p.other.hiddenColumns}
          hint={
            <>
              One a line: <code>schema.table.column</code>, <code>table.column</code>, or a column name or pattern for every table, e.g. <code>*email*</code>.
            </>
          }
        />
        <RuleList
          id="maskedColumns"
          label="Masked columns"
          lines={p.maskedColumns.map((m) => `${m.column}:${m.mode}`)}
          hint={
            <>
              One a line: a column as above, a colon and <code>mask</code>, <code>hash</code> or <code>null</code>, e.g. <code>*phone*:mask</code>. Values leave Sequel masked.
            </>
          }
        />
      </div>
      {p.identityRoles.length || p.identityRequired ? (
        <div class="card">
          <h2>Database identity</h2>
          <p class="muted small">
            Set with <code>sequel sources policy --identity-roles</code>; kept when you save here.{p.identityRequired ? ' Callers without a role are refused.' : ''}
          </p>
          {p.identityRoles.length ? (
            <ul>
              {p.identityRoles.map((r) => (
                <li>
                  <span class="mono">{r.member}</span> runs as <span class="mono">{r.role}</span>
                </li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}
      <div class="card">
        <label class="choice">
          <input type="checkbox" name="allowUserFunctions" checked={p.allowUserFunctions} /> Allow functions defined in the database (stored functions, UDFs, macros)
        </label>
        <p class="muted small">Off by default: Sequel's guard cannot see what such a function does.</p>
      </div>
      <button type="submit">Save policy</button>
    </form>
  );
};

const Tabs: FC<{ ctx: PageCtx; id: string; current: 'schema' | 'policy' | 'settings' }> = ({ ctx, id, current }) => {
  const admin = can(ctx.actor, 'sources.write');
  const tabs: Array<[string, string, string]> = [['schema', 'Schema', '']];
  if (admin) tabs.push(['policy', 'Policy', '/policy'], ['settings', 'Settings', '/settings']);
  return (
    <nav class="tabs" aria-label="Source">
      {tabs.map(([key, label, suffix]) => (
        <a href={`${ctx.base}/sources/${id}${suffix}`} aria-current={key === current ? 'page' : undefined}>
          {label}
        </a>
      ))}
    </nav>
  );
};

const SourceHead: FC<{ ctx: PageCtx; s: SourceSummary }> = ({ ctx, s }) => (
  <PageHead
    title={s.name}
    description={
      <>
        <EngineIcon engine={s.engine} /> {engineLabel(s.engine)} · <StatusPill s={s} />{' '}
        {s.status.checkedAt ? (
          <>
            checked <Time iso={s.status.checkedAt} />
          </>
        ) : (
          'never checked'
        )}
        {s.description ? ` · ${s.description}` : ''}
      </>
    }
    actions={
      <form method="post" action={`${ctx.base}/sources/${s.id}/check`} class="inline">
        <Csrf token={ctx.csrf} />
        <button type="submit" class="secondary small">
          Check now
        </button>
      </form>
    }
  />
);

export function sourcesPage(rt: Runtime): Hono<DashEnv> {
  const app = new Hono<DashEnv>();
  const page = (c: Context<DashEnv>, title: string, body: Child, status: 200 | 400 | 403 | 404 = 200) =>
    render(
      c,
      <AppLayout ctx={c.get('ctx')} title={title} flash={okNotice(c)}>
        {body}
      </AppLayout>,
      status,
    );

  app.get('/', async (c) => {
    const ctx = c.get('ctx');
    const sources = await listSources(rt, ctx.actor);
    const admin = can(ctx.actor, 'sources.write');
    const add = admin ? (
      <a class="btn" href={`${ctx.base}/sources/new`}>
        Add data source
      </a>
    ) : null;
    return page(
      c,
      'Data sources',
      <>
        <PageHead title="Data sources" description="The databases your clients can query, read-only." actions={sources.length ? add : null} />
        {sources.length === 0 ? (
          <Empty title="No data sources yet" action={add}>
            A data source is a database Sequel connects to read-only — PostgreSQL, MySQL/MariaDB, SQLite or DuckDB. {admin ? 'Add one to let your clients query it.' : 'Ask an admin to add one.'}
          </Empty>
        ) : (
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Engine</th>
                  <th scope="col" class="hide-phone">
                    Description
                  </th>
                  <th scope="col">Status</th>
                  <th scope="col" class="hide-phone">
                    Tables
                  </th>
                </tr>
              </thead>
              <tbody>
                {sources.map((s) => (
                  <tr>
                    <td>
                      <a href={`${ctx.base}/sources/${s.id}`} class="strong">
                        {s.name}
                      </a>
                    </td>
                    <td>
                      <EngineIcon engine={s.engine} /> <span class="hide-phone">{engineLabel(s.engine)}</span>
                    </td>
                    <td class="hide-phone muted">{s.description}</td>
                    <td>
                      <StatusPill s={s} />{' '}
                      <span class="small muted">
                        <Time iso={s.status.checkedAt} never="never checked" />
                      </span>
                      {s.status.state === 'failing' && s.status.reason ? <div class="small error-text">{s.status.reason}</div> : null}
                    </td>
                    <td class="hide-phone">{s.status.tableCount ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </>,
    );
  });

  // ---- add ----
  app.get('/new', async (c) => {
    const ctx = c.get('ctx');
    const engine = c.req.query('engine');
    if (!can(ctx.actor, 'sources.write')) return page(c, 'Add data source', <Notice kind="error">Only admins and owners can add data sources.</Notice>, 403);
    if (!engine || !ENGINES.some((e) => e.id === engine)) {
      return page(
        c,
        'Add data source',
        <>
          <PageHead title="Add data source" description="Pick the database engine." />
          <div class="engine-grid">
            {ENGINES.map((e) => (
              <a class="card engine-card" href={`${ctx.base}/sources/new?engine=${e.id}`}>
                <EngineIcon engine={e.id} />
                <strong>{e.label}</strong>
                <span class="muted small">{e.network ? 'Over the network, with TLS' : 'A file on the server'}</span>
              </a>
            ))}
          </div>
        </>,
      );
    }
    return page(
      c,
      'Add data source',
      <>
        <PageHead title={`Add ${engineLabel(engine)} source`} description={<a href={`${ctx.base}/sources/new`}>Choose another engine</a>} />
        <SourceFormView ctx={ctx} action={`${ctx.base}/sources/new`} values={{ name: '', engine }} editing={false} />
      </>,
    );
  });

  app.post('/new', async (c) => {
    const ctx = c.get('ctx');
    const body = await c.req.parseBody();
    let form: SourceForm = { name: String(body.name ?? ''), engine: String(body.engine ?? 'postgres') };
    const head = <PageHead title={`Add ${engineLabel(form.engine)} source`} />;
    try {
      form = parseSourceForm(body);
      if (body.do === 'test') {
        const test = await testSource(rt, ctx.actor, form);
        return page(c, 'Add data source', <>{head}<SourceFormView ctx={ctx} action={`${ctx.base}/sources/new`} values={form} editing={false} test={test} /></>);
      }
      const r = await createSource(rt, ctx.actor, form, { force: body.do === 'force' });
      if (!r.saved) {
        return page(c, 'Add data source', <>{head}<SourceFormView ctx={ctx} action={`${ctx.base}/sources/new`} values={form} editing={false} test={r.test} offerForce /></>, 400);
      }
      return c.redirect(`${ctx.base}/sources/${r.source!.id}?ok=added`, 303);
    } catch (err) {
      if (err instanceof AppError && err.code === 'VALIDATION') {
        return page(c, 'Add data source', <>{head}<SourceFormView ctx={ctx} action={`${ctx.base}/sources/new`} values={form} editing={false} error={err.message} /></>, 400);
      }
      throw err;
    }
  });

  // ---- one source ----
  app.get('/:id', async (c) => {
    const ctx = c.get('ctx');
    const id = c.req.param('id');
    const s = await getSource(rt, ctx.actor, id);
    const q = (c.req.query('q') ?? '').slice(0, 200);
    let body: Child;
    try {
      const b = await browseSchema(rt, ctx.actor, id);
      body = <SchemaTab ctx={ctx} id={id} b={b} q={q} />;
    } catch (err) {
      if (!(err instanceof AppError) || err.code === 'NOT_FOUND') throw err;
      body = (
        <Notice kind="error">
          The schema could not be read ({err.code}): {err.message}
        </Notice>
      );
    }
    return page(
      c,
      s.name,
      <>
        <SourceHead ctx={ctx} s={s} />
        {/* Right after adding: the pools may not fit under the database's limit (also on Settings). */}
        {c.req.query('ok') === 'added' && s.status.sizingWarnings?.length ? <SizingNotice warnings={s.status.sizingWarnings} /> : null}
        <Tabs ctx={ctx} id={id} current="schema" />
        {body}
      </>,
    );
  });

  app.post('/:id/check', async (c) => {
    const ctx = c.get('ctx');
    await checkSource(rt, ctx.actor, c.req.param('id'));
    return c.redirect(`${ctx.base}/sources/${c.req.param('id')}?ok=checked`, 303);
  });

  app.post('/:id/describe', async (c) => {
    const ctx = c.get('ctx');
    const id = c.req.param('id');
    const body = await c.req.parseBody();
    const schema = String(body.schema ?? '');
    const table = String(body.table ?? '');
    await setDescription(rt, ctx.actor, id, { schema, table, column: String(body.column ?? '') || null, description: String(body.description ?? '') });
    const q = String(body.q ?? '');
    return c.redirect(`${ctx.base}/sources/${id}?ok=described${q ? `&q=${encodeURIComponent(q)}` : ''}#${anchor({ schema, name: table })}`, 303);
  });

  app.get('/:id/policy', async (c) => {
    const ctx = c.get('ctx');
    const id = c.req.param('id');
    const s = await getSource(rt, ctx.actor, id);
    if (!can(ctx.actor, 'sources.write')) return page(c, s.name, <Notice kind="error">Only admins and owners can see and change a source's policy.</Notice>, 403);
    let body: Child;
    try {
      body = <PolicyTab ctx={ctx} id={id} b={await browseSchema(rt, ctx.actor, id)} />;
    } catch (err) {
      if (!(err instanceof AppError) || err.code === 'NOT_FOUND') throw err;
      body = <Notice kind="error">The schema could not be read ({err.code}): {err.message}</Notice>;
    }
    return page(
      c,
      `${s.name} · Policy`,
      <>
        <SourceHead ctx={ctx} s={s} />
        <Tabs ctx={ctx} id={id} current="policy" />
        {body}
      </>,
    );
  });

  app.post('/:id/policy', async (c) => {
    const ctx = c.get('ctx');
    const id = c.req.param('id');
    const body = await c.req.parseBody({ all: true });
    const list = (k: string) => {
      const v = body[k];
      return (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter((x): x is string => typeof x === 'string');
    };
    const text = (k: string) => (typeof body[k] === 'string' ? body[k] : undefined);
    const version = Number(text('version'));
    await savePolicyForm(rt, ctx.actor, id, {
      version: Number.isSafeInteger(version) ? version : undefined,
      allowedSchemas: list('allowedSchemas'),
      hiddenTables: list('hiddenTables'),
      hiddenColumns: list('hiddenColumns'),
      otherAllowedSchemas: text('otherAllowedSchemas'),
      otherHiddenTables: text('otherHiddenTables'),
      otherHiddenColumns: text('otherHiddenColumns'),
      maskedColumns: text('maskedColumns'),
      allowUserFunctions: body.allowUserFunctions === 'on',
    });
    return c.redirect(`${ctx.base}/sources/${id}/policy?ok=policy`, 303);
  });

  const settings = async (c: Context<DashEnv>, opts: { values?: SourceForm; test?: ConnectionTest; error?: string; offerForce?: boolean; status?: 200 | 400 } = {}) => {
    const ctx = c.get('ctx');
    const id = c.req.param('id')!;
    const s = await getSource(rt, ctx.actor, id);
    const stored = await sourceFormValues(rt, ctx.actor, id);
    const keys = await keysLimitedTo(rt, ctx.actor, id);
    return page(
      c,
      `${s.name} · Settings`,
      <>
        <SourceHead ctx={ctx} s={s} />
        <Tabs ctx={ctx} id={id} current="settings" />
        {!opts.test && s.status.privilegeWarnings?.length ? (
          <PrivilegeNotice warnings={s.status.privilegeWarnings} recommendation={null} />
        ) : null}
        {!opts.test && s.status.sizingWarnings?.length ? <SizingNotice warnings={s.status.sizingWarnings} /> : null}
        <SourceFormView
          ctx={ctx}
          action={`${ctx.base}/sources/${id}/settings`}
          values={{ ...(opts.values ?? stored), hasPassword: stored.hasPassword }}
          editing
          test={opts.test}
          error={opts.error}
          offerForce={opts.offerForce ?? false}
        />
        <div class="card danger-zone">
          <h2>Danger zone</h2>
          <p>
            Deleting <strong>{s.name}</strong> removes its settings, descriptions and policy. Clients calling it get UNKNOWN_SOURCE; its entries stay in Activity.
          </p>
          {keys.length ? (
            <Notice kind="warn">
              {keys.length} key{keys.length === 1 ? ' is' : 's are'} limited to this source: {keys.map((k) => `${k.name} (${k.prefix}…)${k.onlyThis ? ' — it reaches nothing else' : ''}`).join(', ')}.
            </Notice>
          ) : null}
          <form method="post" action={`${ctx.base}/sources/${id}/delete`} class="row">
            <Csrf token={ctx.csrf} />
            <div class="field grow">
              <label for="confirm">Type {s.name} to confirm</label>
              <input id="confirm" name="confirm" autocomplete="off" required />
            </div>
            <button type="submit" class="danger">
              Delete data source
            </button>
          </form>
        </div>
      </>,
      opts.status ?? 200,
    );
  };

  app.get('/:id/settings', (c) => settings(c));
  app.post('/:id/settings', async (c) => {
    const ctx = c.get('ctx');
    const id = c.req.param('id');
    const body = await c.req.parseBody();
    let form: SourceForm | undefined;
    try {
      form = parseSourceForm(body);
      if (body.do === 'test') return settings(c, { values: form, test: await testSource(rt, ctx.actor, form, id) });
      const r = await updateSource(rt, ctx.actor, id, form, { force: body.do === 'force' });
      if (!r.saved) return settings(c, { values: form, test: r.test, offerForce: true, status: 400 });
      return c.redirect(`${ctx.base}/sources/${id}/settings?ok=saved`, 303);
    } catch (err) {
      if (err instanceof AppError && err.code === 'VALIDATION') return settings(c, { ...(form ? { values: form } : {}), error: err.message, status: 400 });
      throw err;
    }
  });

  app.post('/:id/delete', async (c) => {
    const ctx = c.get('ctx');
    const body = await c.req.parseBody();
    await deleteSource(rt, ctx.actor, c.req.param('id'), String(body.confirm ?? ''));
    return c.redirect(`${ctx.base}/sources?ok=deleted`, 303);
  });

  return app;
}
