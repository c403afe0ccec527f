/**
 * DuckDB: no call can change what the next caller sees (issue #7). The embedded instance is shared by
 * every caller of a source, so besides the database file (readonly.test.ts) this compares the instance's
 * observable state — every setting, the attached databases, the catalog, the log — before and after each
 * hostile statement, and probes that parsing and comments still behave.
 *
 * First, what DuckDB's configuration lock covers, statement by statement, on an instance opened exactly
 * as the connector opens it but with no guard in front; then the backstop: when the instance's watched
 * settings move anyway, the next call retires the instance and runs on a fresh one.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DuckDbConnector, WATCHED_SETTINGS } from '../../src/connectors/duckdb/index.js';
import type { QueryOptions } from '../../src/connectors/types.js';
import { expectToolError } from '../connectors/conformance.js';
import type { FixtureDatabase } from '../connectors/fixture.js';
import { duckdbFixture } from '../connectors/fixtures/duckdb.js';
import { HOSTILE_SHARED } from './corpus.js';
import { HOSTILE_DUCKDB, SETUP_DUCKDB } from './corpus-duckdb.js';

const CAPS: QueryOptions = { maxRows: 50, maxBytes: 256 * 1024, timeoutMs: 10_000 };

/** The connector, with a door to the instance its next caller will get. */
class Inspectable extends DuckDbConnector {
  raw<T>(work: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    return this.unguarded(work);
  }
}

type Rows = Array<Record<string, unknown>>;
const rows = async (c: DuckDBConnection, sql: string): Promise<Rows> => (await c.runAndReadAll(sql)).getRowObjectsJson() as Rows;

/**
 * What a new caller would find on the instance, read on a connection of its own. (Not duckdb_secrets():
 * reading it with external access disabled leaves the secrets manager half-initialised for good.)
 */
async function instanceState(c: DuckDBConnection, withFunctions = false): Promise<Record<string, unknown>> {
  return {
    settings: Object.fromEntries((await rows(c, 'select name, value from duckdb_settings() order by name')).map((r) => [r.name, r.value])),
    databases: await rows(c, 'select database_name, path, readonly, type from duckdb_databases() order by 1'),
    schemas: await rows(c, 'select database_name, schema_name from duckdb_schemas() order by all'),
    tables: await rows(c, 'select database_name, schema_name, table_name, temporary from duckdb_tables() order by all'),
    views: await rows(c, 'select database_name, schema_name, view_name, temporary from duckdb_views() where not internal order by all'),
    // duckdb_functions() builds ~3,000 rows (about 100 ms): compared after the whole corpus, and in the lock tests.
    functions: withFunctions ? await rows(c, "select database_name, schema_name, function_name, function_type from duckdb_functions() where database_name <> 'system' order by all") : null,
    sequences: await rows(c, 'select sequence_name, last_value from duckdb_sequences() order by all'),
    types: await rows(c, "select type_name from duckdb_types() where database_name <> 'system' order by all"),
    logs: await rows(c, 'select count(*) as n from duckdb_logs()'),
    variables: await rows(c, 'select name from duckdb_variables()'),
    prepared: await rows(c, 'select name from duckdb_prepared_statements()'),
  };
}

function changedSettings(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  const b = before.settings as Record<string, unknown>;
  const a = after.settings as Record<string, unknown>;
  return Object.keys({ ...a, ...b }).filter((k) => b[k] !== a[k]);
}

describe('duckdb: what the configuration lock covers (no guard)', () => {
  let db: FixtureDatabase;
  let connector: Inspectable;

  beforeAll(async () => {
    db = await duckdbFixture.create();
    await db.exec(SETUP_DUCKDB);
  });
  afterAll(() => db?.destroy());
  beforeEach(() => {
    connector = new Inspectable(db.config);
  });
  afterEach(() => connector?.close());

  // The lock stops SET/RESET of settings, local or global.
  it.each(['SET threads = 1', 'SET GLOBAL enable_external_access = true', "SET SESSION default_null_order = 'nulls_first'", 'RESET lock_configuration', 'SET enable_progress_bar = true'])(
    'the lock refuses %s',
    async (sql) => {
      await connector.raw(async (c) => {
        await expect(c.run(sql)).rejects.toThrow(/configuration has been locked|Can only SET or RESET/);
      });
    },
  );

  // It does not stop table functions that change the whole instance: every later caller would see them.
  // (enable_logging(storage := 'file', …) is left out on purpose: with external access disabled it
  // throws from DuckDB's log writer thread and aborts the whole process.)
  it.each([
    ['SELECT * FROM enable_logging()', ['enable_logging']],
    ["SELECT * FROM enable_logging(level := 'trace', storage := 'memory')", ['enable_logging', 'logging_level']],
    ['SELECT * FROM enable_peg_parser()', ['allow_parser_override_extension']],
  ] as const)('the lock does not stop %s, which changes the instance for every caller', async (sql, settings) => {
    const before = await connector.raw(instanceState);
    await connector.raw((c) => c.run(sql));
    const after = await connector.raw(instanceState);
    expect(changedSettings(before, after)).toEqual(expect.arrayContaining([...settings]));
    // The connector reads these with every statement, and replaces an instance on which they moved.
    expect(settings.some((name) => (WATCHED_SETTINGS as readonly string[]).includes(name))).toBe(true);
  });

  it('under the PEG parser DuckDB reads nested comments differently: what the guard relied on no longer holds', async () => {
    const nested = '/* /* */ SELECT */ SELECT 42 AS x';
    await connector.raw(async (c) => expect((await c.runAndReadAll(nested)).getRows()).toEqual([[42]]));
    await connector.raw((c) => c.run('SELECT * FROM enable_peg_parser()'));
    await connector.raw(async (c) => {
      await expect(c.runAndReadAll(nested)).rejects.toThrow(/syntax error/i);
    });
  });

  // Nor what changes one connection only: harmless once each call has a connection of its own.
  it.each([
    ['SELECT * FROM enable_profiling()', 'enable_profiling'],
    ['PRAGMA enable_profiling', 'enable_profiling'],
    ['PRAGMA enable_progress_bar', 'enable_progress_bar'],
    ["SET SESSION search_path = 'main'", 'search_path'],
    ["SET schema = 'main'", 'search_path'],
    ['USE fixture', 'search_path'],
    ['SET VARIABLE v = 1', null],
    ['CREATE TEMP TABLE scratch AS SELECT 1 AS x', null],
    ['CREATE TEMP MACRO tm(x) AS x', null],
    ['PREPARE p AS SELECT 1', null],
  ] as const)('the lock does not stop %s, which changes its own connection only', async (sql, setting) => {
    const before = await connector.raw((c) => instanceState(c, true));
    const own = await connector.raw(async (c) => {
      const mine = await instanceState(c, true);
      await c.run(sql);
      return [mine, await instanceState(c, true)] as const;
    });
    // Visible on the connection that ran it…
    if (setting) expect(changedSettings(own[0], own[1])).toContain(setting);
    else expect(own[1]).not.toEqual(own[0]);
    // …and on no other.
    expect(await connector.raw((c) => instanceState(c, true))).toEqual(before);
  });

  it('the lock does not stop setseed(), whose seed stays with its connection', async () => {
    const seeded = () =>
      connector.raw(async (c) => {
        await c.run('SELECT setseed(0.5)');
        return (await c.runAndReadAll('SELECT random()')).getRows()[0]?.[0];
      });
    const first = await seeded();
    expect(await seeded()).toBe(first);
    expect(await connector.raw(async (c) => (await c.runAndReadAll('SELECT random()')).getRows()[0]?.[0])).not.toBe(first);
  });
});

