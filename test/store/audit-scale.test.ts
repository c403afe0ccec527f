/**
 * The Activity page at a million audit entries (SQLite store): a filtered page is read through the
 * indexes of migration 004 — the database's own plan says so — and the time it took is printed (speed
 * targets live in `npm run bench`, not in assertions).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditFilter } from '../../src/store/audit.js';
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
  const compiled = store.audit.listQuery(f).compile();
  const explained = await store.db.executeQuery<{ detail: string }>({ ...compiled, sql: `explain query plan ${compiled.sql}`, query: compiled.query });
  return explained.rows.map((r) => r.detail).join('\n');
}

async function timed(f: AuditFilter): Promise<{ ms: number; rows: number }> {
  const started = performance.now();
  const rows = await store.audit.list(f);
  return { ms: Math.round((performance.now() - started) * 100) / 100, rows: rows.length };
}

describe(`audit log with ${N.toLocaleString('en')} entries`, () => {
  const cases: Array<[string, Omit<AuditFilter, 'orgId'>, RegExp]> = [
    ['no filter', {}, /audit_log_org_at_idx|USING INTEGER PRIMARY KEY|audit_log_org_\w+_idx/],
    ['by source', { sourceId: 'src-5' }, /audit_log_org_source_idx/],
    ['by person', { userId: 'user-9' }, /audit_log_org_user_idx/],
    ['by credential', { credentialId: 'key-13' }, /audit_log_org_credential_idx/],
    ['by tool', { tool: 'explain_query' }, /audit_log_org_tool_idx/],
    ['by outcome', { outcome: 'QUERY_ERROR' }, /audit_log_org_outcome_idx/],
  ];

  it.each(cases)('a filtered page (%s) is read through an index, never a scan of the table', async (_name, f, index) => {
    const filter: AuditFilter = { orgId: 'org-1', limit: 51, ...f };
    const p = await plan(filter);
    expect(p).toMatch(index);
    expect(p).not.toMatch(/^SCAN audit_log$/m);
    expect(p).not.toMatch(/USE TEMP B-TREE FOR ORDER BY/);
    const first = await timed(filter);
    // Deep in the log: the cursor of an entry half-way back.
    const deep = await timed({ ...filter, beforeId: N / 2 });
    console.log(`${_name}: first page ${first.ms} ms (${first.rows} rows), a page half-way back ${deep.ms} ms; plan: ${p.replace(/\n/g, ' | ')}`);
    expect(first.rows).toBeGreaterThan(0);
    expect(deep.rows).toBeGreaterThan(0);
  });

  it('two filters and a time range still page through an index', async () => {
    const until = new Date(Date.now() - 10 * 86_400_000).toISOString();
    const since = new Date(Date.now() - 12 * 86_400_000).toISOString();
    const filter: AuditFilter = { orgId: 'org-2', sourceId: 'src-6', tool: 'describe_table', since, until, limit: 51 };
    const p = await plan(filter);
    expect(p).toMatch(/USING INDEX audit_log_org_\w+_idx/);
    expect(p).not.toMatch(/^SCAN audit_log$/m);
    const r = await timed(filter);
    console.log(`source + tool + 2-day range: ${r.ms} ms (${r.rows} rows); plan: ${p.replace(/\n/g, ' | ')}`);
    const rows = await store.audit.list(filter);
    expect(rows.length).toBeGreaterThan(0);
    for (const e of rows) {
      expect(e).toMatchObject({ org_id: 'org-2', source_id: 'src-6', tool: 'describe_table' });
      expect(e.at >= since && e.at < until).toBe(true);
    }
  });

  it('pages follow each other without gaps or repeats', async () => {
    const filter: AuditFilter = { orgId: 'org-3', userId: 'user-7', limit: 100 };
    const a = await store.audit.list(filter);
    const b = await store.audit.list({ ...filter, beforeId: a[a.length - 1]!.id });
    const ids = [...a, ...b].map((e) => e.id);
    expect(new Set(ids).size).toBe(200);
    expect(ids).toEqual([...ids].sort((x, y) => y - x));
    expect(b[0]!.id).toBeLessThan(a[a.length - 1]!.id);
  });
});
