/**
 * Data-source operations on real servers: Test connection (version, table count, least-privilege check),
 * save with and without a passing test, edit keeping the password, delete with confirmation, status and
 * last check in the list — and the role and organization checks every operation makes.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ForbiddenError, type OpsActor } from '../../src/ops/access.js';
import { checkSource, createSource, deleteSource, getSource, keysLimitedTo, listSources, sourceFormValues, testSource, updateSource } from '../../src/ops/sources.js';
import { NotFoundError, ValidationError } from '../../src/errors.js';
import { createTempMysqlDatabase, createTempPgDatabase, MYSQL_URL, requireService, type TempDatabase } from '../helpers/services.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

type UserActor = Extract<OpsActor, { kind: 'user' }>;

const pgUp = await requireService('postgres', 'source operations on PostgreSQL');
const myUp = await requireService('mysql', 'source operations on MariaDB');

let ts: TestServer;
let owner: UserActor;
let member: UserActor;
let outsider: UserActor;

beforeAll(async () => {
  ts = await startTestServer({ demo: false });
  const a = await ts.org('acme');
  const b = await ts.org('other');
  const u1 = await ts.rt.store.users.create({ email: 'owner@acme.test' });
  const u2 = await ts.rt.store.users.create({ email: 'member@acme.test' });
  const u3 = await ts.rt.store.users.create({ email: 'admin@other.test' });
  await ts.rt.store.users.addMembership(a.id, u1.id, 'owner');
  await ts.rt.store.users.addMembership(a.id, u2.id, 'member');
  await ts.rt.store.users.addMembership(b.id, u3.id, 'admin');
  owner = { kind: 'user', userId: u1.id, orgId: a.id, role: 'owner' };
  member = { kind: 'user', userId: u2.id, orgId: a.id, role: 'member' };
  outsider = { kind: 'user', userId: u3.id, orgId: b.id, role: 'admin' };
});
afterAll(async () => {
  await ts?.close();
});

describe('SQLite source', () => {
  let file: string;
  beforeAll(() => {
    file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dd-ops-')), 'shop.sqlite');
    const db = new Database(file);
    db.exec('create table items (id integer primary key, name text); insert into items (name) values (\'a\'), (\'b\');');
    db.close();
  });

  it('tests, saves and lists with status, version and table count', async () => {
    const t = await testSource(ts.rt, owner, { name: 'shop', engine: 'sqlite', url: file });
    expect(t).toMatchObject({ ok: true, tableCount: 1, error: null });
    expect(t.version).toMatch(/\d+\.\d+/);
    expect(t.privileges?.warnings).toEqual([]);
    const saved = await createSource(ts.rt, owner, { name: 'shop', engine: 'sqlite', url: file, description: 'The shop', maxRows: 50 });
    expect(saved.saved).toBe(true);
    const list = await listSources(ts.rt, owner);
    const s = list.find((x) => x.name === 'shop')!;
    expect(s).toMatchObject({ engine: 'sqlite', description: 'The shop', status: { state: 'ok', tableCount: 1 } });
    expect(s.policy.maxRows).toBe(50);
    expect(Date.parse(s.status.checkedAt!)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('a missing file fails the test and stops the save unless forced; the list says failing and why', async () => {
    const missing = path.join(os.tmpdir(), `dd-missing-${randomBytes(4).toString('hex')}.sqlite`);
    const t = await testSource(ts.rt, owner, { name: 'gone', engine: 'sqlite', url: missing });
    expect(t.ok).toBe(false);
    expect(t.error?.code).toBe('SOURCE_UNAVAILABLE');
    const refused = await createSource(ts.rt, owner, { name: 'gone', engine: 'sqlite', url: missing });
    expect(refused.saved).toBe(false);
    expect((await listSources(ts.rt, owner)).some((s) => s.name === 'gone')).toBe(false);
    const forced = await createSource(ts.rt, owner, { name: 'gone', engine: 'sqlite', url: missing }, { force: true });
    expect(forced.saved).toBe(true);
    const s = (await listSources(ts.rt, owner)).find((x) => x.name === 'gone')!;
    expect(s.status.state).toBe('failing');
    expect(s.status.reason).toBeTruthy();
  });

  it('members read the list (without connection details) but cannot test, add, edit or delete', async () => {
    const list = await listSources(ts.rt, member);
    const shop = list.find((s) => s.name === 'shop')!;
    expect(shop.url).toBe('');
    expect(shop.status.privilegeWarnings).toBeNull();
    await expect(testSource(ts.rt, member, { name: 'x', engine: 'sqlite', url: file })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(createSource(ts.rt, member, { name: 'x', engine: 'sqlite', url: file })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(updateSource(ts.rt, member, shop.id, { name: 'shop', engine: 'sqlite', url: file })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(deleteSource(ts.rt, member, shop.id, 'shop')).rejects.toBeInstanceOf(ForbiddenError);
    await expect(sourceFormValues(ts.rt, member, shop.id)).rejects.toBeInstanceOf(ForbiddenError);
    await expect(keysLimitedTo(ts.rt, member, shop.id)).rejects.toBeInstanceOf(ForbiddenError);
    // A role claimed above the stored one counts for nothing.
    await expect(createSource(ts.rt, { ...member, role: 'owner' }, { name: 'x', engine: 'sqlite', url: file })).rejects.toBeInstanceOf(ForbiddenError);
    expect((await listSources(ts.rt, owner)).some((s) => s.name === 'x')).toBe(false);
  });

  it('another organization finds nothing by id, whatever its role', async () => {
    const shop = (await listSources(ts.rt, owner)).find((s) => s.name === 'shop')!;
    expect(await listSources(ts.rt, outsider)).toEqual([]);
    await expect(getSource(ts.rt, outsider, shop.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(checkSource(ts.rt, outsider, shop.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(sourceFormValues(ts.rt, outsider, shop.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(updateSource(ts.rt, outsider, shop.id, { name: 'mine', engine: 'sqlite', url: file })).rejects.toBeInstanceOf(NotFoundError);
    await expect(deleteSource(ts.rt, outsider, shop.id, 'shop')).rejects.toBeInstanceOf(NotFoundError);
    await expect(testSource(ts.rt, outsider, { name: 'shop', engine: 'sqlite', url: file }, shop.id)).rejects.toBeInstanceOf(NotFoundError);
    // The actor's org must be one it belongs to: claiming org A as B's admin finds nothing.
    await expect(listSources(ts.rt, { ...outsider, orgId: owner.orgId })).rejects.toBeInstanceOf(NotFoundError);
    expect((await getSource(ts.rt, owner, shop.id)).name).toBe('shop');
  });

  it('delete needs the name typed, and names the keys limited to the source', async () => {
    const gone = (await listSources(ts.rt, owner)).find((s) => s.name === 'gone')!;
    await ts.key('acme', { name: 'only-gone', sources: ['gone'] });
    expect(await keysLimitedTo(ts.rt, owner, gone.id)).toEqual([expect.objectContaining({ name: 'only-gone', onlyThis: true })]);
    await expect(deleteSource(ts.rt, owner, gone.id, 'gon')).rejects.toBeInstanceOf(ValidationError);
    await deleteSource(ts.rt, owner, gone.id, 'gone');
    await expect(getSource(ts.rt, owner, gone.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('an edit cannot change the engine', async () => {
    const shop = (await listSources(ts.rt, owner)).find((s) => s.name === 'shop')!;
    await expect(updateSource(ts.rt, owner, shop.id, { name: 'shop', engine: 'duckdb', url: file })).rejects.toBeInstanceOf(ValidationError);
  });
});

describe.skipIf(!pgUp)('PostgreSQL source', () => {
  let db: TempDatabase;
  const role = `sequel_dd_reader_${randomBytes(4).toString('hex')}`;
  const password = `pw-${randomBytes(8).toString('hex')}`;
  let admin: pg.Client;

  beforeAll(async () => {
    db = await createTempPgDatabase('dd_ops');
    admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    await admin.query(`create table customers (id serial primary key, email text not null);
      create table orders (id serial primary key, customer_id int references customers(id), total numeric(10,2));
      insert into customers (email) values ('a@x.test'), ('b@x.test');
      create role ${role} login password '${password}';
      revoke create on schema public from public;
      grant usage on schema public to ${role};
      grant select on all tables in schema public to ${role};`);
  });
  afterAll(async () => {
    await admin?.query(`drop owned by ${role}`).catch(() => {});
    await admin?.end();
    await db?.drop();
    const c = new pg.Client({ connectionString: db.url.replace(/\/[^/]*$/, '/postgres') });
    await c.connect();
    await c.query(`drop role if exists ${role}`);
    await c.end();
  });

  const readerUrl = () => {
    const u = new URL(db.url);
    u.username = role;
    return u.toString();
  };

  it('the superuser passes the test but is flagged, with the exact role to create instead', async () => {
    const t = await testSource(ts.rt, owner, { name: 'pgsu', engine: 'postgres', url: db.url });
    expect(t.ok).toBe(true);
    expect(t.version).toMatch(/PostgreSQL/);
    expect(t.tableCount).toBe(2);
    expect(t.privileges?.warnings.join(' ')).toMatch(/superuser/);
    expect(t.privileges?.recommendation).toContain('CREATE ROLE sequel_reader LOGIN');
    expect(t.privileges?.recommendation).toContain(`GRANT CONNECT ON DATABASE ${db.name} TO sequel_reader;`);
    expect(t.privileges?.recommendation).toContain('GRANT SELECT ON ALL TABLES IN SCHEMA public TO sequel_reader;');
  });

  it('a read-only role passes clean; one granted INSERT is named with the table', async () => {
    const clean = await testSource(ts.rt, owner, { name: 'pgro', engine: 'postgres', url: readerUrl(), password });
    expect(clean.ok).toBe(true);
    expect(clean.privileges).toMatchObject({ checked: true, account: role, warnings: [], recommendation: null });
    await admin.query(`grant insert on orders to ${role}`);
    try {
      const t = await testSource(ts.rt, owner, { name: 'pgro', engine: 'postgres', url: readerUrl(), password });
      expect(t.privileges?.warnings).toEqual([expect.stringMatching(/INSERT, UPDATE, DELETE or TRUNCATE 1 table \(public\.orders\)/)]);
    } finally {
      await admin.query(`revoke insert on orders from ${role}`);
    }
  });

  it('an account the server refuses fails with the reason and never the password', async () => {
    const u = new URL(db.url);
    u.username = `${role}_nobody`;
    const t = await testSource(ts.rt, owner, { name: 'pgro', engine: 'postgres', url: u.toString(), password: 'Wrong-Secret-123' });
    expect(t.ok).toBe(false);
    expect(t.error?.code).toBe('SOURCE_UNAVAILABLE');
    expect(t.error?.message).toMatch(/nobody/);
    expect(JSON.stringify(t)).not.toContain('Wrong-Secret-123');
  });

  it('fields instead of a URL; an edit with no password keeps the stored one; the form never shows it', async () => {
    const u = new URL(db.url);
    const form = { name: 'pg', engine: 'postgres', host: u.hostname, port: Number(u.port || 5432), user: role, database: db.name, password, tlsMode: 'disable' as const, connectTimeoutMs: 4000, poolMax: 3, statementTimeoutMs: 8000, maxRows: 100, maxRowsCeiling: 1000, maxBytes: 100_000 };
    const saved = await createSource(ts.rt, owner, form);
    expect(saved.saved).toBe(true);
    expect(saved.source?.has_password).toBe(true);
    const values = await sourceFormValues(ts.rt, owner, saved.source!.id);
    expect(values).toMatchObject({ engine: 'postgres', hasPassword: true, poolMax: 3, connectTimeoutMs: 4000, statementTimeoutMs: 8000, maxRows: 100, maxRowsCeiling: 1000, maxBytes: 100_000 });
    expect(JSON.stringify(values)).not.toContain(password);
    const edited = await updateSource(ts.rt, owner, saved.source!.id, { ...form, password: '', description: 'Orders and customers', maxRows: 20 });
    expect(edited.test.ok).toBe(true);
    expect(edited.source).toMatchObject({ description: 'Orders and customers', has_password: true });
    expect(edited.source?.policy.maxRows).toBe(20);
    const checked = await checkSource(ts.rt, member, saved.source!.id);
    expect(checked.ok).toBe(true);
    expect(JSON.stringify(await listSources(ts.rt, owner))).not.toContain(password);
  });
});

describe.skipIf(!myUp)('MariaDB source', () => {
  let db: TempDatabase;
  const user = `sequel_dd_${randomBytes(4).toString('hex')}`;
  const password = `pw-${randomBytes(8).toString('hex')}`;

  beforeAll(async () => {
    db = await createTempMysqlDatabase('dd_ops');
    const c = await mysql.createConnection({ uri: db.url });
    await c.query('create table products (id int primary key, name varchar(50))');
    await c.query(`create user '${user}'@'%' identified by '${password}'`);
    await c.query(`grant select, show view on \`${db.name}\`.* to '${user}'@'%'`);
    await c.end();
  });
  afterAll(async () => {
    const c = await mysql.createConnection({ uri: MYSQL_URL });
    await c.query(`drop user if exists '${user}'@'%'`);
    await c.end();
    await db?.drop();
  });

  const userUrl = () => {
    const u = new URL(db.url);
    u.username = user;
    return u.toString();
  };

  it('root is flagged with the grants it holds and the user to create instead', async () => {
    const t = await testSource(ts.rt, owner, { name: 'maria', engine: 'mysql', url: db.url });
    expect(t.ok).toBe(true);
    expect(t.version).toMatch(/\d+\.\d+/);
    expect(t.tableCount).toBe(1);
    expect(t.privileges?.warnings.join(' ')).toMatch(/ALL PRIVILEGES/);
    expect(t.privileges?.recommendation).toBe(`CREATE USER 'sequel_reader'@'%' IDENTIFIED BY '…';\nGRANT SELECT, SHOW VIEW ON \`${db.name}\`.* TO 'sequel_reader'@'%';`);
  });

  it('SELECT and SHOW VIEW pass; FILE is named', async () => {
    const clean = await testSource(ts.rt, owner, { name: 'maria', engine: 'mysql', url: userUrl(), password });
    expect(clean.ok).toBe(true);
    expect(clean.privileges?.warnings).toEqual([]);
    const c = await mysql.createConnection({ uri: MYSQL_URL });
    await c.query(`grant file on *.* to '${user}'@'%'`);
    try {
      const t = await testSource(ts.rt, owner, { name: 'maria', engine: 'mysql', url: userUrl(), password });
      expect(t.privileges?.warnings).toEqual([expect.stringMatching(/holds FILE on \*\.\*/)]);
    } finally {
      await c.query(`revoke file on *.* from '${user}'@'%'`);
      await c.end();
    }
    const saved = await createSource(ts.rt, owner, { name: 'maria', engine: 'mysql', url: userUrl(), password });
    expect(saved.saved).toBe(true);
    const s = (await listSources(ts.rt, owner)).find((x) => x.name === 'maria')!;
    expect(s.status).toMatchObject({ state: 'ok', tableCount: 1, privilegeWarnings: [] });
  });

  it('a wrong password fails with the reason and never the password', async () => {
    const t = await testSource(ts.rt, owner, { name: 'maria2', engine: 'mysql', url: userUrl(), password: 'Wrong-Secret-123' });
    expect(t.ok).toBe(false);
    expect(t.error?.code).toBe('SOURCE_UNAVAILABLE');
    expect(JSON.stringify(t)).not.toContain('Wrong-Secret-123');
  });

  it('an edit with an empty password keeps the stored one; clearing it fails the test and the save', async () => {
    const s = (await listSources(ts.rt, owner)).find((x) => x.name === 'maria')!;
    const form = { name: 'maria', engine: 'mysql', url: userUrl(), description: 'Products' };
    const kept = await updateSource(ts.rt, owner, s.id, { ...form, password: '' });
    expect(kept.test.ok).toBe(true);
    expect(kept.source).toMatchObject({ description: 'Products', has_password: true });
    const tested = await testSource(ts.rt, owner, { ...form, password: '' }, s.id);
    expect(tested.ok).toBe(true);
    const cleared = await updateSource(ts.rt, owner, s.id, { ...form, password: '', clearPassword: true });
    expect(cleared.saved).toBe(false);
    expect(cleared.test.error?.code).toBe('SOURCE_UNAVAILABLE');
    expect((await getSource(ts.rt, owner, s.id)).has_password).toBe(true);
    expect(JSON.stringify(await listSources(ts.rt, owner))).not.toContain(password);
  });
});
