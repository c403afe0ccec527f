// @ts-check
/**
 * `npm run bench`: Sequel's speed and size targets (BRIEF §6), each printed beside a baseline measured in
 * the same run on the same machine. The server runs as a child process (`dist/cli.js serve`), as in
 * production; the load generator and the raw-driver baseline run in this process.
 *
 * Needs PostgreSQL (SEQUEL_BENCH_PG_URL, default postgres://postgres@127.0.0.1:5432/postgres). With
 * MySQL/MariaDB reachable (SEQUEL_BENCH_MYSQL_URL, default mysql://root@127.0.0.1:3306/) it also measures a
 * MySQL point query against a raw mysql2 pool; SEQUEL_BENCH_ONLY=mysql runs that part alone.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';

const ROOT = path.resolve(import.meta.dirname, '..');
const PG_URL = process.env.SEQUEL_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SECONDS = Number(process.env.SEQUEL_BENCH_SECONDS ?? 5);
const MYSQL_URL = process.env.SEQUEL_BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/';
const ONLY = process.env.SEQUEL_BENCH_ONLY;

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
function quantile(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * q))] ?? NaN;
}

/**
 * Runs `op` from `concurrency` workers for `seconds`; returns throughput and latency quantiles (ms).
 * @param {() => Promise<void>} op @param {number} concurrency @param {number} seconds
 */
async function measure(op, concurrency, seconds) {
  const warmEnd = Date.now() + 500;
  await Promise.all(Array.from({ length: concurrency }, async () => { while (Date.now() < warmEnd) await op(); }));
  /** @type {number[]} */
  const lat = [];
  const end = Date.now() + seconds * 1000;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < end) {
        const t = performance.now();
        await op();
        lat.push(performance.now() - t);
      }
    }),
  );
  const secs = (performance.now() - start) / 1000;
  return { rps: lat.length / secs, p50: quantile(lat, 0.5), p99: quantile(lat, 0.99), n: lat.length };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/**
 * One JSON-RPC POST to /mcp (2026-07-28 envelope), returning the parsed result.
 * @param {number} port @param {string} key @param {string} method @param {Record<string, unknown>} params
 * @returns {Promise<{ status: number, body: any, bytes: number }>}
 */
function mcp(port, key, method, params) {
  const meta = {
    'io.modelcontextprotocol/protocolVersion': '2026-07-28',
    'io.modelcontextprotocol/clientInfo': { name: 'sequel-bench', version: '1' },
    'io.modelcontextprotocol/clientCapabilities': {},
  };
  const payload = Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: { ...params, _meta: meta } }));
  /** @type {Record<string, string | number>} */
  const headers = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    authorization: `Bearer ${key}`,
    'mcp-protocol-version': '2026-07-28',
    'mcp-method': method,
    'content-length': payload.length,
  };
  if (typeof params.name === 'string') headers['mcp-name'] = params.name;
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/mcp', method: 'POST', agent, headers }, (res) => {
      /** @type {Buffer[]} */
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const buf = Buffer.concat(chunks);
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(buf.toString('utf8')), bytes: buf.length });
        } catch {
          reject(new Error(`bad response ${res.statusCode}: ${buf.toString('utf8').slice(0, 200)}`));
        }
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** @param {string} file @param {string[]} args @param {NodeJS.ProcessEnv} env */
function sequel(file, args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`sequel ${args.join(' ')} failed: ${err}`))));
  });
}

/** @param {number} port */
async function serverRss(port) {
  const text = await new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/metrics', agent }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
  const m = /^process_resident_memory_bytes (\d+)/m.exec(/** @type {string} */ (text));
  return m ? Number(m[1]) : NaN;
}

