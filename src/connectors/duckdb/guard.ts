/**
 * The DuckDB read-only statement guard (layer 2 of BRIEF §3), on DuckDB's own parser, failing closed:
 *   - `json_serialize_sql` (DuckDB's parser, no extension hooks) gives the parse tree; a statement it
 *     cannot serialize is not a query and is refused before DuckDB is asked to prepare it (preparing some
 *     statements already touches the instance: CREATE SECRET, PRAGMA import_database);
 *   - ./tree.ts walks that tree knowing every node it accepts; an unknown class, type or key is refused;
 *   - every function named anywhere must be on the read-only list generated from DuckDB's own catalog
 *     (./functions.generated.ts, `npm run allowlists:duckdb`); functions defined in the database only
 *     when the source's policy allows them (`allowUserFunctions`), and never when their body calls a
 *     refused built-in; a file path or URL used as a table (a replacement scan) and built-in views over
 *     refused functions are refused too;
 *   - the prepared statement's type must be SELECT (SHOW, DESCRIBE, SUMMARIZE and PIVOT are SELECTs), or
 *     EXPLAIN of a checked SELECT; `EXPLAIN ANALYZE` runs the statement and is refused;
 *   - a few catalog PRAGMAs (table_info, show_tables…) are rewritten into the query DuckDB would run for
 *     them, and that query is checked like any other.
 * The session (read-only file, external access disabled, configuration locked, one fresh connection per
 * call, the parser settings verified before each call) holds for anything this misses (layer 1, ./index.ts).
 */
import type { DuckDBConnection, DuckDBPreparedStatement } from '@duckdb/node-api';
import { StatementType } from '@duckdb/node-api';
import { ToolError } from '../../errors.js';
import type { Json } from '../guard/tree.js';
import type { QualifiedName, StatementCheck } from '../guard/types.js';
import { DUCKDB_VERSION, READ_ONLY_FUNCTIONS, REFUSED_FUNCTIONS, REFUSED_VIEWS, type DuckDbFunctionType } from './functions.generated.js';
import { explainForm, leadingWord, pragmaForm, skipTrivia } from './lexer.js';
import { readSerializedStatements, UnknownTreeError, type FunctionUse, type TreeFacts } from './tree.js';

export { leadingWord } from './lexer.js';

/** What the guard knows of the database it guards (read once when the source opens). */
export interface DuckDbGuardContext {
  /** The source policy's `allowUserFunctions`. */
  allowUserFunctions: boolean;
  /**
   * Functions and macros defined in the database (lower-case names), each with the reason it is refused
   * even when user functions are allowed (its body calls a refused function), or null.
   */
  userFunctions: ReadonlyMap<string, string | null>;
  /**
   * Views, and tables with generated columns, defined in the database whose definition is refused
   * (lower-case names), with the reason: reading them runs that definition.
   */
  refusedRelations: ReadonlyMap<string, string>;
}

export const NO_DEFINITIONS: DuckDbGuardContext = { allowUserFunctions: false, userFunctions: new Map(), refusedRelations: new Map() };

export interface CheckedRead {
  /** The text to prepare: the caller's, or the query a catalog PRAGMA stands for. */
  sql: string;
  kind: 'select' | 'explain';
  check: StatementCheck;
}

const QUERIES = "SELECT, WITH … SELECT, FROM …, VALUES, DESCRIBE, SHOW, SUMMARIZE, PIVOT … IN (…), EXPLAIN SELECT …, PRAGMA table_info('t')";

/** Binder-level functions DuckDB resolves without its catalog (UNNEST in a select list). */
const BINDER_FUNCTIONS = new Set(['unnest', 'unlist']);

const names = (...types: DuckDbFunctionType[]) => new Set(types.flatMap((t) => READ_ONLY_FUNCTIONS[t]));
const READ_ONLY: Record<FunctionUse['position'], ReadonlySet<string>> = {
  scalar: new Set([...names('scalar', 'aggregate', 'macro'), ...BINDER_FUNCTIONS]),
  table: names('table', 'table_macro'),
  window: names('aggregate'),
};
const REFUSED_IN: Record<FunctionUse['position'], DuckDbFunctionType[]> = {
  scalar: ['scalar', 'aggregate', 'macro', 'table', 'table_macro', 'pragma'],
  table: ['table', 'table_macro', 'scalar', 'macro', 'pragma'],
  window: ['aggregate', 'scalar'],
};

