/**
 * The MySQL/MariaDB read-only statement guard (layer 2 of BRIEF §3).
 *
 * Two passes over the text. **The first alone enforces every security property**; the second only adds
 * the relations the statement reads (and re-checks what it can, which can only refuse more).
 *
 * 1. **MySQL's own lexical rules** (lexer.ts; the connector pins the session's `sql_mode` so the server
 *    splits the text exactly as the lexer does). Anything the lexer cannot classify is a syntax error.
 *    Refused at this level, wherever it stands in the text:
 *      - executable comments `/*! … *\/`, `/*!50000 … *\/` and MariaDB's `/*M! … *\/` (the server runs
 *        their content); optimizer hints `/*+ … *\/` (`SET_VAR`, `MAX_EXECUTION_TIME` override the session);
 *      - more than one statement (text after the first `;` other than comments);
 *      - a first keyword that does not start a read (SELECT, WITH, TABLE, VALUES, `(`, SHOW, DESCRIBE,
 *        DESC, EXPLAIN); an unknown first word is a syntax error;
 *      - `INTO` (OUTFILE, DUMPFILE, @variables), locking reads (`FOR UPDATE`, `FOR SHARE`,
 *        `LOCK IN SHARE MODE`), `EXPLAIN … FOR CONNECTION`, `:=` assignments, `PROCEDURE ANALYSE`,
 *        MariaDB's `NEXT VALUE FOR` / `PREVIOUS VALUE FOR`, the reserved words of writes and DDL (DELETE,
 *        UPDATE, INSERT/REPLACE without `(`, CREATE, DROP, ALTER, GRANT, REVOKE, RENAME, LOAD, CALL, KILL);
 *      - every function call — a name, bare or back-quoted, before `(` — that functions.ts does not allow:
 *        the allow-list is generated from the server's own function list and records in which written forms
 *        a name is the built-in; anything else is a stored function or a UDF, refused unless the source's
 *        policy sets `allowUserFunctions` (and the known-dangerous names never pass);
 *      - the protected objects (`PROTECTED_SCHEMAS`, `PROTECTED_INFORMATION_SCHEMA`): the `mysql`,
 *        `performance_schema` and `sys` databases (password hashes, privileges, server and replication
 *        credentials, other sessions' statement text) and the information_schema tables that expose other
 *        sessions or accounts, named qualified in any spelling (case, back-quotes, comments or spaces around
 *        the dot), in SHOW … FROM|IN, and unqualified when the source's default database is one of them;
 *      - views whose own definition this pass would refuse (they read a protected object, call a function
 *        the policy refuses, or read such a view): the connector reads the views' definitions from the
 *        server (again every 30 s) and passes them as `views` (`exposingViews`), refused by name;
 *      - SHOW other than the catalogue and settings forms, diagnostics of the previous statement (SHOW
 *        WARNINGS/ERRORS, `@@warning_count`: on a pooled connection that is another call's statement);
 *      - EXPLAIN ANALYZE and MariaDB's ANALYZE SELECT (they execute: use explain_query), EXPLAIN of
 *        anything but a query.
 *
 * 2. **A MySQL grammar** (datafusion-sqlparser-rs, `MySqlDialect`, compiled to WASM) parses the query and
 *    gives the relations it reads (CTE names resolved by scope); its tree is walked again for writes,
 *    INTO, locking clauses, assignments and the protected tables. MySQL's grammar has no complete
 *    JavaScript implementation, so a statement that passed pass 1 and that this parser cannot read
 *    (`5 MOD 2`, `SOUNDS LIKE`, MariaDB-only syntax) is still allowed, with `relations: null` (unknown):
 *    no protection depends on this pass.
 *
 * The read-only session (layer 1: every statement in a read-only transaction, the statement timeout) and
 * the one-statement prepared protocol (layer 3) still hold for anything both passes miss, e.g. a view
 * that calls a stored function that writes.
 */
import { init as initParser, parse as parseSql } from '@guanmingchiu/sqlparser-ts';
import { ToolError } from '../../errors.js';
import { inScope, isObj, withNames, type Json, type Scope } from '../guard/tree.js';
import type { QualifiedName, StatementCheck } from '../guard/types.js';
import { checkFunctionCall, NOT_CALLS, type CallForm, type MysqlFlavor } from './functions.js';
import { isName, isOp, isWord, lexMysql, syntax, type MysqlToken } from './lexer.js';

