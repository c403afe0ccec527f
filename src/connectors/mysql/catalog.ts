/**
 * MySQL/MariaDB introspection from information_schema, with bound parameters: four queries (tables,
 * columns, key column usage, statistics) over the chosen schemas, whatever their number of tables, so a
 * 5,000-table database costs four round trips, not 5,000.
 *
 * Schemas: the DSN's database by default, or the policy's list; `mysql`, `sys`, `performance_schema` and
 * `information_schema` never appear. Comments: TABLE_COMMENT / COLUMN_COMMENT ('' and MySQL's 'VIEW'
 * placeholder for views read as null). Row estimates: TABLE_ROWS (InnoDB's statistics, not a count; MySQL 8
 * caches them for `information_schema_stats_expiry` seconds), null for views. Defaults: COLUMN_DEFAULT as
 * the engine prints it (MariaDB ≥ 10.2.7 quotes string literals and prints a NULL default as `NULL`, which
 * becomes null here).
 */
import type { Catalog, CatalogColumn, CatalogIndex, CatalogTable, ForeignKeyTarget } from '../types.js';

export const SYSTEM_SCHEMAS: ReadonlySet<string> = new Set(['mysql', 'sys', 'performance_schema', 'information_schema']);

/** Runs one catalog statement with bound parameters and returns its rows as arrays. */
export type CatalogRunner = (sql: string, params: readonly string[]) => Promise<unknown[][]>;

const str = (v: unknown): string => (v === null || v === undefined ? '' : Buffer.isBuffer(v) ? v.toString('utf8') : String(v));
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : str(v));

/** `int(11)` → `int` (MySQL 8.0.19+ prints no display width either), except `tinyint(1)`, MySQL's boolean. */
export function normalizeColumnType(type: string): string {
  return type.replace(/^(smallint|mediumint|int|integer|bigint|tinyint)\((\d+)\)/i, (all, name: string, width: string) =>
    name.toLowerCase() === 'tinyint' && width === '1' ? all : name,
  );
}

const placeholders = (n: number) => Array.from({ length: n }, () => '?').join(', ');

export async function readCatalog(run: CatalogRunner, schemas: readonly string[], defaultSchema: string, flavor: 'mysql' | 'mariadb'): Promise<Catalog> {
  const wanted = [...new Set(schemas)].filter((s) => !SYSTEM_SCHEMAS.has(s.toLowerCase()));
  if (wanted.length === 0) return { defaultSchema, tables: [] };
  const inList = placeholders(wanted.length);

  const [tableRows, columnRows, keyRows, indexRows, viewRows] = [
    await run(
      `SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE, TABLE_COMMENT, TABLE_ROWS
         FROM information_schema.TABLES
        WHERE TABLE_SCHEMA IN (${inList}) AND TABLE_TYPE IN ('BASE TABLE', 'VIEW', 'SYSTEM VERSIONED')
        ORDER BY TABLE_SCHEMA, TABLE_NAME`,
      wanted,
    ),
    await run(
      `SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, COLUMN_COMMENT
         FROM information_schema.COLUMNS
        WHERE TABLE_SCHEMA IN (${inList})
        ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION`,
      wanted,
    ),
    await run(
      `SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, REFERENCED_TABLE_SCHEMA, REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME
         FROM information_schema.KEY_COLUMN_USAGE
        WHERE TABLE_SCHEMA IN (${inList}) AND REFERENCED_TABLE_NAME IS NOT NULL`,
      wanted,
    ),
    await run(
      `SELECT TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, NON_UNIQUE, COLUMN_NAME
         FROM information_schema.STATISTICS
        WHERE TABLE_SCHEMA IN (${inList})
        ORDER BY TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX`,
      wanted,
    ),
    // Views' definitions, for the source policy (a view that exposes a hidden column is hidden).
    await run(`SELECT TABLE_SCHEMA, TABLE_NAME, VIEW_DEFINITION FROM information_schema.VIEWS WHERE TABLE_SCHEMA IN (${inList})`, wanted),
  ];

  const key = (schema: string, table: string) => `${schema}\u0000${table}`;
  const tables = new Map<string, CatalogTable>();
  for (const [schema, name, type, comment, rows] of tableRows) {
    const view = str(type) === 'VIEW';
    const c = strOrNull(comment);
    tables.set(key(str(schema), str(name)), {
      schema: str(schema),
      name: str(name),
      kind: view ? 'view' : 'table',
      // Views have no comment: MySQL puts 'VIEW' there, MariaDB the error met while opening the view.
      comment: view || c === null || c === '' ? null : c,
      rowEstimate: view || rows === null || rows === undefined ? null : Number(rows),
      columns: [],
      indexes: [],
    });
  }

  for (const [schema, name, definition] of viewRows) {
    const t = tables.get(key(str(schema), str(name)));
    if (t) t.definition = strOrNull(definition);
  }

  const refs = new Map<string, ForeignKeyTarget>();
  for (const [schema, table, column, rSchema, rTable, rColumn] of keyRows) {
    refs.set(`${key(str(schema), str(table))}\u0000${str(column)}`, { schema: str(rSchema), table: str(rTable), column: str(rColumn) });
  }

  const indexes = new Map<string, CatalogIndex>();
  const primary = new Set<string>();
  for (const [schema, table, indexName, nonUnique, column] of indexRows) {
    const t = tables.get(key(str(schema), str(table)));
    if (!t) continue;
    const name = str(indexName);
    const ik = `${key(t.schema, t.name)}\u0000${name}`;
    let index = indexes.get(ik);
    if (!index) {
      const isPrimary = name === 'PRIMARY';
      index = { name, columns: [], unique: Number(nonUnique) === 0, primary: isPrimary };
      indexes.set(ik, index);
      t.indexes.push(index);
    }
    // A functional index part (MySQL 8) has no column name.
    const col = strOrNull(column);
    index.columns.push(col ?? '(expression)');
    if (index.primary && col !== null) primary.add(`${key(t.schema, t.name)}\u0000${col}`);
  }

  for (const [schema, table, name, type, nullable, def, comment] of columnRows) {
    const t = tables.get(key(str(schema), str(table)));
    if (!t) continue;
    const ck = `${key(t.schema, t.name)}\u0000${str(name)}`;
    let dflt = strOrNull(def);
    if (flavor === 'mariadb' && dflt === 'NULL') dflt = null;
    const c = strOrNull(comment);
    const column: CatalogColumn = {
      name: str(name),
      type: normalizeColumnType(str(type)),
      nullable: str(nullable) === 'YES',
      default: dflt,
      primaryKey: primary.has(ck),
      comment: c === null || c === '' ? null : c,
      references: refs.get(ck) ?? null,
    };
    t.columns.push(column);
  }

  return { defaultSchema, tables: [...tables.values()] };
}
