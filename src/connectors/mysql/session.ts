/**
 * The MySQL/MariaDB session: read-only layers 1 and 3 of BRIEF §3, the bounded pool, streaming with caps,
 * and cancellation. `MysqlConnector` (index.ts) puts the statement guard (layer 2) in front of it; this
 * class is exported on its own so that a test can show the session holding without the guard.
 *
 * Layer 1, set once per connection, so that a point query is one round trip (COM_STMT_EXECUTE of a
 * statement mysql2 has already prepared on that connection):
 *   - `SET SESSION TRANSACTION READ ONLY` (`tx_read_only` / `transaction_read_only`) with autocommit on:
 *     every statement runs in a read-only transaction of its own, so there is no per-call START
 *     TRANSACTION / ROLLBACK round trip;
 *   - the statement timeout: MariaDB `max_statement_time` (seconds, fractional; every statement), MySQL
 *     `max_execution_time` (milliseconds; SELECT only), changed only when a call asks for another value;
 *     the flavor is detected from `VERSION()`;
 *   - `time_zone = '+00:00'` (TIMESTAMP values arrive in UTC) and the server's `sql_mode` minus the flags
 *     that change how text is lexed or names resolve (`ANSI`, `ANSI_QUOTES`, `NO_BACKSLASH_ESCAPES`,
 *     `IGNORE_SPACE`, `ORACLE`…), so the server reads the text exactly as the guard does.
 *
 * Isolation between calls: a statement that answers without a result set (an OK packet: SET, START
 * TRANSACTION, PREPARE, DO…) is not a read: the call answers NOT_READ_ONLY and the connection is
 * destroyed (what such a statement can change — variables, transaction mode, autocommit, sql_mode,
 * character set, temporary tables, SQL-level prepared statements — goes with it; a query cannot change
 * them except through functions). A connection whose state is unknown (cancelled, truncated mid-stream,
 * lost) is destroyed, never reused. mysql2 keeps at most PREPARED_PER_CONNECTION protocol-level prepared
 * statements per connection (an LRU that closes what it evicts), so the server's max_prepared_stmt_count
 * is never approached. Where the source allows user-defined functions (which can set variables, take GET_LOCK locks or
 * create temporary tables without the server flagging it), each connection is reset
 * (COM_RESET_CONNECTION, which also drops its prepared statements) before it serves another call, off
 * the caller's path, and its settings applied again. The guard refuses `:=`, GET_LOCK and the other
 * built-ins that would do the same.
 *
 * Layer 3: the statement goes through the binary protocol (`execute`: COM_STMT_PREPARE + EXECUTE), so
 * parameters are bound by the server, never spliced; a prepared statement is always exactly one
 * statement. The client never sets CLIENT_MULTI_STATEMENTS and clears CLIENT_LOCAL_FILES, so neither a
 * text-protocol fallback nor a `LOAD DATA LOCAL` can reach beyond one statement or read client files.
 *
 * Streaming: rows are converted and offered to a `ResultCollector` as they arrive; at the row or byte cap
 * the socket is paused at once and the connection destroyed (the server stops at its next write, and a
 * `KILL QUERY` from a separate connection makes sure), so memory stays bounded by the caps whatever the
 * table size. mysql2 buffers nothing when `execute` is used without a callback.
 *
 * Cancellation: at the timeout (the server's own timeout fires first; a client timer at timeout + 1 s is
 * the backstop) or on abort, `KILL QUERY <thread id>` runs from a dedicated connection outside the pool
 * (so a full pool cannot block it) and the connection is destroyed; the call answers QUERY_TIMEOUT after
 * the kill has been sent.
 */
import type { EventEmitter } from 'node:events';
import { checkServerIdentity, type TLSSocket } from 'node:tls';
import mysql from 'mysql2';
import type { Connection, ConnectionOptions, FieldPacket, Pool, PoolConnection, PoolOptions } from 'mysql2';
import { ToolError } from '../../errors.js';
import type { MysqlFlavor, ViewDefinition } from './guard.js';
import { describeTarget, parseDsn, redactUrl } from '../dsn.js';
import { ResultCollector } from '../results.js';
import type { Catalog, ColumnMeta, ConnectionConfig, ExplainResult, JsonValue, QueryOptions, QueryResult } from '../types.js';
import { readCatalog, SYSTEM_SCHEMAS } from './catalog.js';
import { isConnectionFailure, mapMysqlError, timeoutError, type ErrorContext } from './errors.js';
import { mysqlConverter, mysqlTypeName, type Converter } from './values.js';

