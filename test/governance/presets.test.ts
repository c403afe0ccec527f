/**
 * Policy presets (issue 11, item 4): an API key or an OAuth authorization narrowed to a preset gets the
 * source policy intersected with the preset, in every tool, on every engine — through the official MCP
 * client against a real Sequel server. The source's own policy here hides only the table `secrets`;
 * `customers.ssn` and `email` are readable without a preset.
 */
import type { Client } from '@modelcontextprotocol/client';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/connectors/types.js';
import { intersectPolicy, NO_SCHEMA } from '../../src/governance/presets.js';
import { createKey, revokeKey, setKeyPreset } from '../../src/ops/keys.js';
import { createPreset, removePreset, updatePreset } from '../../src/ops/presets.js';
import type { OperatorActor } from '../../src/ops/permissions.js';
import { DEFAULT_POLICY } from '../../src/store/sources.js';
import { connectClient, startTestServer, type TestServer } from '../helpers/server.js';
import { authorizationUrl, Browser, createUser, formFields, PASSWORD, pkce, registerClient, tokensFor } from '../oauth/helpers.js';
import { createGoverned, EMAILS, SSNS, type GovernedDatabase } from './dataset.js';

const ENGINES: Engine[] = ['postgres', 'sqlite', 'mysql', 'duckdb'];

let ts: TestServer;
let actor: OperatorActor;
let plain: Client;
let noPii: Client;
const dbs = new Map<Engine, GovernedDatabase>();
const clients: Client[] = [];

type R = { isError?: boolean; content: Array<{ type: string; text?: string }>; structuredContent: Record<string, unknown> };
const call = async (c: Client, name: string, args: Record<string, unknown>) => (await c.callTool({ name, arguments: args })) as R;
const code = (r: R) => (r.structuredContent.error as { code?: string } | undefined)?.code;
const rows = (r: R) => r.structuredContent.rows as unknown[][];

async function keyClient(name: string, preset?: string): Promise<Client> {
  const k = await createKey(ts.rt, actor, { name, ...(preset ? { preset } : {}) });
  const c = await connectClient(ts.mcpUrl, k.key, 'modern');
  clients.push(c);
  return c;
}

beforeAll(async () => {
  ts = await startTestServer({ demo: false, env: { SEQUEL_RATE_LIMIT_PER_MINUTE: '0' } });
  actor = { kind: 'operator', orgId: (await ts.org('gov')).id };
  for (const engine of ENGINES) {
    const db = await createGoverned(engine);
    if (!db) continue;
    dbs.set(engine, db);
    if (engine === 'postgres') {
      // A second schema, for the schema-only preset.
      const c = new pg.Client({ connectionString: db.url });
      await c.connect();
      try {
        await c.query('create schema analytics; create table analytics.daily (day integer primary key, orders integer not null); insert into analytics.daily values (1, 4), (2, 7)');
      } finally {
        await c.end();
      }
    }
    await ts.source('gov', { name: `src-${engine}`, engine, url: db.url, password: db.password, policy: { hiddenTables: ['secrets'] } });
  }
  await createPreset(ts.rt, actor, { name: 'no-pii', description: 'No personal data', policy: { hiddenColumns: ['*email*', 'customers.ssn'] } });
  await createPreset(ts.rt, actor, { name: 'analytics-only', policy: { allowedSchemas: ['analytics'] } });
  await createPreset(ts.rt, actor, { name: 'masked', policy: { maskedColumns: [{ column: 'customers.ssn', mode: 'mask' }] } });
  plain = await keyClient('plain');
  noPii = await keyClient('no-pii-key', 'no-pii');
}, 180_000);

afterAll(async () => {
  for (const c of clients) await c.close().catch(() => undefined);
  await ts?.close();
  for (const db of dbs.values()) await db.destroy();
});

