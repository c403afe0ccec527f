/**
 * Per-person database identity (issue 11) on a real PostgreSQL: a source maps two members to two roles,
 * a row-level-security policy on the table shows each role its own rows, and the same statement through
 * the official MCP client returns different rows to each member. A member without a mapping is refused
 * where the source requires one; the role never outlives the call (the next caller on the same pooled
 * connection is the connecting account again). Roles are uniquely prefixed and dropped.
 */
import { randomBytes } from 'node:crypto';
import type { Client } from '@modelcontextprotocol/client';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, startTestServer, type TestServer } from '../helpers/server.js';
import { createTempMysqlDatabase, createTempPgDatabase, requireService, type TempDatabase } from '../helpers/services.js';

const pgUp = await requireService('postgres', 'per-person identity (PostgreSQL row-level security)');

const prefix = `sequel_gov_${randomBytes(4).toString('hex')}`;
const ALICE = `${prefix}_alice`;
const BOB = `${prefix}_bob`;

let ts: TestServer;
let db: TempDatabase;
const clients: Client[] = [];

async function admin<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

type R = { isError?: boolean; structuredContent: Record<string, unknown> };

describe.skipIf(!pgUp)('per-person identity on PostgreSQL', () => {
  let alice: Client;
  let bob: Client;
  let carol: Client;
  let keyClient: Client;

  beforeAll(async () => {
    db = await createTempPgDatabase('sequel_ident');
    await admin(db.url, async (c) => {
      await c.query(`create role ${ALICE} nologin`);
      await c.query(`create role ${BOB} nologin`);
      await c.query(`create table notes (id int primary key, owner text not null, body text not null)`);
      await c.query(`insert into notes values (1, '${ALICE}', 'alice one'), (2, '${ALICE}', 'alice two'), (3, '${BOB}', 'bob one')`);
      await c.query(`alter table notes enable row level security`);
      await c.query(`create policy own_notes on notes using (owner = current_user)`);
      await c.query(`grant select on notes to ${ALICE}, ${BOB}`);
    });
    ts = await startTestServer({ demo: false, env: { SEQUEL_RATE_LIMIT_PER_MINUTE: '100000' } });
    const org = await ts.org('ident');
    const user = async (email: string) => {
      const u = await ts.rt.store.users.create({ email, name: email, passwordHash: 'x' });
      await ts.rt.store.users.addMembership(org.id, u.id, 'member');
      return u;
    };
    const [a, b, c] = [await user(`alice-${prefix}@example.com`), await user(`bob-${prefix}@example.com`), await user(`carol-${prefix}@example.com`)];
    const key = await ts.key('ident', { name: 'robot' });
    await ts.source('ident', {
      name: 'notes',
      engine: 'postgres',
      url: db.url,
      policy: {
        identityRequired: true,
        identityRoles: [
          { member: a.email, role: ALICE },
          { member: b.email.toUpperCase(), role: BOB },
          { member: `key:${key.info.id}`, role: BOB },
        ],
      },
    });
    alice = await connectClient(ts.mcpUrl, (await ts.key('ident', { userId: a.id })).key);
    bob = await connectClient(ts.mcpUrl, (await ts.key('ident', { userId: b.id })).key);
    carol = await connectClient(ts.mcpUrl, (await ts.key('ident', { userId: c.id })).key);
    keyClient = await connectClient(ts.mcpUrl, key.key);
    clients.push(alice, bob, carol, keyClient);
  }, 120_000);

  afterAll(async () => {
    for (const c of clients) await c.close();
    await ts?.close();
    await db?.drop();
    // Roles are server-wide: drop them once their database (which holds their grants) is gone.
    await admin(process.env.SEQUEL_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres', async (c) => {
      await c.query(`drop role if exists ${ALICE}`);
      await c.query(`drop role if exists ${BOB}`);
    });
  });

  const run = async (client: Client, sql: string) => (await client.callTool({ name: 'run_query', arguments: { source: 'notes', sql } })) as R;

  it('gives two members different rows for the same statement, through row-level security', async () => {
    const sql = 'SELECT body, current_user AS who FROM notes ORDER BY id';
    const a = await run(alice, sql);
    const b = await run(bob, sql);
    expect(a.isError, JSON.stringify(a.structuredContent)).toBeFalsy();
    expect(a.structuredContent.rows).toEqual([
      ['alice one', ALICE],
      ['alice two', ALICE],
    ]);
    expect(b.structuredContent.rows).toEqual([['bob one', BOB]]);
    // Interleaved on the same pool, each call still runs as its own caller's role.
    const again = await Promise.all([run(alice, sql), run(bob, sql), run(alice, sql)]);
    expect(again.map((r) => (r.structuredContent.rows as unknown[][]).length)).toEqual([2, 1, 2]);
  });

  it('maps an API key to a role too, and explains as the caller', async () => {
    const r = await run(keyClient, 'SELECT count(*) FROM notes');
    expect(r.structuredContent.rows).toEqual([['1']]);
    const plan = (await alice.callTool({ name: 'explain_query', arguments: { source: 'notes', sql: 'SELECT body FROM notes' } })) as R;
    expect(plan.isError, JSON.stringify(plan.structuredContent)).toBeFalsy();
  });

  it('refuses a member without a mapping where the source requires one', async () => {
    const r = await run(carol, 'SELECT count(*) FROM notes');
    expect(r.structuredContent).toMatchObject({ error: { code: 'PERMISSION_DENIED' } });
    expect(String((r.structuredContent.error as { message: string }).message)).toMatch(/own database role/);
  });

  it('never lets a statement change or outlive the role', async () => {
    const r = await run(alice, "SELECT set_config('role', 'postgres', true)");
    expect(r.isError).toBe(true);
    const reset = await run(alice, 'RESET ROLE');
    expect(reset.isError).toBe(true);
    // After the calls above the pooled connections are back to the connecting account between calls:
    // the source's own catalog (read as that account) still sees the table.
    const search = (await alice.callTool({ name: 'search_schema', arguments: { source: 'notes', pattern: 'notes' } })) as R;
    expect(JSON.stringify(search.structuredContent)).toContain('notes');
    const who = await run(bob, 'SELECT current_user, session_user');
    expect((who.structuredContent.rows as unknown[][])[0]?.[0]).toBe(BOB);
  });
});

