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
  -- Issue #7: code that changes what the next caller sees, reachable in every form PostgreSQL runs a function.
  create extension dblink;
  create extension tsm_system_rows;
  create extension adminpack;
  create function sneaky_lock() returns boolean language sql as $$ select pg_catalog.pg_try_advisory_lock(77) $$;
  create function leak(customers) returns text language plpgsql as $$ begin perform pg_catalog.pg_advisory_lock(13); return 'x'; end $$;
  create function evil_plus(integer, integer) returns integer language plpgsql as $$ begin perform pg_catalog.pg_advisory_lock(9); return $1 + $2; end $$;
  create operator public.### (leftarg = integer, rightarg = integer, function = evil_plus);
  create operator public.!!! (rightarg = bigint, function = pg_catalog.pg_try_advisory_lock);
  create function evil_check(integer) returns boolean language plpgsql as $$ begin perform pg_catalog.pg_advisory_lock(11); return true; end $$;
  create domain evil_dom as integer check (evil_check(value));
  create type evil_t as (x integer);
  create function evil_cast(integer) returns evil_t language plpgsql as $$ begin perform pg_catalog.pg_advisory_lock(12); return row($1); end $$;
  create cast (integer as evil_t) with function evil_cast(integer);
  create function random_seed() returns double precision language plpgsql as $$ begin perform pg_catalog.setseed(0.5); return 1; end $$;
  create view v_file as select pg_catalog.pg_read_file('/etc/hostname') as f;
  create view v_lock as select pg_catalog.pg_try_advisory_lock(99) as l;
  create view v_lock2 as select * from v_lock;
  create view v_leak as select c.id, c.leak from customers c;
