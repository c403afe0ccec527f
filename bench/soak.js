// @ts-check
/**
 * `npm run soak`: a bounded run of mixed traffic against the real server (`dist/cli.js serve`, its own
 * process), sampling its memory (RSS, V8 heap used — from /metrics) and open handles (file descriptors,
 * from /proc/<pid>/fd), then saying whether they level off. Not part of `npm test`.
 *
 * Traffic, from SEQUEL_SOAK_CONCURRENCY workers (default 8) for SEQUEL_SOAK_SECONDS (default 180): every
 * tool over a SQLite source (and a PostgreSQL one when reachable), hostile SQL (refused), queries that time
 * out, unknown sources, malformed JSON-RPC, requests without a key, health and metrics probes.
 *
 * "Levels off": the mean of the last third of the samples is within 15 % (memory) or 10 handles of the
 * middle third's. Prints the samples and the verdict; exits 1 if something keeps growing.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';

const ROOT = path.resolve(import.meta.dirname, '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const SECONDS = Number(process.env.SEQUEL_SOAK_SECONDS ?? 180);
const CONCURRENCY = Number(process.env.SEQUEL_SOAK_CONCURRENCY ?? 8);
const PG_URL = process.env.SEQUEL_SOAK_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

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

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sequel-soak-'));
const shop = path.join(dataDir, 'shop.sqlite');
{
  const db = new Database(shop);
  db.exec(`create table customers (id integer primary key, name text, country text);
    create table orders (id integer primary key, customer_id integer references customers(id), total_cents integer, placed_at text);
    with recursive s(n) as (select 1 union all select n + 1 from s where n < 2000) insert into customers select n, 'customer ' || n, char(65 + n % 26) from s;
    with recursive s(n) as (select 1 union all select n + 1 from s where n < 50000) insert into orders select n, 1 + n % 2000, n * 7 % 100000, date('2026-01-01', '+' || (n % 365) || ' days') from s;`);
  db.close();
}

/** @type {string | undefined} */
let pgDb;
/** @type {string | undefined} */
let pgSourceUrl;
try {
  const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  await c.connect();
  pgDb = `sequel_soak_${Date.now().toString(36)}`;
  await c.query(`create database ${pgDb}`);
  await c.end();
  const u = new URL(PG_URL);
  u.pathname = `/${pgDb}`;
  pgSourceUrl = u.toString();
  const s = new pg.Client({ connectionString: pgSourceUrl });
  await s.connect();
  await s.query(`create table items (id int primary key, name text, price numeric(10,2)); insert into items select g, 'item ' || g, g * 1.25 from generate_series(1, 20000) g`);
  await s.end();
} catch (err) {
  console.log(`(no PostgreSQL source: ${/** @type {Error} */ (err).message})`);
}

const env = { ...process.env, SEQUEL_DATA_DIR: dataDir, SEQUEL_DEMO: '0', SEQUEL_LOG_LEVEL: 'error', SEQUEL_RATE_LIMIT_PER_MINUTE: '0' };
const cli = (/** @type {string[]} */ ...args) => execFileSync(process.execPath, [CLI, ...args], { env }).toString();
cli('orgs', 'create', 'acme');
cli('sources', 'add', '--org', 'acme', '--name', 'shop', '--engine', 'sqlite', '--url', shop, '--timeout-ms', '2000');
if (pgSourceUrl) cli('sources', 'add', '--org', 'acme', '--name', 'pg', '--engine', 'postgres', '--url', pgSourceUrl, '--timeout-ms', '2000');
const key = JSON.parse(cli('keys', 'create', '--org', 'acme', '--name', 'soak', '--json')).key;

const port = await freePort();
const child = spawn(process.execPath, [CLI, 'serve', '--port', String(port)], { env, stdio: ['ignore', 'ignore', 'inherit'] });
const base = `http://127.0.0.1:${port}`;
for (;;) {
  try {
    if ((await fetch(`${base}/readyz`)).ok) break;
  } catch {
    /* starting */
  }
  await new Promise((r) => setTimeout(r, 100));
}

const META = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientInfo': { name: 'soak', version: '1' }, 'io.modelcontextprotocol/clientCapabilities': {} };
/** @param {string} name @param {Record<string, unknown>} args @param {string | null} token */
async function tool(name, args, token = key) {
  const res = await fetch(`${base}/mcp`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': 'tools/call',
      'mcp-name': name,
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args, _meta: META } }),
  });
  await res.text();
  return res.status;
}

