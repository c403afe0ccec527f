/**
 * The PostgreSQL read-only statement guard (layer 2 of BRIEF §3), on libpg-query: the real PostgreSQL
 * grammar compiled to WASM, so the guard sees exactly the statement the server will see (comments, dollar
 * quotes, `U&"…"` identifiers and nested comments included).
 *
 * Allowed: exactly one SELECT (with VALUES, TABLE and WITH … SELECT whose CTEs are all reads), SHOW, or
 * EXPLAIN without ANALYZE of such a SELECT. Refused anywhere in the tree: any other statement (a
 * data-modifying CTE at any depth, DDL, COPY, CALL, DO, transaction control, SET…), `SELECT … INTO`,
 * locking clauses, the functions of `POSTGRES_DENIED_FUNCTIONS` (in the select list, the FROM clause,
 * `ROWS FROM`, CTEs, subqueries; schema-qualified or not, any case), and the system catalogs that hold
 * secrets. The read-only transaction (layer 1) still holds for anything this list misses.
 */
import { loadModule, parseSync } from 'libpg-query';
import { ToolError } from '../../errors.js';
import { inScope, isObj, withNames, type Json, type Obj, type Scope } from '../guard/tree.js';
import { DenyList, statementLabel, type DenyMatch } from '../guard/deny.js';
import type { QualifiedName, StatementCheck } from '../guard/types.js';

export type PgStatementKind = 'select' | 'show' | 'explain';

export interface PgStatementCheck extends StatementCheck {
  relations: QualifiedName[];
  /** What the one statement is: a query (SELECT, VALUES, TABLE, WITH), SHOW, or EXPLAIN of a query. */
  kind: PgStatementKind;
  /** The highest `$n` placeholder the statement uses, 0 when it has none. */
  paramCount: number;
}

/**
 * Functions refused wherever they appear. Names are matched on the function's last name part, lower-cased,
 * so `pg_catalog.PG_READ_FILE` and a look-alike in another schema are refused alike.
 */
export const POSTGRES_DENIED_FUNCTIONS = new DenyList([
  {
    reason: 'it reads, lists or writes files on the database server',
    names: ['pg_stat_file', 'pg_logdir_ls', 'pg_hba_file_rules', 'pg_ident_file_mappings', 'pg_show_all_file_settings'],
    prefixes: ['pg_read_', 'pg_ls_', 'pg_file_'],
  },
  {
    reason: 'it uses large objects, which import, export and write server files and data',
    names: ['loread', 'lowrite'],
    prefixes: ['lo_'],
  },
  { reason: 'it opens connections to other databases', prefixes: ['dblink', 'postgres_fdw_'] },
  { reason: 'it changes session settings', names: ['set_config'] },
  { reason: 'it takes advisory locks, which can outlive the query', prefixes: ['pg_advisory', 'pg_try_advisory'] },
  { reason: 'it advances or sets a sequence', names: ['nextval', 'setval'] },
  { reason: 'it assigns a transaction ID (a write to the server state)', names: ['txid_current', 'pg_current_xact_id'] },
  { reason: 'it sends a notification to other sessions', names: ['pg_notify'] },
  {
    // query_to_xml('DELETE …', …) and friends run SQL given as a string, which no guard can see.
    reason: 'it runs SQL given as text, out of reach of this check',
    names: ['ts_stat', 'ts_rewrite'],
    patterns: [/^(query|cursor|table|schema|database)_to_xml/],
  },
  {
    // Not a write, but it only holds a pooled connection and a backend busy until the statement timeout:
    // one call per pool slot would make the source unavailable to everyone (denial of service).
    reason: 'it only waits, holding a connection and a server process busy (denial of service)',
    prefixes: ['pg_sleep'],
  },
  {
    reason: 'it signals or administers the server',
    names: [
      'pg_terminate_backend',
      'pg_cancel_backend',
      'pg_signal_backend',
      'pg_reload_conf',
      'pg_promote',
      'pg_switch_wal',
      'pg_switch_xlog',
      'pg_start_backup',
      'pg_stop_backup',
      'pg_import_system_collations',
      'pg_extension_config_dump',
      'pg_nextoid',
      'pg_export_snapshot',
      'pg_prewarm',
      'autoprewarm_start_worker',
      'autoprewarm_dump_now',
      'pg_stat_statements_reset',
      'pg_truncate_visibility_map',
      'brin_summarize_new_values',
      'brin_summarize_range',
      'brin_desummarize_range',
      'gin_clean_pending_list',
      'pg_sync_replication_slots',
    ],
    prefixes: [
      'pg_rotate_logfile',
      'pg_log_',
      'pg_backup_',
      'pg_wal_replay_',
      'pg_xlog_replay_',
      'pg_stat_reset',
      'binary_upgrade_',
      'pg_create_',
      'pg_drop_',
      'pg_copy_',
      'pg_replication_',
      'pg_logical_',
    ],
  },
]);

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

