/**
 * A statement's shape from its tokens, for the engines whose reads have no whole-row values (MySQL,
 * MariaDB, SQLite): every name and string in the text, `*` expansions told apart from multiplication and
 * `count(*)`, `TABLE t`, NATURAL joins. Each engine's own lexer produces the tokens, so comments and
 * quoting follow the engine's rules.
 */
import type { StatementShape } from './shape.js';

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

export function tokenShape(tokens: readonly ShapeToken[]): Omit<StatementShape, 'relations' | 'catalogUse'> {
  const names = new Set<string>();
  let expansion: string | null = null;
  let natural = false;
  tokens.forEach((t, i) => {
    if (t.kind === 'name' || t.kind === 'quoted' || t.kind === 'string') names.add(t.text.toLowerCase());
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
  return { names, expansion, natural, bareRefs: new Set(), rangeNames: new Set() };
}