export type { MysqlFlavor } from './functions.js';
export { lexMysql } from './lexer.js';

/** What the guard needs to know about the source besides the text. */
export interface MysqlGuardOptions {
  /** The server's flavor; undefined before the first connection (then both flavors' lists apply). */
  flavor?: MysqlFlavor | undefined;
  /** The source's default database (the DSN's), which unqualified names resolve to; null when none. */
  database?: string | null | undefined;
  /** The source policy's `allowUserFunctions`. */
  allowUserFunctions?: boolean | undefined;
  /**
   * Views the statement must not name (lower-case name → the refusal), from `exposingViews`: views whose
   * definition reads a protected object or calls a function the policy refuses. The guard cannot see
   * through a view, so the view's own definition is checked instead.
   */
  views?: ReadonlyMap<string, ToolError> | undefined;
  /** Identifies `views` in the verdict cache (bumped whenever the views are read again). */
  viewsGeneration?: number | undefined;
}

/** A view's definition as `information_schema.VIEWS` gives it. */
export interface ViewDefinition {
  schema: string;
  name: string;
  definition: string;
}

/**
 * The views a statement may not name, with the refusal to give: a view whose definition (MariaDB and MySQL
 * store it with every name qualified) names a protected object, calls a function the policy refuses, or
 * reads another such view. A definition this lexer cannot read counts as exposing (fail closed).
 */
export function exposingViews(views: readonly ViewDefinition[], options: Omit<MysqlGuardOptions, 'views' | 'viewsGeneration'>): Map<string, ToolError> {
  const out = new Map<string, ToolError>();
  const tokensOf = new Map<ViewDefinition, MysqlToken[] | undefined>();
  for (const v of views) {
    try {
      tokensOf.set(v, lexMysql(v.definition));
    } catch {
      tokensOf.set(v, undefined);
    }
  }
  const refusal = (v: ViewDefinition, why: ToolError) =>
    new ToolError(why.code, `Refused: the view ${v.schema}.${v.name} ${why.code === 'PERMISSION_DENIED' ? 'reads what Sequel never reads' : 'calls a function this source does not allow'} (${why.message.replace(/^Refused: /, '')})`);
  // Until nothing changes: a view over an exposing view exposes too.
  for (let changed = true; changed; ) {
    changed = false;
    for (const v of views) {
      const key = v.name.toLowerCase();
      if (out.has(key)) continue;
      const tokens = tokensOf.get(v);
      try {
        if (!tokens) throw new ToolError('PERMISSION_DENIED', 'Refused: its definition could not be read.');
        scanTokens(tokens, { ...options, database: null, views: out });
      } catch (err) {
        if (!(err instanceof ToolError)) throw err;
        // Writes, INTO… cannot be in a view; anything refused here makes the view unreadable.
        out.set(key, refusal(v, err));
        changed = true;
      }
    }
  }
  return out;
}

/** What the one statement is: a query (SELECT, WITH, TABLE, VALUES), SHOW, DESCRIBE of a table, or EXPLAIN of a query. */
export type MysqlStatementKind = 'select' | 'show' | 'describe' | 'explain';

export interface MysqlStatementCheck extends StatementCheck {
  kind: MysqlStatementKind;
  /** The number of `?` placeholders. */
  paramCount: number;
  /** Where the query starts in the text: 0 for a query, after the EXPLAIN prefix for EXPLAIN of a query. */
  queryOffset: number;
}

// ─── Word lists ─────────────────────────────────────────────────────────────────────────────────────

/** First words of statements MySQL or MariaDB know that are not reads: refused as NOT_READ_ONLY. */
const NON_READ_STATEMENTS = new Set(
  `INSERT UPDATE DELETE REPLACE CREATE DROP ALTER TRUNCATE RENAME GRANT REVOKE SET LOAD CALL DO HANDLER LOCK
   UNLOCK START BEGIN COMMIT ROLLBACK SAVEPOINT RELEASE XA PREPARE EXECUTE DEALLOCATE FLUSH KILL RESET PURGE
   CHANGE INSTALL UNINSTALL ANALYZE OPTIMIZE REPAIR CHECK CHECKSUM CACHE SHUTDOWN USE HELP BINLOG IMPORT
   CLONE RESTART SIGNAL RESIGNAL GET DECLARE BACKUP STOP IF WHILE REPEAT LOOP LEAVE ITERATE RETURN OPEN
   CLOSE FETCH CASE ELSE END LABEL GOTO`.split(/\s+/),
);

