/**
 * The PostgreSQL session layer (layer 1 of BRIEF §3) and layer 3, without the statement guard:
 *
 *   - every connection starts with `default_transaction_read_only=on`, a `statement_timeout` and an
 *     `idle_in_transaction_session_timeout` (startup options, which a DSN cannot override: connectors
 *     never hand the DSN to the driver's own parser);
 *   - every call runs in `BEGIN READ ONLY` with the call's timeout set transaction-locally, and always
 *     ends in ROLLBACK: a read has nothing to commit, and ROLLBACK also undoes any session setting the
 *     statement might have changed (`SET SESSION CHARACTERISTICS …`), so nothing outlives the call;
 *   - the statement goes through the extended protocol (Parse/Bind/Execute), which carries exactly one
 *     statement and binds parameters, never splicing them into the text;
 *   - queries are pipelined with their BEGIN and ROLLBACK (statement.ts), so a point query costs one
 *     round trip; the server still runs BEGIN, the timeout, the statement and ROLLBACK in that order;
 *   - cancellation is PostgreSQL's own (a CancelRequest) on abort, close or a missed deadline, and a
 *     connection whose state is unknown afterwards is destroyed, never returned to the pool.
 *
 * `PostgresConnector` (index.ts) puts the guard in front of this class. `PgSession` is exported so that a
 * test can show this layer refusing writes on its own; production code only reaches it through the guard.
 */
import net from 'node:net';
import path from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import pg from 'pg';
import { ToolError } from '../../errors.js';
import { describeTarget, parseDsn, type ParsedDsn } from '../dsn.js';
import { ResultCollector } from '../results.js';
import type { Catalog, ColumnMeta, ConnectionConfig, ExplainResult, JsonValue, QueryOptions, QueryResult } from '../types.js';
import { readCatalog } from './catalog.js';
import { isConnectionFailure, mapPgError, unavailable, type ErrorContext } from './errors.js';
import { isPreparedNameError, isStalePlanError, PgStatement } from './statement.js';
import { PgTypeCache, type FieldInfo } from './typecache.js';
import type { Converter } from './values.js';

const DEFAULT_PORT = 5432;
/** Sessions left idle inside a transaction are closed by the server after this long. */
const IDLE_IN_TRANSACTION_MS = 60_000;
/** Idle pooled connections are closed after this long. */
const IDLE_CLOSE_MS = 30_000;
/** Connections are recycled after this long, so that failovers and DNS changes are picked up. */
const MAX_LIFETIME_S = 1_800;
/** After an abort (or the deadline), how long the cancel request gets before the socket is closed. */
const CANCEL_GRACE_MS = 2_000;
/** How often the cancel request is repeated meanwhile. */
const CANCEL_REPEAT_MS = 250;
/** Beyond the statement timeout, how long before the client side steps in (server unreachable…). */
const DEADLINE_SLACK_MS = 1_000;
/** Rows of the first Execute: covers the default cap (200 + the probe row) in one round trip. */
const FIRST_BATCH = 256;
const MAX_BATCH = 2_000;

/**
 * Every value arrives as the server's text and is converted by `values.ts` per column; this keeps pg's
 * process-wide parsers (`pg.types`, shared with other code such as the store) out of the picture.
 */
const RAW_TYPES = { getTypeParser: () => (value: string) => value } as unknown as pg.CustomTypesConfig;

export type TlsModeOrCa = 'disable' | 'require' | 'verify-ca' | 'verify-full';

/** How `sslmode` in a DSN maps when the source has no explicit TLS setting. libpq's `prefer`/`allow` try
 * TLS opportunistically, which this driver cannot do; they fall back to no TLS, like libpq on refusal. */
function tlsMode(config: ConnectionConfig, dsn: ParsedDsn): TlsModeOrCa {
  if (config.tls) return config.tls.mode;
  switch ((dsn.params.sslmode ?? '').toLowerCase()) {
    case 'require':
      return 'require';
    case 'verify-ca':
      return 'verify-ca';
    case 'verify-full':
      return 'verify-full';
    default:
      return 'disable';
  }
}

function sslOptions(mode: TlsModeOrCa, ca: string | undefined, host: string): false | ConnectionOptions {
  switch (mode) {
    case 'disable':
      return false;
    case 'require':
      // Encrypted, but the certificate is not checked (libpq's sslmode=require).
      return { rejectUnauthorized: false };
    case 'verify-ca':
      return { rejectUnauthorized: true, ...(ca ? { ca } : {}), checkServerIdentity: () => undefined };
    case 'verify-full':
      return { rejectUnauthorized: true, ...(ca ? { ca } : {}), ...(net.isIP(host) ? {} : { servername: host }) };
  }
}

