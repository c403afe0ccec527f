/**
 * DuckDB's entries of the hostile corpus (see corpus.ts), run against a writable `.duckdb` file: file and
 * network functions in every position, replacement scans, COPY/EXPORT/ATTACH/INSTALL/LOAD, settings,
 * macros, secrets and sequences.
 */
import type { HostileCase, LegitCase } from './corpus.js';

export const SETUP_DUCKDB = `
  create sequence seq_evil;
  create macro plus_one(x) as x + 1;
`;

const NR = 'NOT_READ_ONLY' as const;

export const HOSTILE_DUCKDB: HostileCase[] = [
  { sql: "SELECT * FROM read_csv('/etc/passwd')", why: 'read_csv in FROM' },
  { sql: "SELECT * FROM read_csv_auto('/etc/passwd')", why: 'read_csv_auto' },
  { sql: "SELECT count(*) FROM read_text('/etc/passwd')", why: 'read_text' },
  { sql: "SELECT * FROM read_blob('/etc/hostname')", why: 'read_blob' },
  { sql: "SELECT * FROM read_parquet('/tmp/x.parquet')", why: 'read_parquet' },
  { sql: "SELECT * FROM read_json_auto('/tmp/x.json')", why: 'read_json_auto' },
  { sql: "SELECT * FROM glob('/etc/*')", why: 'glob lists the file system' },
  { sql: "SELECT * FROM sniff_csv('/etc/passwd')", why: 'sniff_csv' },
  { sql: "SELECT * FROM '/etc/passwd'", why: 'a path as a table (replacement scan)' },
  { sql: "SELECT * FROM 'https://example.com/data.csv'", why: 'a URL as a table' },
  { sql: "SELECT (SELECT count(*) FROM read_csv('/etc/passwd')) AS n", why: 'read_csv in a scalar subquery' },
  { sql: "WITH f AS (SELECT * FROM read_text('/etc/hostname')) SELECT * FROM f", why: 'read_text in a CTE' },
  { sql: "SELECT getenv('HOME')", why: 'getenv (the environment may hold secrets)' },
  { sql: 'SELECT * FROM duckdb_secrets()', why: 'duckdb_secrets' },
  { sql: "SELECT * FROM query('DELETE FROM customers')", why: 'query() runs SQL text' },
  { sql: "SELECT * FROM query_table('customers')", why: 'query_table()' },
  { sql: "SELECT nextval('seq_evil')", why: 'nextval' },
  { sql: "SELECT currval('seq_evil')", why: 'currval' },
  { sql: "SELECT * FROM sqlite_scan('/tmp/x.db', 't')", why: 'sqlite_scan' },
  { sql: "SELECT * FROM postgres_scan('host=127.0.0.1', 'public', 't')", why: 'postgres_scan' },
  { sql: "COPY customers TO '/tmp/sequel_duck_pwned.csv'", why: 'COPY TO a file' },
  { sql: "COPY (SELECT * FROM customers) TO '/tmp/sequel_duck_pwned.parquet' (FORMAT parquet)", why: 'COPY query TO parquet' },
  { sql: "COPY customers FROM '/etc/passwd'", why: 'COPY FROM a file' },
  { sql: "EXPORT DATABASE '/tmp/sequel_duck_pwned_export'", why: 'EXPORT DATABASE' },
  { sql: "ATTACH '/tmp/sequel_duck_pwned.duckdb' AS other", why: 'ATTACH a new file' },
  { sql: "ATTACH ':memory:' AS scratch", why: 'ATTACH in-memory' },
  { sql: 'DETACH fixture', why: 'DETACH' },
  { sql: 'INSTALL httpfs', why: 'INSTALL an extension' },
  { sql: 'LOAD httpfs', why: 'LOAD an extension' },
  { sql: 'SET enable_external_access = true', why: 'SET re-enabling external access' },
  { sql: "SET access_mode = 'READ_WRITE'", why: 'SET access_mode' },
  { sql: 'RESET lock_configuration', why: 'RESET' },
  { sql: 'PRAGMA enable_profiling', why: 'PRAGMA' },
  { sql: "CALL pragma_table_info('customers')", why: 'CALL' },
  { sql: 'CHECKPOINT', why: 'CHECKPOINT' },
  { sql: 'VACUUM', why: 'VACUUM' },
  { sql: 'ANALYZE', why: 'ANALYZE' },
  { sql: 'CREATE MACRO evil(x) AS x', why: 'CREATE MACRO' },
  { sql: 'CREATE TEMP TABLE scratch AS SELECT 1 AS x', why: 'CREATE TEMP TABLE' },
  { sql: 'CREATE SEQUENCE s2', why: 'CREATE SEQUENCE' },
  { sql: "CREATE SECRET s (TYPE s3, KEY_ID 'x', SECRET 'y')", why: 'CREATE SECRET' },
  { sql: "INSERT OR REPLACE INTO customers VALUES (1, 'x', 'x@example.com', NULL)", why: 'INSERT OR REPLACE' },
  { sql: 'WITH a AS (SELECT 1) DELETE FROM customers', why: 'WITH … DELETE (DuckDB)' },
  { sql: "PIVOT (SELECT * FROM read_csv('/etc/passwd')) ON column0 IN ('x') USING count(*)", why: 'read_csv inside a PIVOT (no serialized form)' },
  { sql: 'PREPARE p AS DELETE FROM customers', why: 'PREPARE' },
  { sql: 'EXECUTE p', why: 'EXECUTE', expect: [NR, 'QUERY_ERROR', 'SYNTAX_ERROR'] },
  { sql: 'EXPLAIN ANALYZE SELECT * FROM customers', why: 'EXPLAIN ANALYZE (executes)' },
  { sql: 'EXPLAIN SELECT * FROM customers', why: 'EXPLAIN through run_query (explain_query is the way)', explain: false },
  { sql: 'SELECT 1; SELECT * FROM read_csv(\'/etc/passwd\')', why: 'a read then a file read' },
  { sql: "SELECT * FROM READ_CSV('/etc/passwd')", why: 'upper-case read_csv' },
  { sql: "SELECT * FROM main.read_csv('/etc/passwd')", why: 'schema-qualified read_csv', expect: [NR, 'QUERY_ERROR'] },
  { sql: "SELECT * FROM \"read_csv\"('/etc/passwd')", why: 'quoted read_csv' },
  { sql: 'UPDATE customers SET name = upper(name)', why: 'UPDATE with a function' },
  { sql: 'USE memory', why: 'USE another database', expect: [NR, 'QUERY_ERROR'] },
  // DuckDB nests block comments (SQLite does not): a command hidden behind one must still be refused,
  // and never even prepared.
  { sql: "/* /* */ SELECT */ CREATE SECRET s3 (TYPE s3, KEY_ID 'x', SECRET 'y')", why: 'CREATE SECRET behind a nested comment' },
  { sql: '/* /* */ SELECT */ SET VARIABLE v = 1', why: 'SET VARIABLE behind a nested comment' },
  { sql: "/* /* */ SELECT */ COPY customers TO '/tmp/sequel_duck_out.csv'", why: 'COPY TO behind a nested comment' },
  // SQL held in a string literal, run by a function: whatever it calls is out of the guard's sight.
  {
    sql: "SELECT * FROM json_execute_serialized_sql(json_serialize_sql('SELECT * FROM query_table(''customers'')'))",
    why: 'json_execute_serialized_sql laundering a denied function',
  },
  { sql: "SELECT nextval('seq_evil')", why: 'nextval on a sequence of the file' },
  { sql: 'SELECT setseed(0.5)', why: 'setseed (session state that outlives the call)' },
].map((c) => ({ ...c, expect: (c as HostileCase).expect ?? NR }));

