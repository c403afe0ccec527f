/**
 * The PostgreSQL connector prepares each statement once per connection and reuses it by name
 * (src/connectors/postgres/statement.ts). What a user would check: the answers are the same as without
 * the cache, whatever happens to the tables and to the session's prepared statements meanwhile.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConnector } from '../../src/connectors/index.js';
import { PgSession } from '../../src/connectors/postgres/session.js';
import { CACHED_STATEMENT_NAMES, PREPARED_PER_CONNECTION } from '../../src/connectors/postgres/statement.js';
import type { Connector, QueryOptions } from '../../src/connectors/types.js';
import type { FixtureDatabase } from './fixture.js';
import { postgresFixture } from './fixtures/postgres.js';

const CAPS: QueryOptions = { maxRows: 500, maxBytes: 1024 * 1024, timeoutMs: 10_000 };
const up = await postgresFixture.available();

describe.skipIf(!up)('postgres: statements prepared once per connection', () => {
  let db: FixtureDatabase;
  let connector: Connector;
  let session: PgSession;

  beforeAll(async () => {
    db = await postgresFixture.create();
    await db.exec('create table shifting (a int); insert into shifting values (1), (2); create table plain (n int); insert into plain select generate_series(1, 10);');
    // One pooled connection each, so every call lands on the same session.
    connector = await createConnector('postgres', { ...db.config, poolMax: 1 });
    session = new PgSession({ ...db.config, poolMax: 1 });
  });
  afterAll(async () => {
    await connector?.close();
    await session?.close();
    await db?.destroy();
  });

  /** The session's prepared statements of the cache, as the server lists them. */
  async function cached(c: Connector | PgSession): Promise<string[]> {
    const r = await c.query('select statement from pg_prepared_statements where name ~ $1 order by statement', [CACHED_STATEMENT_NAMES], CAPS);
    return r.rows.map((row) => String(row[0]));
  }

  it('a repeated statement is prepared once on the connection and answers the same each time', async () => {
    const sql = 'select count(*) as n from plain where n > $1';
    for (let i = 0; i < 5; i++) {
      const r = await connector.query(sql, [i], CAPS);
      expect(r.rows).toEqual([[String(10 - i)]]);
    }
    const statements = await cached(connector);
    expect(statements.filter((s) => s === sql)).toHaveLength(1);
    expect(statements).toContain('BEGIN READ ONLY');
    expect(statements).toContain('ROLLBACK');
  });

  it('a table altered under SELECT * gives its new columns at once, not an error', async () => {
    expect((await connector.query('select * from shifting order by a', [], CAPS)).columns.map((c) => c.name)).toEqual(['a']);
    await db.exec("alter table shifting add column b text default 'x'");
    const after = await connector.query('select * from shifting order by a', [], CAPS);
    expect(after.columns.map((c) => c.name)).toEqual(['a', 'b']);
    expect(after.rows).toEqual([
      [1, 'x'],
      [2, 'x'],
    ]);
    await db.exec('alter table shifting drop column b');
    expect((await connector.query('select * from shifting order by a', [], CAPS)).rows).toEqual([[1], [2]]);
  });

  it(`keeps at most ${PREPARED_PER_CONNECTION} of the caller's statements, closing the least recently used`, async () => {
    for (let i = 0; i < PREPARED_PER_CONNECTION + 20; i++) {
      const r = await connector.query(`select ${i} as i`, [], CAPS);
      expect(r.rows).toEqual([[i]]);
    }
    const statements = await cached(connector);
    // The caller's statements (the listing itself among them) and the wrapper's: BEGIN, the call's
    // statement_timeout, ROLLBACK.
    expect(statements.length).toBeLessThanOrEqual(PREPARED_PER_CONNECTION + 3);
    expect(statements).not.toContain('select 0 as i');
    expect(statements).toContain(`select ${PREPARED_PER_CONNECTION + 19} as i`);
  });

  it('a failed statement leaves no name behind that a later call trips over', async () => {
    for (let i = 0; i < 3; i++) {
      await expect(connector.query('select * from no_such_table_here', [], CAPS)).rejects.toMatchObject({ code: 'QUERY_ERROR' });
      await expect(connector.query('select 1/$1::int as x', [0], CAPS)).rejects.toMatchObject({ code: 'QUERY_ERROR' });
      expect((await connector.query('select 1/$1::int as x', [1], CAPS)).rows).toEqual([[1]]);
    }
  });

  it('a session whose prepared statements vanish (DEALLOCATE ALL, as behind a pooler in transaction mode) still answers every call', async () => {
    // The session layer alone (no guard) runs DEALLOCATE, as another client of a pooled server session could.
    expect((await session.query('select 41 + 1 as x', [], CAPS)).rows).toEqual([[42]]);
    await session.query('DEALLOCATE ALL', [], CAPS);
    expect((await session.query('select 41 + 1 as x', [], CAPS)).rows).toEqual([[42]]);
    await session.query('DEALLOCATE ALL', [], CAPS);
    for (let i = 0; i < 3; i++) expect((await session.query('select $1::int * 2 as x', [i], CAPS)).rows).toEqual([[i * 2]]);
  });
});
