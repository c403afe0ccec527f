/**
 * The SQLite connector: the shared conformance suite, then SQLite's own — 64-bit integers, blobs and
 * declared types, the reader processes (a runaway statement is killed, not waited for, while other calls
 * go on), files that are missing or not databases, and introspection details.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConnector } from '../../src/connectors/index.js';
import type { Connector } from '../../src/connectors/types.js';
import { checkSqliteStatement } from '../../src/connectors/sqlite/guard.js';
import { DEFAULT_CAPS, describeConnectorConformance, expectToolError } from './conformance.js';
import { sqliteConfig, sqliteFixture } from './fixtures/sqlite.js';
import { ChildError, ReaderPool, type Reader } from '../../src/connectors/sqlite/pool.js';
import { SQLITE_ALLOWLIST } from '../../src/connectors/sqlite/functions.sqlite.js';

describeConnectorConformance(sqliteFixture);

let dir: string;
let file: string;
let connector: Connector;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sequel-sqlite-'));
  file = path.join(dir, 'types.sqlite');
  const db = new Database(file);
  db.exec(`
    create table t (i integer, big integer, r real, s text, b blob, d date, j json, n numeric);
    insert into t values (42, 9223372036854775807, 1.5, 'héllo', x'deadbeef', '2024-02-29', '{"a":[1,2]}', 12.25);
    insert into t values (-9007199254740993, -1, 1e308, '', x'', null, null, null);
    create table parent (a integer, b integer, primary key (a, b));
    create table child (id integer primary key, pa integer, pb integer, foreign key (pa, pb) references parent);
    create index child_expr on child (pa + pb);
    create table many (id integer primary key);
  `);
  db.prepare('with recursive s(n) as (select 1 union all select n + 1 from s where n < 300000) insert into many select n from s').run();
  db.close();
  connector = await createConnector('sqlite', sqliteConfig(file, { statementTimeoutMs: 5_000 }));
});

afterAll(async () => {
  await connector?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('sqlite connector specifics', () => {
  it('keeps 64-bit integers exact: numbers while safe, strings beyond 2^53', async () => {
    const r = await connector.query('select i, big, r, s, b, d, j, n from t order by rowid', [], DEFAULT_CAPS);
    expect(r.columns.map((c) => c.type)).toEqual(['integer', 'integer', 'real', 'text', 'blob', 'date', 'json', 'numeric']);
    expect(r.rows[0]).toEqual([42, '9223372036854775807', 1.5, 'héllo', Buffer.from('deadbeef', 'hex').toString('base64'), '2024-02-29', '{"a":[1,2]}', 12.25]);
    expect(r.rows[1]).toEqual(['-9007199254740993', -1, 1e308, '', '', null, null, null]);
  });

  it('names the storage class of expression columns', async () => {
    const r = await connector.query("select 1 + 1 as i, 2.5 * 2 as f, 'x' || 'y' as s, x'00' as b, null as z", [], DEFAULT_CAPS);
    expect(r.columns).toEqual([
      { name: 'i', type: 'integer' },
      { name: 'f', type: 'real' },
      { name: 's', type: 'text' },
      { name: 'b', type: 'blob' },
      { name: 'z', type: 'unknown' },
    ]);
  });

  it('binds ? parameters in order, including booleans and nulls', async () => {
    const r = await connector.query('select ? as a, ? as b, ? as c, ? is null as d', ['x', 3, true, null], DEFAULT_CAPS);
    expect(r.rows).toEqual([['x', 3, 1, 1]]);
    await expectToolError(connector.query('select ? as a', [], DEFAULT_CAPS), 'QUERY_ERROR', 'missing parameter');
  });

  it('kills a runaway statement at its timeout, while other calls keep being answered', async () => {
    const started = Date.now();
    const slow = connector.query('select count(*) from many a, many b', [], { ...DEFAULT_CAPS, timeoutMs: 800 });
    // Meanwhile, other calls are served by other reader processes.
    const quick = await connector.query('select count(*) from many', [], DEFAULT_CAPS);
    expect(quick.rows).toEqual([[300000]]);
    await expectToolError(slow, 'QUERY_TIMEOUT', 'runaway statement');
    const took = Date.now() - started;
    console.log(`[sqlite] timeout of 800 ms answered after ${took} ms`);
    // The statement really stopped: no reader process is left burning CPU on it.
    const busy = execFileSync('ps', ['-eo', 'pid,pcpu,args']).toString().split('\n').filter((l) => l.includes('sqlite/child.js') && Number(l.trim().split(/\s+/)[1]) > 50);
    expect(busy).toEqual([]);
    // And the source still answers.
    expect((await connector.query('select 1', [], DEFAULT_CAPS)).rows).toEqual([[1]]);
  });

  it('an abort stops the statement too', async () => {
    const ac = new AbortController();
    const p = connector.query('select count(*) from many a, many b', [], { ...DEFAULT_CAPS, timeoutMs: 30_000, signal: ac.signal });
    setTimeout(() => ac.abort(), 200);
    await expectToolError(p, 'QUERY_TIMEOUT', 'aborted statement');
    // The statement really stopped: the source answers the next call.
    expect((await connector.query('select 1', [], DEFAULT_CAPS)).rows).toEqual([[1]]);
  });

  it('answers SOURCE_UNAVAILABLE for a missing file or one that is not a database', async () => {
    const missing = await createConnector('sqlite', sqliteConfig(path.join(dir, 'nope.sqlite')));
    await expectToolError(missing.query('select 1', [], DEFAULT_CAPS), 'SOURCE_UNAVAILABLE', 'missing file');
    await missing.close();
    const junk = path.join(dir, 'junk.sqlite');
    fs.writeFileSync(junk, 'this is not a database file, just text '.repeat(100));
    const bad = await createConnector('sqlite', sqliteConfig(junk));
    await expectToolError(bad.query('select * from sqlite_schema', [], DEFAULT_CAPS), 'SOURCE_UNAVAILABLE', 'not a database');
    await bad.close();
  });

  it('introspects composite keys, foreign keys to a primary key, and expression indexes', async () => {
    const cat = await connector.introspect();
    const child = cat.tables.find((t) => t.name === 'child')!;
    expect(child.columns.find((c) => c.name === 'pa')?.references).toEqual({ schema: 'main', table: 'parent', column: 'a' });
    expect(child.columns.find((c) => c.name === 'pb')?.references).toEqual({ schema: 'main', table: 'parent', column: 'b' });
    expect(child.indexes.find((i) => i.name === 'child_expr')?.columns).toEqual(['(expression)']);
    const parent = cat.tables.find((t) => t.name === 'parent')!;
    expect(parent.columns.filter((c) => c.primaryKey).map((c) => c.name)).toEqual(['a', 'b']);
    expect(cat.tables.some((t) => t.name.startsWith('sqlite_'))).toBe(false);
  });

  it('the guard tokenizes like SQLite: keywords in strings, comments and quoted names are data', () => {
    expect(() => checkSqliteStatement("select 'attach' as a -- pragma\n")).not.toThrow();
    expect(() => checkSqliteStatement('select "load_extension" from t')).not.toThrow();
    expect(() => checkSqliteStatement('select 1 /* unterminated')).not.toThrow();
    expect(() => checkSqliteStatement("select 'unterminated")).toThrow(/Unterminated/);
    expect(() => checkSqliteStatement('  ')).toThrow(/empty/);
  });
});

/**
 * The reader process on its own, without the token guard in front (as the PostgreSQL suite shows its
 * session layer alone): statements SQLite itself calls read-only but that change the connection must be
 * refused there too, and must leave nothing behind for the next call on the same process.
 */
