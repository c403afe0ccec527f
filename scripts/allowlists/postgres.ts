/**
 * `npm run allowlists:postgres`: generates src/connectors/postgres/functions.generated.ts from the
 * server's own catalog (how it is used: src/connectors/postgres/functions.ts and guard.ts).
 *
 *   1. Functions: every `pg_proc` entry of `pg_catalog` and `information_schema`, by name. A name is
 *      read-only when every overload passes the review in functions.ts: not denied (system
 *      administration, files, large objects, locks, sequences, session state, SQL given as text, sleeps…),
 *      IMMUTABLE or STABLE (or VOLATILE and reviewed one by one), and callable from SQL (not a trigger or
 *      handler). Otherwise refused, with the reason.
 *   2. Operators: every `pg_operator` name of `pg_catalog`; read-only when every function behind the name
 *      (`oprcode`) is.
 *   3. Types: every type name of `pg_catalog` and `information_schema` (casts to them run built-in input
 *      and cast functions only).
 *   4. TABLESAMPLE methods: functions of `pg_catalog` returning `tsm_handler`.
 *
 * Connects to SEQUEL_ALLOWLIST_PG_URL, else SEQUEL_TEST_PG_URL, else postgres://postgres@127.0.0.1:5432/postgres.
 * Read-only. Prints a summary and the names whose verdict changed; the file is written only when its
 * content changes. Re-run it when the server's major version changes (test/connectors/postgres-guard.test.ts
 * checks it) and review the diff.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import {
  NOT_CALLABLE_RETURN_TYPES,
  POSTGRES_DENIED_FUNCTIONS,
  REVIEWED_VOLATILE_PREFIXES,
  REVIEWED_VOLATILE_READ_ONLY,
  type Verdict,
} from '../../src/connectors/postgres/functions.js';

const ROOT = process.cwd();
const OUT = path.join(ROOT, 'src', 'connectors', 'postgres', 'functions.generated.ts');
const url = process.env.SEQUEL_ALLOWLIST_PG_URL ?? process.env.SEQUEL_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

interface ProcRow {
  proname: string;
  provolatile: string;
  prokind: string;
  rettype: string;
}

function verdictOf(rows: ProcRow[]): Verdict {
  const name = rows[0]!.proname;
  const denied = POSTGRES_DENIED_FUNCTIONS.match(name);
  if (denied) return denied.reason;
  for (const r of rows) {
    if (r.prokind === 'p') return 'it is a procedure (CALL is not a read)';
    if (NOT_CALLABLE_RETURN_TYPES.has(r.rettype)) return `it is a support function (returns ${r.rettype}), not callable in a read`;
  }
  const reviewed = REVIEWED_VOLATILE_READ_ONLY.has(name) || REVIEWED_VOLATILE_PREFIXES.some((p) => name.startsWith(p));
  if (rows.some((r) => r.provolatile === 'v') && !reviewed) {
    return 'it is VOLATILE (it may change the database or the session) and has not been reviewed as read-only; review it in src/connectors/postgres/functions.ts';
  }
  return true;
}

const literal = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
/** An object key: bare when it is an identifier, quoted otherwise. */
const key = (s: string) => (/^[a-z_$][a-z0-9_$]*$/i.test(s) ? s : literal(s));

function wrap(entries: string[], indent: string): string {
  const lines: string[] = [];
  let line = '';
  for (const e of entries) {
    if (line && (indent + line + e).length > 118) {
      lines.push(indent + line.trimEnd());
      line = '';
    }
    line += `${e} `;
  }
  if (line) lines.push(indent + line.trimEnd());
  return lines.join('\n');
}

function section(entries: Array<[string, Verdict]>): string {
  const allowed = entries.filter(([, v]) => v === true).map(([n]) => `${key(n)}: true,`);
  const refused = entries.filter(([, v]) => v !== true).map(([n, v]) => `    ${key(n)}: ${literal(v as string)},`);
  return `${wrap(allowed, '    ')}\n${refused.join('\n')}`;
}

