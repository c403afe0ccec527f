/**
 * A rolling restart under load: two replicas (real `sequel serve` processes on one PostgreSQL store)
 * behind nginx configured from docs/deploy.md; while clients keep sending mixed MCP traffic through the
 * proxy, each replica in turn gets SIGTERM, exits and starts again. Afterwards: every request was
 * answered successfully, and every answered tool call has its audit entry in the store (counted).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import pg from 'pg';
import { Agent, getGlobalDispatcher, setGlobalDispatcher, type Dispatcher } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { requireNginx, startNginx, type Nginx } from '../helpers/nginx.js';
import { makePki, type TestPki } from '../helpers/privateServers.js';
import { freePort } from '../helpers/server.js';
import { createTempPgDatabase, requireService, type TempDatabase } from '../helpers/services.js';
import { makeShopFile } from '../helpers/sqliteFile.js';

const pgUp = await requireService('postgres', 'rolling restart behind nginx');
const hasNginx = requireNginx('rolling restart behind nginx');
const BIN = path.resolve(import.meta.dirname, '../../dist/cli.js');

interface Replica {
  port: number;
  dataDir: string;
  child: ChildProcess;
  output: string;
}

const cleanup: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const f of cleanup.reverse()) await f();
}, 120_000);

describe.skipIf(!pgUp || !hasNginx)('rolling restart behind nginx', () => {
  it('restarts both replicas one at a time under continuous traffic: 0 failed requests, 0 lost audit entries', async () => {
    const pki: TestPki = makePki();
    cleanup.push(() => fs.rmSync(pki.dir, { recursive: true, force: true }));
    const previous: Dispatcher = getGlobalDispatcher();
    setGlobalDispatcher(new Agent({ connect: { ca: [...tls.rootCertificates, pki.ca] } }));
    cleanup.push(() => setGlobalDispatcher(previous));
    const store: TempDatabase = await createTempPgDatabase('sequel_rolling');
    cleanup.push(() => store.drop());
    const publicPort = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      SEQUEL_DATABASE_URL: store.url,
      SEQUEL_SECRET_KEY: 'd'.repeat(64),
      SEQUEL_PUBLIC_URL: `https://localhost:${publicPort}`,
      SEQUEL_TRUST_PROXY: '127.0.0.1',
      SEQUEL_HOST: '127.0.0.1',
      SEQUEL_DEMO: '0',
      SEQUEL_WORKERS: '1',
      SEQUEL_LOG_LEVEL: 'warn',
      SEQUEL_RATE_LIMIT_PER_MINUTE: '0',
      SEQUEL_SHUTDOWN_GRACE_SECONDS: '20',
    };

    const start = async (r: Omit<Replica, 'child' | 'output'>): Promise<Replica> => {
      const child = spawn(process.execPath, [BIN, 'serve'], { env: { ...env, SEQUEL_PORT: String(r.port), SEQUEL_DATA_DIR: r.dataDir } });
      const replica: Replica = { ...r, child, output: '' };
      child.stdout?.on('data', (d) => (replica.output += d));
      child.stderr?.on('data', (d) => (replica.output += d));
      for (;;) {
        if (child.exitCode !== null) throw new Error(`replica exited: ${replica.output}`);
        try {
          if ((await fetch(`http://127.0.0.1:${r.port}/readyz`)).status === 200) return replica;
        } catch {
          // not listening yet
        }
        await new Promise((res) => setTimeout(res, 100));
      }
    };
    const stop = async (r: Replica): Promise<number | null> => {
      if (r.child.exitCode !== null) return r.child.exitCode;
      const exited = new Promise<number | null>((res) => r.child.once('exit', (code) => res(code)));
      r.child.kill('SIGTERM');
      return exited;
    };

    const replicas: Replica[] = [];
    for (let i = 0; i < 2; i++) {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sequel-rolling-'));
      cleanup.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
      replicas.push(await start({ port: await freePort(), dataDir }));
    }
    cleanup.push(async () => {
      for (const r of replicas) await stop(r);
    });
    const proxy: Nginx = await startNginx(pki, replicas.map((r) => `127.0.0.1:${r.port}`), publicPort);
    cleanup.push(() => proxy.stop());

    // A source and a key, made with the CLI against the shared store.
    const shopDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sequel-rolling-shop-'));
    cleanup.push(() => fs.rmSync(shopDir, { recursive: true, force: true }));
    const cli = (args: string[]) =>
      new Promise<string>((resolve, reject) => {
        const c = spawn(process.execPath, [BIN, ...args], { env: { ...env, SEQUEL_DATA_DIR: replicas[0]!.dataDir } });
        let out = '';
        let err = '';
        c.stdout.on('data', (d) => (out += d));
        c.stderr.on('data', (d) => (err += d));
        c.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`sequel ${args.join(' ')}: ${err}`))));
      });
    await cli(['orgs', 'create', 'default']).catch(() => '');
    await cli(['sources', 'add', '--org', 'default', '--name', 'shop', '--engine', 'sqlite', '--url', makeShopFile(2_000, shopDir)]);
    const { key } = JSON.parse(await cli(['keys', 'create', '--org', 'default', '--name', 'rolling', '--json'])) as { key: string };

    // Continuous mixed traffic through the proxy until told to stop.
    let running = true;
    const counts = { ok: 0, toolCalls: 0, failed: 0 };
    const failures: string[] = [];
    const bodies = [
      { method: 'tools/call', params: { name: 'run_query', arguments: { source: 'shop', sql: 'select count(*) as n from orders where customer_id = 42' } } },
      { method: 'tools/call', params: { name: 'list_sources', arguments: {} } },
      { method: 'tools/list', params: {} },
      { method: 'tools/call', params: { name: 'describe_table', arguments: { source: 'shop', table: 'orders' } } },
    ];
    const worker = async (w: number) => {
      for (let i = 0; running; i++) {
        const body = bodies[(i + w) % bodies.length]!;
        try {
          const r = await fetch(`${proxy.url}/mcp`, {
            method: 'POST',
            headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18' },
            body: JSON.stringify({ jsonrpc: '2.0', id: i, ...body }),
          });
          const text = await r.text();
          const isError = r.status !== 200 || /"error":\{/.test(text.slice(0, 200)) || /"isError":true/.test(text);
          if (isError) {
            counts.failed++;
            failures.push(`${r.status} ${text.slice(0, 200)}`);
          } else {
            counts.ok++;
            if (body.method === 'tools/call') counts.toolCalls++;
          }
        } catch (err) {
          counts.failed++;
          failures.push(String(err));
        }
      }
    };
    const load = Promise.all([0, 1, 2, 3].map(worker));
    const settle = () => new Promise((r) => setTimeout(r, 1_500));
    await settle();
    const exitCodes: Array<number | null> = [];
    for (let i = 0; i < replicas.length; i++) {
      const old = replicas[i]!;
      exitCodes.push(await stop(old));
      replicas[i] = await start({ port: old.port, dataDir: old.dataDir });
      await settle();
    }
    running = false;
    await load;

    console.log(`rolling restart: ${counts.ok} answered (${counts.toolCalls} tool calls), ${counts.failed} failed`);
    expect(failures.slice(0, 5)).toEqual([]);
    expect(counts.failed).toBe(0);
    expect(exitCodes).toEqual([0, 0]);
    expect(counts.toolCalls).toBeGreaterThan(20);

    // Every answered tool call is in the audit log: the restarted replicas flushed on SIGTERM, the running
    // ones flush within moments.
    const c = new pg.Client({ connectionString: store.url });
    await c.connect();
    try {
      let stored = 0;
      for (let i = 0; i < 300; i++) {
        stored = (await c.query<{ n: number }>("select count(*)::int as n from audit_log where credential_label like 'rolling%'")).rows[0]!.n;
        if (stored >= counts.toolCalls) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      console.log(`rolling restart: ${stored} audit entries for ${counts.toolCalls} answered tool calls`);
      expect(stored).toBe(counts.toolCalls);
    } finally {
      await c.end();
    }
  }, 300_000);
});
