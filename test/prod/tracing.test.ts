/**
 * OpenTelemetry traces with OTEL_EXPORTER_OTLP_ENDPOINT set, received by a small OTLP/HTTP receiver in the
 * test: one span per tool call, a database span inside each call that reached a source, the outcome as an
 * attribute — and no SQL text, literal, key or token anywhere in what was exported.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, startTestServer, type TestServer } from '../helpers/server.js';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: Array<{ key: string; value: Record<string, unknown> }>;
}

let receiver: http.Server;
const bodies: string[] = [];
let ts: TestServer;

beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      if (req.url === '/v1/traces') bodies.push(body);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const port = (receiver.address() as AddressInfo).port;
  ts = await startTestServer({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, OTEL_BSP_SCHEDULE_DELAY: '100' } });
});
afterAll(async () => {
  await ts?.close();
  await new Promise((r) => receiver?.close(r));
});

function spans(): OtlpSpan[] {
  return bodies.flatMap((b) => {
    const j = JSON.parse(b) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: OtlpSpan[] }> }> };
    return j.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
  });
}
const attr = (s: OtlpSpan, key: string) => {
  const v = s.attributes.find((a) => a.key === key)?.value;
  return v ? Object.values(v)[0] : undefined;
};

describe('OpenTelemetry traces', () => {
  it('exports a span per tool call with a database span inside, and nothing secret', async () => {
    const { key } = await ts.key('default', { name: 'traced' });
    const client = await connectClient(ts.mcpUrl, key);
    await client.callTool({ name: 'run_query', arguments: { source: 'demo', sql: "select count(*) from customers where email = 'literal-never-exported@example.com'" } });
    await client.callTool({ name: 'run_query', arguments: { source: 'demo', sql: 'drop table customers' } });
    await client.close();

    let all: OtlpSpan[] = [];
    for (let i = 0; i < 200; i++) {
      all = spans();
      if (all.filter((s) => s.name === 'mcp.tool run_query').length >= 2) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const tools = all.filter((s) => s.name === 'mcp.tool run_query');
    expect(tools).toHaveLength(2);
    expect(tools.map((s) => attr(s, 'sequel.outcome')).sort()).toEqual(['NOT_READ_ONLY', 'ok']);
    const ok = tools.find((s) => attr(s, 'sequel.outcome') === 'ok')!;
    expect(attr(ok, 'sequel.source')).toBe('demo');
    const db = all.filter((s) => s.name === 'db sqlite' && s.parentSpanId === ok.spanId);
    expect(db.length).toBeGreaterThanOrEqual(1);
    expect(db.every((s) => s.traceId === ok.traceId && attr(s, 'db.system') === 'sqlite')).toBe(true);

    const exported = bodies.join('\n');
    expect(exported).not.toContain('literal-never-exported');
    expect(exported).not.toContain('select count');
    expect(exported).not.toContain('drop table');
    expect(exported).not.toContain(key);
  }, 60_000);
});
