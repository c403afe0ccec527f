/**
 * DuckDB's serialized parse tree — the JSON `json_serialize_sql` writes from the SelectStatement DuckDB's
 * own parser built — read by a walker that knows every node it accepts: each expression class with its
 * types, each table reference, query node and result modifier type, and the exact set of keys each one
 * carries. Anything else (a class, type or key this walker was not written for, a value of the wrong
 * shape) throws `UnknownTreeError`, which the guard turns into a refusal: a node it cannot read might
 * hold a function call it would not see.
 *
 * The node list (./nodes.ts) follows DuckDB's serialization specs as DuckDB v1.5 emits them;
 * `test/connectors/duckdb.test.ts` proves the walker refuses what it does not know, and the version check
 * there asks for a review (npm run allowlists:duckdb) when the driver moves.
 *
 * What the walk collects: every function named anywhere (scalar call, operator, method-call syntax
 * `x.f()`, lambda body, window, table function in FROM or LATERAL, PIVOT aggregate, COLUMNS(…),
 * default/named argument, AT clause…) with the position it is called in, and every table name read.
 */
import { inScope, type Json, type Scope } from '../guard/tree.js';
import {
  EXPRESSION_BASE,
  EXPRESSIONS,
  FUNCTION_FIELDS,
  MODIFIERS,
  ORDER_TYPES,
  QUERY_NODE_BASE,
  QUERY_NODES,
  SHOW_TYPES,
  TABLEREF_BASE,
  TABLEREFS,
  TYPE_INFO_BASE,
  TYPE_INFOS,
  type Fields,
  type Kind,
} from './nodes.js';

export class UnknownTreeError extends Error {
  constructor(
    readonly path: string,
    readonly detail: string,
  ) {
    super(`${detail} at ${path}`);
  }
}

/** Where a function is called: an expression (scalar, aggregate or macro), a FROM item, or OVER (…). */
export type FunctionPosition = 'scalar' | 'table' | 'window';

export interface FunctionUse {
  /** Lower-cased: DuckDB's catalog is case-insensitive. */
  name: string;
  /** As written (`main.f()`, or a column for the method-call syntax `col.f()`); lower-cased. */
  schema: string;
  catalog: string;
  position: FunctionPosition;
  /** Constant string arguments, in order (null for any other argument): `pragma_table_info('t')`. */
  stringArgs: Array<string | null>;
  path: string;
}

export interface TableUse {
  catalog: string;
  schema: string;
  name: string;
  /** An unqualified name matching a CTE in scope: not a catalog relation. */
  cte: boolean;
  path: string;
}

export interface SpecialUse {
  /** A SHOW/DESCRIBE/SUMMARIZE reference: its show type and, when it names no query, the name it shows. */
  showType: string;
  tableName: string;
  path: string;
}

export interface TreeFacts {
  functions: FunctionUse[];
  tables: TableUse[];
  shows: SpecialUse[];
}

type Obj = { [key: string]: Json };

function isObj(v: Json | undefined): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// ─── The walk ─────────────────────────────────────────────────────────────────────────────────────────

class Walker {
  readonly facts: TreeFacts = { functions: [], tables: [], shows: [] };

  fail(path: string, detail: string): never {
    throw new UnknownTreeError(path, detail);
  }

  obj(v: Json | undefined, path: string, what: string): Obj {
    if (!isObj(v)) this.fail(path, `expected ${what}, found ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v}`);
    return v;
  }

  arr(v: Json | undefined, path: string): Json[] {
    if (!Array.isArray(v)) this.fail(path, 'expected a list');
    return v;
  }

  str(v: Json | undefined, path: string): string {
    if (typeof v !== 'string') this.fail(path, 'expected a string');
    return v;
  }

  /** The node has exactly these keys: a key this walker does not know may carry what it cannot see. */
  keys(o: Obj, expected: Fields, path: string): void {
    for (const k of Object.keys(o)) if (!(k in expected)) this.fail(`${path}.${k}`, `unknown key "${k}"`);
    for (const k of Object.keys(expected)) if (!(k in o)) this.fail(`${path}.${k}`, `missing key "${k}"`);
  }

