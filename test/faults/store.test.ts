/**
 * The store becomes unavailable in the middle of traffic: the PostgreSQL store's database stops taking
 * connections and its sessions are terminated (pg_terminate_backend), or another process takes the
 * SQLite store's write lock. Meanwhile every call gets a clear answer (a JSON-RPC result or error, or an
 * HTTP error with a JSON body — never a hang), the server recovers by itself when the store is back, and
 * every call that was answered with a result has its audit entry (no acknowledged write lost).
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { auditedSql, call, untilOk, type Answer } from '../helpers/faults.js';
import { startTestServer } from '../helpers/server.js';
import { createTempPgDatabase, PG_URL, requireService, type TempDatabase } from '../helpers/services.js';
import { makeShopFile } from '../helpers/sqliteFile.js';

const pgUp = await requireService('postgres', 'store fault tests on the PostgreSQL store');

const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

describe.skipIf(!pgUp)('PostgreSQL store unavailable mid-traffic', () => {
  it('answers clearly while the store is gone, recovers by itself, loses no audit entry', async () => {
    const db: TempDatabase = await createTempPgDatabase('sequel_fault_store');
    cleanups.push(() => db.drop());
    const ts = await startTestServer({ databaseUrl: db.url, demo: false, env: { SEQUEL_RATE_LIMIT_PER_MINUTE: '0' } });
    cleanups.push(() => ts.close());
    await ts.source('acme', { name: 'shop', engine: 'sqlite', url: makeShopFile(10) });
    const { key } = await ts.key('acme');
    expect((await call(ts, key, 'select 1 as warm')).kind).toBe('result');

    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    cleanups.push(() => admin.end());
    const answers: Answer[] = [];
    let n = 0;
    let stop = false;
    const load = Promise.all(
      Array.from({ length: 6 }, async () => {
        while (!stop) answers.push(await call(ts, key, `select ${n++} as call_no`));
      }),
    );
    while (answers.length < 20) await new Promise((r) => setTimeout(r, 20));
    // The store goes away: no new sessions, and every open one killed mid-whatever-it-was-doing.
    await admin.query(`alter database ${db.name} allow_connections false`);
    await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = $1`, [db.name]);
    const before = answers.length;
    while (answers.length < before + 30) await new Promise((r) => setTimeout(r, 50));
    const during = answers.slice(before);
    await admin.query(`alter database ${db.name} allow_connections true`);
    stop = true;
    await load;
    const attempts = await untilOk(ts, key, 'pg');

    const failures = during.filter((a) => a.kind !== 'result');
    console.log(`[store fault, postgres] ${answers.length} calls; during the outage ${failures.length}/${during.length} failed:`, [...new Set(failures.map((a) => `${a.kind} ${a.code}`))].join(', '), `; recovered after ${attempts} retries`);
    // The outage was seen, and seen as a clear, stable answer.
    expect(failures.length).toBeGreaterThan(0);
    for (const f of failures) expect(f.kind === 'http-error' ? [503] : f.kind === 'rpc-error' ? [-32603] : ['INTERNAL_ERROR', 'SOURCE_UNAVAILABLE'], JSON.stringify(f)).toContain(f.code);

    const audited = await auditedSql(ts, 'acme');
    const lost = answers.filter((a) => a.kind === 'result' && !audited.has(a.sql));
    expect(lost).toEqual([]);
  }, 180_000);
});

describe('SQLite store locked by another process mid-traffic', () => {
  it('answers clearly while the lock is held, recovers by itself, loses no audit entry', async () => {
    const ts = await startTestServer({ demo: false, env: { SEQUEL_RATE_LIMIT_PER_MINUTE: '0' } });
    cleanups.push(() => ts.close());
    await ts.source('acme', { name: 'shop', engine: 'sqlite', url: makeShopFile(10) });
    const { key } = await ts.key('acme');
    expect((await call(ts, key, 'select 1 as warm')).kind).toBe('result');

    const answers: Answer[] = [];
    let n = 0;
    let stop = false;
    const load = Promise.all(
      Array.from({ length: 4 }, async () => {
        while (!stop) answers.push(await call(ts, key, `select ${n++} as call_no`));
      }),
    );
    while (answers.length < 20) await new Promise((r) => setTimeout(r, 20));
    // Another process (a backup tool, an admin's sqlite3 shell) holds the write lock for a while:
    // the store's audit writes wait past their busy timeout and fail.
    const other = new Database(path.join(ts.dataDir, 'sequel.db'));
    other.exec('begin exclusive');
    const before = answers.length;
    // Held until the server has met the lock (its audit batches go every 100 ms) and 40 more calls were answered.
    const metLock = () => ts.logs.some((l) => l.includes('audit store write failed; retrying from the journal'));
    while (answers.length < before + 40 || !metLock()) await new Promise((r) => setTimeout(r, 50));
    other.exec('rollback');
    other.close();
    stop = true;
    await load;
    await untilOk(ts, key, 'sqlite');

    // Reads of a WAL database go on under another's write lock, and audit entries wait in the journal:
    // answers keep coming, and none is lost once the lock is released.
    const failures = answers.filter((a) => a.kind !== 'result');
    console.log(`[store fault, sqlite lock] ${answers.length} calls, ${failures.length} failed`);
    for (const f of failures) expect(['INTERNAL_ERROR', 'SOURCE_UNAVAILABLE', 503], JSON.stringify(f)).toContain(f.code);
    const audited = await auditedSql(ts, 'acme');
    const lost = answers.filter((a) => a.kind === 'result' && !audited.has(a.sql));
    expect(lost).toEqual([]);
    expect(ts.logs.some((l) => l.includes('audit store write failed; retrying from the journal'))).toBe(true);
  }, 180_000);
});
