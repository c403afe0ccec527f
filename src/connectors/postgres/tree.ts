/**
 * A walker over libpg-query's raw parse tree that knows every node and field it accepts (./nodes.ts) and
 * throws `UnknownTreeError` for anything else, so a node it was not written for — one that might run a
 * function it would not see — is refused, never skipped.
 *
 * It collects every place where PostgreSQL may run a function (PostgreSQL docs §4.3 Calling Functions,
 * §10.3 Functions, §8.16.5 Using Composite Types in Queries):
 *   - `function`: a call in any notation (positional, named `=>`/`:=`, mixed, VARIADIC, schema-qualified,
 *     quoted or `U&"…"`), an aggregate or window call (FILTER, OVER, WITHIN GROUP), a table function in
 *     FROM, `ROWS FROM (…)` or LATERAL, and the function-style cast `typename(x)`;
 *   - `attribute`: the functional notation `t.f` / `(expr).f`, which PostgreSQL reads as `f(t)` when `f`
 *     is not a column;
 *   - `operator`: `a + b`, `OPERATOR(schema.op)`, `x = ANY (…)`, LIKE/ILIKE/SIMILAR, BETWEEN, IN, IS
 *     DISTINCT FROM, NULLIF, `ORDER BY … USING op`, each running the operator's function;
 *   - `type`: a cast (`x::t`, `CAST(x AS t)`, `t 'literal'`), a column definition list or XMLTABLE column,
 *     each running the type's input or cast function;
 *   - `sample`: a TABLESAMPLE method, itself a function.
 * Plus every relation read (with the CTE names in scope) and the highest `$n` placeholder.
 */
import type { Json, Obj, Scope } from '../guard/tree.js';
import { inScope, isObj, withNames } from '../guard/tree.js';
import { A_EXPR_KINDS, NODES, NODE_HINTS, type Fields, type Kind } from './nodes.js';

export class UnknownTreeError extends Error {
  constructor(
    readonly path: string,
    readonly detail: string,
    /** What to write instead, when known. */
    readonly hint?: string,
  ) {
    super(`${detail} at ${path}`);
  }
}

/** A part of the statement that is not a read (refused with its own message, not as unknown syntax). */
export class NotReadError extends Error {}

export type UseKind = 'function' | 'attribute' | 'operator' | 'type' | 'sample';

export interface NameUse {
  kind: UseKind;
  /** The schema written (`pg_catalog.lower`), or null. */
  schema: string | null;
  /** The name as PostgreSQL resolves it (unquoted names are already lower-cased by the parser). */
  name: string;
  /** For a call: how many arguments (a function-style cast takes exactly one). */
  args?: number;
  path: string;
}

export interface RelationUse {
  schema: string | null;
  name: string;
  /** An unqualified name matching a CTE in scope: not a catalog relation. */
  cte: boolean;
}

export interface PgTreeFacts {
  uses: NameUse[];
  relations: RelationUse[];
  paramCount: number;
}

function label(type: string): string {
  return type
    .replace(/Stmt$/, '')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toUpperCase();
}

class Walker {
  readonly facts: PgTreeFacts = { uses: [], relations: [], paramCount: 0 };
  /** Nodes visited; a bound keeps a hostile tree from costing more than its text. */
  private visits = 0;

  fail(path: string, detail: string, hint?: string): never {
    throw new UnknownTreeError(path, detail, hint);
  }

  /** The strings of a name list (`funcname`, `names`, operator `name`): every item must be a String. */
  names(list: Json | undefined, path: string): string[] {
    if (list === undefined) return [];
    if (!Array.isArray(list)) this.fail(path, 'expected a name list');
    return list.map((item, i) => {
      if (!isObj(item) || Object.keys(item).length !== 1 || !isObj(item.String)) this.fail(`${path}[${i}]`, 'expected a name');
      const s = item.String.sval;
      if (typeof s !== 'string') this.fail(`${path}[${i}]`, 'expected a name');
      return s;
    });
  }

  /** A qualified name's schema and last part (`db.schema.name`: PostgreSQL requires db to be the current one). */
  qualified(parts: string[], path: string): { schema: string | null; name: string } {
    if (parts.length === 0 || parts.length > 3) this.fail(path, `a name of ${parts.length} parts`);
    return { schema: parts.length > 1 ? parts[parts.length - 2]! : null, name: parts[parts.length - 1]! };
  }

