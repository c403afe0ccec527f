/**
 * The DuckDB read-only statement guard (layer 2 of BRIEF §3), on DuckDB's own parser:
 *   - `extractStatements` counts the statements: exactly one;
 *   - `json_serialize_sql` gives the parse tree of a query: every function and table function anywhere
 *     in it is checked against the deny-list, and a file path or URL used as a table (`FROM 'x.csv'`, a
 *     replacement scan) is refused. A statement it cannot serialize is not a query (every single-statement
 *     read serializes, PIVOT, SUMMARIZE, DESCRIBE and SHOW included) and is refused before DuckDB is asked
 *     to prepare it: preparing some statements (CREATE SECRET) already touches the instance's state;
 *   - the prepared statement's type must be SELECT (SHOW, DESCRIBE and SUMMARIZE are SELECTs too).
 * The session (read-only file, external access disabled, configuration locked) holds for anything this
 * misses (layer 1).
 */
import type { DuckDBConnection, DuckDBPreparedStatement } from '@duckdb/node-api';
import { StatementType } from '@duckdb/node-api';
import { ToolError } from '../../errors.js';
import { DenyList } from '../guard/deny.js';
import type { QualifiedName, StatementCheck } from '../guard/types.js';

export const DUCKDB_DENIED_FUNCTIONS = new DenyList([
  {
    reason: 'it reads files or URLs outside the source',
    names: ['glob', 'sniff_csv', 'st_read', 'st_read_meta', 'load_aws_credentials'],
    prefixes: ['read_', 'parquet_', 'json_read'],
  },
  { reason: 'it reaches other databases', prefixes: ['sqlite_', 'postgres_', 'mysql_', 'iceberg_', 'delta_', 'ducklake_', 'odbc_'] },
  {
    // json_execute_serialized_sql(json_serialize_sql('…')) runs a query held in a string literal, so any
    // function above would pass through it unseen; json_serialize_plan binds (plans) SQL text.
    reason: 'it runs SQL given as text, out of reach of this check',
    names: ['query', 'query_table', 'json_execute_serialized_sql', 'json_serialize_plan'],
  },
  { reason: 'it changes session state (the random seed) that outlives the call on a pooled connection', names: ['setseed'] },
  { reason: 'it exposes stored secrets or the environment', names: ['duckdb_secrets', 'which_secret', 'getenv'] },
  { reason: 'it advances a sequence', names: ['nextval', 'currval'] },
  { reason: 'it writes to the database file', names: ['checkpoint', 'force_checkpoint'] },
]);

/** A string used as a table is a file or URL read by a replacement scan (`FROM 'data.csv'`). */
const FILE_LIKE = /[/\\:]|\.(csv|tsv|txt|parquet|json|jsonl|ndjson|gz|zst|duckdb|db|sqlite|xlsx|arrow)$/i;

function walk(node: unknown, visit: (o: Record<string, unknown>) => void): void {
  if (Array.isArray(node)) {
    for (const n of node) walk(n, visit);
  } else if (node !== null && typeof node === 'object') {
    visit(node as Record<string, unknown>);
    for (const v of Object.values(node)) walk(v, visit);
  }
}

/** DuckDB's error text ("Parser Error: …", possibly behind a "Failed to …: " prefix) as a code a model can act on. */
export function mapDuckDbError(err: unknown): unknown {
  const full = err instanceof Error ? err.message : String(err);
  const message = full.replace(/^Failed to [^:]*: /, '');
  if (/^Parser Error/i.test(message)) return new ToolError('SYNTAX_ERROR', message);
  if (/^Permission Error/i.test(message)) return new ToolError('NOT_READ_ONLY', message);
  if (/multiple statements at once/i.test(message)) {
    return new ToolError('QUERY_ERROR', `${message} (a PIVOT without an explicit IN (…) list needs two statements; list the pivot values).`);
  }
  if (/^(Catalog|Binder|Conversion|Invalid Input|Out of Range|Constraint|Not implemented|Invalid type|Out of Memory) Error/i.test(message)) {
    return new ToolError('QUERY_ERROR', message);
  }
  if (/^IO Error/i.test(message)) return new ToolError('SOURCE_UNAVAILABLE', message);
  return err;
}

/**
 * Statements that are never reads, by their first keyword (DuckDB's grammar): refused at once with a
 * message naming them. (Anything else that is not a query is refused when it has no serialized form.)
 */
const COMMANDS = new Set([
  'insert', 'update', 'delete', 'merge', 'upsert', 'replace', 'truncate', 'create', 'drop', 'alter', 'comment', 'copy',
  'export', 'import', 'attach', 'detach', 'use', 'install', 'load', 'force', 'set', 'reset', 'pragma', 'call', 'checkpoint',
  'vacuum', 'analyze', 'begin', 'start', 'commit', 'end', 'rollback', 'abort', 'savepoint', 'release', 'prepare', 'execute',
  'deallocate', 'grant', 'revoke', 'update_extensions',
]);

