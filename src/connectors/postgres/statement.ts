/**
 * One read-only call as a single pipelined exchange on a pg connection (a pg `Submittable`, the driver's
 * own extension point, as pg-cursor is). Instead of four round trips (BEGIN, the statement, fetching,
 * ROLLBACK), the messages are written at once:
 *
 *   Parse/Bind/Execute  BEGIN READ ONLY
 *   Parse/Bind/Execute  SELECT set_config('statement_timeout', $1, true)      -- SET LOCAL, only when the call's
 *                                                                              timeout differs from the session's
 *   Parse/Bind/Describe/Execute(n rows)  <the statement, parameters bound>
 *   Parse/Bind/Execute  ROLLBACK  + Sync                                       -- when n covers the cap
 *
 * so a point query costs one round trip. When the row cap needs more than one batch, the portal is
 * read batch by batch (Execute n + Flush, sized to what the byte cap can still take), then ROLLBACK +
 * Sync. Rows are converted and offered to the caller as they arrive, and reading stops at the caps; the
 * server never sends more than the current batch. If the statement fails, the server skips to the Sync
 * and the transaction is left aborted: the session layer then sends ROLLBACK.
 *
 * Statements are prepared once per connection and reused by name (`Prepared`), as pgx, and so MCP
 * Toolbox, does: parsing and planning a point query costs PostgreSQL about as much as running it, and
 * BEGIN READ ONLY and ROLLBACK are parsed on every call otherwise. Nothing about the exchange changes:
 * the same statements run in the same transaction; PostgreSQL's plan cache replans when a table, the
 * search_path or (under row-level security) the role changes. Names parsed in an exchange that failed are
 * forgotten and closed at the next one (Close of a missing name is no error), so the cache never names a
 * statement the server may not have.
 */
import type pg from 'pg';
import pgUtils from 'pg/lib/utils.js';
import type { FieldInfo } from './typecache.js';

/** The pg Connection methods used here (pg/lib/connection.js). */
interface Wire {
  parse(query: { text: string; name?: string }): void;
  bind(config: { portal?: string; statement?: string; values?: ReadonlyArray<string | Buffer | null> }): void;
  describe(msg: { type: 'P' | 'S'; name?: string }): void;
  execute(config: { portal?: string; rows?: number }): void;
  flush(): void;
  sync(): void;
  sendCopyFail(msg: string): void;
  close(msg: { type: 'S' | 'P'; name?: string }): void;
  stream: { cork?: () => void; uncork?: () => void };
}

export interface StatementPlan {
  sql: string;
  params: readonly unknown[];
  /** SET LOCAL statement_timeout for this call. */
  timeoutMs: number;
  /**
   * The connection's own statement_timeout (its startup option, which a call's SET LOCAL never outlives):
   * when the call's timeout is the same, the SET LOCAL is left out of the pipeline.
   */
  sessionTimeoutMs?: number;
  /** SET LOCAL ROLE for this call (per-person identity), as set_config('role', $1, true): a parameter, never spliced. */
  role?: string | undefined;
  /** Rows to read at most (the cap plus the probe row). */
  fetchLimit: number;
  /** Rows asked for in the first Execute; when it covers `fetchLimit` the call is one round trip. */
  firstBatch: number;
  /** The next batch size, once a batch is read and more rows are wanted. */
  nextBatch(fetched: number): number;
  /** The statement's columns (before any row). */
  onFields(fields: FieldInfo[]): void;
  /** A row as the server's text values; return false to stop reading. */
  onRow(values: Array<string | null>): boolean;
  /** Reuse statements prepared on this connection (false: every statement unnamed, parsed afresh). */
  prepare?: boolean;
}

/** Statements a connection keeps prepared for the caller's own SQL (least recently used closed first). */
export const PREPARED_PER_CONNECTION = 64;
/** Longer statements are parsed unnamed every time: rarely repeated, and they would hold server memory. */
const PREPARED_MAX_SQL = 10_000;

/** The names of the statement cache, as a PostgreSQL regular expression (tests tell them apart from anything else left on a session). */
export const CACHED_STATEMENT_NAMES = '^sequel_(s[0-9]+|begin|rollback|timeout|role)$';

/** The statements one connection has prepared: the fixed ones by name, the caller's by text. */
class Prepared {
  readonly fixed = new Set<string>();
  readonly user = new Map<string, string>();
  /** Names to Close at the start of the next exchange (evicted, or uncertain after a failure). */
  readonly closing: string[] = [];
  private next = 0;

  name(): string {
    return `sequel_s${++this.next}`;
  }
}

const preparedOf = new WeakMap<object, Prepared>();