  use(kind: UseKind, parts: string[], path: string, args?: number): void {
    const { schema, name } = this.qualified(parts, path);
    this.facts.uses.push({ kind, schema, name, path, ...(args === undefined ? {} : { args }) });
  }

  /** A wrapped node: `{"Type": {…}}`. */
  node(v: Json | undefined, path: string, scope: Scope | null): void {
    if (v === undefined) return;
    if (!isObj(v)) this.fail(path, 'expected a node');
    const keys = Object.keys(v);
    if (keys.length !== 1) this.fail(path, keys.length === 0 ? 'an empty node' : 'a node of several types');
    const type = keys[0]!;
    if (/Stmt$/.test(type) && type !== 'SelectStmt') {
      throw new NotReadError(`${label(type)} inside the statement (e.g. a data-modifying WITH) is not a read`);
    }
    this.struct(type, v[type], `${path}.${type}`, scope);
  }

  nodes(v: Json | undefined, path: string, scope: Scope | null, allowNull = false): void {
    if (v === undefined) return;
    if (!Array.isArray(v)) this.fail(path, 'expected a list');
    v.forEach((item, i) => {
      // In a list, `{}` stands for a NULL item (ROWS FROM's absent column definition list).
      if (allowNull && isObj(item) && Object.keys(item).length === 0) return;
      this.node(item, `${path}[${i}]`, scope);
    });
  }

  field(v: Json | undefined, kind: Kind, path: string, scope: Scope | null): void {
    if (v === undefined) return;
    if (kind === 'node') return this.node(v, path, scope);
    if (kind === 'nodes') return this.nodes(v, path, scope);
    if (kind === 'scalar') {
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') this.fail(path, 'expected a plain value');
      return;
    }
    return this.struct(kind.slice('struct:'.length), v, path, scope);
  }

  fields(o: Obj, spec: Fields, path: string, scope: Scope | null, skip: readonly string[] = []): void {
    for (const [key, kind] of Object.entries(spec)) if (!skip.includes(key)) this.field(o[key], kind, `${path}.${key}`, scope);
  }

