/**
 * The SQLite connector: a file source read by reader processes (child.js, pooled by pool.ts).
 *
 * Read-only layers (BRIEF §3): (1) the file is opened read-only with `query_only`; (2) the statement guard
 * (./guard.ts) plus SQLite's own verdict (`sqlite3_stmt_readonly`, one statement only) in the
 * reader; (3) parameters are bound by better-sqlite3, never spliced. A statement past its timeout is
 * stopped by killing its reader process.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ToolError, isToolError } from '../../errors.js';
import { checkSqliteStatement } from './guard.js';
import { sqliteShape } from './policy.js';
import type { StatementShape } from '../../governance/shape.js';
import { withDeadline } from '../deadline.js';
import { ResultCollector } from '../results.js';
import type {
  Catalog,
  CatalogIndex,
  CatalogTable,
  ColumnMeta,
  ConnectionConfig,
  Connector,
  ExplainResult,
  IntrospectOptions,
  JsonValue,
  QueryOptions,
  QueryResult,
} from '../types.js';
import { encodeValue } from '../values.js';
import { ChildError, ReaderGone, ReaderPool, type Reader } from './pool.js';

/** SQLite sources hold one process per concurrent call; a couple is plenty for a file. */
const MAX_READERS = 4;

/** `sqlite:/path`, `file:/path`, `sqlite:///path` or a plain path. */
export function sqlitePath(url: string): string {
  const m = /^(?:sqlite|file):(?:\/\/)?(.*)$/i.exec(url.trim());
  return path.resolve(m ? m[1]! : url.trim());
}

/**
 * SQLite integers are 64-bit: read as bigints, they travel as JSON numbers while exact (|n| ≤ 2^53 − 1)
 * and as strings beyond, so no value is ever rounded. Blobs are base64.
 */
export function encodeSqliteValue(v: unknown): JsonValue {
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  return encodeValue(v);
}

/** The reader reads integers as bigints (safeIntegers), so a JS number is always a REAL. */
function storageClass(v: unknown): string {
  if (typeof v === 'bigint') return 'integer';
  if (typeof v === 'number') return 'real';
  if (typeof v === 'string') return 'text';
  if (v instanceof Uint8Array) return 'blob';
  return '';
}

/** SQLite's errors, as codes a model can act on. */
export function mapSqliteError(err: unknown): unknown {
  if (isToolError(err)) return err;
  if (err instanceof ChildError) {
    const { code, name, message } = err.failure;
    if (code === 'SEQUEL_NOT_READ_ONLY') return new ToolError('NOT_READ_ONLY', message);
    if (name === 'RangeError' && /more than one statement/i.test(message)) {
      return new ToolError('NOT_READ_ONLY', 'Exactly one statement is allowed; send each statement in its own call.');
    }
    if (name === 'RangeError' || name === 'TypeError') return new ToolError('QUERY_ERROR', `${message} (SQLite takes ? placeholders, bound in order from params).`);
    if (code.startsWith('SQLITE_READONLY')) return new ToolError('NOT_READ_ONLY', `SQLite refused a write: ${message}.`);
    if (code === 'SQLITE_AUTH') return new ToolError('PERMISSION_DENIED', message);
    if (/^SQLITE_(CANTOPEN|NOTADB|CORRUPT|IOERR|BUSY|LOCKED)/.test(code)) return new ToolError('SOURCE_UNAVAILABLE', `The SQLite file cannot be read right now: ${message}.`);
    if (/syntax error|incomplete input|unrecognized token/i.test(message)) return new ToolError('SYNTAX_ERROR', message);
    if (code.startsWith('SQLITE_')) return new ToolError('QUERY_ERROR', message);
    return new Error(message);
  }
  return err;
}

interface CatalogRows {
  tables: Array<{ name: string; type: string; sql?: string | null }>;
  columns: Array<{ tbl: string; name: string; type: string; not_null: bigint; dflt_value: string | null; pk: bigint; hidden: bigint }>;
  foreignKeys: Array<{ tbl: string; id: bigint; seq: bigint; target: string; col: string; target_col: string | null }>;
  indexes: Array<{ tbl: string; idx: string; uniq: bigint; origin: string; seqno: bigint; col: string | null }>;
  stats: Array<{ tbl: string; idx: string | null; stat: string }>;
}

