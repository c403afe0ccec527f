/**
 * The DuckDB connector: the shared conformance suite, then DuckDB's own — exact HUGEINT/DECIMAL, times
 * with zones, blobs, JSON, lists, structs, maps and enums; CSV and Parquet files (and globs) served as
 * read-only views with nothing else of the file system reachable; interruption of a long statement.
 * Then the guard: the generated allow-list matches the driver's DuckDB, the guard fails closed on what it
 * cannot read, user-defined functions follow the source policy, EXPLAIN and catalog PRAGMAs.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DUCKDB_NODE_API_VERSION,
  DUCKDB_VERSION,
  READ_ONLY_FUNCTIONS,
  REFUSED_FUNCTIONS,
  type DuckDbFunctionType,
} from '../../src/connectors/duckdb/functions.generated.js';
import { judgeSerialized, NO_DEFINITIONS, serialize } from '../../src/connectors/duckdb/guard.js';
import { duckdbTarget, viewName } from '../../src/connectors/duckdb/index.js';
import type { Json } from '../../src/connectors/guard/tree.js';
import { isToolError } from '../../src/errors.js';
import { createConnector } from '../../src/connectors/index.js';
import type { Connector } from '../../src/connectors/types.js';
import { DEFAULT_CAPS, describeConnectorConformance, expectToolError } from './conformance.js';
import { duckdbConfig, duckdbFixture, runDuckDb } from './fixtures/duckdb.js';

describeConnectorConformance(duckdbFixture);

let dir: string;
let connector: Connector;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sequel-duckdb-'));
  const file = path.join(dir, 'types.duckdb');
  await runDuckDb(
    file,
    `create type mood as enum ('happy', 'sad');
     create table t (h hugeint, u ubigint, d decimal(38,10), ts timestamp, tz timestamptz, dt date, b blob, j json,
                     l integer[], s struct(a integer, b varchar), m map(varchar, integer), e mood, f double, uu uuid);
     insert into t values (170141183460469231731687303715884105727, 18446744073709551615, 1234567890123456789012345678.0123456789,
       '2024-02-29 23:59:59.123456', '2024-03-01 12:34:56.789012+02', '2024-02-29', '\\xDE\\xAD\\xBE\\xEF'::blob, '{"a": [1, 2]}',
       [1, 2, 3], {'a': 1, 'b': 'x'}, map {'k': 7}, 'sad', 'nan'::double, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11');
     checkpoint;`,
  );
  fs.writeFileSync(path.join(dir, 'sales-2024.csv'), 'id,region,amount\n1,north,10.50\n2,south,20.25\n3,north,5.00\n');
  fs.writeFileSync(path.join(dir, 'part-1.csv'), 'id,v\n1,a\n');
  fs.writeFileSync(path.join(dir, 'part-2.csv'), 'id,v\n2,b\n');
  await runDuckDb(path.join(dir, 'scratch.duckdb'), `copy (select range as id, 'p' || range as label from range(1000)) to '${path.join(dir, 'events.parquet')}' (format parquet)`);
  connector = await createConnector('duckdb', duckdbConfig(file));
});

afterAll(async () => {
  await connector?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('duckdb connector specifics', () => {
  it('keeps every type exact and meaningful', async () => {
    const r = await connector.query('select * from t', [], DEFAULT_CAPS);
    expect(r.columns.map((c) => c.type)).toEqual([
      'hugeint', 'ubigint', 'decimal(38,10)', 'timestamp', 'timestamp with time zone', 'date', 'blob', 'json',
      'integer[]', 'struct("a" integer, "b" varchar)', 'map(varchar, integer)', "enum('happy', 'sad')", 'double', 'uuid',
    ]);
    expect(r.rows[0]).toEqual([
      '170141183460469231731687303715884105727',
      '18446744073709551615',
      '1234567890123456789012345678.0123456789',
      '2024-02-29T23:59:59.123456',
      '2024-03-01T10:34:56.789012Z',
      '2024-02-29',
      Buffer.from('deadbeef', 'hex').toString('base64'),
      { a: [1, 2] },
      [1, 2, 3],
      { a: 1, b: 'x' },
      [{ key: 'k', value: 7 }],
      'sad',
      'NaN',
      'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
    ]);
  });

  it('binds $n parameters', async () => {
    const r = await connector.query('select $1::varchar as a, $2::integer + 1 as b, $3::boolean as c', ['x', 41, true], DEFAULT_CAPS);
    expect(r.rows).toEqual([['x', 42, true]]);
  });

  it('serves a CSV file as a read-only view named after it, and nothing else of the file system', async () => {
    const csv = await createConnector('duckdb', duckdbConfig(path.join(dir, 'sales-2024.csv')));
    try {
      const cat = await csv.introspect();
      expect(cat.tables.map((t) => `${t.kind}:${t.name}`)).toEqual(['view:sales_2024']);
      const r = await csv.query('select region, sum(amount) as total from sales_2024 group by region order by region', [], DEFAULT_CAPS);
      // DuckDB's CSV sniffer reads the amounts as DOUBLE.
      expect(r.rows).toEqual([
        ['north', 15.5],
        ['south', 20.25],
      ]);
      // The other files in the same directory stay out of reach, even by path.
      await expectToolError(csv.query(`select * from read_csv('${path.join(dir, 'part-1.csv')}')`, [], DEFAULT_CAPS), 'NOT_READ_ONLY', 'read_csv of a sibling');
      await expectToolError(csv.query(`select * from '${path.join(dir, 'part-1.csv')}'`, [], DEFAULT_CAPS), 'NOT_READ_ONLY', 'replacement scan of a sibling');
      await expectToolError(csv.query('create table x as select 1', [], DEFAULT_CAPS), 'NOT_READ_ONLY', 'create in the view database');
    } finally {
      await csv.close();
    }
  });

  it('serves Parquet files and globs of CSV files', async () => {
    const pq = await createConnector('duckdb', duckdbConfig(path.join(dir, 'events.parquet')));
    const glob = await createConnector('duckdb', duckdbConfig(path.join(dir, 'part-*.csv')));
    try {
      expect((await pq.query('select count(*), max(label) from events', [], DEFAULT_CAPS)).rows).toEqual([['1000', 'p999']]);
      const g = await glob.query('select id, v from part order by id', [], DEFAULT_CAPS);
      // The sniffer reads the ids as BIGINT: exact strings.
      expect(g.rows).toEqual([
        ['1', 'a'],
        ['2', 'b'],
      ]);
    } finally {
      await pq.close();
      await glob.close();
    }
  });

  it('answers SOURCE_UNAVAILABLE for a missing file or a glob matching nothing', async () => {
    const missing = await createConnector('duckdb', duckdbConfig(path.join(dir, 'nope.duckdb')));
    await expectToolError(missing.query('select 1', [], DEFAULT_CAPS), 'SOURCE_UNAVAILABLE', 'missing database');
    await missing.close();
    const none = await createConnector('duckdb', duckdbConfig(path.join(dir, 'nothing-*.csv')));
    await expectToolError(none.query('select 1', [], DEFAULT_CAPS), 'SOURCE_UNAVAILABLE', 'empty glob');
    await none.close();
  });

  it('interrupts a long statement at its timeout and keeps serving', async () => {
    const started = Date.now();
    await expectToolError(
      connector.query('select count(*) from range(100000000) a, range(100000) b where (a.range * b.range) % 7 = 3', [], { ...DEFAULT_CAPS, timeoutMs: 500 }),
      'QUERY_TIMEOUT',
      'long statement',
    );
    const took = Date.now() - started;
    console.log(`[duckdb] timeout of 500 ms answered after ${took} ms`);
    expect((await connector.query('select 42', [], DEFAULT_CAPS)).rows).toEqual([[42]]);
  });

  it('names views after files and recognises data-file sources', () => {
    expect(viewName('/x/Sales 2024.csv.gz')).toBe('sales_2024');
    expect(viewName('/x/2024.parquet')).toBe('t_2024');
    expect(duckdbTarget('/data/*.parquet').kind).toBe('files');
    expect(duckdbTarget('duckdb:///data/warehouse.duckdb')).toEqual({ kind: 'database', path: '/data/warehouse.duckdb' });
  });
});

describe('duckdb guard regressions', () => {
  it('refuses a command hidden behind a nested block comment before DuckDB prepares it', async () => {
    // DuckDB's lexer nests /* */ comments; preparing CREATE SECRET used to surface an internal
    // "Secret Storage … already registered" error instead of a refusal.
    for (const sql of [
      "/* /* */ SELECT */ CREATE SECRET s1 (TYPE s3, KEY_ID 'AKIAFAKE', SECRET 'fake')",
      '/* /* */ SELECT */ SET VARIABLE v = 1',
      '/* /* */ SELECT */ INSTALL httpfs',
    ]) {
      await expectToolError(connector.query(sql, [], DEFAULT_CAPS), 'NOT_READ_ONLY', sql);
    }
    expect((await connector.query("SELECT getvariable('v') AS v", [], DEFAULT_CAPS)).rows).toEqual([[null]]);
    // A query behind the same kind of comment is still a query.
    expect((await connector.query('/* /* */ SET */ SELECT 1 AS x', [], DEFAULT_CAPS)).rows).toEqual([[1]]);
  });

  it('refuses SQL run from a string by json_execute_serialized_sql', async () => {
    await expectToolError(
      connector.query("SELECT * FROM json_execute_serialized_sql(json_serialize_sql('SELECT * FROM query_table(''t'')'))", [], DEFAULT_CAPS),
      'NOT_READ_ONLY',
    );
  });

  it('explains how to write a PIVOT that is one statement', async () => {
    const err = await expectToolError(connector.query('PIVOT t ON e USING count(*)', [], DEFAULT_CAPS), 'NOT_READ_ONLY');
    expect(err.message).toMatch(/IN \(/);
    const r = await connector.query("PIVOT t ON e IN ('happy', 'sad') USING count(*)", [], DEFAULT_CAPS);
    expect(r.columns.map((c) => c.name)).toEqual(expect.arrayContaining(['happy', 'sad']));
  });
});