/**
 * Catalog PRAGMAs and the query each stands for (DuckDB's own rewrite, src/function/pragma/
 * pragma_queries.cpp); every other PRAGMA is refused.
 */
const CATALOG_PRAGMAS: Record<string, (arg: string | undefined) => string | undefined> = {
  table_info: (a) => (a === undefined ? undefined : `SELECT * FROM pragma_table_info(${quote(a)})`),
  show: (a) => (a === undefined ? undefined : `SELECT * FROM pragma_show(${quote(a)})`),
  storage_info: (a) => (a === undefined ? undefined : `SELECT * FROM pragma_storage_info(${quote(a)})`),
  show_tables: (a) => (a === undefined ? 'SHOW TABLES' : undefined),
  show_tables_expanded: (a) => (a === undefined ? 'SHOW ALL TABLES' : undefined),
  show_databases: (a) => (a === undefined ? 'SHOW DATABASES' : undefined),
  version: (a) => (a === undefined ? 'SELECT * FROM pragma_version()' : undefined),
  platform: (a) => (a === undefined ? 'SELECT * FROM pragma_platform()' : undefined),
  collations: (a) => (a === undefined ? 'SELECT * FROM pragma_collations() ORDER BY 1' : undefined),
  database_size: (a) => (a === undefined ? 'SELECT * FROM pragma_database_size()' : undefined),
  metadata_info: (a) => (a === undefined ? 'SELECT * FROM pragma_metadata_info()' : undefined),
  user_agent: (a) => (a === undefined ? 'SELECT * FROM pragma_user_agent()' : undefined),
};

/** Table functions whose string argument names a relation (for `relations`). */
const RELATION_ARGUMENT = new Set(['pragma_table_info', 'pragma_show', 'pragma_storage_info']);

/** SHOW forms without a query of their own: DuckDB answers them from its catalog. */
const SHOW_NAMES = new Set(['"databases"', '"schemas"', '"tables"', '"variables"', '__show_tables_expanded']);

/** A string used as a table is a file or URL read by a replacement scan (`FROM 'data.csv'`, `FROM 's3://…'`). */
const FILE_LIKE = /[/\\:*?[\]{}~]|\.[A-Za-z0-9]+$/;