export function buildCatalog(rows: CatalogRows): Catalog {
  const tables = new Map<string, CatalogTable>();
  const estimates = new Map<string, number>();
  for (const s of rows.stats) {
    const n = Number(s.stat.split(' ')[0]);
    if (Number.isFinite(n)) estimates.set(s.tbl, Math.max(estimates.get(s.tbl) ?? 0, n));
  }
  for (const t of rows.tables) {
    tables.set(t.name, {
      schema: 'main',
      name: t.name,
      kind: t.type === 'view' ? 'view' : 'table',
      comment: null,
      rowEstimate: t.type === 'table' ? (estimates.get(t.name) ?? null) : null,
      columns: [],
      indexes: [],
      ...(t.type === 'view' ? { definition: t.sql ?? null } : {}),
    });
  }
  const pkOf = new Map<string, string[]>();
  for (const c of rows.columns) {
    const t = tables.get(c.tbl);
    // Hidden columns of virtual tables are not part of the table's face.
    if (!t || Number(c.hidden) === 1) continue;
    const pk = Number(c.pk) > 0;
    if (pk) pkOf.set(c.tbl, [...(pkOf.get(c.tbl) ?? []), c.name]);
    // A view's computed column (count(*), substr(…)) and a table column declared without a type have no
    // declared type in SQLite; say so rather than print an empty type a reader takes for "null".
    t.columns.push({ name: c.name, type: c.type ? c.type.toLowerCase() : 'unknown', nullable: Number(c.not_null) === 0 && !pk, default: c.dflt_value, primaryKey: pk, comment: null, references: null });
  }
  for (const fk of rows.foreignKeys) {
    const t = tables.get(fk.tbl);
    const col = t?.columns.find((c) => c.name === fk.col);
    if (!col) continue;
    // A foreign key without target columns refers to the target's primary key.
    const targetCol = fk.target_col ?? pkOf.get(fk.target)?.[Number(fk.seq)] ?? 'rowid';
    col.references = { schema: 'main', table: fk.target, column: targetCol };
  }
  const byIndex = new Map<string, CatalogIndex & { tbl: string }>();
  for (const ix of rows.indexes) {
    let entry = byIndex.get(ix.idx);
    if (!entry) {
      entry = { tbl: ix.tbl, name: ix.idx, columns: [], unique: Number(ix.uniq) === 1, primary: ix.origin === 'pk' };
      byIndex.set(ix.idx, entry);
    }
    entry.columns.push(ix.col ?? '(expression)');
  }
  for (const { tbl, ...ix } of byIndex.values()) tables.get(tbl)?.indexes.push(ix);
  return { defaultSchema: 'main', tables: [...tables.values()] };
}

export class SqliteConnector implements Connector {
  readonly engine = 'sqlite' as const;
  private readonly pool: ReaderPool;
  private readonly file: string;

  constructor(private readonly config: ConnectionConfig) {
    this.file = sqlitePath(config.url);
    this.pool = new ReaderPool(this.file, Math.max(1, Math.min(config.poolMax, MAX_READERS)), config.connectTimeoutMs);
  }

  private async acquire(): Promise<Reader> {
    // Fail fast and clearly for a file that is not there (no process needed to say so).
    if (!fs.existsSync(this.file)) throw new ToolError('SOURCE_UNAVAILABLE', `The SQLite file ${this.file} does not exist.`);
    return this.pool.acquire();
  }

