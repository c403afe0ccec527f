/**
 * PostgreSQL's entries of the hostile corpus (see corpus.ts), run connected as the superuser. Every known
 * escape of published database MCP servers is here as a regression test, plus PostgreSQL's own ways to
 * write, run programs, read files, lock, signal, or smuggle a second statement.
 */
import type { HostileCase, LegitCase } from './corpus.js';

/**
 * Objects the corpus needs, created before the checksum is taken: side effects hidden behind a view or a
 * function that the guard cannot see (the read-only transaction must catch them), and a materialized view.
 */
export const SETUP_POSTGRES = `
  create sequence evil_seq;
  create view v_nextval as select nextval('evil_seq') as n;
  create function sneaky_write() returns integer language sql volatile
    as $$ insert into customers (id, name) values (1000, 'sneaky') returning 1 $$;
  create view v_sneaky as select sneaky_write() as x;
  create function plpgsql_write() returns integer language plpgsql volatile
    as $$ begin update customers set name = 'plpgsql'; return 1; end $$;
  create procedure sneaky_proc() language sql as $$ delete from orders $$;
  create materialized view mv_totals as select customer_id, sum(total) as total from orders group by customer_id;
`;

const NR = 'NOT_READ_ONLY' as const;

export const HOSTILE_POSTGRES: HostileCase[] = [
  // SELECT … INTO creates a table.
  { sql: 'SELECT * INTO stolen FROM customers', why: 'SELECT INTO' },
  { sql: 'SELECT * INTO TEMP stolen FROM customers', why: 'SELECT INTO TEMP' },
  { sql: 'SELECT 1 AS x INTO UNLOGGED TABLE stolen', why: 'SELECT INTO UNLOGGED' },
  { sql: 'CREATE TABLE stolen AS SELECT * FROM customers WITH NO DATA', why: 'CREATE TABLE AS … WITH NO DATA' },
  // COPY: programs, files, and even COPY TO STDOUT (not a query the connector streams).
  { sql: "COPY customers TO PROGRAM 'touch /tmp/sequel_pwned'", why: 'COPY TO PROGRAM' },
  { sql: "COPY customers FROM PROGRAM 'echo 9,x,,'", why: 'COPY FROM PROGRAM' },
  { sql: "COPY (SELECT 1) TO '/tmp/sequel_out'", why: 'COPY TO file' },
  { sql: "COPY customers FROM '/etc/hostname'", why: 'COPY FROM file' },
  { sql: 'COPY (SELECT * FROM customers) TO STDOUT', why: 'COPY TO STDOUT' },
  // Files and large objects, in the select list and the FROM clause, however spelled.
  { sql: "select pg_read_file('/etc/passwd')", why: 'pg_read_file in the select list' },
  { sql: "select * from pg_read_file('/etc/passwd')", why: 'pg_read_file in FROM' },
  { sql: "SELECT * FROM pg_catalog.pg_read_binary_file('/etc/passwd') AS f", why: 'schema-qualified pg_read_binary_file in FROM' },
  { sql: "SELECT PG_CATALOG.PG_READ_FILE('/etc/passwd')", why: 'upper-case qualified pg_read_file' },
  { sql: `SELECT "pg_read_file"('/etc/passwd')`, why: 'quoted function name' },
  { sql: `SELECT U&"pg\\005fread\\005ffile"('/etc/passwd')`, why: 'U&"…" unicode-escaped function name' },
  { sql: "select pg_ls_dir('.')", why: 'pg_ls_dir' },
  { sql: "SELECT * FROM ROWS FROM (generate_series(1, 2), pg_ls_dir('.')) AS t(a, b)", why: 'pg_ls_dir inside ROWS FROM' },
  { sql: "select (pg_stat_file('postgresql.conf')).size", why: 'pg_stat_file' },
  { sql: "SELECT * FROM customers WHERE name = (SELECT pg_read_file('/etc/hostname'))", why: 'pg_read_file in a subquery' },
  { sql: "select lo_import('/etc/passwd')", why: 'lo_import' },
  { sql: "select lo_export(1, '/tmp/sequel_lo')", why: 'lo_export' },
  { sql: "select lo_from_bytea(0, '\\x00')", why: 'lo_from_bytea creates a large object' },
  { sql: "SELECT * FROM dblink('dbname=postgres', 'delete from customers') AS t(x int)", why: 'dblink' },
  // Session settings, locks, sequences, transaction IDs, notifications.
  { sql: "select set_config('default_transaction_read_only', 'off', false)", why: 'set_config to turn read-only off' },
  { sql: 'SELECT pg_catalog.set_config($1, $2, false)', why: 'set_config with bound arguments', params: ['search_path', 'evil'] },
  { sql: 'select pg_advisory_lock(42)', why: 'session advisory lock' },
  { sql: 'SELECT pg_try_advisory_xact_lock(42)', why: 'transaction advisory lock' },
  { sql: "select nextval('evil_seq')", why: 'nextval' },
  { sql: "select setval('evil_seq', 1000)", why: 'setval' },
  { sql: "SELECT (SELECT nextval('evil_seq'))", why: 'nextval in a scalar subquery' },
  { sql: "VALUES (nextval('evil_seq'))", why: 'nextval in VALUES' },
  { sql: "WITH s AS (SELECT nextval('evil_seq') AS n) SELECT * FROM s", why: 'nextval in a CTE' },
  { sql: 'select txid_current()', why: 'txid_current assigns an xid' },
  { sql: 'select pg_current_xact_id()', why: 'pg_current_xact_id assigns an xid' },
  { sql: "select pg_notify('ch', 'x')", why: 'pg_notify' },
  // Server administration and denial of service.
  { sql: 'select pg_terminate_backend(pg_backend_pid())', why: 'pg_terminate_backend' },
  { sql: 'select pg_cancel_backend(1)', why: 'pg_cancel_backend' },
  { sql: 'select pg_reload_conf()', why: 'pg_reload_conf' },
  { sql: 'select pg_rotate_logfile()', why: 'pg_rotate_logfile' },
  { sql: "select pg_create_restore_point('sequel')", why: 'pg_create_restore_point' },
  { sql: "select pg_create_logical_replication_slot('evil', 'pgoutput')", why: 'replication slot' },
  { sql: 'select * from pg_sleep(30)', why: 'pg_sleep in FROM (denial of service)' },
  { sql: "select pg_sleep_for('1 minute')", why: 'pg_sleep_for' },
  // Functions that run SQL given as text.
  { sql: "select query_to_xml('delete from customers returning 1', true, true, '')", why: 'query_to_xml runs SQL text' },
  { sql: "SELECT table_to_xml('customers', true, true, '')", why: 'table_to_xml' },
  { sql: "select ts_stat('select to_tsvector(name) from customers')", why: 'ts_stat runs SQL text' },
  // Locking reads.
  { sql: 'select * from customers for update', why: 'FOR UPDATE' },
  { sql: 'select * from customers for no key update', why: 'FOR NO KEY UPDATE' },
  { sql: 'select * from customers for share', why: 'FOR SHARE' },
  { sql: 'select * from customers for key share skip locked', why: 'FOR KEY SHARE' },
  { sql: 'select * from (select * from customers for update) s', why: 'FOR UPDATE in a subquery' },
  { sql: 'SELECT * FROM customers WHERE id IN (SELECT customer_id FROM orders FOR UPDATE)', why: 'FOR UPDATE in IN (…)' },
  // Settings and transaction state.
  { sql: 'SET TRANSACTION READ WRITE', why: 'SET TRANSACTION READ WRITE' },
  { sql: 'SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE', why: 'SET SESSION CHARACTERISTICS' },
  { sql: 'SET default_transaction_read_only = off', why: 'SET default_transaction_read_only' },
  { sql: 'SET statement_timeout = 0', why: 'SET statement_timeout' },
  { sql: 'RESET ALL', why: 'RESET ALL' },
  { sql: 'SET ROLE postgres', why: 'SET ROLE' },
  { sql: 'START TRANSACTION READ WRITE', why: 'START TRANSACTION READ WRITE' },
  { sql: "PREPARE TRANSACTION 'evil'", why: 'PREPARE TRANSACTION' },
  { sql: "COMMIT PREPARED 'evil'", why: 'COMMIT PREPARED' },
  { sql: 'RELEASE SAVEPOINT s1', why: 'RELEASE SAVEPOINT' },
  { sql: 'END', why: 'END' },
  // Procedures and anonymous code.
  { sql: 'CALL sneaky_proc()', why: 'CALL' },
  { sql: 'DO $$ BEGIN DELETE FROM customers; END $$', why: 'DO block' },
  { sql: "DO $x$ BEGIN EXECUTE 'drop table numbers'; END $x$", why: 'DO with dynamic SQL' },
  // LISTEN / NOTIFY.
  { sql: 'LISTEN ch', why: 'LISTEN' },
  { sql: "NOTIFY ch, 'x'", why: 'NOTIFY' },
  { sql: 'UNLISTEN *', why: 'UNLISTEN' },
  // Maintenance.
  { sql: 'VACUUM', why: 'VACUUM' },
  { sql: 'VACUUM FULL customers', why: 'VACUUM FULL' },
  { sql: 'ANALYZE', why: 'ANALYZE' },
  { sql: 'ANALYZE customers', why: 'ANALYZE a table' },
  { sql: 'CLUSTER customers USING customers_pkey', why: 'CLUSTER' },
  { sql: 'REINDEX TABLE customers', why: 'REINDEX' },
  { sql: 'CHECKPOINT', why: 'CHECKPOINT' },
  { sql: 'REFRESH MATERIALIZED VIEW mv_totals', why: 'REFRESH MATERIALIZED VIEW' },
  // DDL and privileges.
  { sql: "CREATE FUNCTION evil() RETURNS integer LANGUAGE sql AS 'select 1'", why: 'CREATE FUNCTION' },
  { sql: "CREATE OR REPLACE FUNCTION sneaky_write() RETURNS integer LANGUAGE sql AS 'select 2'", why: 'CREATE OR REPLACE FUNCTION' },
  { sql: 'GRANT ALL ON customers TO PUBLIC', why: 'GRANT' },
  { sql: 'REVOKE SELECT ON customers FROM PUBLIC', why: 'REVOKE' },
  { sql: 'LOCK TABLE customers IN ACCESS EXCLUSIVE MODE', why: 'LOCK TABLE' },
  { sql: 'CREATE ROLE evil SUPERUSER LOGIN', why: 'CREATE ROLE' },
  { sql: 'ALTER ROLE postgres SET statement_timeout = 1', why: 'ALTER ROLE … SET' },
  { sql: 'CREATE DATABASE evil', why: 'CREATE DATABASE' },
  { sql: "ALTER SYSTEM SET work_mem = '1GB'", why: 'ALTER SYSTEM' },
  { sql: 'CREATE EXTENSION IF NOT EXISTS dblink', why: 'CREATE EXTENSION' },
  { sql: "COMMENT ON TABLE customers IS 'pwned'", why: 'COMMENT ON' },
  { sql: 'CREATE RULE evil AS ON SELECT TO customers DO INSTEAD NOTHING', why: 'CREATE RULE' },
  // Prepared statements and cursors live on in the pooled session.
  { sql: 'PREPARE p AS DELETE FROM customers', why: 'PREPARE' },
  { sql: 'EXECUTE p', why: 'EXECUTE' },
  { sql: 'DEALLOCATE ALL', why: 'DEALLOCATE' },
  { sql: 'DISCARD ALL', why: 'DISCARD' },
  { sql: "LOAD 'auto_explain'", why: 'LOAD' },
  { sql: 'DECLARE c CURSOR WITH HOLD FOR SELECT 1', why: 'DECLARE CURSOR' },
  { sql: 'FETCH ALL FROM c', why: 'FETCH' },
  { sql: 'CLOSE c', why: 'CLOSE' },
  // More writes.
  { sql: 'MERGE INTO customers c USING (SELECT 1 AS id) s ON c.id = s.id WHEN MATCHED THEN DELETE', why: 'MERGE' },
  { sql: "INSERT INTO customers (id, name) VALUES (1, 'x') ON CONFLICT (id) DO UPDATE SET name = 'pwned'", why: 'upsert' },
  { sql: 'UPDATE customers SET name = $1 WHERE id = $2', why: 'UPDATE with bound parameters', params: ['pwned', 1] },
  { sql: `DELETE FROM U&"\\0063ustomers"`, why: 'DELETE with a unicode-escaped table name' },
  // EXPLAIN ANALYZE executes; EXPLAIN of a write is not a read either.
  { sql: 'EXPLAIN ANALYZE DELETE FROM customers', why: 'EXPLAIN ANALYZE of a write' },
  { sql: "EXPLAIN ANALYSE UPDATE customers SET name = 'x'", why: 'EXPLAIN ANALYSE (British) of a write' },
  { sql: 'EXPLAIN ANALYZE SELECT 1', why: 'EXPLAIN ANALYZE of a read executes it' },
  { sql: 'EXPLAIN (ANALYZE) SELECT * FROM customers', why: 'EXPLAIN (ANALYZE)' },
  { sql: 'EXPLAIN (ANALYZE true, FORMAT JSON) SELECT 1', why: 'EXPLAIN (ANALYZE true)' },
  { sql: 'EXPLAIN DELETE FROM customers', why: 'EXPLAIN of a write' },
  { sql: 'EXPLAIN CREATE TABLE evil AS SELECT 1', why: 'EXPLAIN CREATE TABLE AS' },
  // Writable CTEs, nested.
  { sql: 'WITH a AS (WITH b AS (DELETE FROM customers RETURNING *) SELECT * FROM b) SELECT * FROM a', why: 'writable CTE nested in a CTE' },
  { sql: "SELECT * FROM (WITH x AS (UPDATE customers SET name = 'x' RETURNING *) SELECT * FROM x) s", why: 'writable CTE in a subquery' },
  { sql: "WITH x AS (INSERT INTO customers (id, name) VALUES (50, 'x') RETURNING id) SELECT * FROM x", why: 'INSERT in a CTE' },
  { sql: 'WITH x AS (SELECT 1), y AS (DELETE FROM orders RETURNING 1) SELECT * FROM x', why: 'unused writable CTE (runs anyway)' },
  { sql: 'WITH x AS (MERGE INTO customers c USING (SELECT 1 AS id) s ON c.id = s.id WHEN MATCHED THEN DELETE RETURNING c.id) SELECT * FROM x', why: 'MERGE in a CTE', expect: [NR, 'SYNTAX_ERROR'] },
  // Quoting tricks around a second statement.
  { sql: 'SELECT $$ ; $$; DELETE FROM customers', why: 'dollar-quoted semicolon, then DELETE' },
  { sql: 'SELECT $a$ $$ $a$; DROP TABLE numbers', why: 'tagged dollar quote, then DROP' },
  { sql: "SELECT E'\\''; DELETE FROM customers", why: 'E-string escaped quote, then DELETE' },
  { sql: "SELECT 'it''s'; DELETE FROM customers", why: 'doubled quote, then DELETE' },
  { sql: 'SELECT 1\u0000; DROP TABLE customers', why: 'NUL byte hiding a second statement', expect: 'SYNTAX_ERROR' },
  // Catalogs that hold secrets.
  { sql: 'SELECT * FROM pg_authid', why: 'password hashes in pg_authid', expect: 'PERMISSION_DENIED' },
  { sql: 'SELECT passwd FROM pg_catalog.pg_shadow', why: 'password hashes in pg_shadow', expect: 'PERMISSION_DENIED' },
  { sql: 'SELECT * FROM pg_user_mappings', why: 'foreign-server passwords', expect: 'PERMISSION_DENIED' },
  // Side effects the guard cannot see: the read-only transaction refuses them when they run.
  { sql: 'SELECT * FROM v_nextval', why: 'nextval hidden in a view', explain: false },
  { sql: 'SELECT sneaky_write()', why: 'a user function that inserts', explain: false },
  { sql: 'SELECT * FROM v_sneaky', why: 'a writing function hidden in a view', explain: false },
  { sql: 'SELECT plpgsql_write()', why: 'a PL/pgSQL function that updates', explain: false },
];

