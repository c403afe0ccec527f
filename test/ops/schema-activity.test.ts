/**
 * The schema browser, descriptions and policy, the playground and Activity, as operations on a real
 * PostgreSQL source, checked through what a model then sees with the official MCP SDK client.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/client';
import { ForbiddenError, type OpsActor } from '../../src/ops/access.js';
import { activityCsv, activityFacets, activityOverview, csvField, listActivity } from '../../src/ops/activity.js';
import { runPlayground } from '../../src/ops/playground.js';
import { browseSchema, policyView, setDescription, updatePolicy } from '../../src/ops/schema.js';
import type { Catalog, CatalogTable } from '../../src/connectors/types.js';
import { DEFAULT_POLICY } from '../../src/store/sources.js';
import { createSource } from '../../src/ops/sources.js';
import { NotFoundError, ValidationError } from '../../src/errors.js';
import { createTempPgDatabase, requireService, type TempDatabase } from '../helpers/services.js';
import { connectClient, startTestServer, type TestServer } from '../helpers/server.js';

type UserActor = Extract<OpsActor, { kind: 'user' }>;

describe('the Policy tab view of a policy', () => {
  const table = (schema: string, name: string, columns: string[]): CatalogTable => ({
    schema,
    name,
    kind: 'table',
    comment: null,
    rowEstimate: null,
    indexes: [],
    columns: columns.map((c) => ({ name: c, type: 'text', nullable: true, default: null, primaryKey: false, comment: null, references: null })),
  });
  const catalog: Catalog = {
    defaultSchema: 'public',
    tables: [table('public', 'customers', ['id', 'email', 'ssn']), table('sales', 'orders', ['id', 'total']), table('sales', 'Orders', ['id'])],
  };

  it('boxes what names one object, in the form’s spelling; lists everything else as written', () => {
    const v = policyView(
      {
        version: 7,
        policy: {
          ...DEFAULT_POLICY,
          allowedSchemas: ['PUBLIC', 'extra'],
          hiddenTables: ['Customers', 'sales.orders', 'audit_*', 'public.ghost'],
          hiddenColumns: ['PUBLIC.Customers.SSN', 'customers.ssn', 'ssn', '*email*', 'sales.orders.total', 'ghost.secret', 'public.customers.*'],
          maskedColumns: [{ column: '*phone*', mode: 'mask' }],
        },
      },
      catalog,
    );
    expect(v).toMatchObject({
      allowedSchemas: ['public'],
      // `sales.orders` matches both `orders` and `Orders` (names match ignoring case): not one box.
      hiddenTables: ['public.customers'],
      hiddenColumns: ['public.customers.ssn', 'sales.orders.total'],
      other: { allowedSchemas: ['extra'], hiddenTables: ['sales.orders', 'audit_*', 'public.ghost'], hiddenColumns: ['ssn', '*email*', 'ghost.secret', 'public.customers.*'] },
      maskedColumns: [{ column: '*phone*', mode: 'mask' }],
      version: 7,
    });
  });
});

const pgUp = await requireService('postgres', 'schema, playground and activity operations');

describe.skipIf(!pgUp)('schema browser, playground and activity on PostgreSQL', () => {
  let ts: TestServer;
  let db: TempDatabase;
  let owner: UserActor;
  let member: UserActor;
  let outsider: UserActor;
  let sourceId: string;
  let client: Client;

  beforeAll(async () => {
    ts = await startTestServer({ demo: false });
    db = await createTempPgDatabase('dd_schema');
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    await c.query(`create schema sales;
      create table customers (id serial primary key, email text not null, ssn text);
      create index customers_email_idx on customers (email);
      create table sales.orders (id serial primary key, customer_id int references customers(id), total numeric(10,2));
      insert into customers (email, ssn) select 'c' || g || '@x.test', '123-45-' || g from generate_series(1, 300) g;
      analyze customers;`);
    await c.end();
    const a = await ts.org('acme');
    const b = await ts.org('other');
    const u1 = await ts.rt.store.users.create({ email: 'owner@acme.test', name: 'Olive Owner' });
    const u2 = await ts.rt.store.users.create({ email: 'member@acme.test' });
    const u3 = await ts.rt.store.users.create({ email: 'admin@other.test' });
    await ts.rt.store.users.addMembership(a.id, u1.id, 'owner');
    await ts.rt.store.users.addMembership(a.id, u2.id, 'member');
    await ts.rt.store.users.addMembership(b.id, u3.id, 'admin');
    owner = { kind: 'user', userId: u1.id, orgId: a.id, role: 'owner' };
    member = { kind: 'user', userId: u2.id, orgId: a.id, role: 'member' };
    outsider = { kind: 'user', userId: u3.id, orgId: b.id, role: 'admin' };
    const saved = await createSource(ts.rt, owner, { name: 'crm', engine: 'postgres', url: db.url });
    sourceId = saved.source!.id;
    const key = await ts.key('acme', { name: 'laptop', userId: u1.id });
    client = await connectClient(ts.mcpUrl, key.key);
  });
  afterAll(async () => {
    await client?.close();
    await ts?.close();
    await db?.drop();
  });

  it('browses schemas → tables → columns with keys, indexes and row estimates', async () => {
    const b = await browseSchema(ts.rt, owner, sourceId);
    expect(b.full).toBe(true);
    expect(b.defaultSchema).toBe('public');
    expect(b.schemas.map((s) => s.name)).toEqual(['public', 'sales']);
    const customers = b.schemas[0]!.tables.find((t) => t.name === 'customers')!;
    expect(customers.rowEstimate).toBeGreaterThanOrEqual(250);
    expect(customers.columns.find((c) => c.name === 'id')).toMatchObject({ primaryKey: true, hidden: false });
    expect(customers.indexes.map((i) => i.name)).toContain('customers_email_idx');
    const orders = b.schemas[1]!.tables[0]!;
    expect(orders.columns.find((c) => c.name === 'customer_id')?.references).toEqual({ schema: 'public', table: 'customers', column: 'id' });
  });

  it('a description written here is what describe_table and search_schema show a model', async () => {
    await setDescription(ts.rt, owner, sourceId, { schema: 'public', table: 'customers', description: 'People who bought something' });
    await setDescription(ts.rt, owner, sourceId, { schema: 'public', table: 'customers', column: 'email', description: 'Login email, unique' });
    const r = await client.callTool({ name: 'describe_table', arguments: { source: 'crm', table: 'customers' } });
    const text = (r.content as Array<{ text: string }>)[0]!.text;
    expect(text).toContain('Description: People who bought something');
    expect(text).toContain('Login email, unique');
    const s = await client.callTool({ name: 'search_schema', arguments: { source: 'crm', pattern: 'bought' } });
    expect(JSON.stringify(s.content)).toContain('customers');
    const b = await browseSchema(ts.rt, member, sourceId);
    expect(b.schemas[0]!.tables.find((t) => t.name === 'customers')!.description).toBe('People who bought something');
    // An empty text removes it.
    await setDescription(ts.rt, owner, sourceId, { schema: 'public', table: 'customers', column: 'email', description: '' });
    const again = await client.callTool({ name: 'describe_table', arguments: { source: 'crm', table: 'customers' } });
    expect((again.content as Array<{ text: string }>)[0]!.text).not.toContain('Login email');
  });

  it('descriptions need an existing table and column, an admin, and the right organization', async () => {
    await expect(setDescription(ts.rt, owner, sourceId, { schema: 'public', table: 'nope', description: 'x' })).rejects.toBeInstanceOf(NotFoundError);
    await expect(setDescription(ts.rt, owner, sourceId, { schema: 'public', table: 'customers', column: 'nope', description: 'x' })).rejects.toBeInstanceOf(NotFoundError);
    await expect(setDescription(ts.rt, member, sourceId, { schema: 'public', table: 'customers', description: 'x' })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(setDescription(ts.rt, outsider, sourceId, { schema: 'public', table: 'customers', description: 'x' })).rejects.toBeInstanceOf(NotFoundError);
    await expect(browseSchema(ts.rt, outsider, sourceId)).rejects.toBeInstanceOf(NotFoundError);
    await expect(updatePolicy(ts.rt, member, sourceId, { allowedSchemas: [], hiddenTables: [], hiddenColumns: [] })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(updatePolicy(ts.rt, outsider, sourceId, { allowedSchemas: [], hiddenTables: [], hiddenColumns: [] })).rejects.toBeInstanceOf(NotFoundError);
  });

  it('the policy hides a column and a schema from models; admins still see them, marked', async () => {
    await expect(updatePolicy(ts.rt, owner, sourceId, { allowedSchemas: [], hiddenTables: ['a.b.c'], hiddenColumns: [] })).rejects.toBeInstanceOf(ValidationError);
    const policy = await updatePolicy(ts.rt, owner, sourceId, { allowedSchemas: ['public'], hiddenTables: [], hiddenColumns: ['public.customers.ssn', ' public.customers.ssn '] });
    expect(policy).toMatchObject({ allowedSchemas: ['public'], hiddenColumns: ['public.customers.ssn'] });
    const r = await client.callTool({ name: 'describe_table', arguments: { source: 'crm', table: 'customers' } });
    expect((r.content as Array<{ text: string }>)[0]!.text).not.toContain('ssn');
    const full = await browseSchema(ts.rt, owner, sourceId);
    expect(full.schemas.find((s) => s.name === 'sales')).toMatchObject({ allowed: false });
    expect(full.schemas[0]!.tables.find((t) => t.name === 'customers')!.columns.find((c) => c.name === 'ssn')).toMatchObject({ hidden: true });
    const seen = await browseSchema(ts.rt, member, sourceId);
    expect(seen.full).toBe(false);
    expect(seen.schemas.map((s) => s.name)).toEqual(['public']);
    expect(JSON.stringify(seen)).not.toContain('ssn');
    // A field left out keeps its value (the CLI sends only its flags); a column pattern for every table is accepted.
    const patched = await updatePolicy(ts.rt, owner, sourceId, { hiddenColumns: ['public.customers.ssn', '*secret*'], maskedColumns: [{ column: 'email', mode: 'hash' }] });
    expect(patched).toMatchObject({ allowedSchemas: ['public'], hiddenColumns: ['public.customers.ssn', '*secret*'], maskedColumns: [{ column: 'email', mode: 'hash' }] });
    await expect(updatePolicy(ts.rt, owner, sourceId, { maskedColumns: [{ column: 'email', mode: 'scramble' as 'hash' }] })).rejects.toBeInstanceOf(ValidationError);
    await updatePolicy(ts.rt, owner, sourceId, { allowedSchemas: [], hiddenTables: [], hiddenColumns: [], maskedColumns: [] });
  });

  it('the playground runs through the tool path: rows, caps, the guard, and an audit entry marked playground', async () => {
    const ok = await runPlayground(ts.rt, owner, { sourceId, sql: 'select id, email from customers order by id', maxRows: 5 });
    expect(ok.ok).toBe(true);
    expect(ok.result).toMatchObject({ row_count: 5, truncated: true });
    expect(ok.result!.rows[0]).toEqual([1, 'c1@x.test']);
    expect(ok.modelText).toContain('id:integer | email:text');
    expect(ok.modelText).toContain('truncated');
    const refused = await runPlayground(ts.rt, owner, { sourceId, sql: 'delete from customers' });
    expect(refused).toMatchObject({ ok: false, error: { code: 'NOT_READ_ONLY' } });
    const bad = await runPlayground(ts.rt, owner, { sourceId, sql: 'select nope from customers' });
    expect(bad.error?.code).toBe('QUERY_ERROR');
    await expect(runPlayground(ts.rt, member, { sourceId, sql: 'select 1' })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(runPlayground(ts.rt, outsider, { sourceId, sql: 'select 1' })).rejects.toBeInstanceOf(NotFoundError);
    await ts.rt.audit.flush();
    const page = await listActivity(ts.rt, owner, { sourceId });
    const playground = page.entries.filter((e) => e.credential.kind === 'playground');
    expect(playground.map((e) => e.outcome)).toEqual(['QUERY_ERROR', 'NOT_READ_ONLY', 'ok']);
    expect(playground[2]).toMatchObject({ tool: 'run_query', sql: 'select id, email from customers order by id', rowCount: 5, user: { label: 'Olive Owner <owner@acme.test>' } });
    expect(playground[2]!.credential.label).toBe('Playground (owner@acme.test)');
  });

  it('Activity: filters, keyset pages, members see only their own calls, another org sees nothing', async () => {
    for (let i = 0; i < 7; i++) await client.callTool({ name: 'run_query', arguments: { source: 'crm', sql: `select ${i} as n` } });
    await ts.rt.audit.flush();
    const all = await listActivity(ts.rt, owner, { tool: 'run_query' }, { limit: 4 });
    expect(all.entries).toHaveLength(4);
    expect(all.nextCursor).not.toBeNull();
    const next = await listActivity(ts.rt, owner, { tool: 'run_query' }, { limit: 4, before: all.nextCursor! });
    expect(next.entries[0]!.id).toBeLessThan(all.entries[3]!.id);
    expect(all.entries[0]!.sql).toBe('select 6 as n');
    expect(all.entries[0]!.credential).toMatchObject({ kind: 'api_key' });
    const failures = await listActivity(ts.rt, owner, { outcome: 'error' });
    expect(failures.entries.length).toBeGreaterThanOrEqual(2);
    expect(failures.entries.every((e) => e.outcome !== 'ok')).toBe(true);
    const future = await listActivity(ts.rt, owner, { since: new Date(Date.now() + 3_600_000).toISOString() });
    expect(future.entries).toEqual([]);
    // A member asking for the owner's calls gets their own (none).
    expect((await listActivity(ts.rt, member, { userId: owner.userId })).entries).toEqual([]);
    expect((await listActivity(ts.rt, outsider, {})).entries).toEqual([]);
    const facets = await activityFacets(ts.rt, member);
    expect(facets.users).toEqual([]);
    expect(facets.credentials).toEqual([]);
    expect((await activityFacets(ts.rt, owner)).credentials.map((c) => c.label)).toEqual([expect.stringMatching(/^laptop \(sql_/)]);
  });

  it('CSV export of the filtered set, quoted per RFC 4180, formulas defused', async () => {
    const lines: string[] = [];
    for await (const chunk of activityCsv(ts.rt, owner, { tool: 'run_query' })) lines.push(chunk);
    const text = lines.join('');
    const rows = text.trim().split('\r\n');
    expect(rows[0]).toBe('time,user,credential_kind,credential,source,tool,sql,rows,duration_ms,outcome,error');
    expect(rows.length).toBe(1 + 10);
    expect(text).toContain('select 6 as n');
    expect(csvField('=cmd()')).toBe("'=cmd()");
    expect(csvField('a,"b"\nc')).toBe('"a,""b""\nc"');
    let memberCsv = '';
    for await (const chunk of activityCsv(ts.rt, member, {})) memberCsv += chunk;
    expect(memberCsv.trim().split('\r\n')).toHaveLength(1);
  });

  it('the overview counts calls per day per source, errors and p95', async () => {
    const o = await activityOverview(ts.rt, owner, 30);
    expect(o.days).toHaveLength(30);
    const today = o.days[29]!;
    expect(today.day).toBe(new Date().toISOString().slice(0, 10));
    expect(today.calls).toBe(o.calls);
    expect(today.bySource.find((s) => s.source === 'crm')!.calls).toBeGreaterThanOrEqual(10);
    expect(o.errors).toBeGreaterThanOrEqual(2);
    expect(today.p95Ms).not.toBeNull();
    expect(o.sources[0]).toBe('crm');
    expect((await activityOverview(ts.rt, outsider)).calls).toBe(0);
  });
});