/** A value for a `-c name=value` startup option: spaces and backslashes escaped as libpq does. */
const optionValue = (v: string | number) => String(v).replace(/[\\ ]/g, (c) => `\\${c}`);

export interface PgSettings {
  pool: pg.PoolConfig;
  dsn: ParsedDsn;
  /** `host:port/database`, for messages. */
  target: string;
  /** Strings never to print. */
  secrets: string[];
}

/** The pool settings of a source: read-only startup options, TLS, bounds and timeouts. */
export function pgSettings(config: ConnectionConfig): PgSettings {
  const dsn = parseDsn(config.url);
  // The stored password wins; otherwise the DSN's; never the server's environment or ~/.pgpass (an empty
  // string stops pg from looking there), which would lend Sequel's own credentials to any source.
  const password = config.password ?? dsn.password ?? '';
  const mode = tlsMode(config, dsn);
  const startup: Array<[string, string | number]> = [
    ['default_transaction_read_only', 'on'],
    ['statement_timeout', Math.max(1, Math.floor(config.statementTimeoutMs))],
    ['idle_in_transaction_session_timeout', IDLE_IN_TRANSACTION_MS],
    // The text formats values.ts reads.
    ['DateStyle', 'ISO,MDY'],
    ['IntervalStyle', 'postgres'],
    ['bytea_output', 'hex'],
    // Shortest exact float text on PostgreSQL 12+, 17 significant digits before.
    ['extra_float_digits', 3],
  ];
  const pool: pg.PoolConfig = {
    host: dsn.host,
    port: dsn.port ?? DEFAULT_PORT,
    database: dsn.database,
    user: dsn.user,
    password,
    ssl: sslOptions(mode, config.tls?.ca, dsn.host),
    application_name: 'sequel',
    options: startup.map(([k, v]) => `-c ${k}=${optionValue(v)}`).join(' '),
    types: RAW_TYPES,
    max: Math.max(1, config.poolMax),
    connectionTimeoutMillis: Math.max(1, config.connectTimeoutMs),
    idleTimeoutMillis: IDLE_CLOSE_MS,
    maxLifetimeSeconds: MAX_LIFETIME_S,
    allowExitOnIdle: true,
    keepAlive: true,
  };
  return { pool, dsn, target: describeTarget(dsn, DEFAULT_PORT), secrets: [password, dsn.password ?? ''].filter((s) => s.length > 0) };
}

/** Whether the connection is inside a transaction block (open or failed), per its last ReadyForQuery. */
function inTransaction(client: pg.ClientBase): boolean {
  const status = (client as { getTransactionStatus?: () => string | null }).getTransactionStatus?.();
  return status !== 'I';
}

/** pg.Client fields the cancel request needs (from the server's BackendKeyData). */
interface BackendKey {
  processID?: number | null;
  secretKey?: number | null;
  connection?: { stream?: { destroy(): void } };
}

/**
 * Sends a protocol-level CancelRequest for `client`'s backend: PostgreSQL's own cancellation, the same
 * signal as `pg_cancel_backend()`, but on a throw-away socket that opens no session, needs no privilege
 * and does not count against the pool or `max_connections`.
 */
function sendCancel(dsn: ParsedDsn, client: BackendKey): void {
  const pid = client.processID;
  const key = client.secretKey;
  if (typeof pid !== 'number' || typeof key !== 'number') return;
  const port = dsn.port ?? DEFAULT_PORT;
  const socket = dsn.host.startsWith('/') ? net.connect(path.join(dsn.host, `.s.PGSQL.${port}`)) : net.connect(port, dsn.host);
  const msg = Buffer.alloc(16);
  msg.writeInt32BE(16, 0);
  msg.writeInt32BE(80877102, 4);
  msg.writeInt32BE(pid, 8);
  msg.writeInt32BE(key | 0, 12);
  socket.setTimeout(5_000, () => socket.destroy());
  socket.on('error', () => socket.destroy());
  socket.on('connect', () => socket.end(msg));
}

