/**
 * Credentials at the /mcp door: missing, wrong, revoked, expired keys; organization isolation; source
 * allow-lists; a removed member's keys; Host/Origin checks; malformed and oversize bodies.
 */
import net from 'node:net';
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, INITIALIZE, rpc, startTestServer, type TestServer } from '../helpers/server.js';
import { makeShopFile } from '../helpers/sqliteFile.js';

let ts: TestServer;
let shopFile: string;

beforeAll(async () => {
  ts = await startTestServer({ demo: false });
  shopFile = makeShopFile(10);
  for (const name of ['a', 'b', 'c']) await ts.source('alpha', { name, engine: 'sqlite', url: shopFile });
  await ts.source('beta', { name: 'beta-secret', engine: 'sqlite', url: shopFile, description: 'Only for beta' });
});
afterAll(async () => {
  await ts?.close();
});

async function toolCall(client: Client, name: string, args: Record<string, unknown>) {
  return (await client.callTool({ name, arguments: args })) as { isError?: boolean; structuredContent?: Record<string, unknown> };
}

describe('bearer authentication', () => {
  it('answers 401 with a Bearer challenge when the header is missing or wrong', async () => {
    const none = await rpc(ts.mcpUrl, INITIALIZE);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer /);
    const wrong = await rpc(ts.mcpUrl, INITIALIZE, { authorization: 'Bearer sql_' + 'x'.repeat(43) });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toContain('error="invalid_token"');
    const basic = await rpc(ts.mcpUrl, INITIALIZE, { authorization: 'Basic dXNlcjpwYXNz' });
    expect(basic.status).toBe(401);
  });

  it('never accepts a token in the query string', async () => {
    const { key } = await ts.key('alpha');
    const r = await rpc(`${ts.mcpUrl}?access_token=${key}`, INITIALIZE);
    expect(r.status).toBe(401);
  });

  it('a revoked key fails on the very next request', async () => {
    const { key, info } = await ts.key('alpha', { name: 'to-revoke' });
    const client = await connectClient(ts.mcpUrl, key);
    expect((await toolCall(client, 'list_sources', {})).isError).toBeFalsy();
    await ts.rt.store.apiKeys.revoke(info.org_id, info.prefix);
    const r = await rpc(ts.mcpUrl, INITIALIZE, { authorization: `Bearer ${key}` });
    expect(r.status).toBe(401);
    await expect(client.listTools()).rejects.toThrow();
    await client.close().catch(() => undefined);
  });

  it('an expired key gets 401', async () => {
    const { key, info } = await ts.key('alpha', { name: 'short-lived', expiresAt: new Date(Date.now() + 1500).toISOString() });
    expect((await rpc(ts.mcpUrl, INITIALIZE, { authorization: `Bearer ${key}` })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1700));
    expect((await rpc(ts.mcpUrl, INITIALIZE, { authorization: `Bearer ${key}` })).status).toBe(401);
    expect(info.expires_at).not.toBeNull();
  });

  it("a removed member's keys stop working at once", async () => {
    const org = await ts.org('alpha');
    const user = await ts.rt.store.users.create({ email: `leaver-${Date.now()}@example.com` });
    await ts.rt.store.users.addMembership(org.id, user.id, 'member');
    const { key } = await ts.key('alpha', { name: 'leaver', userId: user.id });
    expect((await rpc(ts.mcpUrl, INITIALIZE, { authorization: `Bearer ${key}` })).status).toBe(200);
    await ts.rt.store.users.removeMembership(org.id, user.id);
    expect((await rpc(ts.mcpUrl, INITIALIZE, { authorization: `Bearer ${key}` })).status).toBe(401);
  });

  it('records last use of a key', async () => {
    const { key, info } = await ts.key('alpha', { name: 'used' });
    await rpc(ts.mcpUrl, INITIALIZE, { authorization: `Bearer ${key}` });
    const listed = (await ts.rt.store.apiKeys.list(info.org_id)).find((k) => k.id === info.id)!;
    expect(listed.last_used_at).not.toBeNull();
  });
});

