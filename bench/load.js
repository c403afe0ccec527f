// @ts-check
/**
 * The load generator of `npm run bench`, run as its own process (as a client on another machine would be):
 * `node bench/load.js '<json spec>'` runs a closed loop of `concurrency` callers for `seconds` against one
 * target and prints one JSON line: throughput, p50/p99 latency (ms), calls, bytes of the last answer.
 *
 * Targets: `mcp` (a tools/call or tools/list over Streamable HTTP, in the 2026-07-28 per-request envelope or
 * the 2025 era after `initialize`, optionally with a session id as stateful servers want; over https when
 * `tls` names a CA to trust), and the raw
 * drivers the figures are compared with: `pg`, `mysql`, `sqlite`, `duckdb`.
 *
 * The measured loop of a plain-http `mcp` target speaks HTTP/1.1 on its own keep-alive sockets, one per
 * caller, with the request's bytes built once (as wrk does): node's http client costs about as much CPU
 * per call as the server under test, and on a 2-core machine that CPU is taken from the server and the
 * database. Every MCP server (Sequel and the peers) is measured through the same client.
 */
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';

/** @typedef {{ target: 'mcp', port: number, path?: string, token?: string, era?: 'modern' | 'legacy', method?: string, tool?: string, args?: Record<string, unknown>, check?: string, tls?: TlsSpec }} McpSpec */
/** https to 127.0.0.1, verifying the certificate for `servername` against the CA in `caFile` (bench/proxy.js). @typedef {{ caFile: string, servername: string }} TlsSpec */
/** @typedef {{ target: 'pg' | 'mysql', url: string, sql: string }} NetSpec */
/** @typedef {{ target: 'sqlite' | 'duckdb', file: string, sql: string }} FileSpec */
/** @typedef {(McpSpec | NetSpec | FileSpec) & { concurrency: number, seconds: number, warmupMs?: number }} Spec */

/** @param {number[]} xs @param {number} q */
function quantile(xs, q) {
  const s = Float64Array.from(xs).sort();
  return s[Math.min(s.length - 1, Math.floor(s.length * q))] ?? NaN;
}

/**
 * @param {() => Promise<number | void>} op returns the answer's size in bytes when it knows it
 * @param {number} concurrency @param {number} seconds @param {number} warmupMs
 */
async function measure(op, concurrency, seconds, warmupMs) {
  const warmEnd = Date.now() + warmupMs;
  await Promise.all(Array.from({ length: concurrency }, async () => { while (Date.now() < warmEnd) await op(); }));
  /** @type {number[]} */
  const lat = [];
  let bytes = 0;
  const end = Date.now() + seconds * 1000;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < end) {
        const t = performance.now();
        const b = await op();
        lat.push(performance.now() - t);
        if (typeof b === 'number') bytes = b;
      }
    }),
  );
  const secs = (performance.now() - start) / 1000;
  return { rps: lat.length / secs, p50: quantile(lat, 0.5), p99: quantile(lat, 0.99), n: lat.length, bytes };
}

/**
 * One POST; resolves with status, headers and the body (an SSE answer is unwrapped to its data line).
 * @param {http.Agent} agent @param {number} port @param {string} path @param {Record<string, string | number>} headers @param {Buffer} payload
 * @returns {Promise<{ status: number, headers: http.IncomingHttpHeaders, body: Buffer }>}
 */