/**
 * The first word of `sql` as DuckDB's lexer sees it: block comments nest (`/* /* *\/ SELECT *\/ SET …`
 * starts with SET), unlike SQLite's, so a tokenizer for another dialect must not be used here.
 */
export function leadingWord(sql: string): string | undefined {
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? n : end + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        if (sql[i] === '/' && sql[i + 1] === '*') {
          depth++;
          i += 2;
        } else if (sql[i] === '*' && sql[i + 1] === '/') {
          depth--;
          i += 2;
        } else {
          i++;
        }
      }
    } else {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(sql.slice(i));
      return m ? m[0].toLowerCase() : undefined;
    }
  }
  return undefined;
}

/**
 * Checks `sql` on `conn` and returns it prepared (the caller binds and runs it, then destroys it), with
 * the relations it reads.
 */
export async function prepareDuckDbRead(conn: DuckDBConnection, sql: string): Promise<{ prepared: DuckDBPreparedStatement; check: StatementCheck }> {
  let count: number;
  try {
    count = (await conn.extractStatements(sql)).count;
  } catch (err) {
    throw mapDuckDbError(err);
  }
  if (count === 0) throw new ToolError('SYNTAX_ERROR', 'The statement is empty.');
  const first = leadingWord(sql);
  if (count > 1) {
    throw new ToolError(
      'NOT_READ_ONLY',
      first === 'pivot'
        ? 'A PIVOT without an explicit IN (…) list runs a second statement (it creates an ENUM type); list the values: PIVOT t ON col IN (\'a\', \'b\') USING sum(x).'
        : 'Exactly one statement is allowed; send each statement in its own call.',
    );
  }
  if (first && COMMANDS.has(first)) {
    throw new ToolError('NOT_READ_ONLY', `Only queries are allowed (SELECT, WITH … SELECT, FROM …, DESCRIBE, SHOW, SUMMARIZE); ${first.toUpperCase()} is refused.`);
  }

  // The parse tree of a query; anything else has no serialized form (error: true).
  const serialized = await conn.runAndReadAll('select json_serialize_sql($1::varchar) as tree', [sql]);
  const tree = JSON.parse(String(serialized.getRows()[0]?.[0] ?? '{}')) as { error?: boolean; error_type?: string; error_message?: string; statements?: unknown };
  if (tree.error) {
    if (tree.error_type === 'parser') throw new ToolError('SYNTAX_ERROR', `Parser Error: ${tree.error_message ?? 'the statement does not parse'}`);
    // Not a query (EXPLAIN, a WITH ending in DML, a command behind a nested comment…): never prepared.
    throw new ToolError(
      'NOT_READ_ONLY',
      first === 'explain'
        ? 'EXPLAIN is refused here; use explain_query for plans.'
        : `Only queries are allowed (SELECT, WITH … SELECT, FROM …, DESCRIBE, SHOW, SUMMARIZE, PIVOT … IN (…)); ${first ? `this ${first.toUpperCase()} statement` : 'this statement'} is refused.`,
    );
  }
  walk(tree.statements, (o) => {
    if (o.class === 'FUNCTION' && typeof o.function_name === 'string') {
      const denied = DUCKDB_DENIED_FUNCTIONS.match(o.function_name);
      if (denied) throw new ToolError('NOT_READ_ONLY', `${denied.name}() is refused: ${denied.reason}.`);
    }
    if (o.type === 'BASE_TABLE' && typeof o.table_name === 'string' && FILE_LIKE.test(o.table_name)) {
      throw new ToolError('NOT_READ_ONLY', `Reading "${o.table_name}" as a table is refused: it is a file or URL outside the source.`);
    }
  });

  let prepared: DuckDBPreparedStatement;
  try {
    prepared = await conn.prepare(sql);
  } catch (err) {
    throw mapDuckDbError(err);
  }
  const type = prepared.statementType;
  if (type !== StatementType.SELECT) {
    prepared.destroySync();
    const name = (StatementType as unknown as Record<number, string>)[type] ?? String(type);
    throw new ToolError(
      'NOT_READ_ONLY',
      type === StatementType.EXPLAIN ? 'EXPLAIN is refused here; use explain_query for plans.' : `Only queries are allowed; a ${name} statement is refused.`,
    );
  }
  let relations: QualifiedName[] | null = null;
  try {
    relations = conn.getTableNames(sql, true).map((n) => {
      const parts = n.split('.');
      return parts.length > 1 ? { schema: parts.slice(0, -1).join('.'), name: parts.at(-1)! } : { schema: null, name: n };
    });
  } catch {
    relations = null;
  }
  return { prepared, check: { relations } };
}
