/**
 * The shape of a PostgreSQL statement for the policy layer (src/governance), read from libpg-query's tree:
 * every name it uses, `*` expansions, column-alias lists on tables, NATURAL joins, and the column
 * references that can stand for a whole row (`SELECT c FROM customers c`, `row_to_json(c)`, `c::text`,
 * the attribute notation `ssn(c)`). The guard (./guard.ts) has already refused what is not a read and
 * listed the relations.
 */
import { loadModule, parseSync } from 'libpg-query';
import type { QualifiedName } from '../guard/types.js';
import { isObj, type Json } from '../guard/tree.js';
import { addName, type StatementShape } from '../../governance/shape.js';

let loaded: Promise<void> | undefined;

/** PostgreSQL functions that show the catalog (definitions, comments, statistics) past the policy. */
const CATALOG_FUNCTIONS = /^(pg_get_|pg_stat|pg_describe_object|pg_identify_object|pg_options_to_table|col_description|obj_description|shobj_description|pg_column_|pg_relation_filenode|pg_indexes_size|pg_table_size)/;

export async function postgresShape(sql: string, relations: readonly QualifiedName[]): Promise<StatementShape> {
  loaded ??= loadModule();
  await loaded;
  const tree = parseSync(sql) as unknown as Json;
  const shape: StatementShape = {
    // An unqualified pg_… name may resolve to pg_catalog (searched first), whatever the catalog holds.
    relations: { mode: 'exact', names: relations.map((r) => (r.schema === null && /^pg_/i.test(r.name) ? { schema: 'pg_catalog', name: r.name } : { ...r })) },
    names: new Set(),
    counts: new Map(),
    outputs: outputsOf(tree),
    expansion: null,
    natural: false,
    bareRefs: new Set(),
    rangeNames: new Set(),
    catalogUse: null,
  };
  const stack: Json[] = [tree];
  while (stack.length) {
    const node = stack.pop()!;
    if (Array.isArray(node)) {
      for (const c of node) if (typeof c === 'object' && c !== null) stack.push(c);
      continue;
    }
    if (!isObj(node)) continue;
    for (const [key, value] of Object.entries(node)) {
      if (key === 'sval' && typeof value === 'string') addName(shape, value);
      if (key === 'A_Star') shape.expansion ??= '`*`';
      if (key === 'isNatural' && value === true) shape.natural = true;
      if (key === 'ctename' && typeof value === 'string') shape.rangeNames.add(value.toLowerCase());
      if ((key === 'RangeVar' || key === 'JoinExpr') && isObj(value)) {
        if (typeof value.relname === 'string') shape.rangeNames.add(value.relname.toLowerCase());
        const alias = value.alias;
        if (isObj(alias) && Array.isArray(alias.colnames) && alias.colnames.length) {
          shape.expansion ??= 'a column-alias list on a table (FROM t AS x(a, b, …) renames columns by position)';
        }
      }
      if (key === 'aliasname' && typeof value === 'string') shape.rangeNames.add(value.toLowerCase());
      if (key === 'ColumnRef' && isObj(value) && Array.isArray(value.fields)) {
        const last = value.fields[value.fields.length - 1];
        if (isObj(last ?? null) && isObj((last as { String?: Json }).String ?? null)) {
          const s = ((last as { String: { sval?: Json } }).String.sval);
          if (typeof s === 'string') shape.bareRefs.add(s.toLowerCase());
        }
      }
      if (key === 'FuncCall' && isObj(value) && Array.isArray(value.funcname)) {
        const last = value.funcname[value.funcname.length - 1];
        const name = isObj(last ?? null) && isObj((last as { String?: Json }).String ?? null) ? (last as { String: { sval?: Json } }).String.sval : undefined;
        if (typeof name === 'string' && CATALOG_FUNCTIONS.test(name.toLowerCase())) shape.catalogUse ??= `the function ${name}()`;
      }
      if (typeof value === 'object' && value !== null) stack.push(value);
    }
  }
  return shape;
}

/** The plain output columns of a top-level SELECT (see StatementShape.outputs). */
function outputsOf(tree: Json): Array<string | null> | null {
  const stmt = isObj(tree) && Array.isArray(tree.stmts) ? tree.stmts[0] : undefined;
  let node = isObj(stmt ?? null) ? (stmt as { stmt?: Json }).stmt ?? null : null;
  if (isObj(node) && isObj(node.ExplainStmt ?? null)) node = (node.ExplainStmt as { query?: Json }).query ?? null;
  const select = isObj(node) ? node.SelectStmt : undefined;
  if (!isObj(select ?? null)) return null;
  const s = select as { [k: string]: Json };
  if (s.op !== 'SETOP_NONE' || s.withClause || !Array.isArray(s.targetList)) return null;
  return s.targetList.map((t) => {
    const val = isObj(t) && isObj(t.ResTarget ?? null) ? (t.ResTarget as { val?: Json }).val : undefined;
    const ref = isObj(val ?? null) ? (val as { ColumnRef?: Json }).ColumnRef : undefined;
    if (!isObj(ref ?? null) || !Array.isArray((ref as { fields?: Json }).fields)) return null;
    const fields = (ref as { fields: Json[] }).fields;
    const last = fields[fields.length - 1];
    const sval = isObj(last ?? null) && isObj((last as { String?: Json }).String ?? null) ? (last as { String: { sval?: Json } }).String.sval : undefined;
    return typeof sval === 'string' ? sval.toLowerCase() : null;
  });
}