/** How long the view definitions the guard checks are trusted before they are read again. */
const VIEWS_MAX_AGE_MS = 30_000;
/** The client timer fires this long after the statement timeout, so the server's own timeout wins. */
const CLIENT_GRACE_MS = 1_000;
/** How long a KILL may take before the call answers anyway. */
const KILL_WAIT_MS = 3_000;
/** sql_mode flags that change how the text is lexed or parsed, or how function names resolve; the session never has them. */
const LEXICAL_MODES = new Set(['ANSI', 'ANSI_QUOTES', 'NO_BACKSLASH_ESCAPES', 'IGNORE_SPACE', 'ORACLE', 'MSSQL', 'DB2', 'MAXDB', 'POSTGRESQL']);

/** Server-side prepared statements kept per connection (an LRU in mysql2); bounds the server's count too. */
const PREPARED_PER_CONNECTION = 64;

export interface MysqlSettings {
  pool: PoolOptions;
  /** For the connection that sends KILL QUERY: same server and credentials, no database, no pool. */
  killer: ConnectionOptions;
  /** `host:port/database`, for messages. */
  target: string;
  database: string | undefined;
  password: string | undefined;
}

/** Builds mysql2's options from a source's config; never hands the raw DSN to the driver. */
export function mysqlSettings(config: ConnectionConfig): MysqlSettings {
  const dsn = parseDsn(config.url);
  if (dsn.scheme !== 'mysql' && dsn.scheme !== 'mariadb') {
    throw new ToolError('SOURCE_UNAVAILABLE', `The connection URL ${redactUrl(config.url)} is not a mysql:// or mariadb:// URL.`);
  }
  const password = config.password ?? dsn.password;
  const tls = config.tls?.mode ?? 'disable';
  const ssl =
    tls === 'disable'
      ? undefined
      : tls === 'require'
        ? // Encrypted, not verified: what `require` means for libpq and MySQL clients alike.
          { rejectUnauthorized: false }
        : {
            rejectUnauthorized: true,
            ...(config.tls?.ca ? { ca: config.tls.ca } : {}),
            // mysql2 checks the host name only when asked, and never for an IP address (it gives Node no
            // name, and Node then checks against "localhost"): the pool's 'connection' hook checks the
            // certificate against the host the source names, always (RFC 6125 §6, as libpq's verify-full).
            verifyIdentity: true,
          };
  const socket = dsn.host.startsWith('/');
  const base: ConnectionOptions = {
    ...(socket ? { socketPath: dsn.host } : { host: dsn.host, port: dsn.port ?? 3306 }),
    user: dsn.user ?? '',
    password: password ?? '',
    connectTimeout: config.connectTimeoutMs,
    charset: 'UTF8MB4_GENERAL_CI',
    ...(ssl ? { ssl } : {}),
    // Values: exact big numbers and decimals as strings, dates as the server's text (no JS Date and its
    // time zone shifts), JSON as text parsed by values.ts, rows as arrays.
    supportBigNumbers: true,
    bigNumberStrings: true,
    decimalNumbers: false,
    dateStrings: true,
    jsonStrings: true,
    rowsAsArray: true,
    timezone: 'Z',
    // One statement per call, no client files: never CLIENT_MULTI_STATEMENTS, and CLIENT_LOCAL_FILES off
    // so the server cannot ask for a local file (LOAD DATA LOCAL) even if a statement got that far.
    multipleStatements: false,
    flags: ['-MULTI_STATEMENTS', '-LOCAL_FILES'],
    infileStreamFactory: undefined,
    maxPreparedStatements: PREPARED_PER_CONNECTION,
    enableKeepAlive: true,
    keepAliveInitialDelay: 10_000,
    trace: false,
    connectAttributes: { program_name: 'sequel' },
  };
  return {
    pool: {
      ...base,
      ...(dsn.database ? { database: dsn.database } : {}),
      connectionLimit: Math.max(1, config.poolMax),
      maxIdle: Math.max(1, config.poolMax),
      idleTimeout: 60_000,
      waitForConnections: true,
      queueLimit: 0,
    },
    killer: base,
    target: describeTarget(dsn, 3306),
    database: dsn.database,
    password,
  };
}

