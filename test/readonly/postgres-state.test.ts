/**
 * PostgreSQL: no call can change what the next caller sees (issue #7). Calls share pooled connections, so
 * besides the database (readonly.test.ts, by checksum) this compares what a later call on the same pooled
 * connection would find — settings, prepared statements, cursors, LISTEN channels, temporary tables,
 * advisory locks held anywhere in the database, the random seed — before and after hostile statements.
 *
 * First, why it matters: the read-only session alone (no guard) lets a session-level advisory lock and a
 * prepared statement outlive the ROLLBACK that ends each call. Then the connector: with the guard every
 * such statement is refused; with `allowUserFunctions`, code defined in the database may run, and the
 * connection it ran on is closed instead of going back to the pool.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConnector } from '../../src/connectors/index.js';
import { PgSession } from '../../src/connectors/postgres/session.js';
import { CACHED_STATEMENT_NAMES as CACHED_NAMES } from '../../src/connectors/postgres/statement.js';
import type { Connector, QueryOptions } from '../../src/connectors/types.js';
import { isToolError } from '../../src/errors.js';
import type { FixtureDatabase } from '../connectors/fixture.js';
import { postgresFixture } from '../connectors/fixtures/postgres.js';
import { HOSTILE_SHARED } from './corpus.js';
import { HOSTILE_POSTGRES, SETUP_POSTGRES } from './corpus-postgres.js';

const CAPS: QueryOptions = { maxRows: 500, maxBytes: 1024 * 1024, timeoutMs: 10_000 };

/** What the next call on the same pooled connection sees of its session. */
const SESSION_STATE = `SELECT
  (SELECT count(*) FROM pg_catalog.pg_prepared_statements WHERE name !~ '${CACHED_NAMES}') AS prepared,
  (SELECT count(*) FROM pg_catalog.pg_cursors) AS cursors,
  (SELECT coalesce(string_agg(c, ',' ORDER BY c), '') FROM pg_catalog.pg_listening_channels() AS c) AS channels,
  (SELECT count(*) FROM pg_catalog.pg_class WHERE relpersistence = 't') AS temp_tables,
  (SELECT string_agg(name || '=' || setting, ',' ORDER BY name) FROM pg_catalog.pg_settings WHERE source NOT IN ('default', 'override')) AS settings,
  current_setting('search_path') AS search_path,
  current_user AS "user"`;

/** Advisory locks held in the database by any backend (a lock outlives its call only on its session). */
async function advisoryLocks(url: string, client?: pg.Client): Promise<number> {
  const c = client ?? new pg.Client({ connectionString: url });
  if (!client) await c.connect();
  try {
    const r = await c.query<{ n: string }>("select count(*) as n from pg_locks where locktype = 'advisory' and database = (select oid from pg_database where datname = current_database())");
    return Number(r.rows[0]!.n);
  } finally {
    if (!client) await c.end();
  }
}

const up = await postgresFixture.available();

describe.skipIf(!up)('postgres: what outlives a call on the read-only session alone (no guard)', () => {
  let db: FixtureDatabase;
  let session: PgSession;

  beforeAll(async () => {
    db = await postgresFixture.create();
    await db.exec(SETUP_POSTGRES);
    session = new PgSession({ ...db.config, poolMax: 1 });
  });
  afterAll(async () => {
    await session?.close();
    await db?.destroy();
  });

  it('a session advisory lock and a prepared statement survive the ROLLBACK: why the guard refuses them', async () => {
    await session.query('SELECT pg_advisory_lock(4242)', [], CAPS);
    expect(await advisoryLocks(db.config.url)).toBe(1);
    await session.query('PREPARE leftover AS SELECT 1', [], CAPS);
    const r = await session.query('SELECT name FROM pg_prepared_statements WHERE name !~ $1', [CACHED_NAMES], CAPS);
    expect(r.rows).toEqual([['leftover']]);
  });
});

describe.skipIf(!up)('postgres: no call changes what the next caller sees', () => {
  let db: FixtureDatabase;
  let guarded: Connector;
  let permissive: Connector;

  beforeAll(async () => {
    db = await postgresFixture.create();
    await db.exec(SETUP_POSTGRES);
    // One connection each, so that whatever a call leaves on its session is there for the next call.
    guarded = await createConnector('postgres', { ...db.config, poolMax: 1 });
    permissive = await createConnector('postgres', { ...db.config, poolMax: 1, allowUserFunctions: true });
  });
  afterAll(async () => {
    await guarded?.close();
    await permissive?.close();
    await db?.destroy();
  });

  const state = async (c: Connector) => (await c.query(SESSION_STATE, [], CAPS)).rows;

  it('the whole hostile corpus, run on one pooled connection, leaves its session and the database as they were', async () => {
    const before = await state(guarded);
    const watcher = new pg.Client({ connectionString: db.config.url });
    await watcher.connect();
    let answered = 0;
    for (const c of [...HOSTILE_SHARED.filter((x) => !x.engines || x.engines.includes('postgres')), ...HOSTILE_POSTGRES]) {
      try {
        await guarded.query(c.sql, c.params ?? [], CAPS);
        answered++;
      } catch (err) {
        if (!isToolError(err)) throw err;
      }
      expect(await advisoryLocks(db.config.url, watcher), c.sql).toBe(0);
    }
    await watcher.end();
    expect(answered).toBe(0);
    expect(await state(guarded)).toEqual(before);
  }, 600_000);

  it.each([
    ['SELECT sneaky_lock()', 'a user function taking a session advisory lock'],
    ['SELECT 1 ### 2', 'a user operator whose function takes a lock'],
    ['SELECT 1::evil_dom', 'a domain whose CHECK takes a lock'],
    ['SELECT 1::evil_t', 'a user cast taking a lock'],
    ['SELECT c.leak FROM customers c', 'functional notation running a user function'],
  ])('with allowUserFunctions, %s (%s) runs, and the next call finds no lock and a fresh session', async (sql) => {
    const pid = async () => (await permissive.query('SELECT pg_backend_pid()', [], CAPS)).rows[0]![0];
    const before = await state(permissive);
    const first = await pid();
    expect(await pid(), 'a read of built-ins keeps its pooled connection').toBe(first);
    await permissive.query(sql, [], CAPS);
    expect(await advisoryLocks(db.config.url), sql).toBe(0);
    expect(await pid(), 'the connection that ran user code was not reused').not.toBe(first);
    expect(await state(permissive)).toEqual(before);
  });

  it('with allowUserFunctions, a user function that sets the random seed does not make the next call predictable', async () => {
    await permissive.query('SELECT random_seed()', [], CAPS);
    const next = (await permissive.query('SELECT random()', [], CAPS)).rows[0]![0];
    // setseed(0.5) then random() gives the same first value every time; a fresh session does not.
    const seeded = (await permissive.query('SELECT random_seed(), random()', [], CAPS)).rows[0]![1];
    expect(next).not.toBe(seeded);
  });
});
