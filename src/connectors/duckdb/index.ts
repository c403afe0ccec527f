/**
 * The DuckDB connector: a `.duckdb` file, or CSV / Parquet / JSON files (a path or a glob) read through
 * DuckDB as a view.
 *
 * Read-only layers (BRIEF §3):
 *   1. the session — the database is opened with `access_mode=READ_ONLY`, external access disabled
 *      (no file, URL or extension reaches it), extension auto-loading off, and the configuration locked
 *      so no SET/RESET can turn any of it back on. Data-file sources get a small DuckDB file of their own,
 *      written once by Sequel with a view over the files, then opened the same read-only way with only
 *      those files in `allowed_paths`;
 *   2. the statement — ./guard.ts (DuckDB's parser; one SELECT whose every function is on the read-only
 *      list generated from DuckDB's catalog);
 *   3. parameters — bound to the prepared statement (`$1`), never spliced.
 *
 * The instance is shared by every caller of the source, so what one call could change must not reach
 * the next (issue #7). The configuration lock covers SET/RESET (and PRAGMAs that are settings) only: a
 * table function such as `enable_logging()` or `enable_peg_parser()` changes the instance without asking
 * it, and `enable_profiling()`, `PRAGMA disable_optimizer`, `setseed()`, temporary objects, variables and
 * prepared statements change the connection. So, besides the guard refusing all of them:
 *   - every call runs on a connection of its own, opened for it and closed after it (a DuckDB connection
 *     costs microseconds), so nothing connection-scoped survives a call;
 *   - the instance-wide settings that bypass the lock (the parser override, the log) are read with every
 *     statement's parse (the same round trip) and compared with their values at open; if they moved, the
 *     instance is retired (closed once its calls finish) and the call starts again on a freshly opened one;
 *   - an internal or fatal DuckDB error (which can leave the instance invalidated) retires it too.
 * A statement past its timeout, or aborted, is interrupted (`duckdb_interrupt`).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import { ToolError, isToolError } from '../../errors.js';
import { readDefinitions } from './definitions.js';
import { checkDuckDbRead, mapDuckDbError, prepareChecked, serialize, type CheckedRead, type DuckDbGuardContext } from './guard.js';
import { explainForm, leadingWord } from './lexer.js';
import { duckdbShape } from './policy.js';
import { emptyShape, type StatementShape } from '../../governance/shape.js';
import { withDeadline } from '../deadline.js';
import { ResultCollector } from '../results.js';
import type { Catalog, CatalogTable, ConnectionConfig, Connector, ExplainResult, IntrospectOptions, QueryOptions, QueryResult } from '../types.js';
import { encodeDuckValue } from './values.js';

const DATA_FILE = /\.(csv|tsv|txt|csv\.gz|tsv\.gz|parquet|json|jsonl|ndjson)$/i;

/** `duckdb:/path`, `file:/path` or a plain path; data files and globs are read through a view. */
export function duckdbTarget(url: string): { kind: 'database' | 'files'; path: string } {
  const m = /^(?:duckdb|file):(?:\/\/)?(.*)$/i.exec(url.trim());
  const p = path.resolve(m ? m[1]! : url.trim());
  return { kind: DATA_FILE.test(p) || /[*?[]/.test(path.basename(p)) ? 'files' : 'database', path: p };
}

/** A view name from the file's stem: `sales-2024.csv` → `sales_2024`. */
export function viewName(p: string): string {
  const stem = path.basename(p).replace(/(\.(gz|zst))?$/i, '').replace(/\.[^.]*$/, '');
  const slug = stem.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '').toLowerCase();
  return /^[a-z_]/.test(slug) ? slug : `t_${slug || 'data'}`;
}

