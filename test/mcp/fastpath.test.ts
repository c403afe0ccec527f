/**
 * The fast path (src/mcp/fastPath.ts) must answer exactly as the SDK does. The same requests go to an
 * endpoint with the fast path and to one without it; the JSON-RPC answers must be identical (apart from
 * the measured elapsed time), in both protocol eras, for results and for tool errors. Requests the fast
 * path must not take (wrong headers, bad arguments, unknown tools) are checked to reach the SDK.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { McpEndpoint } from '../../src/mcp/http.js';
import { classify } from '../../src/mcp/fastPath.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { createTempPgDatabase, requireService, type TempDatabase } from '../helpers/services.js';

const pgUp = await requireService('postgres', 'fast-path differential test');

let ts: TestServer;
let db: TempDatabase;
let key: string;
let fast: McpEndpoint;
let sdk: McpEndpoint;

const META = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientInfo': { name: 'diff', version: '1' },
  'io.modelcontextprotocol/clientCapabilities': {},
};

beforeAll(async () => {
  if (!pgUp) return;
  db = await createTempPgDatabase('sequel_fast');
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  await c.query(`create table items (id int primary key, name text, price numeric(10,2)); insert into items select g, 'item ' || g, g * 1.25 from generate_series(1, 500) g; comment on table items is 'Things we sell'`);
  await c.end();
  ts = await startTestServer({ demo: false });
  const source = await ts.source('acme', { name: 'pg', engine: 'postgres', url: db.url, description: 'Shop' });
  // Known health before the first list_sources, so both paths report the same status however loaded
  // the machine is (list_sources waits at most 1.5 s for a first check).
  await ts.rt.manager.health(source, 60_000);
  key = (await ts.key('acme')).key;
  const rt = ts.rt;
  const opts = {
    deps: { store: rt.store, manager: rt.manager, audit: rt.audit, log: rt.log, rateLimiter: rt.rateLimiter, metrics: rt.metrics, keys: rt.keys },
    auth: rt.auth,
    resource: `${ts.url}/mcp`,
    maxBodyBytes: 1024 * 1024,
  };
  fast = new McpEndpoint({ ...opts, fastPath: true });
  sdk = new McpEndpoint({ ...opts, fastPath: false });
});

afterAll(async () => {
  await fast?.close();
  await sdk?.close();
  await ts?.close();
  await db?.drop();
});

function request(era: 'legacy' | 'modern', name: string, args: unknown, extraHeaders: Record<string, string> = {}): Request {
  const params: Record<string, unknown> = { name, arguments: args };
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    authorization: `Bearer ${key}`,
    host: new URL(ts.url).host,
  };
  if (era === 'modern') {
    params._meta = META;
    Object.assign(headers, { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': name });
  } else {
    headers['mcp-protocol-version'] = '2025-11-25';
  }
  return new Request(`${ts.url}/mcp`, { method: 'POST', headers: { ...headers, ...extraHeaders }, body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params }) });
}

async function answer(endpoint: McpEndpoint, req: Request): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await endpoint.fetch(req);
  const text = await res.text();
  const data = /^data: (.*)$/m.exec(text);
  const body = JSON.parse(data ? data[1]! : text) as Record<string, unknown>;
  // The one legitimate difference: how long the query took.
  const sc = (body.result as { structuredContent?: Record<string, unknown> } | undefined)?.structuredContent;
  if (sc && 'elapsed_ms' in sc) sc.elapsed_ms = 0;
  return { status: res.status, body };
}

const CALLS: Array<[string, unknown]> = [
  ['list_sources', {}],
  ['search_schema', { pattern: 'item', detail: 'summary' }],
  ['search_schema', { object_type: 'column', limit: 2 }],
  ['describe_table', { source: 'pg', table: 'items' }],
  ['describe_table', { source: 'pg', table: 'nope' }],
  ['run_query', { source: 'pg', sql: 'select id, name, price from items where id = $1', params: [42] }],
  ['run_query', { source: 'pg', sql: 'select * from items' }],
  ['run_query', { source: 'pg', sql: 'delete from items' }],
  ['run_query', { source: 'elsewhere', sql: 'select 1' }],
  ['run_query', { source: 'pg', sql: 'selec 1' }],
  ['search_schema', { query: 'item' }],
  ['explain_query', { source: 'pg', sql: 'select * from items where id = 1' }],
];

describe.skipIf(!pgUp)('fast path ≡ SDK path', () => {
  for (const era of ['legacy', 'modern'] as const) {
    for (const [name, args] of CALLS) {
      it(`${era} ${name} ${JSON.stringify(args)}`, async () => {
        expect(classify(request(era, name, args).headers, JSON.parse(await request(era, name, args).text()))).toBeDefined();
        const a = await answer(fast, request(era, name, args));
        const b = await answer(sdk, request(era, name, args));
        expect(a.status).toBe(200);
        expect(a).toEqual(b);
      });
    }
  }

  it('leaves to the SDK what it must not answer itself', async () => {
    const cases: Array<[Request, string]> = [
      [request('modern', 'run_query', { source: 'pg', sql: 'select 1' }, { 'mcp-name': 'list_sources' }), 'mcp-name header disagrees with the body'],
      [request('modern', 'run_query', { source: 'pg', sql: 'select 1' }, { 'mcp-protocol-version': '2025-11-25' }), 'envelope and header disagree'],
      [request('legacy', 'run_query', { source: 'pg', sql: 'select 1' }, { accept: 'application/json' }), 'legacy client not accepting SSE'],
      [request('legacy', 'run_query', { source: 'pg' }), 'arguments that do not validate'],
      [request('modern', 'run_query', { source: 'pg', query: 'select 1' }), 'an unknown argument in place of a required one'],
      [request('legacy', 'drop_table', {}), 'unknown tool'],
      [request('legacy', 'run_query', { source: 'pg', sql: 'select 1' }, { 'mcp-protocol-version': '1999-01-01' }), 'unsupported version'],
    ];
    for (const [req, why] of cases) {
      const body = JSON.parse(await req.clone().text()) as unknown;
      expect(classify(req.headers, body), why).toBeUndefined();
      const a = await answer(fast, req.clone());
      const b = await answer(sdk, req.clone());
      expect(a, why).toEqual(b);
    }
  });
});