describe('duckdb allow-list', () => {
  let db: DuckDBInstance;
  let c: DuckDBConnection;

  beforeAll(async () => {
    db = await DuckDBInstance.create(':memory:', { autoload_known_extensions: 'false', autoinstall_known_extensions: 'false' });
    c = await db.connect();
  });
  afterAll(() => {
    c?.closeSync();
    db?.closeSync();
  });

  it('was generated from the DuckDB the driver ships', async () => {
    const version = String((await c.runAndReadAll('select version()')).getRows()[0]?.[0]);
    const lock = JSON.parse(fs.readFileSync(path.join(process.cwd(), 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string }> };
    const nodeApi = lock.packages['node_modules/@duckdb/node-api']?.version;
    const hint = 'the DuckDB driver changed: re-run npm run allowlists:duckdb and review the diff it prints';
    expect(version, hint).toBe(DUCKDB_VERSION);
    expect(nodeApi, hint).toBe(DUCKDB_NODE_API_VERSION);
  });

  it('classifies every built-in function of that DuckDB, read-only or refused with a reason', async () => {
    const builtIns = (await c.runAndReadAll("select distinct function_type, lower(function_name) from duckdb_functions() where database_name = 'system'")).getRows();
    const unclassified = builtIns
      .map(([type, name]) => [String(type) as DuckDbFunctionType, String(name)] as const)
      .filter(([type, name]) => !READ_ONLY_FUNCTIONS[type]?.includes(name) && !REFUSED_FUNCTIONS[type]?.[name]);
    expect(unclassified, 're-run npm run allowlists:duckdb').toEqual([]);
    // The state-changing table functions the hostile tests found stay refused.
    for (const name of ['enable_logging', 'disable_logging', 'truncate_duckdb_logs', 'enable_profiling', 'disable_profiling', 'enable_peg_parser', 'disable_peg_parser', 'checkpoint', 'force_checkpoint', 'duckdb_settings', 'duckdb_secrets', 'glob', 'read_csv', 'query', 'query_table']) {
      expect(READ_ONLY_FUNCTIONS.table, name).not.toContain(name);
      expect(REFUSED_FUNCTIONS.table[name], name).toBeTruthy();
    }
    for (const name of ['current_setting', 'nextval', 'currval', 'setseed', 'json_serialize_sql', 'sleep_ms', 'write_log']) expect(REFUSED_FUNCTIONS.scalar[name], name).toBeTruthy();
  });
});

describe('duckdb guard fails closed', () => {
  let db: DuckDBInstance;
  let c: DuckDBConnection;
  const tree = async (sql: string): Promise<Json> => (await serialize(c, sql)).tree;
  const judge = (t: Json, sql = 'SELECT 1') => judgeSerialized(t, sql, NO_DEFINITIONS);
  const refusedTree = (t: Json, label: string) => {
    let err: unknown;
    try {
      judge(t);
    } catch (e) {
      err = e;
    }
    expect(isToolError(err) ? err.code : err, label).toBe('NOT_READ_ONLY');
  };
  /** A copy of `t` with `change` applied to its first statement's node. */
  const mutate = (t: Json, change: (node: Record<string, Json>, root: Record<string, Json>) => void): Json => {
    const copy = structuredClone(t) as Record<string, Json>;
    const statements = copy.statements as Array<Record<string, Json>>;
    change(statements[0]!.node as Record<string, Json>, copy);
    return copy;
  };
  const first = (node: Record<string, Json>) => (node.select_list as Array<Record<string, Json>>)[0]!;

  beforeAll(async () => {
    db = await DuckDBInstance.create(':memory:');
    c = await db.connect();
  });
  afterAll(() => {
    c?.closeSync();
    db?.closeSync();
  });

  it.each([
    'SELEC 1',
    'SELECT (',
    "SELECT 'unterminated",
    '/* an unterminated comment SELECT 1',
    'SELECT 1 +',
    'ＳＥＬＥＣＴ 1',
    '\u0001\u0002\u0003',
    'SELECT $1, ?, $a',
    "SELECT 'a' SIMILAR TO 'x' ESCAPE '\\'",
    '',
    '-- only a comment',
    ';;',
    'SELECT 1\u0000',
    'PRAGMA',
    "PRAGMA table_info('t'",
    'EXPLAIN',
    'WITH x AS (SELECT 1)',
  ])('refuses what its parser cannot read: %j', async (sql) => {
    await expectToolError(connector.query(sql, [], DEFAULT_CAPS), ['SYNTAX_ERROR', 'NOT_READ_ONLY'], sql);
  });

  it('passes the tree it is given when nothing is changed (the mutations below are what fails)', async () => {
    for (const sql of ["SELECT upper(name) AS u, CAST(1 AS DECIMAL(18, 3)) FROM t WHERE x = 1 ORDER BY 1 LIMIT 2", 'SELECT * FROM range(3)', 'SELECT sum(x) OVER (ORDER BY y) FROM t', "SHOW TABLES"]) {
      expect(judge(await tree(sql), sql).relations).toBeDefined();
    }
  });

  it('refuses trees with an unknown class, type, key or shape', async () => {
    const base = await tree('SELECT upper(name) AS u, CAST(1 AS DECIMAL(18, 3)) AS d FROM t WHERE x = 1 ORDER BY 1 LIMIT 2');
    const cases: Array<[string, Json]> = [
      ['unknown expression class', mutate(base, (n) => void (first(n).class = 'MYSTERY'))],
      ['unknown expression type', mutate(base, (n) => void (first(n).type = 'COMPARE_SOMEHOW'))],
      ['unknown key on an expression', mutate(base, (n) => void (first(n).side_effect = { class: 'FUNCTION', function_name: 'getenv' }))],
      ['a key missing from an expression', mutate(base, (n) => void delete first(n).children)],
      ['a list where an expression belongs', mutate(base, (n) => void (n.where_clause = []))],
      ['a string where an expression belongs', mutate(base, (n) => void (n.where_clause = 'getenv()'))],
      ['unknown table reference type', mutate(base, (n) => void ((n.from_table as Record<string, Json>).type = 'ATTACHED_TABLE'))],
      ['unknown key on a table reference', mutate(base, (n) => void ((n.from_table as Record<string, Json>).is_implicit = true))],
      ['unknown query node type', mutate(base, (n) => void (n.type = 'INSERT_NODE'))],
      ['unknown key on a query node', mutate(base, (n) => void (n.returning = []))],
      ['unknown result modifier', mutate(base, (n) => void (n.modifiers as Json[]).push({ type: 'LOCK_MODIFIER' }))],
      ['unknown order type', mutate(base, (n) => void (((n.modifiers as Array<Record<string, Json>>)[0]!.orders as Array<Record<string, Json>>)[0]!.type = 'SIDEWAYS'))],
      ['unknown type information', mutate(base, (n) => void ((((n.select_list as Array<Record<string, Json>>)[1]!.cast_type as Record<string, Json>).type_info as Record<string, Json>).type = 'EXTENSION_TYPE_INFO'))],
      ['type extension information', mutate(base, (n) => void ((((n.select_list as Array<Record<string, Json>>)[1]!.cast_type as Record<string, Json>).type_info as Record<string, Json>).extension_info = { modifiers: [] }))],
      ['a constant with an extra key', mutate(base, (n) => void (((((n.select_list as Array<Record<string, Json>>)[1]!.child as Record<string, Json>).value as Record<string, Json>).expr = {})))],
      ['two statements', mutate(base, (_n, root) => void (root.statements as Json[]).push(structuredClone((root.statements as Json[])[0]!)))],
      ['no error flag', mutate(base, (_n, root) => void delete root.error)],
      ['statements that are not a list', mutate(base, (_n, root) => void (root.statements = {}))],
      ['an unknown key at the top', mutate(base, (_n, root) => void (root.warnings = []))],
      ['a function nobody knows', mutate(base, (n) => void (first(n).function_name = 'definitely_not_a_function'))],
      ['a refused function renamed into place', mutate(base, (n) => void (first(n).function_name = 'current_setting'))],
      ['the same in upper case', mutate(base, (n) => void (first(n).function_name = 'CURRENT_SETTING'))],
      ['a table function nobody knows', mutate(base, (n) => void (n.from_table = { type: 'TABLE_FUNCTION', alias: '', sample: null, query_location: 0, function: { ...first(n), function_name: 'mystery_scan' }, column_name_alias: [], with_ordinality: 'NO_ORDINALITY' }))],
      ['a scalar function in FROM', mutate(base, (n) => void (n.from_table = { type: 'TABLE_FUNCTION', alias: '', sample: null, query_location: 0, function: first(n), column_name_alias: [], with_ordinality: 'NO_ORDINALITY' }))],
      ['a file as a table', mutate(base, (n) => void ((n.from_table as Record<string, Json>).table_name = '/etc/passwd'))],
      ['a refused built-in view', mutate(base, (n) => void ((n.from_table as Record<string, Json>).table_name = 'duckdb_databases'))],
    ];
    for (const [label, t] of cases) refusedTree(t, label);
  });

  it('refuses unknown SHOW forms and window functions that are not aggregates', async () => {
    const show = await tree('SHOW TABLES');
    refusedTree(mutate(show, (n) => void ((n.from_table as Record<string, Json>).show_type = 'SHOW_SECRETS')), 'unknown SHOW type');
    refusedTree(mutate(show, (n) => void ((n.from_table as Record<string, Json>).table_name = '"settings"')), 'unknown SHOW name');
    const win = await tree('SELECT row_number() OVER (ORDER BY x) FROM t');
    refusedTree(mutate(win, (n) => void (first(n).function_name = 'getenv')), 'a window over a non-aggregate');
    refusedTree(mutate(win, (n) => void (first(n).type = 'WINDOW_MYSTERY')), 'an unknown window type');
    const lambda = await tree('SELECT list_transform([1], x -> x + 1)');
    const withSyntax = mutate(lambda, (n) => {
      const lam = (first(n).children as Array<Record<string, Json>>)[1]!;
      lam.syntax_type = 'ARROW';
    });
    refusedTree(withSyntax, 'a lambda with a key this DuckDB does not emit');
  });
});

describe('duckdb guard: user-defined functions follow the source policy', () => {
  let dir: string;
  let file: string;
  let off: Connector;
  let on: Connector;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sequel-duckdb-udf-'));
    file = path.join(dir, 'udf.duckdb');
    await runDuckDb(
      file,
      `create table t as select 1 as id, 'Ada' as name;
       create macro plus_one(x) as x + 1;
       create macro twice(x) as plus_one(plus_one(x)) - 1;
       create macro setting_of(x) as current_setting(x);
       create macro via_setting(x) as setting_of(x);
       create macro upper(x) as 'shadowed';
       create macro rows_of(n) as table select * from range(n);
       create macro lines_of(p) as table select * from read_text(p);
       create view v_plain as select id, plus_one(id) as next from t;
       create view v_builtin as select id, lower(name) as name from t;
       create view v_setting as select current_setting('threads') as threads;
       create view v_over_v as select * from v_setting;
       checkpoint;`,
    );
    off = await createConnector('duckdb', duckdbConfig(file));
    on = await createConnector('duckdb', duckdbConfig(file, { allowUserFunctions: true }));
  });

  afterAll(async () => {
    await off?.close();
    await on?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses every function the database defines while allowUserFunctions is off, a shadowed built-in included', async () => {
    for (const sql of ['SELECT plus_one(1)', 'SELECT (1).plus_one()', 'SELECT * FROM rows_of(2)', "SELECT upper('a')", 'SELECT * FROM v_plain']) {
      const err = await expectToolError(off.query(sql, [], DEFAULT_CAPS), 'NOT_READ_ONLY', sql);
      expect(err.message).toMatch(/allowUserFunctions/);
    }
    expect((await off.query('SELECT * FROM v_builtin', [], DEFAULT_CAPS)).rows).toEqual([[1, 'ada']]);
  });

  it('allows them when it is on, except those whose body calls a refused function', async () => {
    expect((await on.query('SELECT plus_one(1) AS a, twice(1) AS b, (5).plus_one() AS c', [], DEFAULT_CAPS)).rows).toEqual([[2, 2, 6]]);
    expect((await on.query('SELECT count(*) FROM rows_of(3)', [], DEFAULT_CAPS)).rows).toEqual([['3']]);
    expect((await on.query("SELECT upper('a')", [], DEFAULT_CAPS)).rows).toEqual([['shadowed']]);
    expect((await on.query('SELECT * FROM v_plain', [], DEFAULT_CAPS)).rows).toEqual([[1, 2]]);
    for (const sql of ["SELECT setting_of('threads')", "SELECT via_setting('threads')", "SELECT * FROM lines_of('/etc/hostname')", 'SELECT * FROM v_setting', 'SELECT * FROM v_over_v']) {
      const err = await expectToolError(on.query(sql, [], DEFAULT_CAPS), 'NOT_READ_ONLY', sql);
      expect(err.message).toMatch(/current_setting|read_text|refused/);
    }
  });
});

