/**
 * The SQLite read-only statement guard (layer 2 of BRIEF §3). SQLite itself is the grammar: the reader
 * process prepares the statement and requires `sqlite3_stmt_readonly` and a result set
 * (src/connectors/sqlite/child.js), and better-sqlite3 refuses a string holding more than one statement.
 * This module adds what that flag does not cover, on SQLite's own token rules (comments, the four quoting
 * styles, its identifier characters: everything from U+0080 up is part of a name, only ASCII space, tab,
 * newline, form feed and carriage return separate tokens). It fails closed: a character the tokenizer
 * cannot place, an unknown first word, an unknown function, a PRAGMA that is not on the list — refused.
 *   - Allowed statements: a query (SELECT, WITH, VALUES); `EXPLAIN` or `EXPLAIN QUERY PLAN` of a query
 *     (neither executes it); `PRAGMA [schema.]name` and `PRAGMA [schema.]name(object)` for the
 *     informational PRAGMAs of functions.ts. ATTACH, DETACH, VACUUM (INTO writes a file), BEGIN/COMMIT/
 *     SAVEPOINT/RELEASE, ANALYZE, REINDEX and assigning PRAGMAs report read-only to SQLite but change the
 *     connection or the disk: refused.
 *   - Every call `name(…)` (bare or quoted, in any clause, FROM included) must be a function or
 *     table-valued function on the allow-list generated from the bundled SQLite (functions.sqlite.ts).
 * `relations` is null: the tokens do not say which tables a query reads. (SQLite could: the prepared
 * statement's EXPLAIN bytecode lists an OpenRead per table and index, by root page.)
 * The read-only open and `query_only` (layer 1) still hold for anything this misses.
 */
import { ToolError } from '../../errors.js';
import type { StatementCheck } from '../guard/types.js';
import { checkSqliteFunction, checkSqliteName, checkSqlitePragma } from './functions.js';

export { SQLITE_DENIED_FUNCTIONS } from './functions.js';

type Token = { kind: 'word' | 'quoted' | 'string' | 'number' | 'param' | 'punct'; text: string };

const SPACE = new Set([' ', '\t', '\n', '\f', '\r']);
const isIdentStart = (c: string) => /[A-Za-z_]/.test(c) || c.charCodeAt(0) >= 0x80;
const isIdentChar = (c: string) => /[A-Za-z0-9_$]/.test(c) || c.charCodeAt(0) >= 0x80;
/** SQLite's operators, longest first. */
const OPERATORS = ['->>', '||', '->', '<<', '>>', '<=', '>=', '==', '!=', '<>', '+', '-', '*', '/', '%', '&', '|', '~', '<', '>', '=', ',', '(', ')', ';', '.'];

function syntax(message: string): ToolError {
  return new ToolError('SYNTAX_ERROR', `${message}; write one SQLite query (SELECT, WITH … SELECT, VALUES), EXPLAIN of one, or an informational PRAGMA.`);
}

/**
 * SQLite's lexical rules (tokenize.c): `--` to end of line, `/* … *\/` (not nested; an unterminated one runs
 * to the end), '…' strings, "…", `…` and […] quoted identifiers (doubling the quote escapes it), blob
 * literals x'…', parameters ?NNN, :name, @name, $name. Anything else is a syntax error.
 */
export function tokenize(sql: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i]!;
    if (SPACE.has(c)) {
      i++;
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? n : end + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end === -1 ? n : end + 2;
    } else if (c === "'" || c === '"' || c === '`' || c === '[') {
      const close = c === '[' ? ']' : c;
      let j = i + 1;
      let text = '';
      for (;;) {
        if (j >= n) throw new ToolError('SYNTAX_ERROR', `Unterminated ${c === "'" ? 'string' : 'quoted identifier'} in the statement.`);
        if (sql[j] === close) {
          if (close !== ']' && sql[j + 1] === close) {
            text += close;
            j += 2;
            continue;
          }
          break;
        }
        text += sql[j];
        j++;
      }
      out.push({ kind: c === "'" ? 'string' : 'quoted', text });
      i = j + 1;
    } else if (isIdentStart(c)) {
      let j = i + 1;
      while (j < n && isIdentChar(sql[j]!)) j++;
      // x'…' is a blob literal, not the word x.
      if ((c === 'x' || c === 'X') && j === i + 1 && sql[j] === "'") {
        i = j;
        continue;
      }
      out.push({ kind: 'word', text: sql.slice(i, j) });
      i = j;
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(sql[i + 1] ?? ''))) {
      let j = i + 1;
      while (j < n && (/[0-9A-Za-z_.]/.test(sql[j]!) || ((sql[j] === '+' || sql[j] === '-') && /[eE]/.test(sql[j - 1]!)))) j++;
      out.push({ kind: 'number', text: sql.slice(i, j) });
      i = j;
    } else if (c === '?' || c === ':' || c === '@' || c === '$') {
      let j = i + 1;
      while (j < n && isIdentChar(sql[j]!)) j++;
      if (j === i + 1 && c !== '?') throw syntax(`"${c}" must start a parameter name`);
      out.push({ kind: 'param', text: sql.slice(i, j) });
      i = j;
    } else {
      const op = OPERATORS.find((o) => sql.startsWith(o, i));
      if (!op) throw syntax(`unexpected character ${JSON.stringify(c)} at character ${i + 1}`);
      out.push({ kind: 'punct', text: op });
      i += op.length;
    }
  }
  return out;
}