/** Whether an error is PostgreSQL refusing one of the names this module prepared (a pooler in transaction mode shares server sessions). */
export function isPreparedNameError(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | undefined;
  return (e?.code === '26000' || e?.code === '42P05') && typeof e.message === 'string' && e.message.includes('"sequel_');
}

/** Whether an error is a reused plan whose result columns changed (a table altered under `SELECT *`): run again unnamed. */
export function isStalePlanError(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | undefined;
  return e?.code === '0A000' && typeof e.message === 'string' && e.message.includes('cached plan must not change result type');
}

type Stage = 'begin' | 'timeout' | 'role' | 'statement' | 'rollback';

export class PgStatement implements pg.Submittable {
  /** Whether the server answered anything (a failure before that means nothing of the call ran). */
  received = false;
  readonly done: Promise<void>;
  private resolve!: () => void;
  private reject!: (err: unknown) => void;
  private wire: Wire | undefined;
  private readonly stages: Stage[];
  private stage = 0;
  private synced = false;
  /** A failure of the caller's callbacks (e.g. RESULT_TOO_LARGE): reported once the exchange is over. */
  private failure: { error: unknown } | undefined;
  private fetched = 0;
  private wanted = true;
  private batch: number;
  private readonly values: Array<string | Buffer | null>;
  private prepared: Prepared | undefined;
  /** Names parsed in this exchange: uncertain if it fails. */
  private readonly parsedNow: Array<{ fixed: boolean; key: string; name: string }> = [];
  /** Names closed in this exchange: to close again at the next one if it fails. */
  private readonly closedNow: string[] = [];

  constructor(private readonly plan: StatementPlan) {
    // Mapped before anything is written, so that a value that cannot be sent fails the call cleanly.
    this.values = plan.params.map((v) => pgUtils.prepareValue(v));
    this.batch = Math.max(1, Math.min(plan.fetchLimit, plan.firstBatch));
    this.stages = ['begin', ...(this.setsTimeout ? (['timeout'] as const) : []), ...(plan.role ? (['role'] as const) : []), 'statement', 'rollback'];
    this.done = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  private get timeoutText(): string {
    return String(Math.max(1, Math.floor(this.plan.timeoutMs)));
  }

  private get setsTimeout(): boolean {
    const session = this.plan.sessionTimeoutMs;
    return session === undefined || String(Math.max(1, Math.floor(session))) !== this.timeoutText;
  }

  private get oneShot(): boolean {
    return this.batch >= this.plan.fetchLimit;
  }

  submit(connection: pg.Connection): void {
    const wire = connection as unknown as Wire;
    this.wire = wire;
    if (this.plan.prepare !== false) {
      let prepared = preparedOf.get(connection);
      if (!prepared) preparedOf.set(connection, (prepared = new Prepared()));
      this.prepared = prepared;
    }
    // One write for the whole pipeline.
    wire.stream.cork?.();
    try {
      if (this.prepared) for (const name of this.prepared.closing.splice(0)) wire.close({ type: 'S', name });
      this.fixed('sequel_begin', 'BEGIN READ ONLY', []);
      if (this.setsTimeout) this.fixed('sequel_timeout', "SELECT pg_catalog.set_config('statement_timeout', $1, true)", [this.timeoutText]);
      // The role's grants and row-level security apply to the statement; SET LOCAL ends with the transaction.
      if (this.plan.role) this.fixed('sequel_role', "SELECT pg_catalog.set_config('role', $1, true)", [this.plan.role]);
      // Flush: the server answers BEGIN at once instead of holding it until the statement ends, so a
      // live server is told apart from a dead network while a long statement runs (no extra round trip).
      wire.flush();
      wire.bind({ statement: this.userStatement(this.plan.sql), values: this.values });
      wire.describe({ type: 'P' });
      wire.execute({ rows: this.batch });
      if (this.oneShot) this.finish();
      else wire.flush();
    } finally {
      wire.stream.uncork?.();
    }
  }

  /** Parse (unless this connection has it prepared), Bind and Execute of one of the wrapper's statements. */
  private fixed(name: string, text: string, values: string[]): void {
    const wire = this.wire!;
    const prepared = this.prepared;
    if (!prepared) {
      wire.parse({ text });
      wire.bind({ values });
    } else {
      if (!prepared.fixed.has(name)) {
        wire.parse({ name, text });
        prepared.fixed.add(name);
        this.parsedNow.push({ fixed: true, key: name, name });
      }
      wire.bind({ statement: name, values });
    }
    wire.execute({});
  }

  /** Parses the caller's statement unless prepared on this connection; the name to bind ('' = unnamed). */
  private userStatement(sql: string): string {
    const wire = this.wire!;
    const prepared = this.prepared;
    if (!prepared || sql.length > PREPARED_MAX_SQL) {
      wire.parse({ text: sql });
      return '';
    }
    const known = prepared.user.get(sql);
    if (known !== undefined) {
      prepared.user.delete(sql);
      prepared.user.set(sql, known);
      return known;
    }
    if (prepared.user.size >= PREPARED_PER_CONNECTION) {
      // Closed in this very pipeline; should the exchange fail first, again at the next one.
      const [oldest, oldName] = prepared.user.entries().next().value!;
      prepared.user.delete(oldest);
      wire.close({ type: 'S', name: oldName });
      this.closedNow.push(oldName);
    }
    const name = prepared.name();
    wire.parse({ name, text: sql });
    prepared.user.set(sql, name);
    this.parsedNow.push({ fixed: false, key: sql, name });
    return name;
  }

  /** After a failure: what this exchange parsed may or may not exist on the server; forget it, close it next time. */
  private forgetParsed(): void {
    const prepared = this.prepared;
    if (!prepared) return;
    for (const p of this.parsedNow.splice(0)) {
      if (p.fixed) prepared.fixed.delete(p.key);
      else if (prepared.user.get(p.key) === p.name) prepared.user.delete(p.key);
      prepared.closing.push(p.name);
    }
    prepared.closing.push(...this.closedNow.splice(0));
  }

  /** ROLLBACK and Sync: the end of the exchange. */
  private finish(): void {
    this.fixed('sequel_rollback', 'ROLLBACK', []);
    this.wire!.sync();
    this.synced = true;
  }

  private get current(): Stage | undefined {
    return this.stages[this.stage];
  }

  handleRowDescription(msg: { fields: FieldInfo[] }): void {
    this.received = true;
    if (this.current !== 'statement') return;
    this.guarded(() => this.plan.onFields(msg.fields.map((f) => ({ name: f.name, dataTypeID: f.dataTypeID, dataTypeModifier: f.dataTypeModifier }))));
  }

  /**
   * Runs a caller callback. These run inside the driver's message handlers, where a throw would break
   * the connection's bookkeeping: a failure stops reading and is reported when the exchange completes.
   */
  private guarded(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.failure ??= { error };
      this.wanted = false;
    }
  }

