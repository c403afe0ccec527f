/**
 * A statement's shape from its tokens, for the engines whose reads have no whole-row values (MySQL,
 * MariaDB, SQLite): every name and string in the text, `*` expansions told apart from multiplication and
 * `count(*)`, `TABLE t`, NATURAL joins. Each engine's own lexer produces the tokens, so comments and
 * quoting follow the engine's rules.
 */
import { addName, type StatementShape } from './shape.js';

export interface ShapeToken {
  /** name: a word or quoted identifier; string: a string literal; op: punctuation and operators. */
  kind: 'name' | 'quoted' | 'string' | 'number' | 'param' | 'op' | 'other';
  /** Names lower-cased (words as written otherwise); strings unquoted. */
  text: string;
}

/** Words after which a `*` is a select-list expansion, not a product. */
const BEFORE_STAR = new Set([
  'select', 'distinct', 'all', 'distinctrow', 'high_priority', 'straight_join', 'sql_small_result', 'sql_big_result',
  'sql_buffer_result', 'sql_cache', 'sql_no_cache', 'sql_calc_found_rows', 'from', 'where', 'by', 'on', 'as', 'and', 'or',
  'not', 'union', 'except', 'intersect', 'having', 'limit', 'returning', 'table', 'values', 'when', 'then', 'else', 'in',
  'exists', 'like', 'is', 'between', 'case', 'over', 'partition', 'window', 'with', 'recursive', 'using', 'join', 'div', 'mod',
]);

const isOperand = (t: ShapeToken | undefined) =>
  t !== undefined && (t.kind === 'number' || t.kind === 'string' || t.kind === 'param' || t.kind === 'quoted' || (t.kind === 'op' && t.text === ')') || (t.kind === 'name' && !BEFORE_STAR.has(t.text)));
const startsOperand = (t: ShapeToken | undefined) =>
  t !== undefined &&
  (t.kind === 'number' || t.kind === 'string' || t.kind === 'param' || t.kind === 'quoted' || (t.kind === 'op' && ['(', '+', '-', '~', '!'].includes(t.text)) || (t.kind === 'name' && !BEFORE_STAR.has(t.text)));

const isOp = (t: ShapeToken | undefined, text: string) => t?.kind === 'op' && t.text === text;
const isIdent = (t: ShapeToken | undefined) => t?.kind === 'name' || t?.kind === 'quoted';

/**
 * The plain output columns of a statement that is one `SELECT [DISTINCT|ALL] items FROM …` with no set
 * operation at its top level (see StatementShape.outputs): each item is `name`, `q.name` or `q.q.name`,
 * optionally followed by `[AS] alias`, or it is some other expression (null).
 */
export function tokenOutputs(tokens: readonly ShapeToken[]): Array<string | null> | null {
  let i = 0;
  if (tokens[i]?.kind !== 'name' || tokens[i]!.text !== 'select') return null;
  i++;
  if (tokens[i]?.kind === 'name' && (tokens[i]!.text === 'distinct' || tokens[i]!.text === 'all')) i++;
  const items: ShapeToken[][] = [[]];
  let depth = 0;
  for (; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (isOp(t, '(')) depth++;
    if (isOp(t, ')')) depth--;
    if (depth === 0 && t.kind === 'name' && t.text === 'from') break;
    if (depth === 0 && isOp(t, ',')) items.push([]);
    else items[items.length - 1]!.push(t);
  }
  depth = 0;
  for (; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (isOp(t, '(')) depth++;
    if (isOp(t, ')')) depth--;
    if (depth === 0 && t.kind === 'name' && ['union', 'except', 'intersect', 'minus'].includes(t.text)) return null;
  }
  return items.map((item) => {
    let end = item.length;
    if (end >= 2 && isIdent(item[end - 1]) && item[end - 2]?.kind === 'name' && item[end - 2]!.text === 'as') end -= 2;
    else if (end >= 2 && isIdent(item[end - 1]) && isIdent(item[end - 2])) end -= 1;
    const ref = item.slice(0, end);
    const plain = ref.length % 2 === 1 && ref.every((t, k) => (k % 2 === 0 ? isIdent(t) : isOp(t, '.')));
    return plain && ref.length <= 5 ? ref[ref.length - 1]!.text.toLowerCase() : null;
  });
}

export function tokenShape(tokens: readonly ShapeToken[]): Omit<StatementShape, 'relations' | 'catalogUse'> {
  const acc = { names: new Set<string>(), counts: new Map<string, number>() };
  let expansion: string | null = null;
  let natural = false;
  tokens.forEach((t, i) => {
    if (t.kind === 'name' || t.kind === 'quoted' || t.kind === 'string') addName(acc, t.text);
    if (t.kind === 'name' && t.text === 'natural') natural = true;
    if (t.kind === 'name' && t.text === 'table') expansion ??= '`TABLE t`';
    if (t.kind === 'op' && t.text === '*') {
      const prev = tokens[i - 1];
      const next = tokens[i + 1];
      const countStar = prev?.kind === 'op' && prev.text === '(' && next?.kind === 'op' && next.text === ')' && tokens[i - 2]?.kind === 'name' && tokens[i - 2]!.text === 'count';
      const product = isOperand(prev) && startsOperand(next) && !(prev?.kind === 'op' && prev.text === '.');
      if (!countStar && !product) expansion ??= prev?.kind === 'op' && prev.text === '.' ? '`t.*`' : '`*`';
    }
  });
  return { ...acc, outputs: tokenOutputs(tokens), expansion, natural, bareRefs: new Set(), rangeNames: new Set() };
}