  /** An unwrapped struct of a known type. */
  struct(type: string, v: Json | undefined, path: string, scope: Scope | null): void {
    if (++this.visits > 200_000) this.fail(path, 'a statement too large to check');
    const spec = NODES[type];
    if (!spec) this.fail(path, `unknown node type "${type}"`, NODE_HINTS[type]);
    if (!isObj(v)) this.fail(path, `expected a ${type}`);
    for (const k of Object.keys(v)) if (!(k in spec)) this.fail(`${path}.${k}`, `unknown field "${k}" of ${type}`);
    switch (type) {
      case 'SelectStmt':
        return this.select(v, path, scope);
      case 'FuncCall': {
        const parts = this.names(v.funcname, `${path}.funcname`);
        const args = Array.isArray(v.args) ? v.args.length : 0;
        this.use('function', parts, `${path}.funcname`, args);
        break;
      }
      case 'A_Expr': {
        const kind = v.kind;
        const ops = typeof kind === 'string' ? A_EXPR_KINDS[kind] : undefined;
        if (!ops) this.fail(`${path}.kind`, `unknown operator expression kind "${String(kind)}"`);
        if (ops === 'name') this.use('operator', this.names(v.name, `${path}.name`), `${path}.name`);
        else for (const op of ops) this.use('operator', [op], `${path}.name`);
        break;
      }
      case 'SubLink':
        if (v.operName !== undefined) this.use('operator', this.names(v.operName, `${path}.operName`), `${path}.operName`);
        break;
      case 'SortBy':
        if (v.useOp !== undefined) this.use('operator', this.names(v.useOp, `${path}.useOp`), `${path}.useOp`);
        break;
      case 'TypeName': {
        if (v.setof === true || v.pct_type === true) this.fail(path, 'SETOF or %TYPE in a type name');
        this.use('type', this.names(v.names, `${path}.names`), `${path}.names`);
        break;
      }
      case 'RangeTableSample':
        this.use('sample', this.names(v.method, `${path}.method`), `${path}.method`);
        break;
      case 'ColumnRef': {
        const fields = Array.isArray(v.fields) ? v.fields : [];
        // `t.f` (and `s.t.f`): f may be a function taking t's row (functional notation).
        fields.forEach((f, i) => {
          if (i === 0 || !isObj(f) || !isObj(f.String) || typeof f.String.sval !== 'string') return;
          this.use('attribute', [f.String.sval], `${path}.fields[${i}]`);
        });
        break;
      }
      case 'A_Indirection': {
        const items = Array.isArray(v.indirection) ? v.indirection : [];
        items.forEach((f, i) => {
          if (isObj(f) && isObj(f.String) && typeof f.String.sval === 'string') this.use('attribute', [f.String.sval], `${path}.indirection[${i}]`);
        });
        break;
      }
      case 'ResTarget': {
        // In a select list, ResTarget.indirection is always empty (it is for UPDATE/INSERT targets).
        if (Array.isArray(v.indirection) && v.indirection.length) this.fail(`${path}.indirection`, 'an assignment target');
        break;
      }
      case 'ParamRef':
        if (typeof v.number === 'number') this.facts.paramCount = Math.max(this.facts.paramCount, v.number);
        break;
      case 'RangeVar': {
        if (typeof v.relname !== 'string') this.fail(path, 'a relation without a name');
        const schema = typeof v.schemaname === 'string' ? v.schemaname : null;
        this.facts.relations.push({ schema, name: v.relname, cte: schema === null && typeof v.catalogname !== 'string' && inScope(scope, v.relname) });
        break;
      }
      case 'RangeFunction': {
        // functions: one List per function, [the call, its column definition list or NULL].
        const fns = Array.isArray(v.functions) ? v.functions : this.fail(`${path}.functions`, 'expected a list');
        fns.forEach((item, i) => {
          const p = `${path}.functions[${i}]`;
          if (!isObj(item) || !isObj(item.List) || Object.keys(item).length !== 1) this.fail(p, 'expected a function list item');
          for (const k of Object.keys(item.List)) if (k !== 'items') this.fail(`${p}.List.${k}`, `unknown field "${k}"`);
          this.nodes(item.List.items, `${p}.List.items`, scope, true);
        });
        return this.fields(v, spec, path, scope, ['functions']);
      }
      case 'CommonTableExpr': {
        const q = v.ctequery;
        if (!isObj(q) || !('SelectStmt' in q)) {
          const inner = isObj(q) ? (Object.keys(q)[0] ?? 'unknown') : 'unknown';
          throw new NotReadError(`${label(inner)} in a WITH query is not a read`);
        }
        break;
      }
    }
    this.fields(v, spec, path, scope);
  }

  select(v: Obj, path: string, scope: Scope | null): void {
    if (v.intoClause !== undefined) throw new NotReadError('SELECT … INTO creates a table');
    if (Array.isArray(v.lockingClause) && v.lockingClause.length) throw new NotReadError('FOR UPDATE / FOR SHARE lock rows');
    let inner = scope;
    const wc = v.withClause;
    if (wc !== undefined) {
      if (!isObj(wc)) this.fail(`${path}.withClause`, 'expected a WITH clause');
      for (const k of Object.keys(wc)) if (!(k in NODES.WithClause!)) this.fail(`${path}.withClause.${k}`, `unknown field "${k}" of WithClause`);
      const ctes = Array.isArray(wc.ctes) ? wc.ctes : [];
      const names = ctes.map((c, i) => {
        if (!isObj(c) || !isObj(c.CommonTableExpr) || typeof c.CommonTableExpr.ctename !== 'string') this.fail(`${path}.withClause.ctes[${i}]`, 'expected a WITH item');
        return c.CommonTableExpr.ctename;
      });
      inner = withNames(scope, names);
      // A non-recursive WITH item sees only the items before it; WITH RECURSIVE items see them all.
      ctes.forEach((c, i) => this.node(c, `${path}.withClause.ctes[${i}]`, wc.recursive === true ? inner : withNames(scope, names.slice(0, i))));
    }
    this.fields(v, NODES.SelectStmt!, path, inner, ['withClause', 'intoClause', 'lockingClause']);
  }
}

/** Walks the tree of one SELECT (the `SelectStmt` body). Throws UnknownTreeError or NotReadError. */
export function walkSelect(body: Json | undefined, path = '$.SelectStmt'): PgTreeFacts {
  const w = new Walker();
  w.struct('SelectStmt', body, path, null);
  return w.facts;
}
