/**
 * Generates src/connectors/duckdb/functions.generated.ts: every built-in function DuckDB ships (scalar,
 * aggregate, table, macro, table macro, pragma — read from `duckdb_functions()` of the DuckDB inside
 * @duckdb/node-api) and every built-in view (`duckdb_views()`), each classified read-only or refused with
 * a reason. The DuckDB guard allows only what is on the read-only list; anything else, and anything a
 * newer DuckDB adds, is refused until this script is re-run and its output reviewed.
 *
 *   npm run allowlists:duckdb
 *
 * Re-run it when @duckdb/node-api changes (a test fails until you do), read the diff it prints (names
 * added, removed or reclassified), and commit the regenerated module.
 *
 * The rules, in order (the first that matches decides):
 *   1. PRAGMA functions: refused (PRAGMA statements run only as the catalog reads the guard rewrites);
 *   2. REFUSED: names reviewed by hand and refused, with the reason (settings, logging, profiling,
 *      checkpoints, files and URLs, secrets, sequences, the random seed, SQL run from text, instance
 *      internals…);
 *   3. `has_side_effects`: refused, except SIDE_EFFECTS_REVIEWED (reviewed one by one);
 *   4. table functions: read-only only when listed in TABLE_FUNCTIONS_REVIEWED; any other is refused;
 *   5. macros and table macros: read-only when every function their body calls, and every view it reads,
 *      is (DuckDB's macros are SQL; their bodies are parsed and walked like a statement);
 *   6. scalar and aggregate functions: read-only unless VOLATILE (then refused unless reviewed).
 * Built-in views follow rule 5 on their definitions.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { readSerializedStatements, type TreeFacts } from '../../src/connectors/duckdb/tree.js';
import type { Json } from '../../src/connectors/guard/tree.js';

/** npm runs scripts from the package root. */
const ROOT = process.cwd();
const OUT = path.join(ROOT, 'src', 'connectors', 'duckdb', 'functions.generated.ts');

type FunctionType = 'scalar' | 'aggregate' | 'table' | 'macro' | 'table_macro' | 'pragma';
const TYPES: FunctionType[] = ['scalar', 'aggregate', 'table', 'macro', 'table_macro', 'pragma'];

// ─── Reviewed by hand ─────────────────────────────────────────────────────────────────────────────────

const FILES = 'it reads files or URLs (the source is the database, nothing else of the file system)';
const SETTINGS = "it changes the instance's settings, which outlive the call";
const LOGGING = 'it changes or reads the instance-wide log, which holds other callers\' statements';
const PROFILING = 'it turns profiling on or off for the connection';
const PARSER = 'it switches the parser every later statement is read with';
const CHECKPOINT = 'it writes the database file (checkpoint)';
const SECRETS = 'it reaches the secrets manager';
const SEQUENCE = 'it reads or advances a sequence';
const SQL_TEXT = 'it runs, parses or plans SQL given as text, out of reach of the statement check';
const INTERNALS = "it exposes the instance's internals (memory, files, connections), not the data";
const PATHS = 'it reveals file-system paths of the server';
const TABLE_BY_NAME = 'it reads a table named in a string, out of sight of the source\'s table policy';

