/**
 * A real Sequel server for tests: in this process, on a free loopback port, with its own data directory
 * (and optionally a PostgreSQL store), logs captured so tests can check what was (not) written.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { createApiKey, type CreatedApiKey } from '../../src/auth/apiKeys.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { ensureDefaults, openRuntime, type Runtime } from '../../src/runtime.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { addSource, type SourceInput } from '../../src/sources.js';
import type { Organization } from '../../src/store/orgs.js';
import type { SourceRecord } from '../../src/store/sources.js';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface TestServer {
  rt: Runtime;
  server: RunningServer;
  url: string;
  mcpUrl: string;
  dataDir: string;
  /** Every log line the server wrote. */
  logs: string[];
  org(slug: string): Promise<Organization>;
  key(orgSlug: string, opts?: { name?: string; sources?: string[]; expiresAt?: string; userId?: string | null }): Promise<CreatedApiKey>;
  source(orgSlug: string, input: SourceInput): Promise<SourceRecord>;
  close(): Promise<void>;
}

export interface TestServerOptions {
  /** A PostgreSQL store instead of the embedded SQLite one. */
  databaseUrl?: string;
  /** Create the demo source (default true). */
  demo?: boolean;
  env?: Record<string, string>;
  /** Reuse a data directory (restart tests). */
  dataDir?: string;
}

export async function startTestServer(opts: TestServerOptions = {}): Promise<TestServer> {
  const dataDir = opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'sequel-test-'));
  const port = await freePort();
  const config = loadConfig({
    SEQUEL_DATA_DIR: dataDir,
    SEQUEL_PORT: String(port),
    SEQUEL_HOST: '127.0.0.1',
    SEQUEL_DEMO: opts.demo === false ? '0' : '1',
    SEQUEL_LOG_LEVEL: 'debug',
    ...(opts.databaseUrl ? { SEQUEL_DATABASE_URL: opts.databaseUrl } : {}),
    ...opts.env,
  });
  const logs: string[] = [];
  const rt = await openRuntime(config, { logger: createLogger('debug', {}, (line) => logs.push(line)) });
  await ensureDefaults(rt);
  const server = await startServer(rt);
  const orgs = new Map<string, Organization>();
  const org = async (slug: string) => {
    let o = orgs.get(slug) ?? (await rt.store.orgs.bySlug(slug));
    o ??= await rt.store.orgs.create(slug);
    orgs.set(slug, o);
    return o;
  };
  return {
    rt,
    server,
    url: server.url,
    mcpUrl: `${server.url}/mcp`,
    dataDir,
    logs,
    org,
    async key(orgSlug, o = {}) {
      const { id } = await org(orgSlug);
      return createApiKey(rt.store, rt.keys, {
        orgId: id,
        name: o.name ?? 'test',
        createdByUserId: o.userId ?? null,
        createdBy: 'test',
        expiresAt: o.expiresAt ?? null,
        sourceNames: o.sources ?? null,
      });
    },
    async source(orgSlug, input) {
      const { id } = await org(orgSlug);
      return addSource(rt.store, rt.keys, id, input);
    },
    async close() {
      await server.close();
      if (!opts.dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export type Era = 'legacy' | 'modern';

/** The official MCP SDK client, connected with a bearer token, speaking the 2025 (`legacy`) or 2026-07-28 (`modern`) revision. */
export async function connectClient(mcpUrl: string, token: string, era: Era = 'legacy'): Promise<Client> {
  const client = new Client(
    { name: 'sequel-tests', version: '1.0.0' },
    era === 'modern' ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : {},
  );
  const transport = new StreamableHTTPClientTransport(new URL(mcpUrl), { requestInit: { headers: { Authorization: `Bearer ${token}` } } });
  await client.connect(transport);
  return client;
}

/** A raw JSON-RPC POST, for the transport-level checks a client library would hide. */
export async function rpc(
  mcpUrl: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; json: unknown; text: string }> {
  const res = await fetch(mcpUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    const data = /^data: (.*)$/m.exec(text);
    if (data) json = JSON.parse(data[1]!);
  }
  return { status: res.status, headers: res.headers, json, text };
}

export const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};
