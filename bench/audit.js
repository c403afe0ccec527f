// @ts-check
/**
 * `node bench/audit.js`: what audit durability costs on the hot path. The same load of API-key
 * `run_query` calls (a tiny SQLite query, so the audit write is a large share of each call) against the
 * server with SEQUEL_AUDIT_DURABILITY=journal (SEQUEL_AUDIT_FSYNC=interval: written before answering,
 * fdatasync'd in the background; =always: fdatasync'd before answering, group commit), =store (store write before
 * answering), and — with SEQUEL_BENCH_BEFORE=<path to another checkout's dist> — an older build as the
 * baseline (there: entries queued in memory, 20 ms). Prints throughput and latency quantiles; no targets.
 * SQLite store by default; SEQUEL_BENCH_STORE_URL=postgres://… for the PostgreSQL store.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';

const ROOT = path.resolve(import.meta.dirname, '..');
const SECONDS = Number(process.env.SEQUEL_BENCH_SECONDS ?? 5);
const CONCURRENCY = Number(process.env.SEQUEL_BENCH_CONCURRENCY ?? 16);
const BEFORE = process.env.SEQUEL_BENCH_BEFORE;
const STORE_URL = process.env.SEQUEL_BENCH_STORE_URL;

/** @returns {Promise<number>} */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = /** @type {net.AddressInfo} */ (s.address()).port;
      s.close(() => resolve(port));
    });
  });
}

/** @param {number[]} xs @param {number} q */
const quantile = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))] ?? NaN;

/** @param {string} dist @param {string} label @param {Record<string, string>} extraEnv */
async function run(dist, label, extraEnv) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sequel-bench-audit-'));
  /** @type {string | undefined} */
  let storeUrl;
  /** @type {string | undefined} */
  let storeDb;
  if (STORE_URL) {
    storeDb = `sequel_bench_audit_${Date.now().toString(36)}`;
    const c = new pg.Client({ connectionString: STORE_URL });
    await c.connect();
    await c.query(`create database ${storeDb}`);
    await c.end();
    const u = new URL(STORE_URL);
    u.pathname = `/${storeDb}`;
    storeUrl = u.toString();
  }
  const shop = path.join(dataDir, 'shop.sqlite');
  const db = new Database(shop);
  db.exec('create table t (n integer); insert into t values (1), (2), (3);');
  db.close();
  const cli = path.join(dist, 'cli.js');
  const env = { ...process.env, SEQUEL_DATA_DIR: dataDir, SEQUEL_DEMO: '0', SEQUEL_OAUTH: '0', SEQUEL_LOG_LEVEL: 'warn', SEQUEL_RATE_LIMIT_PER_MINUTE: '0', ...(storeUrl ? { SEQUEL_DATABASE_URL: storeUrl } : {}), ...extraEnv };
  execFileSync(process.execPath, [cli, 'orgs', 'create', 'acme'], { env, stdio: 'ignore' });
  execFileSync(process.execPath, [cli, 'sources', 'add', '--org', 'acme', '--name', 'shop', '--engine', 'sqlite', '--url', shop], { env, stdio: 'ignore' });
  const key = JSON.parse(execFileSync(process.execPath, [cli, 'keys', 'create', '--org', 'acme', '--name', 'bench', '--json'], { env }).toString()).key;
  const port = await freePort();
  const child = spawn(process.execPath, [cli, 'serve', '--port', String(port)], { env, stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}/mcp`;
  for (;;) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/readyz`)).ok) break;
    } catch {
      /* starting */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const meta = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientInfo': { name: 'bench', version: '1' }, 'io.modelcontextprotocol/clientCapabilities': {} };
  const call = async () => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${key}`, 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'run_query' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'run_query', arguments: { source: 'shop', sql: 'select count(*) from t' }, _meta: meta } }),
    });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    await res.text();
  };
  const warmEnd = Date.now() + 1000;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => { while (Date.now() < warmEnd) await call(); }));
  /** @type {number[]} */
  const lat = [];
  const end = Date.now() + SECONDS * 1000;
  const start = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (Date.now() < end) {
      const t = performance.now();
      await call();
      lat.push(performance.now() - t);
    }
  }));
  const secs = (performance.now() - start) / 1000;
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  fs.rmSync(dataDir, { recursive: true, force: true });
  if (storeDb && STORE_URL) {
    const c = new pg.Client({ connectionString: STORE_URL });
    await c.connect();
    await c.query(`drop database if exists ${storeDb} with (force)`);
    await c.end();
  }
  console.log(`${label.padEnd(34)} ${(lat.length / secs).toFixed(0).padStart(6)} calls/s   p50 ${quantile(lat, 0.5).toFixed(2)} ms   p99 ${quantile(lat, 0.99).toFixed(2)} ms`);
}

console.log(`run_query, ${CONCURRENCY} concurrent, ${SECONDS} s each, ${STORE_URL ? 'PostgreSQL' : 'SQLite'} store`);
if (BEFORE) await run(BEFORE, 'before (in-memory queue, 20 ms)', {});
await run(path.join(ROOT, 'dist'), 'journal, fsync interval (default)', { SEQUEL_AUDIT_DURABILITY: 'journal', SEQUEL_AUDIT_FSYNC: 'interval' });
await run(path.join(ROOT, 'dist'), 'journal, fsync always', { SEQUEL_AUDIT_DURABILITY: 'journal', SEQUEL_AUDIT_FSYNC: 'always' });
await run(path.join(ROOT, 'dist'), 'store (store write before answering)', { SEQUEL_AUDIT_DURABILITY: 'store' });
