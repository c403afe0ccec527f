/**
 * The hostile read-only corpus, run through every engine's connector while it is connected as the most
 * privileged user: each hostile statement must be refused with the expected code — through `query` and
 * `explain` — and the database's checksum must not move; each legitimate read must succeed.
 *
 * Then, for PostgreSQL, the session layer alone (no guard): writes reach the server and the read-only
 * transaction refuses them, including after statements that try to switch read-only off for later calls.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConnector } from '../../src/connectors/index.js';
import { PgSession } from '../../src/connectors/postgres/session.js';
import type { Connector, QueryOptions } from '../../src/connectors/types.js';
import { isToolError } from '../../src/errors.js';
import { expectToolError } from '../connectors/conformance.js';
import type { EngineFixture, FixtureDatabase } from '../connectors/fixture.js';
import { postgresFixture } from '../connectors/fixtures/postgres.js';
import { HOSTILE_SHARED, LEGIT_SHARED, type HostileCase, type LegitCase } from './corpus.js';
import { HOSTILE_POSTGRES, LEGIT_POSTGRES, SETUP_POSTGRES } from './corpus-postgres.js';
import { HOSTILE_SQLITE, LEGIT_SQLITE, SETUP_SQLITE } from './corpus-sqlite.js';
import { sqliteFixture } from '../connectors/fixtures/sqlite.js';
import { duckdbFixture } from '../connectors/fixtures/duckdb.js';
import { HOSTILE_DUCKDB, LEGIT_DUCKDB, SETUP_DUCKDB } from './corpus-duckdb.js';
import { mysqlFixture } from '../connectors/fixtures/mysql.js';
import { HOSTILE_MYSQL, LEGIT_MYSQL, SETUP_MYSQL } from './corpus-mysql.js';

interface EngineCorpus {
  fixture: EngineFixture;
  /** The engine's own cases (corpus-<engine>.ts); the shared ones are added here. */
  hostile: HostileCase[];
  legit: LegitCase[];
  /** SQL run with the raw driver before the checksum is taken (objects the engine's cases need). */
  setup?: string;
}

// ─── Engines under test ──────────────────────────────────────────────────────────────────────────────
// Each engine's helper appends one entry: its fixture (test/connectors/fixtures/<engine>.ts) and its
// corpus (test/readonly/corpus-<engine>.ts).
const ENGINE_CORPORA: EngineCorpus[] = [
  { fixture: postgresFixture, hostile: HOSTILE_POSTGRES, legit: LEGIT_POSTGRES, setup: SETUP_POSTGRES },
  { fixture: sqliteFixture, hostile: HOSTILE_SQLITE, legit: LEGIT_SQLITE, setup: SETUP_SQLITE },
  { fixture: duckdbFixture, hostile: HOSTILE_DUCKDB, legit: LEGIT_DUCKDB, setup: SETUP_DUCKDB },
  { fixture: mysqlFixture, hostile: HOSTILE_MYSQL, legit: LEGIT_MYSQL, setup: SETUP_MYSQL },
];
// ─────────────────────────────────────────────────────────────────────────────────────────────────────

const CAPS: QueryOptions = { maxRows: 50, maxBytes: 256 * 1024, timeoutMs: 10_000 };

const applies = (c: { engines?: string[] }, engine: string) => !c.engines || c.engines.includes(engine);

for (const corpus of ENGINE_CORPORA) {
  const { fixture } = corpus;
  const engine = fixture.engine;
  const hostile = [...HOSTILE_SHARED.filter((c) => applies(c, engine)), ...corpus.hostile];
  const legit = [...LEGIT_SHARED.filter((c) => applies(c, engine)), ...corpus.legit];
  const up = await fixture.available();

  describe.skipIf(!up)(`read-only corpus: ${engine}, connected as its most privileged user`, () => {
    let db: FixtureDatabase;
    let connector: Connector;
    let baseline: string;

    beforeAll(async () => {
      db = await fixture.create();
      if (corpus.setup) await db.exec(corpus.setup);
      connector = await createConnector(engine, db.config);
      baseline = await db.checksum();
    });

    afterAll(async () => {
      await connector?.close();
      await db?.destroy();
    });

    it(`has at least 50 hostile and 15 legitimate cases (${hostile.length} / ${legit.length})`, () => {
      expect(hostile.length).toBeGreaterThanOrEqual(50);
      expect(legit.length).toBeGreaterThanOrEqual(15);
    });

    it.each(hostile.map((c) => [c.why, c] as const))('refuses %s', async (_why, c) => {
      const codes = c.expect ?? 'NOT_READ_ONLY';
      await expectToolError(connector.query(c.sql, c.params ?? [], CAPS), codes, `query: ${c.sql}`);
      if (c.explain !== false) {
        await expectToolError(connector.explain(c.sql, c.params ?? [], { timeoutMs: CAPS.timeoutMs }), codes, `explain: ${c.sql}`);
      }
      expect(await db.checksum(), `the database changed after: ${c.sql}`).toBe(baseline);
    });

    it.each(legit.map((c) => [c.why, c] as const))('allows %s', async (_why, c) => {
      let result;
      try {
        result = await connector.query(c.sql, c.params ?? [], CAPS);
      } catch (err) {
        throw new Error(`legitimate read refused: ${c.sql}\n  ${isToolError(err) ? `${err.code}: ${err.message}` : String(err)}`);
      }
      expect(Array.isArray(result.rows)).toBe(true);
      expect(result.columns.length).toBeGreaterThan(0);
      expect(() => JSON.stringify(result)).not.toThrow();
    });

    it('left the database exactly as it was', async () => {
      expect(await db.checksum()).toBe(baseline);
    });
  });
}