interface ConnState {
  /** The statement timeout the session currently has, in ms. */
  timeoutMs: number | undefined;
}

/** A statement answered with an OK packet (no result set): it was not a read, and may have changed the session. */
class NotAQuery extends Error {}

/** One call in flight: its connection and how it ended. */
interface Call {
  conn: PoolConnection | undefined;
  cancelled: 'timeout' | 'abort' | 'close' | undefined;
  /** The connection must not go back to the pool. */
  discard: boolean;
  /** Something of the statement's answer has arrived (a retry would repeat it). */
  received: boolean;
  killed: Promise<void> | undefined;
  cancel(why: 'timeout' | 'abort' | 'close'): void;
}

/** What a call's body can do on its connection (inside the read-only transaction). */
export interface CallApi {
  flavor: MysqlFlavor;
  version: string;
  database: string | null;
  /** Streams one statement into the collector; returns its columns. */
  stream(sql: string, params: readonly unknown[], collector: ResultCollector): Promise<ColumnMeta[]>;
  /** Runs one statement and returns all its rows (catalog and EXPLAIN: small results). */
  all(sql: string, params: readonly unknown[]): Promise<{ rows: unknown[][]; fields: FieldPacket[] }>;
}

type Row = unknown[];

function textQuery(conn: Connection, sql: string): Promise<Row[]> {
  return new Promise((resolve, reject) => {
    conn.query({ sql, rowsAsArray: true }, (err, rows) => (err ? reject(err) : resolve(Array.isArray(rows) ? (rows as unknown as Row[]) : [])));
  });
}

/** JSON-friendly parameters for the binary protocol: bigint as text, objects as JSON text. */
function bindable(params: readonly unknown[]): unknown[] {
  return params.map((p) => {
    if (p === undefined) return null;
    if (typeof p === 'bigint') return p.toString();
    if (p !== null && typeof p === 'object' && !(p instanceof Date) && !Buffer.isBuffer(p)) return JSON.stringify(p);
    return p;
  });
}

function errno(err: unknown): number | undefined {
  return typeof err === 'object' && err !== null ? (err as { errno?: number }).errno : undefined;
}

const destroyed = new WeakSet<PoolConnection>();

function destroyConnection(conn: PoolConnection): void {
  if (destroyed.has(conn)) return;
  destroyed.add(conn);
  try {
    conn.pause();
  } catch {
    // already closed
  }
  try {
    conn.destroy();
  } catch {
    // already closed
  }
  // destroy() only half-closes (stream.end()); a paused socket with unread rows must be torn down.
  (conn as unknown as { stream?: { destroy?: () => void } }).stream?.destroy?.();
}

export class MysqlSession {
  private readonly settings: MysqlSettings | ToolError;
  private readonly pool: Pool | undefined;
  private readonly connState = new WeakMap<PoolConnection, ConnState>();
  private readonly active = new Set<Call>();
  private killer: Promise<Connection> | undefined;
  private flavor: MysqlFlavor | undefined;
  /** The SET list every connection gets (known after the first connection). */
  private setup: string | undefined;
  private version = '';
  private database: string | null = null;
  private closing: Promise<void> | undefined;

  constructor(private readonly config: ConnectionConfig) {
    let settings: MysqlSettings | ToolError;
    try {
      settings = mysqlSettings(config);
    } catch (err) {
      // A malformed URL is the source's problem, answered on every call, not a crash at construction.
      settings = err instanceof ToolError ? err : new ToolError('SOURCE_UNAVAILABLE', err instanceof Error ? err.message : String(err));
    }
    this.settings = settings;
    if (!(settings instanceof ToolError)) {
      this.pool = mysql.createPool(settings.pool);
      // A pooled connection that dies while idle emits 'error'; without a listener that would crash the
      // process. The pool drops such connections itself.
      const verifyHost = config.tls?.mode === 'verify-full' ? parseDsn(config.url).host : undefined;
      this.pool.on('connection', (conn: PoolConnection) => {
        conn.on('error', () => undefined);
        if (verifyHost !== undefined) {
          const socket = (conn as unknown as { stream?: Partial<TLSSocket> }).stream;
          const cert = socket?.getPeerCertificate?.();
          const failure = cert ? checkServerIdentity(verifyHost, cert) : new Error('the server did not present a certificate');
          if (failure) this.identityFailures.set(conn, failure);
        }
      });
      (this.pool as unknown as EventEmitter).on('error', () => undefined);
    }
  }

