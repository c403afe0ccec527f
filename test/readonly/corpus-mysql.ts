/**
 * MySQL/MariaDB entries of the hostile corpus (see corpus.ts), run connected as root: files (INTO
 * OUTFILE/DUMPFILE, LOAD_FILE, LOAD DATA), locks (locking reads, GET_LOCK), session state (SET, :=,
 * INTO @var, SET GLOBAL — which a read-only transaction does not stop), denial of service (SLEEP,
 * BENCHMARK), sequences, UDFs and stored routines, executable comments and optimizer hints, MySQL's own
 * comment and string rules, and the statements only MySQL has (HANDLER, DO, XA, LOCK TABLES, FLUSH…).
 */
import { LOCK_NAMES, OUTFILE_PATHS } from '../connectors/fixtures/mysql.js';
import type { HostileCase, LegitCase } from './corpus.js';

/**
 * Side effects the guard cannot see, created before the checksum is taken: a stored function that writes,
 * a view that calls it (the read-only transaction must refuse it), and a procedure that deletes.
 */
export const SETUP_MYSQL = `
  CREATE FUNCTION sneaky_write() RETURNS INT MODIFIES SQL DATA
    BEGIN INSERT INTO customers (id, name) VALUES (1000, 'sneaky'); RETURN 1; END;
  CREATE VIEW v_sneaky AS SELECT sneaky_write() AS x;
  CREATE PROCEDURE sneaky_proc() MODIFIES SQL DATA DELETE FROM orders;
`;

const [OUTFILE, DUMPFILE, HINT_FILE, COMMENT_FILE] = OUTFILE_PATHS as [string, string, string, string];
const [LOCK] = LOCK_NAMES as [string];
const NR = 'NOT_READ_ONLY' as const;
const SE = 'SYNTAX_ERROR' as const;

