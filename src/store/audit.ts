import type Database from 'better-sqlite3';
import { sql, type Insertable, type Kysely, type SelectQueryBuilder } from 'kysely';
import type { AuditLogTable, DB } from './db.js';

export type AuditEntry = Omit<Insertable<AuditLogTable>, 'id'>;

export interface AuditRecord extends AuditEntry {
  id: number;
}

export interface AuditFilter {
  orgId: string;
  tool?: string | undefined;
  sourceName?: string | undefined;
  sourceId?: string | undefined;
  credentialId?: string | undefined;
  userId?: string | undefined;
  /** `ok` for successes, `error` for every failure, or one failure code. */
  outcome?: string | undefined;
  /** ISO time bounds. */
  since?: string | undefined;
  until?: string | undefined;
  /** Entries after this one in the page order (newest first by time, then id): the last one shown. */
  beforeId?: number | undefined;
  limit?: number | undefined;
}

/** A position in the page order (newest first by time, then id): the last entry shown. */
export interface AuditCursor {
  at: string;
  id: number;
}

/** One day of the overview: calls per source, failures, and the 95th-percentile duration. */
export interface AuditDay {
  /** `YYYY-MM-DD` (UTC). */
  day: string;
  calls: number;
  errors: number;
  p95Ms: number | null;
  bySource: Array<{ source: string; calls: number }>;
}

/** Every column an entry sets, in the order of the embedded store's prepared insert. */
const COLUMNS = [
  'entry_id',
  'at',
  'org_id',
  'user_id',
  'credential_kind',
  'credential_id',
  'credential_label',
  'source_id',
  'source_name',
  'tool',
  'sql',
  'row_count',
  'duration_ms',
  'outcome',
  'error',
  'governance',
] as const satisfies ReadonlyArray<keyof AuditEntry>;

const INSERT = `insert into audit_log (${COLUMNS.join(', ')}) values (${COLUMNS.map(() => '?').join(', ')}) on conflict (entry_id) do nothing`;

/** The embedded store is being written by another process right now (see AuditLog.insertMany's `wait`). */
export class StoreBusyError extends Error {
  constructor() {
    super('the store is being written by another process');
    this.name = 'StoreBusyError';
  }
}

export class AuditLog {
  private insertOne: Database.Statement | undefined;
  private busyTimeout: { get: Database.Statement; none: Database.Statement; restore?: { ms: number; stmt: Database.Statement } } | undefined;

  constructor(
    private readonly db: Kysely<DB>,
    /** The embedded store's handle (SQLite): batches go through one prepared statement, not Kysely. */
    private readonly sqlite?: Database.Database,
  ) {}

  /**
   * Inserts entries; one with an `entry_id` already stored is skipped, which makes replaying the audit
   * journal after a crash idempotent. One transaction, so a batch is stored whole or not at all.
   *
   * `wait: false` (the audit writer's background batches, whose entries are safe in its journal): on the
   * embedded SQLite store, when another process holds the write lock the call fails at once with
   * StoreBusyError instead of waiting for it. better-sqlite3 is synchronous, so waiting there (busy_timeout)
   * would stall every call this process is serving; the writer tries again a moment later instead.
   */
  async insertMany(entries: AuditEntry[], opts: { wait?: boolean } = {}): Promise<void> {
    if (entries.length === 0) return;
    const lite = this.sqlite;
    // Inside a Kysely transaction of this connection (begun, awaiting its next statement) the batch must
    // not join it: the Kysely path below waits for that transaction to end.
    if (lite && lite.open && !lite.inTransaction) {
      this.insertSqlite(lite, entries, opts.wait !== false);
      return;
    }
    await this.db.transaction().execute(async (trx) => {
      // Chunked: SQLite caps bound variables per statement.
      for (let i = 0; i < entries.length; i += 50) {
        await trx
          .insertInto('audit_log')
          .values(entries.slice(i, i + 50))
          .onConflict((oc) => oc.column('entry_id').doNothing())
          .execute();
      }
    });
  }

