/**
 * The shape of a DuckDB statement for the policy layer (src/governance), read from the tree
 * `json_serialize_sql` gives (the guard, ./guard.ts, has already walked it and listed the relations):
 * every name and string in it, expansions (`*`, `t.*`, `COLUMNS(…)`, `#n` positional references, column
 * aliases on a table), NATURAL joins, column references that can be a whole row (`SELECT c FROM
 * customers c` is a STRUCT of every column), and the catalog functions, SHOW, DESCRIBE and SUMMARIZE.
 */
import type { QualifiedName } from '../guard/types.js';
import type { Json } from '../guard/tree.js';
import { addName, type StatementShape } from '../../governance/shape.js';
import { leadingWord } from './lexer.js';

/** Keys whose string values are node kinds, not names. */
const STRUCTURAL = new Set(['class', 'type', 'id', 'join_type', 'ref_type', 'aggregate_handling', 'null_order', 'show_type', 'materialized', 'set_op_type']);

/** Table functions that show the catalog or read a table or query named by a string. */
const CATALOG_TABLE_FUNCTIONS = /^(duckdb_|pragma_|query$|query_table$|information_schema|sniff_|parquet_metadata|parquet_schema|checkpoint|which_secret)/;

const isObj = (v: Json | undefined): v is { [k: string]: Json } => typeof v === 'object' && v !== null && !Array.isArray(v);

export function duckdbShape(sql: string, tree: Json, relations: readonly QualifiedName[]): StatementShape {
  const shape: StatementShape = {
    relations: { mode: 'exact', names: relations.map((r) => ({ ...r })) },
    names: new Set(),
    counts: new Map(),
    outputs: outputsOf(tree),
    expansion: null,
    natural: false,
    bareRefs: new Set(),
    rangeNames: new Set(),
    catalogUse: null,
  };
  const first = leadingWord(sql);
  if (first && ['pragma', 'show', 'describe', 'desc', 'summarize'].includes(first)) shape.catalogUse = `${first.toUpperCase()}`;
  const stack: Json[] = [tree];
  while (stack.length) {
    const node = stack.pop()!;
    if (Array.isArray(node)) {
      for (const c of node) {
        if (typeof c === 'string') addName(shape, c);
        else if (typeof c === 'object' && c !== null) stack.push(c);
      }
      continue;
    }
    if (!isObj(node)) continue;
    const cls = node.class;
    const type = node.type;
    if (cls === 'STAR') shape.expansion ??= node.columns === true ? '`COLUMNS(…)`' : '`*`';
    if (cls === 'POSITIONAL_REFERENCE') shape.expansion ??= 'a positional reference `#n`';
    if (cls === 'COLUMN_REF' && Array.isArray(node.column_names)) {
      const last = node.column_names[node.column_names.length - 1];
      if (typeof last === 'string') shape.bareRefs.add(last.toLowerCase());
    }
    if (node.ref_type === 'NATURAL') shape.natural = true;
    if (type === 'SHOW_REF') shape.catalogUse ??= 'SHOW, DESCRIBE or SUMMARIZE';
    if (type === 'TABLE_FUNCTION' && isObj(node.function)) {
      const fname = node.function.function_name;
      if (typeof fname === 'string' && CATALOG_TABLE_FUNCTIONS.test(fname.toLowerCase())) shape.catalogUse ??= `the table function ${fname}()`;
    }
    // Table references carry `sample`; their alias names a range (expressions' aliases name outputs).
    if ('sample' in node && typeof node.alias === 'string' && node.alias) shape.rangeNames.add(node.alias.toLowerCase());
    if (type === 'BASE_TABLE') {
      if (typeof node.table_name === 'string') shape.rangeNames.add(node.table_name.toLowerCase());
      if (Array.isArray(node.column_name_alias) && node.column_name_alias.length) {
        shape.expansion ??= 'a column-alias list on a table (FROM t AS x(a, b, …) renames columns by position)';
      }
    }
    if (isObj(node.cte_map) && Array.isArray(node.cte_map.map)) {
      for (const e of node.cte_map.map) if (isObj(e) && typeof e.key === 'string') shape.rangeNames.add(e.key.toLowerCase());
    }
    for (const [key, value] of Object.entries(node)) {
      if (typeof value === 'string') {
        if (!STRUCTURAL.has(key) && value !== '') addName(shape, value);
      } else if (typeof value === 'object' && value !== null) stack.push(value);
    }
  }
  return shape;
}

/** The plain output columns of a top-level SELECT node (see StatementShape.outputs). */
function outputsOf(tree: Json): Array<string | null> | null {
  const stmts = isObj(tree) && Array.isArray(tree.statements) ? tree.statements : [];
  const first = stmts[0];
  const node = isObj(first) ? first.node : undefined;
  if (!isObj(node) || node.type !== 'SELECT_NODE' || !Array.isArray(node.select_list)) return null;
  if (isObj(node.cte_map) && Array.isArray(node.cte_map.map) && node.cte_map.map.length) return null;
  return node.select_list.map((e) => {
    if (!isObj(e) || e.class !== 'COLUMN_REF' || !Array.isArray(e.column_names)) return null;
    const last = e.column_names[e.column_names.length - 1];
    return typeof last === 'string' ? last.toLowerCase() : null;
  });
}