const pgUp = await postgresFixture.available();

describe.skipIf(!pgUp)('postgres: the read-only session holds without the guard', () => {
  let db: FixtureDatabase;
  let session: PgSession;
  let baseline: string;

  beforeAll(async () => {
    db = await postgresFixture.create();
    await db.exec(SETUP_POSTGRES);
    // One connection, so that whatever a statement leaves behind is there for the next call.
    session = new PgSession({ ...db.config, poolMax: 1 });
    baseline = await db.checksum();
  });

  afterAll(async () => {
    await session?.close();
    await db?.destroy();
  });

  const refused = (sql: string) => expectToolError(session.query(sql, [], CAPS), ['NOT_READ_ONLY', 'QUERY_ERROR', 'SYNTAX_ERROR'], sql);

  it.each([
    "INSERT INTO customers (id, name) VALUES (99, 'Mallory')",
    "UPDATE customers SET name = 'pwned'",
    'DELETE FROM orders',
    'TRUNCATE orders',
    'DROP TABLE numbers',
    'CREATE TABLE evil (id integer)',
    'ALTER TABLE customers ADD COLUMN evil integer',
    'SELECT * INTO stolen FROM customers',
    'WITH x AS (DELETE FROM customers RETURNING *) SELECT * FROM x',
    "SELECT nextval('evil_seq')",
    "SELECT setval('evil_seq', 1000)",
    'SELECT sneaky_write()',
    'SELECT * FROM v_nextval',
    'CALL sneaky_proc()',
    'DO $$ BEGIN DELETE FROM customers; END $$',
    "COPY customers FROM PROGRAM 'echo 9,x,,'",
    'CREATE ROLE evil',
    'GRANT ALL ON customers TO PUBLIC',
    "COMMENT ON TABLE customers IS 'pwned'",
    'REFRESH MATERIALIZED VIEW mv_totals',
  ])('the server refuses %s (25006)', async (sql) => {
    const err = await refused(sql);
    expect(err.code, `${sql}: ${err.message}`).toBe('NOT_READ_ONLY');
    expect(await db.checksum()).toBe(baseline);
  });

  // The server lets these run inside a read-only transaction; the ROLLBACK that ends every call undoes
  // them. (This is why the guard refuses them anyway: a layer must not rely on the next one.)
  it.each(["SELECT lo_from_bytea(0, '\\x00')", 'ANALYZE customers', "SELECT pg_notify('ch', 'x')"])(
    'the server runs %s, and the rollback leaves nothing behind',
    async (sql) => {
      await session.query(sql, [], CAPS);
      expect(await db.checksum()).toBe(baseline);
    },
  );

  it('refuses a second statement at the protocol level (one statement per Parse)', async () => {
    const err = await refused('SELECT 1; DELETE FROM orders');
    expect(err.message).toMatch(/multiple commands/);
    expect(await db.checksum()).toBe(baseline);
  });

  it('refuses SET TRANSACTION READ WRITE once the transaction has taken its snapshot', async () => {
    const err = await refused('SET TRANSACTION READ WRITE');
    expect(err.message).toMatch(/before any query/);
  });

  it.each([
    'SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE',
    'SET default_transaction_read_only = off',
    "SELECT set_config('default_transaction_read_only', 'off', false)",
    'COMMIT',
    'BEGIN',
    'START TRANSACTION READ WRITE',
    'RESET ALL',
  ])('after %s, the next call is still read-only', async (sql) => {
    // Whatever the statement does (some succeed, some are refused), it must not outlive its call.
    try {
      await session.query(sql, [], CAPS);
    } catch (err) {
      if (!isToolError(err)) throw err;
    }
    const show = await session.query('SHOW default_transaction_read_only', [], CAPS);
    expect(show.rows).toEqual([['on']]);
    const err = await refused("INSERT INTO customers (id, name) VALUES (98, 'Mallory')");
    expect(err.code).toBe('NOT_READ_ONLY');
    expect(await db.checksum()).toBe(baseline);
  });
});
