/**
 * The Activity page at a million audit entries (SQLite store): a filtered page, with or without a time
 * range, the first or one deep in the log, is one walk of the indexes of migration 013 — the database's
 * own plan says so, and it never sorts — and the time it took is printed (speed figures come from
 * `node bench/activity.js`, on both store dialects, not from assertions).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditFilter, AuditRecord } from '../../src/store/audit.js';
import { openStore, type Store } from '../../src/store/index.js';

const N = 1_000_000;
let store: Store;
let dir: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dd-audit-scale-'));
  store = openStore({ dataDir: dir });
  await store.migrate();
  const started = performance.now();
  // Generated in the database: 4 orgs, 20 sources, 50 users, 200 credentials, 5 tools, 1 in 23 failing,
  // a call every 2.6 s over the last month.
  await sql`
    with recursive n(i) as (select 1 union all select i + 1 from n where i < ${N})
    insert into audit_log (at, org_id, user_id, credential_kind, credential_id, credential_label, source_id, source_name, tool, sql, row_count, duration_ms, outcome, error)
    select strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-' || ((${N} - i) * 2.6) || ' seconds'),
           'org-' || (i % 4), 'user-' || (i % 50), 'api_key', 'key-' || (i % 200), 'key ' || (i % 200),
           'src-' || (i % 20), 'source' || (i % 20),
           case i % 5 when 0 then 'run_query' when 1 then 'describe_table' when 2 then 'search_schema' when 3 then 'list_sources' else 'explain_query' end,
           case when i % 5 = 0 then 'select * from t where id = ' || i end, i % 100, i % 997,
           case when i % 23 = 0 then 'QUERY_ERROR' else 'ok' end,
           case when i % 23 = 0 then 'boom' end
      from n`.execute(store.db);
  await sql`analyze`.execute(store.db);
  console.log(`generated ${N.toLocaleString('en')} audit entries in ${Math.round(performance.now() - started)} ms`);
}, 600_000);

afterAll(async () => {
  await store?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

async function plan(f: AuditFilter): Promise<string> {
  const cursor = f.beforeId === undefined ? undefined : await store.audit.cursorOf(f.orgId, f.beforeId);
  if (f.beforeId !== undefined) expect(cursor).toBeDefined();
  const compiled = store.audit.listQuery(f, cursor).compile();
  const explained = await store.db.executeQuery<{ detail: string }>({ ...compiled, sql: `explain query plan ${compiled.sql}`, query: compiled.query });
  return explained.rows.map((r) => r.detail).join('\n');
}

async function timed(f: AuditFilter): Promise<{ ms: number; rows: AuditRecord[] }> {
  const started = performance.now();
  const rows = await store.audit.list(f);
  return { ms: Math.round((performance.now() - started) * 100) / 100, rows };
}

/** One index walk: the named index, bounded by the time range when there is one, no sort, no table scan. */
function expectOneWalk(p: string, index: string, ranged: boolean): void {
  expect(p).toMatch(new RegExp(`^SEARCH audit_log USING INDEX ${index} \\(org_id=\\?[^)]*${ranged ? 'at[<>]' : ''}`, 'm'));
  expect(p).not.toMatch(/^SCAN audit_log$/m);
  expect(p).not.toMatch(/USE TEMP B-TREE/);
}

/** Newest first by time, then id, each entry matching the filter. */
function expectPage(rows: AuditRecord[], f: AuditFilter): void {
  for (let i = 1; i < rows.length; i++) {
    const [a, b] = [rows[i - 1]!, rows[i]!];
    expect(a.at > b.at || (a.at === b.at && a.id > b.id)).toBe(true);
  }
  for (const e of rows) {
    expect(e.org_id).toBe(f.orgId);
    if (f.sourceId) expect(e.source_id).toBe(f.sourceId);
    if (f.userId) expect(e.user_id).toBe(f.userId);
    if (f.credentialId) expect(e.credential_id).toBe(f.credentialId);
    if (f.tool) expect(e.tool).toBe(f.tool);
    if (f.outcome) expect(e.outcome).toBe(f.outcome);
    if (f.since) expect(e.at >= f.since).toBe(true);
    if (f.until) expect(e.at < f.until).toBe(true);
  }
}

