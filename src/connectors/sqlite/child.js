// @ts-check
/**
 * One SQLite reader process. better-sqlite3 is synchronous and has no way to interrupt a running
 * statement, so each SQLite source's queries run in child processes of their own: the server's event
 * loop never waits on SQLite, and a statement past its timeout is stopped for real by killing its process
 * (see pool.ts). This file is plain JavaScript because it is started with `node` directly, in development
 * as in the built package.
 *
 * Protocol (Node IPC, advanced serialization, so bigints and buffers arrive intact):
 *   parent → { id, op: 'query', sql, params, batchRows, batchBytes }   → { id, ok, columns, rows, done, retire? }
 *     (`retire`: this process exits after the reply and must not serve another call)
 *   parent → { id, op: 'more' }                                         → { id, ok, rows, done }
 *   parent → { id, op: 'end' }                                          → { id, ok }
 *   parent → { id, op: 'explain', sql, params }                         → { id, ok, rows }
 *   parent → { id, op: 'catalog' }                                      → { id, ok, tables, columns, foreignKeys, indexes, stats }
 *   parent → { id, op: 'ping' }                                         → { id, ok, version }
 * Failures answer { id, ok: false, error: { name, code, message } }.
 */
import Database from 'better-sqlite3';

const file = process.env.SEQUEL_SQLITE_FILE;
if (!file || !process.send) {
  console.error('sqlite child: started without a file or an IPC channel');
  process.exit(2);
}

/** @type {Database.Database} */
let db;
try {
  // Layer 1: the file is opened read-only (SQLITE_OPEN_READONLY) and must exist; query_only refuses
  // writes even through a path the read-only open would allow (temp tables are the classic one).
  db = new Database(file, { readonly: true, fileMustExist: true });
  db.pragma('query_only = 1');
  // A writer holding a lock makes readers wait briefly rather than fail at once.
  db.pragma('busy_timeout = 2000');
  db.defaultSafeIntegers(true);
} catch (err) {
  const e = /** @type {{ code?: string, message: string }} */ (err);
  process.send({ ready: false, error: { name: 'SqliteError', code: e.code ?? 'SQLITE_CANTOPEN', message: e.message } });
  process.exit(0);
}
process.send({ ready: true });

/** @type {IterableIterator<unknown[]> | undefined} */
let cursor;
/** @type {{ batchRows: number, batchBytes: number } | undefined} */
let limits;

/** Approximate size of a raw row, to keep one batch near the byte cap whatever the rows hold. */
function rowSize(/** @type {unknown[]} */ row) {
  let n = 2;
  for (const v of row) {
    if (typeof v === 'string') n += v.length + 3;
    else if (v instanceof Uint8Array) n += Math.ceil((v.byteLength * 4) / 3) + 3;
    else n += 12;
  }
  return n;
}

function nextBatch() {
  /** @type {unknown[][]} */
  const rows = [];
  let bytes = 0;
  if (!cursor || !limits) return { rows, done: true };
  while (rows.length < limits.batchRows && bytes < limits.batchBytes) {
    const r = cursor.next();
    if (r.done) {
      cursor = undefined;
      return { rows, done: true };
    }
    rows.push(r.value);
    bytes += rowSize(r.value);
  }
  return { rows, done: false };
}

function endCursor() {
  if (cursor?.return) cursor.return();
  cursor = undefined;
}

/** Re-asserted before every statement, so that nothing a previous call did to the session outlives it. */
const queryOnly = db.prepare('PRAGMA query_only = 1');

function refuse(/** @type {string} */ message) {
  const err = new Error(message);
  /** @type {any} */ (err).code = 'SEQUEL_NOT_READ_ONLY';
  return err;
}

/**
 * Layer 2, the engine's own view: exactly one statement (better-sqlite3 refuses a string holding more
 * than one) that SQLite itself reports as read-only (sqlite3_stmt_readonly) and that returns rows.
 * The readonly flag alone is not enough: SQLite reports ATTACH, DETACH, BEGIN/COMMIT/SAVEPOINT/RELEASE,
 * REINDEX and `PRAGMA query_only = 0` / `PRAGMA writable_schema = 1` as read-only, and they change the
 * connection for every later call on this process. None of them returns rows; every read does.
 */
function prepareRead(/** @type {string} */ sql) {
  queryOnly.run();
  const stmt = db.prepare(sql);
  if (!stmt.readonly) throw refuse('SQLite reports that this statement writes to the database; only reads are allowed.');
  if (!stmt.reader) throw refuse('This statement returns no rows, so it is not a query (it would change the session); only reads are allowed.');
  return stmt;
}