  fields(o: Obj, fields: Fields, path: string, scope: Scope | null): void {
    for (const [key, kind] of Object.entries(fields)) this.field(o[key], kind, `${path}.${key}`, scope);
  }

  field(v: Json | undefined, kind: Kind, path: string, scope: Scope | null): void {
    switch (kind) {
      case 'expr':
        return this.expr(v, path, scope);
      case 'expr?':
        if (v !== null) this.expr(v, path, scope);
        return;
      case 'expr[]':
        this.arr(v, path).forEach((e, i) => this.expr(e, `${path}[${i}]`, scope));
        return;
      case 'expr[][]':
        this.arr(v, path).forEach((row, i) => this.field(row, 'expr[]', `${path}[${i}]`, scope));
        return;
      case 'ref':
        return this.ref(v, path, scope);
      case 'ref?':
        if (v !== null) this.ref(v, path, scope);
        return;
      case 'node':
        return this.node(v, path, scope);
      case 'node?':
        if (v !== null) this.node(v, path, scope);
        return;
      case 'select':
        return this.select(v, path, scope);
      case 'orderModifier': {
        const o = this.obj(v, path, 'an ORDER_MODIFIER');
        if (o.type !== 'ORDER_MODIFIER') this.fail(path, `unknown ordering "${String(o.type)}"`);
        this.keys(o, { type: 'string', orders: 'orders' }, path);
        return this.field(o.orders, 'orders', `${path}.orders`, scope);
      }
      case 'orders':
        this.arr(v, path).forEach((e, i) => {
          const p = `${path}[${i}]`;
          const o = this.obj(e, p, 'an ORDER BY term');
          this.keys(o, { type: 'string', null_order: 'string', expression: 'expr' }, p);
          if (!ORDER_TYPES.has(this.str(o.type, `${p}.type`))) this.fail(`${p}.type`, `unknown order "${String(o.type)}"`);
          this.str(o.null_order, `${p}.null_order`);
          this.expr(o.expression, `${p}.expression`, scope);
        });
        return;
      case 'modifiers':
        this.arr(v, path).forEach((e, i) => this.modifier(e, `${path}[${i}]`, scope));
        return;
      case 'cteMap':
        // Handled by node(), which needs the names in scope first.
        this.fail(path, 'a CTE map outside a query node');
        return;
      case 'type':
        return this.type(v, path, scope);
      case 'type?':
        if (v !== null) this.type(v, path, scope);
        return;
      case 'type[]':
        this.arr(v, path).forEach((t, i) => this.type(t, `${path}[${i}]`, scope));
        return;
      case 'value':
        return this.value(v, path, scope);
      case 'value[]':
        this.arr(v, path).forEach((e, i) => this.value(e, `${path}[${i}]`, scope));
        return;
      case 'sample?': {
        if (v === null) return;
        const o = this.obj(v, path, 'sample options');
        this.keys(o, { sample_size: 'value', is_percentage: 'bool', method: 'string', seed: 'number' }, path);
        this.value(o.sample_size, `${path}.sample_size`, scope);
        this.field(o.is_percentage, 'bool', `${path}.is_percentage`, scope);
        this.str(o.method, `${path}.method`);
        this.field(o.seed, 'number', `${path}.seed`, scope);
        return;
      }
      case 'at?': {
        if (v === null) return;
        const o = this.obj(v, path, 'an AT clause');
        this.keys(o, { unit: 'string', expr: 'expr' }, path);
        this.str(o.unit, `${path}.unit`);
        return this.expr(o.expr, `${path}.expr`, scope);
      }
      case 'caseChecks':
        this.arr(v, path).forEach((e, i) => {
          const p = `${path}[${i}]`;
          const o = this.obj(e, p, 'a WHEN … THEN');
          this.keys(o, { when_expr: 'expr', then_expr: 'expr' }, p);
          this.expr(o.when_expr, `${p}.when_expr`, scope);
          this.expr(o.then_expr, `${p}.then_expr`, scope);
        });
        return;
      case 'pivots':
        this.arr(v, path).forEach((e, i) => {
          const p = `${path}[${i}]`;
          const o = this.obj(e, p, 'a PIVOT column');
          this.keys(o, { pivot_expressions: 'expr[]', unpivot_names: 'strings', entries: 'strings', pivot_enum: 'string' }, p);
          this.field(o.pivot_expressions, 'expr[]', `${p}.pivot_expressions`, scope);
          this.field(o.unpivot_names, 'strings', `${p}.unpivot_names`, scope);
          this.str(o.pivot_enum, `${p}.pivot_enum`);
          this.arr(o.entries, `${p}.entries`).forEach((en, j) => {
            const q = `${p}.entries[${j}]`;
            const entry = this.obj(en, q, 'a PIVOT entry');
            this.keys(entry, { values: 'value[]', star_expr: 'expr?', alias: 'string' }, q);
            this.field(entry.values, 'value[]', `${q}.values`, scope);
            this.field(entry.star_expr, 'expr?', `${q}.star_expr`, scope);
            this.str(entry.alias, `${q}.alias`);
          });
        });
        return;
      case 'replaceList':
        this.arr(v, path).forEach((e, i) => {
          const p = `${path}[${i}]`;
          const o = this.obj(e, p, 'a REPLACE item');
          this.keys(o, { key: 'string', value: 'expr' }, p);
          this.str(o.key, `${p}.key`);
          this.expr(o.value, `${p}.value`, scope);
        });
        return;
      case 'renameList':
        this.arr(v, path).forEach((e, i) => {
          const p = `${path}[${i}]`;
          const o = this.obj(e, p, 'a RENAME item');
          this.keys(o, { key: 'qualifiedColumns', value: 'string' }, p);
          this.qualifiedColumn(o.key, `${p}.key`);
          this.str(o.value, `${p}.value`);
        });
        return;
      case 'qualifiedColumns':
        this.arr(v, path).forEach((e, i) => this.qualifiedColumn(e, `${path}[${i}]`));
        return;
      case 'namedParams':
        this.arr(v, path).forEach((e, i) => {
          const p = `${path}[${i}]`;
          const o = this.obj(e, p, 'a named parameter');
          this.keys(o, { key: 'string', value: 'number' }, p);
          this.str(o.key, `${p}.key`);
          this.field(o.value, 'number', `${p}.value`, scope);
        });
        return;
      case 'groupSets':
        this.arr(v, path).forEach((set, i) =>
          this.arr(set, `${path}[${i}]`).forEach((n, j) => this.field(n, 'number', `${path}[${i}][${j}]`, scope)),
        );
        return;
      case 'string':
        this.str(v, path);
        return;
      case 'strings':
        this.arr(v, path).forEach((s, i) => this.str(s, `${path}[${i}]`));
        return;
      case 'bool':
        if (typeof v !== 'boolean') this.fail(path, 'expected true or false');
        return;
      case 'number':
        if (typeof v !== 'number') this.fail(path, 'expected a number');
        return;
      case 'null':
        if (v !== null) this.fail(path, 'expected nothing here');
        return;
    }
  }

