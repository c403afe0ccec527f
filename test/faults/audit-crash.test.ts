/**
 * Audit durability (src/audit.ts): the real server, as its own process, under load of API-key `run_query`
 * calls, killed with SIGKILL mid-load (no shutdown hook runs, nothing is flushed), then restarted. Every
 * call that got an answer must have its audit entry in the store — 0 lost — on the SQLite store and the
 * PostgreSQL store. Each call's SQL is unique, so the count is exact. The default SEQUEL_AUDIT_FSYNC=interval
 * answers once the entry is written (page cache, which outlives the process), `always` once it is
 * fdatasync'd: both must lose nothing to a process crash.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rawToolCall, spawnServer, type ServerProcess } from '../helpers/server.js';
import { auditEntries, provision } from '../helpers/provision.js';
import { createTempPgDatabase, requireService, type TempDatabase } from '../helpers/services.js';
import { makeShopFile } from '../helpers/sqliteFile.js';

const pgUp = await requireService('postgres', 'audit crash test on the PostgreSQL store');

const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

const stores = [
  { name: 'sqlite', fsync: 'interval' },
  { name: 'sqlite', fsync: 'always' },
  ...(pgUp ? [{ name: 'postgres', fsync: 'interval' }] : []),
] as const;

describe.each(stores)('kill -9 under load, $name store, SEQUEL_AUDIT_FSYNC=$fsync', ({ name, fsync }) => {
  it('every answered call has its audit entry after the restart (0 lost)', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sequel-crash-'));
    cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
    let db: TempDatabase | undefined;
    if (name === 'postgres') {
      db = await createTempPgDatabase('sequel_crash');
      cleanups.push(() => db!.drop());
    }
    const databaseUrl = db?.url;
    const { orgId, key } = await provision({
      dataDir,
      ...(databaseUrl ? { databaseUrl } : {}),
      sources: [{ name: 'shop', engine: 'sqlite', url: makeShopFile(100) }],
    });
    const env = { SEQUEL_RATE_LIMIT_PER_MINUTE: '0', SEQUEL_OAUTH: '0', SEQUEL_AUDIT_FSYNC: fsync };
    let server: ServerProcess | undefined = await spawnServer({ dataDir, ...(databaseUrl ? { databaseUrl } : {}), env });
    cleanups.push(() => server?.kill9());

    const answered = new Set<string>();
    let next = 0;
    let killed = false;
    const KILL_AFTER = 300;
    const worker = async () => {
      while (!killed) {
        const sql = `select ${next++} as call_no, count(*) as n from orders`;
        try {
          const r = await rawToolCall(server!.mcpUrl, key, 'run_query', { source: 'shop', sql });
          // An answer is a tool result (success or tool error); both must be audited.
          if (r.status === 200 && r.body?.result) answered.add(sql);
        } catch {
          // The connection died with the server: this call got no answer.
        }
        if (answered.size >= KILL_AFTER && !killed) {
          killed = true;
          await server!.kill9();
        }
      }
    };
    await Promise.all(Array.from({ length: 12 }, worker));
    expect(server.child.signalCode).toBe('SIGKILL');

    server = await spawnServer({ dataDir, ...(databaseUrl ? { databaseUrl } : {}), env: { ...env, SEQUEL_LOG_LEVEL: 'info' } });
    const replayed = /audit journal replayed.*?"entries":(\d+)/.exec(server.output())?.[1] ?? '0';
    await server.stop();

    const audited = new Set((await auditEntries({ dataDir, ...(databaseUrl ? { databaseUrl } : {}), orgId })).map((e) => e.sql));
    const lost = [...answered].filter((sql) => !audited.has(sql));
    console.log(`[audit crash, ${name}, ${fsync}] calls sent ${next}, answered ${answered.size}, audited ${audited.size}, replayed from the journal ${replayed}, lost ${lost.length}`);
    expect(answered.size).toBeGreaterThanOrEqual(KILL_AFTER);
    expect(lost).toEqual([]);
    // The journal was trimmed after the replay and the graceful stop.
    expect(fs.readdirSync(path.join(dataDir, 'audit-journal'))).toEqual([]);
  }, 180_000);
});
