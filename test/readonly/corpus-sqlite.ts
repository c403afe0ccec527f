/**
 * SQLite's entries of the hostile corpus (see corpus.ts), run against a writable file: statements SQLite
 * reports as read-only but that change the connection or the disk, file and extension functions, and
 * SQLite's own spellings of writes.
 */
import type { HostileCase, LegitCase } from './corpus.js';

export const SETUP_SQLITE = `
  create table audit (id integer primary key, note text);
  create trigger customers_audit after update on customers begin insert into audit (note) values ('changed'); end;
`;

const NR = 'NOT_READ_ONLY' as const;

export const HOSTILE_SQLITE: HostileCase[] = [
  { sql: "ATTACH DATABASE '/tmp/sequel_attached.db' AS other", why: 'ATTACH a new file' },
  { sql: "ATTACH 'file:/tmp/sequel_rwc.db?mode=rwc' AS other", why: 'ATTACH with a URI asking for read-write-create' },
  { sql: 'DETACH DATABASE main', why: 'DETACH' },
  { sql: 'PRAGMA query_only = 0', why: 'PRAGMA switching query_only off' },
  { sql: 'PRAGMA query_only = OFF; DELETE FROM customers', why: 'PRAGMA then DELETE' },
  { sql: 'PRAGMA writable_schema = 1', why: 'PRAGMA writable_schema' },
  { sql: 'PRAGMA user_version = 42', why: 'PRAGMA user_version (writes the header)' },
  { sql: 'PRAGMA journal_mode = DELETE', why: 'PRAGMA journal_mode' },
  { sql: '/* hi */ PRAGMA query_only=0', why: 'PRAGMA behind a comment' },
  { sql: 'VACUUM', why: 'VACUUM' },
  { sql: "VACUUM INTO '/tmp/sequel_vacuum_copy.db'", why: 'VACUUM INTO a new file' },
  { sql: 'REINDEX', why: 'REINDEX' },
  { sql: 'ANALYZE', why: 'ANALYZE (writes sqlite_stat1)' },
  { sql: 'BEGIN IMMEDIATE', why: 'BEGIN IMMEDIATE (takes the write lock)' },
  { sql: 'BEGIN EXCLUSIVE', why: 'BEGIN EXCLUSIVE' },
  { sql: 'END', why: 'END (COMMIT)' },
  { sql: 'RELEASE s1', why: 'RELEASE' },
  { sql: "INSERT OR REPLACE INTO customers (id, name) VALUES (1, 'pwned')", why: 'INSERT OR REPLACE' },
  { sql: "REPLACE INTO customers (id, name) VALUES (1, 'pwned')", why: 'REPLACE' },
  { sql: "INSERT INTO customers (id, name) VALUES (1, 'x') ON CONFLICT (id) DO UPDATE SET name = 'pwned'", why: 'UPSERT' },
  { sql: "WITH x AS (SELECT 1) INSERT INTO customers (id, name) SELECT 50, 'cte' FROM x", why: 'WITH … INSERT' },
  { sql: "UPDATE customers SET name = 'fires trigger' WHERE id = 1", why: 'UPDATE that would fire a trigger' },
  { sql: 'CREATE TRIGGER evil AFTER INSERT ON orders BEGIN DELETE FROM customers; END', why: 'CREATE TRIGGER' },
  { sql: 'CREATE VIRTUAL TABLE evil USING fts5(x)', why: 'CREATE VIRTUAL TABLE' },
  { sql: 'CREATE TEMP VIEW evil AS SELECT 1', why: 'CREATE TEMP VIEW' },
  { sql: 'DROP TRIGGER customers_audit', why: 'DROP TRIGGER' },
  { sql: "SELECT load_extension('/tmp/evil.so')", why: 'load_extension in the select list' },
  { sql: "SELECT * FROM customers WHERE load_extension('/tmp/evil') IS NULL", why: 'load_extension in WHERE' },
  { sql: 'SELECT "load_extension"(\'/tmp/evil\')', why: 'load_extension quoted' },
  { sql: "SELECT readfile('/etc/passwd')", why: 'readfile (fileio)' },
  { sql: "SELECT writefile('/tmp/sequel_pwned', 'x')", why: 'writefile (fileio)' },
  { sql: "SELECT fts3_tokenizer('simple')", why: 'fts3_tokenizer' },
  { sql: 'EXPLAIN DELETE FROM customers', why: 'EXPLAIN (bytecode) of a write' },
  { sql: 'EXPLAIN QUERY PLAN DELETE FROM customers', why: 'EXPLAIN QUERY PLAN of a write' },
  { sql: "SELECT 1; ATTACH '/tmp/sequel_x.db' AS x", why: 'a read then ATTACH' },
  { sql: 'DELETE FROM "customers"', why: 'DELETE with a quoted name' },
  { sql: 'DELETE FROM [main].[customers]', why: 'DELETE with bracket-quoted names' },
  { sql: 'DELETE FROM `customers`', why: 'DELETE with backtick-quoted names' },
  { sql: 'ＤＥＬＥＴＥ FROM customers', why: 'full-width letters', expect: 'SYNTAX_ERROR' },
  { sql: "SELECT 'x' --\nDELETE FROM customers", why: 'a line comment then a second statement without separator', expect: ['NOT_READ_ONLY', 'SYNTAX_ERROR', 'QUERY_ERROR'] },
  { sql: 'SAVEPOINT a; RELEASE a', why: 'SAVEPOINT and RELEASE' },
  { sql: 'ALTER TABLE customers DROP COLUMN email', why: 'ALTER TABLE DROP COLUMN' },
].map((c) => ({ ...c, expect: (c as HostileCase).expect ?? NR }));

export const LEGIT_SQLITE: LegitCase[] = [
  { sql: "SELECT json_extract('{\"a\": {\"b\": 2}}', '$.a.b') AS b", why: 'json_extract' },
  { sql: "SELECT key, value FROM json_each('[1, 2, 3]')", why: 'json_each table-valued function' },
  { sql: "SELECT strftime('%Y-%m', placed_at) AS month, SUM(total) FROM orders GROUP BY month", why: 'strftime grouping' },
  { sql: "SELECT group_concat(name, ', ') FROM customers", why: 'group_concat' },
  { sql: "SELECT name FROM pragma_table_info('customers')", why: 'pragma_table_info table-valued function' },
  { sql: 'VALUES (1, 2), (3, 4)', why: 'VALUES' },
  { sql: 'SELECT sqlite_version()', why: 'sqlite_version()' },
  { sql: "SELECT printf('%05d', id) FROM customers", why: 'printf' },
  { sql: "SELECT x'414243' AS b", why: 'blob literal' },
  { sql: 'SELECT id, SUM(total) OVER (PARTITION BY customer_id ORDER BY id) FROM orders', why: 'running total window' },
  { sql: 'SELECT ? AS p', why: 'a bound parameter', params: ['hello'] },
  { sql: 'EXPLAIN QUERY PLAN SELECT * FROM orders WHERE customer_id = 1', why: 'EXPLAIN QUERY PLAN of a read' },
  { sql: 'SELECT * FROM customers WHERE name LIKE ? ESCAPE ?', why: 'LIKE with ESCAPE and parameters', params: ['A%', '\\'] },
  { sql: 'WITH a AS (SELECT 1 AS x), b AS (SELECT x + 1 AS y FROM a) SELECT * FROM b', why: 'nested CTEs' },
  { sql: 'SELECT n FROM numbers WHERE n BETWEEN 10 AND 20 EXCEPT SELECT n FROM numbers WHERE n % 2 = 0', why: 'EXCEPT' },
];