  handleDataRow(msg: { fields: Array<string | null> }): void {
    this.received = true;
    // The set_config row, and rows already in flight after a cap was reached, are dropped.
    if (this.current !== 'statement' || !this.wanted) return;
    this.fetched++;
    this.guarded(() => {
      if (!this.plan.onRow(msg.fields)) this.wanted = false;
    });
  }

  handleCommandComplete(): void {
    this.received = true;
    if (this.current === 'statement' && !this.synced) {
      this.stage++;
      this.finish();
      return;
    }
    this.stage++;
  }

  handleEmptyQuery(): void {
    this.handleCommandComplete();
  }

  handlePortalSuspended(): void {
    this.received = true;
    if (this.synced) {
      // One-shot: the pipelined ROLLBACK closes the portal; the rows beyond the cap stay unread.
      this.stage++;
      return;
    }
    if (this.wanted && this.fetched < this.plan.fetchLimit) {
      this.batch = Math.max(1, Math.min(this.plan.fetchLimit - this.fetched, this.plan.nextBatch(this.fetched)));
      this.wire!.execute({ rows: this.batch });
      this.wire!.flush();
      return;
    }
    this.stage++;
    this.finish();
  }

  handleError(err: unknown): void {
    this.received = this.received || (err as { severity?: unknown })?.severity !== undefined;
    this.forgetParsed();
    // A reused plan that went stale is dropped whether or not this exchange parsed it.
    if (isStalePlanError(err) && this.prepared) {
      const name = this.prepared.user.get(this.plan.sql);
      if (name !== undefined) {
        this.prepared.user.delete(this.plan.sql);
        this.prepared.closing.push(name);
      }
    }
    // The server skips to the next Sync; make sure there is one, so the connection gets back to ready.
    if (!this.synced) {
      this.synced = true;
      try {
        this.wire?.sync();
      } catch {
        // The socket is gone; the session layer discards the connection.
      }
    }
    this.reject(err);
  }

  handleReadyForQuery(): void {
    if (this.failure) this.reject(this.failure.error);
    else this.resolve();
  }

  handleCopyInResponse(connection: pg.Connection): void {
    // COPY … FROM STDIN would wait for data forever; fail it (it never passes the guard anyway).
    (connection as unknown as Wire).sendCopyFail('COPY FROM STDIN is not supported');
  }

  handleCopyData(): void {
    // COPY … TO STDOUT output is dropped (it never passes the guard anyway).
  }
}