describe('sqlite reader process without the guard', () => {
  let home: string;
  let db: string;
  let pool: ReaderPool;
  let reader: Reader;

  beforeAll(async () => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'sequel-sqlite-reader-'));
    db = path.join(home, 'r.sqlite');
    const w = new Database(db);
    w.exec("create table t (a integer); insert into t values (1);");
    w.close();
    // One process, so that whatever a statement leaves behind is there for the next request.
    pool = new ReaderPool(db, 1, 10_000);
    reader = await pool.acquire();
  });

  afterAll(async () => {
    if (reader) pool.release(reader);
    await pool?.close();
    fs.rmSync(home, { recursive: true, force: true });
  });

  const rows = async (sql: string) => (await reader.request({ op: 'query', sql, params: [], batchRows: 100, batchBytes: 65_536 })).rows;

  it.each([
    'PRAGMA query_only = 0',
    'PRAGMA writable_schema = 1',
    "ATTACH ':memory:' AS side",
    'ATTACH_SELF',
    'BEGIN',
    'SAVEPOINT s1',
    "VACUUM INTO 'copy.sqlite'",
    'CREATE TEMP TABLE scratch (a)',
  ])('refuses %s and leaves the session as it was', async (text) => {
    // ATTACH of an existing, readable file (the source itself) would succeed under the read-only open.
    const sql = text === 'ATTACH_SELF' ? `ATTACH '${db}' AS side` : text;
    const err = await reader.request({ op: 'query', sql, params: [], batchRows: 100, batchBytes: 65_536 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err, sql).toBeInstanceOf(ChildError);
    expect((err as ChildError).failure.code).toBe('SEQUEL_NOT_READ_ONLY');
    expect(reader.alive).toBe(true);
    expect(await rows('select * from pragma_query_only')).toEqual([[1n]]);
    // (Reading temp.sqlite_schema below creates the empty temp schema itself, hence the filter.)
    expect(await rows("select name from pragma_database_list where name <> 'temp'")).toEqual([['main']]);
    expect(await rows('select count(*) from temp.sqlite_schema')).toEqual([[0n]]);
    expect(fs.readdirSync(home).sort()).toEqual(['r.sqlite']);
  });
});