/**
 * Reserved words of writes and DDL. MySQL and MariaDB reserve them, so outside quotes they cannot be
 * identifiers (except right after a `.` qualifier); seeing one anywhere means the text writes.
 * INSERT and REPLACE are also string functions, so they count only when not followed by `(`.
 */
const WRITE_WORDS = new Set(['DELETE', 'UPDATE', 'INSERT', 'REPLACE', 'CREATE', 'DROP', 'ALTER', 'GRANT', 'REVOKE', 'RENAME', 'LOAD', 'CALL', 'KILL']);

/**
 * Databases never read through Sequel, whatever the account's grants: `mysql` holds password hashes
 * (`user`, `global_priv` on MariaDB 10.4+, `password_history`), privileges, federated/Spider server
 * credentials (`servers`), replication credentials (`slave_master_info`), the general and slow query logs
 * as tables (other sessions' statements, passwords in CREATE USER included); `performance_schema` holds
 * other sessions' statement text, user variables and connection attributes; `sys` is views over both
 * (`sys.processlist`, `sys.statement_analysis`…) and procedures that change instrumentation.
 */
export const PROTECTED_SCHEMAS: ReadonlySet<string> = new Set(['mysql', 'performance_schema', 'sys']);

/**
 * information_schema tables that expose other sessions (statement text: PROCESSLIST, INNODB_TRX,
 * QUERY_CACHE_INFO; locks: INNODB_LOCKS, INNODB_LOCK_WAITS) or accounts and their privileges (USERS,
 * USER_PRIVILEGES…, USER_STATISTICS, CLIENT_STATISTICS, MySQL's USER_ATTRIBUTES). The rest of
 * information_schema is the catalogue and stays readable.
 */
export const PROTECTED_INFORMATION_SCHEMA: ReadonlySet<string> = new Set([
  'processlist',
  'innodb_trx',
  'innodb_locks',
  'innodb_lock_waits',
  'query_cache_info',
  'users',
  'user_privileges',
  'schema_privileges',
  'table_privileges',
  'column_privileges',
  'user_statistics',
  'client_statistics',
  'user_attributes',
]);

/** System variables that report on the connection's previous statement, i.e. another call's. */
const PREVIOUS_STATEMENT_VARIABLES = new Set(['@@warning_count', '@@error_count', '@@session.warning_count', '@@session.error_count', '@@local.warning_count', '@@local.error_count']);

function protectedError(schema: string, table: string | null): ToolError {
  const what =
    schema === 'information_schema'
      ? `information_schema.${table ?? ''} exposes other sessions or accounts`
      : `the ${schema} database holds ${schema === 'mysql' ? 'password hashes, privileges and server credentials' : "other sessions' statements and server internals"}`;
  return new ToolError(
    'PERMISSION_DENIED',
    `Refused: ${what} and is never readable through Sequel, whatever the account's grants. Query your own databases (and information_schema's catalogue tables such as TABLES and COLUMNS).`,
  );
}

/** Throws when `schema`.`table` (table null: the whole database) is protected. */
function checkProtected(schema: string, table: string | null): void {
  const s = schema.toLowerCase();
  if (PROTECTED_SCHEMAS.has(s)) throw protectedError(s, table);
  if (s === 'information_schema' && table !== null && PROTECTED_INFORMATION_SCHEMA.has(table.toLowerCase())) throw protectedError(s, table.toLowerCase());
}

/** SHOW forms allowed: catalogue, settings and diagnostics of this session. */
type ShowRelations = 'none' | 'table' | 'unknown';
const SHOW_FORMS: ReadonlyArray<[string[], ShowRelations]> = [
  [['TABLES'], 'unknown'],
  [['COLUMNS'], 'table'],
  [['FIELDS'], 'table'],
  [['INDEX'], 'table'],
  [['INDEXES'], 'table'],
  [['KEYS'], 'table'],
  [['CREATE', 'TABLE'], 'table'],
  [['CREATE', 'VIEW'], 'table'],
  [['CREATE', 'DATABASE'], 'unknown'],
  [['CREATE', 'SCHEMA'], 'unknown'],
  [['TABLE', 'STATUS'], 'unknown'],
  [['DATABASES'], 'unknown'],
  [['SCHEMAS'], 'unknown'],
  [['TRIGGERS'], 'unknown'],
  [['VARIABLES'], 'none'],
  [['STATUS'], 'none'],
  [['CHARACTER', 'SET'], 'none'],
  [['CHARSET'], 'none'],
  [['COLLATION'], 'none'],
  [['ENGINES'], 'none'],
];
const SHOW_MODIFIERS = new Set(['FULL', 'EXTENDED', 'GLOBAL', 'SESSION', 'LOCAL', 'STORAGE']);

