/**
 * Credentials and source lists kept in memory (under the store's change epoch) and several server
 * processes on one port (SEQUEL_WORKERS): a revocation made by another process — the CLI, as an admin
 * would — takes effect on the very next request, on every worker, on both store dialects.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childPids, freePort, startTestServer, type TestServer } from '../helpers/server.js';
import { createTempPgDatabase, requireService, type TempDatabase } from '../helpers/services.js';

const BIN = path.resolve(import.meta.dirname, '../../dist/cli.js');
const pgUp = await requireService('postgres', 'credential cache on the PostgreSQL store');

/** Runs the CLI as its own process against the given store. */
function cli(env: Record<string, string>, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, SEQUEL_LOG_LEVEL: 'warn', ...env } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`sequel ${args.join(' ')}: ${err}`))));
  });
}

/** A modern-envelope tools/call on a fresh connection (so that calls spread over the workers). */
function call(port: number, token: string, name: string, args: Record<string, unknown>): Promise<{ status: number; json: { result?: { structuredContent?: Record<string, unknown>; isError?: boolean } } }> {
  const body = JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'tools/call',
    params: {
      name,
      arguments: args,
      _meta: {
        'io.modelcontextprotocol/protocolVersion': '2026-07-28',
        'io.modelcontextprotocol/clientInfo': { name: 'workers-test', version: '1' },
        'io.modelcontextprotocol/clientCapabilities': {},
      },
    },
  });
  const headers = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    authorization: `Bearer ${token}`,
    'mcp-protocol-version': '2026-07-28',
    'mcp-method': 'tools/call',
    'mcp-name': name,
  };
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/mcp', method: 'POST', headers, agent: false }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text.startsWith('{') ? JSON.parse(text) : {} }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function get(port: number, pathname: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: pathname, agent: false }, (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve(text));
      })
      .on('error', reject);
  });
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const sourceNames = (r: Awaited<ReturnType<typeof call>>) => ((r.json.result?.structuredContent?.sources ?? []) as Array<{ name: string }>).map((s) => s.name);

/** The same checks on an in-process server over either store, with the CLI as the other process. */
function revocationThroughAnotherProcess(label: string, store: () => { ts: TestServer; env: Record<string, string> }) {
  it(`${label}: a key revoked by the CLI fails on the next request, though it was cached`, async () => {
    const { ts, env } = store();
    const created = JSON.parse(await cli(env, 'keys', 'create', '--org', 'alpha', '--name', `cached-${randomBytes(3).toString('hex')}`, '--json')) as { key: string; prefix: string };
    const port = ts.server.port;
    for (let i = 0; i < 3; i++) expect((await call(port, created.key, 'list_sources', {})).status).toBe(200);
    await cli(env, 'keys', 'revoke', '--org', 'alpha', created.prefix);
    expect((await call(port, created.key, 'list_sources', {})).status).toBe(401);
  }, 120_000);

  it(`${label}: a source removed by the CLI is gone on the next request; one added appears`, async () => {
    const { ts, env } = store();
    const { key } = await ts.key('alpha', { name: 'sources' });
    const port = ts.server.port;
    const tag = randomBytes(3).toString('hex');
    const extra = path.join(ts.dataDir, `extra-${tag}.sqlite`);
    const file = path.join(ts.dataDir, `later-${tag}.sqlite`);
    fs.writeFileSync(extra, '');
    await ts.source('alpha', { name: 'extra', engine: 'sqlite', url: extra });
    expect(sourceNames(await call(port, key, 'list_sources', {}))).toContain('extra');
    await cli(env, 'sources', 'remove', '--org', 'alpha', '--name', 'extra');
    expect(sourceNames(await call(port, key, 'list_sources', {}))).not.toContain('extra');
    const ran = await call(port, key, 'run_query', { source: 'extra', sql: 'select 1' });
    expect(ran.json.result?.isError).toBe(true);
    fs.writeFileSync(file, '');
    await cli(env, 'sources', 'add', '--org', 'alpha', '--name', 'later', '--engine', 'sqlite', '--url', file);
    expect(sourceNames(await call(port, key, 'list_sources', {}))).toContain('later');
  }, 120_000);

  it(`${label}: a description written by the CLI is found by the next search, though the last was cached`, async () => {
    const { ts, env } = store();
    const { key } = await ts.key('alpha', { name: 'describer' });
    const port = ts.server.port;
    const tag = randomBytes(3).toString('hex');
    const file = path.join(ts.dataDir, `described-${tag}.sqlite`);
    const db = new Database(file);
    db.exec('create table invoices (id integer primary key)');
    db.close();
    const source = `described-${tag}`;
    await ts.source('alpha', { name: source, engine: 'sqlite', url: file });
    const word = `ledger${tag}`;
    const found = async () => (await call(port, key, 'search_schema', { source, pattern: word })).json.result?.structuredContent?.total;
    expect(await found()).toBe(0);
    expect(await found()).toBe(0);
    await cli(env, 'describe', '--org', 'alpha', '--source', source, '--table', 'invoices', `The ${word} of the firm`);
    expect(await found()).toBe(1);
    await cli(env, 'describe', '--org', 'alpha', '--source', source, '--table', 'invoices', '');
    expect(await found()).toBe(0);
  }, 120_000);

  it(`${label}: a member removed by the CLI loses their keys on the next request`, async () => {
    const { ts, env } = store();
    const org = await ts.org('alpha');
    const email = `leaver-${randomBytes(3).toString('hex')}@example.com`;
    const user = await ts.rt.store.users.create({ email });
    await ts.rt.store.users.addMembership(org.id, user.id, 'member');
    const { key } = await ts.key('alpha', { name: 'leaver', userId: user.id });
    expect((await call(ts.server.port, key, 'list_sources', {})).status).toBe(200);
    await cli(env, 'users', 'remove', email, '--org', 'alpha');
    expect((await call(ts.server.port, key, 'list_sources', {})).status).toBe(401);
  }, 120_000);
}

