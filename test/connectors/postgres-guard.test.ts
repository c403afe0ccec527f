/**
 * The PostgreSQL guard fails closed (issue #7): the allow-list matches the server it guards, statements
 * the parser cannot read are refused, a parse tree with a node or field the walker does not know is
 * refused (synthetic trees), and every form of function call is judged — with the source's policy for
 * functions, operators, types and casts defined in the database.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- synthetic parse trees are edited in place, at any depth */
import { loadModule, parseSync } from 'libpg-query';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConnector } from '../../src/connectors/index.js';
import { POSTGRES_CATALOG } from '../../src/connectors/postgres/functions.generated.js';
import { checkPostgresStatementSync, judgePgFacts, judgePgTree, loadPostgresGuard, NO_CONTEXT } from '../../src/connectors/postgres/guard.js';
import { NODES } from '../../src/connectors/postgres/nodes.js';
import type { Json } from '../../src/connectors/guard/tree.js';
import type { Connector, QueryOptions } from '../../src/connectors/types.js';
import { isToolError, type ToolError } from '../../src/errors.js';
import type { FixtureDatabase } from './fixture.js';
import { postgresFixture } from './fixtures/postgres.js';
import { PG_URL } from '../helpers/services.js';
import { SETUP_POSTGRES } from '../readonly/corpus-postgres.js';

const CAPS: QueryOptions = { maxRows: 50, maxBytes: 256 * 1024, timeoutMs: 10_000 };

function refusal(fn: () => unknown): ToolError {
  try {
    fn();
  } catch (err) {
    if (isToolError(err)) return err;
    throw err;
  }
  throw new Error('not refused');
}

const tree = (sql: string): Json => JSON.parse(JSON.stringify(parseSync(sql))) as Json;

