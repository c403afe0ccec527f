/**
 * What a SQLite statement may call and which PRAGMAs it may read, and why.
 *
 * The lists are generated from the bundled SQLite itself (better-sqlite3's build) by
 * `npm run allowlists:sqlite` (scripts/allowlists/sqlite.ts) into functions.sqlite.ts: every function of
 * `pragma_function_list` (with its flags), every table-valued function (eponymous virtual table: the
 * modules of `pragma_module_list`, `json_each`, `pragma_<name>`…, each confirmed by preparing it) and every
 * PRAGMA of `pragma_pragma_list`, classified by the review below. Regenerate when better-sqlite3 (and so
 * SQLite) changes version; a test compares the recorded version with the bundled one.
 *
 * - Functions: SQLite's built-ins compute from their arguments, except the ones denied below. Functions
 *   an application registers are not built-ins (`builtin = 0` in the list) and Sequel's readers register
 *   none, so every name outside the generated list is refused. There is no way for a SQLite file to bring
 *   its own functions, so `allowUserFunctions` has nothing to allow here.
 * - Table-valued functions: `json_each`, `json_tree`, `dbstat` and the `pragma_*` functions of the
 *   informational PRAGMAs below; the rest (`sqlite_dbpage`: raw pages, freed data included; `sqlite_stmt`:
 *   the reader's other statements; `fsdir`, `zipfile`…) are refused.
 * - PRAGMAs: harmless, informational catalogue reads, in their query form only: `PRAGMA [schema.]name`, and
 *   `PRAGMA [schema.]name(object)` for the ones whose argument names a table or an index. Never the
 *   assigning forms (`PRAGMA x = y`, and `PRAGMA x(y)` for the others, which SQLite reads as an assignment),
 *   never one that changes the connection or the file (optimize, shrink_memory, wal_checkpoint…), and not
 *   `database_list` / `temp_store_directory`, which show the server's file paths.
 */
import { ToolError } from '../../errors.js';
import { DenyList } from '../guard/deny.js';
import { SQLITE_ALLOWLIST } from './functions.sqlite.js';

/** A generated allow-list (functions.sqlite.ts). */
export interface SqliteAllowList {
  /** `sqlite_version()` of the bundled SQLite it was generated from. */
  version: string;
  /** Allowed scalar, aggregate and window functions, lower-case name → `pragma_function_list` types and flags. */
  functions: Readonly<Record<string, string>>;
  /** Allowed table-valued functions (eponymous virtual tables), lower-case. */
  tableFunctions: readonly string[];
  /** The bundled SQLite's other eponymous virtual tables: refused wherever their name appears. */
  refusedTableFunctions: readonly string[];
  /** Allowed PRAGMAs → the query forms: `none` (`PRAGMA x` only) or `object` (`PRAGMA x` and `PRAGMA x(name)`). */
  pragmas: Readonly<Record<string, 'none' | 'object'>>;
  /** Everything the bundled SQLite has and Sequel refuses, name → reason. */
  refused: Readonly<Record<string, string>>;
}

export const SQLITE_DENIED_FUNCTIONS = new DenyList([
  { reason: 'it loads native code into the database process', names: ['load_extension'] },
  { reason: 'it reads or writes files on the server', names: ['readfile', 'writefile', 'edit', 'lsdir', 'fsdir', 'zipfile'] },
  { reason: 'it can install a tokenizer by raw pointer', names: ['fts3_tokenizer'] },
  { reason: "it reads raw database pages (freed data included) or the reader's other statements", names: ['sqlite_dbpage', 'sqlite_stmt'] },
  { reason: 'it is a debugging or maintenance hook', names: ['geopoly_debug', 'rtreecheck', 'rtreenode', 'rtreedepth', 'optimize'] },
]);

/**
 * Functions of the extensions compiled into better-sqlite3's SQLite (FTS3/4/5, R*Tree, Geopoly), which
 * `pragma_function_list` reports as not built in: reviewed as pure computations over their arguments (the
 * FTS auxiliary functions read the full-text index being queried).
 */
export const REVIEWED_EXTENSION_FUNCTIONS: ReadonlySet<string> = new Set(
  `bm25 highlight snippet matchinfo offsets match fts5_source_id fts5_get_locale fts5_locale fts5_insttoken
   geopoly_area geopoly_bbox geopoly_blob geopoly_ccw geopoly_contains_point geopoly_group_bbox geopoly_json
   geopoly_overlap geopoly_regular geopoly_svg geopoly_within geopoly_xform`.split(/\s+/),
);

