/**
 * The PostgreSQL read-only statement guard (layer 2 of BRIEF §3), on libpg-query: the real PostgreSQL
 * grammar compiled to WASM, so the guard sees exactly the statement the server will see (comments, dollar
 * quotes, `U&"…"` identifiers and nested comments included). It fails closed:
 *
 *   - exactly one statement: a SELECT (with VALUES, TABLE and WITH … SELECT), SHOW, or EXPLAIN of a SELECT
 *     with output options only (ANALYZE runs the statement); anything else is refused by name;
 *   - the SELECT is walked by ./tree.ts, which knows every node and field it accepts (./nodes.ts) and
 *     refuses the rest — a node it does not know might run a function it would not see;
 *   - every function PostgreSQL may run for the statement, in every form (call, table function, ROWS
 *     FROM, functional notation `t.f`, operator, cast, TABLESAMPLE method), must be on the read-only list
 *     generated from the server's catalog (./functions.generated.ts, `npm run allowlists:postgres`), or be
 *     a user-defined function, operator or type allowed by the source's policy (`allowUserFunctions`) —
 *     never one of the denied names (./functions.ts);
 *   - `SELECT … INTO` and locking clauses are refused anywhere, and so are the catalogs holding secrets and
 *     the views of the database whose definition would be refused (./definitions.ts).
 * The read-only transaction (layer 1) still holds for anything this misses.
 */
import { loadModule, parseSync } from 'libpg-query';
import { ToolError } from '../../errors.js';
import { isObj, type Json, type Obj } from '../guard/tree.js';
import { statementLabel } from '../guard/deny.js';
import type { QualifiedName, StatementCheck } from '../guard/types.js';
import { POSTGRES_CATALOG } from './functions.generated.js';
import { POSTGRES_DENIED_FUNCTIONS } from './functions.js';
import { EXPLAIN_OPTIONS } from './nodes.js';
import { NotReadError, UnknownTreeError, walkSelect, type NameUse, type PgTreeFacts } from './tree.js';

export { POSTGRES_DENIED_FUNCTIONS } from './functions.js';

export type PgStatementKind = 'select' | 'show' | 'explain';

export interface PgStatementCheck extends StatementCheck {
  relations: QualifiedName[];
  /** What the one statement is: a query (SELECT, VALUES, TABLE, WITH), SHOW, or EXPLAIN of a query. */
  kind: PgStatementKind;
  /** The highest `$n` placeholder the statement uses, 0 when it has none. */
  paramCount: number;
  /**
   * The statement runs code defined in the database (a user function, operator, type or cast, allowed by
   * the policy): it may have changed session state, so its connection is not reused (./session.ts).
   */
  runsUserCode: boolean;
}

/** What the guard knows of the database it guards (./definitions.ts reads it; refreshed periodically). */
export interface PgGuardContext {
  /** The source policy's `allowUserFunctions`. */
  allowUserFunctions: boolean;
  /** Names of functions defined outside pg_catalog and information_schema (extensions included). */
  userFunctions: ReadonlySet<string>;
  /** Operator names defined outside pg_catalog, each with the reason it is refused even by policy, or null. */
  userOperators: ReadonlyMap<string, string | null>;
  /** Type names defined outside pg_catalog and information_schema → `pg_type.typtype`. */
  userTypes: ReadonlyMap<string, string>;
  /** Types that a cast defined in the database (with a function) converts to. */
  userCastTargets: ReadonlySet<string>;
  /** A cast defined in the database runs implicitly (AS IMPLICIT / AS ASSIGNMENT): it may run anywhere. */
  implicitUserCast: string | null;
  /** Views of the database whose definition is refused (relation name → reason). */
  refusedRelations: ReadonlyMap<string, string>;
}

/** No knowledge of the database: built-ins only (every name the list does not know is refused). */
export const NO_CONTEXT: PgGuardContext = {
  allowUserFunctions: false,
  userFunctions: new Set(),
  userOperators: new Map(),
  userTypes: new Map(),
  userCastTargets: new Set(),
  implicitUserCast: null,
  refusedRelations: new Map(),
};