`;

// ─── Issue #7: every form in which PostgreSQL runs a function, for every denied family ───────────────

/** Denied functions, one per family, with arguments that make each call valid. */
const FAMILIES: Array<[string, string, string]> = [
  ['file reader', 'pg_read_file', "'/etc/hostname'"],
  ['binary file reader', 'pg_read_binary_file', "'/etc/hostname'"],
  ['directory listing', 'pg_ls_dir', "'.'"],
  ['file status', 'pg_stat_file', "'PG_VERSION'"],
  ['session advisory lock', 'pg_advisory_lock', '42'],
  ['try advisory lock', 'pg_try_advisory_lock', '43'],
  ['shared advisory lock', 'pg_try_advisory_lock_shared', '44'],
  ['replication slot', 'pg_create_physical_replication_slot', "'evil_slot'"],
  ['logical slot', 'pg_create_logical_replication_slot', "'evil_lslot', 'test_decoding'"],
  ['statistics reset', 'pg_stat_reset', ''],
  ['shared statistics reset', 'pg_stat_reset_shared', "'bgwriter'"],
  ['sleep', 'pg_sleep', '3'],
  ['backend signal', 'pg_cancel_backend', '0'],
  ['backend termination', 'pg_terminate_backend', '0'],
  ['large object import', 'lo_import', "'/etc/hostname'"],
  ['large object creation', 'lo_from_bytea', "0, '\\x00'"],
  ['session setting', 'set_config', "'search_path', 'evil', false"],
  ['sequence', 'nextval', "'evil_seq'"],
  ['sequence session state', 'currval', "'evil_seq'"],
  ['random seed', 'setseed', '0.5'],
  ['notification', 'pg_notify', "'ch', 'x'"],
  ['transaction id', 'txid_current', ''],
  ['SQL given as text', 'query_to_xml', "'select 1', true, true, ''"],
];

/** `U&"…"` spelling of a name: every underscore escaped. */
const unicodeName = (n: string) => `U&"${n.replace(/_/g, '\\005f')}"`;

/** Call forms: `C` is the call (the function applied to its arguments). */
const FORMS: Array<[string, (c: string, f: string, a: string) => string]> = [
  ['in the select list', (c) => `SELECT ${c}`],
  ['schema-qualified', (_c, f, a) => `SELECT pg_catalog.${f}(${a})`],
  ['quoted', (_c, f, a) => `SELECT "${f}"(${a})`],
  ['unicode-escaped', (_c, f, a) => `SELECT ${unicodeName(f)}(${a})`],
  ['in FROM', (c) => `SELECT * FROM ${c} AS t`],
  ['in ROWS FROM', (c) => `SELECT * FROM ROWS FROM (generate_series(1, 1), ${c}) AS t`],
  ['in LATERAL, WITH ORDINALITY', (c) => `SELECT * FROM customers c, LATERAL ${c} WITH ORDINALITY AS t`],
  ['in WHERE', (c) => `SELECT id FROM customers WHERE ${c} IS NOT NULL`],
  ['in an aggregate FILTER', (c) => `SELECT count(*) FILTER (WHERE ${c} IS NOT NULL) FROM customers`],
  ['in a window ORDER BY', (c) => `SELECT row_number() OVER (ORDER BY ${c}) FROM customers`],
  ['in a CTE', (c) => `WITH x AS (SELECT ${c} AS v) SELECT * FROM x`],
  ['in a scalar subquery', (c) => `SELECT (SELECT ${c})`],
  ['in CASE', (c) => `SELECT CASE WHEN id > 0 THEN ${c} END FROM customers`],
  ['in a cast', (c) => `SELECT CAST(${c} AS text)`],
  ['in VALUES', (c) => `VALUES (${c})`],
  ['in ORDER BY', (c) => `SELECT id FROM customers ORDER BY ${c}`],
  ['in EXPLAIN', (c) => `EXPLAIN SELECT ${c}`],
];

const FAMILY_FORMS: HostileCase[] = FAMILIES.flatMap(([family, f, a]) =>
  FORMS.map(([form, make]) => ({ sql: make(`${f}(${a})`, f, a), why: `${family} (${f}) ${form}` })),
);

const SPECIAL_FORMS: HostileCase[] = [
  // Named, mixed and VARIADIC notation.
  { sql: "SELECT pg_read_file(filename => '/etc/hostname')", why: 'named notation (=>)' },
  { sql: "SELECT pg_read_file(filename := '/etc/hostname')", why: 'named notation (:=)' },
  { sql: "SELECT pg_read_file('/etc/hostname', missing_ok => true)", why: 'mixed notation' },
  { sql: "SELECT format(VARIADIC ARRAY[pg_read_file('/etc/hostname')])", why: 'denied call inside a VARIADIC array' },
  { sql: "SELECT concat_ws(',', VARIADIC ARRAY[lo_import('/etc/hostname')::text])", why: 'lo_import inside VARIADIC' },
  { sql: `SELECT U&"pg!005fsleep" UESCAPE '!' (3)`, why: 'U&"…" UESCAPE spelling' },
  { sql: 'SELECT PG_CATALOG."pg_sleep"(3)', why: 'mixed quoting and case' },
  { sql: "SELECT postgres.pg_catalog.pg_ls_dir('.')", why: 'catalog-qualified (three-part) name' },
  // Aggregates, windows, grouping, limits.
  { sql: "SELECT string_agg(pg_read_file('/etc/hostname'), ',') FROM customers", why: 'denied call inside an aggregate' },
  { sql: 'SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY pg_try_advisory_lock(id)::int) FROM customers', why: 'WITHIN GROUP ordering' },
  { sql: 'SELECT array_agg(id ORDER BY pg_try_advisory_lock(id)) FROM customers', why: 'aggregate ORDER BY' },
  { sql: 'SELECT count(*) OVER (PARTITION BY pg_try_advisory_lock(1)) FROM customers', why: 'window PARTITION BY' },
  { sql: 'SELECT sum(id) OVER (ORDER BY id ROWS BETWEEN pg_try_advisory_lock(1)::int PRECEDING AND CURRENT ROW) FROM customers', why: 'window frame offset' },
  { sql: 'SELECT sum(id) OVER w FROM customers WINDOW w AS (ORDER BY pg_try_advisory_lock(id))', why: 'named WINDOW clause' },
  { sql: 'SELECT 1 LIMIT pg_try_advisory_lock(1)::int', why: 'LIMIT expression' },
  { sql: 'SELECT 1 OFFSET pg_try_advisory_lock(1)::int', why: 'OFFSET expression' },
  { sql: 'SELECT DISTINCT ON (pg_try_advisory_lock(id)) id FROM customers', why: 'DISTINCT ON expression' },
  { sql: 'SELECT count(*) FROM customers GROUP BY ROLLUP (pg_try_advisory_lock(id))', why: 'GROUP BY ROLLUP expression' },
  { sql: 'SELECT count(*) FROM customers GROUP BY id HAVING pg_try_advisory_lock(id)', why: 'HAVING' },
  { sql: 'SELECT greatest(pg_try_advisory_lock(1)::int, 0)', why: 'GREATEST' },
  { sql: 'SELECT nullif(pg_try_advisory_lock(1), false)', why: 'NULLIF' },
  { sql: 'SELECT coalesce(NULL, pg_try_advisory_lock(1))', why: 'COALESCE' },
  { sql: 'SELECT 1 WHERE 1 BETWEEN 0 AND pg_try_advisory_lock(1)::int', why: 'BETWEEN bound' },
  { sql: 'SELECT 1 WHERE 1 IN (0, pg_try_advisory_lock(1)::int)', why: 'IN list' },
  { sql: 'SELECT ARRAY[pg_try_advisory_lock(1)]', why: 'ARRAY constructor' },
  { sql: 'SELECT ROW(pg_try_advisory_lock(1), 2)', why: 'ROW constructor' },
  { sql: "SELECT (pg_stat_file('PG_VERSION')).size", why: 'field of a denied call' },
  { sql: "SELECT xmlelement(name a, pg_read_file('/etc/hostname'))", why: 'XMLELEMENT argument' },
  { sql: "SELECT * FROM xmltable('/a' PASSING xmlparse(document pg_read_file('/etc/hostname')) COLUMNS x text PATH '.')", why: 'XMLTABLE document' },
  { sql: 'SELECT 1 WHERE pg_try_advisory_lock(1) IS TRUE', why: 'IS TRUE' },
  { sql: "SELECT 'a' COLLATE \"C\" < pg_read_file('/etc/hostname')", why: 'operand of an operator' },
  { sql: 'SELECT * FROM customers TABLESAMPLE BERNOULLI (50) REPEATABLE (pg_try_advisory_lock(1)::int)', why: 'TABLESAMPLE REPEATABLE' },
  { sql: 'SELECT * FROM customers TABLESAMPLE SYSTEM (pg_try_advisory_lock(2)::int * 100)', why: 'TABLESAMPLE argument' },
  // Casts whose argument runs a denied function; regclass/regproc-typed calls.
  { sql: "SELECT nextval('evil_seq'::regclass)", why: 'nextval on a regclass cast' },
  { sql: "SELECT setval('evil_seq'::regclass, 5)", why: 'setval on a regclass cast' },
  { sql: "SELECT pg_advisory_lock('customers'::regclass::oid::bigint)", why: 'advisory lock keyed by a regclass cast' },
  { sql: "SELECT pg_read_file('/etc/hostname'::text)", why: 'denied call on a cast argument' },
  { sql: "SELECT pg_read_file('/etc/hostname')::regclass", why: 'cast of a denied call to regclass' },
  // The functional (attribute) notation: t.f is f(t).
  { sql: 'SELECT c.leak FROM customers c', why: 'functional notation t.f on a user function' },
  { sql: 'SELECT (c).leak FROM customers c', why: 'functional notation (t).f' },
  { sql: 'SELECT leak(c) FROM customers c', why: 'a user function on a whole row' },
  { sql: 'SELECT customers.leak FROM customers', why: 'functional notation on the table name' },
  { sql: "SELECT t.pg_read_file FROM (SELECT '/etc/hostname'::text) AS t(x)", why: 'functional notation on a denied built-in' },
  { sql: "SELECT (ROW('/etc/hostname')).pg_read_file", why: 'functional notation on a ROW' },
  // Operators (every operator runs a function).
  { sql: 'SELECT !!! 42::bigint', why: 'user prefix operator backed by an advisory lock' },
  { sql: 'SELECT OPERATOR(public.!!!) 42::bigint', why: 'OPERATOR(schema.op) backed by an advisory lock' },
  { sql: 'SELECT 1 ### 2', why: 'user operator running a user function' },
  { sql: 'SELECT 1 OPERATOR(public.###) 2', why: 'OPERATOR(public.###)' },
  { sql: 'SELECT id FROM customers WHERE id ### 1 > 0', why: 'user operator in WHERE' },
  { sql: 'SELECT 1 WHERE 1 ### 1 = ANY (ARRAY[2])', why: 'user operator inside = ANY' },
  { sql: 'SELECT * FROM customers ORDER BY id USING ###', why: 'ORDER BY … USING a user operator' },
  // Types: casts run input, domain-check and cast functions.
  { sql: 'SELECT 1::evil_dom', why: 'cast to a domain whose CHECK runs a user function' },
  { sql: 'SELECT CAST(1 AS evil_dom)', why: 'CAST(… AS domain)' },
  { sql: "SELECT evil_dom '1'", why: "type 'literal' syntax" },
  { sql: 'SELECT 1::public.evil_dom', why: 'schema-qualified domain' },
  { sql: 'SELECT ARRAY[1]::evil_dom[]', why: 'cast to an array of the domain' },
  { sql: 'SELECT 1::evil_t', why: 'cast with a user cast function' },
  { sql: 'SELECT CAST(id AS evil_t) FROM customers', why: 'CAST with a user cast function' },
  { sql: "SELECT * FROM xmltable('/a' PASSING '<a>1</a>' COLUMNS x evil_dom PATH '.')", why: 'XMLTABLE column of the domain' },
  { sql: 'SELECT evil_dom(1)', why: 'function-style cast to the domain' },
  // TABLESAMPLE methods are functions too.
  { sql: 'SELECT * FROM customers TABLESAMPLE system_rows (1)', why: 'an extension TABLESAMPLE method' },
  // User and extension functions (the policy does not allow them), and extension functions always denied.
  { sql: 'SELECT sneaky_lock()', why: 'a user function taking an advisory lock' },
  { sql: 'SELECT * FROM sneaky_lock()', why: 'a user function in FROM' },
  { sql: 'SELECT public.sneaky_lock()', why: 'a schema-qualified user function' },
  { sql: 'SELECT random_seed()', why: 'a user function setting the random seed' },
  { sql: "SELECT dblink_connect('c1', 'dbname=postgres')", why: 'dblink_connect (a connection that outlives the call)' },
  { sql: "SELECT public.dblink_exec('dbname=postgres', 'create database evil')", why: 'dblink_exec' },
  { sql: "SELECT * FROM public.dblink('dbname=postgres', 'select 1') AS t(x int)", why: 'schema-qualified dblink in FROM' },
  { sql: "SELECT pg_catalog.pg_file_write('/tmp/sequel_pwned', 'x', false)", why: 'adminpack file writer in pg_catalog' },
  { sql: "SELECT pg_file_unlink('/tmp/sequel_pwned')", why: 'adminpack file removal' },
  { sql: "SELECT lastval()", why: 'lastval (session sequence state)' },
  { sql: "SELECT pg_catalog.lo_unlink(1)", why: 'lo_unlink' },
  { sql: "SELECT lo_get(1)", why: 'lo_get' },
  { sql: "SELECT pg_replication_slot_advance('evil_slot', '0/0')", why: 'replication slot advance' },
  { sql: "SELECT pg_drop_replication_slot('evil_slot')", why: 'drop replication slot' },
  { sql: "SELECT pg_stat_reset_single_table_counters('customers'::regclass)", why: 'per-table statistics reset' },
  { sql: "SELECT pg_sleep_until(now() + interval '3 seconds')", why: 'pg_sleep_until' },
  { sql: "SELECT pg_log_backend_memory_contexts(pg_backend_pid())", why: 'pg_log_backend_memory_contexts' },
  { sql: 'SELECT pg_advisory_unlock_all()', why: 'pg_advisory_unlock_all' },
  { sql: 'SELECT current_query()', why: 'current_query' },
  { sql: "SELECT pg_current_logfile()", why: 'pg_current_logfile' },
  // Views over refused functions run them.
  { sql: 'SELECT * FROM v_file', why: 'a view reading a server file' },
  { sql: 'SELECT * FROM v_lock', why: 'a view taking an advisory lock' },
  { sql: 'SELECT * FROM v_lock2', why: 'a view over such a view' },
  { sql: 'SELECT l FROM public.v_lock', why: 'schema-qualified view taking a lock' },
  { sql: 'SELECT 1 WHERE EXISTS (SELECT * FROM v_lock)', why: 'a locking view in a subquery' },
  { sql: 'SELECT * FROM v_leak', why: 'a view using functional notation' },
  // EXPLAIN ANALYZE runs the statement; EXPLAIN of anything but a read.
  { sql: 'EXPLAIN (ANALYZE, BUFFERS) SELECT pg_try_advisory_lock(5)', why: 'EXPLAIN (ANALYZE, BUFFERS)' },
  { sql: 'EXPLAIN ANALYZE SELECT * FROM v_lock', why: 'EXPLAIN ANALYZE of a locking view' },
  { sql: 'EXPLAIN (FORMAT JSON, ANALYZE) SELECT 1', why: 'EXPLAIN with ANALYZE last' },
  { sql: 'EXPLAIN (ANALYZE on) SELECT 1', why: 'EXPLAIN (ANALYZE on)' },
  { sql: 'EXPLAIN SELECT * INTO evil FROM customers', why: 'EXPLAIN SELECT INTO' },
  { sql: 'EXPLAIN EXECUTE p', why: 'EXPLAIN EXECUTE' },
  { sql: 'EXPLAIN VERBOSE INSERT INTO customers (id, name) VALUES (1, $$x$$)', why: 'EXPLAIN VERBOSE INSERT' },
  { sql: 'EXPLAIN (COSTS off) CREATE MATERIALIZED VIEW evil AS SELECT 1', why: 'EXPLAIN CREATE MATERIALIZED VIEW' },
  // Data-modifying CTEs in more places.
  { sql: 'SELECT * FROM customers WHERE id IN (WITH d AS (DELETE FROM orders RETURNING customer_id) SELECT customer_id FROM d)', why: 'writable CTE inside IN (…)' },
  { sql: "WITH u AS (UPDATE customers SET name = 'x' RETURNING 1) SELECT 1 UNION ALL SELECT 2", why: 'writable CTE before a UNION' },
  { sql: "WITH RECURSIVE r AS (SELECT 1 AS n), d AS (DELETE FROM orders RETURNING 1) SELECT * FROM r", why: 'writable CTE in WITH RECURSIVE' },
  { sql: 'SELECT EXISTS (WITH i AS (INSERT INTO customers (id, name) VALUES (77, $$x$$) RETURNING 1) SELECT 1 FROM i)', why: 'writable CTE in EXISTS' },
  { sql: 'SELECT * FROM customers c, LATERAL (WITH d AS (DELETE FROM orders WHERE customer_id = c.id RETURNING 1) SELECT * FROM d) x', why: 'writable CTE in LATERAL' },
  // SELECT INTO and locking clauses anywhere.
  { sql: 'SELECT 1 AS x INTO TEMPORARY evil_t1', why: 'SELECT INTO TEMPORARY' },
  { sql: 'WITH x AS (SELECT 1 AS y) SELECT * INTO evil_t2 FROM x', why: 'WITH … SELECT INTO' },
  { sql: 'SELECT * INTO TABLE evil_t3 FROM customers', why: 'SELECT INTO TABLE' },
  { sql: 'SELECT * FROM customers c FOR UPDATE OF c NOWAIT', why: 'FOR UPDATE OF … NOWAIT' },
  { sql: 'SELECT * FROM customers FOR SHARE OF customers SKIP LOCKED', why: 'FOR SHARE … SKIP LOCKED' },
  { sql: 'WITH x AS (SELECT * FROM customers FOR UPDATE) SELECT * FROM x', why: 'FOR UPDATE in a CTE' },
  { sql: 'SELECT * FROM orders o, LATERAL (SELECT * FROM customers c WHERE c.id = o.customer_id FOR KEY SHARE) x', why: 'FOR KEY SHARE in LATERAL' },
  { sql: 'SELECT EXISTS (SELECT 1 FROM customers FOR NO KEY UPDATE)', why: 'FOR NO KEY UPDATE in EXISTS' },
  // COPY, DO, CALL, PREPARE, cursors, LISTEN, SET, LOCK in more spellings.
  { sql: 'COPY customers TO STDOUT WITH (FORMAT csv)', why: 'COPY TO STDOUT csv' },
  { sql: "COPY (SELECT pg_read_file('/etc/hostname')) TO STDOUT", why: 'COPY of a file read' },
  { sql: 'COPY customers FROM STDIN', why: 'COPY FROM STDIN' },
  { sql: 'DO LANGUAGE plpgsql $$ BEGIN PERFORM pg_advisory_lock(1); END $$', why: 'DO LANGUAGE plpgsql' },
  { sql: "DO 'BEGIN NULL; END'", why: 'DO with a plain string' },
  { sql: 'CALL public.sneaky_proc()', why: 'CALL schema-qualified' },
  { sql: 'PREPARE q(int) AS SELECT $1', why: 'PREPARE of a read (outlives the call)' },
  { sql: 'PREPARE q2 AS SELECT pg_advisory_lock(1)', why: 'PREPARE of a lock' },
  { sql: 'EXECUTE q(1)', why: 'EXECUTE with arguments' },
  { sql: 'DEALLOCATE q', why: 'DEALLOCATE' },
  { sql: 'DECLARE c CURSOR FOR SELECT 1', why: 'DECLARE CURSOR without HOLD' },
  { sql: 'DECLARE c SCROLL CURSOR WITH HOLD FOR SELECT * FROM customers', why: 'DECLARE SCROLL CURSOR WITH HOLD' },
  { sql: 'MOVE NEXT IN c', why: 'MOVE' },
  { sql: 'LISTEN "evil channel"', why: 'LISTEN quoted channel' },
  { sql: 'NOTIFY ch', why: 'NOTIFY without payload' },
  { sql: 'SET search_path = evil', why: 'SET search_path' },
  { sql: 'SET LOCAL search_path TO evil', why: 'SET LOCAL search_path' },
  { sql: 'SET SESSION AUTHORIZATION postgres', why: 'SET SESSION AUTHORIZATION' },
  { sql: 'RESET search_path', why: 'RESET search_path' },
  { sql: "SET work_mem = '1GB'", why: 'SET work_mem' },
  { sql: 'SET seed = 0.5', why: 'SET seed' },
  { sql: "SET TIME ZONE 'UTC'", why: 'SET TIME ZONE' },
  { sql: "SET application_name = 'evil'", why: 'SET application_name' },
  { sql: 'SET CONSTRAINTS ALL DEFERRED', why: 'SET CONSTRAINTS' },
  { sql: 'RESET ROLE', why: 'RESET ROLE' },
  { sql: 'LOCK customers', why: 'LOCK without TABLE' },
  { sql: 'LOCK TABLE customers IN SHARE MODE NOWAIT', why: 'LOCK … SHARE MODE NOWAIT' },
  { sql: 'LOCK ONLY orders IN ROW EXCLUSIVE MODE', why: 'LOCK ONLY' },
  { sql: 'SELECT * FROM pg_file_settings', why: 'configuration files', expect: 'PERMISSION_DENIED' },
  { sql: 'SELECT * FROM pg_catalog.pg_hba_file_rules', why: 'pg_hba.conf', expect: 'PERMISSION_DENIED' },
];

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
  ...FAMILY_FORMS,
  ...SPECIAL_FORMS,
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
  // Issue #7: ordinary analyst SQL in every form the guard now reads, and harmless catalog reads.
  { sql: 'SELECT * FROM generate_series(1, 5) WITH ORDINALITY AS g(n, i)', why: 'generate_series WITH ORDINALITY' },
  { sql: "SELECT * FROM ROWS FROM (generate_series(1, 3), unnest(ARRAY['a', 'b'])) AS t(n, s)", why: 'ROWS FROM' },
  { sql: 'SELECT c.id, g FROM customers c, LATERAL generate_series(1, c.id) AS g WHERE c.id < 3', why: 'LATERAL set-returning function' },
  { sql: "SELECT key, value FROM jsonb_each('{\"a\": 1, \"b\": 2}'::jsonb)", why: 'jsonb_each in FROM' },
  { sql: "SELECT jsonb_build_object('id', id, 'name', name), to_jsonb(c) FROM customers c LIMIT 2", why: 'jsonb_build_object, to_jsonb of a row' },
  { sql: 'SELECT json_agg(c ORDER BY id) FROM customers c', why: 'json_agg of rows' },
  { sql: "SELECT elem ->> 'x' FROM jsonb_array_elements('[{\"x\": 1}]'::jsonb) AS elem", why: 'jsonb_array_elements' },
  { sql: "SELECT jsonb_path_query_first('{\"a\": [1, 2]}', '$.a[1]'), '{\"a\": 1}'::jsonb ? 'a', '{\"a\": 1}'::jsonb @> '{\"a\": 1}'", why: 'jsonpath and containment operators' },
  { sql: 'SELECT id, lag(total) OVER w, lead(total) OVER w, ntile(2) OVER w, rank() OVER w FROM orders WINDOW w AS (PARTITION BY customer_id ORDER BY id)', why: 'named window' },
  { sql: 'SELECT id, sum(total) OVER (ORDER BY id ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) FROM orders', why: 'window frame' },
  { sql: 'SELECT mode() WITHIN GROUP (ORDER BY status), percentile_disc(0.9) WITHIN GROUP (ORDER BY total) FROM orders', why: 'ordered-set aggregates' },
  { sql: 'SELECT status, GROUPING(status), count(*) FROM orders GROUP BY CUBE (status)', why: 'CUBE and GROUPING()' },
  { sql: "SELECT date_trunc('month', placed_at), extract(year FROM placed_at), age(placed_at), to_char(placed_at, 'YYYY-MM') FROM orders LIMIT 3", why: 'date functions' },
  { sql: 'SELECT make_interval(days => 3), make_date(year => 2024, month => 1, day => 2)', why: 'named notation with built-ins' },
  { sql: "SELECT concat_ws(',', VARIADIC ARRAY['a', 'b']), format('%s-%s', VARIADIC ARRAY['x', 'y'])", why: 'VARIADIC with built-ins' },
  { sql: 'SELECT 1 OPERATOR(pg_catalog.+) 2, 3 OPERATOR(pg_catalog.*) 4', why: 'OPERATOR(pg_catalog.op)' },
  { sql: "SELECT split_part(email, '@', 2), string_to_array(name, ' '), upper(name) FROM customers", why: 'string functions' },
  { sql: 'SELECT ARRAY[1, 2, 3] @> ARRAY[2], (ARRAY[1, 2, 3])[2:3], array_length(ARRAY[1, 2], 1)', why: 'array operators and slices' },
  { sql: 'SELECT (c).id, (c).name FROM customers c LIMIT 1', why: 'composite field access' },
  { sql: 'SELECT * FROM orders TABLESAMPLE BERNOULLI (50) REPEATABLE (7)', why: 'TABLESAMPLE BERNOULLI REPEATABLE' },
  { sql: 'WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t WHERE n < 5) SEARCH DEPTH FIRST BY n SET ord SELECT * FROM t ORDER BY ord', why: 'CTE SEARCH clause' },
  { sql: 'WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t WHERE n < 5) CYCLE n SET is_cycle USING path SELECT n FROM t', why: 'CTE CYCLE clause' },
  { sql: "SELECT * FROM xmltable('/r/a' PASSING '<r><a>1</a><a>2</a></r>' COLUMNS x int PATH '.')", why: 'XMLTABLE' },
  { sql: "SELECT 'customers'::regclass, 'pg_backend_pid'::regproc, to_regclass('orders'), 'int4'::regtype", why: 'reg* casts (name look-ups)' },
  { sql: "SELECT pg_size_pretty(pg_total_relation_size('customers')), pg_database_size(current_database()) > 0", why: 'size functions' },
  { sql: "SELECT pg_get_viewdef('order_totals'::regclass), format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'customers'::regclass AND attnum = 1", why: 'catalog helper functions' },
  { sql: "SELECT has_table_privilege('customers', 'select'), obj_description('customers'::regclass, 'pg_class'), col_description('customers'::regclass, 3)", why: 'privilege and comment functions' },
  { sql: 'SELECT schemaname, tablename FROM pg_tables WHERE schemaname = current_schema()', why: 'pg_tables' },
  { sql: 'SELECT indexname, indexdef FROM pg_indexes WHERE tablename = $1', why: 'pg_indexes with a parameter', params: ['orders'] },
  { sql: "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'customers' ORDER BY ordinal_position", why: 'information_schema.columns' },
  { sql: 'SELECT relname, n_live_tup FROM pg_stat_user_tables ORDER BY relname', why: 'pg_stat_user_tables' },
  { sql: 'SELECT c.relname, n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = $1', why: 'pg_class join pg_namespace', params: ['v'] },
  { sql: "SELECT name, setting FROM pg_settings WHERE name = 'work_mem'", why: 'pg_settings' },
  { sql: 'SELECT count(*) FROM pg_locks', why: 'pg_locks' },
  { sql: 'SELECT * FROM pg_prepared_statements', why: 'pg_prepared_statements' },
  { sql: 'SELECT * FROM pg_listening_channels()', why: 'pg_listening_channels' },
  { sql: 'SELECT random() < 2, gen_random_uuid() IS NOT NULL, clock_timestamp() IS NOT NULL', why: 'volatile but read-only built-ins' },
  { sql: 'SELECT current_date, current_timestamp, localtime, current_user, session_user, current_catalog, current_schemas(true), version()', why: 'SQL value functions' },
  { sql: 'EXPLAIN (FORMAT YAML, SETTINGS) SELECT c.name, sum(o.total) FROM customers c JOIN orders o ON o.customer_id = c.id GROUP BY c.name', why: 'EXPLAIN of a join with options' },
  { sql: 'EXPLAIN SELECT * FROM generate_series(1, 10) g', why: 'EXPLAIN of a set-returning function' },
  { sql: 'SELECT id FROM customers c WHERE EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id) AND name NOT LIKE $1', why: 'EXISTS and NOT LIKE', params: ['Z%'] },
  { sql: 'SELECT id FROM customers WHERE id BETWEEN 1 AND 3 AND id IS DISTINCT FROM 2 AND name ILIKE $1', why: 'BETWEEN, IS DISTINCT FROM, ILIKE', params: ['%a%'] },
  { sql: "SELECT nullif(status, 'x'), coalesce(email, '-'), greatest(1, 2), least(3, 4) FROM orders o LEFT JOIN customers c ON c.id = o.customer_id LIMIT 1", why: 'conditional expressions' },
  { sql: "SELECT xmlelement(name a, xmlattributes(1 AS b), 'c'), xmlforest(1 AS x), xmlserialize(content '<a/>'::xml AS text)", why: 'XML constructors' },
  { sql: 'SELECT id FROM customers ORDER BY id USING >', why: 'ORDER BY … USING a built-in operator' },
  { sql: "SELECT int4('5'), text(5), numeric '1.5', date '2024-01-01', interval '1 day'", why: 'function-style and literal-style casts' },
  { sql: "SELECT 'a' COLLATE \"C\" < 'b', name COLLATE \"C\" FROM customers LIMIT 1", why: 'COLLATE' },
];