  /** New connections whose server certificate does not name the source's host (verify-full). */
  private readonly identityFailures = new WeakMap<PoolConnection, Error>();
  private readonly views = new Map<string, { at: number; list: ViewDefinition[] }>();
  private readonly viewsLoading = new Map<string, Promise<void>>();
  private viewsGeneration = 0;

  /**
   * The definitions of the views in `schemas` (each read again when older than VIEWS_MAX_AGE_MS; one query
   * for all the schemas missing, shared by concurrent callers), so that the guard can refuse a view over
   * what it would refuse by name. Per schema, because information_schema.VIEWS over every database opens
   * every table definition on the server. Returns every view known so far and a generation that changes
   * whenever they do.
   */
  async viewDefinitions(schemas: readonly string[], now = Date.now()): Promise<{ list: ViewDefinition[]; generation: number }> {
    // Database names compare as the server does on Linux (case-sensitively): each as written.
    const stale = [...new Set(schemas)].filter((x) => {
      const v = this.views.get(x);
      return !v || now - v.at >= VIEWS_MAX_AGE_MS;
    });
    const missing = stale.filter((x) => !this.viewsLoading.has(x));
    if (missing.length > 0) {
      const load = this.run([], this.config.statementTimeoutMs, undefined, async (api) => {
        // One equality per database, as literals: only `TABLE_SCHEMA = 'literal'` makes MariaDB scan that
        // database alone ("Scanned 1 database"); IN (…) or a bound parameter scans them all. The literals
        // are escaped for the session's pinned sql_mode (backslash escapes on) and utf8mb4.
        const r = await api.all(
          missing
            .map((x) => `SELECT TABLE_SCHEMA, TABLE_NAME, VIEW_DEFINITION FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ${mysql.escape(x)}`)
            .join(' UNION ALL '),
          [],
        );
        const at = Date.now();
        for (const x of missing) this.views.set(x, { at, list: [] });
        for (const row of r.rows) {
          const view = { schema: String(row[0]), name: String(row[1]), definition: String(row[2] ?? '') };
          this.views.get(view.schema)?.list.push(view);
        }
        this.viewsGeneration++;
      }).finally(() => {
        for (const x of missing) this.viewsLoading.delete(x);
      });
      for (const x of missing) this.viewsLoading.set(x, load);
    }
    await Promise.all(stale.map((x) => this.viewsLoading.get(x)));
    return { list: [...this.views.values()].flatMap((v) => v.list), generation: this.viewsGeneration };
  }

  /** The DSN's database, which unqualified names resolve to (the guard needs it); null when none. */
  get defaultDatabase(): string | null {
    return this.settings instanceof ToolError ? null : (this.settings.database ?? null);
  }

  /** The server flavor, once a connection has been made. */
  get serverFlavor(): MysqlFlavor | undefined {
    return this.flavor;
  }

  private context(params: readonly unknown[], timeoutMs?: number): ErrorContext {
    const s = this.settings instanceof ToolError ? undefined : this.settings;
    return {
      target: s?.target ?? 'the configured server',
      secrets: [s?.password, ...params.filter((p): p is string => typeof p === 'string')],
      connectTimeoutMs: this.config.connectTimeoutMs,
      timeoutMs,
    };
  }

  private closedError(): ToolError {
    return new ToolError('SOURCE_UNAVAILABLE', 'This source connection has been closed (the source was changed or the server is shutting down); retry the call.');
  }