function deniedFunction(m: DenyMatch): ToolError {
  return new ToolError('NOT_READ_ONLY', `Refused: the function ${m.name}() is not allowed because ${m.reason}.`);
}

function strings(list: Json | undefined): string[] {
  if (!Array.isArray(list)) return [];
  const out: string[] = [];
  for (const item of list) {
    if (isObj(item) && isObj(item.String) && typeof item.String.sval === 'string') out.push(item.String.sval);
  }
  return out;
}

/**
 * Walks a parse tree (iteratively: a deeply nested query must not overflow the JS stack), refusing what is
 * not a read and collecting the relations it reads and the highest placeholder.
 */
function walk(root: Json, out: { relations: Map<string, QualifiedName>; paramCount: number }): void {
  const stack: Array<[Json, Scope | null]> = [[root, null]];
  while (stack.length) {
    const [node, scope] = stack.pop()!;
    // Children are pushed in reverse so that they are visited in text order (relations come out in order).
    if (Array.isArray(node)) {
      for (let i = node.length - 1; i >= 0; i--) {
        const child = node[i];
        if (typeof child === 'object' && child !== null) stack.push([child, scope]);
      }
      continue;
    }
    if (!isObj(node)) continue;

    let bodyScope = scope;
    const wc = node.withClause;
    const later: Array<[Json, Scope | null]> = [];
    if (isObj(wc)) {
      const ctes = Array.isArray(wc.ctes) ? wc.ctes : [];
      const names = ctes.map((c) => (isObj(c) && isObj(c.CommonTableExpr) ? String(c.CommonTableExpr.ctename) : ''));
      bodyScope = withNames(scope, names);
      // A non-recursive WITH item sees only the items before it; WITH RECURSIVE items see them all.
      ctes.forEach((cte, i) => later.push([cte, wc.recursive === true ? bodyScope : withNames(scope, names.slice(0, i))]));
    }

    for (const [key, value] of Object.entries(node)) {
      if (key === 'withClause') continue;
      if (/^[A-Z][A-Za-z]*Stmt$/.test(key) && key !== 'SelectStmt') {
        throw notReadOnly(`${statementLabel(key)} inside the statement (e.g. a data-modifying WITH) is not a read`);
      }
      if (key === 'intoClause' && value) throw notReadOnly('SELECT … INTO creates a table');
      if (key === 'lockingClause' && Array.isArray(value) && value.length) {
        throw notReadOnly('FOR UPDATE / FOR SHARE lock rows');
      }
      if (key === 'FuncCall' && isObj(value)) {
        const parts = strings(value.funcname);
        const name = parts[parts.length - 1];
        const m = name === undefined ? undefined : POSTGRES_DENIED_FUNCTIONS.match(name);
        if (m) throw deniedFunction(m);
      }
      if (key === 'ParamRef' && isObj(value) && typeof value.number === 'number') {
        out.paramCount = Math.max(out.paramCount, value.number);
      }
      if (key === 'RangeVar' && isObj(value) && typeof value.relname === 'string') {
        const schema = typeof value.schemaname === 'string' ? value.schemaname : null;
        const name = value.relname;
        if ((schema === null || schema === 'pg_catalog') && PROTECTED_CATALOGS.has(name)) {
          throw new ToolError('PERMISSION_DENIED', `Refused: the system catalog ${name} holds secrets and is never readable through Sequel.`);
        }
        if (schema !== null || !inScope(bodyScope, name)) {
          out.relations.set(`${schema ?? ''}\u0000${name}`, { schema, name });
        }
      }
      if (typeof value === 'object' && value !== null) later.push([value, bodyScope]);
    }
    for (let i = later.length - 1; i >= 0; i--) stack.push(later[i]!);
  }
}

