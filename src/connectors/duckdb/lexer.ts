/**
 * The little of DuckDB's lexical rules the guard needs before it asks DuckDB's parser: where the first
 * word is (block comments nest in DuckDB, unlike SQLite), what follows `EXPLAIN`, and the shape of a
 * catalog `PRAGMA`. These answers only ever narrow what runs: the statement DuckDB prepares is always
 * checked on DuckDB's own parse tree (./tree.ts), and the connector makes sure the parser reads later
 * statements the same way (its parser settings are verified before every call).
 */

/** The index of the first character that is not whitespace or a comment, from `i`. */
export function skipTrivia(sql: string, i = 0): number {
  const n = sql.length;
  while (i < n) {
    const c = sql[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? n : end + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        if (sql[i] === '/' && sql[i + 1] === '*') {
          depth++;
          i += 2;
        } else if (sql[i] === '*' && sql[i + 1] === '/') {
          depth--;
          i += 2;
        } else {
          i++;
        }
      }
    } else {
      return i;
    }
  }
  return n;
}

/** The bare word at `i` (lower-cased), and where it ends; undefined when `i` is not at a word. */
export function wordAt(sql: string, i: number): { word: string; end: number } | undefined {
  const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(sql.slice(i));
  return m ? { word: m[0].toLowerCase(), end: i + m[0].length } : undefined;
}

/**
 * The first word of `sql` as DuckDB's lexer sees it: block comments nest (`/* /* *\/ SELECT *\/ SET …`
 * starts with SET), so a tokenizer for another dialect must not be used here.
 */
export function leadingWord(sql: string): string | undefined {
  return wordAt(sql, skipTrivia(sql))?.word;
}

/** Words a query in parentheses can start with. */
const QUERY_OPENERS = new Set(['select', 'with', 'from', 'values', 'table', 'pivot', 'unpivot']);

export type ExplainForm =
  | { kind: 'plain'; inner: string }
  | { kind: 'analyze' }
  | { kind: 'options' };

/** What follows a leading `EXPLAIN`: the statement to plan, or the ANALYZE / option-list forms. */
export function explainForm(sql: string): ExplainForm | undefined {
  const at = skipTrivia(sql);
  const first = wordAt(sql, at);
  if (first?.word !== 'explain') return undefined;
  const next = skipTrivia(sql, first.end);
  const word = wordAt(sql, next)?.word;
  if (word === 'analyze' || word === 'analyse') return { kind: 'analyze' };
  if (word === 'verbose') return { kind: 'options' };
  if (sql[next] === '(') {
    // `EXPLAIN (FORMAT json) …` is an option list; `EXPLAIN (SELECT …) UNION (…)` a query in parentheses.
    const inner = skipTrivia(sql, next + 1);
    const opener = wordAt(sql, inner)?.word;
    if (sql[inner] !== '(' && !(opener && QUERY_OPENERS.has(opener))) return { kind: 'options' };
  }
  return { kind: 'plain', inner: sql.slice(first.end) };
}

export type PragmaForm =
  | { kind: 'call'; name: string; argument: string | undefined }
  | { kind: 'assignment'; name: string }
  | { kind: 'unreadable' };

/**
 * `PRAGMA name`, `PRAGMA name('arg')` or `PRAGMA name(ident)`, optionally followed by `;`: the catalog
 * forms. Anything else (several arguments, expressions, `PRAGMA name = value`) is `unreadable` or an
 * assignment, and refused.
 */
export function pragmaForm(sql: string): PragmaForm | undefined {
  const first = wordAt(sql, skipTrivia(sql));
  if (first?.word !== 'pragma') return undefined;
  const nameAt = skipTrivia(sql, first.end);
  const name = wordAt(sql, nameAt);
  if (!name) return { kind: 'unreadable' };
  let i = skipTrivia(sql, name.end);
  let argument: string | undefined;
  if (sql[i] === '=') return { kind: 'assignment', name: name.word };
  if (sql[i] === '(') {
    i = skipTrivia(sql, i + 1);
    const c = sql[i];
    if (c === "'" || c === '"') {
      // A string literal or a quoted identifier; the quote doubles inside.
      let j = i + 1;
      let text = '';
      for (;;) {
        if (j >= sql.length) return { kind: 'unreadable' };
        if (sql[j] === c) {
          if (sql[j + 1] === c) {
            text += c;
            j += 2;
            continue;
          }
          break;
        }
        text += sql[j];
        j++;
      }
      argument = text;
      i = j + 1;
    } else {
      const ident = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*/.exec(sql.slice(i));
      if (!ident) return { kind: 'unreadable' };
      argument = ident[0];
      i += ident[0].length;
    }
    i = skipTrivia(sql, i);
    if (sql[i] !== ')') return { kind: 'unreadable' };
    i = skipTrivia(sql, i + 1);
  }
  if (sql[i] === ';') i = skipTrivia(sql, i + 1);
  if (i !== sql.length) return { kind: 'unreadable' };
  return { kind: 'call', name: name.word, argument };
}