const ALLOWED_HELP = 'only one read is allowed: SELECT, WITH … SELECT, TABLE, VALUES, SHOW (catalogue forms), DESCRIBE, or EXPLAIN (without ANALYZE) of a query';

function notReadOnly(what: string): ToolError {
  return new ToolError('NOT_READ_ONLY', `Refused: ${what}; ${ALLOWED_HELP}.`);
}


// ─── Pass 1: tokens ─────────────────────────────────────────────────────────────────────────────────


/** The index of the `)` that closes the `(` at `open`, or -1. */
function closingParen(tokens: readonly MysqlToken[], open: number): number {
  let depth = 0;
  for (let k = open; k < tokens.length; k++) {
    if (isOp(tokens[k], '(')) depth++;
    else if (isOp(tokens[k], ')') && --depth === 0) return k;
  }
  return -1;
}

/** The name a token stands for when it may be a schema or table: words, back-quoted names, and strings (as ANSI_QUOTES would read them). */
const nameOf = (t: MysqlToken | undefined): string | undefined => (t && (t.kind === 'word' || t.kind === 'qident' || t.kind === 'string') ? t.value : undefined);

/** The number of arguments of the call whose `(` is at `open` (top-level commas plus one; 0 for `()`). */
function argumentCount(tokens: readonly MysqlToken[], open: number, close: number): number {
  if (close === open + 1) return 0;
  let depth = 0;
  let n = 1;
  for (let k = open + 1; k < close; k++) {
    if (isOp(tokens[k], '(')) depth++;
    else if (isOp(tokens[k], ')')) depth--;
    else if (depth === 0 && isOp(tokens[k], ',')) n++;
  }
  return n;
}