  /**
   * One prepared single-row insert run per entry inside one synchronous transaction: preparing a
   * multi-row statement and building it through Kysely cost more than the inserts themselves.
   */
  private insertSqlite(lite: Database.Database, entries: AuditEntry[], wait: boolean): void {
    const stmt = (this.insertOne ??= lite.prepare(INSERT));
    const values = new Array<unknown>(COLUMNS.length);
    const run = () => {
      for (const e of entries) {
        for (let i = 0; i < COLUMNS.length; i++) values[i] = e[COLUMNS[i]!] ?? null;
        stmt.run(values);
      }
    };
    if (wait) {
      lite.transaction(run).immediate();
      return;
    }
    // db.pragma() prepares its statement on every call; these are prepared once.
    const busy = (this.busyTimeout ??= {
      get: lite.prepare('pragma busy_timeout').pluck(),
      none: lite.prepare('pragma busy_timeout = 0'),
    });
    const previous = Number(busy.get.get());
    busy.none.run();
    try {
      lite.transaction(run).immediate();
    } catch (err) {
      if (String((err as { code?: unknown }).code ?? '').startsWith('SQLITE_BUSY')) throw new StoreBusyError();
      throw err;
    } finally {
      const ms = Number.isFinite(previous) ? previous : 5000;
      if (busy.restore?.ms !== ms) busy.restore = { ms, stmt: lite.prepare(`pragma busy_timeout = ${ms}`) };
      busy.restore.stmt.run();
    }
  }