  qualifiedColumn(v: Json | undefined, path: string): void {
    const o = this.obj(v, path, 'a qualified column name');
    this.keys(o, { catalog: 'string', schema: 'string', table: 'string', column: 'string' }, path);
    for (const k of ['catalog', 'schema', 'table', 'column']) this.str(o[k], `${path}.${k}`);
  }

  expr(v: Json | undefined, path: string, scope: Scope | null): void {
    const o = this.obj(v, path, 'an expression');
    const cls = this.str(o.class, `${path}.class`);
    const spec = EXPRESSIONS[cls];
    if (!spec) this.fail(path, `unknown expression class "${cls}"`);
    const type = this.str(o.type, `${path}.type`);
    if (!spec.types.has(type)) this.fail(path, `unknown ${cls} expression type "${type}"`);
    this.keys(o, { ...EXPRESSION_BASE, ...spec.fields }, path);
    this.str(o.alias, `${path}.alias`);
    this.field(o.query_location, 'number', `${path}.query_location`, scope);
    if (cls === 'FUNCTION') this.use(o, 'scalar', path);
    if (cls === 'WINDOW') this.use(o, 'window', path);
    this.fields(o, spec.fields, path, scope);
  }

  use(o: Obj, position: FunctionPosition, path: string): void {
    const children = Array.isArray(o.children) ? o.children : [];
    this.facts.functions.push({
      name: this.str(o.function_name, `${path}.function_name`).toLowerCase(),
      schema: this.str(o.schema, `${path}.schema`).toLowerCase(),
      catalog: this.str(o.catalog, `${path}.catalog`).toLowerCase(),
      position,
      stringArgs: children.map((c) =>
        isObj(c) && c.class === 'CONSTANT' && isObj(c.value) && typeof c.value.value === 'string' ? c.value.value : null,
      ),
      path,
    });
  }

