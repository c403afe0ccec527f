/**
 * A schema of 5,000 tables: search_schema pages through names, summaries and details in few bytes per
 * object, and describe_table answers from the cached catalog. Timings are printed (the benchmark is where
 * speed is judged); the bounds here only catch pathological behaviour.
 */
import type { Client } from '@modelcontextprotocol/client';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, startTestServer, type TestServer } from '../helpers/server.js';
import { createTempPgDatabase, requireService, type TempDatabase } from '../helpers/services.js';

const pgUp = await requireService('postgres', 'search_schema over 5,000 tables');

let ts: TestServer;
let db: TempDatabase;
let client: Client;
const TABLES = 5000;

beforeAll(async () => {
  if (!pgUp) return;
  db = await createTempPgDatabase('sequel_scale');
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  try {
    // In batches: one transaction creating thousands of tables would exhaust the shared lock table.
    for (let from = 1; from <= TABLES; from += 250) {
      await c.query(`do $$ begin
        for i in ${from}..${Math.min(from + 249, TABLES)} loop
          execute format('create table %I (id bigint primary key, customer_id bigint not null, amount numeric(12,2), note text, created_at timestamptz default now())', 't_' || lpad(i::text, 5, '0'));
        end loop; end $$`);
    }
    await c.query(`comment on table t_04242 is 'The table everyone is looking for'`);
  } finally {
    await c.end();
  }
  ts = await startTestServer({ demo: false });
  await ts.source('acme', { name: 'wide', engine: 'postgres', url: db.url });
  client = await connectClient(ts.mcpUrl, (await ts.key('acme')).key);
}, 300_000);

afterAll(async () => {
  await client?.close();
  await ts?.close();
  await db?.drop();
});

type R = {
  isError?: boolean;
  structuredContent: { objects: Array<Record<string, unknown>>; schemas: Array<{ tables?: string[] }>; total: number; next_cursor: string | null };
};
const tableNames = (r: R) => r.structuredContent.schemas.flatMap((g) => g.tables ?? []);
async function search(args: Record<string, unknown>) {
  const started = performance.now();
  const r = (await client.callTool({ name: 'search_schema', arguments: args })) as R;
  const ms = performance.now() - started;
  expect(r.isError).toBeFalsy();
  return { r, ms, bytes: Buffer.byteLength(JSON.stringify(r)) };
}

describe.skipIf(!pgUp)('5,000 tables', () => {
  it('pages through every table name in few bytes per object', async () => {
    const first = await search({ source: 'wide', object_type: 'table', limit: 500 });
    console.log(`search_schema first page (cold catalog): ${first.ms.toFixed(0)} ms`);
    expect(first.r.structuredContent.total).toBe(TABLES);
    let cursor = first.r.structuredContent.next_cursor;
    let seen = tableNames(first.r).length;
    const times: number[] = [];
    let bytes = first.bytes;
    while (cursor) {
      const page = await search({ source: 'wide', object_type: 'table', limit: 500, cursor });
      times.push(page.ms);
      bytes += page.bytes;
      seen += tableNames(page.r).length;
      cursor = page.r.structuredContent.next_cursor;
    }
    expect(seen).toBe(TABLES);
    const perObject = bytes / TABLES;
    console.log(`search_schema names: ${perObject.toFixed(0)} bytes/object (structured + text), warm page p50 ${times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!.toFixed(1)} ms`);
    expect(perObject).toBeLessThan(30);
  });

  it('finds one table among 5,000 by its comment, with a summary, then a full description', async () => {
    const found = await search({ source: 'wide', pattern: 'everyone is looking', detail: 'summary' });
    expect(found.r.structuredContent.objects.map((o) => o.name)).toEqual(['t_04242']);
    expect(String(found.r.structuredContent.objects[0]!.columns)).toContain('customer_id bigint');
    const summary = await search({ source: 'wide', pattern: 't_049%', object_type: 'table', detail: 'summary', limit: 100 });
    expect(summary.r.structuredContent.total).toBe(100);
    console.log(`search_schema summary: ${(summary.bytes / 100).toFixed(0)} bytes/object, ${summary.ms.toFixed(1)} ms`);
    const full = await search({ source: 'wide', pattern: 't_0499%', object_type: 'table', detail: 'full' });
    expect(full.r.structuredContent.total).toBe(10);
    console.log(`search_schema full: ${(full.bytes / 10).toFixed(0)} bytes/object, ${full.ms.toFixed(1)} ms`);
    const started = performance.now();
    const d = (await client.callTool({ name: 'describe_table', arguments: { source: 'wide', table: 'public.t_04999' } })) as { structuredContent: { table: { columns: unknown[] } } };
    const ms = performance.now() - started;
    console.log(`describe_table on 5,000 tables: ${ms.toFixed(1)} ms`);
    expect(d.structuredContent.table.columns).toHaveLength(5);
  });
});