describe('duckdb guard: EXPLAIN and catalog reads', () => {
  it('answers a plain EXPLAIN in run_query with the plan rows, and refuses EXPLAIN ANALYZE', async () => {
    const r = await connector.query('EXPLAIN SELECT * FROM t', [], DEFAULT_CAPS);
    expect(r.columns.map((c) => c.name)).toEqual(['explain_key', 'explain_value']);
    expect(String(r.rows[0]?.[1])).toMatch(/SCAN/);
    const err = await expectToolError(connector.query('EXPLAIN ANALYZE SELECT * FROM t', [], DEFAULT_CAPS), 'NOT_READ_ONLY');
    expect(err.message).toMatch(/explain_query/);
    // explain_query takes either form.
    expect((await connector.explain('EXPLAIN SELECT * FROM t', [], { timeoutMs: 10_000 })).plan).toMatch(/SCAN/);
    expect((await connector.explain('SELECT * FROM t', [], { timeoutMs: 10_000 })).plan).toMatch(/SCAN/);
  });

  it('answers PRAGMA table_info, DESCRIBE, SHOW TABLES and SUMMARIZE, and refuses other PRAGMAs', async () => {
    const info = await connector.query("PRAGMA table_info('t')", [], DEFAULT_CAPS);
    expect(info.rows.map((r) => r[1])).toEqual(['h', 'u', 'd', 'ts', 'tz', 'dt', 'b', 'j', 'l', 's', 'm', 'e', 'f', 'uu']);
    expect((await connector.query('DESCRIBE t', [], DEFAULT_CAPS)).rows.length).toBe(14);
    expect((await connector.query('SHOW TABLES', [], DEFAULT_CAPS)).rows).toEqual([['t']]);
    expect((await connector.query('PRAGMA show_tables', [], DEFAULT_CAPS)).rows).toEqual([['t']]);
    expect((await connector.query('SUMMARIZE SELECT f FROM t', [], DEFAULT_CAPS)).rows.length).toBe(1);
    for (const sql of ['PRAGMA enable_profiling', 'PRAGMA database_list', "PRAGMA threads = 1", 'PRAGMA table_info']) {
      const err = await expectToolError(connector.query(sql, [], DEFAULT_CAPS), 'NOT_READ_ONLY', sql);
      expect(err.message).toMatch(/table_info/);
    }
  });
});