const sources = pgSourceUrl ? ['shop', 'pg'] : ['shop'];
/** @type {Array<() => Promise<number>>} */
const MIX = [
  () => tool('run_query', { source: 'shop', sql: 'select country, count(*) as n, sum(total_cents) as t from orders join customers on customers.id = orders.customer_id group by country' }),
  () => tool('run_query', { source: 'shop', sql: 'select * from orders where id > ?', params: [Math.floor(Math.random() * 50000)] }),
  () => tool('run_query', { source: 'shop', sql: 'select * from orders', max_rows: 5000 }),
  () => tool('run_query', { source: 'shop', sql: "delete from orders; select 'x'" }),
  () => tool('run_query', { source: 'shop', sql: 'with recursive s(n) as (select 1 union all select n + 1 from s) select count(*) from s' }), // times out
  () => tool('list_sources', {}),
  () => tool('describe_table', { source: sources[Math.floor(Math.random() * sources.length)], table: sources.length > 1 && Math.random() < 0.5 ? 'items' : 'orders' }),
  () => tool('search_schema', { query: 'order' }),
  () => tool('explain_query', { source: 'shop', sql: 'select * from orders where customer_id = 7' }),
  () => tool('run_query', { source: 'nope', sql: 'select 1' }),
  () => tool('run_query', { source: 'shop', sql: 'select 1' }, null),
  () => tool('run_query', { source: 'shop', sql: 'select 1' }, 'sql_wrongwrongwrongwrongwrongwrongwrongwrong'),
  async () => (await fetch(`${base}/mcp`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{"jsonrpc":"2.0",' })).status,
  async () => {
    const r = await fetch(`${base}/metrics`);
    await r.text();
    return r.status;
  },
  ...(pgSourceUrl
    ? [
        () => tool('run_query', { source: 'pg', sql: 'select name, price from items where id between $1 and $1 + 50', params: [Math.floor(Math.random() * 19000)] }),
        () => tool('run_query', { source: 'pg', sql: 'select count(*) from items a, items b' }), // times out
      ]
    : []),
];

/** @returns {Promise<{ rss: number; heap: number; fds: number }>} */
async function sample() {
  const text = await (await fetch(`${base}/metrics`)).text();
  const metric = (/** @type {string} */ name) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  let fds = NaN;
  try {
    fds = fs.readdirSync(`/proc/${child.pid}/fd`).length;
  } catch {
    /* not Linux */
  }
  return { rss: metric('process_resident_memory_bytes'), heap: metric('nodejs_heap_used_bytes'), fds };
}

/** @type {Array<{ t: number; rss: number; heap: number; fds: number }>} */
const samples = [];
const statuses = new Map();
let calls = 0;
const end = Date.now() + SECONDS * 1000;
const every = Math.max(2, Math.round(SECONDS / 30)) * 1000;
const sampler = (async () => {
  while (Date.now() < end) {
    samples.push({ t: Math.round((SECONDS * 1000 - (end - Date.now())) / 1000), ...(await sample()) });
    const s = /** @type {{ t: number; rss: number; heap: number; fds: number }} */ (samples.at(-1));
    console.log(`t=${String(s.t).padStart(4)}s  rss ${(s.rss / 2 ** 20).toFixed(1)} MiB  heap ${(s.heap / 2 ** 20).toFixed(1)} MiB  fds ${s.fds}  calls ${calls}`);
    await new Promise((r) => setTimeout(r, every));
  }
})();
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    while (Date.now() < end) {
      const op = /** @type {() => Promise<number>} */ (MIX[Math.floor(Math.random() * MIX.length)]);
      const status = await op().catch(() => 'error');
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      calls++;
    }
  }),
);
await sampler;

child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));
fs.rmSync(dataDir, { recursive: true, force: true });
if (pgDb) {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  await c.query(`drop database if exists ${pgDb} with (force)`);
  await c.end();
}

const third = Math.floor(samples.length / 3);
const mean = (/** @type {number[]} */ xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const middle = samples.slice(third, 2 * third);
const last = samples.slice(2 * third);
let ok = true;
console.log(`\n${calls} requests in ${SECONDS} s (${(calls / SECONDS).toFixed(0)}/s); statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
for (const [name, unit, limit] of /** @type {const} */ ([['rss', 'MiB', 0.15], ['heap', 'MiB', 0.15], ['fds', '', 10]])) {
  const m = mean(middle.map((s) => s[name]));
  const l = mean(last.map((s) => s[name]));
  const growth = name === 'fds' ? l - m : (l - m) / m;
  const flat = name === 'fds' ? growth <= limit : growth <= limit;
  ok &&= flat || Number.isNaN(growth);
  const fmt = (/** @type {number} */ v) => (unit === 'MiB' ? `${(v / 2 ** 20).toFixed(1)} MiB` : v.toFixed(1));
  console.log(`${name.padEnd(5)} middle third ${fmt(m)}, last third ${fmt(l)}: ${flat ? 'levels off' : 'KEEPS GROWING'} (${name === 'fds' ? `${growth.toFixed(1)} handles` : `${(growth * 100).toFixed(1)} %`})`);
}
process.exit(ok ? 0 : 1);