describe('sqlite guard: allow-lists and failing closed', () => {
  const verdict = (sql: string) => {
    try {
      return checkSqliteStatement(sql).kind;
    } catch (err) {
      return (err as { code?: string }).code ?? String(err);
    }
  };

  it('was generated from the bundled SQLite (else: re-run npm run allowlists:sqlite)', () => {
    const mem = new Database(':memory:');
    const version = String(mem.prepare('select sqlite_version()').pluck().get());
    mem.close();
    const majorMinor = (v: string) => /^(\d+\.\d+)/.exec(v)?.[1];
    expect(majorMinor(version), `functions.sqlite.ts was generated from SQLite ${SQLITE_ALLOWLIST.version}; better-sqlite3 bundles ${version}: re-run npm run allowlists:sqlite`).toBe(
      majorMinor(SQLITE_ALLOWLIST.version),
    );
  });

  it('refuses what its tokenizer cannot place, and every name it does not know', () => {
    expect(verdict('; select 1')).toBe('NOT_READ_ONLY');
    for (const sql of ['select 1 # x', 'select {1}', 'select 1 \\ 2', 'select 1\u000b', 'select ^1', 'select :']) {
      expect(verdict(sql), sql).toBe('SYNTAX_ERROR');
    }
    expect(verdict('frobnicate t')).toBe('SYNTAX_ERROR');
    expect(verdict('select no_such_function(1)')).toBe('NOT_READ_ONLY');
    expect(verdict('select * from no_such_table_function(1)')).toBe('NOT_READ_ONLY');
    expect(verdict('PRAGMA no_such_pragma')).toBe('NOT_READ_ONLY');
    expect(verdict('PRAGMA table_info(t) junk')).toBe('SYNTAX_ERROR');
    expect(verdict('PRAGMA table_info(a, b)')).toBe('SYNTAX_ERROR');
    expect(verdict('PRAGMA user_version(5)')).toBe('NOT_READ_ONLY');
    expect(verdict('EXPLAIN')).toBe('NOT_READ_ONLY');
    expect(verdict('EXPLAIN QUERY PLAN PRAGMA table_info(t)')).toBe('NOT_READ_ONLY');
    expect(verdict('select 1; select 2')).toBe('NOT_READ_ONLY');
  });

  it('allows informational PRAGMAs in query form and plain EXPLAIN of a read', () => {
    expect(verdict('PRAGMA table_info(t)')).toBe('pragma');
    expect(verdict('PRAGMA "main".index_list([t])')).toBe('pragma');
    expect(verdict('EXPLAIN select 1')).toBe('explain');
    expect(verdict('explain query plan with a as (select 1) select * from a')).toBe('explain');
    expect(verdict("select * from pragma_table_info('t') join json_each('[1]')")).toBe('select');
    expect(verdict('select * from pragma_database_list')).toBe('NOT_READ_ONLY');
  });
});

describe('sqlite reader process: a PRAGMA does not outlive its call', () => {
  let home: string;
  let pool: ReaderPool;

  beforeAll(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'sequel-sqlite-pragma-'));
    const w = new Database(path.join(home, 'p.sqlite'));
    w.exec('create table t (a integer)');
    w.close();
    pool = new ReaderPool(path.join(home, 'p.sqlite'), 1, 10_000);
  });

  afterAll(async () => {
    await pool?.close();
    fs.rmSync(home, { recursive: true, force: true });
  });

  const ask = async (sql: string) => {
    const reader = await pool.acquire();
    try {
      const reply = await reader.request({ op: 'query', sql, params: [], batchRows: 100, batchBytes: 65_536 });
      return { rows: reply.rows, alive: reader.alive };
    } finally {
      pool.release(reader);
    }
  };

  it.each(['PRAGMA busy_timeout = 1', 'PRAGMA threads = 4', 'PRAGMA table_info(t)'])('after %s the next call has a fresh reader', async (sql) => {
    // Settings that SQLite reports as read-only and that return a row still change the connection; the
    // reader that ran any PRAGMA retires.
    const first = await ask(sql);
    expect(first.alive).toBe(false);
    expect((await ask('select * from pragma_busy_timeout')).rows).toEqual([[2000n]]);
    expect((await ask('select * from pragma_threads')).rows).toEqual([[0n]]);
  });
});