function syntaxError(err: unknown, sql: string): ToolError {
  const details = (err as { sqlDetails?: { message?: string; cursorPosition?: number } }).sqlDetails;
  const message = details?.message ?? (err instanceof Error ? err.message : String(err));
  const pos = details?.cursorPosition;
  const where = typeof pos === 'number' && pos >= 0 && pos <= sql.length ? ` at character ${pos + 1}` : '';
  return new ToolError('SYNTAX_ERROR', `Syntax error${where}: ${message}.`);
}

/** Checks one statement; the parser must be loaded (`loadPostgresGuard`). Throws a `ToolError`. */
export function checkPostgresStatementSync(sql: string): PgStatementCheck {
  if (!ready) throw new Error('the PostgreSQL guard is not loaded; await loadPostgresGuard() first');
  // The parser and the wire protocol both read C strings: text after a NUL would be seen by neither the
  // same way, so refuse it rather than reason about it.
  if (sql.includes('\u0000')) throw new ToolError('SYNTAX_ERROR', 'Syntax error: the statement contains a NUL character.');
  if (!sql.trim()) throw new ToolError('SYNTAX_ERROR', 'Syntax error: the statement is empty.');
  let tree: { stmts?: Array<{ stmt?: Obj }> };
  try {
    tree = parseSync(sql) as unknown as { stmts?: Array<{ stmt?: Obj }> };
  } catch (err) {
    throw syntaxError(err, sql);
  }
  const stmts = tree.stmts ?? [];
  if (stmts.length === 0) throw new ToolError('SYNTAX_ERROR', 'Syntax error: the text contains only comments, no statement.');
  if (stmts.length > 1) throw notReadOnly(`the text holds ${stmts.length} statements`);
  const stmt = stmts[0]!.stmt ?? {};
  const [type, body] = Object.entries(stmt)[0] ?? ['', null];
  const out = { relations: new Map<string, QualifiedName>(), paramCount: 0 };
  let kind: PgStatementKind;
  if (type === 'SelectStmt') {
    kind = 'select';
    walk(body, out);
  } else if (type === 'VariableShowStmt') {
    kind = 'show';
  } else if (type === 'ExplainStmt' && isObj(body)) {
    for (const opt of Array.isArray(body.options) ? body.options : []) {
      const name = isObj(opt) && isObj(opt.DefElem) ? String(opt.DefElem.defname).toLowerCase() : '';
      if (name === 'analyze' || name === 'analyse') throw notReadOnly('EXPLAIN ANALYZE executes the statement');
    }
    const inner = isObj(body.query) ? Object.keys(body.query)[0] : undefined;
    if (inner !== 'SelectStmt') throw notReadOnly(`EXPLAIN of ${statementLabel(inner ?? 'unknown')} explains a statement that is not a read`);
    kind = 'explain';
    walk(body.query ?? null, out);
  } else {
    throw notReadOnly(`${statementLabel(type)} is not a read`);
  }
  return { kind, relations: [...out.relations.values()], paramCount: out.paramCount };
}

// The same statements arrive again and again (agents retry, dashboards poll); parsing is ~30 µs but the
// walk and allocation add up at high rates, so keep a small LRU of verdicts keyed by the exact text.
const CACHE_MAX = 512;
const cache = new Map<string, PgStatementCheck | { code: ToolError['code']; message: string }>();

/** Checks one statement, loading the parser on first use. Throws a `ToolError`; never rewrites the text. */
export async function checkPostgresStatement(sql: string): Promise<PgStatementCheck> {
  if (!ready) await loadPostgresGuard();
  const hit = cache.get(sql);
  if (hit) {
    cache.delete(sql);
    cache.set(sql, hit);
    if ('code' in hit) throw new ToolError(hit.code, hit.message);
    return { ...hit, relations: hit.relations.map((r) => ({ ...r })) };
  }
  let verdict: PgStatementCheck | { code: ToolError['code']; message: string };
  try {
    verdict = checkPostgresStatementSync(sql);
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