export const HOSTILE_MYSQL: HostileCase[] = [
  // INTO: files and session variables.
  { sql: `SELECT * FROM customers INTO OUTFILE '${OUTFILE}'`, why: 'INTO OUTFILE' },
  { sql: `SELECT * INTO OUTFILE '${OUTFILE}' FROM customers`, why: 'INTO OUTFILE before FROM' },
  { sql: `SELECT name FROM customers LIMIT 1 INTO DUMPFILE '${DUMPFILE}'`, why: 'INTO DUMPFILE' },
  { sql: `SELECT 1 UNION SELECT 2 INTO OUTFILE '${OUTFILE}'`, why: 'INTO OUTFILE after a UNION' },
  { sql: 'SELECT name INTO @stolen FROM customers LIMIT 1', why: 'INTO @variable' },
  { sql: 'SELECT 1, 2 INTO @a, @b', why: 'INTO two variables' },
  // Locking reads.
  { sql: 'SELECT * FROM customers FOR UPDATE', why: 'FOR UPDATE' },
  { sql: 'SELECT * FROM customers FOR UPDATE NOWAIT', why: 'FOR UPDATE NOWAIT' },
  { sql: 'SELECT * FROM customers FOR SHARE', why: 'FOR SHARE' },
  { sql: 'SELECT * FROM customers LOCK IN SHARE MODE', why: 'LOCK IN SHARE MODE' },
  { sql: 'SELECT * FROM (SELECT * FROM customers FOR UPDATE) x', why: 'FOR UPDATE in a derived table' },
  // Functions with side effects, anywhere and however written.
  { sql: "SELECT LOAD_FILE('/etc/passwd')", why: 'LOAD_FILE' },
  { sql: "SELECT * FROM customers WHERE LOAD_FILE('/etc/hostname') IS NOT NULL", why: 'LOAD_FILE in WHERE' },
  { sql: "SELECT JSON_EXTRACT(LOAD_FILE('/etc/passwd'), '$')", why: 'LOAD_FILE nested in a call' },
  { sql: 'SELECT SLEEP(30)', why: 'SLEEP' },
  { sql: 'SELECT SlEeP(30)', why: 'SLEEP in odd case' },
  { sql: 'SELECT sleep (30)', why: 'SLEEP with a space before (' },
  { sql: 'SELECT sleep/* x */(30)', why: 'SLEEP with a comment before (' },
  { sql: 'SELECT `sleep`(30)', why: 'SLEEP back-quoted' },
  { sql: 'SELECT * FROM customers WHERE id = 1 AND SLEEP(30)', why: 'SLEEP in WHERE' },
  { sql: 'SELECT (SELECT SLEEP(30))', why: 'SLEEP in a scalar subquery' },
  { sql: 'WITH x AS (SELECT SLEEP(30) AS s) SELECT * FROM x', why: 'SLEEP in a CTE' },
  { sql: 'SELECT IF(1, SLEEP(30), 0)', why: 'SLEEP inside IF' },
  { sql: "SELECT BENCHMARK(1000000000, MD5('x'))", why: 'BENCHMARK' },
  { sql: `SELECT GET_LOCK('${LOCK}', 0)`, why: 'GET_LOCK' },
  { sql: `SELECT * FROM customers WHERE id IN (SELECT GET_LOCK('${LOCK}', 0))`, why: 'GET_LOCK in a subquery' },
  { sql: `SELECT RELEASE_LOCK('${LOCK}')`, why: 'RELEASE_LOCK' },
  { sql: 'SELECT RELEASE_ALL_LOCKS()', why: 'RELEASE_ALL_LOCKS' },
  { sql: `SELECT IS_FREE_LOCK('${LOCK}')`, why: 'IS_FREE_LOCK' },
  { sql: 'SELECT NEXTVAL(evil_seq)', why: 'NEXTVAL (MariaDB sequences)' },
  { sql: 'SELECT SETVAL(evil_seq, 1000)', why: 'SETVAL' },
  { sql: 'SELECT NEXT VALUE FOR evil_seq', why: 'NEXT VALUE FOR' },
  { sql: "SELECT MASTER_POS_WAIT('mysql-bin.000001', 4)", why: 'MASTER_POS_WAIT' },
  { sql: 'SELECT LAST_INSERT_ID(42)', why: 'LAST_INSERT_ID(expr) sets session state' },
  { sql: "SELECT sys_exec('touch /tmp/sequel_pwned')", why: 'sys_exec UDF' },
  { sql: "SELECT spider_direct_sql('DELETE FROM t', 'tmp', 'srv \"x\"')", why: 'Spider UDF' },
  { sql: 'SELECT sneaky_write()', why: 'a stored function that writes' },
  { sql: 'SELECT `sneaky_write`()', why: 'a back-quoted stored function' },
  { sql: 'SELECT x.sneaky_write() FROM customers x', why: 'a schema-qualified stored function' },
  // Assignments and session state.
  { sql: 'SELECT @a := 1', why: ':= assignment' },
  { sql: 'SELECT @a := name FROM customers', why: ':= from a column' },
  { sql: 'SET @a = 1', why: 'SET a user variable' },
  { sql: 'SET SESSION TRANSACTION READ WRITE', why: 'SET SESSION TRANSACTION READ WRITE' },
  { sql: 'SET TRANSACTION READ WRITE', why: 'SET TRANSACTION READ WRITE' },
  { sql: 'SET GLOBAL read_only = 1', why: 'SET GLOBAL (the transaction does not stop it)' },
  { sql: "SET SESSION sql_mode = 'ANSI_QUOTES,NO_BACKSLASH_ESCAPES'", why: 'SET sql_mode (would change lexing)' },
  { sql: 'SET SESSION max_statement_time = 0', why: 'SET max_statement_time = 0' },
  { sql: 'SET autocommit = 0', why: 'SET autocommit' },
  // Transaction control and locks.
  { sql: 'START TRANSACTION READ WRITE', why: 'START TRANSACTION READ WRITE' },
  { sql: "XA START 'sequel_x'", why: 'XA START' },
  { sql: 'LOCK TABLES customers WRITE', why: 'LOCK TABLES' },
  { sql: 'UNLOCK TABLES', why: 'UNLOCK TABLES' },
  { sql: 'SELECT 1; SET GLOBAL read_only = 1', why: 'a read then SET GLOBAL' },
  // Executable comments and optimizer hints.
  { sql: 'SELECT 1 /*!50000 , SLEEP(30) */', why: 'versioned executable comment' },
  { sql: `SELECT 1 /*! INTO OUTFILE '${COMMENT_FILE}' */`, why: 'executable comment hiding INTO OUTFILE' },
  { sql: '/*!DELETE FROM customers*/', why: 'a whole statement in an executable comment' },
  { sql: 'SELECT 1 /*M!100000 , SLEEP(30) */', why: "MariaDB's executable comment" },
  { sql: 'SELECT /*+ MAX_EXECUTION_TIME(0) */ COUNT(*) FROM numbers', why: 'optimizer hint lifting the timeout' },
  { sql: `SELECT /*+ SET_VAR(sql_mode='ANSI_QUOTES') */ 1 INTO OUTFILE '${HINT_FILE}'`, why: 'SET_VAR hint' },
  // MySQL's comment and string rules.
  { sql: 'SELECT 1 #\n; DELETE FROM customers', why: '# comment, then a second statement' },
  { sql: 'SELECT 1--1; DELETE FROM customers', why: '1--1 is arithmetic, not a comment' },
  { sql: "SELECT 'a\\\\'; DELETE FROM customers; -- '", why: 'an escaped backslash ends the string early' },
  { sql: 'SELECT "x"; DELETE FROM customers', why: 'a double-quoted string, then DELETE' },
  { sql: 'SELECT 1 /* unterminated DELETE FROM customers', why: 'an unterminated comment', expect: SE },
  { sql: 'SELECT 1 */ DELETE FROM customers', why: 'a stray comment end', expect: [NR, SE] },
  { sql: 'SELECT 1\\G DELETE FROM customers', why: "the client's \\G terminator", expect: [SE, NR] },
  { sql: 'SELECT 1 --\u0001; DELETE FROM customers', why: 'a control character after --', expect: [SE, NR] },
  { sql: 'SELECT 1\u0000; DELETE FROM customers', why: 'a NUL byte', expect: SE },
  // Statements MySQL has and reads do not need.
  { sql: 'HANDLER customers OPEN', why: 'HANDLER' },
  { sql: 'DO SLEEP(30)', why: 'DO' },
  { sql: 'DO RELEASE_ALL_LOCKS()', why: 'DO RELEASE_ALL_LOCKS' },
  { sql: 'CALL sneaky_proc()', why: 'CALL a procedure that deletes' },
  { sql: "PREPARE s FROM 'DELETE FROM customers'", why: 'PREPARE' },
  { sql: 'EXECUTE s', why: 'EXECUTE' },
  { sql: 'FLUSH TABLES', why: 'FLUSH TABLES' },
  { sql: 'FLUSH PRIVILEGES', why: 'FLUSH PRIVILEGES' },
  { sql: 'KILL 1', why: 'KILL' },
  { sql: "INSTALL PLUGIN evil SONAME 'evil.so'", why: 'INSTALL PLUGIN' },
  { sql: "LOAD DATA INFILE '/etc/hostname' INTO TABLE customers", why: 'LOAD DATA INFILE' },
  { sql: "LOAD DATA LOCAL INFILE '/etc/hostname' INTO TABLE customers", why: 'LOAD DATA LOCAL INFILE' },
  { sql: "REPLACE INTO customers (id, name) VALUES (1, 'pwned')", why: 'REPLACE' },
  { sql: "INSERT INTO customers (id, name) VALUES (1, 'x') ON DUPLICATE KEY UPDATE name = 'pwned'", why: 'INSERT … ON DUPLICATE KEY UPDATE' },
  { sql: "UPDATE customers c JOIN orders o ON o.customer_id = c.id SET c.name = 'pwned'", why: 'multi-table UPDATE' },
  { sql: 'DELETE c FROM customers c JOIN orders o ON o.customer_id = c.id', why: 'multi-table DELETE' },
  { sql: "WITH x AS (SELECT 1) UPDATE customers SET name = 'pwned'", why: 'WITH … UPDATE (MySQL 8)', expect: [NR, SE] },
  { sql: 'CREATE DATABASE evil_db', why: 'CREATE DATABASE' },
  { sql: "CREATE USER evil IDENTIFIED BY 'x'", why: 'CREATE USER' },
  { sql: "GRANT ALL ON *.* TO 'evil'@'%'", why: 'GRANT' },
  { sql: 'RENAME TABLE customers TO people', why: 'RENAME TABLE' },
  { sql: 'ANALYZE SELECT * FROM customers', why: "MariaDB's ANALYZE SELECT executes" },
  { sql: 'ANALYZE TABLE customers', why: 'ANALYZE TABLE' },
  { sql: 'OPTIMIZE TABLE customers', why: 'OPTIMIZE TABLE' },
  { sql: 'EXPLAIN ANALYZE SELECT * FROM customers', why: 'EXPLAIN ANALYZE executes' },
  { sql: 'EXPLAIN FOR CONNECTION 1', why: 'EXPLAIN FOR CONNECTION' },
  { sql: 'EXPLAIN DELETE FROM customers', why: 'EXPLAIN of a DELETE' },
  { sql: 'DESCRIBE DELETE FROM customers', why: 'DESCRIBE of a DELETE' },
  { sql: 'SELECT * FROM customers PROCEDURE ANALYSE()', why: 'PROCEDURE ANALYSE' },
  // SHOW forms that expose other sessions, credentials or server internals.
  { sql: 'SHOW PROCESSLIST', why: 'SHOW PROCESSLIST' },
  { sql: 'SHOW FULL PROCESSLIST', why: 'SHOW FULL PROCESSLIST' },
  { sql: 'SHOW GRANTS', why: 'SHOW GRANTS' },
  { sql: 'SHOW ENGINE INNODB STATUS', why: 'SHOW ENGINE INNODB STATUS' },
  { sql: 'SHOW BINLOG EVENTS', why: 'SHOW BINLOG EVENTS' },
  // Credential tables.
  { sql: 'SELECT * FROM mysql.user', why: 'password hashes in mysql.user', expect: 'PERMISSION_DENIED' },
  { sql: 'SELECT * FROM mysql.global_priv', why: 'password hashes in mysql.global_priv', expect: 'PERMISSION_DENIED' },
  { sql: 'SELECT c.name FROM customers c JOIN `mysql`.`user` u ON u.User = c.name', why: 'mysql.user joined, back-quoted', expect: 'PERMISSION_DENIED' },
  // Only the read-only transaction can see this one (the view hides the function): the session refuses
  // the write; explain plans it without running it.
  { sql: 'SELECT * FROM v_sneaky', why: 'a view over a function that writes', explain: false },
];

