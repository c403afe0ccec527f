/**
 * `sequel sources`, `describe`, `descriptions` and `audit`: the CLI face of the data operations in
 * src/ops (the dashboard calls the same ones), as the operator of the organization named by --org.
 */
import fs from 'node:fs';
import yaml from 'js-yaml';
import type { SizingReport } from './connectors/limits.js';
import type { PrivilegeReport } from './connectors/privileges.js';
import type { TlsMode } from './connectors/types.js';
import { ValidationError } from './errors.js';
import type { OpsActor } from './ops/access.js';
import type { OperatorActor } from './ops/permissions.js';
import { activityCsv, activityKeysMatching, activityUserByEmail, listActivity, type ActivityFilter } from './ops/activity.js';
import { orgBySlug } from './ops/orgs.js';
import { browseSchema, setDescription, updatePolicy, type BrowsedTable, type PolicyInput, type SchemaBrowse } from './ops/schema.js';
import { checkSource, createSource, deleteSource, getSource, listSources, sourceFormValues, updateSource, type ConnectionTest, type SourceForm, type SourceSummary } from './ops/sources.js';
import type { Runtime } from './runtime.js';
import type { SourceView } from './sources.js';
import { intOption, parseSince, print, readStdin, required, table, UsageError, type Values } from './cliUtil.js';

/** The organization `--org` names, and the operator acting in it (the CLI acts with the store's own authority). */
export async function operatorIn(rt: Runtime, v: Values): Promise<{ org: Awaited<ReturnType<typeof orgBySlug>>; actor: OperatorActor }> {
  const org = await orgBySlug(rt, required(v, 'org'));
  return { org, actor: { kind: 'operator', orgId: org.id } };
}

async function sourceByName(rt: Runtime, actor: OpsActor, slug: string, name: string): Promise<SourceSummary> {
  const all = await listSources(rt, actor);
  const s = all.find((x) => x.name === name);
  if (!s) throw new ValidationError(`no source "${name}" in ${slug}${all.length ? ` (sources: ${all.map((x) => x.name).join(', ')})` : ''}`);
  return s;
}

/**
 * The least-privilege warning (README "Least-privilege roles"), on stderr so --json output stays clean:
 * what the account can do beyond reading, and the exact role to create instead.
 */
function warnPrivileges(name: string, p: PrivilegeReport | null): void {
  if (!p || p.warnings.length === 0) return;
  const lines = [`warning: the account ${p.account ?? ''} that "${name}" connects with can do more than read:`.replace('  ', ' ')];
  for (const w of p.warnings) lines.push(`  - ${w}`);
  lines.push('Sequel never writes, but an account that can turns any future escape into damage.');
  if (p.recommendation) lines.push('Create a read-only account instead and connect with it (README "Least-privilege roles"):', '', p.recommendation.trim(), '');
  process.stderr.write(lines.join('\n') + '\n');
}

/** The sizing warning (docs/deploy.md, "Sizing"), on stderr like the least-privilege one. */
function warnSizing(name: string, s: SizingReport | null): void {
  if (!s || s.warnings.length === 0) return;
  process.stderr.write([`warning: the connection pools of "${name}" may not fit:`, ...s.warnings.map((w) => `  - ${w}`)].join('\n') + '\n');
}

function tlsOf(v: Values): { tlsMode?: TlsMode; tlsCa?: string } {
  const mode = v.tls as string | undefined;
  if (mode !== undefined && !['disable', 'require', 'verify-full'].includes(mode)) throw new UsageError('--tls takes disable, require or verify-full');
  const ca = typeof v['tls-ca'] === 'string' ? fs.readFileSync(v['tls-ca'], 'utf8') : undefined;
  return { ...(mode ? { tlsMode: mode as TlsMode } : {}), ...(ca ? { tlsCa: ca } : {}) };
}