  private acquire(call: Call, ctx: ErrorContext): Promise<PoolConnection> {
    const pool = this.pool!;
    return new Promise((resolve, reject) => {
      pool.getConnection((err, conn) => {
        if (err) {
          reject(mapMysqlError(err, ctx, 'connect'));
          return;
        }
        const identity = this.identityFailures.get(conn);
        if (identity) {
          conn.destroy();
          reject(new ToolError('SOURCE_UNAVAILABLE', `Could not connect to ${ctx.target}: TLS verify-full refused the server's certificate (${identity.message}).`));
          return;
        }
        // The call may have been cancelled while it waited for a connection: hand this one back.
        if (call.cancelled) {
          conn.release();
          reject(timeoutError(ctx, call.cancelled === 'abort' ? 'abort' : 'timeout'));
          return;
        }
        resolve(conn);
      });
    });
  }

  /**
   * Session settings on first use of a connection (two round trips the first time on a source, one after
   * a reset), then the statement timeout when it differs from the connection's.
   */
  private async begin(conn: PoolConnection, timeoutMs: number): Promise<void> {
    let state = this.connState.get(conn);
    const ms = Math.max(1, Math.ceil(timeoutMs));
    if (!state) {
      if (!this.setup) {
        const [row] = await textQuery(conn, 'SELECT VERSION(), @@SESSION.sql_mode, DATABASE()');
        const version = String(row?.[0] ?? '');
        const flavor: MysqlFlavor = /mariadb/i.test(version) ? 'mariadb' : 'mysql';
        const modes = String(row?.[1] ?? '')
          .split(',')
          .filter((m) => m.length > 0 && !LEXICAL_MODES.has(m.toUpperCase()));
        if (modes.some((m) => !/^[A-Za-z_]+$/.test(m))) throw new Error('the server reported an unexpected sql_mode');
        this.flavor ??= flavor;
        this.version ||= version;
        this.database = row?.[2] === null || row?.[2] === undefined ? null : String(row[2]);
        this.setup = [
          `SESSION time_zone = '+00:00'`,
          `SESSION sql_mode = '${modes.join(',')}'`,
          `SESSION ${flavor === 'mariadb' ? 'tx_read_only' : 'transaction_read_only'} = 1`,
          'SESSION autocommit = 1',
        ].join(', ');
      }
      await textQuery(conn, `SET ${this.setup}, ${this.timeoutSetting(ms)}`);
      state = { timeoutMs: ms };
      this.connState.set(conn, state);
    }
    if (state.timeoutMs !== ms) {
      await textQuery(conn, `SET ${this.timeoutSetting(ms)}`);
      state.timeoutMs = ms;
    }
  }

  private timeoutSetting(ms: number): string {
    return this.flavor === 'mariadb' ? `SESSION max_statement_time = ${(ms / 1000).toFixed(3)}` : `SESSION max_execution_time = ${ms}`;
  }

  private killerConnection(): Promise<Connection> {
    if (!this.killer) {
      const settings = this.settings as MysqlSettings;
      const p = new Promise<Connection>((resolve, reject) => {
        const c = mysql.createConnection(settings.killer);
        c.on('error', () => {
          if (this.killer === p) this.killer = undefined;
        });
        c.connect((err) => (err ? reject(err) : resolve(c)));
      });
      p.catch(() => {
        if (this.killer === p) this.killer = undefined;
      });
      this.killer = p;
    }
    return this.killer;
  }

  /** `KILL QUERY <id>` from the side connection; never throws. */
  async killQuery(threadId: number | undefined | null): Promise<void> {
    if (!threadId || !Number.isSafeInteger(threadId) || threadId <= 0) return;
    const attempt = async () => {
      for (let i = 0; i < 2; i++) {
        try {
          const k = await this.killerConnection();
          await textQuery(k, `KILL QUERY ${threadId}`);
          return;
        } catch (err) {
          if (errno(err) === 1094) return; // unknown thread: already gone
          this.killer = undefined;
        }
      }
    };
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([attempt(), new Promise<void>((r) => (timer = setTimeout(r, KILL_WAIT_MS)))]);
    clearTimeout(timer);
  }

  private cancelConnection(call: Call): void {
    const conn = call.conn;
    call.discard = true;
    if (!conn) return;
    const threadId = conn.threadId;
    try {
      conn.pause();
    } catch {
      // closed already
    }
    destroyConnection(conn);
    call.killed = this.killQuery(threadId);
  }

