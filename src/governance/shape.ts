/**
 * What the policy layer needs to know about one statement, engine-neutral. Each connector builds it from
 * its own parse tree or tokens (`analyze`, src/connectors/<engine>/policy.ts); src/governance/policy.ts
 * judges it against the source's policy. Every field errs on the side of "reads more": a false refusal is
 * acceptable, a leak is not.
 */
import type { QualifiedName } from '../connectors/guard/types.js';

export interface StatementShape {
  /**
   * The relations the statement reads (CTE names excluded). `exact`: the engine's parser listed them, so
   * a name the catalog does not know is refused. `candidates`: every name in the text that might be a
   * relation (SQLite's tokens), so only names the catalog knows are judged. null: the analysis cannot
   * tell, and a restricting policy refuses the statement.
   */
  relations: { mode: 'exact' | 'candidates'; names: QualifiedName[] } | null;
  /**
   * Every name the statement uses, lower-cased: column references (each part), aliases, qualifiers,
   * function names, USING lists, field selections, and string literals (a string can name a field of a
   * row value). A hidden column's name anywhere here refuses the statement.
   */
  names: Set<string>;
  /** How many times each name occurs (a masked column may occur only as a plain output column). */
  counts: Map<string, number>;
  /**
   * The statement's output columns, when it is one plain SELECT: for each, the column name it selects
   * as it is (`c.ssn`, `ssn AS x`), lower-cased, or null for any other expression. null when the statement
   * is anything else (a set operation, a WITH, a VALUES), so no output can be traced to a masked column.
   */
  outputs: Array<string | null> | null;
  /**
   * An expansion that reads columns without naming them: `*`, `t.*`, `TABLE t`, DuckDB's `COLUMNS(…)`
   * and `#n`, a column-alias list on a table (`FROM t AS x(a, b, c)` renames columns by position).
   * `count(*)` is not one. The words describe the first one found, for the error.
   */
  expansion: string | null;
  /** A NATURAL join (it compares every column the two sides share, hidden ones included). */
  natural: boolean;
  /**
   * Column references with a single-part or relation-like last name (`c` in `row_to_json(c)`, `SELECT t
   * FROM t`), lower-cased: where such a name is a relation or range alias it is a whole-row value.
   */
  bareRefs: Set<string>;
  /** Relation names and range aliases the statement introduces (FROM items, CTE names), lower-cased. */
  rangeNames: Set<string>;
  /**
   * Why the statement reveals the catalog or reads around the relation list (SHOW, DESCRIBE, PRAGMA,
   * `duckdb_columns()`, `sqlite_schema`, a table read by a string argument…), or null. A restricting
   * policy refuses it: search_schema and describe_table apply the policy instead.
   */
  catalogUse: string | null;
}

export function emptyShape(): StatementShape {
  return { relations: { mode: 'exact', names: [] }, names: new Set(), counts: new Map(), outputs: null, expansion: null, natural: false, bareRefs: new Set(), rangeNames: new Set(), catalogUse: null };
}

/** Records one occurrence of a name. */
export function addName(shape: Pick<StatementShape, 'names' | 'counts'>, name: string): void {
  const n = name.toLowerCase();
  shape.names.add(n);
  shape.counts.set(n, (shape.counts.get(n) ?? 0) + 1);
}