/** Checks that hold for every statement kind, over the whole token list. */
function scanTokens(tokens: readonly MysqlToken[], options: MysqlGuardOptions): void {
  const db = options.database?.toLowerCase() ?? null;
  if (db !== null && PROTECTED_SCHEMAS.has(db)) {
    throw new ToolError(
      'PERMISSION_DENIED',
      `Refused: this source's default database is ${db}, a system database Sequel never reads; point the source at one of your own databases.`,
    );
  }
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k]!;
    const prev = tokens[k - 1];
    const next = tokens[k + 1];
    if (t.kind === 'op' && t.value === ':=') throw notReadOnly('assigning a user variable (:=) changes session state');
    if (t.kind === 'var' && PREVIOUS_STATEMENT_VARIABLES.has(t.value.toLowerCase())) {
      throw notReadOnly(`${t.value} reports on the connection's previous statement, which is another call's`);
    }
    // schema.table in any spelling: the lexer has dropped comments and whitespace around the dot.
    const schema = nameOf(t);
    if (schema !== undefined && isOp(next, '.') && !isOp(prev, '.')) checkProtected(schema, nameOf(tokens[k + 2]) ?? null);
    // Unqualified names when the default database is information_schema.
    if (db === 'information_schema' && isName(t) && !isOp(prev, '.') && PROTECTED_INFORMATION_SCHEMA.has(t.value.toLowerCase())) {
      checkProtected(db, t.value);
    }
    // A view that exposes what the statement itself could not name (any name token: the guard cannot
    // tell a table from a column here, so a column named like such a view is refused too).
    if (options.views && isName(t) && !isOp(next, '(')) {
      const refused = options.views.get(t.value.toLowerCase());
      if (refused) throw new ToolError(refused.code, refused.message);
    }
    if (t.kind === 'word') {
      // After a `.` a reserved word is an identifier (t.update); after SHOW, CREATE is SHOW CREATE.
      const afterDot = isOp(prev, '.') || isWord(prev, 'SHOW');
      switch (t.value) {
        case 'INTO':
          throw notReadOnly('SELECT … INTO (OUTFILE, DUMPFILE or @variables) writes a file or session state');
        case 'LOCK':
          throw notReadOnly('locking reads (LOCK IN SHARE MODE, FOR UPDATE, FOR SHARE) take row locks');
        case 'PROCEDURE':
          throw notReadOnly('SELECT … PROCEDURE runs a procedure');
        case 'FOR':
          if (isWord(next, 'UPDATE', 'SHARE')) throw notReadOnly(`FOR ${next!.value} takes row locks`);
          if (isWord(next, 'CONNECTION')) throw notReadOnly("EXPLAIN FOR CONNECTION reads another session's statement");
          break;
        case 'NEXT':
        case 'PREVIOUS':
          if (isWord(next, 'VALUE') && isWord(tokens[k + 2], 'FOR')) throw notReadOnly(`${t.value} VALUE FOR uses a sequence`);
          break;
        default:
          if (!afterDot && WRITE_WORDS.has(t.value) && !((t.value === 'INSERT' || t.value === 'REPLACE') && isOp(next, '('))) {
            throw notReadOnly(`${t.value} is not a read`);
          }
      }
    }
    // A name right before `(` is a function call unless it is a keyword, an alias (`AS dt (a, b)`,
    // `) dt (a, b)`), or a CTE with a column list (`WITH r (n) AS (`, `, r (n) AS (`).
    if (isName(t) && isOp(next, '(')) {
      const close = closingParen(tokens, k + 1);
      const form: CallForm = t.kind === 'qident' ? 'q' : next!.start === t.end ? 'a' : 's';
      const args = close === -1 ? -1 : argumentCount(tokens, k + 1, close);
      const qualified = isOp(prev, '.');
      if (t.kind === 'word' && NOT_CALLS.has(t.value) && !qualified) {
        // Keywords are not calls, but a denied name is refused wherever it stands.
        checkDeniedOnly(t.value);
        continue;
      }
      if (!qualified && (isWord(prev, 'AS', 'WITH', 'RECURSIVE') || isOp(prev, ')'))) {
        checkDeniedOnly(t.value);
        continue;
      }
      if (close !== -1 && isWord(tokens[close + 1], 'AS') && isOp(tokens[close + 2], '(') && !qualified) {
        checkDeniedOnly(t.value);
        continue;
      }
      checkFunctionCall(t.value, form, args, qualified, options);
    }
  }
}

/** For names before `(` that are not calls: the deny-list still applies (a denied name never passes). */
function checkDeniedOnly(name: string): void {
  checkFunctionCall(name, 'a', 0, false, { allowUserFunctions: true });
}

function qualifiedName(tokens: readonly MysqlToken[], k: number): [QualifiedName, number] | undefined {
  const a = tokens[k];
  if (!isName(a)) return undefined;
  const b = tokens[k + 2];
  if (isOp(tokens[k + 1], '.') && isName(b)) return [{ schema: tokenText(a), name: tokenText(b) }, k + 3];
  return [{ schema: null, name: tokenText(a) }, k + 1];
}

/** The identifier as written: words keep their case (relation names), quoted ones their unquoted value. */
let currentSql = '';
function tokenText(t: MysqlToken): string {
  return t.kind === 'word' ? currentSql.slice(t.start, t.end) : t.value;
}