describe('composing a source policy with a preset', () => {
  it('intersects schemas, unions hidden tables and columns, and keeps the stricter mask', () => {
    const source = { ...DEFAULT_POLICY, allowedSchemas: ['public', 'analytics'], hiddenTables: ['secrets'], hiddenColumns: ['customers.ssn'], maskedColumns: [{ column: 'customers.phone', mode: 'mask' as const }, { column: '*email*', mode: 'null' as const }] };
    const p = intersectPolicy(source, {
      allowedSchemas: ['ANALYTICS', 'sales'],
      hiddenTables: ['audit', 'secrets'],
      hiddenColumns: ['*email*'],
      maskedColumns: [{ column: 'customers.phone', mode: 'hash' }, { column: '*email*', mode: 'mask' }],
    });
    expect(p.allowedSchemas).toEqual(['analytics']);
    expect(p.hiddenTables).toEqual(['secrets', 'audit']);
    expect(p.hiddenColumns).toEqual(['customers.ssn', '*email*']);
    // Strictest first: the policy layer takes the first mask that matches a column.
    expect(p.maskedColumns.map((m) => `${m.column}:${m.mode}`)).toEqual(['*email*:null', 'customers.phone:hash', 'customers.phone:mask', '*email*:mask']);
    expect(p.maxRows).toBe(DEFAULT_POLICY.maxRows);
    // Disjoint schemas allow none (an empty list would mean every schema).
    expect(intersectPolicy(source, { allowedSchemas: ['sales'], hiddenTables: [], hiddenColumns: [], maskedColumns: [] }).allowedSchemas).toEqual([NO_SCHEMA]);
    // Only one side restricting schemas: that side's list.
    expect(intersectPolicy({ ...DEFAULT_POLICY }, { allowedSchemas: ['sales'], hiddenTables: [], hiddenColumns: [], maskedColumns: [] }).allowedSchemas).toEqual(['sales']);
  });
});