/** Refused whatever their type, with the reason (rule 2). */
const REFUSED: Record<string, string> = {
  // Files, URLs, other databases.
  glob: FILES,
  read_blob: FILES,
  read_csv: FILES,
  read_csv_auto: FILES,
  read_duckdb: FILES,
  read_json: FILES,
  read_json_auto: FILES,
  read_json_objects: FILES,
  read_json_objects_auto: FILES,
  read_ndjson: FILES,
  read_ndjson_auto: FILES,
  read_ndjson_objects: FILES,
  read_parquet: FILES,
  read_text: FILES,
  parquet_bloom_probe: FILES,
  parquet_file_metadata: FILES,
  parquet_full_metadata: FILES,
  parquet_kv_metadata: FILES,
  parquet_metadata: FILES,
  parquet_scan: FILES,
  parquet_schema: FILES,
  sniff_csv: FILES,
  add_parquet_key: FILES,
  import_database: FILES,
  copy_database: FILES,
  sql_auto_complete: 'it lists files and catalog entries for completion (file-system access)',
  arrow_scan: 'it reads memory at addresses given as arguments',
  arrow_scan_dumb: 'it reads memory at addresses given as arguments',
  // Settings, logging, profiling, the parser.
  current_setting: 'it reads any setting, and some hold paths or credentials (http_proxy_password, secret_directory)',
  duckdb_settings: 'it reads every setting, and some hold paths or credentials',
  enable_logging: LOGGING,
  disable_logging: LOGGING,
  truncate_duckdb_logs: LOGGING,
  duckdb_logs: LOGGING,
  duckdb_log_contexts: LOGGING,
  write_log: LOGGING,
  enable_profiling: PROFILING,
  disable_profiling: PROFILING,
  enable_peg_parser: PARSER,
  disable_peg_parser: PARSER,
  check_peg_parser: SQL_TEXT,
  // Checkpoints.
  checkpoint: CHECKPOINT,
  force_checkpoint: CHECKPOINT,
  // Secrets and the environment.
  duckdb_secrets: SECRETS,
  duckdb_secret_types: SECRETS,
  which_secret: SECRETS,
  getenv: 'it reads the server\'s environment, which may hold credentials',
  // Sequences and the random seed.
  nextval: SEQUENCE,
  currval: SEQUENCE,
  setseed: "it sets the connection's random seed (state that would outlive the statement)",
  // SQL given as text.
  query: SQL_TEXT,
  query_table: SQL_TEXT,
  json_execute_serialized_sql: SQL_TEXT,
  json_serialize_plan: SQL_TEXT,
  json_serialize_sql: SQL_TEXT,
  json_deserialize_sql: SQL_TEXT,
  // Waiting.
  sleep_ms: 'it only holds a connection (sleep)',
  // Instance internals and paths.
  duckdb_databases: PATHS,
  duckdb_extensions: PATHS,
  duckdb_temporary_files: PATHS,
  duckdb_external_file_cache: PATHS,
  duckdb_memory: INTERNALS,
  duckdb_connection_count: INTERNALS,
  duckdb_approx_database_count: INTERNALS,
  duckdb_prepared_statements: INTERNALS,
  seq_scan: 'it is the internal table scan, not meant to be called',
  duckdb_table_sample: TABLE_BY_NAME,
};

/** Refused by name pattern (rule 2), for what a newer DuckDB may add under a family name. */
const REFUSED_PATTERNS: Array<[RegExp, string]> = [
  [/^__internal_/, 'it is internal to the optimizer (compression of intermediate values)'],
  [/^(read_|parquet_|sniff_|iceberg_|delta_|sqlite_|postgres_|mysql_|ducklake_|odbc_|st_read)/, FILES],
  [/^(enable_|disable_)/, SETTINGS],
  [/(^|_)checkpoint($|_)/, CHECKPOINT],
  [/secret/, SECRETS],
  [/(^|_)(install|load)_?extension|^load_aws_credentials$|^update_extensions$/, 'it loads or installs extensions'],
];

/** `has_side_effects` functions reviewed and found to change nothing another call could see (rule 3). */
const SIDE_EFFECTS_REVIEWED: Record<string, string> = {
  random: "draws from the connection's random state; every call gets a connection of its own",
  uuid: 'draws a random UUID (per-connection random state)',
  uuidv4: 'draws a random UUID (per-connection random state)',
  uuidv7: 'draws a time-based random UUID (per-connection random state)',
  gen_random_uuid: 'draws a random UUID (per-connection random state)',
  error: 'raises an error with the given text, nothing else',
  stats: 'returns the statistics of an expression; marked volatile only so the optimizer keeps it',
  current_query: "returns the caller's own statement",
  current_query_id: "returns the caller's own statement number",
  current_connection_id: "returns the caller's own connection number",
  current_transaction_id: "returns the caller's own transaction number",
};