/** One call's state: cancellation, the watchdog, and whether its connection may be reused. */
class Call {
  aborted = false;
  /** Cancelled because the connector closed. */
  closed = false;
  deadlineHit = false;
  /** The connection's state is unknown (socket error, killed): destroy it instead of reusing it. */
  broken = false;
  /** The server answered something of this call (before that, a dead connection can be retried). */
  started = false;
  /** Parse every statement unnamed (a retry after a stale or missing prepared statement). */
  unprepared = false;
  client: (pg.PoolClient & BackendKey) | undefined;
  /** While the call waits for a pooled connection: ends the wait (see PgSession.acquire). */
  onWaitEnd: (() => void) | undefined;
  private timers: NodeJS.Timeout[] = [];
  /**
   * A cancel request was sent. The connection is then discarded after the call: a request still in
   * flight must not land on the next call's statement.
   */
  cancelling = false;
  private onClientError = () => {
    this.broken = true;
  };
  private onAbort = () => this.abort();

  constructor(
    private readonly dsn: ParsedDsn,
    readonly timeoutMs: number,
    readonly signal: AbortSignal | undefined,
  ) {
    signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  attach(client: pg.PoolClient): void {
    this.client = client as pg.PoolClient & BackendKey;
    // A checked-out client that loses its socket emits 'error'; without a listener that would crash the
    // process. The failing query rejects on its own; this only marks the connection as not reusable.
    client.on('error', this.onClientError);
    // Server-side statement_timeout normally ends the work; this catches a server that cannot answer.
    this.timers.push(
      setTimeout(() => {
        this.deadlineHit = true;
        this.cancel();
      }, this.timeoutMs + DEADLINE_SLACK_MS),
    );
  }

  /**
   * Asks the server to cancel the running statement, again every CANCEL_REPEAT_MS (PostgreSQL drops a
   * cancel that lands while the backend is between two messages of the pipeline), and closes the socket
   * if that is not enough within CANCEL_GRACE_MS.
   */
  cancel(): void {
    const client = this.client;
    if (!client || this.cancelling) return;
    this.cancelling = true;
    sendCancel(this.dsn, client);
    const repeat = setInterval(() => sendCancel(this.dsn, client), CANCEL_REPEAT_MS);
    this.timers.push(
      repeat,
      setTimeout(() => {
        clearInterval(repeat);
        this.broken = true;
        client.connection?.stream?.destroy();
      }, CANCEL_GRACE_MS),
    );
  }

  abort(): void {
    if (this.aborted || this.closed) return;
    this.aborted = true;
    this.onWaitEnd?.();
    this.cancel();
  }

  /** The connector is closing: cancel like an abort, but report the source as closed. */
  close(): void {
    if (this.aborted || this.closed) return;
    this.closed = true;
    this.onWaitEnd?.();
    this.cancel();
  }

  detach(): void {
    for (const t of this.timers) clearTimeout(t); // clears intervals too
    this.timers = [];
    this.signal?.removeEventListener('abort', this.onAbort);
    this.client?.removeListener('error', this.onClientError);
  }
}

export interface SessionCallOptions {
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** Parameter values, only to keep them out of error messages. */
  params?: readonly unknown[] | undefined;
  /** A consistent snapshot across several statements (introspection). */
  repeatableRead?: boolean;
  /**
   * `fn` opens the read-only transaction itself, pipelined with its statement (PgStatement), and sets
   * `call.started` once the server answers; run() only rolls back what is left open.
   */
  selfManaged?: boolean;
  /**
   * The statement may have changed session state the ROLLBACK does not undo (it runs code defined in the
   * database: advisory locks, prepared statements, settings of its own…): the connection is closed after
   * the call instead of going back to the pool. Costs the next call a new connection, never a round trip.
   */
  discard?: boolean;
}

export interface PgSessionOptions {
  /** Use this pool instead of creating one; the caller keeps ownership (close() does not end it). */
  pool?: pg.Pool;
}

let explainCounter = 0;

export class PgSession {
  readonly pool: pg.Pool;
  readonly types = new PgTypeCache();
  private readonly settings: PgSettings;
  private readonly ownsPool: boolean;
  private readonly calls = new Set<Call>();
  private closing: Promise<void> | undefined;
  private serverVersion: number | undefined;
  /**
   * Reuse prepared statements per connection (statement.ts). Turned off for good when the server does not
   * know a name this session prepared: a pooler in transaction mode (PgBouncer before 1.21) hands each
   * transaction another server session.
   */
  private prepare = true;

  constructor(
    private readonly config: ConnectionConfig,
    opts: PgSessionOptions = {},
  ) {
    this.settings = pgSettings(config);
    this.ownsPool = !opts.pool;
    this.pool = opts.pool ?? new pg.Pool(this.settings.pool);
    // Idle clients that lose their connection are reported here (and dropped by the pool); an
    // 'error' event without a listener would crash the process.
    this.pool.on('error', () => undefined);
  }