function quote(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

function refused(message: string): ToolError {
  return new ToolError('NOT_READ_ONLY', message);
}

/** DuckDB's error text ("Parser Error: …", possibly behind a "Failed to …: " prefix) as a code a model can act on. */
export function mapDuckDbError(err: unknown): unknown {
  const full = err instanceof Error ? err.message : String(err);
  const message = full.replace(/^Failed to [^:]*: /, '');
  if (/^Parser Error/i.test(message)) return new ToolError('SYNTAX_ERROR', message);
  if (/^Permission Error/i.test(message)) return new ToolError('NOT_READ_ONLY', message);
  if (/multiple statements at once/i.test(message)) {
    return new ToolError('QUERY_ERROR', `${message} (a PIVOT without an explicit IN (…) list needs two statements; list the pivot values).`);
  }
  if (/^(Catalog|Binder|Conversion|Invalid Input|Out of Range|Constraint|Not implemented|Invalid type|Out of Memory) Error/i.test(message)) {
    return new ToolError('QUERY_ERROR', message);
  }
  if (/^IO Error/i.test(message)) return new ToolError('SOURCE_UNAVAILABLE', message);
  return err;
}

/**
 * Statements that are never reads, by their first keyword (DuckDB's grammar): refused at once with a
 * message naming them. (Anything else that is not a query is refused when it has no serialized form.)
 */
const COMMANDS = new Set([
  'insert', 'update', 'delete', 'merge', 'upsert', 'replace', 'truncate', 'create', 'drop', 'alter', 'comment', 'copy',
  'export', 'import', 'attach', 'detach', 'use', 'install', 'load', 'force', 'set', 'reset', 'call', 'checkpoint',
  'vacuum', 'analyze', 'begin', 'start', 'commit', 'end', 'rollback', 'abort', 'savepoint', 'release', 'prepare', 'execute',
  'deallocate', 'grant', 'revoke', 'update_extensions',
]);

function functionVerdict(use: FunctionUse, ctx: DuckDbGuardContext): string | null {
  const { name, position } = use;
  if (ctx.userFunctions.has(name)) {
    // A function of the database (it may shadow a built-in of the same name: DuckDB looks there first).
    if (!ctx.allowUserFunctions) {
      return `${name}() is defined in this database, and the source's policy does not allow user-defined functions (allowUserFunctions); write the expression with DuckDB's built-in functions instead.`;
    }
    const reason = ctx.userFunctions.get(name);
    return reason ? `${name}() is defined in this database and refused: ${reason}.` : null;
  }
  if (READ_ONLY[position].has(name)) return null;
  for (const type of REFUSED_IN[position]) {
    const reason = REFUSED_FUNCTIONS[type][name];
    if (reason) return `${name}() is refused: ${reason}. Query the source's tables and views instead.`;
  }
  const what = position === 'table' ? 'table function' : position === 'window' ? 'window function' : 'function';
  return `${name}() is not a ${what} Sequel knows to be read-only on DuckDB ${DUCKDB_VERSION}; use DuckDB's built-in functions.`;
}

/**
 * Judges the facts of a parsed query: every function, table and SHOW it names. Returns the relations it
 * reads, or throws NOT_READ_ONLY. Pure: the fail-closed tests call it on synthetic trees.
 */
export function judgeFacts(facts: TreeFacts, ctx: DuckDbGuardContext): QualifiedName[] {
  for (const use of facts.functions) {
    const verdict = functionVerdict(use, ctx);
    if (verdict) throw refused(verdict);
  }
  const relations: QualifiedName[] = [];
  for (const t of facts.tables) {
    if (FILE_LIKE.test(t.name)) {
      throw refused(`Reading "${t.name}" as a table is refused: it is a file or URL outside the source. Query the source's tables and views.`);
    }
    const system = !t.catalog || t.catalog === 'system' || t.catalog === 'temp';
    const builtIn = REFUSED_VIEWS[t.name];
    if (builtIn && system) throw refused(`${t.name} is refused: ${builtIn}.`);
    const own = ctx.refusedRelations.get(t.name);
    if (own && !t.cte) throw refused(`${t.name} is refused: ${own}.`);
    if (!t.cte) relations.push({ schema: [t.catalog, t.schema].filter(Boolean).join('.') || null, name: t.name });
  }
  for (const use of facts.functions) {
    const arg = use.stringArgs[0];
    if (use.position === 'table' && RELATION_ARGUMENT.has(use.name) && arg) {
      const parts = arg.toLowerCase().split('.');
      relations.push({ schema: parts.length > 1 ? parts.slice(0, -1).join('.') : null, name: parts.at(-1)! });
    }
  }
  for (const s of facts.shows) {
    if ((s.showType === 'SHOW_UNQUALIFIED' && !SHOW_NAMES.has(s.tableName.toLowerCase())) || (s.showType !== 'SHOW_UNQUALIFIED' && s.tableName)) {
      throw refused(`This SHOW form is not one Sequel knows; use DESCRIBE <table>, SHOW TABLES or SUMMARIZE <table>.`);
    }
  }
  return relations;
}

/** Judges the JSON `json_serialize_sql` returned for `sql` (one SELECT), failing closed. */
export function judgeSerialized(tree: Json, sql: string, ctx: DuckDbGuardContext): StatementCheck {
  const root = typeof tree === 'object' && tree !== null && !Array.isArray(tree) ? tree : {};
  if (root.error === true) {
    const type = typeof root.error_type === 'string' ? root.error_type : '';
    const message = typeof root.error_message === 'string' ? root.error_message : 'the statement does not parse';
    if (type === 'parser') throw new ToolError('SYNTAX_ERROR', `Parser Error: ${message}`);
    if (!/^Only SELECT statements/i.test(message)) {
      // DuckDB's parser read the text but cannot represent it (e.g. "Mixing named and positional parameters").
      throw new ToolError('SYNTAX_ERROR', `DuckDB cannot read this statement: ${message}.`);
    }
    const first = leadingWord(sql);
    if (first === 'pivot' || first === 'unpivot') {
      throw refused("A PIVOT without an explicit IN (…) list runs a second statement (it creates an ENUM type); list the values: PIVOT t ON col IN ('a', 'b') USING sum(x).");
    }
    throw refused(`Only queries are allowed (${QUERIES}); ${first ? `this ${first.toUpperCase()} statement` : 'this statement'} is refused.`);
  }
  let read: ReturnType<typeof readSerializedStatements>;
  try {
    read = readSerializedStatements(tree);
  } catch (err) {
    if (err instanceof UnknownTreeError) {
      throw refused(`The statement uses syntax Sequel's DuckDB guard does not know (${err.message}), so it is refused; write it with plain SELECT syntax.`);
    }
    throw err;
  }
  if (read.count === 0) throw new ToolError('SYNTAX_ERROR', 'The statement is empty.');
  if (read.count > 1) throw refused('Exactly one statement is allowed; send each statement in its own call.');
  return { relations: judgeFacts(read.facts, ctx) };
}

/** Serializes `sql` with DuckDB's parser; `probes` are evaluated in the same round trip (see ./index.ts). */
export async function serialize(conn: DuckDBConnection, sql: string, probes: readonly string[] = []): Promise<{ tree: Json; probes: string[] }> {
  const columns = ['json_serialize_sql($1::varchar)', ...probes].join(', ');
  const result = await conn.runAndReadAll(`select ${columns}`, [sql]);
  const row = result.getRows()[0] ?? [];
  return { tree: JSON.parse(String(row[0] ?? '{}')) as Json, probes: row.slice(1).map((v) => String(v)) };
}

/**
 * Checks `sql` without preparing it. Returns the text to prepare and what it reads, and the values of
 * `probes` evaluated with the parse (the connector compares them with the instance's expected state).
 */
export async function checkDuckDbRead(
  conn: DuckDBConnection,
  sql: string,
  ctx: DuckDbGuardContext,
  probes: readonly string[] = [],
): Promise<CheckedRead & { probes: string[] }> {
  // The C API reads the text up to the first NUL; the parse tree would see past it.
  if (sql.includes('\0')) throw new ToolError('SYNTAX_ERROR', 'The statement contains a NUL character.');
  if (skipTrivia(sql) === sql.length) throw new ToolError('SYNTAX_ERROR', 'The statement is empty.');
  const first = leadingWord(sql);
  let text = sql;
  let kind: CheckedRead['kind'] = 'select';
  let parsed = sql;
  if (first === 'explain') {
    const form = explainForm(sql)!;
    if (form.kind === 'analyze') throw refused('EXPLAIN ANALYZE runs the statement; use explain_query for its plan (it never runs it), or plain EXPLAIN SELECT ….');
    if (form.kind === 'options') throw refused('EXPLAIN options are refused; write plain EXPLAIN SELECT …, or use explain_query.');
    const inner = leadingWord(form.inner);
    if (inner === 'explain' || inner === 'pragma') throw refused(`EXPLAIN ${inner.toUpperCase()} is refused; EXPLAIN a query (SELECT …).`);
    kind = 'explain';
    parsed = form.inner;
  } else if (first === 'pragma') {
    const form = pragmaForm(sql)!;
    const rewrite = form.kind === 'call' ? CATALOG_PRAGMAS[form.name]?.(form.argument) : undefined;
    if (rewrite === undefined) {
      const what = form.kind === 'unreadable' ? 'This PRAGMA' : `PRAGMA ${form.name}`;
      throw refused(`${what} is refused; the catalog PRAGMAs allowed are ${Object.keys(CATALOG_PRAGMAS).join(', ')} (table_info, show and storage_info take one table name), or use DESCRIBE t and SHOW TABLES.`);
    }
    text = rewrite;
    parsed = rewrite;
  } else if (first !== undefined && COMMANDS.has(first)) {
    throw refused(`Only queries are allowed (${QUERIES}); ${first.toUpperCase()} is refused.`);
  }
  const { tree, probes: values } = await serialize(conn, parsed, probes);
  return { sql: text, kind, check: judgeSerialized(tree, parsed, ctx), probes: values };
}

/** Prepares a checked read; its prepared type must be what was checked (SELECT, or EXPLAIN of one). */
export async function prepareChecked(conn: DuckDBConnection, checked: CheckedRead): Promise<DuckDBPreparedStatement> {
  let prepared: DuckDBPreparedStatement;
  try {
    prepared = await conn.prepare(checked.sql);
  } catch (err) {
    throw mapDuckDbError(err);
  }
  const type = prepared.statementType;
  const expected = checked.kind === 'explain' ? StatementType.EXPLAIN : StatementType.SELECT;
  if (type !== expected) {
    prepared.destroySync();
    const name = (StatementType as unknown as Record<number, string>)[type] ?? String(type);
    throw refused(`Only queries are allowed (${QUERIES}); a ${name} statement is refused.`);
  }
  return prepared;
}
