/**
 * The DuckDB connector: a `.duckdb` file, or CSV / Parquet / JSON files (a path or a glob) read through
 * DuckDB as a view.
 *
 * Read-only layers (BRIEF §3):
 *   1. the session — the database is opened with `access_mode=READ_ONLY`, external access disabled
 *      (no file, URL or extension reaches it), extension auto-loading off, and the configuration locked
 *      so no statement can turn any of it back on. Data-file sources get a small DuckDB file of their own,
 *      written once by Sequel with a view over the files, then opened the same read-only way with only
 *      those files in `allowed_paths`;
 *   2. the statement — ./guard.ts (DuckDB's parser: one SELECT, no file, network or secret functions);
 *   3. parameters — bound to the prepared statement (`$1`), never spliced.
 * A statement past its timeout, or aborted, is interrupted (`duckdb_interrupt`).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import { ToolError, isToolError } from '../../errors.js';
import { mapDuckDbError, prepareDuckDbRead } from './guard.js';
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

export class DuckDbConnector implements Connector {
  readonly engine = 'duckdb' as const;
  private instance: Promise<DuckDBInstance> | undefined;
  private scratch: string | undefined;
  private readonly idle: DuckDBConnection[] = [];
  private readonly active = new Set<DuckDBConnection>();
  private closed = false;

  constructor(private readonly config: ConnectionConfig) {}

  private async open(): Promise<DuckDBInstance> {
    const target = duckdbTarget(this.config.url);
    try {
      if (target.kind === 'database') {
        if (!fs.existsSync(target.path)) throw new ToolError('SOURCE_UNAVAILABLE', `The DuckDB file ${target.path} does not exist.`);
        const db = await DuckDBInstance.create(target.path, LOCKED);
        await this.lock(db, []);
        return db;
      }
      // Data files: write a tiny database holding one view over them, then open it read-only.
      const scratch = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sequel-duckdb-')), 'view.duckdb');
      this.scratch = scratch;
      const writer = await DuckDBInstance.create(scratch, { autoload_known_extensions: 'false', autoinstall_known_extensions: 'false' });
      let files: string[];
      try {
        const w = await writer.connect();
        try {
          const listed = await w.runAndReadAll(`select file from glob(${literal(target.path)}) order by file`);
          files = listed.getRows().map((r) => String(r[0]));
          if (files.length === 0) throw new ToolError('SOURCE_UNAVAILABLE', `No file matches ${target.path}.`);
          // The files themselves, not the pattern: once external access is off, only these paths (not a
          // directory listing) are allowed.
          await w.run(`create view ${viewName(target.path)} as select * from ${readerFor(files[0]!)}([${files.map(literal).join(', ')}])`);
        } finally {
          w.closeSync();
        }
      } finally {
        writer.closeSync();
      }
      const db = await DuckDBInstance.create(scratch, LOCKED);
      await this.lock(db, files);
      return db;
    } catch (err) {
      if (isToolError(err)) throw err;
      throw new ToolError('SOURCE_UNAVAILABLE', `The DuckDB source cannot be opened: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** No file, URL or extension beyond `allowed`; then nothing may change that (lock_configuration). */
  private async lock(db: DuckDBInstance, allowed: string[]): Promise<void> {
    const c = await db.connect();
    try {
      if (allowed.length) await c.run(`set allowed_paths = [${allowed.map(literal).join(', ')}]`);
      await c.run('set enable_external_access = false');
      await c.run('set lock_configuration = true');
    } finally {
      c.closeSync();
    }
  }

  private async connection(): Promise<DuckDBConnection> {
    if (this.closed) throw new ToolError('SOURCE_UNAVAILABLE', 'This source was closed; retry.');
    this.instance ??= this.open();
    this.instance.catch(() => {
      this.instance = undefined;
    });
    const db = await this.instance;
    const conn = this.idle.pop() ?? (await db.connect());
    this.active.add(conn);
    return conn;
  }

  private release(conn: DuckDBConnection, reusable: boolean): void {
    this.active.delete(conn);
    if (reusable && !this.closed && this.idle.length < this.config.poolMax) this.idle.push(conn);
    else conn.closeSync();
  }

  /** Runs `work` under the call's deadline; expiry or abort interrupts DuckDB. */
  private async withConnection<T>(timeoutMs: number, signal: AbortSignal | undefined, work: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    if (signal?.aborted) throw new ToolError('QUERY_TIMEOUT', 'The call was cancelled before it started.');
    const conn = await this.connection();
    let interrupted = false;
    try {
      return await withDeadline({
        timeoutMs,
        signal,
        stop: () => {
          interrupted = true;
          conn.interrupt();
        },
        stopped: 'interrupted',
        mapError: mapDuckDbError,
        work: () => work(conn),
      });
    } finally {
      this.release(conn, !interrupted);
    }
  }

  async ping(signal?: AbortSignal): Promise<{ version: string }> {
    return this.withConnection(this.config.connectTimeoutMs, signal, async (c) => {
      const r = await c.runAndReadAll('select version()');
      return { version: `DuckDB ${String(r.getRows()[0]?.[0] ?? '')}` };
    });
  }

  async query(sql: string, params: readonly unknown[], options: QueryOptions): Promise<QueryResult> {
    const collector = new ResultCollector(options.maxRows, options.maxBytes);
    return this.withConnection(options.timeoutMs, options.signal, async (c) => {
      const { prepared } = await prepareDuckDbRead(c, sql);
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
    return this.withConnection(options.timeoutMs, options.signal, async (c) => {
      const { prepared } = await prepareDuckDbRead(c, sql);
      prepared.destroySync();
      // EXPLAIN (never ANALYZE) of the checked query plans it without running it.
      const r = await c.runAndReadAll(`EXPLAIN ${sql}`, params.length ? (params as DuckDBValue[]) : undefined);
      return { plan: r.getRows().map((row) => String(row[1] ?? '')).join('\n') };
    });
  }

  async introspect(options: IntrospectOptions = {}): Promise<Catalog> {
    return this.withConnection(this.config.statementTimeoutMs, options.signal, async (c) => {
      const rows = async (q: string) => (await c.runAndReadAll(q)).getRowObjectsJson() as Array<Record<string, unknown>>;
      const userSchemas = `database_name = current_database() and schema_name not in ('information_schema', 'pg_catalog')`;
      const [tables, views, columns, constraints, indexes, current] = await Promise.all([
        rows(`select schema_name, table_name, comment, estimated_size from duckdb_tables() where ${userSchemas} and not temporary`),
        rows(`select schema_name, view_name, comment from duckdb_views() where ${userSchemas} and not internal and not temporary`),
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
        byKey.set(key(v.schema_name, v.view_name), { schema: String(v.schema_name), name: String(v.view_name), kind: 'view', comment: (v.comment as string | null) || null, rowEstimate: null, columns: [], indexes: [] });
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
    for (const c of this.active) c.interrupt();
    for (const c of this.idle.splice(0)) c.closeSync();
    const instance = this.instance;
    this.instance = undefined;
    if (instance) {
      try {
        (await instance).closeSync();
      } catch {
        // it never opened
      }
    }
    if (this.scratch) fs.rmSync(path.dirname(this.scratch), { recursive: true, force: true });
  }
}

export function create(config: ConnectionConfig): Connector {
  return new DuckDbConnector(config);
}