describe('organization isolation and source allow-lists', () => {
  it("a key of one organization sees none of another's sources through any tool", async () => {
    const { key } = await ts.key('alpha');
    const client = await connectClient(ts.mcpUrl, key);
    const list = await toolCall(client, 'list_sources', {});
    expect((list.structuredContent!.sources as Array<{ name: string }>).map((s) => s.name)).toEqual(['a', 'b', 'c']);
    for (const [tool, args] of [
      ['run_query', { source: 'beta-secret', sql: 'select 1' }],
      ['explain_query', { source: 'beta-secret', sql: 'select 1' }],
      ['describe_table', { source: 'beta-secret', table: 'orders' }],
      ['search_schema', { source: 'beta-secret' }],
    ] as const) {
      const r = await toolCall(client, tool, args);
      expect(r.isError, tool).toBe(true);
      expect(r.structuredContent, tool).toMatchObject({ error: { code: 'UNKNOWN_SOURCE' } });
      expect(JSON.stringify(r)).not.toContain('Only for beta');
    }
    const everywhere = await toolCall(client, 'search_schema', { pattern: 'orders', object_type: 'table' });
    expect(new Set((everywhere.structuredContent!.schemas as Array<{ source: string }>).map((o) => o.source))).toEqual(new Set(['a', 'b', 'c']));
    const { resources } = await client.listResources();
    expect(resources.map((r) => r.uri).some((u) => u.includes('beta'))).toBe(false);
    await expect(client.readResource({ uri: 'sequel://sources/beta-secret/schema' })).rejects.toThrow();
    await client.close();
  });

  it('a key limited to sources a,b cannot reach c', async () => {
    const { key } = await ts.key('alpha', { sources: ['a', 'b'] });
    const client = await connectClient(ts.mcpUrl, key);
    const list = await toolCall(client, 'list_sources', {});
    expect((list.structuredContent!.sources as Array<{ name: string }>).map((s) => s.name)).toEqual(['a', 'b']);
    expect((await toolCall(client, 'run_query', { source: 'a', sql: 'select 1' })).isError).toBeFalsy();
    const c = await toolCall(client, 'run_query', { source: 'c', sql: 'select 1' });
    expect(c.structuredContent).toMatchObject({ error: { code: 'UNKNOWN_SOURCE' } });
    await client.close();
  });
});

describe('transport safety', () => {
  it('rejects a foreign Origin and a foreign Host with 403', async () => {
    const { key } = await ts.key('alpha');
    const auth = { authorization: `Bearer ${key}` };
    expect((await rpc(ts.mcpUrl, INITIALIZE, { ...auth, origin: 'https://evil.example' })).status).toBe(403);
    const port = new URL(ts.url).port;
    const raw = await rawPost(port, 'evil.example', JSON.stringify(INITIALIZE), key);
    expect(raw).toMatch(/^HTTP\/1\.1 403/);
    expect((await rpc(ts.mcpUrl, INITIALIZE, { ...auth, origin: new URL(ts.url).origin })).status).toBe(200);
  });

  it('answers malformed JSON-RPC and oversize bodies with clear errors and keeps serving', async () => {
    const { key } = await ts.key('alpha');
    const auth = { authorization: `Bearer ${key}` };
    const bad = await rpc(ts.mcpUrl, '{"jsonrpc":"2.0", "id": 1, "method": ', auth);
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ error: { code: -32700 } });
    const notRpc = await rpc(ts.mcpUrl, { hello: 'world' }, auth);
    expect(notRpc.status).toBeGreaterThanOrEqual(400);
    expect(notRpc.status).toBeLessThan(500);
    const big = await rpc(ts.mcpUrl, { ...INITIALIZE, params: { ...INITIALIZE.params, pad: 'x'.repeat(2 * 1024 * 1024) } }, auth);
    expect(big.status).toBe(413);
    const get = await fetch(ts.mcpUrl, { headers: auth });
    expect(get.status).toBe(405);
    const ok = await rpc(ts.mcpUrl, INITIALIZE, auth);
    expect(ok.status).toBe(200);
  });
});

function rawPost(port: string, host: string, body: string, key: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(Number(port), '127.0.0.1', () => {
      sock.write(
        `POST /mcp HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    });
    let data = '';
    sock.on('data', (d) => (data += d.toString()));
    sock.on('end', () => resolve(data));
    sock.on('error', reject);
  });
}
