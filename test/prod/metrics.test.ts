/**
 * /metrics as Prometheus reads it: the exposition is parsed by the official Python client's text-format
 * parser (Debian's python3-prometheus-client), after real traffic, and the families a dashboard needs are
 * there with the values the traffic implies. No SQL, key or token appears in it.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, startTestServer, type TestServer } from '../helpers/server.js';
import { isCI } from '../helpers/services.js';

const PYTHON = '/usr/bin/python3';
const PARSER = `
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = []
for fam in text_string_to_metric_families(sys.stdin.read()):
    out.append({"name": fam.name, "type": fam.type, "samples": [{"name": s.name, "labels": s.labels, "value": s.value} for s in fam.samples]})
print(json.dumps(out))
`;
const hasParser = fs.existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import prometheus_client'], { encoding: 'utf8' }).status === 0;
if (!hasParser) {
  const why = 'the Prometheus parser is missing (apt-get install -y python3-prometheus-client)';
  if (isCI) throw new Error(`CI=true and ${why}; the /metrics format test cannot be skipped under CI.`);
  console.warn(`\n*** SKIPPED /metrics format test: ${why}\n`);
}

interface Family {
  name: string;
  type: string;
  samples: Array<{ name: string; labels: Record<string, string>; value: number }>;
}

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer();
});
afterAll(async () => {
  await ts?.close();
});

describe.skipIf(!hasParser)('/metrics', () => {
  it('parses with the Prometheus text-format parser and counts the calls made', async () => {
    const { key } = await ts.key('default', { name: 'metrics' });
    const client = await connectClient(ts.mcpUrl, key);
    for (let i = 0; i < 3; i++) await client.callTool({ name: 'run_query', arguments: { source: 'demo', sql: "select count(*) from customers where email like '%secret-literal%'" } });
    await client.callTool({ name: 'run_query', arguments: { source: 'demo', sql: 'delete from customers' } });
    await client.close();

    const text = await (await fetch(`${ts.url}/metrics`)).text();
    expect(text).not.toContain('secret-literal');
    expect(text).not.toContain(key);
    const parsed = spawnSync(PYTHON, ['-c', PARSER], { input: text, encoding: 'utf8' });
    expect(parsed.stderr).toBe('');
    expect(parsed.status).toBe(0);
    const families = JSON.parse(parsed.stdout) as Family[];
    const byName = new Map(families.map((f) => [f.name, f]));

    const calls = byName.get('sequel_tool_calls');
    expect(calls?.type).toBe('counter');
    const runQuery = (outcome: string) =>
      calls!.samples.filter((s) => s.name === 'sequel_tool_calls_total' && s.labels.tool === 'run_query' && s.labels.outcome === outcome).reduce((a, s) => a + s.value, 0);
    expect(runQuery('ok')).toBe(3);
    expect(runQuery('NOT_READ_ONLY')).toBe(1);

    const duration = byName.get('sequel_tool_duration_seconds');
    expect(duration?.type).toBe('histogram');
    const count = duration!.samples.filter((s) => s.name === 'sequel_tool_duration_seconds_count' && s.labels.tool === 'run_query').reduce((a, s) => a + s.value, 0);
    expect(count).toBeGreaterThanOrEqual(4);
    // Cumulative buckets: +Inf equals the count.
    const inf = duration!.samples.filter((s) => s.name === 'sequel_tool_duration_seconds_bucket' && s.labels.tool === 'run_query' && s.labels.le === '+Inf').reduce((a, s) => a + s.value, 0);
    expect(inf).toBe(count);

    expect(byName.get('sequel_http_requests')?.type).toBe('counter');
  }, 60_000);
});
