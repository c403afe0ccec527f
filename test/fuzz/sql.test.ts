/**
 * Mutations of the hostile read-only corpus (test/readonly/corpus*.ts), generated with fast-check and run
 * through every engine's connector connected as its most privileged user: case changes, comments
 * (nested, line, MySQL executable `/*! … *\/`), whitespace (control and Unicode spaces), identifier
 * quoting, Unicode look-alikes and nesting (subqueries, CTEs, EXPLAIN, transactions, statement
 * separators). Whatever each mutation does — refused, a syntax error, or (where it turned into a read) a
 * result — the database's checksum must never move. Bounded for CI: SEQUEL_FUZZ_SQL_RUNS mutations per
 * engine (default 60); the counts per outcome are printed.
 */
import fc from 'fast-check';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConnector } from '../../src/connectors/index.js';
import type { Connector, Engine, QueryOptions } from '../../src/connectors/types.js';
import { isToolError } from '../../src/errors.js';
import type { EngineFixture, FixtureDatabase } from '../connectors/fixture.js';
import { duckdbFixture } from '../connectors/fixtures/duckdb.js';
import { mysqlFixture } from '../connectors/fixtures/mysql.js';
import { postgresFixture } from '../connectors/fixtures/postgres.js';
import { sqliteFixture } from '../connectors/fixtures/sqlite.js';
import { MYSQL_URL, PG_URL } from '../helpers/services.js';
import { HOSTILE_SHARED, type HostileCase } from '../readonly/corpus.js';
import { HOSTILE_DUCKDB, SETUP_DUCKDB } from '../readonly/corpus-duckdb.js';
import { HOSTILE_MYSQL, SETUP_MYSQL } from '../readonly/corpus-mysql.js';
import { HOSTILE_POSTGRES, SETUP_POSTGRES } from '../readonly/corpus-postgres.js';
import { HOSTILE_SQLITE, SETUP_SQLITE } from '../readonly/corpus-sqlite.js';

// Each run is a statement plus a whole-database checksum (slow on SQLite's reader process under load).
const RUNS = Number(process.env.SEQUEL_FUZZ_SQL_RUNS ?? 60);
const CAPS: QueryOptions = { maxRows: 20, maxBytes: 64 * 1024, timeoutMs: 10_000 };

const ENGINES: Array<{ fixture: EngineFixture; hostile: HostileCase[]; setup: string }> = [
  { fixture: postgresFixture, hostile: HOSTILE_POSTGRES, setup: SETUP_POSTGRES },
  { fixture: sqliteFixture, hostile: HOSTILE_SQLITE, setup: SETUP_SQLITE },
  { fixture: duckdbFixture, hostile: HOSTILE_DUCKDB, setup: SETUP_DUCKDB },
  { fixture: mysqlFixture, hostile: HOSTILE_MYSQL, setup: SETUP_MYSQL },
];

// ─── mutations ─────────────────────────────────────────────────────────────────────────────────────────
type Mutation = (sql: string, engine: Engine) => string;

/** Splits into runs outside quotes (mutable) and quoted literals/identifiers (kept). */
function segments(sql: string): Array<{ text: string; quoted: boolean }> {
  const out: Array<{ text: string; quoted: boolean }> = [];
  let i = 0;
  let start = 0;
  while (i < sql.length) {
    const ch = sql[i]!;
    if (ch === "'" || ch === '"' || ch === '`') {
      if (i > start) out.push({ text: sql.slice(start, i), quoted: false });
      let j = i + 1;
      while (j < sql.length && sql[j] !== ch) j++;
      out.push({ text: sql.slice(i, j + 1), quoted: true });
      i = j + 1;
      start = i;
    } else i++;
  }
  if (start < sql.length) out.push({ text: sql.slice(start), quoted: false });
  return out;
}

const outside = (sql: string, f: (s: string) => string) =>
  segments(sql)
    .map((s) => (s.quoted ? s.text : f(s.text)))
    .join('');

const caseFlip = (seed: number): Mutation => (sql) => {
  let k = seed;
  return outside(sql, (s) =>
    s.replace(/[a-z]/gi, (c) => {
      k = (k * 1103515245 + 12345) & 0x7fffffff;
      return k & 4 ? c.toUpperCase() : c.toLowerCase();
    }),
  );
};

