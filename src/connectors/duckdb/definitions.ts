/**
 * What the database itself defines and a statement can run without naming a built-in: macros (DuckDB's
 * SQL functions), views, and generated columns (`b AS (expr)`, computed whenever the table is read).
 * Read once when the source opens (the file is opened read-only, so they cannot
 * change under it) and judged with the same rules as a statement:
 *   - a macro is refused outright unless the source's policy allows user functions; when it does, a macro
 *     whose body calls a refused function (or another refused macro) is still refused;
 *   - a view whose definition calls a refused function, reads a file, or uses a macro the policy does not
 *     allow, is refused wherever it is read; so is a table with a generated column that does.
 * A definition the guard cannot read is refused (fail closed). DuckDB does not expose the default values
 * of macro parameters (`duckdb_functions()` lists their names only); with allowUserFunctions they are
 * trusted as the rest of the macro is.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { isToolError } from '../../errors.js';
import { judgeFacts, serialize, type DuckDbGuardContext } from './guard.js';
import { readSerializedStatements, type TreeFacts } from './tree.js';

/** `CREATE [OR REPLACE] [TEMP] VIEW name [(columns)] AS <query>` → the query. */
const VIEW_BODY =
  /^CREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMP(?:ORARY)?\s+)?VIEW\s+(?:"(?:[^"]|"")*"|\w+)(?:\s*\.\s*(?:"(?:[^"]|"")*"|\w+))*\s*(?:\((?:[^()"]|"(?:[^"]|"")*")*\)\s*)?AS\s+([\s\S]*?);?\s*$/i;

async function bodyFacts(conn: DuckDBConnection, sql: string | undefined): Promise<TreeFacts | string> {
  if (sql === undefined) return 'its definition could not be read';
  try {
    const { tree } = await serialize(conn, sql);
    const root = typeof tree === 'object' && tree !== null && !Array.isArray(tree) ? tree : {};
    if (root.error !== false) return 'its definition could not be read';
    const read = readSerializedStatements(tree);
    return read.count === 1 ? read.facts : 'its definition could not be read';
  } catch {
    return 'its definition could not be read';
  }
}

/**
 * Reads the database's macros and views and judges them. `trustedViews` are views Sequel wrote itself
 * (the view over a data-file source's files).
 */
export async function readDefinitions(conn: DuckDBConnection, allowUserFunctions: boolean, trustedViews: ReadonlySet<string> = new Set()): Promise<DuckDbGuardContext> {
  const fns = (
    await conn.runAndReadAll(
      `select function_name, function_type, macro_definition from duckdb_functions()
        where not internal and database_name not in ('system', 'temp')`,
    )
  ).getRowObjectsJson();
  const views = (
    await conn.runAndReadAll(`select view_name, sql from duckdb_views() where not internal and not temporary and database_name not in ('system', 'temp')`)
  ).getRowObjectsJson();
  // duckdb_columns() shows a generated column's expression as its default; a table whose definition has
  // any generated column has every default judged (a plain DEFAULT runs only on INSERT, but telling the
  // two apart would mean parsing CREATE TABLE text).
  const generated = (
    await conn.runAndReadAll(
      `select c.table_name, c.column_name, c.column_default
         from duckdb_columns() c join duckdb_tables() t using (database_name, schema_name, table_name)
        where not t.internal and not t.temporary and t.database_name not in ('system', 'temp')
          and c.column_default is not null and t.sql ilike '%generated always%'`,
    )
  ).getRowObjectsJson();

  const fnBodies: Array<[string, TreeFacts | string]> = [];
  for (const f of fns) {
    const name = String(f.function_name).toLowerCase();
    const def = f.macro_definition == null ? undefined : String(f.macro_definition);
    const type = String(f.function_type);
    const sql = def === undefined ? undefined : type === 'macro' ? `SELECT ${def}` : type === 'table_macro' ? def : undefined;
    fnBodies.push([name, await bodyFacts(conn, sql)]);
  }
  /** Views and tables with generated columns: each entry is one definition a read of the name runs. */
  const viewBodies: Array<[string, TreeFacts | string]> = [];
  for (const v of views) {
    const name = String(v.view_name).toLowerCase();
    if (trustedViews.has(name)) continue;
    viewBodies.push([name, await bodyFacts(conn, VIEW_BODY.exec(String(v.sql ?? '').trim())?.[1])]);
  }

  for (const g of generated) {
    const body = await bodyFacts(conn, `SELECT ${String(g.column_default)}`);
    viewBodies.push([String(g.table_name).toLowerCase(), typeof body === 'string' ? `its generated column ${String(g.column_name)}: ${body}` : body]);
  }

  // Verdicts only ever turn from allowed to refused, so iterating until nothing changes terminates.
  const userFunctions = new Map<string, string | null>(fnBodies.map(([n]) => [n, null]));
  const refusedRelations = new Map<string, string>();
  const ctx: DuckDbGuardContext = { allowUserFunctions, userFunctions, refusedRelations };
  const judge = (body: TreeFacts | string): string | null => {
    if (typeof body === 'string') return body;
    try {
      judgeFacts(body, ctx);
      return null;
    } catch (err) {
      if (isToolError(err)) return err.message.replace(/\.$/, '');
      throw err;
    }
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (const [name, body] of fnBodies) {
      if (userFunctions.get(name)) continue;
      const reason = judge(body);
      if (reason) {
        userFunctions.set(name, reason);
        changed = true;
      }
    }
    for (const [name, body] of viewBodies) {
      if (refusedRelations.has(name)) continue;
      const reason = judge(body);
      if (reason) {
        refusedRelations.set(name, reason);
        changed = true;
      }
    }
  }
  return ctx;
}