function checkShow(tokens: readonly MysqlToken[]): QualifiedName[] | null {
  let k = 1;
  while (isWord(tokens[k], ...SHOW_MODIFIERS)) k++;
  const form = SHOW_FORMS.find(([words]) => words.every((w, i) => isWord(tokens[k + i], w)));
  if (!form) {
    const what = tokens[k] ? tokenText(tokens[k]!).toUpperCase() : '';
    throw notReadOnly(`SHOW ${what} is not allowed (it exposes other sessions, credentials or server internals)`);
  }
  const [words, relations] = form;
  k += words.length;
  // SHOW … FROM|IN db, SHOW CREATE DATABASE db: the protected databases are not listed either.
  for (let j = k; j < tokens.length; j++) {
    if ((isWord(tokens[j], 'FROM', 'IN') || (j === k && isWord(tokens[k - 1], 'DATABASE', 'SCHEMA'))) && isName(tokens[j + (j === k && !isWord(tokens[j], 'FROM', 'IN') ? 0 : 1)])) {
      const at = tokens[j + (j === k && !isWord(tokens[j], 'FROM', 'IN') ? 0 : 1)]!;
      if (PROTECTED_SCHEMAS.has(at.value.toLowerCase())) checkProtected(at.value, null);
    }
  }
  if (relations === 'none') return [];
  if (relations === 'unknown') return null;
  // COLUMNS/INDEX: FROM|IN table [FROM|IN db]; CREATE TABLE|VIEW name.
  if (words[0] !== 'CREATE') {
    if (!isWord(tokens[k], 'FROM', 'IN')) throw syntax(`SHOW ${words.join(' ')} needs FROM <table>`, tokens[k]?.start);
    k++;
  }
  const q = qualifiedName(tokens, k);
  if (!q) throw syntax(`SHOW ${words.join(' ')} needs a table name`, tokens[k]?.start);
  let [rel, after] = q;
  if (words[0] !== 'CREATE' && isWord(tokens[after], 'FROM', 'IN')) {
    const db = tokens[after + 1];
    if (!isName(db)) throw syntax('expected a database name', tokens[after + 1]?.start);
    rel = { schema: tokenText(db), name: rel.name };
    after += 2;
  }
  if (rel.schema !== null) checkProtected(rel.schema, rel.name);
  return [rel];
}

// ─── Pass 2: the grammar ────────────────────────────────────────────────────────────────────────────

let loaded: Promise<void> | undefined;
let ready = false;

/** Loads the parser (WASM) once per process. */
export function loadMysqlGuard(): Promise<void> {
  loaded ??= initParser().then(() => {
    ready = true;
  });
  return loaded;
}


/** `[{Identifier: {value}}]` (ObjectName) → the parts' values. */
function nameParts(v: Json | undefined): string[] {
  if (!Array.isArray(v)) return [];
  const out: string[] = [];
  for (const p of v) {
    if (isObj(p) && isObj(p.Identifier) && typeof p.Identifier.value === 'string') out.push(p.Identifier.value);
    else if (isObj(p) && typeof p.value === 'string') out.push(p.value);
  }
  return out;
}

const WRITE_NODES = new Set(['Insert', 'Update', 'Delete', 'Merge', 'Replace']);

/** Walks the parser's tree (iteratively), refusing what is not a read and collecting relations. */
function walkTree(root: Json, relations: Map<string, QualifiedName>): void {
  const stack: Array<[Json, Scope | null]> = [[root, null]];
  while (stack.length) {
    const [node, scope] = stack.pop()!;
    if (Array.isArray(node)) {
      for (let i = node.length - 1; i >= 0; i--) {
        const child = node[i];
        if (typeof child === 'object' && child !== null) stack.push([child, scope]);
      }
      continue;
    }
    if (!isObj(node)) continue;

    let bodyScope = scope;
    const later: Array<[Json, Scope | null]> = [];
    const wc = node.with;
    if (isObj(wc) && Array.isArray(wc.cte_tables)) {
      const ctes = wc.cte_tables;
      // MySQL compares CTE names case-insensitively: fold them (and the names looked up) to lower case.
      const names = ctes.map((c) => (isObj(c) && isObj(c.alias) && isObj(c.alias.name) ? String(c.alias.name.value).toLowerCase() : ''));
      bodyScope = withNames(scope, names);
      // A WITH RECURSIVE item sees every item; a plain one sees only the items before it.
      ctes.forEach((cte, i) => later.push([cte, wc.recursive === true ? bodyScope : withNames(scope, names.slice(0, i))]));
    }

    for (const [key, value] of Object.entries(node)) {
      if (key === 'with' && isObj(wc)) continue;
      if (WRITE_NODES.has(key) && isObj(value)) throw notReadOnly(`${key.toUpperCase()} inside the statement is not a read`);
      if (key === 'into' && value != null) throw notReadOnly('SELECT … INTO writes a file or session state');
      if ((key === 'locks' && Array.isArray(value) && value.length > 0) || (key === 'for_clause' && value != null && value !== 'None')) {
        throw notReadOnly('locking reads take row locks');
      }
      if (key === 'BinaryOp' && isObj(value) && value.op === 'Assignment') throw notReadOnly('assigning a user variable (:=) changes session state');
      // Function calls were checked in pass 1, where the written form (bare, spaced, back-quoted) is known.
      if (key === 'Table' && isObj(value) && Array.isArray(value.name)) {
        const parts = nameParts(value.name);
        if (value.args != null) {
          throw notReadOnly(`${parts.join('.')}(…) in FROM calls a table function`);
        }
        const name = parts[parts.length - 1];
        const schema = parts.length > 1 ? parts[parts.length - 2]! : null;
        if (name !== undefined) {
          if (schema !== null) checkProtected(schema, name);
          // DUAL is MySQL's keyword for "no table", not a relation.
          const dual = schema === null && name.toLowerCase() === 'dual';
          if (!dual && (schema !== null || !inScope(bodyScope, name.toLowerCase()))) relations.set(`${schema ?? ''}\u0000${name}`, { schema, name });
        }
      }
      if (typeof value === 'object' && value !== null) later.push([value, bodyScope]);
    }
    for (let i = later.length - 1; i >= 0; i--) stack.push(later[i]!);
  }
}