const COMMENTS = ['/**/', '/* x */', '/* /* nested */ */', '-- c\n', '#c\n', '/*! */', '/*+ hint */', '--\r\n'];
const comment = (which: number, at: number): Mutation => (sql) => {
  let n = 0;
  return outside(sql, (s) => s.replace(/\s+/g, (ws) => (n++ === at % 8 ? `${ws}${COMMENTS[which % COMMENTS.length]}${ws}` : ws)));
};

/** MySQL executes the inside of `/*! … *\/`: the first keyword hidden in one. */
const versionComment = (version: boolean): Mutation => (sql) => sql.replace(/^\s*([A-Za-z]+)/, (_m, kw: string) => `/*!${version ? '50000' : ''} ${kw} */`);

const SPACES = ['\t', '\n', '\r\n', '\f', '\v', '   ', '\u00a0', '\u2003', '\u200b', '\u3000', '\u0085'];
const whitespace = (which: number, at: number): Mutation => (sql) => {
  let n = 0;
  return outside(sql, (s) => s.replace(/ +/g, (ws) => (n++ === at % 6 ? SPACES[which % SPACES.length]! : ws)));
};

const TABLES = ['customers', 'orders', 'numbers', 'order_totals'];
const quoteIdents = (style: number): Mutation => (sql, engine) => {
  const styles = engine === 'mysql' ? ['`#`'] : engine === 'sqlite' ? ['"#"', '[#]', '`#`'] : ['"#"'];
  const q = styles[style % styles.length]!;
  return outside(sql, (s) => s.replace(new RegExp(`\\b(${TABLES.join('|')})\\b`, 'gi'), (t) => q.replace('#', t)));
};

const LOOKALIKES: Record<string, string[]> = { e: ['е', 'ｅ', 'é'], a: ['а', 'ａ'], o: ['о', 'ｏ'], E: ['Е', 'Ｅ'], T: ['Т'], I: ['І', 'ı'], i: ['і', 'ı'], s: ['ѕ'], c: ['с'] };
const unicode = (which: number, at: number): Mutation => (sql) => {
  let n = 0;
  return outside(sql, (s) =>
    s.replace(/[eaoETIisc]/g, (c) => {
      if (n++ !== at % 5) return c;
      const alts = LOOKALIKES[c]!;
      return alts[which % alts.length]!;
    }),
  );
};

const WRAPS = [
  (s: string) => `SELECT * FROM (${s}) AS t`,
  (s: string) => `WITH x AS (${s}) SELECT * FROM x`,
  (s: string) => `WITH x AS (${s}) SELECT 1`,
  (s: string) => `(${s})`,
  (s: string) => `${s};`,
  (s: string) => `;${s}`,
  (s: string) => `${s};;`,
  (s: string) => `EXPLAIN ${s}`,
  (s: string) => `EXPLAIN ANALYZE ${s}`,
  (s: string) => `SELECT 1 UNION ALL (${s})`,
  (s: string) => `SELECT 1 WHERE EXISTS (${s})`,
  (s: string) => `BEGIN; ${s}; COMMIT`,
  (s: string) => `COMMIT; ${s}`,
  (s: string) => `SELECT 1; ${s}`,
  (s: string) => `/* ${'x'.repeat(10)} */ ${s}`,
  (s: string) => `PREPARE p AS ${s}`,
];
const nest = (which: number): Mutation => (sql) => WRAPS[which % WRAPS.length]!(sql.replace(/;\s*$/, ''));

const mutation: fc.Arbitrary<{ name: string; f: Mutation }> = fc.oneof(
  fc.nat().map((n) => ({ name: `case(${n})`, f: caseFlip(n) })),
  fc.tuple(fc.nat(), fc.nat()).map(([a, b]) => ({ name: `comment(${a % COMMENTS.length},${b % 8})`, f: comment(a, b) })),
  fc.boolean().map((v) => ({ name: `versionComment(${v})`, f: versionComment(v) })),
  fc.tuple(fc.nat(), fc.nat()).map(([a, b]) => ({ name: `whitespace(${a % SPACES.length},${b % 6})`, f: whitespace(a, b) })),
  fc.nat().map((n) => ({ name: `quote(${n % 3})`, f: quoteIdents(n) })),
  fc.tuple(fc.nat(), fc.nat()).map(([a, b]) => ({ name: `unicode(${a % 3},${b % 5})`, f: unicode(a, b) })),
  fc.nat().map((n) => ({ name: `nest(${n % WRAPS.length})`, f: nest(n) })),
);

/**
 * Server-wide names (roles/users with their privileges, databases) on the shared PostgreSQL and MySQL servers. The fixtures'
 * checksums include them — a hostile CREATE ROLE must show — but other test files (and other checkouts)
 * create and drop their own meanwhile.
 */
