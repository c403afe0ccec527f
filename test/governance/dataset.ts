/**
 * The governance suite's dataset, the same on every engine: `customers` with two withheld columns (`ssn`
 * by name, `email` by the pattern `*email*`), `orders` without any, a hidden table `secrets`, a view that
 * shows only permitted columns and two views that expose withheld ones. Each engine gets a database or
 * file of its own; the raw values are distinctive so that a leak in any encoding is found.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { DuckDBInstance } from '@duckdb/node-api';
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { Engine } from '../../src/connectors/types.js';
import { createTempMysqlDatabase, createTempPgDatabase, requireService } from '../helpers/services.js';

export const SSNS = ['901-55-1234', '902-66-2345', '903-77-3456'];
export const EMAILS = ['ada.lovelace@analytical.example', 'grace.hopper@cobol.example', 'linus.t@kernel.example'];
export const TOKENS = ['tok_live_5f3e9a', 'tok_live_8c1d7b'];

/** What a response must never contain: the raw values, and their digits or local parts on their own. */
export const RAW = [...SSNS, ...SSNS.map((s) => s.replace(/-/g, '')), ...EMAILS, ...EMAILS.map((e) => e.split('@')[0]!), ...TOKENS];

const rows = [
  [1, 'Ada', SSNS[0], EMAILS[0], 'UK'],
  [2, 'Grace', SSNS[1], EMAILS[1], 'US'],
  [3, 'Linus', SSNS[2], EMAILS[2], 'FI'],
] as const;

function statements(engine: Engine): string[] {
  const text = engine === 'mysql' ? 'varchar(100)' : 'text';
  const customers = rows.map((r) => `(${r[0]}, '${r[1]}', '${r[2]}', '${r[3]}', '${r[4]}')`).join(', ');
  return [
    `create table customers (id integer primary key, name ${text} not null, ssn ${text} not null, email ${text}, country ${text} not null)`,
    `insert into customers values ${customers}`,
    `create table orders (id integer primary key, customer_id integer not null, total integer not null, status ${text} not null)`,
    `insert into orders values (1, 1, 1250, 'paid'), (2, 1, 990, 'paid'), (3, 2, 15000, 'refunded'), (4, 3, 4200, 'paid')`,
    `create table secrets (id integer primary key, token ${text} not null)`,
    `insert into secrets values (1, '${TOKENS[0]}'), (2, '${TOKENS[1]}')`,
    `create view customer_directory as select id, name, country from customers`,
    `create view customer_export as select id, name, ssn as tax_id from customers`,
    `create view secret_count as select count(*) as n, max(token) as latest from secrets`,
  ];
}

export interface GovernedDatabase {
  engine: Engine;
  url: string;
  password?: string | undefined;
  /** The schema (database for MySQL) the tables live in. */
  schema: string;
  destroy(): Promise<void>;
}

