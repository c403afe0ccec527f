/**
 * One tool set over every engine: the same standard dataset in PostgreSQL, MySQL/MariaDB, SQLite and
 * DuckDB, each added as a source, answers every tool with the same shape through the official MCP client.
 */
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineFixture, FixtureDatabase } from '../connectors/fixture.js';
import { duckdbFixture } from '../connectors/fixtures/duckdb.js';
import { mysqlFixture } from '../connectors/fixtures/mysql.js';
import { postgresFixture } from '../connectors/fixtures/postgres.js';
import { sqliteFixture } from '../connectors/fixtures/sqlite.js';
import { connectClient, startTestServer, type TestServer } from '../helpers/server.js';

const FIXTURES: EngineFixture[] = [postgresFixture, mysqlFixture, sqliteFixture, duckdbFixture];

let ts: TestServer;
let client: Client;
const dbs: FixtureDatabase[] = [];
const engines: string[] = [];

beforeAll(async () => {
  ts = await startTestServer({ demo: false });
  for (const f of FIXTURES) {
    if (!(await f.available())) continue;
    const db = await f.create();
    dbs.push(db);
    engines.push(f.engine);
    await ts.source('acme', { name: `std-${f.engine}`, engine: f.engine, url: db.config.url, password: db.config.password });
  }
  client = await connectClient(ts.mcpUrl, (await ts.key('acme')).key, 'modern');
}, 120_000);

afterAll(async () => {
  await client?.close();
  await ts?.close();
  for (const db of dbs) await db.destroy();
});

type R = { isError?: boolean; structuredContent: Record<string, unknown> };
const call = async (name: string, args: Record<string, unknown>) => (await client.callTool({ name, arguments: args })) as R;
const shape = (v: unknown): unknown =>
  Array.isArray(v) ? 'array' : v !== null && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, shape((v as Record<string, unknown>)[k])])) : typeof v;

describe('the same tools over every engine', () => {
  it('lists every engine as a source', async () => {
    const r = await call('list_sources', {});
    expect((r.structuredContent.sources as Array<{ engine: string }>).map((s) => s.engine).sort()).toEqual([...engines].sort());
  });

  it('answers search_schema, describe_table, run_query and explain_query with one shape', async () => {
    const shapes = new Map<string, unknown[]>();
    for (const engine of engines) {
      const source = `std-${engine}`;
      const search = await call('search_schema', { source, pattern: 'orders', object_type: 'table', detail: 'summary' });
      const described = await call('describe_table', { source, table: 'orders' });
      const rows = await call('run_query', { source, sql: 'SELECT status, COUNT(*) AS n FROM orders GROUP BY status ORDER BY status' });
      const plan = await call('explain_query', { source, sql: 'SELECT * FROM orders WHERE customer_id = 1' });
      for (const r of [search, described, rows, plan]) expect(r.isError, `${engine}: ${JSON.stringify(r.structuredContent)}`).toBeFalsy();
      expect((search.structuredContent.objects as Array<{ name: string }>).map((o) => o.name)).toEqual(['orders']);
      const table = described.structuredContent.table as { columns: Array<{ name: string; primary_key: boolean; references: string | null }> };
      expect(table.columns.map((c) => c.name)).toEqual(['id', 'customer_id', 'total', 'status', 'placed_at']);
      expect(table.columns.find((c) => c.name === 'customer_id')?.references).toMatch(/customers\.id$/);
      expect((rows.structuredContent.rows as unknown[][]).map((r) => [r[0], Number(r[1])])).toEqual([
        ['cancelled', 1],
        ['paid', 3],
        ['shipped', 1],
      ]);
      expect(String(plan.structuredContent.plan).length).toBeGreaterThan(0);
      const s = [search, described, rows, plan].map((r) => shape({ ...r.structuredContent, elapsed_ms: undefined }));
      shapes.set(engine, s);
    }
    const [first, ...rest] = [...shapes.values()];
    for (const other of rest) expect(other).toEqual(first);
  });

  it('refuses the same write everywhere with the same code', async () => {
    for (const engine of engines) {
      const r = await call('run_query', { source: `std-${engine}`, sql: 'DELETE FROM orders' });
      expect(r.structuredContent, engine).toMatchObject({ error: { code: 'NOT_READ_ONLY' } });
    }
  });
});
