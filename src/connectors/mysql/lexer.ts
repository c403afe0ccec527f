/**
 * MySQL's lexical rules, as the MySQL/MariaDB guard (guard.ts) reads a statement: `#` and `-- ` comments
 * (the dashes must be followed by whitespace, as MySQL requires: `1--1` is arithmetic), non-nesting block
 * comments, '…' and "…" strings with backslash escapes and doubled quotes, `…` identifiers, @user and
 * @@system variables, `?` placeholders. The connector pins the session's `sql_mode` without `ANSI_QUOTES`,
 * `NO_BACKSLASH_ESCAPES`, `IGNORE_SPACE` and `ORACLE` (and the connection character set to utf8mb4), so
 * the server splits the text exactly as this lexer does. Where the server's rule is uncertain this lexer
 * errs towards seeing more code, never less, and anything it cannot classify is a syntax error.
 */
import { ToolError } from '../../errors.js';

export type MysqlTokenKind = 'word' | 'qident' | 'string' | 'var' | 'param' | 'op' | 'semi';

export interface MysqlToken {
  kind: MysqlTokenKind;
  /** Words: upper-cased; back-quoted identifiers and strings: their unquoted value; others: the text. */
  value: string;
  start: number;
  end: number;
}

const WS = new Set([' ', '\t', '\n', '\r', '\f', '\v']);

function isWordChar(code: number): boolean {
  return (
    (code >= 48 && code <= 57) || // 0-9
    (code >= 65 && code <= 90) || // A-Z
    (code >= 97 && code <= 122) || // a-z
    code === 95 || // _
    code === 36 || // $
    code >= 0x80 // MySQL allows U+0080 and above in unquoted identifiers
  );
}

const PUNCT = new Set(['(', ')', ',', '.', '+', '-', '*', '/', '%', '=', '<', '>', '!', '~', '^', '&', '|', '{', '}', ':']);

export function syntax(message: string, at?: number): ToolError {
  return new ToolError('SYNTAX_ERROR', `Syntax error${at === undefined ? '' : ` at character ${at + 1}`}: ${message}.`);
}

/** Reads a quoted span starting at `i` (the opening quote); returns its unquoted value and the index after it. */
function readQuoted(sql: string, i: number, backslashEscapes: boolean): [string, number] {
  const q = sql[i]!;
  let j = i + 1;
  let value = '';
  for (;;) {
    if (j >= sql.length) {
      throw syntax(q === '`' ? 'unterminated `quoted identifier`' : `unterminated ${q}string${q}`, i);
    }
    const c = sql[j]!;
    if (backslashEscapes && c === '\\') {
      value += sql[j + 1] ?? '';
      j += 2;
      continue;
    }
    if (c === q) {
      if (sql[j + 1] === q) {
        value += q;
        j += 2;
        continue;
      }
      return [value, j + 1];
    }
    value += c;
    j++;
  }
}

/**
 * Splits a statement into tokens by MySQL's rules (sql_mode without ANSI_QUOTES and NO_BACKSLASH_ESCAPES,
 * which the connector pins). Comments are dropped; executable comments and optimizer hints are refused.
 * Where the server's rule is uncertain this lexer errs towards seeing more code, never less: `#` comments
 * end at `\r` as well as `\n`, and control characters outside strings and comments are refused.
 */
export function lexMysql(sql: string): MysqlToken[] {
  const out: MysqlToken[] = [];
  const n = sql.length;
  let i = 0;
  while (i < n) {
    const c = sql[i]!;
    const code = c.charCodeAt(0);
    if (WS.has(c)) {
      i++;
    } else if (c === '#' || (c === '-' && sql[i + 1] === '-' && (i + 2 >= n || WS.has(sql[i + 2]!)))) {
      while (i < n && sql[i] !== '\n' && sql[i] !== '\r') i++;
    } else if (c === '/' && sql[i + 1] === '*') {
      const third = sql[i + 2];
      if (third === '!' || ((third === 'M' || third === 'm') && sql[i + 3] === '!')) {
        throw new ToolError(
          'NOT_READ_ONLY',
          `Refused: executable comments (/*! … */, /*M! … */) are run by the server as SQL and are not allowed; remove the comment at character ${i + 1}.`,
        );
      }
      if (third === '+') {
        throw new ToolError(
          'NOT_READ_ONLY',
          `Refused: optimizer hints (/*+ … */) can override the session's read-only settings and timeout and are not allowed; remove the hint at character ${i + 1}.`,
        );
      }
      const end = sql.indexOf('*/', i + 2);
      if (end === -1) throw syntax('unterminated /* comment', i);
      i = end + 2;
    } else if (c === "'" || c === '"') {
      const [value, next] = readQuoted(sql, i, true);
      out.push({ kind: 'string', value, start: i, end: next });
      i = next;
    } else if (c === '`') {
      const [value, next] = readQuoted(sql, i, false);
      out.push({ kind: 'qident', value, start: i, end: next });
      i = next;
    } else if (c === '@') {
      // @user_var, @'quoted', @@system_var, @@global.system_var: one token, so that a variable's name is
      // never mistaken for a keyword or a function.
      let j = i + 1;
      if (sql[j] === '@') j++;
      const q = sql[j];
      if (q === "'" || q === '"' || q === '`') {
        j = readQuoted(sql, j, q !== '`')[1];
      } else {
        while (j < n && (isWordChar(sql.charCodeAt(j)) || sql[j] === '.')) j++;
      }
      out.push({ kind: 'var', value: sql.slice(i, j), start: i, end: j });
      i = j;
    } else if (c === '?') {
      out.push({ kind: 'param', value: '?', start: i, end: i + 1 });
      i++;
    } else if (c === ';') {
      out.push({ kind: 'semi', value: ';', start: i, end: i + 1 });
      i++;
    } else if (c === ':' && sql[i + 1] === '=') {
      out.push({ kind: 'op', value: ':=', start: i, end: i + 2 });
      i += 2;
    } else if (isWordChar(code)) {
      let j = i + 1;
      while (j < n && isWordChar(sql.charCodeAt(j))) j++;
      out.push({ kind: 'word', value: sql.slice(i, j).toUpperCase(), start: i, end: j });
      i = j;
    } else if (PUNCT.has(c)) {
      out.push({ kind: 'op', value: c, start: i, end: i + 1 });
      i++;
    } else if (code === 0) {
      throw syntax('the statement contains a NUL character', i);
    } else if (code < 0x20 || code === 0x7f) {
      throw syntax(`control character U+${code.toString(16).padStart(4, '0').toUpperCase()} outside a string`, i);
    } else {
      throw syntax(`unexpected character ${JSON.stringify(c)}`, i);
    }
  }
  return out;
}

export type NameToken = MysqlToken & { kind: 'word' | 'qident' };
export const isName = (t: MysqlToken | undefined): t is NameToken => t !== undefined && (t.kind === 'word' || t.kind === 'qident');
export const isWord = (t: MysqlToken | undefined, ...words: string[]): boolean => t !== undefined && t.kind === 'word' && words.includes(t.value);
export const isOp = (t: MysqlToken | undefined, op: string): boolean => t !== undefined && t.kind === 'op' && t.value === op;