const hostile = [...HOSTILE_SHARED.filter((c) => !c.engines || c.engines.includes('duckdb')), ...HOSTILE_DUCKDB];

describe('duckdb: no hostile statement changes what the next caller sees', () => {
  let db: FixtureDatabase;
  let connector: Inspectable;
  let baseline: Record<string, unknown>;
  let fullBaseline: Record<string, unknown>;
  let checksum: string;
  let generation: number;

  beforeAll(async () => {
    db = await duckdbFixture.create();
    await db.exec(SETUP_DUCKDB);
    connector = new Inspectable(db.config);
    baseline = await connector.raw(instanceState);
    fullBaseline = await connector.raw((c) => instanceState(c, true));
    checksum = await db.checksum();
    generation = connector.generation;
  });

  afterAll(async () => {
    await connector?.close();
    await db?.destroy();
  });

  it.each(hostile.map((c) => [c.why, c] as const))('after %s', async (_why, c) => {
    await expectToolError(connector.query(c.sql, c.params ?? [], CAPS), c.expect ?? 'NOT_READ_ONLY', c.sql);
    expect(await connector.raw(instanceState), `the instance changed after: ${c.sql}`).toEqual(baseline);
    // Parsing and comments behave as before: DuckDB's nested comments, and a command behind one refused.
    expect((await connector.query('SELECT 42 AS x /* /* nested */ still a comment */ -- trailing', [], CAPS)).rows).toEqual([[42]]);
    await expectToolError(connector.query('/* /* */ SELECT */ SET threads = 1', [], CAPS), 'NOT_READ_ONLY', 'the comment probe');
    // The guard stopped it: the instance never had to be replaced.
    expect(connector.generation).toBe(generation);
  });

  it('left the instance, its catalog of functions included, and the database file exactly as they were', async () => {
    expect(await connector.raw((c) => instanceState(c, true))).toEqual(fullBaseline);
    expect(await db.checksum()).toBe(checksum);
  });
});

describe('duckdb: the session catches what a missed statement would leave behind', () => {
  let db: FixtureDatabase;
  let connector: Inspectable;

  beforeAll(async () => {
    db = await duckdbFixture.create();
  });
  afterAll(() => db?.destroy());
  beforeEach(() => {
    connector = new Inspectable(db.config);
  });
  afterEach(() => connector?.close());

  it('gives every call a connection of its own', async () => {
    const ids = new Set<unknown>();
    for (let i = 0; i < 3; i++) ids.add((await connector.query('SELECT current_connection_id() AS id', [], CAPS)).rows[0]?.[0]);
    expect(ids.size).toBe(3);
  });

  it.each([
    'SELECT * FROM enable_peg_parser()',
    'SELECT * FROM enable_logging()',
    "SELECT * FROM enable_logging(level := 'debug', storage := 'memory')",
  ])('after %s ran unguarded, the next call retires the instance and runs on a clean one', async (sql) => {
    const clean = await connector.raw(instanceState);
    const first = connector.generation;
    await connector.raw((c) => c.run(sql));
    expect(changedSettings(clean, await connector.raw(instanceState)).length).toBeGreaterThan(0);

    // The nested-comment read and the refusal behind a comment behave as on a clean instance.
    expect((await connector.query('/* /* */ SELECT */ SELECT 42 AS x', [], CAPS)).rows).toEqual([[42]]);
    expect(connector.generation).toBe(first + 1);
    await expectToolError(connector.query('/* /* */ SELECT */ SET threads = 1', [], CAPS), 'NOT_READ_ONLY', 'behind a nested comment');
    expect(await connector.raw(instanceState)).toEqual(clean);
  });
});