/** Table-valued functions reviewed as reads (beyond `pragma_<allowed pragma>`). */
export const REVIEWED_TABLE_FUNCTIONS: ReadonlySet<string> = new Set(['json_each', 'json_tree', 'jsonb_each', 'jsonb_tree', 'dbstat']);

/** Informational PRAGMAs, reviewed one by one, and the query forms they may take. */
export const REVIEWED_PRAGMAS: Readonly<Record<string, 'none' | 'object'>> = {
  table_info: 'object',
  table_xinfo: 'object',
  table_list: 'object',
  index_list: 'object',
  index_info: 'object',
  index_xinfo: 'object',
  foreign_key_list: 'object',
  foreign_key_check: 'object',
  collation_list: 'none',
  function_list: 'none',
  module_list: 'none',
  pragma_list: 'none',
  compile_options: 'none',
  encoding: 'none',
  page_size: 'none',
  page_count: 'none',
  freelist_count: 'none',
  user_version: 'none',
  schema_version: 'none',
  application_id: 'none',
  data_version: 'none',
  auto_vacuum: 'none',
  foreign_keys: 'none',
};

/** PRAGMAs refused with a specific reason; every other unreviewed one is refused as "changes the connection or the file". */
export const REFUSED_PRAGMAS: Readonly<Record<string, string>> = {
  database_list: "it shows the server's file paths",
  temp_store_directory: "it shows or sets a server directory",
  optimize: 'it runs ANALYZE, which writes statistics',
  shrink_memory: 'it changes the connection',
  wal_checkpoint: 'it writes the WAL back into the database file',
  incremental_vacuum: 'it rewrites the database file',
  writable_schema: 'it makes the schema writable',
  query_only: 'it could switch the read-only layer off',
  journal_mode: 'SQLite counts even its query form as a write (it may change the journal)',
  integrity_check: 'it reads the whole file (use a query instead)',
  quick_check: 'it reads the whole file (use a query instead)',
};

export const ALLOWLIST: SqliteAllowList = SQLITE_ALLOWLIST;

/** Throws unless `name(…)` may be called (a scalar, aggregate, window or table-valued function). */
export function checkSqliteFunction(name: string): void {
  const lower = name.toLowerCase();
  const denied = SQLITE_DENIED_FUNCTIONS.match(lower);
  if (denied) throw new ToolError('NOT_READ_ONLY', `Refused: the function ${denied.name}() is not allowed because ${denied.reason}.`);
  if (ALLOWLIST.functions[lower] !== undefined || ALLOWLIST.tableFunctions.includes(lower)) return;
  const reason = ALLOWLIST.refused[lower];
  if (reason !== undefined) throw new ToolError('NOT_READ_ONLY', `Refused: ${lower}() is not allowed because ${reason}.`);
  throw new ToolError(
    'NOT_READ_ONLY',
    `Refused: ${lower}() is not a function of SQLite ${ALLOWLIST.version} that Sequel knows to be read-only; use SQLite's built-in functions (https://sqlite.org/lang_corefunc.html).`,
  );
}

/**
 * Throws when `name` (written without a call, e.g. `FROM pragma_database_list`) is a refused table-valued
 * function: eponymous virtual tables are readable without parentheses.
 */
export function checkSqliteName(name: string): void {
  const lower = name.toLowerCase();
  if (!ALLOWLIST.refusedTableFunctions.includes(lower)) return;
  const reason = SQLITE_DENIED_FUNCTIONS.match(lower)?.reason ?? ALLOWLIST.refused[lower] ?? 'it has not been reviewed as a read';
  if (reason !== undefined) throw new ToolError('NOT_READ_ONLY', `Refused: ${lower} is not allowed because ${reason}.`);
}

/** Throws unless `PRAGMA name` (with an argument when `hasArgument`) is an allowed informational read. */
export function checkSqlitePragma(name: string, hasArgument: boolean): void {
  const lower = name.toLowerCase();
  const form = ALLOWLIST.pragmas[lower];
  const allowed = Object.keys(ALLOWLIST.pragmas).join(', ');
  if (form === undefined) {
    const reason = ALLOWLIST.refused[`pragma ${lower}`] ?? 'it is not an informational PRAGMA Sequel allows';
    throw new ToolError('NOT_READ_ONLY', `Refused: PRAGMA ${lower} is not allowed because ${reason}. Allowed in their query form: ${allowed}.`);
  }
  if (hasArgument && form === 'none') {
    throw new ToolError('NOT_READ_ONLY', `Refused: PRAGMA ${lower}(…) with an argument sets the value; only its query form PRAGMA ${lower} is allowed.`);
  }
}
