/**
 * `npm run allowlists:mysql`: generates the MySQL/MariaDB function allow-list from the server itself
 * (src/connectors/mysql/functions.<flavor>.ts; how it is used: src/connectors/mysql/functions.ts).
 *
 *   1. Candidates: every identifier the server's help tables mention (`mysql.help_topic` by
 *      `help_category`), `information_schema.SQL_FUNCTIONS` and `information_schema.KEYWORDS` where the
 *      server has them, and every name the review (functions.ts) mentions. Words that never name a call
 *      in the guard (NOT_CALLS: `IN (`, `OVER (`…) are skipped.
 *   2. Probes: each candidate is `PREPARE`d (parsed and resolved, never run) in each form — bare and right
 *      before `(`, bare with a space, back-quoted — with 0 to 5 NULL arguments, with and without
 *      `OVER ()`, and with the special syntax of CAST, EXTRACT, DATE_ADD… The connection's current
 *      database is `information_schema`, where no stored function can exist, so a form that reaches the
 *      stored-function lookup (errors 1305 and 1630) is not the built-in. Loadable functions (UDFs, in
 *      `mysql.func`) are not built-ins and are left out.
 *   3. Classification by the review in functions.ts: denied with its reason, read-only by name or by help
 *      category, otherwise refused as not reviewed (printed, for someone to review).
 *
 * Connects to SEQUEL_ALLOWLIST_MYSQL_URL, else SEQUEL_TEST_MYSQL_URL, else mysql://root@127.0.0.1:3306/.
 * Read-only apart from the connection's own prepared statement. Prints a summary; the file is
 * written only when its content changes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { MYSQL_DENIED_FUNCTIONS, NOT_CALLS, READ_ONLY_CATEGORIES, REVIEWED_READ_ONLY, type CallForm } from '../../src/connectors/mysql/functions.js';

/** The project root: npm runs scripts there (the compiled script lives in dist-scripts/). */
const ROOT = process.cwd();

const url = process.env.SEQUEL_ALLOWLIST_MYSQL_URL ?? process.env.SEQUEL_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/';
/** sql_mode flags the connector strips (src/connectors/mysql/session.ts): the probes parse as the guard's sessions do. */
const STRIPPED_MODES = new Set(['ANSI', 'ANSI_QUOTES', 'NO_BACKSLASH_ESCAPES', 'IGNORE_SPACE', 'ORACLE', 'MSSQL', 'DB2', 'MAXDB', 'POSTGRESQL']);
const STORED_LOOKUP = new Set([1305, 1630]);
const PARSE_ERROR = 1064;

/** Argument lists tried for every name; `OVER ()` makes window and aggregate-window forms parse. */
const ARGS = ['', 'NULL', 'NULL, NULL', 'NULL, NULL, NULL', 'NULL, NULL, NULL, NULL', 'NULL, NULL, NULL, NULL, NULL'];
/** Functions with their own syntax inside the parentheses. */
const SPECIAL_ARGS: Record<string, string[]> = {
  cast: ['NULL AS CHAR'],
  convert: ['NULL USING utf8mb4', 'NULL, CHAR'],
  char: ['NULL USING utf8mb4'],
  extract: ['DAY FROM NULL'],
  position: ['NULL IN NULL'],
  trim: ["LEADING 'x' FROM NULL"],
  substring: ['NULL FROM 1'],
  substr: ['NULL FROM 1'],
  weight_string: ['NULL AS CHAR(1)'],
  date_add: ['NULL, INTERVAL 1 DAY'],
  date_sub: ['NULL, INTERVAL 1 DAY'],
  adddate: ['NULL, INTERVAL 1 DAY'],
  subdate: ['NULL, INTERVAL 1 DAY'],
  timestampadd: ['DAY, 1, NULL'],
  timestampdiff: ['DAY, NULL, NULL'],
  get_format: ["DATE, 'USA'"],
  group_concat: ["NULL SEPARATOR ','"],
  column_get: ['NULL, 1 AS INT'],
  json_value: ["NULL, '$'"],
};
const SPECIAL_STATEMENTS: Record<string, (call: string) => string> = {
  percentile_cont: (call) => `SELECT ${call}0.5) WITHIN GROUP (ORDER BY 1) OVER ()`,
  percentile_disc: (call) => `SELECT ${call}0.5) WITHIN GROUP (ORDER BY 1) OVER ()`,
  json_table: (call) => `SELECT * FROM ${call}'[]', '$[*]' COLUMNS (a INT PATH '$')) AS t`,
};