describe.each(ENGINES)('a key narrowed to a preset on %s', (engine) => {
  const source = `src-${engine}`;
  const present = () => dbs.has(engine);

  it('cannot read a column the preset hides, while a key without the preset can', async () => {
    if (!present()) return;
    const sql = 'SELECT id, ssn, email FROM customers ORDER BY id';
    const open = await call(plain, 'run_query', { source, sql });
    expect(open.isError, JSON.stringify(open.structuredContent)).toBeFalsy();
    expect(rows(open).map((r) => r[1])).toEqual(SSNS);

    for (const tool of ['run_query', 'explain_query']) {
      for (const q of [sql, 'SELECT c.ssn AS x FROM customers c', 'SELECT upper(email) FROM customers', 'SELECT * FROM customers']) {
        const r = await call(noPii, tool, { source, sql: q });
        expect(code(r), `${tool}: ${q}`).toBe('PERMISSION_DENIED');
        const all = JSON.stringify(r);
        for (const raw of [...SSNS, ...EMAILS]) expect(all).not.toContain(raw);
      }
    }
    const star = await call(noPii, 'run_query', { source, sql: 'SELECT * FROM customers' });
    expect(String((star.structuredContent.error as { message: string }).message)).toMatch(/name the columns/i);
    const ok = await call(noPii, 'run_query', { source, sql: 'SELECT id, name FROM customers ORDER BY id' });
    expect(ok.isError, JSON.stringify(ok.structuredContent)).toBeFalsy();
    expect(rows(ok)).toHaveLength(3);
  });

  it('hides the preset’s columns (and views that expose them) in describe_table and search_schema', async () => {
    if (!present()) return;
    const d = await call(noPii, 'describe_table', { source, table: 'customers' });
    expect((d.structuredContent.table as { columns: Array<{ name: string }> }).columns.map((c) => c.name)).toEqual(['id', 'name', 'country']);
    const full = await call(plain, 'describe_table', { source, table: 'customers' });
    expect((full.structuredContent.table as { columns: Array<{ name: string }> }).columns.map((c) => c.name)).toEqual(['id', 'name', 'ssn', 'email', 'country']);
    expect(code(await call(noPii, 'describe_table', { source, table: 'customer_export' }))).toBe('UNKNOWN_TABLE');
    expect(code(await call(plain, 'describe_table', { source, table: 'customer_export' }))).toBeUndefined();
    const s = JSON.stringify((await call(noPii, 'search_schema', { source, pattern: '%' })).structuredContent);
    for (const hidden of ['ssn', 'email', 'customer_export', 'secrets']) expect(s).not.toContain(hidden);
    expect(s).toContain('customer_directory');
    // The schema resource, read the same way.
    const uri = `sequel://sources/${encodeURIComponent(source)}/schema`;
    const narrowText = JSON.stringify(await noPii.readResource({ uri }));
    const fullText = JSON.stringify(await plain.readResource({ uri }));
    expect(fullText).toContain('ssn');
    expect(fullText).toContain('customer_export');
    for (const hidden of ['ssn', 'email', 'customer_export', 'secrets']) expect(narrowText).not.toContain(hidden);
    expect(narrowText).toContain('customer_directory');
  });

  it('records the refusal with the rule and the preset that fired', async () => {
    if (!present()) return;
    await call(noPii, 'run_query', { source, sql: 'SELECT ssn FROM customers' });
    // The source policy's own refusal is not put on the preset.
    await call(noPii, 'run_query', { source, sql: 'SELECT token FROM secrets' });
    await ts.rt.audit.flush();
    const refused = await ts.rt.store.audit.list({ orgId: actor.orgId, sourceName: source, outcome: 'PERMISSION_DENIED', limit: 100 });
    expect(refused.some((e) => e.sql === 'SELECT ssn FROM customers' && e.governance === 'refused:hidden-column (preset no-pii)')).toBe(true);
    expect(refused.some((e) => e.sql === 'SELECT token FROM secrets' && e.governance === 'refused:hidden-table')).toBe(true);
  });

  it('masks what a masking preset masks', async () => {
    if (!present()) return;
    const masked = await keyClient(`masked-${engine}`, 'masked');
    const r = await call(masked, 'run_query', { source, sql: 'SELECT id, ssn FROM customers ORDER BY id' });
    expect(r.isError, JSON.stringify(r.structuredContent)).toBeFalsy();
    expect(rows(r).map((x) => x[1])).toEqual(['*******1234', '*******2345', '*******3456']);
    expect(code(await call(masked, 'run_query', { source, sql: "SELECT id FROM customers WHERE ssn LIKE '901%'" }))).toBe('PERMISSION_DENIED');
  });

  it('a schema-only preset refuses every other schema', async () => {
    if (!present()) return;
    const narrow = await keyClient(`analytics-${engine}`, 'analytics-only');
    for (const tool of ['run_query', 'explain_query']) {
      expect(code(await call(narrow, tool, { source, sql: 'SELECT id FROM customers' })), tool).toBe('PERMISSION_DENIED');
    }
    expect(code(await call(narrow, 'describe_table', { source, table: 'customers' }))).toBe('UNKNOWN_TABLE');
    if (engine === 'postgres') {
      const r = await call(narrow, 'run_query', { source, sql: 'SELECT day, orders FROM analytics.daily ORDER BY day' });
      expect(r.isError, JSON.stringify(r.structuredContent)).toBeFalsy();
      expect(rows(r)).toEqual([[1, 4], [2, 7]]);
      const s = JSON.stringify((await call(narrow, 'search_schema', { source, pattern: '%' })).structuredContent);
      expect(s).toContain('daily');
      expect(s).not.toContain('customers');
    }
  });
});