function post(agent, port, path, headers, payload) {
  return new Promise((resolve, reject) => {
    const request = agent instanceof https.Agent ? https.request : http.request;
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', agent, headers }, (res) => {
      /** @type {Buffer[]} */
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** @param {{ headers: http.IncomingHttpHeaders, body: Buffer }} r */
function jsonOf(r) {
  const text = r.body.toString('utf8');
  if (String(r.headers['content-type'] ?? '').startsWith('text/event-stream')) {
    const data = text.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).pop() ?? 'null';
    return JSON.parse(data);
  }
  return JSON.parse(text);
}

/** @param {McpSpec & { concurrency: number }} spec @returns {Promise<() => Promise<number>>} */
async function mcpOp(spec) {
  const agent = spec.tls
    ? new https.Agent({ keepAlive: true, maxSockets: spec.concurrency, ca: fs.readFileSync(spec.tls.caFile), servername: spec.tls.servername })
    : new http.Agent({ keepAlive: true, maxSockets: spec.concurrency });
  const path = spec.path ?? '/mcp';
  const method = spec.method ?? 'tools/call';
  const params = method === 'tools/call' ? { name: spec.tool, arguments: spec.args ?? {} } : {};
  /** @type {Record<string, string | number>} */
  const base = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  if (spec.token) base.authorization = `Bearer ${spec.token}`;
  if (spec.tls) base.host = `${spec.tls.servername}:${spec.port}`;
  /** @type {Buffer} */
  let payload;
  if ((spec.era ?? 'modern') === 'modern') {
    const meta = {
      'io.modelcontextprotocol/protocolVersion': '2026-07-28',
      'io.modelcontextprotocol/clientInfo': { name: 'sequel-bench', version: '1' },
      'io.modelcontextprotocol/clientCapabilities': {},
    };
    payload = Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: { ...params, _meta: meta } }));
    Object.assign(base, { 'mcp-protocol-version': '2026-07-28', 'mcp-method': method });
    if (spec.tool && method === 'tools/call') base['mcp-name'] = spec.tool;
  } else {
    // 2025 era: initialize once (keeping a session id when the server hands one out), then calls.
    const init = Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'sequel-bench', version: '1' } } }));
    const r = await post(agent, spec.port, path, { ...base, 'content-length': init.length }, init);
    if (r.status !== 200) throw new Error(`initialize answered ${r.status}: ${r.body.toString('utf8').slice(0, 300)}`);
    const version = jsonOf(r).result?.protocolVersion ?? '2025-06-18';
    const session = r.headers['mcp-session-id'];
    base['mcp-protocol-version'] = version;
    if (typeof session === 'string') base['mcp-session-id'] = session;
    const note = Buffer.from(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
    await post(agent, spec.port, path, { ...base, 'content-length': note.length }, note);
    payload = Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }));
  }
  const headers = { ...base, 'content-length': payload.length };
  if (!spec.tls && !spec.check) return rawPoster(spec.port, path, headers, payload, method);
  return async () => {
    const r = await post(agent, spec.port, path, headers, payload);
    if (r.status !== 200) throw new Error(`${method} answered ${r.status}: ${r.body.toString('utf8').slice(0, 300)}`);
    if (spec.check) {
      const body = jsonOf(r);
      if (body.error || body.result?.isError) throw new Error(`${method} failed: ${JSON.stringify(body).slice(0, 300)}`);
    }
    return r.body.length;
  };
}

/**
 * Closed-loop POSTs of one fixed request on raw keep-alive sockets: a socket per caller in flight, the
 * response read just far enough to know its status and where it ends (Content-Length or chunked).
 * @param {number} port @param {string} path @param {Record<string, string | number>} headers @param {Buffer} payload @param {string} method
 * @returns {() => Promise<number>} one call; resolves with the response body's size
 */