/**
 * The text the parser reads: the query from `from`, with MySQL forms this parser lacks rewritten into
 * equivalents it knows (`GROUP BY … WITH ROLLUP` without the modifier, `TABLE t` as `SELECT * FROM t`).
 * Only the guard's copy changes; the server always receives the statement as written.
 */
function parserText(sql: string, tokens: readonly MysqlToken[], from: number, to: number): string {
  let out = '';
  let pos = tokens[from]?.start ?? sql.length;
  const end = to < tokens.length ? tokens[to]!.start : sql.length;
  for (let k = from; k < to; k++) {
    const t = tokens[k]!;
    const prev = tokens[k - 1];
    if (isWord(t, 'WITH') && isWord(tokens[k + 1], 'ROLLUP')) {
      out += sql.slice(pos, t.start);
      pos = tokens[k + 1]!.end;
      k++;
    } else if (isWord(t, 'TABLE') && (k === from || isOp(prev, '(') || isWord(prev, 'UNION', 'EXCEPT', 'INTERSECT', 'ALL', 'DISTINCT'))) {
      out += sql.slice(pos, t.start) + 'SELECT * FROM';
      pos = t.end;
    }
  }
  return out + sql.slice(pos, end);
}

function parseQuery(text: string): Json | undefined {
  try {
    const stmts = parseSql(text, 'mysql') as unknown as Json[];
    return stmts.length === 1 ? stmts[0] : undefined;
  } catch {
    return undefined;
  }
}

// ─── The check ──────────────────────────────────────────────────────────────────────────────────────

const QUERY_STARTS = new Set(['SELECT', 'WITH', 'TABLE', 'VALUES']);
const startsQuery = (t: MysqlToken | undefined) => (t?.kind === 'word' && QUERY_STARTS.has(t.value)) || isOp(t, '(');

/**
 * Checks one statement; the parser must be loaded (`loadMysqlGuard`). Throws a `ToolError`
 * (`SYNTAX_ERROR` or `NOT_READ_ONLY`, `PERMISSION_DENIED` for the protected objects); never rewrites the text.
 */