/**
 * A PRAGMA may leave the connection changed even when SQLite calls it read-only and it returns a row
 * (`PRAGMA busy_timeout = 0`, `PRAGMA threads = 8`…). The guard lets only informational PRAGMAs in their
 * query form through; this process still ends after running any PRAGMA, so that no setting outlives the
 * call (the pool starts a fresh reader for the next one).
 */
const LEADING_COMMENTS = /^(?:[ \t\n\f\r]+|--[^\n]*(?:\n|$)|\/\*[\s\S]*?(?:\*\/|$))*/;
function isPragma(/** @type {string} */ sql) {
  return /^pragma\b/i.test(sql.replace(LEADING_COMMENTS, ''));
}
let exitAfterReply = false;

/** SQLite binds numbers, strings, bigints, buffers and null; booleans become 1 and 0. */
function bindable(/** @type {unknown[]} */ params) {
  return params.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p));
}

const CATALOG = {
  tables: `select name, type, case when type = 'view' then sql end as sql from sqlite_schema where type in ('table', 'view') and name not like 'sqlite\\_%' escape '\\' order by name`,
  columns: `select m.name as tbl, p.cid, p.name, p.type, p."notnull" as not_null, p.dflt_value, p.pk, p.hidden
              from sqlite_schema m join pragma_table_xinfo(m.name) p
             where m.type in ('table', 'view') and m.name not like 'sqlite\\_%' escape '\\' order by m.name, p.cid`,
  foreignKeys: `select m.name as tbl, f.id, f.seq, f."table" as target, f."from" as col, f."to" as target_col
                  from sqlite_schema m join pragma_foreign_key_list(m.name) f
                 where m.type = 'table' and m.name not like 'sqlite\\_%' escape '\\' order by m.name, f.id, f.seq`,
  indexes: `select m.name as tbl, il.name as idx, il."unique" as uniq, il.origin, ii.seqno, ii.name as col
              from sqlite_schema m join pragma_index_list(m.name) il join pragma_index_info(il.name) ii
             where m.type = 'table' and m.name not like 'sqlite\\_%' escape '\\' order by m.name, il.name, ii.seqno`,
};

/** @param {{ id: number, op: string, sql?: string, params?: unknown[], batchRows?: number, batchBytes?: number }} msg */
function handle(msg) {
  switch (msg.op) {
    case 'query': {
      endCursor();
      const stmt = prepareRead(String(msg.sql));
      const params = bindable(msg.params ?? []);
      const columns = stmt.columns().map((c) => ({ name: c.name, type: c.type }));
      if (isPragma(String(msg.sql))) {
        exitAfterReply = true;
        return { columns, rows: stmt.raw(true).all(...params), done: true, retire: true };
      }
      limits = { batchRows: msg.batchRows ?? 256, batchBytes: msg.batchBytes ?? 256 * 1024 };
      cursor = /** @type {IterableIterator<unknown[]>} */ (stmt.raw(true).iterate(...params));
      return { columns, ...nextBatch() };
    }
    case 'more':
      return nextBatch();
    case 'end':
      endCursor();
      return {};
    case 'explain': {
      prepareRead(String(msg.sql));
      const plan = db.prepare(`EXPLAIN QUERY PLAN ${msg.sql}`);
      return { rows: plan.raw(true).all(...bindable(msg.params ?? [])) };
    }
    case 'catalog': {
      const out = /** @type {Record<string, unknown>} */ ({});
      for (const [k, sql] of Object.entries(CATALOG)) out[k] = db.prepare(sql).all();
      const hasStats = db.prepare(`select 1 from sqlite_schema where name = 'sqlite_stat1'`).get();
      out.stats = hasStats ? db.prepare(`select tbl, idx, stat from sqlite_stat1`).all() : [];
      return out;
    }
    case 'ping':
      return { version: db.prepare('select sqlite_version() as v').pluck().get() };
    default:
      throw new Error(`unknown op ${msg.op}`);
  }
}

process.on('message', (/** @type {any} */ msg) => {
  let reply;
  try {
    reply = { id: msg.id, ok: true, ...handle(msg) };
  } catch (err) {
    const e = /** @type {{ name?: string, code?: string, message?: string }} */ (err);
    reply = { id: msg.id, ok: false, error: { name: e.name ?? 'Error', code: e.code ?? '', message: e.message ?? String(err) } };
  }
  /** @type {NonNullable<typeof process.send>} */ (process.send)(reply, () => {
    if (exitAfterReply) process.exit(0);
  });
});

// The parent going away (crash, kill -9) must not leave orphans holding the file open.
process.on('disconnect', () => process.exit(0));