async function serverWideNames(engine: Engine): Promise<Set<string>> {
  if (engine === 'postgres') {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    try {
      const r = await c.query<{ n: string }>(`select 'role:' || rolname || ':' || md5(rolsuper::text || rolcreaterole || rolcreatedb || rolcanlogin || rolbypassrls || rolreplication) as n from pg_roles
         union all select 'db:' || datname || ':' || datallowconn from pg_database`);
      return new Set(r.rows.map((x) => x.n));
    } finally {
      await c.end();
    }
  }
  if (engine === 'mysql') {
    const c = await mysql.createConnection({ uri: MYSQL_URL });
    try {
      const [rows] = await c.query(`select concat('user:', user, ':', md5(priv)) as n from mysql.global_priv
         union all select concat('db:', schema_name, ':') from information_schema.schemata
         union all select concat('dbpriv:', user, ':', md5(concat_ws(',', host, db, select_priv, insert_priv, update_priv, delete_priv, create_priv, drop_priv, grant_priv, alter_priv))) from mysql.db
         union all select concat('tpriv:', user, ':', md5(concat_ws(',', host, db, table_name, table_priv, column_priv))) from mysql.tables_priv`);
      return new Set((rows as Array<{ n: string }>).map((x) => x.n));
    } finally {
      await c.end();
    }
  }
  return new Set();
}

for (const { fixture, hostile, setup } of ENGINES) {
  const engine = fixture.engine;
  const cases = [...HOSTILE_SHARED.filter((c) => !c.engines || c.engines.includes(engine)), ...hostile];
  const up = await fixture.available();

  describe.skipIf(!up)(`fuzz the hostile corpus: ${engine}, as its most privileged user`, () => {
    let db: FixtureDatabase;
    let connector: Connector;
    let baseline: string;
    let names: Set<string>;
    let rebaselined = 0;
    const outcomes: Record<string, number> = {};
    const unexpected: string[] = [];

    beforeAll(async () => {
      db = await fixture.create();
      if (setup) await db.exec(setup);
      connector = await createConnector(engine, db.config);
      baseline = await db.checksum();
      names = await serverWideNames(engine);
    });

    afterAll(async () => {
      console.log(`[fuzz sql ${engine}] ${Object.values(outcomes).reduce((a, b) => a + b, 0)} mutations of ${cases.length} hostile cases; outcomes ${JSON.stringify(outcomes)}; re-baselined after other sessions' server-wide changes ${rebaselined}; non-ToolError failures ${unexpected.length}${unexpected.length ? `:\n  ${unexpected.slice(0, 10).join('\n  ')}` : ''}`);
      await connector?.close();
      await db?.destroy();
    });

    it('no mutation of a hostile statement changes the database (checksum)', async () => {
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...cases), fc.array(mutation, { minLength: 1, maxLength: 3 }), async (c, muts) => {
          const sql = muts.reduce((s, m) => m.f(s, engine), c.sql);
          let outcome: string;
          try {
            await connector.query(sql, c.params ?? [], CAPS);
            outcome = 'allowed (became a read)';
          } catch (err) {
            if (isToolError(err)) outcome = err.code;
            else {
              outcome = 'non-ToolError';
              unexpected.push(`${muts.map((m) => m.name).join('+')}: ${JSON.stringify(sql).slice(0, 160)} → ${String(err).slice(0, 160)}`);
            }
          }
          outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
          const now = await db.checksum();
          if (now !== baseline) {
            // Another session created or dropped a role or database on the shared server: accept the new
            // checksum only if no changed name appears in the statement (a write of ours would name it).
            const after = await serverWideNames(engine);
            const changed = [...after].filter((n) => !names.has(n)).concat([...names].filter((n) => !after.has(n)));
            // `kind:name:detail` — the name is what a statement of ours would have to spell out.
            const ours = changed.filter((n) => {
              const name = (n.split(':')[1] ?? '').toLowerCase();
              return name === '' || sql.toLowerCase().includes(name);
            });
            if (changed.length > 0 && ours.length === 0) {
              names = after;
              baseline = now;
              rebaselined++;
              return;
            }
          }
          expect(now, `the database changed after (${muts.map((m) => m.name).join(' + ')} of "${c.why}"): ${sql}`).toBe(baseline);
        }),
        { numRuns: RUNS, endOnFailure: true },
      );
    }, 600_000);
  });
}