  ref(v: Json | undefined, path: string, scope: Scope | null): void {
    const o = this.obj(v, path, 'a table reference');
    const type = this.str(o.type, `${path}.type`);
    const fields = TABLEREFS[type];
    if (!fields) this.fail(path, `unknown table reference type "${type}"`);
    this.keys(o, { ...TABLEREF_BASE, ...fields }, path);
    this.str(o.alias, `${path}.alias`);
    this.field(o.sample, 'sample?', `${path}.sample`, scope);
    this.field(o.query_location, 'number', `${path}.query_location`, scope);
    if (type === 'TABLE_FUNCTION') {
      // The function of a FROM item is a table function (or table macro); its arguments are expressions.
      const fn = this.obj(o.function, `${path}.function`, 'a table function call');
      if (fn.class !== 'FUNCTION' || fn.type !== 'FUNCTION') this.fail(`${path}.function`, 'a FROM item that is not a function call');
      this.keys(fn, { ...EXPRESSION_BASE, ...FUNCTION_FIELDS }, `${path}.function`);
      this.use(fn, 'table', `${path}.function`);
      this.str(fn.alias, `${path}.function.alias`);
      this.field(fn.query_location, 'number', `${path}.function.query_location`, scope);
      this.fields(fn, FUNCTION_FIELDS, `${path}.function`, scope);
      const { function: _f, ...rest } = fields;
      this.fields(o, rest, path, scope);
      return;
    }
    if (type === 'BASE_TABLE') {
      const name = this.str(o.table_name, `${path}.table_name`).toLowerCase();
      const schema = this.str(o.schema_name, `${path}.schema_name`).toLowerCase();
      const catalog = this.str(o.catalog_name, `${path}.catalog_name`).toLowerCase();
      this.facts.tables.push({ catalog, schema, name, cte: !schema && !catalog && inScope(scope, name), path });
    }
    if (type === 'SHOW_REF') {
      const showType = this.str(o.show_type, `${path}.show_type`);
      if (!SHOW_TYPES.has(showType)) this.fail(path, `unknown SHOW type "${showType}"`);
      this.facts.shows.push({ showType, tableName: this.str(o.table_name, `${path}.table_name`), path });
    }
    this.fields(o, fields, path, scope);
  }

  node(v: Json | undefined, path: string, scope: Scope | null): void {
    const o = this.obj(v, path, 'a query node');
    const type = this.str(o.type, `${path}.type`);
    const fields = QUERY_NODES[type];
    if (!fields) this.fail(path, `unknown query node type "${type}"`);
    this.keys(o, { ...QUERY_NODE_BASE, ...fields }, path);
    // WITH names are visible to the node, to each other (WITH RECURSIVE), and to everything below.
    const cte = this.obj(o.cte_map, `${path}.cte_map`, 'a CTE map');
    this.keys(cte, { map: 'strings' }, `${path}.cte_map`);
    const entries = this.arr(cte.map, `${path}.cte_map.map`);
    const names = entries.map((e, i) => this.str(this.obj(e, `${path}.cte_map.map[${i}]`, 'a CTE').key, `${path}.cte_map.map[${i}].key`).toLowerCase());
    if (type === 'RECURSIVE_CTE_NODE' || type === 'CTE_NODE') names.push(this.str(o.cte_name, `${path}.cte_name`).toLowerCase());
    const inner: Scope | null = names.length ? { names: new Set(names), parent: scope } : scope;
    entries.forEach((e, i) => {
      const p = `${path}.cte_map.map[${i}]`;
      const entry = this.obj(e, p, 'a CTE');
      this.keys(entry, { key: 'string', value: 'string' }, p);
      const info = this.obj(entry.value, `${p}.value`, 'a CTE definition');
      const cteFields: Fields = { aliases: 'strings', query: 'select', materialized: 'string', key_targets: 'expr[]' };
      this.keys(info, cteFields, `${p}.value`);
      this.fields(info, cteFields, `${p}.value`, inner);
    });
    this.field(o.modifiers, 'modifiers', `${path}.modifiers`, inner);
    this.fields(o, fields, path, inner);
  }