export function checkMysqlStatementSync(sql: string, options: MysqlGuardOptions = {}): MysqlStatementCheck {
  if (!ready) throw new Error('the MySQL guard is not loaded; await loadMysqlGuard() first');
  currentSql = sql;
  const all = lexMysql(sql);
  const semi = all.findIndex((t) => t.kind === 'semi');
  const tokens = semi === -1 ? all : all.slice(0, semi);
  if (semi !== -1 && all.slice(semi).some((t) => t.kind !== 'semi')) throw notReadOnly('the text holds more than one statement');
  const first = tokens[0];
  if (!first) throw syntax(all.length ? 'the statement is empty' : 'the text contains only comments, no statement');
  const paramCount = tokens.filter((t) => t.kind === 'param').length;

  if (first.kind === 'word' && !startsQuery(first) && !['SHOW', 'DESCRIBE', 'DESC', 'EXPLAIN'].includes(first.value)) {
    if (first.value === 'ANALYZE' && startsQuery(tokens[1])) {
      throw notReadOnly('ANALYZE SELECT executes the statement to measure it; use the explain_query tool for the plan');
    }
    if (NON_READ_STATEMENTS.has(first.value)) throw notReadOnly(`${first.value} is not a read`);
    throw syntax(`unknown statement ${JSON.stringify(tokenText(first))}`, first.start);
  }
  if (!startsQuery(first) && first.kind !== 'word') throw syntax(`a statement cannot start with ${JSON.stringify(sql.slice(first.start, first.end))}`, first.start);

  scanTokens(tokens, options);

  if (first.value === 'SHOW') {
    return { kind: 'show', relations: checkShow(tokens), paramCount, queryOffset: 0 };
  }

  let queryStart = 0;
  let kind: MysqlStatementKind = 'select';
  if (first.value === 'DESCRIBE' || first.value === 'DESC' || first.value === 'EXPLAIN') {
    let k = 1;
    for (;;) {
      const t = tokens[k];
      if (isWord(t, 'EXTENDED', 'PARTITIONS')) k++;
      else if (isWord(t, 'FORMAT') && isOp(tokens[k + 1], '=') && (isName(tokens[k + 2]) || tokens[k + 2]?.kind === 'string')) k += 3;
      else break;
    }
    const t = tokens[k];
    if (isWord(t, 'ANALYZE', 'ANALYSE')) throw notReadOnly('EXPLAIN ANALYZE executes the statement; use plain EXPLAIN, or the explain_query tool for the plan');
    if (startsQuery(t)) {
      kind = 'explain';
      queryStart = k;
    } else if (t?.kind === 'word' && NON_READ_STATEMENTS.has(t.value)) {
      throw notReadOnly(`EXPLAIN of ${t.value} explains a statement that is not a read`);
    } else if (k === 1 && isName(t)) {
      // DESCRIBE t [column | 'pattern']: SHOW COLUMNS under another name.
      const q = qualifiedName(tokens, 1)!;
      const extra = tokens.slice(q[1]);
      const col = extra[0];
      if (extra.length > 1 || (col !== undefined && !isName(col) && col.kind !== 'string')) {
        throw syntax('DESCRIBE takes a table name and optionally a column name', col?.start);
      }
      return { kind: 'describe', relations: [q[0]], paramCount, queryOffset: 0 };
    } else {
      throw syntax(`${first.value} needs a query or a table name`, t?.start);
    }
  }

  const tree = parseQuery(parserText(sql, tokens, queryStart, tokens.length));
  let relations: QualifiedName[] | null = null;
  if (tree !== undefined) {
    const root = isObj(tree) ? tree : {};
    const [type] = Object.keys(root);
    if (type !== 'Query') throw notReadOnly(`${type ?? 'the statement'} is not a read`);
    const found = new Map<string, QualifiedName>();
    walkTree(root.Query ?? null, found);
    relations = [...found.values()];
  }
  return { kind, relations, paramCount, queryOffset: tokens[queryStart]!.start };
}

// Agents repeat statements (retries, polling dashboards): keep a small LRU of verdicts by exact text.
const CACHE_MAX = 512;
const cache = new Map<string, MysqlStatementCheck | { code: ToolError['code']; message: string }>();

const copy = (c: MysqlStatementCheck): MysqlStatementCheck => ({ ...c, relations: c.relations?.map((r) => ({ ...r })) ?? null });

/**
 * Checks one statement, loading the parser on first use. Throws a `ToolError`; never rewrites the text.
 * Verdicts are cached by the text together with everything else they depend on (flavor, default
 * database, allowUserFunctions).
 */
export async function checkMysqlStatement(sql: string, options: MysqlGuardOptions = {}): Promise<MysqlStatementCheck> {
  if (!ready) await loadMysqlGuard();
  const key = `${options.flavor ?? '?'}\u0000${options.allowUserFunctions === true ? 1 : 0}\u0000${options.database ?? ''}\u0000${options.views ? (options.viewsGeneration ?? -1) : ''}\u0000${sql}`;
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key);
    cache.set(key, hit);
    if ('code' in hit) throw new ToolError(hit.code, hit.message);
    return copy(hit);
  }
  let verdict: MysqlStatementCheck | { code: ToolError['code']; message: string };
  try {
    verdict = checkMysqlStatementSync(sql, options);
  } catch (err) {
    if (!(err instanceof ToolError)) throw err;
    verdict = { code: err.code, message: err.message };
  }
  if (sql.length <= 10_000) {
    cache.set(key, verdict);
    if (cache.size > CACHE_MAX) cache.delete(cache.keys().next().value!);
  }
  if ('code' in verdict) throw new ToolError(verdict.code, verdict.message);
  return copy(verdict);
}