export const LEGIT_MYSQL: LegitCase[] = [
  { sql: 'SELECT status, COUNT(*) AS n, SUM(total) FROM orders GROUP BY status WITH ROLLUP', why: 'GROUP BY … WITH ROLLUP' },
  {
    sql: 'SELECT customer_id, total, SUM(total) OVER (PARTITION BY customer_id ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running FROM orders',
    why: 'window frame',
  },
  { sql: 'SELECT id, LAG(total) OVER w AS prev, RANK() OVER w AS r FROM orders WINDOW w AS (ORDER BY id)', why: 'named window' },
  {
    sql: 'WITH RECURSIVE d (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM d WHERE n < 31) SELECT n, DATE_ADD(DATE(\'2024-01-01\'), INTERVAL n - 1 DAY) AS day FROM d',
    why: 'recursive CTE of dates',
  },
  { sql: "SELECT JSON_EXTRACT(JSON_OBJECT('name', name, 'id', id), '$.name') AS j FROM customers", why: 'JSON_EXTRACT' },
  { sql: "SELECT JSON_UNQUOTE(JSON_EXTRACT('{\"a\": {\"b\": 2}}', '$.a.b')) AS b", why: 'JSON_UNQUOTE' },
  { sql: 'SELECT JSON_ARRAYAGG(id) AS ids, JSON_OBJECTAGG(id, name) AS names FROM customers', why: 'JSON aggregates' },
  { sql: "SELECT * FROM JSON_TABLE('[{\"x\": 1}, {\"x\": 2}]', '$[*]' COLUMNS (x INT PATH '$.x')) AS t", why: 'JSON_TABLE' },
  { sql: "SELECT DATE_FORMAT(placed_at, '%Y-%m') AS month, SUM(total) FROM orders GROUP BY month ORDER BY month", why: 'DATE_FORMAT grouping' },
  { sql: "SELECT GROUP_CONCAT(name ORDER BY name SEPARATOR ', ') AS names FROM customers", why: 'GROUP_CONCAT' },
  { sql: 'SELECT COUNT(*) FROM numbers WHERE n MOD 7 = 0', why: 'MOD operator' },
  { sql: "SELECT name FROM customers WHERE name SOUNDS LIKE 'Ada'", why: 'SOUNDS LIKE' },
  { sql: 'SELECT 1--1 AS two', why: '1--1 is arithmetic' },
  { sql: 'SELECT id FROM customers # a hash comment', why: '# comment' },
  { sql: "SELECT 'it''s', 'a\\'b', \"dq\" AS s", why: 'quote doubling, backslash escape, double-quoted string' },
  { sql: "SELECT 'x' /* ; DELETE FROM customers */ AS s", why: 'a comment holding DML' },
  { sql: 'SELECT 1 AS `delete`, 2 AS `from`', why: 'keywords as back-quoted identifiers' },
  { sql: 'SELECT * FROM orders FORCE INDEX (orders_customer_idx) WHERE customer_id = 2', why: 'index hint' },
  { sql: 'SELECT c.name, o.total FROM customers c STRAIGHT_JOIN orders o ON o.customer_id = c.id', why: 'STRAIGHT_JOIN' },
  { sql: 'SELECT name FROM customers WHERE id = ?', why: 'a bound parameter', params: [2] },
  { sql: 'SELECT ? AS p', why: 'a hostile-looking parameter value', params: ["x'; DROP TABLE customers; --"] },
  { sql: 'SELECT * FROM orders LIMIT ?, ?', why: 'LIMIT with parameters', params: [1, 2] },
  { sql: 'SELECT @@version AS v, DATABASE() AS d, CURRENT_USER() AS u', why: 'system variables and session functions' },
  { sql: 'SELECT TABLE_NAME, TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()', why: 'information_schema' },
  { sql: 'SHOW TABLES', why: 'SHOW TABLES' },
  { sql: 'SHOW FULL TABLES', why: 'SHOW FULL TABLES' },
  { sql: 'SHOW COLUMNS FROM customers', why: 'SHOW COLUMNS' },
  { sql: 'SHOW INDEX FROM orders', why: 'SHOW INDEX' },
  { sql: 'SHOW CREATE TABLE orders', why: 'SHOW CREATE TABLE' },
  { sql: 'SHOW TABLE STATUS', why: 'SHOW TABLE STATUS' },
  { sql: "SHOW VARIABLES LIKE 'version%'", why: 'SHOW VARIABLES' },
  { sql: 'DESCRIBE customers', why: 'DESCRIBE' },
  { sql: 'DESC orders', why: 'DESC' },
  { sql: 'EXPLAIN SELECT * FROM orders WHERE customer_id = 1', why: 'EXPLAIN SELECT' },
  { sql: 'EXPLAIN FORMAT=JSON SELECT c.name FROM customers c JOIN orders o ON o.customer_id = c.id', why: 'EXPLAIN FORMAT=JSON' },
];