async function main() {
  const cpus = os.cpus().length;
  console.log(`Sequel benchmark — node ${process.version}, ${cpus} CPUs (${os.cpus()[0]?.model ?? 'unknown'}), ${SECONDS}s per measurement\n`);

  // A database of our own: 10,000 accounts for point queries, 200,000 wide-ish rows for the big SELECT.
  const dbName = `sequel_bench_${randomBytes(4).toString('hex')}`;
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
    create table accounts (id integer primary key, email text not null, balance numeric(14,2) not null, created_at timestamptz not null);
    insert into accounts select g, 'user' || g || '@example.com', (g * 7 % 100000) / 100.0, now() - g * interval '1 minute' from generate_series(1, 10000) g;
    create table big as select g as id, md5(g::text) as a, md5((g * 2)::text) as b, g * 1.5 as c, now() as d from generate_series(1, 200000) g;
    analyze;`);
  await setup.end();

  // The same point query on MySQL/MariaDB, when a server is there.
  /** @type {string | undefined} */
  let myUrl;
  try {
    const c = await mysql.createConnection({ uri: MYSQL_URL, multipleStatements: true });
    await c.query(`CREATE DATABASE ${dbName}`);
    await c.query(`USE ${dbName};
      CREATE TABLE accounts (id INT PRIMARY KEY, email VARCHAR(100) NOT NULL, balance DECIMAL(14,2) NOT NULL, created_at DATETIME NOT NULL);
      INSERT INTO accounts
        WITH d (n) AS (SELECT 0 UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5
                       UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9),
             g (n) AS (SELECT a.n * 1000 + b.n * 100 + c.n * 10 + e.n + 1 FROM d a, d b, d c, d e)
        SELECT n, CONCAT('user', n, '@example.com'), (n * 7 % 100000) / 100.0, NOW() - INTERVAL n MINUTE FROM g;`);
    await c.end();
    const mu = new URL(MYSQL_URL);
    mu.pathname = `/${dbName}`;
    myUrl = mu.toString();
  } catch (err) {
    console.log(`(MySQL point query skipped: ${/** @type {Error} */ (err).message})\n`);
  }

  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sequel-bench-'));
  const port = await freePort();
  const env = { ...process.env, SEQUEL_DATA_DIR: dataDir, SEQUEL_PORT: String(port), SEQUEL_DEMO: '0', SEQUEL_LOG_LEVEL: 'warn', SEQUEL_RATE_LIMIT_PER_MINUTE: '0' };
  const cli = path.join(ROOT, 'dist', 'cli.js');
  await sequel(cli, ['orgs', 'create', 'bench'], env);
  await sequel(cli, ['sources', 'add', '--org', 'bench', '--name', 'pg', '--engine', 'postgres', '--url', dbUrl], env);
  if (myUrl) await sequel(cli, ['sources', 'add', '--org', 'bench', '--name', 'my', '--engine', 'mysql', '--url', myUrl], env);
  const key = JSON.parse(/** @type {string} */ (await sequel(cli, ['keys', 'create', '--org', 'bench', '--name', 'bench', '--json'], env))).key;

  const server = spawn(process.execPath, [cli, 'serve'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve, reject) => {
    let out = '';
    server.stdout.on('data', (d) => {
      out += d;
      if (out.includes('MCP endpoint')) resolve(undefined);
    });
    server.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });

  /** @type {Array<[string, string, string, string, string]>} */
  const rows = [];
  const fmt = (/** @type {number} */ n, digits = 2) => n.toFixed(digits);
  try {
    if (myUrl) {
      const MY_POINT = 'select id, email, balance, created_at from accounts where id = ?';
      const rawMy = mysql.createPool({ uri: myUrl, connectionLimit: 16 });
      const rawMyOp = async () => {
        await rawMy.execute(MY_POINT, [1 + Math.floor(Math.random() * 10000)]);
      };
      const seqMyOp = async () => {
        const r = await mcp(port, key, 'tools/call', { name: 'run_query', arguments: { source: 'my', sql: MY_POINT, params: [1 + Math.floor(Math.random() * 10000)] } });
        if (r.status !== 200 || r.body.result?.isError) throw new Error(`run_query failed: ${JSON.stringify(r.body).slice(0, 300)}`);
      };
      const rawMy16 = await measure(rawMyOp, 16, SECONDS);
      const seqMy16 = await measure(seqMyOp, 16, SECONDS);
      rows.push(['mysql point run_query, concurrency 16', `${fmt(seqMy16.rps, 0)} /s`, `raw mysql2 pool ${fmt(rawMy16.rps, 0)} /s`, `${fmt((100 * seqMy16.rps) / rawMy16.rps, 1)}%`, '≥ 50%']);
      const rawMy1 = await measure(rawMyOp, 1, SECONDS);
      const seqMy1 = await measure(seqMyOp, 1, SECONDS);
      rows.push(['mysql point run_query p50, concurrency 1', `${fmt(seqMy1.p50, 3)} ms`, `raw mysql2 ${fmt(rawMy1.p50, 3)} ms`, `+${fmt(seqMy1.p50 - rawMy1.p50, 3)} ms`, '']);
      await rawMy.end();
    }
    if (ONLY !== 'mysql') {
      const POINT = 'select id, email, balance, created_at from accounts where id = $1';
      const rawPool = new pg.Pool({ connectionString: dbUrl, max: 16 });
      const rawOp = async () => {
        await rawPool.query(POINT, [1 + Math.floor(Math.random() * 10000)]);
      };
      const seqOp = async () => {
        const r = await mcp(port, key, 'tools/call', { name: 'run_query', arguments: { source: 'pg', sql: POINT, params: [1 + Math.floor(Math.random() * 10000)] } });
        if (r.status !== 200 || r.body.result?.isError) throw new Error(`run_query failed: ${JSON.stringify(r.body).slice(0, 300)}`);
      };

      // Throughput at concurrency 16.
      const raw16 = await measure(rawOp, 16, SECONDS);
      const seq16 = await measure(seqOp, 16, SECONDS);
      rows.push(['point run_query, concurrency 16', `${fmt(seq16.rps, 0)} /s`, `raw pg pool ${fmt(raw16.rps, 0)} /s`, `${fmt((100 * seq16.rps) / raw16.rps, 1)}%`, '≥ 50%']);

      // Latency at concurrency 1.
      const raw1 = await measure(rawOp, 1, SECONDS);
      const seq1 = await measure(seqOp, 1, SECONDS);
      rows.push(['point run_query p50, concurrency 1', `${fmt(seq1.p50, 3)} ms`, `raw pg ${fmt(raw1.p50, 3)} ms`, `+${fmt(seq1.p50 - raw1.p50, 3)} ms`, '≤ +0.3 ms']);
      rows.push(['point run_query p99, concurrency 1', `${fmt(seq1.p99, 3)} ms`, `raw pg ${fmt(raw1.p99, 3)} ms`, '', '']);
      await rawPool.end();

      // tools/list size.
      const list = await mcp(port, key, 'tools/list', {});
      const listBytes = Buffer.byteLength(JSON.stringify(list.body.result));
      rows.push(['tools/list result size', `${listBytes} B`, '', '', '< 2500 B']);

      // SELECT * over 200,000 rows: Sequel answers within the caps; the naive baseline reads everything.
      const rssBefore = await serverRss(port);
      const bigSeq = await measure(async () => {
        const r = await mcp(port, key, 'tools/call', { name: 'run_query', arguments: { source: 'pg', sql: 'select * from big' } });
        if (!r.body.result?.structuredContent?.truncated) throw new Error('expected a truncated result');
      }, 1, SECONDS);
      const rssAfter = await serverRss(port);
      const naive = new pg.Client({ connectionString: dbUrl });
      await naive.connect();
      const t0 = performance.now();
      await naive.query('select * from big');
      const naiveMs = performance.now() - t0;
      await naive.end();
      rows.push(['SELECT * FROM 200k rows, p50', `${fmt(bigSeq.p50, 1)} ms`, `raw full read ${fmt(naiveMs, 0)} ms`, '', '< 100 ms']);
      rows.push(['server RSS across those calls', `${fmt(rssAfter / 2 ** 20, 1)} MiB`, `before ${fmt(rssBefore / 2 ** 20, 1)} MiB`, `${rssAfter - rssBefore >= 0 ? '+' : ''}${fmt((rssAfter - rssBefore) / 2 ** 20, 1)} MiB`, 'flat']);
    }
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    const drop = new pg.Client({ connectionString: PG_URL });
    await drop.connect();
    await drop.query(`drop database if exists ${dbName} with (force)`);
    await drop.end();
    if (myUrl) {
      const c = await mysql.createConnection({ uri: MYSQL_URL });
      await c.query(`DROP DATABASE IF EXISTS ${dbName}`);
      await c.end();
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
    agent.destroy();
  }

  const header = /** @type {[string, string, string, string, string]} */ (['measurement', 'Sequel', 'baseline (same run)', 'ratio / delta', 'target']);
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? "").length)));
  for (const r of all) console.log(r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  '));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