describe('changing and removing presets', () => {
  const engine = [...ENGINES].find((e) => e === 'sqlite')!;
  const source = `src-${engine}`;

  it('an edited preset counts from the very next call of a connected client', async () => {
    await createPreset(ts.rt, actor, { name: 'editable', policy: { hiddenColumns: ['customers.ssn'] } });
    const c = await keyClient('editable-key', 'editable');
    const sql = 'SELECT ssn, email FROM customers ORDER BY id';
    expect(code(await call(c, 'run_query', { source, sql }))).toBe('PERMISSION_DENIED');
    await updatePreset(ts.rt, actor, 'editable', { policy: { hiddenColumns: [] } });
    const open = await call(c, 'run_query', { source, sql });
    expect(open.isError, JSON.stringify(open.structuredContent)).toBeFalsy();
    expect(rows(open).map((r) => r[1])).toEqual(EMAILS);
    await updatePreset(ts.rt, actor, 'editable', { policy: { hiddenColumns: ['*email*'] } });
    expect(code(await call(c, 'run_query', { source, sql }))).toBe('PERMISSION_DENIED');
    const d = await call(c, 'describe_table', { source, table: 'customers' });
    expect((d.structuredContent.table as { columns: Array<{ name: string }> }).columns.map((x) => x.name)).toEqual(['id', 'name', 'ssn', 'country']);
  });

  it('a key narrowed to another preset (or to none) gets it on its very next call', async () => {
    const k = await createKey(ts.rt, actor, { name: 'switching-key' });
    const c = await connectClient(ts.mcpUrl, k.key, 'modern');
    clients.push(c);
    const sql = 'SELECT ssn FROM customers ORDER BY id';
    expect(rows(await call(c, 'run_query', { source, sql })).map((r) => r[0])).toEqual(SSNS);
    expect((await setKeyPreset(ts.rt, actor, k.view.id, 'no-pii')).preset).toBe('no-pii');
    expect(code(await call(c, 'run_query', { source, sql }))).toBe('PERMISSION_DENIED');
    await setKeyPreset(ts.rt, actor, k.view.prefix, 'masked');
    expect(rows(await call(c, 'run_query', { source, sql })).map((r) => r[0])).toEqual(['*******1234', '*******2345', '*******3456']);
    await setKeyPreset(ts.rt, actor, k.view.id, null);
    expect(rows(await call(c, 'run_query', { source, sql })).map((r) => r[0])).toEqual(SSNS);
    await expect(setKeyPreset(ts.rt, actor, k.view.id, 'nope')).rejects.toThrow(/no policy preset "nope"/);
    // A member changes only their own keys.
    await createUser(ts, 'bob@example.com', [['gov', 'member']]);
    const bob = (await ts.rt.store.users.byEmail('bob@example.com'))!;
    await expect(setKeyPreset(ts.rt, { kind: 'user', userId: bob.id, orgId: actor.orgId, role: 'member' }, k.view.id, null)).rejects.toThrow(/no active key .* of yours/);
  });

  it('refuses to remove a preset a live key uses, and removes it once the key is revoked', async () => {
    await createPreset(ts.rt, actor, { name: 'short-lived', policy: { hiddenTables: ['orders'] } });
    const k = await createKey(ts.rt, actor, { name: 'short-lived-key', preset: 'short-lived' });
    await expect(removePreset(ts.rt, actor, 'short-lived')).rejects.toThrow(/in use by 1 API key/);
    await revokeKey(ts.rt, actor, k.view.id);
    await removePreset(ts.rt, actor, 'short-lived');
    expect(await ts.rt.store.presets.byName(actor.orgId, 'short-lived')).toBeUndefined();
  });

  it('a key whose preset is gone is refused, not given the source policy alone', async () => {
    await createPreset(ts.rt, actor, { name: 'vanishing', policy: { hiddenColumns: ['*email*'] } });
    const k = await createKey(ts.rt, actor, { name: 'vanishing-key', preset: 'vanishing' });
    const c = await connectClient(ts.mcpUrl, k.key, 'modern');
    clients.push(c);
    expect(code(await call(c, 'run_query', { source, sql: 'SELECT email FROM customers' }))).toBe('PERMISSION_DENIED');
    // As if removed in a race with the in-use check.
    await ts.rt.store.db.deleteFrom('policy_presets').where('name', '=', 'vanishing').execute();
    const res = await fetch(ts.mcpUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${k.key}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'run_query', arguments: { source, sql: 'SELECT email FROM customers' } } }),
    });
    expect(res.status).toBe(401);
    expect(await res.text()).not.toContain(EMAILS[0]!);
  });

  it('a preset of another organization cannot be used', async () => {
    const other = { kind: 'operator' as const, orgId: (await ts.org('other')).id };
    const theirs = await createPreset(ts.rt, other, { name: 'theirs', policy: {} });
    await expect(createKey(ts.rt, actor, { name: 'x', preset: 'theirs' })).rejects.toThrow(/no policy preset "theirs" in this organization/);
    await expect(createKey(ts.rt, actor, { name: 'x', preset: theirs.id })).rejects.toThrow(/no policy preset/);
    await expect(updatePreset(ts.rt, actor, theirs.id, { description: 'mine now' })).rejects.toThrow(/no policy preset/);
    await expect(removePreset(ts.rt, actor, theirs.id)).rejects.toThrow(/no policy preset/);
    // Even a key row naming another organization's preset (never written by Sequel) fails closed.
    const k = await ts.key('gov', { name: 'forged' });
    await ts.rt.store.db.updateTable('api_keys').set({ preset_id: theirs.id }).where('id', '=', k.info.id).execute();
    const res = await fetch(ts.mcpUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${k.key}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'list_sources', arguments: {} } }),
    });
    expect(res.status).toBe(401);
  });
});