  /**
   * Runs `work` on a reader under the call's deadline: when the timeout expires or the caller aborts,
   * the reader process is killed, which stops SQLite wherever it is.
   */
  private async withReader<T>(timeoutMs: number, signal: AbortSignal | undefined, work: (r: Reader) => Promise<T>): Promise<T> {
    if (signal?.aborted) throw new ToolError('QUERY_TIMEOUT', 'The call was cancelled before it started.');
    const reader = await this.acquire();
    try {
      return await withDeadline({
        timeoutMs,
        signal,
        stop: () => reader.kill(),
        stopped: 'stopped',
        mapError: (err) => (err instanceof ReaderGone ? new ToolError('SOURCE_UNAVAILABLE', 'The SQLite reader process ended unexpectedly; retry.') : mapSqliteError(err)),
        work: () => work(reader),
      });
    } finally {
      // A killed reader is dropped by the pool; a live one serves the next call.
      this.pool.release(reader);
    }
  }

  async ping(signal?: AbortSignal): Promise<{ version: string }> {
    return this.withReader(this.config.connectTimeoutMs, signal, async (r) => {
      const reply = await r.request({ op: 'ping' });
      return { version: `SQLite ${String(reply.version)}` };
    });
  }

  async introspect(options: IntrospectOptions = {}): Promise<Catalog> {
    const catalog = await this.withReader(this.config.statementTimeoutMs, options.signal, async (r) => {
      const reply = await r.request({ op: 'catalog' });
      return buildCatalog(reply as unknown as CatalogRows);
    });
    if (options.schemas && !options.schemas.includes('main')) return { ...catalog, tables: [] };
    return catalog;
  }

  async query(sql: string, params: readonly unknown[], options: QueryOptions): Promise<QueryResult> {
    checkSqliteStatement(sql);
    const collector = new ResultCollector(options.maxRows, options.maxBytes);
    return this.withReader(options.timeoutMs, options.signal, async (r) => {
      let reply = await r.request({
        op: 'query',
        sql,
        params,
        batchRows: Math.min(collector.fetchLimit, 512),
        batchBytes: options.maxBytes,
      });
      const declared = reply.columns as Array<{ name: string; type: string | null }>;
      const inferred: string[] = declared.map((c) => (c.type ?? '').toLowerCase());
      let done = Boolean(reply.done);
      outer: for (;;) {
        for (const row of reply.rows as unknown[][]) {
          row.forEach((v, i) => {
            if (!inferred[i] && v !== null) inferred[i] = storageClass(v);
          });
          if (!collector.push(row.map(encodeSqliteValue))) break outer;
        }
        if (done) break;
        reply = await r.request({ op: 'more' });
        done = Boolean(reply.done);
      }
      if (!done) await r.request({ op: 'end' });
      const columns: ColumnMeta[] = declared.map((c, i) => ({ name: c.name, type: inferred[i] || 'unknown' }));
      return collector.finish(columns);
    });
  }

  async explain(sql: string, params: readonly unknown[], options: Pick<QueryOptions, 'timeoutMs' | 'signal'>): Promise<ExplainResult> {
    const check = checkSqliteStatement(sql);
    if (check.explain) throw new ToolError('INVALID_ARGUMENT', 'Pass the query itself: EXPLAIN QUERY PLAN is added for you.');
    if (check.kind === 'pragma') throw new ToolError('INVALID_ARGUMENT', 'A PRAGMA has no plan; pass a query (SELECT, WITH … SELECT, VALUES).');
    return this.withReader(options.timeoutMs, options.signal, async (r) => {
      const reply = await r.request({ op: 'explain', sql, params });
      const rows = reply.rows as Array<[bigint, bigint, bigint, string]>;
      // Rows are (id, parent, notused, detail): indent each node under its parent.
      const depth = new Map<number, number>([[0, -1]]);
      const lines = rows.map(([id, parent, , detail]) => {
        const d = (depth.get(Number(parent)) ?? -1) + 1;
        depth.set(Number(id), d);
        return `${'  '.repeat(d)}${detail}`;
      });
      return { plan: lines.join('\n') || '(no plan rows)' };
    });
  }

  analyze(sql: string): Promise<StatementShape> {
    const check = checkSqliteStatement(sql);
    return Promise.resolve(sqliteShape(sql, check.kind === 'pragma'));
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}

export function create(config: ConnectionConfig): Connector {
  return new SqliteConnector(config);
}