/** Table functions reviewed and found read-only (rule 4); any other table function is refused. */
const TABLE_FUNCTIONS_REVIEWED: Record<string, string> = {
  duckdb_columns: 'catalog: columns',
  duckdb_constraints: 'catalog: constraints',
  duckdb_dependencies: 'catalog: dependencies between objects',
  duckdb_functions: 'catalog: functions and macros',
  duckdb_indexes: 'catalog: indexes',
  duckdb_keywords: 'the SQL keywords',
  duckdb_optimizers: 'the optimizer rule names',
  duckdb_schemas: 'catalog: schemas',
  duckdb_sequences: 'catalog: sequences (read only; nextval is refused)',
  duckdb_tables: 'catalog: tables',
  duckdb_types: 'catalog: types',
  duckdb_variables: "the caller's own connection variables (always empty: SET VARIABLE is refused)",
  duckdb_views: 'catalog: views',
  duckdb_coordinate_systems: 'a constant list of coordinate reference systems',
  pragma_table_info: 'catalog: the columns of a table (PRAGMA table_info)',
  pragma_show: 'catalog: the columns of a table (DESCRIBE)',
  pragma_storage_info: 'storage layout of a table (PRAGMA storage_info)',
  pragma_metadata_info: 'metadata blocks of the database file',
  pragma_database_size: 'sizes of the attached databases',
  pragma_collations: 'the collation names',
  pragma_version: 'the DuckDB version',
  pragma_platform: 'the platform name',
  pragma_user_agent: 'the DuckDB user agent string',
  pg_timezone_names: 'the time zone names',
  icu_calendar_names: 'the calendar names',
  generate_series: 'generates numbers or timestamps',
  range: 'generates numbers or timestamps',
  repeat: 'repeats a value',
  repeat_row: 'repeats a row',
  unnest: 'unnests a list given as argument',
  json_each: 'the elements of a JSON value given as argument',
  json_tree: 'the nodes of a JSON value given as argument',
  summary: 'summarizes the rows of its argument (SUMMARIZE)',
  test_all_types: 'a constant row of every type',
  test_vector_types: 'constant vectors of the given types',
};

// ─── Reading the catalog ──────────────────────────────────────────────────────────────────────────────

interface Row {
  name: string;
  type: FunctionType;
  schema: string;
  sideEffects: boolean;
  stability: string | null;
  definition: string | null;
}

interface Verdict {
  readOnly: boolean;
  reason: string;
}

async function rows(c: DuckDBConnection, sql: string, params: Json[] = []): Promise<Array<Record<string, Json>>> {
  return (await c.runAndReadAll(sql, params as never)).getRowObjectsJson() as Array<Record<string, Json>>;
}