  /**
   * Runs `body` on a pooled connection inside a read-only transaction with the statement timeout,
   * cancelling on timeout or abort, and deciding whether the connection may be reused.
   */
  async run<T>(
    params: readonly unknown[],
    timeoutMs: number,
    signal: AbortSignal | undefined,
    body: (api: CallApi, call: Call) => Promise<T>,
    role?: string,
  ): Promise<T> {
    if (this.settings instanceof ToolError) throw this.settings;
    if (this.closing) throw this.closedError();
    const ctx = this.context(params, timeoutMs);
    if (signal?.aborted) throw timeoutError(ctx, 'abort');

    let rejectCancel: (err: unknown) => void = () => undefined;
    const cancelled = new Promise<never>((_, reject) => (rejectCancel = reject));
    cancelled.catch(() => undefined);
    // Whatever loses the race against cancellation may still settle later: never leave it unhandled.
    const race = <V>(p: Promise<V>): Promise<V> => {
      p.catch(() => undefined);
      return Promise.race([p, cancelled]);
    };
    const call: Call = {
      conn: undefined,
      cancelled: undefined,
      discard: false,
      received: false,
      killed: undefined,
      cancel: (why) => {
        if (call.cancelled) return;
        call.cancelled = why;
        this.cancelConnection(call);
        rejectCancel(why === 'close' ? this.closedError() : timeoutError(ctx, why === 'abort' ? 'abort' : 'timeout'));
      },
    };
    const timer = setTimeout(() => call.cancel('timeout'), timeoutMs + CLIENT_GRACE_MS);
    const onAbort = () => call.cancel('abort');
    signal?.addEventListener('abort', onAbort, { once: true });
    this.active.add(call);
    let started = false;
    let roleSet = false;
    try {
      // A pooled connection may have died while idle (server restart): retry once on a fresh one, as long
      // as nothing of the caller's statement has come back (every statement here is a read, so sending it
      // again is harmless).
      for (let attempt = 0; ; attempt++) {
        const conn = await race(this.acquire(call, ctx));
        call.conn = conn;
        try {
          await race(this.begin(conn, timeoutMs));
          // Per-person identity: the role's grants apply to this call; SET ROLE NONE before the connection
          // serves anyone else (below). The name is quoted as an identifier, back-quotes doubled.
          if (role !== undefined) {
            roleSet = true;
            await race(textQuery(conn, `SET ROLE \`${role.replace(/`/g, '``')}\``));
          }
        } catch (err) {
          if (call.cancelled) throw err;
          call.conn = undefined;
          destroyConnection(conn);
          if (attempt === 0 && isConnectionFailure(err)) continue;
          throw mapMysqlError(err, ctx, 'connect');
        }
        const api: CallApi = {
          flavor: this.flavor ?? 'mysql',
          version: this.version,
          database: this.database,
          stream: (sql, p, collector) => this.stream(call, sql, p, collector),
          all: (sql, p) => this.all(call.conn!, sql, p),
        };
        started = true;
        call.received = false;
        let result: T;
        try {
          result = await race(body(api, call));
        } catch (err) {
          if (!call.cancelled && attempt === 0 && !call.received && isConnectionFailure(err)) {
            call.conn = undefined;
            destroyConnection(conn);
            started = false;
            continue;
          }
          throw err;
        }
        if (call.discard) {
          // Truncated mid-stream: the rest of the result is still coming. Stop the server, drop the socket.
          this.cancelConnection(call);
        }
        return result;
      }
    } catch (err) {
      if (call.cancelled) {
        await call.killed;
        throw call.cancelled === 'close' ? this.closedError() : timeoutError(ctx, call.cancelled === 'abort' ? 'abort' : 'timeout');
      }
      if (err instanceof NotAQuery) {
        call.discard = true;
        throw new ToolError(
          'NOT_READ_ONLY',
          'Refused: the statement returned no result set, so it was not a read (the connection it ran on was discarded); only reads are allowed: SELECT, WITH … SELECT, TABLE, VALUES, SHOW, DESCRIBE, EXPLAIN.',
        );
      }
      const mapped = mapMysqlError(err, ctx, started ? 'query' : 'connect');
      // Every statement runs in autocommit mode: a failed one leaves nothing open, unless the connection itself failed.
      if (isConnectionFailure(err)) call.discard = true;
      if (mapped.code === 'SOURCE_UNAVAILABLE' && started) {
        throw new ToolError('SOURCE_UNAVAILABLE', `${mapped.message.replace(/; try again.*$/, '')} while the statement ran; retry the call.`);
      }
      throw mapped;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      this.active.delete(call);
      const conn = call.conn;
      if (conn && !call.cancelled) {
        if (call.discard) {
          destroyConnection(conn);
        } else if (roleSet) {
          // Back to the connecting account's own privileges before anyone else's call; a connection whose
          // role cannot be reset is dropped, never reused.
          conn.query('SET ROLE NONE', (err: unknown) => (err ? destroyConnection(conn) : conn.release()));
        } else if (this.config.allowUserFunctions === true) {
          // User functions can change what the server does not flag (user variables, GET_LOCK locks):
          // reset the connection before it serves another call, without making this caller wait.
          this.connState.delete(conn);
          conn.reset((err: unknown) => (err ? destroyConnection(conn) : conn.release()));
        } else {
          conn.release();
        }
      }
    }
  }

  private stream(call: Call, sql: string, params: readonly unknown[], collector: ResultCollector, protocol: 'binary' | 'text' = 'binary'): Promise<ColumnMeta[]> {
    const conn = call.conn!;
    return new Promise<ColumnMeta[]>((resolve, reject) => {
      let columns: ColumnMeta[] = [];
      let converters: Converter[] = [];
      let done = false;
      let rows = 0;
      let okPacket = false;
      const options = { sql, values: bindable(params), rowsAsArray: true };
      const cmd = (protocol === 'binary' ? conn.execute(options) : conn.query({ sql, rowsAsArray: true })) as unknown as EventEmitter;
      const stop = () => {
        done = true;
        call.discard = true;
        conn.pause();
      };
      // A statement without a result set (an OK packet) emits 'fields' with nothing and 'result' with the
      // OK packet, which is not a row.
      cmd.on('fields', (fields: FieldPacket[] | undefined) => {
        call.received = true;
        if (!fields) return;
        columns = fields.map((f) => ({ name: f.name, type: mysqlTypeName(f) }));
        converters = fields.map(mysqlConverter);
      });
      cmd.on('result', (row: unknown) => {
        if (done) return;
        call.received = true;
        if (!Array.isArray(row)) {
          // An OK packet: the statement was not a query. Whatever it changed stays with this connection.
          okPacket = true;
          call.discard = true;
          return;
        }
        rows++;
        for (let i = 0; i < row.length; i++) row[i] = converters[i]!(row[i]);
        let more: boolean;
        try {
          more = collector.push(row as JsonValue[]);
        } catch (err) {
          stop();
          reject(err);
          return;
        }
        if (!more) {
          stop();
          resolve(columns);
        }
      });
      cmd.on('error', (err: unknown) => {
        if (done) return;
        done = true;
        // A few statements cannot be prepared (ER_UNSUPPORTED_PS); without parameters nothing would be
        // spliced, so the text protocol (still one statement: no CLIENT_MULTI_STATEMENTS) is equivalent.
        if (errno(err) === 1295 && protocol === 'binary' && params.length === 0 && rows === 0) {
          this.stream(call, sql, params, collector, 'text').then(resolve, reject);
          return;
        }
        reject(err);
      });
      cmd.on('end', () => {
        if (done) return;
        done = true;
        if (okPacket) reject(new NotAQuery());
        else resolve(columns);
      });
    });
  }

  private all(conn: PoolConnection, sql: string, params: readonly unknown[]): Promise<{ rows: unknown[][]; fields: FieldPacket[] }> {
    return new Promise((resolve, reject) => {
      conn.execute({ sql, values: bindable(params), rowsAsArray: true }, (err, rows, fields) => {
        if (err) reject(err);
        else resolve({ rows: Array.isArray(rows) ? (rows as unknown as unknown[][]) : [], fields: fields ?? [] });
      });
    });
  }

  async query(sql: string, params: readonly unknown[], options: QueryOptions): Promise<QueryResult> {
    const collector = new ResultCollector(options.maxRows, options.maxBytes);
    const columns = await this.run(params, options.timeoutMs, options.signal, (api) => api.stream(sql, params, collector), options.role);
    return collector.finish(columns);
  }

  async explain(sql: string, params: readonly unknown[], options: Pick<QueryOptions, 'timeoutMs' | 'signal' | 'role'>): Promise<ExplainResult> {
    return this.run(params, options.timeoutMs, options.signal, async (api) => {
      const json = await api.all(`EXPLAIN FORMAT=JSON ${sql}`, params);
      const text = String(json.rows[0]?.[0] ?? '');
      let structured: JsonValue | undefined;
      try {
        structured = JSON.parse(text) as JsonValue;
      } catch {
        structured = undefined;
      }
      // MySQL ≥ 8.0.16 prints a plan tree; MariaDB (and older MySQL) has the tabular form.
      const tree = api.flavor === 'mysql' && versionAtLeast(api.version, [8, 0, 16]);
      if (tree) {
        const t = await api.all(`EXPLAIN FORMAT=TREE ${sql}`, params);
        return { plan: String(t.rows[0]?.[0] ?? text), structured };
      }
      const tab = await api.all(`EXPLAIN ${sql}`, params);
      return { plan: formatTabularPlan(tab.rows, tab.fields) || text, structured };
    }, options.role);
  }

  async ping(signal?: AbortSignal): Promise<{ version: string }> {
    return this.run([], this.config.statementTimeoutMs, signal, async (api) => {
      const r = await api.all('SELECT VERSION()', []);
      return { version: String(r.rows[0]?.[0] ?? api.version) };
    });
  }

  async introspect(schemas: readonly string[] | undefined, signal?: AbortSignal): Promise<Catalog> {
    return this.run([], this.config.statementTimeoutMs, signal, async (api) => {
      const run = async (sql: string, p: readonly string[]) => (await api.all(sql, p)).rows;
      const defaultSchema = api.database ?? '';
      let wanted = schemas ? [...schemas] : api.database ? [api.database] : undefined;
      if (!wanted) {
        const all = await run('SELECT SCHEMA_NAME FROM information_schema.SCHEMATA ORDER BY SCHEMA_NAME', []);
        wanted = all.map((r) => String(r[0])).filter((s) => !SYSTEM_SCHEMAS.has(s.toLowerCase()));
      }
      return readCatalog(run, wanted, defaultSchema, api.flavor);
    });
  }

  /** Cancels in-flight calls and closes every connection. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const call of [...this.active]) call.cancel('close');
      await Promise.all([...this.active].map((c) => c.killed));
      const killer = this.killer;
      this.killer = undefined;
      await Promise.all([
        this.pool ? new Promise<void>((resolve) => this.pool!.end(() => resolve())) : undefined,
        killer?.then(
          (k) => new Promise<void>((resolve) => k.end(() => resolve())),
          () => undefined,
        ),
      ]);
    })();
    return this.closing;
  }
}

function versionAtLeast(version: string, want: [number, number, number]): boolean {
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!m) return false;
  const have = [Number(m[1]), Number(m[2]), Number(m[3])];
  for (let i = 0; i < 3; i++) {
    if (have[i]! !== want[i]!) return have[i]! > want[i]!;
  }
  return true;
}

/** MariaDB's tabular EXPLAIN as one line per row: `1 SIMPLE orders ref orders_customer_idx rows=2 Using where`. */
function formatTabularPlan(rows: unknown[][], fields: FieldPacket[]): string {
  const names = fields.map((f) => f.name.toLowerCase());
  const get = (row: unknown[], name: string) => {
    const i = names.indexOf(name);
    const v = i === -1 ? null : row[i];
    return v === null || v === undefined ? '' : String(v);
  };
  return rows
    .map((row) => {
      const parts = [get(row, 'id'), get(row, 'select_type'), get(row, 'table') || '-', get(row, 'type') || '-'];
      const key = get(row, 'key');
      if (key) parts.push(`key=${key}`);
      const est = get(row, 'rows');
      if (est) parts.push(`rows=${est}`);
      const extra = get(row, 'extra');
      if (extra) parts.push(extra);
      return parts.join(' ');
    })
    .join('\n');
}
