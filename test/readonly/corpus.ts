/**
 * The hostile corpus: statements that must never change anything, run through every engine's connector
 * while it is connected as the most privileged user (`readonly.test.ts`). Shared entries live here;
 * engine-specific ones in `corpus-<engine>.ts`. The legitimate set must all pass (no false refusals).
 */
import type { Engine } from '../../src/connectors/types.js';
import type { ToolErrorCode } from '../../src/errors.js';

export interface HostileCase {
  sql: string;
  /** What the statement tries (DML, writable CTE, comment trick…), for the test name. */
  why: string;
  /** Engines it applies to; all when absent. */
  engines?: Engine[];
  /** The refusal expected; NOT_READ_ONLY when absent. SYNTAX_ERROR only where the text cannot parse. */
  expect?: ToolErrorCode | ToolErrorCode[];
  params?: unknown[];
  /**
   * Whether to also send it through `explain` (expecting the same refusal). Default true; false for
   * cases only the read-only session catches at execution (explain never executes, so it rightly plans them).
   */
  explain?: boolean;
}

export interface LegitCase {
  sql: string;
  why: string;
  engines?: Engine[];
  params?: unknown[];
}

/**
 * Hostile statements in SQL every engine parses (or refuses as a syntax error where marked). Table names
 * are the standard dataset's (test/connectors/fixture.ts). Engine-specific tricks live in
 * `corpus-<engine>.ts`.
 */
export const HOSTILE_SHARED: HostileCase[] = [
  // Plain writes.
  { sql: "INSERT INTO customers (id, name) VALUES (99, 'Mallory')", why: 'INSERT' },
  { sql: 'INSERT INTO customers SELECT id + 100, name, email, created_at FROM customers', why: 'INSERT … SELECT' },
  { sql: "UPDATE customers SET name = 'pwned'", why: 'UPDATE' },
  { sql: "UPDATE customers SET name = 'pwned' WHERE id IN (SELECT id FROM customers)", why: 'UPDATE with a subquery' },
  { sql: 'DELETE FROM orders', why: 'DELETE' },
  { sql: '  \n\tdElEtE\nFROM orders', why: 'DELETE in odd case and whitespace' },
  // DDL.
  { sql: 'DROP TABLE numbers', why: 'DROP TABLE' },
  { sql: 'DROP VIEW order_totals', why: 'DROP VIEW' },
  { sql: 'DROP TABLE IF EXISTS no_such_table_sequel', why: 'DROP of nothing is still DDL' },
  { sql: 'CREATE TABLE evil (id integer)', why: 'CREATE TABLE' },
  { sql: 'CREATE TABLE evil AS SELECT * FROM customers', why: 'CREATE TABLE AS' },
  { sql: 'CREATE TEMPORARY TABLE evil (id integer)', why: 'CREATE TEMPORARY TABLE' },
  { sql: 'CREATE VIEW evil AS SELECT 1 AS x', why: 'CREATE VIEW' },
  { sql: 'CREATE INDEX evil_idx ON customers (name)', why: 'CREATE INDEX' },
  { sql: 'ALTER TABLE customers ADD COLUMN evil integer', why: 'ALTER TABLE ADD COLUMN' },
  { sql: 'ALTER TABLE customers RENAME TO people', why: 'ALTER TABLE RENAME' },
  { sql: 'TRUNCATE TABLE orders', why: 'TRUNCATE', expect: ['NOT_READ_ONLY', 'SYNTAX_ERROR'] },
  // More than one statement.
  { sql: 'SELECT 1; DROP TABLE customers', why: 'a read then DROP' },
  { sql: 'SELECT 1; DELETE FROM customers', why: 'a read then DELETE' },
  { sql: 'COMMIT; DROP TABLE customers', why: 'COMMIT out of the wrapper, then DROP' },
  { sql: 'ROLLBACK; DELETE FROM customers', why: 'ROLLBACK out of the wrapper, then DELETE' },
  { sql: 'SELECT 1;;DELETE FROM customers', why: 'empty statement between' },
  { sql: 'SELECT 1; DELETE FROM customers --', why: 'trailing -- swallowing a wrapper COMMIT' },
  { sql: 'DELETE FROM customers --', why: 'a write with a trailing -- comment' },
  { sql: "SELECT 1 --\n; UPDATE customers SET name = 'x'", why: 'line comment then a second statement' },
  // Comments.
  { sql: "/* harmless */ UPDATE customers SET name = 'pwned'", why: 'leading block comment' },
  { sql: '-- just a comment\nDELETE FROM customers', why: 'leading line comment' },
  { sql: '/* a /* nested */ comment */ DELETE FROM customers', why: 'nested comments', expect: ['NOT_READ_ONLY', 'SYNTAX_ERROR'] },
  { sql: 'SELECT 1 /* ; DELETE FROM customers */; DELETE FROM orders', why: 'a comment hiding a separator, then DELETE' },
  // Writable CTEs.
  {
    sql: 'WITH x AS (DELETE FROM customers RETURNING *) SELECT * FROM x',
    why: 'data-modifying CTE',
    expect: ['NOT_READ_ONLY', 'SYNTAX_ERROR'],
  },
  { sql: 'WITH a AS (SELECT 1 AS x) DELETE FROM customers', why: 'WITH … DELETE', expect: ['NOT_READ_ONLY', 'SYNTAX_ERROR'] },
  // Transaction control.
  { sql: 'BEGIN', why: 'BEGIN' },
  { sql: 'COMMIT', why: 'COMMIT' },
  { sql: 'ROLLBACK', why: 'ROLLBACK' },
  { sql: 'SAVEPOINT s1', why: 'SAVEPOINT', expect: ['NOT_READ_ONLY', 'SYNTAX_ERROR'] },
];