const FORMS: CallForm[] = ['a', 's', 'q'];

/** The number of arguments in an argument list's text (commas outside parentheses, plus one). */
function arity(args: string): number {
  if (args.trim() === '') return 0;
  let depth = 0;
  let n = 1;
  for (const c of args) {
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) n++;
  }
  return n;
}
const opening = (name: string, form: CallForm) => (form === 'a' ? `${name}(` : form === 's' ? `${name} (` : `\`${name}\`(`);

type Rows = Array<Record<string, unknown>>;

async function main(): Promise<void> {
  const conn = await mysql.createConnection({ uri: url, database: 'information_schema', multipleStatements: false });
  try {
    const q = async (sql: string, values: unknown[] = []): Promise<Rows> => (await conn.query(sql, values))[0] as Rows;
    const version = String((await q('SELECT VERSION() AS v'))[0]!.v);
    const flavor = /mariadb/i.test(version) ? 'mariadb' : 'mysql';
    const majorMinor = /^(\d+\.\d+)/.exec(version)?.[1] ?? version;
    const mode = String((await q('SELECT @@SESSION.sql_mode AS m'))[0]!.m)
      .split(',')
      .filter((m) => m && !STRIPPED_MODES.has(m.toUpperCase()));
    await q(`SET SESSION sql_mode = ?`, [mode.join(',')]);

    const hasTable = async (schema: string, table: string) =>
      (await q('SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [schema, table]))[0]!.n !== 0;

    // 1. Candidates, with the help category where a topic names exactly one function.
    const candidates = new Set<string>();
    const category = new Map<string, string>();
    const add = (word: string) => {
      const n = word.toLowerCase();
      if (/^[a-z_][a-z0-9_$]*$/.test(n) && !NOT_CALLS.has(n.toUpperCase())) candidates.add(n);
    };
    for (const r of await q(
      `SELECT t.name AS topic, c.name AS category FROM mysql.help_topic t JOIN mysql.help_category c ON c.help_category_id = t.help_category_id`,
    )) {
      const topic = String(r.topic).replace(/\\/g, '');
      const single = topic.replace(/\s+(function|operator)$/i, '');
      if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(single)) {
        add(single);
        if (!category.has(single.toLowerCase())) category.set(single.toLowerCase(), String(r.category));
      } else {
        for (const w of topic.split(/[^A-Za-z0-9_]+/)) add(w);
      }
    }
    if (await hasTable('information_schema', 'SQL_FUNCTIONS')) for (const r of await q('SELECT FUNCTION AS f FROM information_schema.SQL_FUNCTIONS')) add(String(r.f));
    if (await hasTable('information_schema', 'KEYWORDS')) for (const r of await q('SELECT WORD AS w FROM information_schema.KEYWORDS')) add(String(r.w));
    for (const n of REVIEWED_READ_ONLY) add(n);
    for (const n of readFileSync(path.join(ROOT, 'src', 'connectors', 'mysql', 'functions.ts'), 'utf8').matchAll(/'([a-z_0-9]+)'/g)) add(n[1]!);
    const udfs = new Set((await q('SELECT name FROM mysql.func')).map((r) => String(r.name).toLowerCase()));

    // 2. Probes.
    let probes = 0;
    const probe = async (sql: string): Promise<'ok' | number> => {
      probes++;
      try {
        await conn.query('PREPARE sequel_probe FROM ?', [sql]);
        return 'ok';
      } catch (err) {
        return (err as { errno?: number }).errno ?? -1;
      }
    };
    const forms = new Map<string, string>();
    const mixed: string[] = [];
    for (const name of [...candidates].sort()) {
      if (udfs.has(name)) continue;
      const found: string[] = [];
      for (const form of FORMS) {
        const call = opening(name, form);
        const texts: Array<[string, number]> = [];
        const special = SPECIAL_STATEMENTS[name];
        if (special) texts.push([special(call), name === 'json_table' ? 2 : 1]);
        for (const a of [...(SPECIAL_ARGS[name] ?? []), ...ARGS]) {
          texts.push([`SELECT ${call}${a})`, arity(a)], [`SELECT ${call}${a}) OVER ()`, arity(a)]);
        }
        const builtin = new Set<number>();
        const stored = new Set<number>();
        for (const [t, n] of texts) {
          const r = await probe(t);
          if (r === 'ok' || (r !== PARSE_ERROR && !STORED_LOOKUP.has(r))) builtin.add(n);
          if (r !== 'ok' && STORED_LOOKUP.has(r)) stored.add(n);
        }
        for (const n of builtin) stored.delete(n);
        if (builtin.size === 0) continue;
        // Arities that reach the stored-function lookup mean the built-in is a grammar rule of fixed arity:
        // record the arities that are the built-in, and the guard refuses the others.
        if (stored.size === 0) found.push(form);
        else {
          found.push(`${form}:${[...builtin].sort((x, y) => x - y).join(',')}`);
          mixed.push(`${name}/${form}:${[...builtin].sort((x, y) => x - y).join(',')}`);
        }
      }
      const joined = found.join(' ');
      if (joined) forms.set(name, joined);
    }
    await conn.query('DEALLOCATE PREPARE sequel_probe').catch(() => undefined);

    // 3. Classification.
    const allowed: Array<[string, string]> = [];
    const refused: Array<[string, string]> = [];
    const unreviewed: string[] = [];
    const byCategory: string[] = [];
    for (const [name, f] of [...forms].sort(([a], [b]) => a.localeCompare(b))) {
      const denied = MYSQL_DENIED_FUNCTIONS.match(name);
      if (denied) refused.push([name, denied.reason]);
      else if (REVIEWED_READ_ONLY.has(name)) allowed.push([name, f]);
      else if (READ_ONLY_CATEGORIES.has(category.get(name) ?? '')) {
        allowed.push([name, f]);
        byCategory.push(`${name} (${category.get(name)})`);
      } else {
        refused.push([name, `it has not been reviewed yet (help category: ${category.get(name) ?? 'none'}); review it in src/connectors/mysql/functions.ts and re-run npm run allowlists:mysql`]);
        unreviewed.push(name);
      }
    }
    const absent = [...REVIEWED_READ_ONLY].filter((n) => !forms.has(n) && !NOT_CALLS.has(n.toUpperCase())).sort();

    const wrap = (entries: string[], indent: string) => {
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
    };
    const exportName = flavor === 'mariadb' ? 'MARIADB_FUNCTIONS' : 'MYSQL8_FUNCTIONS';
    const file = `/**
 * GENERATED by \`npm run allowlists:mysql\` (scripts/allowlists/mysql.ts) from ${version}; do not edit by hand.
 * Built-ins of this server, probed with PREPARE in each form (see src/connectors/mysql/functions.ts for the
 * forms and the review that classifies them). ${allowed.length} allowed, ${refused.length} refused.
 * Regenerate when the server's major.minor version changes (test/connectors/mysql.test.ts checks it).
 */
import type { FunctionList } from './functions.js';

export const ${exportName}: FunctionList = {
  flavor: '${flavor}',
  server: '${version.replace(/'/g, '')}',
  version: '${majorMinor}',
  allowed: {
${wrap(
  allowed.map(([n, f]) => `${n}: '${f}',`),
  '    ',
)}
  },
  refused: {
${refused.map(([n, r]) => `    ${n}: ${JSON.stringify(r).replace(/'/g, "\\'").replace(/^"|"$/g, "'")},`).join('\n')}
  },
};
`;
    const target = path.join(ROOT, 'src', 'connectors', 'mysql', `functions.${flavor}.ts`);
    let before = '';
    try {
      before = readFileSync(target, 'utf8');
    } catch {
      // first generation
    }
    if (before !== file) writeFileSync(target, file);
    console.log(`${version}: ${candidates.size} candidates, ${probes} probes, ${forms.size} built-ins: ${allowed.length} allowed, ${refused.length} refused`);
    console.log(`${before === file ? 'unchanged' : 'wrote'} ${target}`);
    if (byCategory.length) console.log(`\nallowed by help category (not named in the review):\n${wrap(byCategory, '  ')}`);
    if (absent.length) console.log(`\nreviewed names this server does not have as built-ins:\n${wrap(absent, '  ')}`);
    if (mixed.length) console.log(`\nbuilt-ins only with some numbers of arguments (a stored function with others):\n${wrap(mixed, '  ')}`);
    if (unreviewed.length) console.log(`\nNOT REVIEWED (refused until reviewed in src/connectors/mysql/functions.ts):\n${wrap(unreviewed, '  ')}`);
  } finally {
    await conn.end();
  }
}

await main();