export const LEGIT_POSTGRES: LegitCase[] = [
  { sql: 'SELECT id, sum(total) OVER (PARTITION BY customer_id ORDER BY id) FROM orders', why: 'window function' },
  { sql: 'SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY total) FROM orders', why: 'WITHIN GROUP' },
  { sql: 'WITH a AS (WITH b AS (SELECT * FROM orders) SELECT * FROM b) SELECT count(*) FROM a', why: 'nested CTEs' },
  {
    sql: 'SELECT c.name, o.total FROM customers c, LATERAL (SELECT total FROM orders WHERE customer_id = c.id ORDER BY total DESC LIMIT 1) o',
    why: 'LATERAL',
  },
  { sql: `SELECT '{"a":{"b":[1,2]}}'::jsonb -> 'a' -> 'b' ->> 0, jsonb_path_query_array('{"a":[1,2]}', '$.a[*]')`, why: 'JSON operators' },
  { sql: 'EXPLAIN SELECT * FROM customers WHERE id = 1', why: 'EXPLAIN of a read' },
  { sql: 'EXPLAIN (FORMAT JSON, VERBOSE, COSTS false) SELECT * FROM orders', why: 'EXPLAIN with options' },
  { sql: "VALUES (1, 'a'), (2, 'b')", why: 'VALUES' },
  { sql: 'TABLE customers', why: 'TABLE' },
  { sql: 'SHOW search_path', why: 'SHOW' },
  { sql: 'SHOW ALL', why: 'SHOW ALL' },
  { sql: 'SELECT id FROM customers INTERSECT SELECT customer_id FROM orders EXCEPT SELECT 3', why: 'INTERSECT / EXCEPT' },
  { sql: 'SELECT DISTINCT ON (customer_id) customer_id, total FROM orders ORDER BY customer_id, total DESC', why: 'DISTINCT ON' },
  { sql: "SELECT count(*) FILTER (WHERE status = 'paid') AS paid FROM orders", why: 'FILTER' },
  { sql: 'SELECT status, customer_id, count(*) FROM orders GROUP BY GROUPING SETS ((status), (customer_id), ())', why: 'GROUPING SETS' },
  { sql: 'SELECT status, customer_id, count(*) FROM orders GROUP BY ROLLUP (status, customer_id)', why: 'ROLLUP' },
  { sql: "SELECT name, regexp_replace(name, '[aeiou]', '_', 'g') FROM customers WHERE name ~ '^[A-G]' AND name !~* 'x'", why: 'regexes' },
  { sql: 'SELECT g, g * g FROM generate_series(1, 10) AS g', why: 'generate_series' },
  { sql: 'SELECT $$;DELETE FROM customers$$ AS s', why: 'a dollar-quoted string holding DML' },
  { sql: "SELECT E'a\\nb' AS s", why: 'E-string' },
  { sql: 'SELECT U&"\\0069d" FROM customers', why: 'U&"…" identifier' },
  { sql: 'SELECT * FROM customers WHERE id = $1', why: 'a bound parameter', params: [1] },
  { sql: 'SELECT $1::int + $2::int AS s', why: 'two bound parameters', params: [1, 2] },
  { sql: "SELECT xpath('/a/text()', '<a>x</a>'::xml)", why: 'xpath' },
  { sql: "SELECT current_setting('search_path'), txid_current_if_assigned(), pg_backend_pid(), now(), current_user", why: 'harmless system functions' },
  { sql: 'SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()', why: 'a system view' },
  { sql: "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'", why: 'information_schema' },
  { sql: 'SELECT * FROM orders TABLESAMPLE SYSTEM (100)', why: 'TABLESAMPLE' },
  { sql: 'SELECT array_agg(name ORDER BY name) FROM customers', why: 'ordered aggregate' },
  { sql: 'SELECT * FROM orders ORDER BY customer_id FETCH FIRST 1 ROWS WITH TIES', why: 'FETCH … WITH TIES' },
  { sql: 'SELECT 1 AS "for update", \'nextval\' AS f', why: 'dangerous words as names and strings' },
  { sql: 'SELECT * FROM mv_totals', why: 'a materialized view' },
  { sql: "SELECT last_value FROM evil_seq", why: 'reading a sequence (no side effect)' },
  { sql: 'WITH x AS MATERIALIZED (SELECT * FROM orders) SELECT count(*) FROM x', why: 'MATERIALIZED CTE' },
];