export const LEGIT_DUCKDB: LegitCase[] = [
  { sql: 'SELECT customer_id, total, SUM(total) OVER (PARTITION BY customer_id ORDER BY id) AS running FROM orders', why: 'window function' },
  { sql: 'SELECT id, total FROM orders QUALIFY row_number() OVER (PARTITION BY customer_id ORDER BY total DESC) = 1', why: 'QUALIFY' },
  { sql: 'SELECT quantile_cont(total, 0.5) FROM orders', why: 'quantile_cont' },
  { sql: 'SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY total) FROM orders', why: 'WITHIN GROUP' },
  { sql: "SELECT json_extract('{\"a\": {\"b\": 2}}', '$.a.b') AS b", why: 'json_extract' },
  { sql: 'SELECT [1, 2, 3] AS l, {\'a\': 1} AS s', why: 'list and struct literals' },
  { sql: 'SELECT unnest([1, 2, 3]) AS x', why: 'unnest' },
  { sql: 'SELECT * FROM range(5)', why: 'range table function' },
  { sql: 'SELECT * FROM generate_series(1, 3)', why: 'generate_series' },
  { sql: 'DESCRIBE customers', why: 'DESCRIBE' },
  { sql: 'SHOW TABLES', why: 'SHOW TABLES' },
  { sql: 'SUMMARIZE orders', why: 'SUMMARIZE' },
  { sql: 'SELECT plus_one(41) AS answer', why: 'calling an existing macro' },
  { sql: "PIVOT orders ON status IN ('paid', 'shipped') USING sum(total) GROUP BY customer_id", why: 'PIVOT with an explicit IN list' },
  { sql: 'SELECT * FROM customers WHERE id = $1', why: 'a bound parameter', params: [2] },
  { sql: "SELECT strftime(placed_at, '%Y-%m') AS month, sum(total) FROM orders GROUP BY ALL", why: 'GROUP BY ALL' },
  { sql: 'SELECT * EXCLUDE (email) FROM customers', why: 'SELECT * EXCLUDE' },
  { sql: 'SELECT * FROM duckdb_tables()', why: 'catalog table function' },
];
