/**
 * The SQLite read-only statement guard (layer 2 of BRIEF §3). SQLite itself is the grammar: the reader
 * process prepares the statement and requires `sqlite3_stmt_readonly` (src/connectors/sqlite/child.js),
 * and better-sqlite3 refuses a string holding more than one statement. This module adds what that flag
 * does not cover, working on SQLite's own token rules (comments, the four quoting styles):
 *   - the first keyword must start a query (SELECT, WITH, VALUES) or be EXPLAIN QUERY PLAN of one —
 *     ATTACH, DETACH, PRAGMA, VACUUM (INTO writes a file), BEGIN/COMMIT/SAVEPOINT/RELEASE, ANALYZE and
 *     REINDEX report read-only to SQLite but change the connection or the disk;
 *   - functions that reach outside the database (extension loading, file I/O of the shell's fileio
 *     extension, tokenizer pointers) are refused wherever they appear.
 * The read-only open and `query_only` (layer 1) still hold for anything this misses.
 */
import { ToolError } from '../../errors.js';
import { DenyList } from '../guard/deny.js';
import type { StatementCheck } from '../guard/types.js';

export const SQLITE_DENIED_FUNCTIONS = new DenyList([
  { reason: 'it loads native code into the database process', names: ['load_extension'] },
  { reason: 'it reads or writes files on the server', names: ['readfile', 'writefile', 'edit', 'lsdir', 'fsdir'] },
  { reason: 'it can install a tokenizer by raw pointer', names: ['fts3_tokenizer'] },
]);

type Token = { kind: 'word' | 'quoted' | 'string' | 'number' | 'punct'; text: string };

/**
 * SQLite's lexical rules, enough to tell keywords and function names from strings and comments:
 * `--` to end of line, `/* … *\/` (not nested; an unterminated one runs to the end), '…' strings,
 * "…", `…` and […] quoted identifiers (doubling the quote escapes it), blob literals x'…'.
 */
export function tokenize(sql: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i]!;
    if (/\s/.test(c)) {
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
    } else if (/[A-Za-z_\u0080-\uffff]/.test(c)) {
      let j = i + 1;
      while (j < n && /[A-Za-z0-9_$\u0080-\uffff]/.test(sql[j]!)) j++;
      // x'…' is a blob literal, not the word x.
      if ((c === 'x' || c === 'X') && j === i + 1 && sql[j] === "'") {
        i = j;
        continue;
      }
      out.push({ kind: 'word', text: sql.slice(i, j) });
      i = j;
    } else if (/[0-9.]/.test(c)) {
      let j = i + 1;
      while (j < n && /[0-9A-Za-z_.]/.test(sql[j]!)) j++;
      out.push({ kind: 'number', text: sql.slice(i, j) });
      i = j;
    } else {
      out.push({ kind: 'punct', text: c });
      i++;
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

export function checkSqliteStatement(sql: string): StatementCheck & { explain: boolean } {
  const tokens = tokenize(sql);
  const first = tokens[0];
  if (!first) throw new ToolError('SYNTAX_ERROR', 'The statement is empty.');
  let explain = false;
  let startIndex = 0;
  if (first.kind === 'word' && first.text.toLowerCase() === 'explain') {
    const [, a, b] = tokens;
    if (a?.text.toLowerCase() !== 'query' || b?.text.toLowerCase() !== 'plan') {
      throw new ToolError('NOT_READ_ONLY', 'Only EXPLAIN QUERY PLAN of a query is allowed; use explain_query for plans.');
    }
    explain = true;
    startIndex = 3;
  }
  const head = tokens[startIndex];
  if (head?.kind === 'word' && !STATEMENT_STARTS.has(head.text.toLowerCase())) {
    throw new ToolError('SYNTAX_ERROR', `near "${head.text}": syntax error (a statement starts with SELECT, WITH or VALUES).`);
  }
  if (!head || head.kind !== 'word' || !QUERY_STARTS.has(head.text.toLowerCase())) {
    const what = head?.kind === 'word' ? head.text.toUpperCase() : 'this statement';
    throw new ToolError('NOT_READ_ONLY', `Only queries are allowed (SELECT, WITH … SELECT, VALUES); ${what} is refused.`);
  }
  // A function call is a word (or quoted name) followed by "(".
  for (let i = 0; i + 1 < tokens.length; i++) {
    const t = tokens[i]!;
    if ((t.kind === 'word' || t.kind === 'quoted') && tokens[i + 1]!.text === '(') {
      const denied = SQLITE_DENIED_FUNCTIONS.match(t.text);
      if (denied) throw new ToolError('NOT_READ_ONLY', `${denied.name}() is refused: ${denied.reason}.`);
    }
  }
  return { relations: null, explain };
}