/** Reads that every engine must allow (no false refusals). */
export const LEGIT_SHARED: LegitCase[] = [
  { sql: 'SELECT * FROM customers', why: 'plain SELECT' },
  { sql: 'SELECT * FROM customers;', why: 'trailing semicolon' },
  { sql: '/* leading comment */ SELECT id FROM customers', why: 'leading block comment' },
  { sql: '-- leading line comment\nSELECT id FROM customers', why: 'leading line comment' },
  { sql: 'SELECT id FROM customers -- trailing comment', why: 'trailing line comment' },
  { sql: "SELECT 'DELETE FROM customers; DROP TABLE orders' AS s", why: 'DML inside a string literal' },
  { sql: 'SELECT 1 AS "select", 2 AS "delete"', why: 'keywords as quoted identifiers' },
  { sql: 'SELECT c.name, COUNT(o.id) AS n FROM customers c LEFT JOIN orders o ON o.customer_id = c.id GROUP BY c.name ORDER BY n DESC', why: 'join + aggregate' },
  { sql: 'SELECT name FROM customers WHERE id IN (SELECT customer_id FROM orders WHERE total > 10)', why: 'subquery' },
  { sql: 'SELECT CASE WHEN id = 1 THEN 1 ELSE 0 END AS c FROM customers', why: 'CASE' },
  { sql: 'WITH big AS (SELECT * FROM orders WHERE total > 10) SELECT COUNT(*) FROM big', why: 'CTE' },
  {
    sql: 'WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 10) SELECT SUM(n) FROM r',
    why: 'recursive CTE',
  },
  { sql: 'SELECT id FROM customers UNION SELECT customer_id FROM orders', why: 'UNION' },
  { sql: 'SELECT id, ROW_NUMBER() OVER (ORDER BY id DESC) AS rn FROM customers', why: 'window function' },
  { sql: 'SELECT * FROM order_totals', why: 'a view' },
  { sql: 'SELECT COUNT(*) FROM numbers WHERE n % 7 = 0', why: 'aggregate over the big table' },
  { sql: 'SELECT n FROM numbers ORDER BY n DESC LIMIT 5', why: 'ORDER BY … LIMIT' },
];
