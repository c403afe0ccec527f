/**
 * The embedded default as a newcomer meets it: a fresh data directory, the default organization with the
 * bundled demo source, a key, and the official MCP SDK client running an aggregate on the demo data.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, startTestServer, type TestServer } from '../helpers/server.js';

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer();
});
afterAll(async () => {
  await ts?.close();
});

describe('embedded default with the demo source', () => {
  it('lists the demo source and answers an aggregate question over it', async () => {
    const { key } = await ts.key('default');
    const client = await connectClient(ts.mcpUrl, key, 'modern');
    const sources = (await client.callTool({ name: 'list_sources', arguments: {} })) as { structuredContent: { sources: Array<{ name: string; engine: string }> } };
    expect(sources.structuredContent.sources).toEqual([expect.objectContaining({ name: 'demo', engine: 'sqlite' })]);

    const described = (await client.callTool({ name: 'describe_table', arguments: { source: 'demo', table: 'orders' } })) as {
      structuredContent: { table: { description: string | null; columns: Array<{ name: string; description: string | null }> } };
    };
    expect(described.structuredContent.table.description).toBeTruthy();
    expect(described.structuredContent.table.columns.some((c) => /cents/i.test(c.description ?? ''))).toBe(true);

    const r = (await client.callTool({
      name: 'run_query',
      arguments: {
        source: 'demo',
        sql: `select c.country, count(distinct o.order_id) as orders, sum(o.total_cents) / 100.0 as revenue_usd
                from orders o join customers c on c.customer_id = o.customer_id
               where o.status in ('paid', 'shipped', 'delivered')
               group by c.country order by revenue_usd desc limit 5`,
      },
    })) as { isError?: boolean; structuredContent: { rows: unknown[][]; row_count: number; truncated: boolean } };
    expect(r.isError).toBeFalsy();
    expect(r.structuredContent.row_count).toBe(5);
    expect(r.structuredContent.truncated).toBe(false);
    const revenues = r.structuredContent.rows.map((row) => Number(row[2]));
    expect([...revenues].sort((a, b) => b - a)).toEqual(revenues);
    expect(revenues[0]).toBeGreaterThan(1000);
    await client.close();
  });
});