async function main(): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('BEGIN READ ONLY');
    const server = (await client.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]!.v;
    const num = Number((await client.query<{ v: string }>("SELECT current_setting('server_version_num') AS v")).rows[0]!.v);
    const major = Math.floor(num / 10_000);

    const procs = (
      await client.query<ProcRow>(
        `SELECT p.proname, p.provolatile, p.prokind, p.prorettype::regtype::text AS rettype
           FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
          WHERE n.nspname IN ('pg_catalog', 'information_schema')`,
      )
    ).rows;
    const byName = new Map<string, ProcRow[]>();
    for (const r of procs) {
      const n = r.proname;
      byName.set(n, [...(byName.get(n) ?? []), r]);
    }
    const functions = new Map<string, Verdict>();
    for (const [n, rows] of [...byName].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) functions.set(n, verdictOf(rows));

    const ops = (
      await client.query<{ oprname: string; code: string }>(
        `SELECT o.oprname, o.oprcode::regproc::text AS code
           FROM pg_catalog.pg_operator o JOIN pg_catalog.pg_namespace n ON n.oid = o.oprnamespace
          WHERE n.nspname = 'pg_catalog'`,
      )
    ).rows;
    const operators = new Map<string, Verdict>();
    for (const o of [...ops].sort((a, b) => (a.oprname < b.oprname ? -1 : a.oprname > b.oprname ? 1 : 0))) {
      const fn = o.code.replace(/^pg_catalog\./, '').replace(/"/g, '').toLowerCase();
      const v = functions.get(fn) ?? `its function ${fn}() is not a built-in`;
      const prev = operators.get(o.oprname);
      if (prev === undefined || prev === true) operators.set(o.oprname, v === true ? true : `its function ${fn}() is refused: ${v}`);
    }

    const types = (
      await client.query<{ typname: string }>(
        `SELECT DISTINCT t.typname FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
          WHERE n.nspname IN ('pg_catalog', 'information_schema') ORDER BY 1`,
      )
    ).rows.map((r) => r.typname.toLowerCase());
    const sampleMethods = [...byName.values()]
      .flat()
      .filter((r) => r.rettype === 'tsm_handler' && !r.proname.endsWith('_in'))
      .map((r) => r.proname)
      .sort();
    await client.query('ROLLBACK');

    const fnEntries = [...functions];
    const allowedCount = fnEntries.filter(([, v]) => v === true).length;
    const opEntries = [...operators];
    const file = `/**
 * GENERATED by \`npm run allowlists:postgres\` (scripts/allowlists/postgres.ts) from PostgreSQL ${server};
 * do not edit by hand. The review it applies is src/connectors/postgres/functions.ts.
 * Functions: ${allowedCount} read-only, ${fnEntries.length - allowedCount} refused. Operators: ${opEntries.filter(([, v]) => v === true).length} read-only, ${opEntries.filter(([, v]) => v !== true).length} refused.
 * Regenerate when the server's major version changes (test/connectors/postgres-guard.test.ts checks it).
 */
import type { PostgresCatalogList } from './functions.js';

export const POSTGRES_CATALOG: PostgresCatalogList = {
  server: ${literal(server)},
  major: ${major},
  functions: {
${section(fnEntries)}
  },
  operators: {
${section(opEntries)}
  },
  types: [
${wrap(types.map((t) => `${literal(t)},`), '    ')}
  ],
  sampleMethods: [${sampleMethods.map(literal).join(', ')}],
};
`;
    let before = '';
    try {
      before = readFileSync(OUT, 'utf8');
    } catch {
      // first generation
    }
    const old = new Map<string, string>();
    for (const m of before.matchAll(/^ {4}([a-z_0-9$]+|'[^']*'): (true|'.*'),?$/gm)) old.set(m[1]!, m[2]!);
    if (before !== file) writeFileSync(OUT, file);
    console.log(`PostgreSQL ${server}: ${fnEntries.length} function names (${allowedCount} read-only), ${opEntries.length} operators, ${types.length} types`);
    console.log(`${before === file ? 'unchanged' : 'wrote'} ${OUT}`);
    const refusedVolatile = fnEntries.filter(([, v]) => typeof v === 'string' && v.startsWith('it is VOLATILE')).map(([n]) => n);
    if (refusedVolatile.length) console.log(`\nVOLATILE, refused until reviewed:\n${wrap(refusedVolatile, '  ')}`);
  } finally {
    await client.end();
  }
}

await main();