describe(`audit log with ${N.toLocaleString('en')} entries`, () => {
  const cases: Array<[string, Omit<AuditFilter, 'orgId'>, string]> = [
    ['no filter', {}, 'audit_log_org_at_id_idx'],
    ['by source', { sourceId: 'src-5' }, 'audit_log_org_source_at_idx'],
    ['by person', { userId: 'user-9' }, 'audit_log_org_user_at_idx'],
    ['by credential', { credentialId: 'key-13' }, 'audit_log_org_credential_at_idx'],
    ['by tool', { tool: 'explain_query' }, 'audit_log_org_tool_at_idx'],
    ['by outcome', { outcome: 'QUERY_ERROR' }, 'audit_log_org_outcome_at_idx'],
  ];

  it.each(cases)('a filtered page (%s), alone or in a time range far back, first or deep, is one index walk', async (name, f, index) => {
    // Two days, ten days back: before migration 013 the database walked the filter's entries from the
    // newest back to the range (or sorted the range), 17–180 ms here.
    const range = { since: new Date(Date.now() - 12 * 86_400_000).toISOString(), until: new Date(Date.now() - 10 * 86_400_000).toISOString() };
    const times: string[] = [];
    for (const [label, r] of [['all time', {}], ['2-day range', range]] as const) {
      const filter: AuditFilter = { orgId: 'org-1', limit: 51, ...f, ...r };
      expectOneWalk(await plan(filter), index, label !== 'all time');
      const first = await timed(filter);
      expect(first.rows.length).toBe(51);
      expectPage(first.rows, filter);
      // Deep in the log: the cursor of an entry of org-1 half-way back (ids follow i), or the range's 50th entry.
      const cursor = label === 'all time' ? N / 2 + 1 : first.rows[49]!.id;
      expectOneWalk(await plan({ ...filter, beforeId: cursor }), index, true);
      const deep = await timed({ ...filter, beforeId: cursor });
      expect(deep.rows.length).toBeGreaterThan(0);
      expectPage(deep.rows, filter);
      expect(deep.rows[0]!.id).toBeLessThan(cursor);
      times.push(`${label}: first page ${first.ms} ms, a page further back ${deep.ms} ms`);
    }
    console.log(`${name}: ${times.join('; ')}`);
  });

  it('two filters and a time range page through one index', async () => {
    const until = new Date(Date.now() - 10 * 86_400_000).toISOString();
    const since = new Date(Date.now() - 12 * 86_400_000).toISOString();
    const filter: AuditFilter = { orgId: 'org-2', sourceId: 'src-6', tool: 'describe_table', since, until, limit: 51 };
    const p = await plan(filter);
    expectOneWalk(p, 'audit_log_org_(source|tool)_at_idx', true);
    const r = await timed(filter);
    console.log(`source + tool + 2-day range: ${r.ms} ms (${r.rows.length} rows); plan: ${p.replace(/\n/g, ' | ')}`);
    expect(r.rows.length).toBe(51);
    expectPage(r.rows, filter);
  });

  it('any failure ("error") with a time range walks the time index, never sorts', async () => {
    const filter: AuditFilter = { orgId: 'org-3', outcome: 'error', since: new Date(Date.now() - 30 * 86_400_000).toISOString(), limit: 51 };
    expectOneWalk(await plan(filter), 'audit_log_org_at_id_idx', true);
    const rows = await store.audit.list(filter);
    expect(rows.length).toBe(51);
    expect(rows.every((e) => e.outcome !== 'ok')).toBe(true);
  });

  it('a cursor from another organization, or one that names no entry, shows nothing older', async () => {
    const other = (await store.audit.list({ orgId: 'org-2', limit: 1 }))[0]!;
    expect(await store.audit.list({ orgId: 'org-1', beforeId: other.id, limit: 10 })).toEqual([]);
    expect(await store.audit.list({ orgId: 'org-1', beforeId: N + 10, limit: 10 })).toEqual([]);
  });

  it('pages follow each other without gaps or repeats', async () => {
    const filter: AuditFilter = { orgId: 'org-3', userId: 'user-7', limit: 100 };
    const a = await store.audit.list(filter);
    const b = await store.audit.list({ ...filter, beforeId: a[a.length - 1]!.id });
    const ids = [...a, ...b].map((e) => e.id);
    expect(new Set(ids).size).toBe(200);
    expectPage([...a, ...b], filter);
    // Every entry between the two pages' ends, and none skipped: one page of 200 is the same entries.
    expect((await store.audit.list({ ...filter, limit: 200 })).map((e) => e.id)).toEqual(ids);
  });
});