const QUERY_STARTS = new Set(['select', 'with', 'values']);
/** Every word SQLite's grammar accepts at the start of a statement (https://sqlite.org/lang.html). */
const STATEMENT_STARTS = new Set([
  'alter', 'analyze', 'attach', 'begin', 'commit', 'create', 'delete', 'detach', 'drop', 'end', 'explain', 'insert',
  'pragma', 'reindex', 'release', 'replace', 'rollback', 'savepoint', 'select', 'update', 'vacuum', 'values', 'with',
]);
/** Keywords that may stand right before `(` without being a call. */
const NOT_CALLS = new Set(
  `in exists as values using over filter on where and or not select from join by then when else case distinct all
   union except intersect between like glob regexp match is escape window partition range rows groups limit offset
   having recursive with materialized group order cast`.split(/\s+/),
);

const ALLOWED = 'only one read is allowed: SELECT, WITH … SELECT, VALUES, EXPLAIN [QUERY PLAN] of one, or an informational PRAGMA in its query form';

export type SqliteStatementKind = 'select' | 'explain' | 'pragma';

const lower = (t: Token | undefined) => (t?.kind === 'word' ? t.text.toLowerCase() : undefined);
const isPunct = (t: Token | undefined, p: string) => t?.kind === 'punct' && t.text === p;

function closingParen(tokens: readonly Token[], open: number): number {
  let depth = 0;
  for (let k = open; k < tokens.length; k++) {
    if (isPunct(tokens[k], '(')) depth++;
    else if (isPunct(tokens[k], ')') && --depth === 0) return k;
  }
  return -1;
}

/** `PRAGMA [schema.]name [(arg)]`, nothing else. */
function checkPragma(tokens: readonly Token[]): void {
  let k = 1;
  const nameAt = (i: number) => tokens[i]?.kind === 'word' || tokens[i]?.kind === 'quoted';
  if (!nameAt(k)) throw syntax('PRAGMA needs a name');
  if (isPunct(tokens[k + 1], '.')) {
    if (!nameAt(k + 2)) throw syntax('PRAGMA schema. needs a name');
    k += 2;
  }
  const name = tokens[k]!.text;
  k++;
  if (isPunct(tokens[k], '=')) throw new ToolError('NOT_READ_ONLY', `Refused: PRAGMA ${name.toLowerCase()} = … sets a value; ${ALLOWED}.`);
  let hasArgument = false;
  if (isPunct(tokens[k], '(')) {
    const arg = tokens[k + 1];
    if (!arg || !['word', 'quoted', 'string', 'number'].includes(arg.kind) || !isPunct(tokens[k + 2], ')')) throw syntax(`PRAGMA ${name}(…) takes one name`);
    hasArgument = true;
    k += 3;
  }
  if (k !== tokens.length) throw syntax(`unexpected text after PRAGMA ${name}`);
  checkSqlitePragma(name, hasArgument);
}

/** Every `name(` in the query must be an allowed function or table-valued function. */
function checkCalls(tokens: readonly Token[]): void {
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k]!;
    if (t.kind !== 'word' && t.kind !== 'quoted') continue;
    // A refused table-valued function is readable as a table, without parentheses.
    checkSqliteName(t.text);
    if (!isPunct(tokens[k + 1], '(')) continue;
    const prev = tokens[k - 1];
    if (t.kind === 'word' && NOT_CALLS.has(t.text.toLowerCase()) && !isPunct(prev, '.')) continue;
    // CAST(x AS type(10)): a type name; WITH name(a, b) AS (…): a CTE's column list.
    if (lower(prev) === 'as') continue;
    const close = closingParen(tokens, k + 1);
    if (close !== -1 && lower(tokens[close + 1]) === 'as' && isPunct(tokens[close + 2], '(')) continue;
    checkSqliteFunction(t.text);
  }
}

export function checkSqliteStatement(sql: string): StatementCheck & { explain: boolean; kind: SqliteStatementKind } {
  const all = tokenize(sql);
  const semi = all.findIndex((t) => isPunct(t, ';'));
  const tokens = semi === -1 ? all : all.slice(0, semi);
  if (semi !== -1 && all.slice(semi).some((t) => !isPunct(t, ';'))) {
    throw new ToolError('NOT_READ_ONLY', 'Exactly one statement is allowed; send each statement in its own call.');
  }
  const first = tokens[0];
  if (!first) throw new ToolError('SYNTAX_ERROR', 'The statement is empty.');
  const head = lower(first);
  if (head === undefined) throw syntax(`a statement cannot start with ${JSON.stringify(first.text)}`);
  if (head === 'pragma') {
    checkPragma(tokens);
    return { relations: null, explain: false, kind: 'pragma' };
  }
  let start = 0;
  let explain = false;
  if (head === 'explain') {
    explain = true;
    start = lower(tokens[1]) === 'query' && lower(tokens[2]) === 'plan' ? 3 : 1;
    const what = lower(tokens[start]);
    if (what === 'analyze') throw new ToolError('NOT_READ_ONLY', 'Refused: ANALYZE writes statistics; use EXPLAIN QUERY PLAN, or the explain_query tool for the plan.');
    if (what === undefined || !QUERY_STARTS.has(what)) {
      throw new ToolError('NOT_READ_ONLY', `Refused: EXPLAIN is allowed for a query only (SELECT, WITH … SELECT, VALUES); ${ALLOWED}.`);
    }
  } else if (!STATEMENT_STARTS.has(head)) {
    throw new ToolError('SYNTAX_ERROR', `near "${first.text}": syntax error (a statement starts with SELECT, WITH or VALUES).`);
  } else if (!QUERY_STARTS.has(head)) {
    throw new ToolError('NOT_READ_ONLY', `Refused: ${first.text.toUpperCase()} is not a read; ${ALLOWED}.`);
  }
  checkCalls(tokens.slice(start));
  return { relations: null, explain, kind: explain ? 'explain' : 'select' };
}