async function facts(c: DuckDBConnection, sql: string): Promise<TreeFacts | string> {
  const out = await rows(c, 'select json_serialize_sql($1::varchar) as t', [sql]);
  const tree = JSON.parse(String(out[0]?.t)) as Json;
  try {
    return readSerializedStatements(tree).facts;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

async function main(): Promise<void> {
  if (!fs.existsSync(path.join(ROOT, 'package-lock.json'))) throw new Error('run this from the project root (npm run allowlists:duckdb)');
  const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { version?: string }>;
  };
  const nodeApi = lock.packages['node_modules/@duckdb/node-api']?.version;
  if (!nodeApi) throw new Error('@duckdb/node-api is not in package-lock.json');

  // The same build the connector runs: statically linked extensions only, nothing auto-loaded.
  const db = await DuckDBInstance.create(':memory:', { autoload_known_extensions: 'false', autoinstall_known_extensions: 'false' });
  const c = await db.connect();
  const version = String((await rows(c, 'select version() as v'))[0]?.v);

  const all = (
    await rows(
      c,
      `select function_name as name, function_type as type, schema_name as schema,
              bool_or(coalesce(has_side_effects, false)) as side_effects,
              string_agg(distinct stability, ',') as stability,
              min(macro_definition) as definition
         from duckdb_functions() where database_name = 'system'
        group by all order by all`,
    )
  ).map(
    (r): Row => ({
      name: String(r.name).toLowerCase(),
      type: String(r.type) as FunctionType,
      schema: String(r.schema),
      sideEffects: r.side_effects === true,
      stability: r.stability == null ? null : String(r.stability),
      definition: r.definition == null ? null : String(r.definition),
    }),
  );
  for (const r of all) if (!TYPES.includes(r.type)) throw new Error(`unknown function type ${r.type} (${r.name}): review this script`);
  const views = (await rows(c, `select schema_name as schema, view_name as name, sql from duckdb_views() where internal order by all`)).map((r) => ({
    schema: String(r.schema),
    name: String(r.name).toLowerCase(),
    sql: String(r.sql),
  }));

  // A function may exist in several schemas (main, pg_catalog) with one name; the guard sees names only,
  // so one verdict per (type, name), refused if any schema's version is.
  const byKey = new Map<string, Row[]>();
  for (const r of all) byKey.set(`${r.type}:${r.name}`, [...(byKey.get(`${r.type}:${r.name}`) ?? []), r]);

  const verdicts = new Map<string, Verdict>();
  const viewVerdicts = new Map<string, Verdict>();
  const bodies = new Map<string, TreeFacts | string>();

  for (const [key, group] of byKey) {
    for (const r of group) {
      if ((r.type === 'macro' || r.type === 'table_macro') && r.definition !== null && !bodies.has(key)) {
        bodies.set(key, await facts(c, r.type === 'macro' ? `SELECT ${r.definition}` : r.definition));
      }
    }
  }
  for (const v of views) {
    // The guard sees a view's name, not its schema: views of one name in several schemas are judged as one.
    const m = /^CREATE (?:TEMP )?VIEW (?:[\w"]+\.)*[\w"]+ AS ([\s\S]*);?$/i.exec(v.sql.trim());
    const body = m ? await facts(c, m[1]!.replace(/;\s*$/, '')) : 'its definition could not be read';
    const seen = bodies.get(`view:${v.name}`);
    if (seen === undefined) bodies.set(`view:${v.name}`, body);
    else if (typeof seen === 'string' || typeof body === 'string') bodies.set(`view:${v.name}`, typeof seen === 'string' ? seen : body);
    else bodies.set(`view:${v.name}`, { functions: [...seen.functions, ...body.functions], tables: [...seen.tables, ...body.tables], shows: [...seen.shows, ...body.shows] });
  }

  function decideBody(key: string, seen: Set<string>): Verdict {
    const body = bodies.get(key);
    if (body === undefined) return { readOnly: false, reason: 'its definition is not in the catalog' };
    if (typeof body === 'string') return { readOnly: false, reason: `its definition could not be read (${body})` };
    for (const f of body.functions) {
      const candidates: FunctionType[] = f.position === 'table' ? ['table', 'table_macro'] : f.position === 'window' ? ['aggregate'] : ['scalar', 'aggregate', 'macro'];
      const found = candidates.map((t) => ({ t, v: decide(`${t}:${f.name}`, seen) })).filter((x) => x.v !== undefined);
      if (f.position === 'scalar' && (f.name === 'unnest' || f.name === 'unlist')) continue;
      const ok = found.find((x) => x.v!.readOnly);
      if (!ok) {
        const why = found[0]?.v?.reason ?? 'it is not a built-in function';
        return { readOnly: false, reason: `it calls ${f.name}(), refused: ${why}` };
      }
    }
    for (const t of body.tables) {
      if (t.cte) continue;
      const v = decide(`view:${t.name}`, seen);
      if (v && !v.readOnly) return { readOnly: false, reason: `it reads ${t.name}, refused: ${v.reason}` };
    }
    return { readOnly: true, reason: 'its body calls only read-only functions' };
  }

  function decide(key: string, seen: Set<string>): Verdict | undefined {
    const cached = key.startsWith('view:') ? viewVerdicts.get(key.slice(5)) : verdicts.get(key);
    if (cached) return cached;
    if (seen.has(key)) return { readOnly: false, reason: 'its definition refers back to itself' };
    const next = new Set(seen).add(key);
    let v: Verdict;
    if (key.startsWith('view:')) {
      if (!bodies.has(key)) return undefined;
      v = decideBody(key, next);
      viewVerdicts.set(key.slice(5), v);
      return v;
    }
    const group = byKey.get(key);
    if (!group) return undefined;
    const [type, name] = [group[0]!.type, group[0]!.name];
    const pattern = REFUSED_PATTERNS.find(([re]) => re.test(name));
    if (type === 'pragma') v = { readOnly: false, reason: 'a PRAGMA; only the catalog PRAGMAs the guard rewrites to queries run' };
    else if (REFUSED[name]) v = { readOnly: false, reason: REFUSED[name] };
    else if (pattern) v = { readOnly: false, reason: pattern[1] };
    else if (group.some((r) => r.sideEffects)) {
      v = SIDE_EFFECTS_REVIEWED[name]
        ? { readOnly: true, reason: `reviewed: ${SIDE_EFFECTS_REVIEWED[name]}` }
        : { readOnly: false, reason: 'it has side effects (has_side_effects)' };
    } else if (type === 'table') {
      v = TABLE_FUNCTIONS_REVIEWED[name]
        ? { readOnly: true, reason: `reviewed: ${TABLE_FUNCTIONS_REVIEWED[name]}` }
        : { readOnly: false, reason: 'a table function not reviewed as read-only' };
    } else if (type === 'macro' || type === 'table_macro') v = decideBody(key, next);
    else if (group.some((r) => r.stability === 'VOLATILE')) v = { readOnly: false, reason: 'it is volatile and not reviewed' };
    else v = { readOnly: true, reason: 'consistent, without side effects' };
    verdicts.set(key, v);
    return v;
  }

  for (const key of byKey.keys()) decide(key, new Set());
  for (const v of views) decide(`view:${v.name}`, new Set());

  for (const name of [...Object.keys(TABLE_FUNCTIONS_REVIEWED), ...Object.keys(SIDE_EFFECTS_REVIEWED)]) {
    if (![...byKey.keys()].some((k) => k.endsWith(`:${name}`))) console.warn(`reviewed name no longer in DuckDB ${version}: ${name}`);
  }

  // ─── Output ────────────────────────────────────────────────────────────────────────────────────────
  const readOnly: Record<string, string[]> = {};
  const refused: Record<string, Record<string, string>> = {};
  for (const t of TYPES) {
    readOnly[t] = [];
    refused[t] = {};
  }
  for (const [key, v] of [...verdicts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const [type, name] = [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)];
    if (v.readOnly) readOnly[type]!.push(name);
    else refused[type]![name] = v.reason;
  }
  const viewsReadOnly = [...viewVerdicts].filter(([, v]) => v.readOnly).map(([n]) => n).sort();
  const viewsRefused = Object.fromEntries([...viewVerdicts].filter(([, v]) => !v.readOnly).sort(([a], [b]) => (a < b ? -1 : 1)).map(([n, v]) => [n, v.reason]));

  const counts = TYPES.map((t) => `${t} ${readOnly[t]!.length}/${Object.keys(refused[t]!).length}`).join(', ');
  const lines = [
    '// Generated by scripts/allowlists/duckdb.ts (npm run allowlists:duckdb). Do not edit by hand: change the',
    '// rules in the script, re-run it, review the diff.',
    `// DuckDB ${version} (@duckdb/node-api ${nodeApi}), read from duckdb_functions() and duckdb_views().`,
    `// Read-only/refused per type: ${counts}; views ${viewsReadOnly.length}/${Object.keys(viewsRefused).length}.`,
    '',
    '/** The DuckDB version these lists were generated from (`select version()`). */',
    `export const DUCKDB_VERSION = ${JSON.stringify(version)};`,
    '/** The @duckdb/node-api version in package-lock.json when they were generated. */',
    `export const DUCKDB_NODE_API_VERSION = ${JSON.stringify(nodeApi)};`,
    '',
    'export type DuckDbFunctionType = ' + TYPES.map((t) => `'${t}'`).join(' | ') + ';',
    '',
    '/** Built-in functions that only read, by type (lower-case names). */',
    'export const READ_ONLY_FUNCTIONS: Readonly<Record<DuckDbFunctionType, readonly string[]>> = {',
    ...TYPES.flatMap((t) => [`  ${t}: [`, ...readOnly[t]!.map((n) => `    ${JSON.stringify(n)},`), '  ],']),
    '};',
    '',
    '/** Every other built-in function, by type, with the reason it is refused. */',
    'export const REFUSED_FUNCTIONS: Readonly<Record<DuckDbFunctionType, Readonly<Record<string, string>>>> = {',
    ...TYPES.map((t) => `  ${t}: {\n${Object.entries(refused[t]!).map(([n, r]) => `    ${JSON.stringify(n)}: ${JSON.stringify(r)},`).join('\n')}\n  },`),
    '};',
    '',
    '/** Built-in views (main, pg_catalog, information_schema) that only read. */',
    'export const READ_ONLY_VIEWS: readonly string[] = [',
    ...viewsReadOnly.map((n) => `  ${JSON.stringify(n)},`),
    '];',
    '',
    '/** Built-in views that are refused, with the reason. */',
    'export const REFUSED_VIEWS: Readonly<Record<string, string>> = {',
    ...Object.entries(viewsRefused).map(([n, r]) => `  ${JSON.stringify(n)}: ${JSON.stringify(r)},`),
    '};',
    '',
  ];
  const text = lines.join('\n');

  // What changed since the checked-in version, for the review.
  const previous = fs.existsSync(OUT) ? fs.readFileSync(OUT, 'utf8') : '';
  const entries = (s: string): Set<string> => {
    const out = new Set<string>();
    const block = /^export const READ_ONLY_FUNCTIONS[^\n]*\n([\s\S]*?)^\};/m.exec(s)?.[1] ?? '';
    let type = '';
    for (const line of block.split('\n')) {
      const head = /^ {2}(\w+): \[$/.exec(line);
      if (head) type = head[1]!;
      const item = /^ {4}("(?:[^"\\]|\\.)*"),$/.exec(line);
      if (item) out.add(`${type}:${JSON.parse(item[1]!) as string}`);
    }
    return out;
  };
  const before = entries(previous);
  const after = entries(text);
  const added = [...after].filter((x) => !before.has(x));
  const removed = [...before].filter((x) => !after.has(x));
  fs.writeFileSync(OUT, text);
  console.log(`DuckDB ${version} (@duckdb/node-api ${nodeApi}): ${counts}; views ${viewsReadOnly.length}/${Object.keys(viewsRefused).length}`);
  if (previous) {
    console.log(`newly read-only: ${added.length ? added.join(', ') : 'none'}`);
    console.log(`no longer read-only: ${removed.length ? removed.join(', ') : 'none'}`);
  }
  console.log(`wrote ${path.relative(ROOT, OUT)}; review the diff before committing it.`);
  c.closeSync();
  db.closeSync();
}

await main();