describe('postgres guard: fail closed (no database needed)', () => {
  beforeAll(async () => {
    await loadModule();
    await loadPostgresGuard();
  });

  it.each([
    'SELEC 1',
    'SELECT * FROM',
    "SELECT 'unterminated",
    'SELECT $$unterminated',
    'SELECT /* unterminated comment',
    'SELECT 1 FROM t WHERE',
    'SELECT (1',
    'SELECT U&"\\00zz"',
    'DROP',
    '!!!',
  ])('refuses what the parser cannot read: %s', (sql) => {
    const err = refusal(() => checkPostgresStatementSync(sql));
    expect(err.code).toBe('SYNTAX_ERROR');
  });

  it('refuses a parse tree with a node type it does not know, wherever it is, and says what to write', () => {
    const places: Array<(t: Json, n: Json) => void> = [
      (t, n) => ((t as any).stmts[0].stmt.SelectStmt.targetList[0].ResTarget.val = n),
      (t, n) => ((t as any).stmts[0].stmt.SelectStmt.whereClause = n),
      (t, n) => (t as any).stmts[0].stmt.SelectStmt.fromClause.push(n),
      (t, n) => ((t as any).stmts[0].stmt.SelectStmt.targetList[0].ResTarget.val.FuncCall.args[0] = n),
    ];
    for (const place of places) {
      const unknowns: Json[] = [{ EvilNode: {} }, { FuncExpr: { funcid: 1 } }, { JsonFuncExpr: {} }, { SetToDefault: {} }, { CurrentOfExpr: {} }];
      for (const unknown of unknowns) {
        const t = tree('SELECT lower(name) FROM customers WHERE id = 1');
        place(t, unknown);
        const err = refusal(() => judgePgTree(t));
        expect(err.code, JSON.stringify(unknown)).toBe('NOT_READ_ONLY');
        expect(err.message).toMatch(/does not know/);
      }
    }
    const json = tree('SELECT 1');
    (json as any).stmts[0].stmt.SelectStmt.targetList[0].ResTarget.val = { JsonObjectConstructor: {} };
    expect(refusal(() => judgePgTree(json)).message).toMatch(/jsonb_build_object/);
  });

  it('refuses an unknown field on every node type it accepts', () => {
    const t = tree('SELECT 1');
    const target = (t as any).stmts[0].stmt.SelectStmt.targetList[0].ResTarget;
    for (const type of Object.keys(NODES)) {
      if (type === 'SelectStmt') continue;
      target.val = { [type]: { evil_field: { FuncCall: { funcname: [{ String: { sval: 'pg_sleep' } }] } } } };
      const err = refusal(() => judgePgTree(t));
      expect(err.code, type).toBe('NOT_READ_ONLY');
    }
    const sel = tree('SELECT 1');
    (sel as any).stmts[0].stmt.SelectStmt.evil = { FuncCall: {} };
    expect(refusal(() => judgePgTree(sel)).message).toMatch(/unknown field "evil"/);
  });

  it('refuses malformed shapes: wrong value types, several node types in one, statements it does not know', () => {
    const shapes: Array<(t: any) => void> = [
      (t) => (t.stmts[0].stmt.SelectStmt.targetList = { ResTarget: {} }),
      (t) => (t.stmts[0].stmt.SelectStmt.targetList[0] = { ResTarget: {}, FuncCall: {} }),
      (t) => (t.stmts[0].stmt.SelectStmt.targetList[0] = {}),
      (t) => (t.stmts[0].stmt.SelectStmt.targetList[0].ResTarget.val = 'pg_sleep(1)'),
      (t) => (t.stmts[0].stmt.SelectStmt.targetList[0].ResTarget.name = { FuncCall: {} }),
      (t) => (t.stmts[0].stmt = { EvilStmt: {} }),
      (t) => (t.stmts[0].stmt = {}),
      (t) => (t.stmts[0].stmt = { SelectStmt: {}, DeleteStmt: {} }),
      (t) => (t.stmts[0].stmt = { ExplainStmt: { query: t.stmts[0].stmt, evil: 1 } }),
      (t) => (t.stmts[0].stmt = { ExplainStmt: { query: t.stmts[0].stmt, options: [{ DefElem: { defname: 'evil' } }] } }),
      (t) => (t.stmts[0].stmt = { VariableShowStmt: { name: 'all', evil: 1 } }),
      (t) => t.stmts.push(t.stmts[0]),
    ];
    for (const shape of shapes) {
      const t = tree('SELECT 1 AS x');
      shape(t);
      expect(['NOT_READ_ONLY', 'SYNTAX_ERROR'], shape.toString()).toContain(refusal(() => judgePgTree(t)).code);
    }
  });

  it('refuses a function, operator, type or sampling method the list does not know', () => {
    const use = (kind: 'function' | 'operator' | 'type' | 'sample', name: string, schema: string | null = null) =>
      refusal(() => judgePgFacts({ uses: [{ kind, schema, name, path: '$', args: 2 }], relations: [], paramCount: 0 }, NO_CONTEXT));
    expect(use('function', 'no_such_function').message).toMatch(/not a function Sequel knows to be read-only/);
    expect(use('function', 'lower', 'public').message).toMatch(/allowUserFunctions/);
    expect(use('operator', '<<<>>>').message).toMatch(/not an operator Sequel knows/);
    expect(use('type', 'no_such_type').message).toMatch(/not a type Sequel knows/);
    expect(use('sample', 'system_rows').message).toMatch(/TABLESAMPLE/);
    // …and the deny list wins over the policy.
    const ctx = { ...NO_CONTEXT, allowUserFunctions: true, userFunctions: new Set(['dblink_exec']) };
    expect(refusal(() => judgePgFacts({ uses: [{ kind: 'function', schema: 'public', name: 'dblink_exec', path: '$' }], relations: [], paramCount: 0 }, ctx)).message).toMatch(/other databases/);
  });

  it('judges every form of calling a function the same way', () => {
    const denied = [
      "SELECT pg_read_file('/x')",
      "SELECT * FROM pg_read_file('/x')",
      "SELECT * FROM ROWS FROM (pg_read_file('/x')) t",
      "SELECT * FROM t, LATERAL pg_read_file(t.x) WITH ORDINALITY",
      "SELECT pg_read_file(filename => '/x')",
      "SELECT format(VARIADIC ARRAY[pg_read_file('/x')])",
      'SELECT t.pg_read_file FROM t',
      'SELECT (t).pg_read_file FROM t',
      'SELECT "pg_read_file"(x) FROM t',
      'SELECT U&"pg\\005fread\\005ffile"(x) FROM t',
      'SELECT count(*) FILTER (WHERE pg_read_file(x) IS NULL) FROM t',
      'SELECT sum(1) OVER (PARTITION BY pg_read_file(x)) FROM t',
      'SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY pg_read_file(x)) FROM t',
      'SELECT * FROM t TABLESAMPLE SYSTEM (pg_read_file(x)::int)',
      'EXPLAIN SELECT pg_read_file(x) FROM t',
    ];
    for (const sql of denied) expect(refusal(() => checkPostgresStatementSync(sql)).message, sql).toMatch(/pg_read_file\(\).*files/);
  });

  it('has no node in its list that libpg-query does not produce, and accepts the forms analysts write', () => {
    for (const sql of [
      'SELECT * FROM generate_series(1, 3) WITH ORDINALITY g(n, i)',
      "SELECT jsonb_build_object('a', 1) -> 'a', x::regclass FROM t",
      'SELECT 1 OPERATOR(pg_catalog.+) 2',
      'SELECT (c).id, c.name FROM customers c ORDER BY 1 USING <',
      'SELECT make_interval(days => 1)',
    ]) {
      expect(checkPostgresStatementSync(sql).kind, sql).toBe('select');
    }
  });
});