function limitsOf(v: Values): Partial<SourceForm> {
  const out: Partial<SourceForm> = {};
  const set = (k: keyof SourceForm, flag: string) => {
    const n = intOption(v, flag);
    if (n !== undefined) (out as Record<string, unknown>)[k] = n;
  };
  set('connectTimeoutMs', 'connect-timeout-ms');
  set('poolMax', 'pool-max');
  set('maxRows', 'max-rows');
  set('maxRowsCeiling', 'max-rows-ceiling');
  set('maxBytes', 'max-bytes');
  set('statementTimeoutMs', 'timeout-ms');
  return out;
}

function testLine(t: ConnectionTest): string {
  return t.ok ? `ok (${t.version}${t.tableCount !== null ? `, ${t.tableCount} tables` : ''}, ${t.elapsedMs} ms)` : `FAILED: ${t.error?.message ?? 'unknown error'}`;
}

export async function sourcesCommand(rt: Runtime, v: Values, sub: string | undefined, helpers: { urlFromFields: () => string }): Promise<void> {
  const {
    actor,
    org: { slug },
  } = await operatorIn(rt, v);
  if (sub === 'add') {
    const form: SourceForm = {
      name: required(v, 'name'),
      engine: required(v, 'engine'),
      url: typeof v.url === 'string' ? v.url : helpers.urlFromFields(),
      description: typeof v.description === 'string' ? v.description : undefined,
      password: v['password-stdin'] ? await readStdin() : undefined,
      ...tlsOf(v),
      ...limitsOf(v),
    };
    // "Test connection" before saving; --skip-test saves a source that does not answer (yet).
    const r = await createSource(rt, actor, form, { force: v['skip-test'] === true });
    if (!r.saved) throw new ValidationError(`could not connect, so the source was not saved: ${r.test.error?.message ?? 'unknown error'} (use --skip-test to save it anyway)`);
    warnPrivileges(form.name, r.test.privileges);
    warnSizing(form.name, r.test.sizing);
    const s = r.source!;
    print(
      v,
      { ...s, version: r.test.version, privileges: r.test.privileges, sizing: r.test.sizing },
      r.test.ok ? `added ${s.name} (${s.engine}, ${r.test.version})` : `added ${s.name} (${s.engine}; not reachable yet: ${r.test.error?.message ?? ''})`,
    );
  } else if (sub === 'list') {
    const sources = await listSources(rt, actor);
    print(
      v,
      sources,
      table([
        ['NAME', 'ENGINE', 'URL', 'STATUS', 'CHECKED', 'DESCRIPTION'],
        ...sources.map((s) => [s.name, s.engine, s.url, s.status.state, s.status.checkedAt ?? 'never', s.description]),
      ]),
    );
  } else if (sub === 'test') {
    const all = await listSources(rt, actor);
    const chosen = typeof v.name === 'string' ? all.filter((s) => s.name === v.name) : all;
    if (typeof v.name === 'string' && chosen.length === 0) throw new ValidationError(`no source "${v.name}" in ${slug}`);
    const results: Array<{ name: string } & ConnectionTest> = [];
    for (const s of chosen) {
      const t = await checkSource(rt, actor, s.id);
      results.push({ name: s.name, ...t });
      warnPrivileges(s.name, t.privileges);
      warnSizing(s.name, t.sizing);
    }
    print(v, results, results.map((r) => `${r.name}: ${testLine(r)}`).join('\n'));
    if (results.some((r) => !r.ok)) process.exitCode = 1;
  } else if (sub === 'update') {
    const s = await sourceByName(rt, actor, slug, required(v, 'name'));
    const current = await sourceFormValues(rt, actor, s.id);
    const changes: Partial<SourceForm> = {
      ...(typeof v.description === 'string' ? { description: v.description } : {}),
      ...(v['password-stdin'] ? { password: await readStdin() } : {}),
      ...tlsOf(v),
      ...limitsOf(v),
    };
    if (Object.keys(changes).length === 0) throw new UsageError('sources update needs something to change: --description, --password-stdin, --tls, --tls-ca, --max-rows, --max-rows-ceiling, --max-bytes, --timeout-ms, --connect-timeout-ms or --pool-max');
    if (changes.password === '') throw new UsageError('the password on stdin is empty');
    const { hasPassword: _has, ...form } = current;
    const r = await updateSource(rt, actor, s.id, { ...form, ...changes }, { force: v['skip-test'] === true });
    if (!r.saved) throw new ValidationError(`the changed settings do not connect, so nothing was saved: ${r.test.error?.message ?? 'unknown error'} (use --skip-test to save them anyway)`);
    warnPrivileges(s.name, r.test.privileges);
    warnSizing(s.name, r.test.sizing);
    const changed = Object.keys(changes).map((k) => (k === 'password' ? 'password' : k));
    print(v, { ...r.source, version: r.test.version, changed }, `updated ${s.name}: ${changed.join(', ')}${r.test.ok ? '' : ` (not reachable: ${r.test.error?.message ?? ''})`}`);
  } else if (sub === 'remove') {
    const s = await sourceByName(rt, actor, slug, required(v, 'name'));
    await deleteSource(rt, actor, s.id, s.name);
    print(v, { removed: s.name }, `removed ${s.name}`);
  } else throw new UsageError(`unknown command: sources ${sub ?? ''}`);
}

