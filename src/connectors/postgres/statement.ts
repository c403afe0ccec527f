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
    // One write for the whole pipeline.
    wire.stream.cork?.();
    try {
      wire.parse({ text: 'BEGIN READ ONLY' });
      wire.bind({});
      wire.execute({});
      if (this.setsTimeout) {
        wire.parse({ text: "SELECT pg_catalog.set_config('statement_timeout', $1, true)" });
        wire.bind({ values: [this.timeoutText] });
        wire.execute({});
      }
      if (this.plan.role) {
        // The role's grants and row-level security apply to the statement; SET LOCAL ends with the transaction.
        wire.parse({ text: "SELECT pg_catalog.set_config('role', $1, true)" });
        wire.bind({ values: [this.plan.role] });
        wire.execute({});
      }
      // Flush: the server answers BEGIN at once instead of holding it until the statement ends, so a
      // live server is told apart from a dead network while a long statement runs (no extra round trip).
      wire.flush();
      wire.parse({ text: this.plan.sql });
      wire.bind({ values: this.values });
      wire.describe({ type: 'P' });
      wire.execute({ rows: this.batch });
      if (this.oneShot) this.finish();
      else wire.flush();
    } finally {
      wire.stream.uncork?.();
    }
  }

  /** ROLLBACK and Sync: the end of the exchange. */
  private finish(): void {
    const wire = this.wire!;
    wire.parse({ text: 'ROLLBACK' });
    wire.bind({});
    wire.execute({});
    wire.sync();
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
