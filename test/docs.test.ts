/**
 * The README's least-privilege instructions, run as written: the PostgreSQL and MySQL GRANT blocks create
 * accounts that Sequel can read through (and only read through).
 */
import fs from 'node:fs';
import path from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConnector } from '../src/connectors/index.js';
import { DEFAULT_CONNECTION, type Connector } from '../src/connectors/types.js';
import { isToolError } from '../src/errors.js';
import { createTempMysqlDatabase, createTempPgDatabase, MYSQL_URL, requireService, type TempDatabase } from './helpers/services.js';

const pgUp = await requireService('postgres', "the README's PostgreSQL least-privilege role");
const README = fs.readFileSync(path.resolve(import.meta.dirname, '../README.md'), 'utf8');

/** The ```sql block that follows `label` in the README's least-privilege section. */
function sqlBlock(label: string): string {
  const section = README.slice(README.indexOf('### Least-privilege roles'));
  const at = section.indexOf(`${label}:`);
  const m = /```sql\n([\s\S]*?)```/.exec(section.slice(at));
  if (at < 0 || !m) throw new Error(`README has no SQL block after "${label}:"`);
  return m[1]!;
}

let db: TempDatabase;
let connector: Connector;
const role = `sequel_docs_reader_${Date.now().toString(36)}`;

beforeAll(async () => {
  if (!pgUp) return;
  db = await createTempPgDatabase('sequel_docs');
  const admin = new pg.Client({ connectionString: db.url });
  await admin.connect();
  try {
    await admin.query('create table visible (id int primary key, v text); insert into visible values (1, $$a$$)');
    const block = sqlBlock('PostgreSQL').replaceAll('sequel_reader', role).replaceAll('analytics', db.name).replaceAll("'…'", "'Reader-Password-1'");
    await admin.query(block);
    // Created after the grants: covered by ALTER DEFAULT PRIVILEGES.
    await admin.query('create table later (id int)');
  } finally {
    await admin.end();
  }
  const u = new URL(db.url);
  u.username = role;
  connector = await createConnector('postgres', { ...DEFAULT_CONNECTION, url: u.toString(), password: 'Reader-Password-1' });
});

afterAll(async () => {
  await connector?.close();
  await db?.drop();
  if (pgUp) {
    const c = new pg.Client({ connectionString: process.env.SEQUEL_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' });
    await c.connect();
    await c.query(`drop role if exists ${role}`).catch(() => undefined);
    await c.end();
  }
});

describe.skipIf(!pgUp)("README's PostgreSQL role", () => {
  it('reads every table, including ones created later, and nothing else', async () => {
    const caps = { maxRows: 10, maxBytes: 65536, timeoutMs: 5000 };
    expect((await connector.query('select v from visible', [], caps)).rows).toEqual([['a']]);
    expect((await connector.query('select count(*) from later', [], caps)).rows).toEqual([['0']]);
    const who = await connector.query('select current_user, current_setting($1)', ['default_transaction_read_only'], caps);
    expect(who.rows).toEqual([[role, 'on']]);
    const cat = await connector.introspect();
    expect(cat.tables.map((t) => t.name).sort()).toEqual(['later', 'visible']);
    await connector.query('delete from visible', [], caps).then(
      () => expect.fail('a write went through'),
      (err: unknown) => expect(isToolError(err) && err.code).toBe('NOT_READ_ONLY'),
    );
  });
});

const mysqlUp = await requireService('mysql', "the README's MySQL least-privilege user");

describe.skipIf(!mysqlUp)("README's MySQL user", () => {
  let mdb: TempDatabase;
  let reader: Connector;
  // Test-made accounts start with sequel_: the read-only corpus checksums every other account (test/connectors/fixtures/mysql.ts).
  const user = `sequel_rd_${Date.now().toString(36)}`;

  beforeAll(async () => {
    mdb = await createTempMysqlDatabase('sequel_docs');
    const admin = await mysql.createConnection({ uri: MYSQL_URL });
    try {
      await admin.query(`create table \`${mdb.name}\`.visible (id int primary key, v varchar(10))`);
      await admin.query(`insert into \`${mdb.name}\`.visible values (1, 'a')`);
      const block = sqlBlock('MySQL / MariaDB').replaceAll('sequel_reader', user).replaceAll('analytics', mdb.name).replaceAll("'…'", "'Reader-Password-1'");
      for (const stmt of block.split(';').map((s) => s.trim()).filter(Boolean)) await admin.query(stmt);
    } finally {
      await admin.end();
    }
    const u = new URL(mdb.url);
    u.username = user;
    reader = await createConnector('mysql', { ...DEFAULT_CONNECTION, url: u.toString(), password: 'Reader-Password-1' });
  });

  afterAll(async () => {
    await reader?.close();
    await mdb?.drop();
    const admin = await mysql.createConnection({ uri: MYSQL_URL });
    await admin.query(`drop user if exists '${user}'@'%'`).catch(() => undefined);
    await admin.end();
  });

  it('reads, and cannot write even past the guard (the grants alone refuse it)', async () => {
    const caps = { maxRows: 10, maxBytes: 65536, timeoutMs: 5000 };
    expect((await reader.query('select v from visible', [], caps)).rows).toEqual([['a']]);
    const admin = await mysql.createConnection({ uri: mdb.url.replace(/\/\/[^@]*@/, `//${user}:Reader-Password-1@`) });
    try {
      await expect(admin.query('delete from visible')).rejects.toThrow(/denied/i);
    } finally {
      await admin.end();
    }
  });
});
