/**
 * A real Sequel server for tests: in this process, on a free loopback port, with its own data directory
 * (and optionally a PostgreSQL store), logs captured so tests can check what was (not) written.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { createApiKey, type CreatedApiKey } from '../../src/auth/apiKeys.js';
import { loadConfig } from '../../src/config.js';
import { resumeSession, startSession } from '../../src/ops/account.js';
import { createMember } from '../../src/ops/members.js';
import { createLogger } from '../../src/log.js';
import { ensureDefaults, openRuntime, type Runtime } from '../../src/runtime.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { addSource, type SourceInput } from '../../src/sources.js';
import type { Organization } from '../../src/store/orgs.js';
import type { SourceRecord } from '../../src/store/sources.js';
import { csrfFor } from '../../src/web/session.js';

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

/** The `sequel` command, built by `npm test`'s pretest. */
export const SEQUEL_BIN = path.resolve(import.meta.dirname, '../../dist/cli.js');

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  mcpUrl: string;
  /** Everything the process wrote to stdout and stderr. */
  output(): string;
  /** SIGKILL: no shutdown hook runs, nothing is flushed. Resolves once the process is gone. */
  kill9(): Promise<void>;
  /** SIGTERM, the graceful stop. */
  stop(): Promise<void>;
}

/**
 * The direct children of a process (the workers of a `serve` primary), from each process's parent in
 * /proc/<pid>/stat; a dead child stays listed until its parent reaps it.
 */
export function childPids(pid: number | undefined): number[] {
  if (pid === undefined) return [];
  return fs
    .readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

/**
 * The real server as its own process (`node dist/cli.js serve`), for what an in-process server cannot
 * show: a `kill -9`, a crash, a restart. Resolves once /readyz answers 200.
 */
export async function spawnServer(opts: { dataDir: string; databaseUrl?: string; env?: Record<string, string> }): Promise<ServerProcess> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SEQUEL_DATA_DIR: opts.dataDir,
    SEQUEL_HOST: '127.0.0.1',
    SEQUEL_PORT: String(port),
    SEQUEL_DEMO: '0',
    SEQUEL_LOG_LEVEL: 'warn',
    ...(opts.databaseUrl ? { SEQUEL_DATABASE_URL: opts.databaseUrl } : {}),
    ...opts.env,
  };
  const child = spawn(process.execPath, [SEQUEL_BIN, 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const gone = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) {
      // A crash takes the worker processes (SEQUEL_WORKERS) down with the primary, as a container or host
      // dying would: SIGKILL to the primary alone leaves its workers to exit on their own a moment later.
      const workers = signal === 'SIGKILL' ? childPids(child.pid) : [];
      child.kill(signal);
      for (const pid of workers) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    await exited;
  };
  // Generous: a loaded 2-core machine can take many seconds to start node and migrate.
  for (let i = 0; ; i++) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`sequel serve exited early:\n${out}`);
    try {
      if ((await fetch(`${url}/readyz`)).status === 200) break;
    } catch {
      // not listening yet
    }
    if (i > 1200) {
      await gone('SIGKILL');
      throw new Error(`sequel serve did not become ready:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, url, mcpUrl: `${url}/mcp`, output: () => out, kill9: () => gone('SIGKILL'), stop: () => gone('SIGTERM') };
}

/** One stateless MCP 2026-07-28 `tools/call` (no session, no initialize), as a raw HTTP request. */
export async function rawToolCall(
  mcpUrl: string,
  token: string,
  name: string,
  args: Record<string, unknown>,
  id: number | string = 1,
): Promise<{ status: number; body: Record<string, unknown> | null }> {
  const res = await fetch(mcpUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      authorization: `Bearer ${token}`,
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': 'tools/call',
      'mcp-name': name,
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id,
      method: 'tools/call',
      params: {
        name,
        arguments: args,
        _meta: {
          'io.modelcontextprotocol/protocolVersion': '2026-07-28',
          'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
          'io.modelcontextprotocol/clientCapabilities': {},
        },
      },
    }),
  });
  const text = await res.text();
  let body: Record<string, unknown> | null = null;
  try {
    body = JSON.parse(/^data: (.*)$/m.exec(text)?.[1] ?? text) as Record<string, unknown>;
  } catch {
    body = null;
  }
  return { status: res.status, body };
}

/**
 * A dashboard request as a member's browser sends it (`session` undefined: anonymous): the session
 * cookie, and on a POST the form with the session's CSRF token, unless `csrf: false`.
 */
export async function dashboardRequest(
  ts: TestServer,
  session: { cookie: string; csrf: string } | undefined,
  method: 'GET' | 'POST',
  path: string,
  form: Record<string, string> = {},
  opts: { csrf?: boolean; origin?: string } = {},
): Promise<{ status: number; body: string; location: string | null }> {
  const headers: Record<string, string> = {};
  if (session) headers.cookie = session.cookie;
  if (opts.origin) headers.origin = opts.origin;
  const init: RequestInit = { method, headers, redirect: 'manual' };
  if (method === 'POST') {
    const body = new URLSearchParams(form);
    if (session && opts.csrf !== false) body.set('_csrf', session.csrf);
    init.body = body;
  }
  const res = await fetch(`${ts.url}${path}`, init);
  return { status: res.status, body: await res.text(), location: res.headers.get('location') };
}

/**
 * A new member of an organization (made by the operator, as `sequel users create` does) signed in to the
 * dashboard: the cookie its browser sends and the CSRF token its forms carry.
 */
export async function signedInMember(
  ts: TestServer,
  orgId: string,
  input: { email: string; role: string; password?: string },
): Promise<{ id: string; cookie: string; csrf: string }> {
  const u = await createMember(ts.rt, { kind: 'operator', orgId }, { email: input.email, password: input.password ?? 'long enough passphrase', role: input.role });
  const token = await startSession(ts.rt, u.id, 'test');
  return { id: u.id, cookie: `sequel_session=${token}`, csrf: csrfFor(ts.rt, (await resumeSession(ts.rt, token))!) };
}