const mysqlUp = await requireService('mysql', 'per-person identity (MySQL/MariaDB roles)');

describe.skipIf(!mysqlUp)('per-person identity on MySQL/MariaDB', () => {
  const MYSQL_URL = process.env.SEQUEL_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';
  const svc = `${prefix}_svc`;
  const roleA = `${prefix}_ra`;
  const roleB = `${prefix}_rb`;
  const password = randomBytes(12).toString('hex');
  let mdb: TempDatabase;
  let mts: TestServer;
  let a: Client;
  let b: Client;
  let nobody: Client;

  async function root<T>(fn: (c: mysql.Connection) => Promise<T>): Promise<T> {
    const c = await mysql.createConnection({ uri: MYSQL_URL, multipleStatements: false });
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  }

  beforeAll(async () => {
    mdb = await createTempMysqlDatabase('sequel_ident');
    const d = `\`${mdb.name}\``;
    await root(async (c) => {
      await c.query(`create table ${d}.notes_a (body varchar(40))`);
      await c.query(`create table ${d}.notes_b (body varchar(40))`);
      await c.query(`create table ${d}.lobby (body varchar(40))`);
      await c.query(`insert into ${d}.notes_a values ('for role a')`);
      await c.query(`insert into ${d}.notes_b values ('for role b')`);
      await c.query(`insert into ${d}.lobby values ('everyone')`);
      await c.query(`create role ${roleA}`);
      await c.query(`create role ${roleB}`);
      await c.query(`grant select on ${d}.notes_a to ${roleA}`);
      await c.query(`grant select on ${d}.notes_b to ${roleB}`);
      await c.query(`create user '${svc}'@'%' identified by '${password}'`);
      // The connecting account itself reads only the lobby; the notes only through a role.
      await c.query(`grant select on ${d}.lobby to '${svc}'@'%'`);
      await c.query(`grant ${roleA} to '${svc}'@'%'`);
      await c.query(`grant ${roleB} to '${svc}'@'%'`);
    });
    mts = await startTestServer({ demo: false });
    const org = await mts.org('ident');
    const user = async (email: string) => {
      const u = await mts.rt.store.users.create({ email, name: email, passwordHash: 'x' });
      await mts.rt.store.users.addMembership(org.id, u.id, 'member');
      return u;
    };
    const [ua, ub, un] = [await user(`a-${prefix}@example.com`), await user(`b-${prefix}@example.com`), await user(`n-${prefix}@example.com`)];
    const u = new URL(MYSQL_URL);
    u.username = svc;
    u.pathname = `/${mdb.name}`;
    await mts.source('ident', {
      name: 'notes',
      engine: 'mysql',
      url: u.toString(),
      password,
      policy: { identityRoles: [{ member: ua.email, role: roleA }, { member: ub.email, role: roleB }] },
    });
    a = await connectClient(mts.mcpUrl, (await mts.key('ident', { userId: ua.id })).key);
    b = await connectClient(mts.mcpUrl, (await mts.key('ident', { userId: ub.id })).key);
    nobody = await connectClient(mts.mcpUrl, (await mts.key('ident', { userId: un.id })).key);
  }, 120_000);

  afterAll(async () => {
    for (const c of [a, b, nobody]) await c?.close();
    await mts?.close();
    await mdb?.drop();
    await root(async (c) => {
      await c.query(`drop user if exists '${svc}'@'%'`);
      await c.query(`drop role if exists ${roleA}`);
      await c.query(`drop role if exists ${roleB}`);
    });
  });

  const run = async (client: Client, sql: string) => (await client.callTool({ name: 'run_query', arguments: { source: 'notes', sql } })) as R;

  it("applies each member's role's grants, and resets the role before the connection is reused", async () => {
    expect((await run(a, 'SELECT body FROM notes_a')).structuredContent.rows).toEqual([['for role a']]);
    expect((await run(b, 'SELECT body FROM notes_b')).structuredContent.rows).toEqual([['for role b']]);
    // The same statement, another member: the database refuses it.
    expect((await run(b, 'SELECT body FROM notes_a')).isError).toBe(true);
    expect((await run(a, 'SELECT body FROM notes_b')).isError).toBe(true);
    // An unmapped member (the source does not require a mapping) runs as the connecting account, with no
    // role left over from the calls before on the same pool.
    for (let i = 0; i < 5; i++) {
      expect((await run(nobody, 'SELECT body FROM notes_a')).isError).toBe(true);
      expect((await run(nobody, 'SELECT body FROM lobby')).structuredContent.rows).toEqual([['everyone']]);
    }
  });
});