function rawPoster(port, path, headers, payload, method) {
  const head = [`POST ${path} HTTP/1.1`, `host: 127.0.0.1:${port}`, 'connection: keep-alive', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)].join('\r\n');
  const request = Buffer.concat([Buffer.from(`${head}\r\n\r\n`), payload]);
  /** @type {net.Socket[]} */
  const idle = [];
  /** @param {net.Socket} socket @returns {Promise<number>} */
  const exchange = (socket) =>
    new Promise((resolve, reject) => {
      /** @type {Buffer} */
      let buf = Buffer.alloc(0);
      let headerEnd = -1;
      let status = 0;
      let length = -1;
      let chunked = false;
      let close = false;
      const done = (/** @type {Error | null} */ err, /** @type {number} */ size) => {
        socket.off('data', onData);
        socket.off('error', onError);
        socket.off('close', onClose);
        if (err) {
          socket.destroy();
          reject(err);
          return;
        }
        if (close) socket.destroy();
        else idle.push(socket);
        if (status !== 200) reject(new Error(`${method} answered ${status}: ${buf.subarray(headerEnd + 4, headerEnd + 304).toString('utf8')}`));
        else resolve(size);
      };
      const onError = (/** @type {Error} */ err) => done(err, 0);
      const onClose = () => done(new Error('the server closed the connection'), 0);
      const onData = (/** @type {Buffer} */ chunk) => {
        buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
        if (headerEnd < 0) {
          headerEnd = buf.indexOf('\r\n\r\n');
          if (headerEnd < 0) return;
          const lines = buf.subarray(0, headerEnd).toString('latin1').split('\r\n');
          status = Number(lines[0]?.split(' ')[1] ?? 0);
          for (const line of lines.slice(1)) {
            const i = line.indexOf(':');
            const name = line.slice(0, i).trim().toLowerCase();
            const value = line.slice(i + 1).trim().toLowerCase();
            if (name === 'content-length') length = Number(value);
            else if (name === 'transfer-encoding' && value.includes('chunked')) chunked = true;
            else if (name === 'connection' && value === 'close') close = true;
          }
        }
        const body = headerEnd + 4;
        if (length >= 0) {
          if (buf.length >= body + length) done(null, length);
          return;
        }
        if (chunked) {
          // Walk the chunks: size line, data, CRLF; the last chunk has size 0 (trailers are not used here).
          let at = body;
          let size = 0;
          for (;;) {
            const eol = buf.indexOf('\r\n', at);
            if (eol < 0) return;
            const n = parseInt(buf.subarray(at, eol).toString('latin1'), 16);
            if (n === 0) {
              if (buf.length >= eol + 4) done(null, size);
              return;
            }
            if (buf.length < eol + 2 + n + 2) return;
            size += n;
            at = eol + 2 + n + 2;
          }
        }
      };
      socket.on('data', onData);
      socket.on('error', onError);
      socket.on('close', onClose);
      socket.write(request);
    });
  return async () => {
    let socket = idle.pop();
    if (!socket) {
      const s = net.connect(port, '127.0.0.1');
      s.setNoDelay(true);
      await new Promise((resolve, reject) => s.once('connect', resolve).once('error', reject));
      socket = s;
    }
    return exchange(socket);
  };
}

/** @param {Spec} spec @returns {Promise<{ op: () => Promise<number | void>, close: () => Promise<void> }>} */
async function target(spec) {
  switch (spec.target) {
    case 'mcp': {
      const op = await mcpOp(spec);
      // The first answer is checked in full; afterwards only the status (the loop measures the server).
      await mcpOp({ ...spec, check: 'yes' }).then((o) => o());
      return { op, close: async () => {} };
    }
    case 'pg': {
      const { default: pg } = await import('pg');
      const pool = new pg.Pool({ connectionString: spec.url, max: spec.concurrency });
      return { op: async () => void (await pool.query(spec.sql)), close: () => pool.end() };
    }
    case 'mysql': {
      const { default: mysql } = await import('mysql2/promise');
      const pool = mysql.createPool({ uri: spec.url, connectionLimit: spec.concurrency });
      return { op: async () => void (await pool.query(spec.sql)), close: () => pool.end() };
    }
    case 'sqlite': {
      const { default: Database } = await import('better-sqlite3');
      const db = new Database(spec.file, { readonly: true });
      const stmt = db.prepare(spec.sql);
      return { op: async () => void stmt.all(), close: async () => void db.close() };
    }
    case 'duckdb': {
      const { DuckDBInstance } = await import('@duckdb/node-api');
      const instance = await DuckDBInstance.create(spec.file, { access_mode: 'READ_ONLY' });
      const conns = await Promise.all(Array.from({ length: spec.concurrency }, () => instance.connect()));
      let i = 0;
      return {
        op: async () => {
          const c = conns[i++ % conns.length];
          if (c) await c.runAndReadAll(spec.sql);
        },
        close: async () => {
          for (const c of conns) c.closeSync();
          instance.closeSync();
        },
      };
    }
    default:
      throw new Error(`unknown target ${JSON.stringify(spec)}`);
  }
}

const spec = /** @type {Spec} */ (JSON.parse(process.argv[2] ?? '{}'));
const t = await target(spec);
try {
  const r = await measure(t.op, spec.concurrency, spec.seconds, spec.warmupMs ?? 500);
  process.stdout.write(`${JSON.stringify(r)}\n`);
} finally {
  await t.close();
}
process.exit(0);
