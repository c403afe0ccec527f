/**
 * A PostgreSQL source connected as a superuser, end to end through MCP: the known read-only escapes of
 * published database MCP servers (BRIEF §3) stay refused and change nothing, values keep their meaning,
 * and a 200,000-row table answers within the caps with flat memory.
 */
import type { Client } from '@modelcontextprotocol/client';
import pg from 'pg';
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, startTestServer, type TestServer } from '../helpers/server.js';
import { createTempPgDatabase, requireService, type TempDatabase } from '../helpers/services.js';

const pgUp = await requireService('postgres', 'MCP over a PostgreSQL source');

let ts: TestServer;
let db: TempDatabase;
let client: Client;

async function admin<T = unknown>(sql: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  try {
    return (await c.query(sql)).rows as T[];
  } finally {
    await c.end();
  }
}

async function snapshot(): Promise<string> {
  const rows = await admin<{ s: string }>(`
    select md5(string_agg(x, ',' order by x)) as s from (
      select table_schema || '.' || table_name as x from information_schema.tables where table_schema not in ('pg_catalog', 'information_schema')
      union all select 'accounts:' || md5(string_agg(a::text, ',' order by id)) from accounts a
      union all select 'roles:' || string_agg(rolname || rolsuper::text, ',' order by rolname) from pg_roles where rolname !~ '^sequel_'
      union all select 'seq:' || last_value::text from accounts_id_seq
    ) t`);
  return rows[0]!.s;
}

beforeAll(async () => {
  if (!pgUp) return;
  db = await createTempPgDatabase('sequel_mcp');
  await admin(`
    create table accounts (id bigserial primary key, email text not null, balance numeric(20,4) not null, big bigint not null,
      opened date not null, seen timestamptz not null, raw bytea, meta jsonb, tags text[]);
    comment on table accounts is 'Customer accounts';
    insert into accounts (email, balance, big, opened, seen, raw, meta, tags) values
      ('ada@example.com', 12345678901234.5678, 9223372036854775807, '2024-02-29', '2024-03-01 12:34:56.789012+00', '\\xdeadbeef', '{"plan":"pro","n":1}', '{a,b}');
    create table big as select g as id, md5(g::text) as payload from generate_series(1, 200000) g;
  `);
  ts = await startTestServer({ demo: false });
  await ts.source('acme', { name: 'pg', engine: 'postgres', url: db.url });
  client = await connectClient(ts.mcpUrl, (await ts.key('acme')).key);
});

afterAll(async () => {
  await client?.close();
  await ts?.close();
  await db?.drop();
});

type R = { isError?: boolean; structuredContent?: Record<string, unknown> };
const call = async (name: string, args: Record<string, unknown>) => (await client.callTool({ name, arguments: args })) as R;

describe.skipIf(!pgUp)('PostgreSQL source as superuser, through MCP', () => {
  const escapes = [
    'COMMIT; DROP TABLE accounts',
    'select 1; drop table accounts',
    'WITH x AS (DELETE FROM accounts RETURNING *) SELECT * FROM x',
    "select 1 -- \n; update accounts set email = 'x'",
    "/* harmless */ UPDATE accounts SET email = 'pwned'",
    "-- comment\nDELETE FROM accounts",
    "select 1 --",
    'SET TRANSACTION READ WRITE',
    "select * from pg_read_file('/etc/passwd')",
    'select pg_read_file(\'/etc/passwd\')',
    'SELECT * INTO stolen FROM accounts',
    'select nextval(\'accounts_id_seq\')',
    "select set_config('default_transaction_read_only', 'off', false)",
    'select * from accounts for update',
    'CREATE ROLE evil SUPERUSER',
    'EXPLAIN ANALYZE DELETE FROM accounts',
  ];

  it('refuses every known escape through run_query and explain_query, and nothing changes', async () => {
    const before = await snapshot();
    for (const sql of escapes) {
      const r = await call('run_query', { source: 'pg', sql });
      // `select 1 --` is a legitimate read (the comment swallows nothing inside Sequel's own wrapper).
      if (sql === 'select 1 --') {
        expect(r.isError, sql).toBeFalsy();
        continue;
      }
      expect(r.isError, sql).toBe(true);
      expect(['NOT_READ_ONLY', 'SYNTAX_ERROR'], sql).toContain((r.structuredContent!.error as { code: string }).code);
      const e = await call('explain_query', { source: 'pg', sql });
      expect(e.isError, `explain ${sql}`).toBe(true);
    }
    expect(await snapshot()).toBe(before);
  });

  it('keeps exact numbers, ISO times, base64 bytes and JSON', async () => {
    const r = await call('run_query', { source: 'pg', sql: 'select balance, big, opened, seen, raw, meta, tags from accounts where email = $1', params: ['ada@example.com'] });
    expect(r.isError).toBeFalsy();
    const row = (r.structuredContent!.rows as unknown[][])[0]!;
    expect(row[0]).toBe('12345678901234.5678');
    expect(row[1]).toBe('9223372036854775807');
    expect(row[2]).toBe('2024-02-29');
    expect(String(row[3])).toMatch(/^2024-03-01T12:34:56\.789012(Z|\+00:00)$/);
    expect(row[4]).toBe(Buffer.from('deadbeef', 'hex').toString('base64'));
    expect(row[5]).toEqual({ plan: 'pro', n: 1 });
    expect(row[6]).toEqual(['a', 'b']);
    const cols = (r.structuredContent!.columns as Array<{ type: string }>).map((c) => c.type);
    expect(cols[0]).toMatch(/numeric/);
    expect(cols[1]).toBe('bigint');
  });

  it('answers SELECT * of 200,000 rows within the caps, with flat memory', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const first = await call('run_query', { source: 'pg', sql: 'select * from big' });
    expect(first.structuredContent).toMatchObject({ row_count: 200, truncated: true });
    gc();
    const baseline = process.memoryUsage().heapUsed;
    let peak = 0;
    for (let i = 0; i < 15; i++) {
      const r = await call('run_query', { source: 'pg', sql: 'select * from big', max_rows: 5000 });
      expect(r.structuredContent!.truncated).toBe(true);
      peak = Math.max(peak, process.memoryUsage().heapUsed - baseline);
    }
    gc();
    const after = process.memoryUsage().heapUsed - baseline;
    // 200,000 rows of ~40 bytes would be >8 MB as JS objects per call; the caps hold each answer to 256 KiB.
    expect(after).toBeLessThan(16 * 1024 * 1024);
    expect(peak).toBeLessThan(64 * 1024 * 1024);
  });

  it('describes a table with its database comment and a realistic row estimate', async () => {
    await admin('analyze accounts');
    const r = await call('describe_table', { source: 'pg', table: 'public.accounts' });
    const t = r.structuredContent!.table as { comment: string; columns: Array<{ name: string; primary_key: boolean; type: string }> };
    expect(t.comment).toBe('Customer accounts');
    expect(t.columns.find((c) => c.name === 'id')).toMatchObject({ primary_key: true, type: 'bigint' });
  });
});