const up = await postgresFixture.available();

describe.skipIf(!up)('postgres guard against a server', () => {
  let db: FixtureDatabase;
  let off: Connector;
  let on: Connector;

  beforeAll(async () => {
    db = await postgresFixture.create();
    await db.exec(SETUP_POSTGRES);
    off = await createConnector('postgres', db.config);
    on = await createConnector('postgres', { ...db.config, allowUserFunctions: true });
  });

  afterAll(async () => {
    await off?.close();
    await on?.close();
    await db?.destroy();
  });

  it('has a generated allow-list for this server version (else: re-run npm run allowlists:postgres)', async () => {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    try {
      const r = await c.query<{ v: string }>("select current_setting('server_version_num') as v");
      const major = Math.floor(Number(r.rows[0]!.v) / 10_000);
      if (major !== POSTGRES_CATALOG.major) {
        console.warn(`the PostgreSQL allow-list was generated from ${POSTGRES_CATALOG.server}; this server is ${major}: re-run npm run allowlists:postgres`);
      }
      expect(major, `generated from ${POSTGRES_CATALOG.server}: re-run npm run allowlists:postgres`).toBe(POSTGRES_CATALOG.major);
      // Every name on the list is still a function of this server (a stale list would allow what no longer exists).
      const names = new Set((await c.query<{ p: string }>("select distinct proname as p from pg_proc p join pg_namespace n on n.oid = p.pronamespace where nspname in ('pg_catalog', 'information_schema')")).rows.map((x) => x.p));
      const missing = Object.keys(POSTGRES_CATALOG.functions).filter((n) => !names.has(n));
      expect(missing).toEqual([]);
    } finally {
      await c.end();
    }
  });

  it.each([
    ['SELECT sneaky_lock()', 'a user function'],
    ['SELECT c.leak FROM customers c', 'functional notation on a user function'],
    ['SELECT 1 ### 2', 'a user operator'],
    ['SELECT 1::evil_dom', 'a domain with a user CHECK'],
    ['SELECT 1::evil_t', 'a user cast'],
    ['SELECT count(*) FROM customers TABLESAMPLE system_rows (2)', 'an extension sampling method'],
  ])('refuses %s (%s) unless the policy allows user functions; then it runs', async (sql) => {
    const err = await off.query(sql, [], CAPS).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isToolError(err) && err.code, String(err)).toBe('NOT_READ_ONLY');
    expect((err as ToolError).message).toMatch(/allowUserFunctions/);
    const r = await on.query(sql, [], CAPS);
    expect(r.rows.length).toBeGreaterThan(0);
  });

  it('refuses denied functions and views over them whatever the policy', async () => {
    for (const sql of ['SELECT !!! 42::bigint', 'SELECT * FROM v_lock', 'SELECT * FROM v_file', "SELECT dblink_connect('c', 'dbname=postgres')", "SELECT pg_file_write('/tmp/x', 'x', false)"]) {
      const err = await on.query(sql, [], CAPS).then(
        () => null,
        (e: unknown) => e,
      );
      expect(isToolError(err) && err.code, sql).toBe('NOT_READ_ONLY');
    }
  });

  it('a statement that names a function defined after the definitions were read is refused, not run', async () => {
    await db.exec('create function late_fn() returns int language sql as $$ select 1 $$');
    const err = await off.query('SELECT late_fn()', [], CAPS).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isToolError(err) && err.code).toBe('NOT_READ_ONLY');
  });
});