  get target(): string {
    return this.settings.target;
  }

  private context(opts: SessionCallOptions): ErrorContext {
    return { target: this.settings.target, secrets: this.settings.secrets, params: opts.params, timeoutMs: opts.timeoutMs };
  }

  private closedError(): ToolError {
    return new ToolError('SOURCE_UNAVAILABLE', `PostgreSQL at ${this.settings.target} is unavailable: this source's connections were closed (it was changed or the server is shutting down); retry.`);
  }

  /**
   * A pooled client, or a ToolError. Gives up when the call is aborted or closed while waiting: the call
   * already listens for both (its signal, and close() closing every call), so the wait adds no listener.
   */
  private acquire(call: Call, ctx: ErrorContext): Promise<pg.PoolClient> {
    return new Promise((resolve, reject) => {
      let settled = false;
      call.onWaitEnd = () => {
        if (settled) return;
        settled = true;
        reject(call.closed ? this.closedError() : new ToolError('QUERY_TIMEOUT', 'The query was cancelled before it started (the request was aborted).'));
      };
      this.pool.connect().then(
        (client) => {
          call.onWaitEnd = undefined;
          if (settled) client.release();
          else {
            settled = true;
            resolve(client);
          }
        },
        (err: unknown) => {
          call.onWaitEnd = undefined;
          if (settled) return;
          settled = true;
          reject(this.closing ? this.closedError() : unavailable(err, ctx, this.config.connectTimeoutMs));
        },
      );
    });
  }

  /**
   * Runs `fn` on a pooled connection inside a read-only transaction with the call's statement timeout,
   * then rolls back. Cancels the backend's work on abort or past the deadline; destroys a connection whose
   * state is unknown; maps every failure to a ToolError (or rethrows what is unexpected).
   */
  async run<T>(opts: SessionCallOptions, fn: (client: pg.PoolClient, call: Call) => Promise<T>): Promise<T> {
    if (this.closing) throw this.closedError();
    if (!Number.isFinite(opts.timeoutMs) || opts.timeoutMs <= 0) throw new RangeError('timeoutMs must be a positive number');
    const ctx = this.context(opts);
    if (opts.signal?.aborted) throw mapPgError(new Error('aborted'), { ...ctx, aborted: true });
    const timeout = Math.max(1, Math.floor(opts.timeoutMs));
    // One simple-protocol round trip for both; no user input is in this text. set_config(…, true) is
    // SET LOCAL; as a SELECT it also takes the transaction's first snapshot, after which PostgreSQL refuses
    // `SET TRANSACTION READ WRITE` ("must be called before any query").
    const begin = `BEGIN READ ONLY${opts.repeatableRead ? ' ISOLATION LEVEL REPEATABLE READ' : ''}; SELECT pg_catalog.set_config('statement_timeout', '${timeout}', true)`;

    let unprepared = false;
    for (let attempt = 0; ; attempt++) {
      const call = new Call(this.settings.dsn, timeout, opts.signal);
      call.unprepared = unprepared;
      this.calls.add(call);
      let client: pg.PoolClient | undefined;
      try {
        client = await this.acquire(call, ctx);
        call.attach(client);
        if (!opts.selfManaged) {
          await client.query(begin);
          call.started = true;
        }
        const result = await fn(client, call);
        if (inTransaction(client)) await client.query('ROLLBACK');
        return result;
      } catch (err) {
        // Always: after a failed pipeline the client may not have seen its final ReadyForQuery yet, so its
        // transaction status is stale. Outside a transaction, ROLLBACK is only a warning.
        if (client && !call.broken) {
          try {
            await client.query('ROLLBACK');
          } catch {
            call.broken = true;
          }
        }
        // A pooled connection that died while idle (server restart, network blip) fails before the
        // server answered anything of the call: try once more on a fresh connection.
        if (!call.started && client && attempt === 0 && !call.aborted && !call.closed && !call.deadlineHit && isConnectionFailure(err)) {
          call.broken = true;
          continue;
        }
        // A reused plan whose columns changed (a table altered under SELECT *), or a prepared name the
        // server does not know: nothing of the statement ran; run it once more, parsed afresh.
        if (!unprepared && !call.aborted && !call.closed && !call.deadlineHit && (isStalePlanError(err) || isPreparedNameError(err))) {
          if (isPreparedNameError(err)) this.prepare = false;
          unprepared = true;
          continue;
        }
        if (call.closed || (this.closing && !call.aborted)) throw this.closedError();
        // The server never answered before the deadline: it is unreachable, not slow.
        if (!call.started && call.deadlineHit) {
          throw unavailable(new Error(`the server stopped answering (no reply within ${timeout + DEADLINE_SLACK_MS} ms)`), ctx);
        }
        throw mapPgError(err, { ...ctx, aborted: call.aborted, deadlineHit: call.deadlineHit });
      } finally {
        call.detach();
        // release(true) destroys the connection instead of returning it to the pool.
        client?.release(call.broken || call.cancelling || opts.discard === true ? true : undefined);
        this.calls.delete(call);
      }
    }
  }