/**
 * `sequel sources policy`: the Policy tab's operation (the flags given change, the rest stays), then the
 * source as `sources list` shows it, without the status.
 */
export async function setPolicyCommand(rt: Runtime, actor: OpsActor, slug: string, name: string, patch: PolicyInput): Promise<SourceView> {
  const s = await sourceByName(rt, actor, slug, name);
  await updatePolicy(rt, actor, s.id, patch);
  const { status: _status, ...view } = await getSource(rt, actor, s.id);
  return view;
}

/** A table of a browsed schema by `table` or `schema.table`; the default schema wins for a bare name. */
function findTable(browse: SchemaBrowse, ref: string): BrowsedTable & { schema: string } {
  const dot = ref.indexOf('.');
  const all = browse.schemas.flatMap((s) => s.tables.map((t) => ({ ...t, schema: s.name })));
  if (dot > 0) {
    const [schema, name] = [ref.slice(0, dot), ref.slice(dot + 1)];
    const t = all.find((x) => x.schema === schema && x.name === name);
    if (t) return t;
  }
  const byName = all.filter((x) => x.name === ref);
  const t = byName.find((x) => x.schema === browse.defaultSchema) ?? (byName.length === 1 ? byName[0] : undefined);
  if (t) return t;
  if (byName.length > 1) throw new ValidationError(`"${ref}" exists in several schemas (${byName.map((x) => x.schema).join(', ')}); write schema.table`);
  throw new ValidationError(`no table or view "${ref}" in ${browse.source.name}`);
}

export async function describeCommand(rt: Runtime, v: Values, positionals: string[]): Promise<void> {
  const {
    actor,
    org: { slug },
  } = await operatorIn(rt, v);
  if (positionals.length !== 1) throw new UsageError('describe takes the description as one argument (quote it; "" removes it)');
  const text = positionals[0]!;
  const s = await sourceByName(rt, actor, slug, required(v, 'source'));
  const browse = await browseSchema(rt, actor, s.id);
  const t = findTable(browse, required(v, 'table'));
  const column = typeof v.column === 'string' ? v.column : null;
  if (column !== null && !t.columns.some((c) => c.name === column)) throw new ValidationError(`no column "${column}" in ${t.schema}.${t.name} (columns: ${t.columns.map((c) => c.name).join(', ')})`);
  await setDescription(rt, actor, s.id, { schema: t.schema, table: t.name, column, description: text });
  const what = `${s.name}:${t.schema}.${t.name}${column ? `.${column}` : ''}`;
  print(v, { source: s.name, schema: t.schema, table: t.name, column, description: text.trim() || null }, text.trim() ? `described ${what}` : `removed the description of ${what}`);
}

/** The file format of `descriptions export|import`. */
interface DescriptionsFile {
  source: string;
  schemas: Record<string, Record<string, { description?: string | null; columns?: Record<string, string | null> }>>;
}

