/**
 * Replicas starting at the same moment on an empty store: every one comes up, the schema is migrated once,
 * and the first-run defaults (the default organization, the demo source) exist once. Real processes
 * (`sequel serve`), on the embedded SQLite file and on a PostgreSQL store.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/server.js';
import { createTempPgDatabase, requireService, type TempDatabase } from '../helpers/services.js';

const pgUp = await requireService('postgres', 'replicas starting together on a PostgreSQL store');
const BIN = path.resolve(import.meta.dirname, '../../dist/cli.js');
const REPLICAS = Number(process.env.SEQUEL_TEST_REPLICAS ?? 3);

const children: ChildProcess[] = [];
const dirs: string[] = [];
const dbs: TempDatabase[] = [];

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  for (const db of dbs) await db.drop().catch(() => {});
});

/**
 * Starts `sequel serve` and resolves once /readyz answers 200, or rejects with what the process printed.
 * A free port can be taken by another test between picking it and listening: then try another.
 */
async function startReplica(env: NodeJS.ProcessEnv): Promise<{ url: string; output: () => string }> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await startReplicaOnce(env);
    } catch (err) {
      if (attempt >= 3 || !/already in use/.test(String(err))) throw err;
    }
  }
}

async function startReplicaOnce(env: NodeJS.ProcessEnv): Promise<{ url: string; output: () => string }> {
  const port = await freePort();
  const child = spawn(process.execPath, [BIN, 'serve'], {
    env: { ...process.env, ...env, SEQUEL_PORT: String(port), SEQUEL_HOST: '127.0.0.1', SEQUEL_LOG_LEVEL: 'info' },
  });
  children.push(child);
  let out = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (out += d));
  const url = `http://127.0.0.1:${port}`;
  let exited: number | null = null;
  child.on('exit', (code) => (exited = code ?? -1));
  for (;;) {
    if (exited !== null) throw new Error(`replica exited with ${exited}:\n${out}`);
    try {
      const r = await fetch(`${url}/readyz`);
      if (r.status === 200) return { url, output: () => out };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Processes that open the store, then all migrate on the same signal (a line on stdin), so the migrations
 * really overlap instead of being spread out by process start-up time.
 */
async function migrateTogether(env: NodeJS.ProcessEnv, n: number): Promise<string[]> {
  const storeModule = path.resolve(import.meta.dirname, '../../dist/store/index.js');
  const script = `
    const { openStore } = await import(${JSON.stringify(storeModule)});
    const store = openStore({ dataDir: process.env.SEQUEL_DATA_DIR, databaseUrl: process.env.SEQUEL_DATABASE_URL });
    process.stdout.write('ready\\n');
    process.stdin.once('data', async () => {
      try { const applied = await store.migrate(); process.stdout.write('applied ' + applied.length + '\\n'); }
      catch (err) { process.stdout.write('failed ' + err.message + '\\n'); process.exitCode = 1; }
      finally { await store.close(); process.stdin.destroy(); }
    });`;
  const procs = Array.from({ length: n }, () => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, ...env } });
    children.push(child);
    let out = '';
    child.stderr.on('data', (d) => (out += d));
    const ready = new Promise<void>((resolve) => child.stdout.on('data', (d) => ((out += d), out.includes('ready') && resolve())));
    const done = new Promise<string>((resolve) => child.on('close', () => resolve(out.replace('ready\n', '').trim())));
    return { child, ready, done };
  });
  await Promise.all(procs.map((p) => p.ready));
  for (const p of procs) p.child.stdin.write('go\n');
  return Promise.all(procs.map((p) => p.done));
}

describe('migrations started at the same moment', () => {
  it('SQLite file: one process applies them, the others wait and find nothing to do', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sequel-migrate-'));
    dirs.push(dataDir);
    const results = await migrateTogether({ SEQUEL_DATA_DIR: dataDir }, REPLICAS);
    expect(results.filter((r) => r.startsWith('failed'))).toEqual([]);
    expect(results.filter((r) => r !== 'applied 0')).toHaveLength(1);
  }, 180_000);

  it.skipIf(!pgUp)('PostgreSQL store: one process applies them, the others wait and find nothing to do', async () => {
    const store = await createTempPgDatabase('sequel_concurrent');
    dbs.push(store);
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sequel-migrate-'));
    dirs.push(dataDir);
    const results = await migrateTogether({ SEQUEL_DATA_DIR: dataDir, SEQUEL_DATABASE_URL: store.url }, REPLICAS);
    expect(results.filter((r) => r.startsWith('failed'))).toEqual([]);
    expect(results.filter((r) => r !== 'applied 0')).toHaveLength(1);
  }, 180_000);
});

describe('replicas starting together on an empty store', () => {
  it('SQLite file: all come up, migrations and defaults applied once', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sequel-concurrent-'));
    dirs.push(dataDir);
    const env = { SEQUEL_DATA_DIR: dataDir, SEQUEL_DEMO: '1' };
    const replicas = await Promise.all(Array.from({ length: REPLICAS }, () => startReplica(env)));
    expect(replicas).toHaveLength(REPLICAS);
    const db = new Database(path.join(dataDir, 'sequel.db'), { readonly: true });
    try {
      const migrations = db.prepare('select name from kysely_migration').all() as Array<{ name: string }>;
      expect(new Set(migrations.map((m) => m.name)).size).toBe(migrations.length);
      expect(migrations.length).toBeGreaterThan(1);
      expect(db.prepare("select count(*) as n from organizations where slug = 'default'").get()).toEqual({ n: 1 });
      expect(db.prepare("select count(*) as n from sources where name = 'demo'").get()).toEqual({ n: 1 });
    } finally {
      db.close();
    }
  }, 180_000);

  it.skipIf(!pgUp)('PostgreSQL store: all come up, migrations and defaults applied once', async () => {
    const store = await createTempPgDatabase('sequel_concurrent');
    dbs.push(store);
    const env = { SEQUEL_DATABASE_URL: store.url, SEQUEL_DEMO: '0', SEQUEL_SECRET_KEY: 'a'.repeat(64) };
    const replicas = [];
    for (let i = 0; i < REPLICAS; i++) {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sequel-concurrent-'));
      dirs.push(dataDir);
      replicas.push(startReplica({ ...env, SEQUEL_DATA_DIR: dataDir }));
    }
    expect(await Promise.all(replicas)).toHaveLength(REPLICAS);
    const c = new pg.Client({ connectionString: store.url });
    await c.connect();
    try {
      const m = await c.query<{ name: string }>('select name from kysely_migration');
      expect(new Set(m.rows.map((r) => r.name)).size).toBe(m.rows.length);
      expect(m.rows.length).toBeGreaterThan(1);
      const orgs = await c.query("select count(*)::int as n from organizations where slug = 'default'");
      expect(orgs.rows[0]).toEqual({ n: 1 });
    } finally {
      await c.end();
    }
  }, 180_000);
});