/** A SQL string literal (trusted setup only: paths chosen by an admin, never user SQL). */
function literal(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

function readerFor(p: string): string {
  if (/\.parquet$/i.test(p)) return 'read_parquet';
  if (/\.(json|jsonl|ndjson)$/i.test(p)) return 'read_json_auto';
  return 'read_csv_auto';
}

const LOCKED = {
  access_mode: 'READ_ONLY',
  autoload_known_extensions: 'false',
  autoinstall_known_extensions: 'false',
} as const;

/**
 * Instance-wide settings read with every statement's parse and compared with their values at open: the
 * ones DuckDB v1.5.6 lets a statement change without going through the configuration lock —
 * `enable_peg_parser()` switches `allow_parser_override_extension` (and with it how every later statement
 * is parsed, which the guard's own parse would no longer match), `enable_logging()` turns on the
 * instance-wide log (which records every caller's statements). Everything else the lock holds
 * (test/readonly/duckdb-state.test.ts). Each probe costs about as much as a tenth of the parse, so the
 * list stays short.
 */
export const WATCHED_SETTINGS = ['allow_parser_override_extension', 'enable_logging'] as const;
const PROBES = WATCHED_SETTINGS.map((name) => `current_setting('${name}')`);

/** What the source's file turns into: the file DuckDB opens, the files it may read, the views Sequel wrote. */
interface Prepared {
  file: string;
  allowed: string[];
  trustedViews: Set<string>;
}

/** One opened DuckDB instance, the state it must keep, and the calls running on it. */
interface Instance {
  db: DuckDBInstance;
  expected: string[];
  guard: DuckDbGuardContext;
  active: Set<DuckDBConnection>;
  retired: boolean;
}

/** The instance changed under a call: the call starts again on a new one. */
class InstanceChanged extends Error {}

export class DuckDbConnector implements Connector {
  readonly engine = 'duckdb' as const;
  private instance: Promise<Instance> | undefined;
  private prepared: Promise<Prepared> | undefined;
  private scratch: string | undefined;
  private readonly live = new Set<Instance>();
  private opened = 0;
  private closed = false;

  constructor(private readonly config: ConnectionConfig) {}

  /** How many instances this source has opened (a new one after each retirement). */
  get generation(): number {
    return this.opened;
  }

  /** The file to open: the database itself, or (once) a small database holding a view over the data files. */
  private async prepare(): Promise<Prepared> {
    const target = duckdbTarget(this.config.url);
    if (target.kind === 'database') {
      if (!fs.existsSync(target.path)) throw new ToolError('SOURCE_UNAVAILABLE', `The DuckDB file ${target.path} does not exist.`);
      return { file: target.path, allowed: [], trustedViews: new Set() };
    }
    const scratch = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sequel-duckdb-')), 'view.duckdb');
    this.scratch = scratch;
    const writer = await DuckDBInstance.create(scratch, { autoload_known_extensions: 'false', autoinstall_known_extensions: 'false' });
    let files: string[];
    const view = viewName(target.path);
    try {
      const w = await writer.connect();
      try {
        const listed = await w.runAndReadAll(`select file from glob(${literal(target.path)}) order by file`);
        files = listed.getRows().map((r) => String(r[0]));
        if (files.length === 0) throw new ToolError('SOURCE_UNAVAILABLE', `No file matches ${target.path}.`);
        // The files themselves, not the pattern: once external access is off, only these paths (not a
        // directory listing) are allowed.
        await w.run(`create view ${view} as select * from ${readerFor(files[0]!)}([${files.map(literal).join(', ')}])`);
      } finally {
        w.closeSync();
      }
    } finally {
      writer.closeSync();
    }
    return { file: scratch, allowed: files, trustedViews: new Set([view]) };
  }

  private async open(): Promise<Instance> {
    try {
      this.prepared ??= this.prepare();
      this.prepared.catch(() => {
        this.prepared = undefined;
      });
      const { file, allowed, trustedViews } = await this.prepared;
      const db = await DuckDBInstance.create(file, LOCKED);
      try {
        const c = await db.connect();
        try {
          // No file, URL or extension beyond `allowed`; then nothing may change that (lock_configuration).
          if (allowed.length) await c.run(`set allowed_paths = [${allowed.map(literal).join(', ')}]`);
          await c.run('set enable_external_access = false');
          await c.run('set lock_configuration = true');
          const expected = (await c.runAndReadAll(`select ${PROBES.join(', ')}`)).getRows()[0]!.map((v) => String(v));
          const guard = await readDefinitions(c, this.config.allowUserFunctions === true, trustedViews);
          this.opened++;
          const instance: Instance = { db, expected, guard, active: new Set(), retired: false };
          this.live.add(instance);
          return instance;
        } finally {
          c.closeSync();
        }
      } catch (err) {
        db.closeSync();
        throw err;
      }
    } catch (err) {
      if (isToolError(err)) throw err;
      throw new ToolError('SOURCE_UNAVAILABLE', `The DuckDB source cannot be opened: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** Stops handing out `instance`; it closes when its last call ends. */
  private retire(instance: Instance): void {
    if (instance.retired) return;
    instance.retired = true;
    if (this.instance) {
      const current = this.instance;
      void current.then(
        (i) => {
          if (i === instance && this.instance === current) this.instance = undefined;
        },
        () => undefined,
      );
    }
    if (instance.active.size === 0) this.shut(instance);
  }

  private shut(instance: Instance): void {
    this.live.delete(instance);
    try {
      instance.db.closeSync();
    } catch {
      // already closed
    }
  }

  private async current(): Promise<Instance> {
    if (this.closed) throw new ToolError('SOURCE_UNAVAILABLE', 'This source was closed; retry.');
    for (;;) {
      const pending = (this.instance ??= this.open());
      pending.catch(() => {
        if (this.instance === pending) this.instance = undefined;
      });
      const instance = await pending;
      if (!instance.retired) return instance;
      if (this.instance === pending) this.instance = undefined;
    }
  }

  /**
   * Runs `work` on a connection of its own, under the call's deadline (expiry or abort interrupts
   * DuckDB). The connection is closed afterwards, whatever happened: nothing it held survives the call.
   */
  private async withConnection<T>(
    timeoutMs: number,
    signal: AbortSignal | undefined,
    work: (c: DuckDBConnection, instance: Instance) => Promise<T>,
  ): Promise<T> {
    if (signal?.aborted) throw new ToolError('QUERY_TIMEOUT', 'The call was cancelled before it started.');
    for (let attempt = 0; ; attempt++) {
      const instance = await this.current();
      const conn = await instance.db.connect();
      instance.active.add(conn);
      try {
        return await withDeadline({
          timeoutMs,
          signal,
          stop: () => conn.interrupt(),
          stopped: 'interrupted',
          mapError: (err) => {
            if (err instanceof InstanceChanged) return err;
            // An internal or fatal error may leave the instance invalidated for every later call.
            if (/^(?:Failed to [^:]*: )?(INTERNAL|FATAL) Error/i.test(err instanceof Error ? err.message : '')) this.retire(instance);
            return mapDuckDbError(err);
          },
          work: () => work(conn, instance),
        });
      } catch (err) {
        if (!(err instanceof InstanceChanged)) throw err;
        this.retire(instance);
        if (attempt > 0) throw new ToolError('SOURCE_UNAVAILABLE', 'The DuckDB source keeps changing state under its calls; retry later.');
      } finally {
        instance.active.delete(conn);
        conn.closeSync();
        if (instance.retired && instance.active.size === 0) this.shut(instance);
      }
    }
  }

  /**
   * Runs `work` on a connection of the current instance with no guard in front of it: for tests that look
   * at the instance the next caller will get, or change it the way a statement the guard missed would.
   * Sequel itself never calls it.
   */
  protected async unguarded<T>(work: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    const instance = await this.current();
    const conn = await instance.db.connect();
    instance.active.add(conn);
    try {
      return await work(conn);
    } finally {
      instance.active.delete(conn);
      conn.closeSync();
      if (instance.retired && instance.active.size === 0) this.shut(instance);
    }
  }

  /** Checks `sql` with the guard; the instance's watched settings are read in the same round trip. */
  private async check(c: DuckDBConnection, instance: Instance, sql: string): Promise<CheckedRead> {
    const checked = await checkDuckDbRead(c, sql, instance.guard, PROBES);
    if (checked.probes.some((v, i) => v !== instance.expected[i])) throw new InstanceChanged();
    return checked;
  }

  async ping(signal?: AbortSignal): Promise<{ version: string }> {
    return this.withConnection(this.config.connectTimeoutMs, signal, async (c) => {
      const r = await c.runAndReadAll('select version()');
      return { version: `DuckDB ${String(r.getRows()[0]?.[0] ?? '')}` };
    });
  }

  async query(sql: string, params: readonly unknown[], options: QueryOptions): Promise<QueryResult> {
    const collector = new ResultCollector(options.maxRows, options.maxBytes);
    return this.withConnection(options.timeoutMs, options.signal, async (c, instance) => {
      const prepared = await prepareChecked(c, await this.check(c, instance, sql));
      try {
        if (params.length) prepared.bind(params as DuckDBValue[]);
        const result = await prepared.stream();
        const types = result.columnTypes();
        const columns = result.columnNames().map((name, i) => ({ name, type: (types[i]!.alias ?? types[i]!.toString()).toLowerCase() }));
        outer: for (;;) {
          const chunk = await result.fetchChunk();
          if (!chunk || chunk.rowCount === 0) break;
          const cols = chunk.getColumns();
          for (let r = 0; r < chunk.rowCount; r++) {
            if (!collector.push(cols.map((col, i) => encodeDuckValue(col[r] ?? null, types[i])))) break outer;
          }
        }
        return collector.finish(columns);
      } finally {
        prepared.destroySync();
      }
    });
  }

  async explain(sql: string, params: readonly unknown[], options: Pick<QueryOptions, 'timeoutMs' | 'signal'>): Promise<ExplainResult> {
    return this.withConnection(options.timeoutMs, options.signal, async (c, instance) => {
      const checked = await this.check(c, instance, sql);
      // EXPLAIN (never ANALYZE) of the checked query plans it without running it; a statement that is
      // already a plain EXPLAIN is planned as it is.
      const plan = checked.kind === 'explain' ? checked : { ...checked, sql: `EXPLAIN ${checked.sql}`, kind: 'explain' as const };
      const prepared = await prepareChecked(c, plan);
      try {
        if (params.length) prepared.bind(params as DuckDBValue[]);
        const r = await prepared.runAndReadAll();
        return { plan: r.getRows().map((row) => String(row[1] ?? '')).join('\n') };
      } finally {
        prepared.destroySync();
      }
    });
  }

  async analyze(sql: string): Promise<StatementShape> {
    return this.withConnection(this.config.statementTimeoutMs, undefined, async (c, instance) => {
      const checked = await this.check(c, instance, sql);
      const first = leadingWord(sql);
      if (first === 'pragma') return { ...emptyShape(), catalogUse: 'PRAGMA' };
      const form = first === 'explain' ? explainForm(sql) : undefined;
      const parsed = form?.kind === 'plain' ? form.inner : sql;
      const { tree } = await serialize(c, parsed);
      return duckdbShape(parsed, tree, checked.check.relations ?? []);
    });
  }

  async introspect(options: IntrospectOptions = {}): Promise<Catalog> {
    return this.withConnection(this.config.statementTimeoutMs, options.signal, async (c) => {
      const rows = async (q: string) => (await c.runAndReadAll(q)).getRowObjectsJson() as Array<Record<string, unknown>>;
      const userSchemas = `database_name = current_database() and schema_name not in ('information_schema', 'pg_catalog')`;
      const [tables, views, columns, constraints, indexes, current] = await Promise.all([
        rows(`select schema_name, table_name, comment, estimated_size from duckdb_tables() where ${userSchemas} and not temporary`),
        rows(`select schema_name, view_name, comment, sql from duckdb_views() where ${userSchemas} and not internal and not temporary`),
        rows(`select schema_name, table_name, column_name, data_type, is_nullable, column_default, comment from duckdb_columns() where ${userSchemas} order by schema_name, table_name, column_index`),
        rows(`select schema_name, table_name, constraint_type, constraint_column_names, referenced_table, referenced_column_names from duckdb_constraints() where ${userSchemas}`),
        rows(`select schema_name, table_name, index_name, is_unique, expressions from duckdb_indexes() where ${userSchemas}`),
        rows(`select current_schema() as s`),
      ]);
      const byKey = new Map<string, CatalogTable>();
      const key = (s: unknown, t: unknown) => `${String(s)}\u0000${String(t)}`;
      for (const t of tables) {
        byKey.set(key(t.schema_name, t.table_name), {
          schema: String(t.schema_name),
          name: String(t.table_name),
          kind: 'table',
          comment: (t.comment as string | null) || null,
          rowEstimate: t.estimated_size == null ? null : Number(t.estimated_size),
          columns: [],
          indexes: [],
        });
      }
      for (const v of views) {
        byKey.set(key(v.schema_name, v.view_name), {
          schema: String(v.schema_name),
          name: String(v.view_name),
          kind: 'view',
          comment: (v.comment as string | null) || null,
          rowEstimate: null,
          columns: [],
          indexes: [],
          definition: typeof v.sql === 'string' ? v.sql : null,
        });
      }
      for (const col of columns) {
        byKey.get(key(col.schema_name, col.table_name))?.columns.push({
          name: String(col.column_name),
          type: String(col.data_type).toLowerCase(),
          nullable: Boolean(col.is_nullable),
          default: (col.column_default as string | null) ?? null,
          primaryKey: false,
          comment: (col.comment as string | null) || null,
          references: null,
        });
      }
      for (const k of constraints) {
        const t = byKey.get(key(k.schema_name, k.table_name));
        if (!t) continue;
        const cols = (k.constraint_column_names as string[] | null) ?? [];
        if (k.constraint_type === 'PRIMARY KEY') {
          for (const c of t.columns) if (cols.includes(c.name)) c.primaryKey = true;
          t.indexes.push({ name: `${t.name}_pkey`, columns: cols, unique: true, primary: true });
        } else if (k.constraint_type === 'UNIQUE') {
          t.indexes.push({ name: `${t.name}_${cols.join('_')}_key`, columns: cols, unique: true, primary: false });
        } else if (k.constraint_type === 'FOREIGN KEY') {
          const refCols = (k.referenced_column_names as string[] | null) ?? [];
          cols.forEach((name, i) => {
            const c = t.columns.find((x) => x.name === name);
            if (c) c.references = { schema: t.schema, table: String(k.referenced_table), column: refCols[i] ?? '' };
          });
        }
      }
      for (const ix of indexes) {
        const t = byKey.get(key(ix.schema_name, ix.table_name));
        const expr = String(ix.expressions ?? '').replace(/^\[|\]$/g, '');
        t?.indexes.push({ name: String(ix.index_name), columns: expr ? expr.split(',').map((s) => s.trim().replace(/^"|"$/g, '')) : [], unique: Boolean(ix.is_unique), primary: false });
      }
      let all = [...byKey.values()];
      if (options.schemas?.length) all = all.filter((t) => options.schemas!.includes(t.schema));
      return { defaultSchema: String(current[0]?.s ?? 'main'), tables: all };
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const pending = this.instance;
    this.instance = undefined;
    if (pending) await pending.catch(() => undefined);
    for (const instance of [...this.live]) {
      for (const c of instance.active) c.interrupt();
      this.retire(instance);
    }
    if (this.scratch) fs.rmSync(path.dirname(this.scratch), { recursive: true, force: true });
  }
}

export function create(config: ConnectionConfig): Connector {
  return new DuckDbConnector(config);
}