function exportYaml(browse: SchemaBrowse, org: string): string {
  const file: DescriptionsFile = { source: browse.source.name, schemas: {} };
  for (const s of browse.schemas) {
    const tables: DescriptionsFile['schemas'][string] = {};
    for (const t of s.tables) {
      tables[t.name] = { description: t.description ?? '', columns: Object.fromEntries(t.columns.map((c) => [c.name, c.description ?? ''])) };
    }
    file.schemas[s.name] = tables;
  }
  const header = [
    `# Descriptions of the tables and columns of "${browse.source.name}" (${browse.source.engine}), as models see them in`,
    '# search_schema and describe_table. Edit, review in git, and load with:',
    `#   sequel descriptions import --org ${org} --source ${browse.source.name} <this file>`,
    '# An empty description ("") removes one. Tables and columns not in the file are left alone (--prune removes theirs).',
  ];
  return header.join('\n') + '\n' + yaml.dump(file, { lineWidth: 120, noRefs: true, quotingType: '"' });
}

function parseFile(text: string, file: string): DescriptionsFile {
  let doc: unknown;
  try {
    doc = yaml.load(text, { schema: yaml.FAILSAFE_SCHEMA, filename: file });
  } catch (err) {
    throw new ValidationError(`${file} is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  const isMap = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
  const str = (x: unknown, where: string): string => {
    if (x === null || x === undefined) return '';
    if (typeof x !== 'string') throw new ValidationError(`${file}: ${where} must be text`);
    return x;
  };
  if (!isMap(doc) || !isMap(doc.schemas)) throw new ValidationError(`${file} must have "schemas:" mapping schema → table → {description, columns}`);
  const out: DescriptionsFile = { source: str(doc.source, 'source'), schemas: {} };
  for (const [schema, tables] of Object.entries(doc.schemas)) {
    if (!isMap(tables)) throw new ValidationError(`${file}: schemas.${schema} must map table names to {description, columns}`);
    out.schemas[schema] = {};
    for (const [table, entry] of Object.entries(tables)) {
      if (entry !== null && !isMap(entry)) throw new ValidationError(`${file}: ${schema}.${table} must be {description, columns}`);
      const cols = entry?.columns;
      if (cols !== undefined && cols !== null && !isMap(cols)) throw new ValidationError(`${file}: ${schema}.${table}.columns must map column names to text`);
      out.schemas[schema][table] = {
        ...(entry && 'description' in entry ? { description: str(entry.description, `${schema}.${table}.description`) } : {}),
        columns: Object.fromEntries(Object.entries(cols ?? {}).map(([c, d]) => [c, str(d, `${schema}.${table}.columns.${c}`)])),
      };
    }
  }
  return out;
}

export async function descriptionsCommand(rt: Runtime, v: Values, sub: string | undefined, rest: string[]): Promise<void> {
  const {
    actor,
    org: { slug },
  } = await operatorIn(rt, v);
  const s = await sourceByName(rt, actor, slug, required(v, 'source'));
  if (sub === 'export') {
    const text = exportYaml(await browseSchema(rt, actor, s.id, { refresh: true }), slug);
    const file = rest[0];
    if (file) {
      fs.writeFileSync(file, text);
      process.stderr.write(`wrote ${file}\n`);
    } else process.stdout.write(text);
  } else if (sub === 'import') {
    const file = rest[0];
    if (!file) throw new UsageError('descriptions import needs the YAML file');
    const doc = parseFile(fs.readFileSync(file, 'utf8'), file);
    if (doc.source && doc.source !== s.name) throw new ValidationError(`${file} describes source "${doc.source}", not "${s.name}"; pass --source ${doc.source} or fix the file`);
    const browse = await browseSchema(rt, actor, s.id, { refresh: true });
    // Check every name first: a typo fails the whole import, nothing is half-written.
    const writes: Array<{ schema: string; table: string; column: string | null; description: string }> = [];
    const problems: string[] = [];
    const mentioned = new Set<string>();
    for (const [schema, tables] of Object.entries(doc.schemas)) {
      for (const [table, entry] of Object.entries(tables)) {
        const t = browse.schemas.find((x) => x.name === schema)?.tables.find((x) => x.name === table);
        if (!t) {
          problems.push(`no table ${schema}.${table}`);
          continue;
        }
        mentioned.add(`${schema}\u0000${table}\u0000`);
        if (entry.description !== undefined && (entry.description ?? '') !== (t.description ?? '')) writes.push({ schema, table, column: null, description: entry.description ?? '' });
        for (const [column, d] of Object.entries(entry.columns ?? {})) {
          const c = t.columns.find((x) => x.name === column);
          if (!c) {
            problems.push(`no column ${schema}.${table}.${column}`);
            continue;
          }
          mentioned.add(`${schema}\u0000${table}\u0000${column}`);
          if ((d ?? '') !== (c.description ?? '')) writes.push({ schema, table, column, description: d ?? '' });
        }
      }
    }
    if (problems.length) throw new ValidationError(`${file} does not match ${s.name}, nothing was changed: ${problems.join('; ')}`);
    if (v.prune) {
      for (const sc of browse.schemas) {
        for (const t of sc.tables) {
          if (t.description && !mentioned.has(`${sc.name}\u0000${t.name}\u0000`)) writes.push({ schema: sc.name, table: t.name, column: null, description: '' });
          for (const c of t.columns) {
            if (c.description && !mentioned.has(`${sc.name}\u0000${t.name}\u0000${c.name}`)) writes.push({ schema: sc.name, table: t.name, column: c.name, description: '' });
          }
        }
      }
    }
    for (const w of writes) await setDescription(rt, actor, s.id, w);
    const set = writes.filter((w) => w.description.trim()).length;
    print(v, { source: s.name, set, removed: writes.length - set, changes: writes }, `${s.name}: ${set} description(s) set, ${writes.length - set} removed, the rest unchanged`);
  } else throw new UsageError(`unknown command: descriptions ${sub ?? ''}`);
}

export async function auditCommand(rt: Runtime, v: Values): Promise<void> {
  const {
    actor,
    org: { slug },
  } = await operatorIn(rt, v);
  if (v.json && v.csv) throw new UsageError('choose one of --json and --csv');
  const filter: ActivityFilter = {};
  if (typeof v.source === 'string') filter.sourceId = (await sourceByName(rt, actor, slug, v.source)).id;
  if (typeof v.user === 'string') {
    const userId = await activityUserByEmail(rt, actor, v.user);
    if (!userId) throw new ValidationError(`no user ${v.user}`);
    filter.userId = userId;
  }
  if (typeof v.key === 'string') {
    const keys = await activityKeysMatching(rt, actor, v.key);
    if (keys.length !== 1) throw new ValidationError(keys.length ? `"${v.key}" matches ${keys.length} keys; give more of the prefix or the id` : `no key "${v.key}" in ${slug}`);
    filter.credentialId = keys[0]!.id;
  }
  if (typeof v.tool === 'string') filter.tool = v.tool;
  if (typeof v.outcome === 'string') filter.outcome = v.outcome;
  if (typeof v.since === 'string') filter.since = parseSince(v.since);
  const limit = intOption(v, 'limit');
  if (v.csv) {
    for await (const chunk of activityCsv(rt, actor, filter, limit ?? 1_000_000)) process.stdout.write(chunk);
    return;
  }
  const entries = [];
  let before: number | undefined;
  const want = limit ?? 100;
  while (entries.length < want) {
    const page = await listActivity(rt, actor, filter, { before, limit: Math.min(500, want - entries.length) });
    entries.push(...page.entries);
    if (page.nextCursor === null) break;
    before = page.nextCursor;
  }
  const oneLine = (s: string | null, n: number) => (s ?? '').replace(/\s+/g, ' ').slice(0, n);
  print(
    v,
    entries,
    entries.length
      ? table([
          ['TIME', 'WHO', 'TOOL', 'SOURCE', 'OUTCOME', 'ROWS', 'MS', 'SQL'],
          ...entries.map((e) => [e.at, e.user?.label ?? e.credential.label, e.tool, e.source ?? '', e.outcome, e.rowCount === null ? '' : String(e.rowCount), String(e.durationMs), oneLine(e.sql, 80)]),
        ])
      : 'no audit entries match',
  );
}