  /** Runs one statement, streaming rows into the caps. No guard here: see the class comment. */
  query(sql: string, params: readonly unknown[], options: QueryOptions, session: { discard?: boolean } = {}): Promise<QueryResult> {
    // A collector per attempt: a retried call starts from no rows.
    return this.run({ timeoutMs: options.timeoutMs, signal: options.signal, params, selfManaged: true, discard: session.discard === true }, (client, call) =>
      this.stream(client, call, sql, params, options.timeoutMs, new ResultCollector(options.maxRows, options.maxBytes), options.role),
    );
  }

  private async stream(
    client: pg.PoolClient,
    call: Call,
    sql: string,
    params: readonly unknown[],
    timeoutMs: number,
    collector: ResultCollector,
    role?: string,
  ): Promise<QueryResult> {
    let fields: FieldInfo[] = [];
    let converters: Array<Converter | undefined> = [];
    let textBytes = 0;
    let rows = 0;
    const statement = new PgStatement({
      sql,
      params,
      timeoutMs,
      sessionTimeoutMs: this.config.statementTimeoutMs,
      role,
      fetchLimit: collector.fetchLimit,
      firstBatch: FIRST_BATCH,
      prepare: this.prepare && !call.unprepared,
      // Size the next batch to what the byte cap can still take, so a wide table is not over-read.
      nextBatch: () => {
        const avg = Math.max(1, textBytes / Math.max(1, rows));
        const room = Math.max(0, collector.maxBytes - textBytes);
        return Math.min(MAX_BATCH, Math.ceil(room / avg) + 1);
      },
      onFields: (f) => {
        fields = f;
        converters = f.map((x) => this.types.converter(x.dataTypeID));
      },
      onRow: (values) => {
        rows++;
        const row: JsonValue[] = new Array(values.length);
        for (let i = 0; i < values.length; i++) {
          const v = values[i];
          if (v === null || v === undefined) {
            row[i] = null;
            continue;
          }
          textBytes += v.length;
          const conv = converters[i];
          row[i] = conv ? conv(v) : v;
        }
        return collector.push(row);
      },
    });
    try {
      client.query(statement);
      await statement.done;
    } finally {
      call.started ||= statement.received;
    }
    let result = collector.finish([]);
    if (!this.types.knows(fields)) {
      await this.types.resolve(client, fields);
      result = this.convertLate(result, fields, converters, collector.maxBytes);
    }
    result.columns = fields.map((f): ColumnMeta => ({ name: f.name, type: this.types.typeName(f.dataTypeID, f.dataTypeModifier) ?? 'unknown' }));
    return result;
  }

  /**
   * Converts the columns whose types were unknown while streaming (kept as text until the look-up), then
   * re-applies the byte cap, since a converted value can be longer than its text.
   */
  private convertLate(result: QueryResult, fields: FieldInfo[], early: Array<Converter | undefined>, maxBytes: number): QueryResult {
    const late: Array<[number, Converter]> = [];
    fields.forEach((f, i) => {
      const conv = this.types.converter(f.dataTypeID);
      if (!early[i] && conv) late.push([i, conv]);
    });
    if (late.length === 0) return result;
    let bytes = 2;
    let kept = 0;
    for (const row of result.rows) {
      for (const [i, conv] of late) {
        const v = row[i];
        if (typeof v === 'string') row[i] = conv(v);
      }
      const size = Buffer.byteLength(JSON.stringify(row)) + (kept > 0 ? 1 : 0);
      if (bytes + size > maxBytes) {
        if (kept === 0) {
          throw new ToolError(
            'RESULT_TOO_LARGE',
            `A single row is larger than this source's result cap of ${maxBytes} bytes; select fewer or narrower columns (e.g. substr() long text).`,
          );
        }
        result.rows.length = kept;
        return { ...result, rowCount: kept, truncated: true, truncatedBy: 'max_bytes', bytes };
      }
      bytes += size;
      kept++;
    }
    return { ...result, bytes };
  }