/**
 * System catalogs refused even for a superuser: password hashes (`pg_authid`, `pg_shadow`), foreign-server
 * passwords (`pg_user_mapping(s)`), large-object contents, raw column statistics (sample values of any
 * column) and the server's configuration files. Matched when unqualified or qualified with `pg_catalog`.
 */
const PROTECTED_CATALOGS = new Set([
  'pg_authid',
  'pg_shadow',
  'pg_user_mapping',
  'pg_user_mappings',
  'pg_largeobject',
  'pg_statistic',
  'pg_statistic_ext_data',
  'pg_hba_file_rules',
  'pg_ident_file_mappings',
  'pg_file_settings',
]);

const ALLOWED_HELP =
  'only one read-only statement is allowed (SELECT, WITH … SELECT, VALUES, TABLE, SHOW, or EXPLAIN without ANALYZE)';
const BUILTINS = `use PostgreSQL's built-in functions (the read-only list generated from PostgreSQL ${POSTGRES_CATALOG.major})`;
const POLICY = "this source's policy does not allow user-defined functions (allowUserFunctions)";

let loaded: Promise<void> | undefined;
let ready = false;

/** Loads the parser (WASM) once per process. */
export function loadPostgresGuard(): Promise<void> {
  loaded ??= loadModule().then(() => {
    ready = true;
  });
  return loaded;
}

function notReadOnly(what: string): ToolError {
  return new ToolError('NOT_READ_ONLY', `Refused: ${what}; ${ALLOWED_HELP}.`);
}

function refused(message: string): ToolError {
  return new ToolError('NOT_READ_ONLY', `Refused: ${message}`);
}

const BUILTIN_SCHEMAS = new Set(['pg_catalog', 'information_schema']);
const BUILTIN_TYPES: ReadonlySet<string> = new Set(POSTGRES_CATALOG.types);
const SAMPLE_METHODS: ReadonlySet<string> = new Set(POSTGRES_CATALOG.sampleMethods);
const own = <T>(o: Readonly<Record<string, T>>, k: string): T | undefined => (Object.prototype.hasOwnProperty.call(o, k) ? o[k] : undefined);

