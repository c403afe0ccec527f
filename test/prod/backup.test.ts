/**
 * Backup and restore of the embedded store, as docs/deploy.md describes: `sequel backup` while the server
 * runs, then a fresh data directory made of the copy and the same server key serves the same keys,
 * sources and audit log. (The PostgreSQL store's pg_dump/pg_restore round trip is below it.)
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { connectClient, startTestServer, type TestServer } from '../helpers/server.js';
import { createTempPgDatabase, requireService, type TempDatabase } from '../helpers/services.js';

const pgUp = await requireService('postgres', 'PostgreSQL store backup and restore');
const BIN = path.resolve(import.meta.dirname, '../../dist/cli.js');
const dirs: string[] = [];
const servers: TestServer[] = [];
const dbs: TempDatabase[] = [];
afterAll(async () => {
  for (const s of servers) await s.close().catch(() => {});
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  for (const d of dbs) await d.drop().catch(() => {});
});

type ToolResult = { isError?: boolean; structuredContent?: Record<string, unknown> };

async function demoCount(url: string, key: string): Promise<unknown> {
  const client = await connectClient(url, key);
  try {
    const r = (await client.callTool({ name: 'run_query', arguments: { source: 'demo', sql: 'select count(*) as n from customers' } })) as ToolResult;
    expect(r.isError ? JSON.stringify(r.structuredContent) : 'ok').toBe('ok');
    return (r.structuredContent as { rows: unknown[][] }).rows[0]?.[0];
  } finally {
    await client.close();
  }
}

describe('backup and restore', () => {
  it('SQLite store: sequel backup while serving, restored into a new data directory', async () => {
    // The demo source's file lives in this directory and the restored store points at it: keep it.
    const liveDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sequel-live-'));
    dirs.push(liveDir);
    const live = await startTestServer({ dataDir: liveDir });
    servers.push(live);
    const { key } = await live.key('default', { name: 'before-backup' });
    const count = await demoCount(live.mcpUrl, key);
    // The call's audit entry is journaled before the answer and stored just after: a backup is of the store.
    await live.rt.audit.flush();

    const backupDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sequel-backup-'));
    dirs.push(backupDir);
    const file = path.join(backupDir, 'copy.db');
    const r = spawnSync(process.execPath, [BIN, 'backup', file], { env: { ...process.env, SEQUEL_DATA_DIR: live.dataDir, SEQUEL_LOG_LEVEL: 'warn' }, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`to ${file}`);
    expect(fs.statSync(file).mode & 0o077).toBe(0);
    // A second backup to the same file is refused rather than overwriting it.
    const again = spawnSync(process.execPath, [BIN, 'backup', file], { env: { ...process.env, SEQUEL_DATA_DIR: live.dataDir }, encoding: 'utf8' });
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('already exists');

    const restored = fs.mkdtempSync(path.join(os.tmpdir(), 'sequel-restored-'));
    dirs.push(restored);
    fs.copyFileSync(file, path.join(restored, 'sequel.db'));
    fs.copyFileSync(path.join(live.dataDir, 'server.key'), path.join(restored, 'server.key'));
    fs.chmodSync(path.join(restored, 'server.key'), 0o600);
    await live.close();
    const back = await startTestServer({ dataDir: restored });
    servers.push(back);
    expect(await demoCount(back.mcpUrl, key)).toEqual(count);
    const audited = await back.rt.store.db.selectFrom('audit_log').select('tool').where('tool', '=', 'run_query').execute();
    expect(audited.length).toBeGreaterThanOrEqual(1);
  }, 180_000);

  it.skipIf(!pgUp)('PostgreSQL store: pg_dump and pg_restore into an empty database, same secret key', async () => {
    const original = await createTempPgDatabase('sequel_backup');
    const target = await createTempPgDatabase('sequel_restore');
    dbs.push(original, target);
    const env = { SEQUEL_SECRET_KEY: 'c'.repeat(64) };
    const liveDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sequel-live-'));
    dirs.push(liveDir);
    const live = await startTestServer({ databaseUrl: original.url, env, dataDir: liveDir });
    servers.push(live);
    const { key } = await live.key('default', { name: 'before-dump' });
    const count = await demoCount(live.mcpUrl, key);
    // The call's audit entry is journaled before the answer and stored just after: a backup is of the store.
    await live.rt.audit.flush();
    const dumpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sequel-dump-'));
    dirs.push(dumpDir);
    const dump = path.join(dumpDir, 'sequel.dump');
    const d = spawnSync('pg_dump', ['--format=custom', `--file=${dump}`, original.url], { encoding: 'utf8' });
    expect(d.stderr).toBe('');
    expect(d.status).toBe(0);
    const rs = spawnSync('pg_restore', ['--no-owner', `--dbname=${target.url}`, dump], { encoding: 'utf8' });
    expect(rs.stderr).toBe('');
    expect(rs.status).toBe(0);
    const back = await startTestServer({ databaseUrl: target.url, env, dataDir: live.dataDir });
    servers.push(back);
    await live.close();
    expect(await demoCount(back.mcpUrl, key)).toEqual(count);
    const c = new pg.Client({ connectionString: target.url });
    await c.connect();
    try {
      const n = await c.query("select count(*)::int as n from audit_log where tool = 'run_query'");
      expect(n.rows[0].n).toBeGreaterThanOrEqual(1);
    } finally {
      await c.end();
    }
  }, 180_000);
});