  private async versionNum(client: pg.ClientBase): Promise<number> {
    if (this.serverVersion === undefined) {
      const r = await client.query<{ v: string }>("select current_setting('server_version_num') as v");
      this.serverVersion = Number(r.rows[0]?.v ?? 0);
    }
    return this.serverVersion;
  }

  /**
   * The plan of one statement, never executed: EXPLAIN without ANALYZE. With parameters bound, the plan
   * for those values; with placeholders but no values, the generic plan (GENERIC_PLAN on PostgreSQL 16+,
   * else PREPARE + EXPLAIN EXECUTE with plan_cache_mode=force_generic_plan, so the NULLs bound there are
   * not folded into the plan). `sql` must already be a single guarded SELECT.
   */
  explain(
    sql: string,
    params: readonly unknown[],
    paramCount: number,
    options: Pick<QueryOptions, 'timeoutMs' | 'signal' | 'role'>,
    session: { discard?: boolean } = {},
  ): Promise<ExplainResult> {
    // Planning evaluates immutable and stable functions (constant folding, estimates): user code runs too.
    return this.run({ timeoutMs: options.timeoutMs, signal: options.signal, params, discard: session.discard === true }, async (client, call) => {
      const q = async (text: string, values: readonly unknown[] = []) =>
        (await client.query({ text, values: [...values], queryMode: 'extended' } as pg.QueryConfig)).rows as Array<Record<string, string>>;
      if (options.role) await q(`SELECT pg_catalog.set_config('role', $1, true)`, [options.role]);
      // Always with an option list: `EXPLAIN (SELECT …)` alone would read the parenthesis as options.
      const plan = async (opts: string, suffix: string, values: readonly unknown[]) => {
        const json = await q(`EXPLAIN (FORMAT JSON${opts}) ${suffix}`, values);
        const text = await q(`EXPLAIN (FORMAT TEXT${opts}) ${suffix}`, values);
        return {
          structured: JSON.parse(Object.values(json[0] ?? {})[0] ?? 'null') as JsonValue,
          plan: text.map((r) => Object.values(r)[0] ?? '').join('\n'),
        };
      };
      if (paramCount === 0 || params.length > 0) return plan('', sql, params);
      if ((await this.versionNum(client)) >= 160000) return plan(', GENERIC_PLAN', sql, []);
      const name = `sequel_explain_${++explainCounter}`;
      // A prepared statement outlives the transaction; if anything below fails, the connection is
      // discarded rather than returned to the pool with it.
      call.broken = true;
      await q(`SELECT pg_catalog.set_config('plan_cache_mode', 'force_generic_plan', true)`);
      await q(`PREPARE ${name} AS ${sql}`);
      const nulls = Array.from({ length: paramCount }, () => 'NULL').join(', ');
      const result = await plan('', `EXECUTE ${name}(${nulls})`, []);
      await q(`DEALLOCATE ${name}`);
      call.broken = false;
      return result;
    });
  }

  /** Runs `fn` in a read-only transaction of its own (catalog reads for the guard). */
  read<T>(fn: (client: pg.PoolClient) => Promise<T>, signal?: AbortSignal): Promise<T> {
    return this.run({ timeoutMs: this.config.statementTimeoutMs, signal }, (client) => fn(client));
  }

  introspect(schemas: readonly string[] | undefined, signal?: AbortSignal): Promise<Catalog> {
    return this.run({ timeoutMs: this.config.statementTimeoutMs, signal, repeatableRead: true }, (client) => readCatalog(client, schemas));
  }

  async ping(signal?: AbortSignal): Promise<{ version: string }> {
    return this.run({ timeoutMs: this.config.statementTimeoutMs, signal }, async (client) => {
      const r = await client.query<{ v: string }>('select version() as v');
      const full = r.rows[0]?.v ?? 'PostgreSQL';
      return { version: /^PostgreSQL \S+/.exec(full)?.[0] ?? full.split(' on ')[0] ?? full };
    });
  }

  /** Cancels in-flight calls and closes every connection. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      // Waiters for a pooled connection give up too (pg-pool never answers them once ending).
      for (const call of this.calls) call.close();
      if (this.ownsPool) await this.pool.end();
    })();
    return this.closing;
  }
}