/** Why one use of a name is refused, or null when it may run. Records user code in `state`. */
function verdict(use: NameUse, ctx: PgGuardContext, state: { userCode: boolean }): string | null {
  const { kind, schema, name } = use;
  const builtinSchema = schema === null || BUILTIN_SCHEMAS.has(schema);
  const userCode = (): string | null => {
    if (!ctx.allowUserFunctions) return null;
    state.userCode = true;
    return '';
  };
  switch (kind) {
    case 'function': {
      const denied = POSTGRES_DENIED_FUNCTIONS.match(name);
      if (denied) return `the function ${name}() is not allowed because ${denied.reason}. Query the source's tables and views instead.`;
      // A function defined in the database: explicitly in another schema, or of a name PostgreSQL may
      // resolve to it (overload resolution picks the best-matching argument types across the search path).
      if (!builtinSchema || (schema === null && ctx.userFunctions.has(name))) {
        return userCode() === null ? `${name}() is a function defined in this database, and ${POLICY}; ${BUILTINS}.` : null;
      }
      const v = own(POSTGRES_CATALOG.functions, name);
      if (v === true) return null;
      if (typeof v === 'string') return `the function ${name}() is not allowed because ${v}. ${BUILTINS[0]!.toUpperCase()}${BUILTINS.slice(1)}.`;
      // `typename(x)` with no function of that name is a cast to the type (§4.2.9).
      if (use.args === 1 && BUILTIN_TYPES.has(name) && !ctx.userTypes.has(name)) return typeVerdict(name, ctx, state);
      return `${name}() is not a function Sequel knows to be read-only on PostgreSQL ${POSTGRES_CATALOG.major}; ${BUILTINS}.`;
    }
    case 'attribute': {
      // `t.f` is a column when t has one named f, else the call f(t): refused when f is a denied function or
      // one defined in the database. (A column named like one: select it with t.* or through a subquery.)
      const v = own(POSTGRES_CATALOG.functions, name);
      const denied = v !== undefined || ctx.userFunctions.has(name) ? POSTGRES_DENIED_FUNCTIONS.match(name) : undefined;
      if (denied) return `.${name} would call the function ${name}() (functional notation), which is not allowed because ${denied.reason}.`;
      // The other refused built-ins take no composite argument (handlers, support functions), so `t.f`
      // cannot call them: a column of that name stays readable.
      if (ctx.userFunctions.has(name) && userCode() === null) {
        return `.${name} would call ${name}(), a function defined in this database (functional notation), and ${POLICY}.`;
      }
      return null;
    }
    case 'operator': {
      if (schema !== null && schema !== 'pg_catalog') {
        return userCode() === null ? `OPERATOR(${schema}.${name}) is an operator defined in this database, and ${POLICY}; use the built-in operators.` : null;
      }
      if (schema === null && ctx.userOperators.has(name)) {
        const reason = ctx.userOperators.get(name);
        if (reason) return `the operator ${name} is defined in this database and refused: ${reason}.`;
        return userCode() === null ? `the operator ${name} has a definition in this database (it runs a user-defined function), and ${POLICY}; use OPERATOR(pg_catalog.${name}) or a built-in function.` : null;
      }
      const v = own(POSTGRES_CATALOG.operators, name);
      if (v === true) return null;
      if (typeof v === 'string') return `the operator ${name} is not allowed because ${v}.`;
      return `${name} is not an operator Sequel knows to be read-only on PostgreSQL ${POSTGRES_CATALOG.major}; use the built-in operators.`;
    }
    case 'type':
      if (!builtinSchema || (schema === null && ctx.userTypes.has(name))) {
        // Enum input is the built-in enum_in; other types defined in the database run their own input,
        // domain-check or cast functions.
        if (ctx.userTypes.get(name) === 'e' && ctx.userCastTargets.size === 0) return null;
        return userCode() === null ? `the type ${name} is defined in this database and converting to it runs its functions, and ${POLICY}; cast to a built-in type.` : null;
      }
      return typeVerdict(name, ctx, state);
    case 'sample':
      if (builtinSchema && !(schema === null && ctx.userFunctions.has(name)) && SAMPLE_METHODS.has(name)) return null;
      return userCode() === null ? `TABLESAMPLE ${name} is not a built-in sampling method (it runs a function defined in this database), and ${POLICY}; use TABLESAMPLE SYSTEM or BERNOULLI.` : null;
  }
}

function typeVerdict(name: string, ctx: PgGuardContext, state: { userCode: boolean }): string | null {
  if (!BUILTIN_TYPES.has(name)) return `${name} is not a type Sequel knows on PostgreSQL ${POSTGRES_CATALOG.major}; cast to a built-in type.`;
  if (ctx.userCastTargets.has(name)) {
    if (!ctx.allowUserFunctions) return `a cast to ${name} may run a cast function defined in this database, and ${POLICY}.`;
    state.userCode = true;
  }
  return null;
}

/**
 * Judges the facts of a walked SELECT: every name that may run a function, and every relation. Returns
 * the relations read. Pure: the fail-closed tests call it on synthetic facts.
 */
