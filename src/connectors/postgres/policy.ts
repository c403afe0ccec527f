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
import type { StatementShape } from '../../governance/shape.js';

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
      if (key === 'sval' && typeof value === 'string') shape.names.add(value.toLowerCase());
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
