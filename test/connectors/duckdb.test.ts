/**
 * The DuckDB connector: the shared conformance suite, then DuckDB's own — exact HUGEINT/DECIMAL, times
 * with zones, blobs, JSON, lists, structs, maps and enums; CSV and Parquet files (and globs) served as
 * read-only views with nothing else of the file system reachable; interruption of a long statement.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { duckdbTarget, viewName } from '../../src/connectors/duckdb/index.js';
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
    expect(took).toBeLessThan(5_000);
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