export function judgePgFacts(facts: PgTreeFacts, ctx: PgGuardContext): { relations: QualifiedName[]; runsUserCode: boolean } {
  const state = { userCode: false };
  if (ctx.implicitUserCast) {
    if (!ctx.allowUserFunctions) throw refused(`this database defines a cast that runs implicitly (${ctx.implicitUserCast}) with a function of its own, which any expression may call, and ${POLICY}.`);
    state.userCode = true;
  }
  for (const use of facts.uses) {
    const why = verdict(use, ctx, state);
    if (why) throw refused(why);
  }
  const relations = new Map<string, QualifiedName>();
  for (const r of facts.relations) {
    if (r.cte) continue;
    if ((r.schema === null || r.schema === 'pg_catalog') && PROTECTED_CATALOGS.has(r.name)) {
      throw new ToolError('PERMISSION_DENIED', `Refused: the system catalog ${r.name} holds secrets and is never readable through Sequel.`);
    }
    const view = ctx.refusedRelations.get(r.schema === null ? r.name : `${r.schema}.${r.name}`);
    if (view) throw refused(`the view ${r.schema === null ? '' : `${r.schema}.`}${r.name} runs what a statement may not: ${view}`);
    relations.set(`${r.schema ?? ''}\u0000${r.name}`, { schema: r.schema, name: r.name });
  }
  return { relations: [...relations.values()], runsUserCode: state.userCode };
}

function syntaxError(err: unknown, sql: string): ToolError {
  const details = (err as { sqlDetails?: { message?: string; cursorPosition?: number } }).sqlDetails;
  const message = details?.message ?? (err instanceof Error ? err.message : String(err));
  const pos = details?.cursorPosition;
  const where = typeof pos === 'number' && pos >= 0 && pos <= sql.length ? ` at character ${pos + 1}` : '';
  return new ToolError('SYNTAX_ERROR', `Syntax error${where}: ${message}.`);
}

/** Walks a SELECT body, turning what the walker cannot read into refusals that say what to write. */
function walk(body: Json | undefined, path: string): PgTreeFacts {
  try {
    return walkSelect(body, path);
  } catch (err) {
    if (err instanceof NotReadError) throw notReadOnly(err.message);
    if (err instanceof UnknownTreeError) {
      throw refused(`the statement uses syntax Sequel's PostgreSQL guard does not know (${err.message}), so it is refused; ${err.hint ?? 'write it with plain SELECT syntax and built-in functions'}.`);
    }
    if (err instanceof RangeError) throw refused('the statement is nested too deeply to check; simplify it (fewer nested subqueries or expressions).');
    throw err;
  }
}

/**
 * Judges a parse tree (libpg-query's `parseSync` output) against `ctx`. Exported for the fail-closed
 * tests, which feed it synthetic trees.
 */
export function judgePgTree(tree: Json, ctx: PgGuardContext = NO_CONTEXT): PgStatementCheck {
  const root = isObj(tree) ? tree : {};
  const stmts = Array.isArray(root.stmts) ? root.stmts : [];
  if (stmts.length === 0) throw new ToolError('SYNTAX_ERROR', 'Syntax error: the text contains only comments, no statement.');
  if (stmts.length > 1) throw notReadOnly(`the text holds ${stmts.length} statements`);
  const raw = stmts[0];
  const stmt: Obj = isObj(raw) && isObj(raw.stmt) ? raw.stmt : {};
  const entries = Object.entries(stmt);
  if (entries.length !== 1) throw refused("the statement's parse tree has an unexpected shape, so it is refused; write one SELECT.");
  const [type, body] = entries[0]!;
  if (type === 'SelectStmt') {
    const facts = walk(body, '$.SelectStmt');
    return { kind: 'select', paramCount: facts.paramCount, ...judgePgFacts(facts, ctx) };
  }
  if (type === 'VariableShowStmt') {
    if (!isObj(body) || Object.keys(body).some((k) => k !== 'name') || typeof body.name !== 'string') throw refused('this SHOW form is not one Sequel knows; write SHOW <setting> or SHOW ALL.');
    return { kind: 'show', relations: [], paramCount: 0, runsUserCode: false };
  }
  if (type === 'ExplainStmt' && isObj(body)) {
    for (const k of Object.keys(body)) if (k !== 'query' && k !== 'options') throw refused(`EXPLAIN with "${k}" is not a form Sequel knows; write EXPLAIN SELECT ….`);
    for (const opt of Array.isArray(body.options) ? body.options : []) {
      const name = isObj(opt) && isObj(opt.DefElem) && typeof opt.DefElem.defname === 'string' ? opt.DefElem.defname.toLowerCase() : '';
      if (name === 'analyze' || name === 'analyse') throw notReadOnly('EXPLAIN ANALYZE executes the statement');
      if (!EXPLAIN_OPTIONS.has(name)) throw refused(`the EXPLAIN option ${name || '(unreadable)'} is not one Sequel knows; use ${[...EXPLAIN_OPTIONS].join(', ')}.`);
    }
    const inner = isObj(body.query) ? Object.keys(body.query)[0] : undefined;
    if (inner !== 'SelectStmt' || !isObj(body.query)) throw notReadOnly(`EXPLAIN of ${statementLabel(inner ?? 'unknown')} explains a statement that is not a read`);
    const facts = walk(body.query.SelectStmt, '$.ExplainStmt.query.SelectStmt');
    return { kind: 'explain', paramCount: facts.paramCount, ...judgePgFacts(facts, ctx) };
  }
  throw notReadOnly(`${statementLabel(type || 'unknown')} is not a read`);
}