export async function createGoverned(engine: Engine): Promise<GovernedDatabase | null> {
  const sql = statements(engine);
  if (engine === 'postgres') {
    if (!(await requireService('postgres', 'governance suite (PostgreSQL)'))) return null;
    const db = await createTempPgDatabase('sequel_gov');
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      for (const s of sql) await c.query(s);
      await c.query('analyze');
    } finally {
      await c.end();
    }
    return { engine, url: db.url, schema: 'public', destroy: () => db.drop() };
  }
  if (engine === 'mysql') {
    if (!(await requireService('mysql', 'governance suite (MySQL/MariaDB)'))) return null;
    const db = await createTempMysqlDatabase('sequel_gov');
    const c = await mysql.createConnection({ uri: db.url });
    try {
      for (const s of sql) await c.query(s);
    } finally {
      await c.end();
    }
    return { engine, url: db.url, schema: db.name, destroy: () => db.drop() };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `sequel-gov-${engine}-`));
  if (engine === 'sqlite') {
    const file = path.join(dir, 'gov.sqlite');
    const d = new Database(file);
    for (const s of sql) d.exec(s);
    d.close();
    return { engine, url: file, schema: 'main', destroy: async () => fs.rmSync(dir, { recursive: true, force: true }) };
  }
  const file = path.join(dir, 'gov.duckdb');
  const inst = await DuckDBInstance.create(file);
  const c = await inst.connect();
  for (const s of sql) await c.run(s);
  await c.run('checkpoint');
  c.closeSync();
  inst.closeSync();
  return { engine, url: file, schema: 'main', destroy: async () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** The policy every engine's source gets: the two withheld columns, the hidden table. */
export const POLICY = { hiddenTables: ['secrets'], hiddenColumns: ['customers.ssn', '*email*'] };

/** The masking source's policy: the same columns masked (last four) and hashed instead of hidden. */
export const MASK_POLICY = {
  hiddenTables: ['secrets'],
  maskedColumns: [
    { column: 'customers.ssn', mode: 'mask' as const },
    { column: '*email*', mode: 'hash' as const },
  ],
};

/**
 * Statements that try to read withheld column `col` of `customers` (≥ 30 per column per engine): names in
 * every position, aliases, CTEs, subqueries, `*` and `t.*`, whole-row values, functions, unions, window
 * functions, lateral joins, JSON aggregation, concatenation, CASE, casts, the exposing view, the catalog.
 */
export function hostile(engine: Engine, col: string, schema: string): string[] {
  const q = (n: string) => (engine === 'mysql' ? `\`${n}\`` : `"${n}"`);
  const concat = (a: string, b: string) => (engine === 'mysql' ? `CONCAT(${a}, ${b})` : `${a} || ${b}`);
  const agg = engine === 'mysql' ? `GROUP_CONCAT(${col})` : engine === 'sqlite' ? `group_concat(${col})` : `string_agg(${col}, ',')`;
  const castText = engine === 'mysql' ? 'CHAR(100)' : engine === 'postgres' ? 'text' : engine === 'duckdb' ? 'VARCHAR' : 'TEXT';
  const list: string[] = [
    `SELECT ${col} FROM customers`,
    `SELECT ${col.toUpperCase()} FROM customers`,
    `SELECT ${q(col)} FROM customers`,
    `SELECT c.${col} FROM customers c`,
    `SELECT customers.${col} FROM customers`,
    `SELECT ${col} FROM ${schema === 'main' && engine === 'sqlite' ? 'main' : q(schema)}.customers`,
    `SELECT ${col} AS harmless FROM customers`,
    `SELECT upper(${col}) FROM customers`,
    `SELECT substr(${col}, 1, 20) FROM customers`,
    `SELECT * FROM customers`,
    `SELECT c.* FROM customers c`,
    `SELECT o.id, c.* FROM orders o JOIN customers c ON c.id = o.customer_id`,
    `WITH x AS (SELECT ${col} AS v FROM customers) SELECT v FROM x`,
    `WITH x AS (SELECT * FROM customers) SELECT * FROM x`,
    `SELECT v FROM (SELECT ${col} AS v FROM customers) s`,
    `SELECT * FROM (SELECT * FROM customers) s`,
    `SELECT (SELECT ${col} FROM customers c2 WHERE c2.id = o.customer_id) FROM orders o`,
    `SELECT name FROM customers UNION ALL SELECT ${col} FROM customers`,
    `SELECT max(${col}) OVER (PARTITION BY country) FROM customers`,
    `SELECT name, first_value(${col}) OVER (ORDER BY id) FROM customers`,
    `SELECT max(${col}) FROM customers`,
    `SELECT ${agg} FROM customers`,
    `SELECT ${concat('name', col)} FROM customers`,
    `SELECT CASE WHEN ${col} IS NOT NULL THEN ${col} ELSE 'none' END FROM customers`,
    `SELECT CAST(${col} AS ${castText}) FROM customers`,
    `SELECT name FROM customers WHERE ${col} LIKE '9%'`,
    `SELECT name FROM customers ORDER BY ${col}`,
    `SELECT ${col}, count(*) FROM customers GROUP BY ${col}`,
    `SELECT * FROM customers NATURAL JOIN orders`,
    `SELECT name FROM customers WHERE id = 1 UNION SELECT ${col} FROM customers WHERE id = 1`,
    `SELECT * FROM customer_export`,
    `SELECT tax_id FROM customer_export`,
    `SELECT * FROM secrets`,
    `SELECT token FROM secrets`,
    `SELECT latest FROM secret_count`,
  ];
  if (engine === 'postgres') {
    list.push(
      `SELECT c FROM customers c`,
      `SELECT customers FROM customers`,
      `SELECT row_to_json(c) FROM customers c`,
      `SELECT to_jsonb(customers) FROM customers`,
      `SELECT json_agg(c) FROM customers c`,
      `SELECT c::text FROM customers c`,
      `SELECT (c).* FROM customers c`,
      `SELECT ${col}(c) FROM customers c`,
      `SELECT x4 FROM customers AS c(x1, x2, x3, x4)`,
      `TABLE customers`,
      `SELECT o.id, l.v FROM orders o CROSS JOIN LATERAL (SELECT ${col} AS v FROM customers c WHERE c.id = o.customer_id) l`,
      `SELECT json_build_object('v', ${col}) FROM customers`,
      `SELECT format('%s', c) FROM customers c`,
      `SELECT most_common_vals::text FROM pg_stats WHERE tablename = 'customers'`,
      `SELECT most_common_vals::text FROM pg_catalog.pg_stats`,
      `SELECT column_name FROM information_schema.columns WHERE table_name = 'customers'`,
      `SELECT pg_get_viewdef('customer_export'::regclass)`,
    );
  } else if (engine === 'duckdb') {
    list.push(
      `SELECT c FROM customers c`,
      `SELECT customers FROM customers`,
      `SELECT to_json(c) FROM customers c`,
      `SELECT struct_extract(c, 3) FROM customers c`,
      `SELECT COLUMNS('.*') FROM customers`,
      `SELECT COLUMNS(*) FROM customers`,
      `SELECT #3 FROM customers`,
      `SELECT x4 FROM customers AS c(x1, x2, x3, x4)`,
      `FROM customers`,
      `SELECT * EXCLUDE (name) FROM customers`,
      `SELECT o.id, l.v FROM orders o, LATERAL (SELECT ${col} AS v FROM customers c WHERE c.id = o.customer_id) l`,
      `SELECT json_group_array(${col}) FROM customers`,
      `SELECT * FROM duckdb_columns()`,
      `DESCRIBE customers`,
      `SUMMARIZE customers`,
      `SELECT * FROM query_table('customers')`,
    );
  } else if (engine === 'mysql') {
    list.push(
      `SELECT JSON_ARRAYAGG(${col}) FROM customers`,
      `SELECT JSON_OBJECT('v', ${col}) FROM customers`,
      `TABLE customers`,
      `SELECT * FROM customers c JOIN orders o USING (id)`,
      `SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_NAME = 'customers'`,
      `SHOW COLUMNS FROM customers`,
      `DESCRIBE customers`,
      `SELECT name FROM customers WHERE ${col} REGEXP '^9'`,
    );
  } else {
    list.push(
      `SELECT json_group_array(${col}) FROM customers`,
      `SELECT json_object('v', ${col}) FROM customers`,
      `SELECT * FROM sqlite_schema`,
      `SELECT name FROM pragma_table_info('customers')`,
      `PRAGMA table_info(customers)`,
      `SELECT name FROM customers WHERE ${col} GLOB '9*'`,
    );
  }
  return list;
}

/** Ordinary analyst statements on the same tables that never touch a withheld column: they must work. */
export function analyst(engine: Engine): Array<{ sql: string; rows: number }> {
  const list = [
    { sql: 'SELECT name, country FROM customers ORDER BY id', rows: 3 },
    { sql: 'SELECT country, count(*) AS n FROM customers GROUP BY country ORDER BY country', rows: 3 },
    { sql: 'SELECT c.name, sum(o.total) AS spent FROM customers c JOIN orders o ON o.customer_id = c.id GROUP BY c.name ORDER BY c.name', rows: 3 },
    { sql: 'SELECT * FROM orders ORDER BY id', rows: 4 },
    { sql: 'SELECT o.* FROM orders o WHERE o.total > 1000', rows: 3 },
    { sql: 'WITH t AS (SELECT name FROM customers) SELECT count(*) FROM t', rows: 1 },
    { sql: 'SELECT name FROM customers WHERE id IN (SELECT customer_id FROM orders WHERE status = \'paid\') ORDER BY name', rows: 2 },
    { sql: 'SELECT * FROM customer_directory ORDER BY id', rows: 3 },
    { sql: 'SELECT name, row_number() OVER (ORDER BY name) AS rn FROM customers', rows: 3 },
    { sql: 'SELECT count(*) FROM customers', rows: 1 },
    { sql: 'SELECT status, count(*) FROM orders GROUP BY status ORDER BY status', rows: 2 },
  ];
  if (engine === 'postgres' || engine === 'duckdb') {
    list.push({ sql: 'SELECT o.id, l.name FROM orders o CROSS JOIN LATERAL (SELECT name FROM customers c WHERE c.id = o.customer_id) l ORDER BY o.id', rows: 4 });
  }
  return list;
}