describe('credential cache, SQLite store', () => {
  let ts: TestServer;
  beforeAll(async () => {
    ts = await startTestServer({ demo: false });
    await ts.org('alpha');
  }, 60_000);
  afterAll(async () => {
    await ts?.close();
  });
  revocationThroughAnotherProcess('SQLite', () => ({ ts, env: { SEQUEL_DATA_DIR: ts.dataDir } }));
});

describe.skipIf(!pgUp)('credential cache, PostgreSQL store', () => {
  let ts: TestServer;
  let db: TempDatabase;
  beforeAll(async () => {
    db = await createTempPgDatabase('sequel_cache');
    ts = await startTestServer({ demo: false, databaseUrl: db.url });
    await ts.org('alpha');
  }, 60_000);
  afterAll(async () => {
    await ts?.close();
    await db?.drop();
  });
  revocationThroughAnotherProcess('PostgreSQL', () => ({ ts, env: { SEQUEL_DATA_DIR: ts.dataDir, SEQUEL_DATABASE_URL: db.url } }));
});

describe('SEQUEL_WORKERS=2', () => {
  let dataDir: string;
  let port: number;
  let server: ChildProcess;
  let env: Record<string, string>;

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sequel-workers-'));
    port = await freePort();
    env = { SEQUEL_DATA_DIR: dataDir, SEQUEL_PORT: String(port), SEQUEL_DEMO: '0', SEQUEL_WORKERS: '2', SEQUEL_RATE_LIMIT_PER_MINUTE: '0' };
    await cli(env, 'orgs', 'create', 'alpha');
    server = spawn(process.execPath, [BIN, 'serve'], { env: { ...process.env, SEQUEL_LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    server.stdout!.on('data', (d) => (out += d));
    await waitFor('the banner', async () => (out.includes('MCP endpoint') ? true : undefined));
    expect(out).toContain('2 worker processes');
  }, 90_000);
  afterAll(async () => {
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((r) => server.once('exit', r));
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const startTime = async () => /^process_start_time_seconds (\S+)$/m.exec(await get(port, '/metrics'))?.[1];

  it('two worker processes answer on the one port', async () => {
    const seen = new Set<string>();
    await waitFor('answers from two processes', async () => {
      const t = await startTime();
      if (t) seen.add(t);
      return seen.size >= 2 ? true : undefined;
    }, 150_000);
    expect(seen.size).toBe(2);
  }, 180_000);

  it('a key revoked by the CLI fails at once on every worker', async () => {
    const created = JSON.parse(await cli(env, 'keys', 'create', '--org', 'alpha', '--name', 'spread', '--json')) as { key: string; prefix: string };
    // Fresh connections alternate between the workers: both have the key cached.
    for (let i = 0; i < 6; i++) expect((await call(port, created.key, 'list_sources', {})).status).toBe(200);
    await cli(env, 'keys', 'revoke', '--org', 'alpha', created.prefix);
    for (let i = 0; i < 6; i++) expect((await call(port, created.key, 'list_sources', {})).status).toBe(401);
  }, 60_000);

  it('a worker that dies is replaced, and the other keeps serving meanwhile', async () => {
    const { key } = JSON.parse(await cli(env, 'keys', 'create', '--org', 'alpha', '--name', 'survivor', '--json')) as { key: string };
    const children = () => childPids(server.pid);
    const before = children();
    expect(before.length).toBe(2);
    process.kill(before[0]!, 'SIGKILL');
    // Once the primary has reaped it (a connection handed over at the very moment of death is lost, as
    // with any crashed process), every call is served.
    await waitFor('the worker reaped', async () => (children().includes(before[0]!) ? undefined : true));
    for (let i = 0; i < 4; i++) expect((await call(port, key, 'list_sources', {})).status).toBe(200);
    const after = await waitFor('a replacement worker', async () => {
      const now = children();
      return now.length === 2 && !now.includes(before[0]!) ? now : undefined;
    });
    expect(after).toContain(before[1]);
  }, 90_000);
});