/** Checks one statement; the parser must be loaded (`loadPostgresGuard`). Throws a `ToolError`. */
export function checkPostgresStatementSync(sql: string, ctx: PgGuardContext = NO_CONTEXT): PgStatementCheck {
  if (!ready) throw new Error('the PostgreSQL guard is not loaded; await loadPostgresGuard() first');
  // The parser and the wire protocol both read C strings: text after a NUL would be seen by neither the
  // same way, so refuse it rather than reason about it.
  if (sql.includes('\u0000')) throw new ToolError('SYNTAX_ERROR', 'Syntax error: the statement contains a NUL character.');
  if (!sql.trim()) throw new ToolError('SYNTAX_ERROR', 'Syntax error: the statement is empty.');
  let tree: Json;
  try {
    tree = parseSync(sql) as unknown as Json;
  } catch (err) {
    throw syntaxError(err, sql);
  }
  return judgePgTree(tree, ctx);
}

// The same statements arrive again and again (agents retry, dashboards poll); parsing is ~30 µs but the
// walk and allocation add up at high rates, so keep a small LRU of verdicts keyed by the exact text, one
// per context (a new context — the database's definitions re-read — starts a new cache).
const CACHE_MAX = 512;
type Cached = PgStatementCheck | { code: ToolError['code']; message: string };
const caches = new WeakMap<PgGuardContext, Map<string, Cached>>();

/** Checks one statement, loading the parser on first use. Throws a `ToolError`; never rewrites the text. */
export async function checkPostgresStatement(sql: string, ctx: PgGuardContext = NO_CONTEXT): Promise<PgStatementCheck> {
  if (!ready) await loadPostgresGuard();
  let cache = caches.get(ctx);
  if (!cache) caches.set(ctx, (cache = new Map()));
  const hit = cache.get(sql);
  if (hit) {
    cache.delete(sql);
    cache.set(sql, hit);
    if ('code' in hit) throw new ToolError(hit.code, hit.message);
    return { ...hit, relations: hit.relations.map((r) => ({ ...r })) };
  }
  let verdict: Cached;
  try {
    verdict = checkPostgresStatementSync(sql, ctx);
  } catch (err) {
    if (!(err instanceof ToolError)) throw err;
    verdict = { code: err.code, message: err.message };
  }
  if (sql.length <= 10_000) {
    cache.set(sql, verdict);
    if (cache.size > CACHE_MAX) cache.delete(cache.keys().next().value!);
  }
  if ('code' in verdict) throw new ToolError(verdict.code, verdict.message);
  return { ...verdict, relations: verdict.relations.map((r) => ({ ...r })) };
}