  /**
   * Deletes up to `limit` entries older than `before` (ISO time), oldest first; returns how many. Small
   * batches keep each transaction short, so a first prune of a large log never blocks the request path.
   */
  async deleteBefore(before: string, limit: number): Promise<number> {
    const ids = this.db.selectFrom('audit_log').select('id').where('at', '<', before).orderBy('id').limit(limit);
    const r = await this.db.deleteFrom('audit_log').where('id', 'in', ids).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  /** How many of these entry ids are stored (crash-recovery tests count with it). */
  async countEntryIds(ids: string[]): Promise<number> {
    let n = 0;
    for (let i = 0; i < ids.length; i += 500) {
      const r = await this.db
        .selectFrom('audit_log')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('entry_id', 'in', ids.slice(i, i + 500))
        .executeTakeFirstOrThrow();
      n += Number(r.n);
    }
    return n;
  }

  /**
   * The filtered page query, newest first: by time, then id (entries written together, or replayed from
   * the journal, share or reorder times). Keyset on `(at, id)` from `cursor`, the last entry shown, so a
   * page deep in the log or in a time range costs what the first page costs. Each equality filter has an
   * `(org_id, <column>, at, id)` index and no filter `(org_id, at, id)` (migration 013), which serve the
   * time range, the cursor and the order in one index walk. `f.beforeId` is read by `list`, which looks
   * the cursor up; exposed so tests can read the database's plan.
   */
  listQuery(f: AuditFilter, cursor?: AuditCursor): SelectQueryBuilder<DB, 'audit_log', AuditLogTable> {
    let q = this.db.selectFrom('audit_log').selectAll().where('org_id', '=', f.orgId);
    if (f.tool) q = q.where('tool', '=', f.tool);
    if (f.sourceId) q = q.where('source_id', '=', f.sourceId);
    if (f.sourceName) q = q.where('source_name', '=', f.sourceName);
    if (f.credentialId) q = q.where('credential_id', '=', f.credentialId);
    if (f.userId) q = q.where('user_id', '=', f.userId);
    if (f.outcome === 'error') q = q.where('outcome', '<>', 'ok');
    else if (f.outcome) q = q.where('outcome', '=', f.outcome);
    if (f.since) q = q.where('at', '>=', f.since);
    if (f.until) q = q.where('at', '<', f.until);
    if (cursor) {
      // A row comparison, which both planners use as the index range after the equality columns (an OR of
      // `at < t` and `id < c` makes SQLite sort instead). The cursor's time is a value, not a subquery:
      // PostgreSQL plans an unknown bound as a narrow range and then sorts a month of entries.
      q = q.where((eb) => eb(eb.refTuple('at', 'id'), '<', eb.tuple(cursor.at, cursor.id)));
    }
    return q
      .orderBy('at', 'desc')
      .orderBy('id', 'desc')
      .limit(Math.min(Math.max(f.limit ?? 100, 1), 10_000)) as unknown as SelectQueryBuilder<DB, 'audit_log', AuditLogTable>;
  }

  /**
   * The position of entry `id` in this organization's log. Undefined for another organization's entry or
   * one pruned since (and with it everything older): then there is no older page.
   */
  async cursorOf(orgId: string, id: number): Promise<AuditCursor | undefined> {
    const row = await this.db.selectFrom('audit_log').select(['at', 'id']).where('id', '=', id).where('org_id', '=', orgId).executeTakeFirst();
    return row ? { at: row.at, id: Number(row.id) } : undefined;
  }

  /** Newest first; after `f.beforeId` when given. */
  async list(f: AuditFilter): Promise<AuditRecord[]> {
    let cursor: AuditCursor | undefined;
    if (f.beforeId !== undefined) {
      cursor = await this.cursorOf(f.orgId, f.beforeId);
      if (!cursor) return [];
    }
    const rows = await this.listQuery(f, cursor).execute();
    return rows.map((r) => ({ ...r, id: Number(r.id), row_count: r.row_count === null ? null : Number(r.row_count), duration_ms: Number(r.duration_ms) }));
  }

  /** Distinct tools and outcomes seen recently, for the filter menus. */
  async facets(orgId: string, since: string): Promise<{ tools: string[]; outcomes: string[] }> {
    const tools = await this.db.selectFrom('audit_log').select('tool').distinct().where('org_id', '=', orgId).where('at', '>=', since).execute();
    const outcomes = await this.db.selectFrom('audit_log').select('outcome').distinct().where('org_id', '=', orgId).where('at', '>=', since).execute();
    return { tools: tools.map((t) => t.tool).sort(), outcomes: outcomes.map((o) => o.outcome).sort() };
  }

  /**
   * Calls per day and source, failures and the p95 duration per day, from `since` (UTC days). Days
   * without calls are absent. Scopes every query by the org (the `(org_id, at)` index).
   */
  async overview(orgId: string, since: string, scope: { userId?: string | undefined } = {}): Promise<AuditDay[]> {
    const day = sql<string>`substr(at, 1, 10)`;
    let q = this.db
      .selectFrom('audit_log')
      .select([
        day.as('day'),
        'source_name',
        (eb) => eb.fn.countAll<string | number>().as('calls'),
        sql<string | number>`sum(case when outcome = 'ok' then 0 else 1 end)`.as('errors'),
      ])
      .where('org_id', '=', orgId)
      .where('at', '>=', since);
    if (scope.userId) q = q.where('user_id', '=', scope.userId);
    const rows = await q.groupBy([day, 'source_name']).execute();
    const days = new Map<string, AuditDay>();
    for (const r of rows) {
      let d = days.get(r.day);
      if (!d) {
        d = { day: r.day, calls: 0, errors: 0, p95Ms: null, bySource: [] };
        days.set(r.day, d);
      }
      const calls = Number(r.calls);
      d.calls += calls;
      d.errors += Number(r.errors);
      d.bySource.push({ source: r.source_name ?? '(none)', calls });
    }
    // p95 per day: the value at rank ceil(0.95 n) (nearest-rank method), read with one indexed range
    // scan and an ORDER BY … OFFSET per day, which both dialects run the same way.
    for (const d of days.values()) {
      const offset = Math.max(0, Math.ceil(0.95 * d.calls) - 1);
      let pq = this.db
        .selectFrom('audit_log')
        .select('duration_ms')
        .where('org_id', '=', orgId)
        .where('at', '>=', d.day)
        .where('at', '<', nextDay(d.day));
      if (scope.userId) pq = pq.where('user_id', '=', scope.userId);
      const p = await pq.orderBy('duration_ms').limit(1).offset(offset).executeTakeFirst();
      d.p95Ms = p ? Number(p.duration_ms) : null;
      d.bySource.sort((a, b) => b.calls - a.calls || a.source.localeCompare(b.source));
    }
    return [...days.values()].sort((a, b) => a.day.localeCompare(b.day));
  }
}

function nextDay(day: string): string {
  const d = new Date(`${day}T00:00:00.000Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}
