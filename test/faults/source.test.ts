/**
 * A PostgreSQL source failing under a call, reached through a TCP proxy (test/helpers/tcpProxy.ts):
 * its session killed mid-query (pg_terminate_backend), its connection cut (the proxy drops it), and a
 * network stall (the proxy stops forwarding, connections stay open). Each call gets a clear tool error
 * instead of hanging, the other source keeps answering, the source recovers by itself once the fault
 * clears, and every answered call is in the audit log.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditedSql, call, untilOk, type Answer } from '../helpers/faults.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { createTempPgDatabase, PG_URL, requireService, type TempDatabase } from '../helpers/services.js';
import { makeShopFile } from '../helpers/sqliteFile.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcpProxy.js';

const pgUp = await requireService('postgres', 'source fault tests');

let ts: TestServer;
let db: TempDatabase;
let proxy: TcpProxy;
let admin: pg.Client;
let key: string;
/** Holds an exclusive lock on `t` so a read of it waits inside the source (no CPU burnt) until released. */
let locker: pg.Client;
const answers: Answer[] = [];

const run = async (sql: string, source = 'pg') => {
  const a = await call(ts, key, sql, source);
  answers.push(a);
  return a;
};

beforeAll(async () => {
  if (!pgUp) return;
  db = await createTempPgDatabase('sequel_fault_src');
  const pgUrl = new URL(PG_URL);
  proxy = await startTcpProxy({ host: pgUrl.hostname, port: Number(pgUrl.port || 5432) });
  const viaProxy = new URL(db.url);
  viaProxy.hostname = '127.0.0.1';
  viaProxy.port = String(proxy.port);
  ts = await startTestServer({ demo: false, env: { SEQUEL_RATE_LIMIT_PER_MINUTE: '0' } });
  await ts.source('acme', {
    name: 'pg',
    engine: 'postgres',
    url: viaProxy.toString(),
    connectTimeoutMs: 2000,
    policy: { statementTimeoutMs: 4000 },
  });
  await ts.source('acme', { name: 'shop', engine: 'sqlite', url: makeShopFile(10) });
  key = (await ts.key('acme')).key;
  admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  locker = new pg.Client({ connectionString: db.url });
  await locker.connect();
  await locker.query('create table t (n int); insert into t values (1)');
});

/** A read that waits on the lock, tagged so pg_stat_activity can find it. */
async function blockedRead(tag: string): Promise<Promise<Answer>> {
  await locker.query('begin; lock table t in access exclusive mode');
  const p = run(`select n as ${tag} from t`);
  await whenRunning(tag);
  return p;
}

async function unlock(): Promise<void> {
  await locker.query('rollback');
}

afterAll(async () => {
  await locker?.end();
  await admin?.end();
  await ts?.close();
  await proxy?.close();
  await db?.drop();
});

async function whenRunning(pattern: string): Promise<void> {
  for (;;) {
    const r = await admin.query(`select 1 from pg_stat_activity where datname = $1 and state = 'active' and query like $2`, [db.name, `%${pattern}%`]);
    if (r.rowCount) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

function expectClear(a: Answer): void {
  if (a.kind === 'result') return;
  expect(a.kind, JSON.stringify(a)).toBe('tool-error');
  expect(['SOURCE_UNAVAILABLE', 'QUERY_ERROR', 'QUERY_TIMEOUT']).toContain(a.code);
}

describe.skipIf(!pgUp)('source faults', () => {
  it('a session killed mid-query answers a clear error; the next call works', async () => {
    expect((await run('select 1 as warm')).kind).toBe('result');
    const slow = await blockedRead('killed_mid_query');
    await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and query like '%killed_mid_query%' and pid <> pg_backend_pid()`, [db.name]);
    await unlock();
    // Killed before the server answered anything: the connector may retry once on a fresh connection
    // (then the call succeeds), or answer a clear error — never a hang, never an internal error.
    const a = await slow;
    console.log('[source fault] killed mid-query answered', JSON.stringify(a));
    expectClear(a);
    expect(await untilOk(ts, key, 'after-kill', 'pg')).toBeLessThan(40);
  }, 120_000);

  it('a connection cut mid-query answers a clear error; the next call works', async () => {
    const slow = await blockedRead('cut_mid_query');
    proxy.reset();
    await unlock();
    const a = await slow;
    console.log('[source fault] cut mid-query answered', JSON.stringify(a));
    expectClear(a);
    expect(await untilOk(ts, key, 'after-cut', 'pg')).toBeLessThan(40);
  }, 120_000);

  it('a network stall answers QUERY_TIMEOUT / SOURCE_UNAVAILABLE, not a hang; others keep serving; it recovers', async () => {
    const stalled = await blockedRead('stalled_mid_query');
    proxy.stall();
    // The lock goes: the source finishes the statement, but its answer is stuck in the silent network.
    await unlock();
    const a = await stalled;
    expect(a.kind, JSON.stringify(a)).toBe('tool-error');
    expect(['QUERY_TIMEOUT', 'SOURCE_UNAVAILABLE']).toContain(a.code);
    // A new call while the network is still silent: answered too.
    const b = await run('select 2 as during_stall');
    expect(b.kind, JSON.stringify(b)).toBe('tool-error');
    expect(['QUERY_TIMEOUT', 'SOURCE_UNAVAILABLE']).toContain(b.code);
    // The other source is untouched.
    expect((await run('select count(*) as n from orders', 'shop')).kind).toBe('result');
    proxy.resume();
    expect(await untilOk(ts, key, 'after-stall', 'pg')).toBeLessThan(40);
  }, 120_000);

  it('every answered call is in the audit log', async () => {
    const audited = await auditedSql(ts, 'acme');
    expect(answers.length).toBeGreaterThan(5);
    expect(answers.filter((a) => !audited.has(a.sql))).toEqual([]);
  });
});
