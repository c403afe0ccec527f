// @ts-check
/**
 * `node bench/activity.js`: the Activity page's queries on a million audit entries — each filter alone
 * and with a time range (the last day, two days ten days back, the last 30 days), the first page and the
 * next one — timed as the store runs them (median of SEQUEL_BENCH_RUNS, default 7) with the plan the
 * database chose. Prints figures; no targets.
 *
 * The log is generated once and kept: SEQUEL_BENCH_DATA_DIR (SQLite store, default a temporary directory)
 * or SEQUEL_BENCH_STORE_URL=postgres://… (a database of its own, created when missing). SEQUEL_BENCH_DIST
 * names the build to measure (default ./dist), so the same log can be read by an older build's queries
 * and then by this one's (which migrates it first; the time that takes is printed too).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { sql } from 'kysely';

const ROOT = path.resolve(import.meta.dirname, '..');
const DIST = path.resolve(process.env.SEQUEL_BENCH_DIST ?? path.join(ROOT, 'dist'));
const RUNS = Number(process.env.SEQUEL_BENCH_RUNS ?? 7);
const N = Number(process.env.SEQUEL_BENCH_ENTRIES ?? 1_000_000);
const STORE_URL = process.env.SEQUEL_BENCH_STORE_URL;
const DATA_DIR = process.env.SEQUEL_BENCH_DATA_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), 'sequel-bench-activity-'));

const { openStore } = await import(pathToFileURL(path.join(DIST, 'store/index.js')).href);
const store = openStore({ dataDir: DATA_DIR, databaseUrl: STORE_URL });
const pg = store.dialect === 'postgres';

let started = performance.now();
await store.migrate();
console.log(`${DIST}: ${store.dialect} store, migrated in ${Math.round(performance.now() - started)} ms`);

const count = Number((await sql`select count(*) as n from audit_log`.execute(store.db)).rows.map((/** @type {any} */ r) => r.n)[0]);
if (count === 0) {
  started = performance.now();
  // 4 orgs, 20 sources, 50 users, 200 credentials, 5 tools, 1 in 23 failing, a call every 2.6 s over the
  // last month (as test/store/audit-scale.test.ts).
  const tool = sql`case i % 5 when 0 then 'run_query' when 1 then 'describe_table' when 2 then 'search_schema' when 3 then 'list_sources' else 'explain_query' end`;
  const cols = sql`(at, org_id, user_id, credential_kind, credential_id, credential_label, source_id, source_name, tool, sql, row_count, duration_ms, outcome, error)`;
  const rest = sql`'org-' || (i % 4), 'user-' || (i % 50), 'api_key', 'key-' || (i % 200), 'key ' || (i % 200),
           'src-' || (i % 20), 'source' || (i % 20), ${tool},
           case when i % 5 = 0 then 'select * from t where id = ' || i end, i % 100, i % 997,
           case when i % 23 = 0 then 'QUERY_ERROR' else 'ok' end, case when i % 23 = 0 then 'boom' end`;
  if (pg) {
    await sql`insert into audit_log ${cols}
      select to_char((now() - make_interval(secs => (${N} - i) * 2.6)) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), ${rest}
        from generate_series(1, ${N}) as g(i)`.execute(store.db);
    await sql`vacuum analyze audit_log`.execute(store.db);
  } else {
    await sql`with recursive n(i) as (select 1 union all select i + 1 from n where i < ${N})
      insert into audit_log ${cols}
      select strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-' || ((${N} - i) * 2.6) || ' seconds'), ${rest} from n`.execute(store.db);
    await sql`analyze`.execute(store.db);
  }
  console.log(`generated ${N.toLocaleString('en')} entries in ${Math.round(performance.now() - started)} ms`);
} else {
  await sql`analyze`.execute(store.db);
  console.log(`${count.toLocaleString('en')} entries already there`);
}

const day = 86_400_000;
const iso = (/** @type {number} */ ms) => new Date(Date.now() - ms).toISOString();
const ranges = {
  none: {},
  'last day': { since: iso(day) },
  '2 days, 10 days back': { since: iso(12 * day), until: iso(10 * day) },
  'last 30 days': { since: iso(30 * day) },
};
const filters = {
  none: {},
  source: { sourceId: 'src-5' },
  person: { userId: 'user-9' },
  credential: { credentialId: 'key-13' },
  tool: { tool: 'explain_query' },
  outcome: { outcome: 'QUERY_ERROR' },
  'any error': { outcome: 'error' },
  'source + tool': { sourceId: 'src-6', tool: 'describe_table' },
};

/** @param {Record<string, unknown>} f @param {{ at: string, id: number } | undefined} cursor */
async function plan(f, cursor) {
  const compiled = store.audit.listQuery(f, cursor).compile();
  const text = pg ? `explain ${compiled.sql}` : `explain query plan ${compiled.sql}`;
  const r = await store.db.executeQuery({ ...compiled, sql: text });
  return r.rows.map((/** @type {Record<string, string>} */ x) => (pg ? x['QUERY PLAN'] : x.detail)?.trim()).join(' | ');
}

/** @param {() => Promise<unknown>} fn */
async function median(fn) {
  await fn();
  const xs = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    await fn();
    xs.push(performance.now() - t);
  }
  xs.sort((a, b) => a - b);
  return Math.round((xs[Math.floor(xs.length / 2)] ?? NaN) * 100) / 100;
}

const orgId = 'org-1';
console.log(['filter', 'range', 'first page ms', 'next page ms', 'rows', 'plan', 'next page plan'].join('\t'));
for (const [fname, f] of Object.entries(filters)) {
  // src-6 only ever belongs to org-2 in the generated log.
  const org = fname === 'source + tool' ? 'org-2' : orgId;
  for (const [rname, r] of Object.entries(ranges)) {
    const filter = { orgId: org, limit: 51, ...f, ...r };
    /** @type {Array<{ id: number }>} */
    const first = await store.audit.list(filter);
    const cursor = first[49]?.id;
    const a = await median(() => store.audit.list(filter));
    const b = cursor === undefined ? NaN : await median(() => store.audit.list({ ...filter, beforeId: cursor }));
    // Builds before keyset on (at, id) page by id alone and have no cursorOf.
    const at = cursor !== undefined && store.audit.cursorOf ? await store.audit.cursorOf(filter.orgId, cursor) : undefined;
    const next = cursor === undefined ? '' : await plan({ ...filter, beforeId: cursor }, at);
    console.log([fname, rname, a, b, first.length, await plan(filter, undefined), next].join('\t'));
  }
}
await store.close();
