/**
 * The audit journal's replay (src/audit.ts), on both store dialects: entries a dead process journaled
 * are replayed exactly once however many were already stored and however often the replay runs; a torn
 * last line (the crash came mid-append, so that call was never answered) is skipped; a live process's
 * journal is left alone. On the embedded store, a write lock held by another process delays the store
 * batches without blocking (or losing) anything.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { AuditWriter, entryId, hostTag, parseSegment } from '../../src/audit.js';
import type { AuditEntry } from '../../src/store/audit.js';
import { openStore } from '../../src/store/index.js';
import { requireService } from '../helpers/services.js';
import { storeDialects } from '../helpers/stores.js';

const pgUp = await requireService('postgres', 'audit journal replay on the PostgreSQL store');
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'sequel-journal-'));
  dirs.push(d);
  return d;
};

const entry = (orgId: string, i: number): AuditEntry => ({
  at: new Date().toISOString(),
  org_id: orgId,
  user_id: null,
  credential_kind: 'api_key',
  credential_id: 'k1',
  credential_label: 'k (sql_abc…)',
  source_id: null,
  source_name: 'shop',
  tool: 'run_query',
  sql: `select ${i}`,
  row_count: 1,
  duration_ms: 1,
  outcome: 'ok',
  error: null,
});

/** A pid no process has (above Linux's pid_max). */
const DEAD_PID = 2 ** 22 + 17;

describe('entry ids', () => {
  it('are UUIDv7: unique, and ordered by time (new ones land at the end of the unique index)', () => {
    const ids = Array.from({ length: 1000 }, (_, i) => entryId(1_800_000_000_000 + i));
    expect(new Set(ids).size).toBe(1000);
    expect([...ids].sort()).toEqual(ids);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('parseSegment', () => {
  it('keeps every column of an entry, the governance note and a playground credential included', () => {
    const e = { ...entry('o', 1), entry_id: 'g', credential_kind: 'playground' as const, governance: 'masked:1 column (hash), 3 values' };
    expect(parseSegment(`${JSON.stringify(e)}\n`)).toEqual([e]);
  });


  it('skips a torn last line and reports a corrupt middle one', () => {
    const good = JSON.stringify({ ...entry('o', 1), entry_id: 'a' });
    const bad: number[] = [];
    const out = parseSegment(`${good}\n{"not json\n${good.replace('"a"', '"b"')}\n{"entry_id":"c","at":"2026`, (l) => bad.push(l));
    expect(out.map((e) => e.entry_id)).toEqual(['a', 'b']);
    expect(bad).toEqual([2]);
  });
});

describe.each(storeDialects(pgUp, 'sequel_journal'))('journal replay, $name store', (dialect) => {
  it('replays a dead process journal exactly once, whatever was stored before the crash', async () => {
    const { store, cleanup } = await dialect.open();
    try {
      await store.migrate();
      const org = await store.orgs.create('journal-org');
      const live = tmp();
      // delayMs huge: nothing reaches the store unless flushed, as if the process died right after answering.
      const a = new AuditWriter(store, undefined, { durability: 'journal', journalDir: live, delayMs: 1e9 });
      for (let i = 0; i < 10; i++) await a.write(entry(org.id, i));
      await a.flush();
      for (let i = 10; i < 30; i++) await a.write(entry(org.id, i));
      expect((await store.audit.list({ orgId: org.id, limit: 1000 })).length).toBe(10);

      // The "dead" process's journal: the same bytes under a pid nobody has.
      const [segment] = fs.readdirSync(live);
      const crashed = tmp();
      const copy = path.join(crashed, `${hostTag()}-${DEAD_PID}-1-0.jsonl`);
      fs.copyFileSync(path.join(live, segment!), copy);
      fs.appendFileSync(copy, '{"entry_id":"torn","at":"20'); // a crash mid-append

      const b = new AuditWriter(store, undefined, { durability: 'journal', journalDir: crashed });
      expect(await b.recover()).toBe(30);
      expect(fs.readdirSync(crashed)).toEqual([]);
      const stored = await store.audit.list({ orgId: org.id, limit: 1000 });
      expect(stored.map((e) => e.sql).sort()).toEqual(Array.from({ length: 30 }, (_, i) => `select ${i}`).sort());

      // Replaying the same journal again (a crash during the first replay) adds nothing.
      fs.copyFileSync(path.join(live, segment!), copy);
      expect(await b.recover()).toBe(30);
      expect((await store.audit.list({ orgId: org.id, limit: 1000 })).length).toBe(30);

      // Two processes recovering at once (the workers of one `serve` starting after a crash): neither fails
      // on a segment the other replayed and deleted first, and nothing is stored twice.
      for (let i = 0; i < 4; i++) fs.copyFileSync(path.join(live, segment!), path.join(crashed, `${hostTag()}-${DEAD_PID}-1-${i}.jsonl`));
      const c = new AuditWriter(store, undefined, { durability: 'journal', journalDir: crashed });
      const counts = await Promise.all([b.recover(), c.recover()]);
      expect(counts[0] + counts[1]).toBeGreaterThanOrEqual(4 * 30);
      expect(fs.readdirSync(crashed)).toEqual([]);
      expect((await store.audit.list({ orgId: org.id, limit: 1000 })).length).toBe(30);

      // A journal whose process is alive (here: our parent) is not touched.
      const alive = path.join(crashed, `${hostTag()}-${process.ppid}-1-0.jsonl`);
      fs.copyFileSync(path.join(live, segment!), alive);
      expect(await b.recover()).toBe(0);
      expect(fs.existsSync(alive)).toBe(true);

      await a.close();
      expect(fs.readdirSync(live)).toEqual([]);
    } finally {
      await cleanup();
    }
  }, 120_000);
});

describe('audit writer on the embedded store, another process holding the write lock', () => {
  it('answers at once from the journal, stores nothing while locked, and everything once the lock is free', async () => {
    const dir = tmp();
    const store = openStore({ dataDir: dir });
    // The other process: a second connection that takes SQLite's write lock and keeps it.
    const other = new Database(path.join(dir, 'sequel.db'));
    try {
      await store.migrate();
      const org = await store.orgs.create('busy-org');
      const a = new AuditWriter(store, undefined, { durability: 'journal', journalDir: path.join(dir, 'journal'), delayMs: 1 });
      other.exec('begin immediate');
      // Calls of one turn share one journal write; each is answered once it is in the journal.
      await Promise.all(Array.from({ length: 20 }, (_, i) => a.write(entry(org.id, i))));
      const [segment] = fs.readdirSync(path.join(dir, 'journal'));
      expect(parseSegment(fs.readFileSync(path.join(dir, 'journal', segment!), 'utf8'))).toHaveLength(20);
      // Background store batches meet the lock and are retried, never waiting (the event loop keeps turning).
      for (let i = 0; i < 10; i++) await new Promise((r) => setTimeout(r, 5));
      expect(other.prepare('select count(*) n from audit_log').get()).toEqual({ n: 0 });
      other.exec('commit');
      await a.flush();
      expect((await store.audit.list({ orgId: org.id, limit: 100 })).map((e) => e.sql).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `select ${i}`).sort());
      await a.close();
      expect(fs.readdirSync(path.join(dir, 'journal'))).toEqual([]);
    } finally {
      if (other.inTransaction) other.exec('rollback');
      other.close();
      await store.close();
    }
  }, 60_000);
});