  modifier(v: Json | undefined, path: string, scope: Scope | null): void {
    const o = this.obj(v, path, 'a result modifier');
    const type = this.str(o.type, `${path}.type`);
    const fields = MODIFIERS[type];
    if (!fields) this.fail(path, `unknown result modifier "${type}"`);
    this.keys(o, { type: 'string', ...fields }, path);
    this.fields(o, fields, path, scope);
  }

  select(v: Json | undefined, path: string, scope: Scope | null): void {
    const o = this.obj(v, path, 'a SELECT statement');
    this.keys(o, { node: 'node', named_param_map: 'namedParams' }, path);
    this.field(o.named_param_map, 'namedParams', `${path}.named_param_map`, scope);
    this.node(o.node, `${path}.node`, scope);
  }

  type(v: Json | undefined, path: string, scope: Scope | null): void {
    const o = this.obj(v, path, 'a type');
    this.keys(o, { id: 'string', type_info: 'null' }, path);
    this.str(o.id, `${path}.id`);
    if (o.type_info === null) return;
    const p = `${path}.type_info`;
    const info = this.obj(o.type_info, p, 'type information');
    const kind = this.str(info.type, `${p}.type`);
    const fields = TYPE_INFOS[kind];
    if (!fields) this.fail(p, `unknown type information "${kind}"`);
    this.keys(info, { ...TYPE_INFO_BASE, ...fields }, p);
    this.str(info.alias, `${p}.alias`);
    this.field(info.extension_info, 'null', `${p}.extension_info`, scope);
    if (kind === 'STRUCT_TYPE_INFO') {
      this.arr(info.child_types, `${p}.child_types`).forEach((c, i) => {
        const q = `${p}.child_types[${i}]`;
        const child = this.obj(c, q, 'a struct member');
        this.keys(child, { first: 'string', second: 'type' }, q);
        this.str(child.first, `${q}.first`);
        this.type(child.second, `${q}.second`, scope);
      });
      return;
    }
    this.fields(info, fields, p, scope);
  }

  /** A constant: data, never code; only its type is read. */
  value(v: Json | undefined, path: string, scope: Scope | null): void {
    const o = this.obj(v, path, 'a constant');
    const expected: Fields = 'value' in o ? { type: 'type', is_null: 'bool', value: 'null' } : { type: 'type', is_null: 'bool' };
    this.keys(o, expected, path);
    this.type(o.type, `${path}.type`, scope);
    this.field(o.is_null, 'bool', `${path}.is_null`, scope);
  }
}

/**
 * Reads the output of `json_serialize_sql` (already parsed from JSON, with `error: false`): exactly the
 * statements DuckDB's parser produced, each a SELECT. Throws `UnknownTreeError` for anything the walker
 * does not know.
 */
export function readSerializedStatements(tree: Json): { count: number; facts: TreeFacts } {
  const w = new Walker();
  const root = w.obj(tree, '$', 'a serialized statement list');
  w.keys(root, { error: 'bool', statements: 'strings' }, '$');
  if (root.error !== false) w.fail('$.error', 'a serialization error');
  const statements = w.arr(root.statements, '$.statements');
  statements.forEach((s, i) => w.select(s, `$.statements[${i}]`, null));
  return { count: statements.length, facts: w.facts };
}
