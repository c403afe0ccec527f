/**
 * Sources that are down or silent, seen through MCP: list_sources still answers promptly with each
 * source's status, a call to a down source answers SOURCE_UNAVAILABLE within its connect timeout, and the
 * other sources keep answering meanwhile.
 */
import net from 'node:net';
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, startTestServer, type TestServer } from '../helpers/server.js';
import { makeShopFile } from '../helpers/sqliteFile.js';

let ts: TestServer;
let client: Client;
let blackHole: net.Server;
const sockets = new Set<net.Socket>();

beforeAll(async () => {
  // Accepts connections and never says a word: the worst kind of down.
  blackHole = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => blackHole.listen(0, '127.0.0.1', r));
  const port = (blackHole.address() as net.AddressInfo).port;
  ts = await startTestServer({ demo: false });
  await ts.source('acme', { name: 'shop', engine: 'sqlite', url: makeShopFile(10) });
  await ts.source('acme', { name: 'refused', engine: 'postgres', url: 'postgres://nobody@127.0.0.1:1/none', connectTimeoutMs: 1000 });
  await ts.source('acme', { name: 'silent', engine: 'postgres', url: `postgres://nobody@127.0.0.1:${port}/none`, connectTimeoutMs: 1000 });
  client = await connectClient(ts.mcpUrl, (await ts.key('acme')).key);
});

afterAll(async () => {
  await client?.close();
  await ts?.close();
  for (const s of sockets) s.destroy();
  blackHole?.close();
});

type R = { isError?: boolean; structuredContent: Record<string, unknown> };
const call = async (name: string, args: Record<string, unknown>) => (await client.callTool({ name, arguments: args })) as R;

describe('faults', () => {
  it('list_sources answers promptly with every source status', async () => {
    const started = Date.now();
    const r = await call('list_sources', {});
    const took = Date.now() - started;
    const status = Object.fromEntries((r.structuredContent.sources as Array<{ name: string; status: string }>).map((s) => [s.name, s.status]));
    expect(status.shop).toBe('ok');
    expect(status.refused).toBe('unavailable');
    expect(['unavailable', 'unknown']).toContain(status.silent);
    expect(took).toBeLessThan(3_000);
  });

  it('list_sources says when each source was checked and why one is unavailable, without saying where it lives', async () => {
    const r = await call('list_sources', {});
    const refused = (r.structuredContent.sources as Array<Record<string, unknown>>).find((s) => s.name === 'refused')!;
    expect(refused).toMatchObject({ status: 'unavailable', reason: expect.stringMatching(/refused the connection|cannot be reached|did not answer/) });
    expect(Date.parse(String(refused.checked_at))).not.toBeNaN();
    const text = (r as unknown as { content: Array<{ text: string }> }).content[0]!.text;
    expect(text).toMatch(/^refused \(postgres, unavailable: .+\) \[checked \d{4}-/m);
    // Neither host, port, user nor database name, in the structured answer or the text.
    for (const secret of ['127.0.0.1', ':1/', 'nobody', 'none']) expect(JSON.stringify(r)).not.toContain(secret);
  });

  it('a down source answers SOURCE_UNAVAILABLE within its connect timeout while the others keep serving', async () => {
    const started = Date.now();
    const [silent, shop] = await Promise.all([
      call('run_query', { source: 'silent', sql: 'select 1' }),
      (async () => {
        await new Promise((r) => setTimeout(r, 100));
        const t = Date.now();
        const res = await call('run_query', { source: 'shop', sql: 'select count(*) from customers' });
        return { res, ms: Date.now() - t };
      })(),
    ]);
    const took = Date.now() - started;
    expect(silent.structuredContent).toMatchObject({ error: { code: 'SOURCE_UNAVAILABLE' } });
    expect(took).toBeLessThan(4_000);
    expect(shop.res.structuredContent.rows).toEqual([[3]]);
    expect(shop.ms).toBeLessThan(1_000);
    const refused = await call('run_query', { source: 'refused', sql: 'select 1' });
    expect(refused.structuredContent).toMatchObject({ error: { code: 'SOURCE_UNAVAILABLE' } });
    expect(JSON.stringify(refused)).not.toMatch(/password/i);
  });
});