describe('an OAuth authorization with a preset chosen on the consent screen', () => {
  it('is enforced on every call, and a preset of another organization is refused at consent', async () => {
    if (!dbs.has('sqlite')) return;
    const source = 'src-sqlite';
    await createUser(ts, 'ada@example.com', [['gov', 'member'], ['other', 'member']]);
    const noPiiId = (await ts.rt.store.presets.byName(actor.orgId, 'no-pii'))!.id;
    const t = await tokensFor(ts.url, { email: 'ada@example.com', orgId: actor.orgId, preset: noPiiId });
    const auths = await ts.rt.store.oauth.listAuthorizations(actor.orgId);
    expect(auths.find((a) => a.client_id === t.clientId)?.preset_name).toBe('no-pii');
    const c = await connectClient(ts.mcpUrl, t.access_token, 'modern');
    clients.push(c);
    expect(code(await call(c, 'run_query', { source, sql: 'SELECT ssn FROM customers' }))).toBe('PERMISSION_DENIED');
    expect(code(await call(c, 'explain_query', { source, sql: 'SELECT email FROM customers' }))).toBe('PERMISSION_DENIED');
    const ok = await call(c, 'run_query', { source, sql: 'SELECT name FROM customers ORDER BY id' });
    expect(ok.isError, JSON.stringify(ok.structuredContent)).toBeFalsy();
    const d = await call(c, 'describe_table', { source, table: 'customers' });
    expect((d.structuredContent.table as { columns: Array<{ name: string }> }).columns.map((x) => x.name)).toEqual(['id', 'name', 'country']);

    // Without a preset, the same person's app reads what the source allows.
    const open = await tokensFor(ts.url, { email: 'ada@example.com', orgId: actor.orgId });
    const oc = await connectClient(ts.mcpUrl, open.access_token, 'modern');
    clients.push(oc);
    expect(rows(await call(oc, 'run_query', { source, sql: 'SELECT ssn FROM customers ORDER BY id' })).map((r) => r[0])).toEqual(SSNS);

    // The consent page offers each organization's presets; another organization's preset with this
    // organization chosen is refused there, and no authorization is made.
    const theirs = (await createPreset(ts.rt, { kind: 'operator', orgId: (await ts.org('other')).id }, { name: 'other-apps', policy: {} })).id;
    const reg = await registerClient(ts.url, { redirect_uris: ['http://127.0.0.1:9/cb'] });
    const { challenge } = pkce();
    const browser = new Browser();
    const origin = new URL(ts.url).origin;
    const authUrl = authorizationUrl(ts.url, { client_id: String(reg.json.client_id), redirect_uri: 'http://127.0.0.1:9/cb', code_challenge: challenge, code_challenge_method: 'S256', state: 's' });
    const signIn = await browser.follow(authUrl, {}, origin);
    const login = formFields(signIn.body);
    const consent = await browser.follow(new URL(login.action, signIn.url).href, { form: { csrf: login.csrf, email: 'ada@example.com', password: PASSWORD } }, origin);
    expect(consent.body).toContain('<select id="preset" name="preset">');
    expect(consent.body).toMatch(new RegExp(`<optgroup label="gov">(<option [^>]+>[^<]+</option>)*<option value="${noPiiId}">no-pii \\(No personal data\\)</option>`));
    expect(consent.body).toContain(`<option value="${theirs}">other-apps</option>`);
    const form = formFields(consent.body);
    const refused = await browser.follow(new URL(form.action, consent.url).href, { form: { csrf: form.csrf, org: actor.orgId, action: 'approve', preset: theirs } }, origin);
    expect(refused.status).toBe(400);
    expect(refused.body).toContain('That policy preset is not one of gov');
    const after = await ts.rt.store.oauth.listAuthorizations(actor.orgId, { includeInactive: true });
    expect(after.filter((a) => a.client_id === String(reg.json.client_id))).toEqual([]);
  }, 120_000);
});
