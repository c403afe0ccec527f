/**
 * The Policy tab never drops a rule it has no checkbox for. A policy set through `sequel sources policy`
 * (its operation, with the CLI's parsers) with a column pattern for every table, a wildcard table, a mask on
 * a pattern, entries for a table and a schema the catalog does not show, a column written differently than
 * the form writes it, and an identity role; the tab shows them all; the form posted as the page would post
 * it (one more column ticked) keeps every one of them, and a model still cannot read a pattern-hidden
 * column. Removing a pattern from its list removes it; a page older than the policy cannot be saved.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setPolicyCommand } from '../../src/cliData.js';
import { identityList, maskList, nameList } from '../../src/sources.js';
import type { SourcePolicy } from '../../src/store/sources.js';
import { connectClient, signedInMember, startTestServer, type TestServer } from '../helpers/server.js';

let ts: TestServer;
let dir: string;
let orgId: string;
let sourceId: string;
let session: { cookie: string; csrf: string };
let client: Client;
let policyUrl: string;

beforeAll(async () => {
  ts = await startTestServer({ demo: false });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dd-policy-'));
  const file = path.join(dir, 'shop.sqlite');
  const db = new Database(file);
  db.exec(`create table customers (id integer primary key, name text, email text, ssn text, phone text);
    create table orders (id integer primary key, customer_email text, total real, note text);
    create table audit_2025 (id integer primary key, what text);
    insert into customers values (1, 'Ada', 'ada@x.test', '123-45-6789', '555-0100');
    insert into orders values (1, 'ada@x.test', 42.5, 'first');
    insert into audit_2025 values (1, 'login');`);
  db.close();
  const org = await ts.org('acme');
  orgId = org.id;
  sourceId = (await ts.source('acme', { name: 'shop', engine: 'sqlite', url: file })).id;
  const owner = await signedInMember(ts, orgId, { email: 'owner@acme.test', role: 'owner' });
  session = { cookie: owner.cookie, csrf: owner.csrf };
  client = await connectClient(ts.mcpUrl, (await ts.key('acme', { name: 'laptop', userId: owner.id })).key);
  policyUrl = `${ts.url}/app/acme/sources/${sourceId}/policy`;
  // What `sequel sources policy --allowed-schemas main,extra --hide-tables 'audit_*,main.archive'
  // --hide-columns '*email*,customers.SSN,ghost.secret' --mask '*phone*:mask' --identity-roles …` sends.
  await setPolicyCommand(ts.rt, { kind: 'user', userId: owner.id, orgId, role: 'owner' }, 'acme', 'shop', {
    allowedSchemas: nameList('main,extra'),
    hiddenTables: nameList('audit_*,main.archive'),
    hiddenColumns: nameList('*email*,customers.SSN,ghost.secret'),
    maskedColumns: maskList('*phone*:mask'),
    identityRoles: identityList('someone@else.test=analyst'),
  });
});
afterAll(async () => {
  await client?.close();
  await ts?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const unescape = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
const attrs = (s: string) => Object.fromEntries([...s.matchAll(/([\w-]+)(?:="([^"]*)")?/g)].map((m) => [m[1]!, m[2] === undefined ? '' : unescape(m[2])]));

async function getPolicyPage(): Promise<string> {
  const res = await fetch(policyUrl, { headers: { cookie: session.cookie } });
  expect(res.status).toBe(200);
  return res.text();
}

/** The policy form's fields as a browser would submit them: checked boxes, hidden inputs and text areas. */
function formFields(html: string): Array<[string, string]> {
  const form = html.slice(html.indexOf(`<form method="post" action="/app/acme/sources/${sourceId}/policy"`));
  const body = form.slice(0, form.indexOf('</form>'));
  const fields: Array<[string, string]> = [];
  for (const m of body.matchAll(/<input\b([^>]*)>|<textarea\b([^>]*)>([\s\S]*?)<\/textarea>/g)) {
    if (m[1] !== undefined) {
      const a = attrs(m[1]);
      if (!a.name || (a.type === 'checkbox' && !('checked' in a))) continue;
      fields.push([a.name, a.value ?? (a.type === 'checkbox' ? 'on' : '')]);
    } else fields.push([attrs(m[2]!).name!, unescape(m[3]!)]);
  }
  return fields;
}

async function post(fields: Array<[string, string]>): Promise<Response> {
  const body = new URLSearchParams(fields.filter(([k]) => k !== '_csrf'));
  body.set('_csrf', session.csrf);
  return fetch(policyUrl, { method: 'POST', headers: { cookie: session.cookie }, body, redirect: 'manual' });
}

const stored = async (): Promise<SourcePolicy> => (await ts.rt.store.sources.get(orgId, sourceId))!.policy;

async function query(sql: string): Promise<{ code: string | undefined; rows: unknown[] }> {
  const r = (await client.callTool({ name: 'run_query', arguments: { source: 'shop', sql } })) as { structuredContent?: { error?: { code: string }; rows?: unknown[] } };
  return { code: r.structuredContent?.error?.code, rows: r.structuredContent?.rows ?? [] };
}

describe('the Policy tab keeps the rules it has no checkbox for', () => {
  it('shows every rule, and a save with one more column keeps them all', { timeout: 60_000 }, async () => {
    const html = await getPolicyPage();
    const fields = formFields(html);
    const field = (k: string) => fields.filter(([n]) => n === k).map(([, v]) => v);
    // Boxes for what names one object, in the form's spelling; lists, as written, for the rest.
    expect(field('allowedSchemas')).toEqual(['main']);
    expect(field('hiddenColumns')).toEqual(['main.customers.ssn']);
    expect(field('hiddenTables')).toEqual([]);
    expect(field('otherAllowedSchemas')).toEqual(['extra']);
    expect(field('otherHiddenTables')).toEqual(['audit_*\nmain.archive']);
    expect(field('otherHiddenColumns')).toEqual(['*email*\nghost.secret']);
    expect(field('maskedColumns')).toEqual(['*phone*:mask']);
    expect(html).toContain('someone@else.test');
    // Columns and tables hidden by a pattern say so beside their boxes.
    expect(html).toMatch(/value="main\.customers\.email"[^>]*>\s*<span class="mono">email<\/span>\s*<span class="muted small">hidden by another rule/);
    expect(html).toMatch(/value="main\.audit_2025"[^>]*>\s*Hide the whole table\s*<span class="muted small">hidden by another rule/);

    const res = await post([...fields, ['hiddenColumns', 'main.orders.note']]);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toContain('ok=policy');
    const p = await stored();
    expect(p.allowedSchemas.sort()).toEqual(['extra', 'main']);
    expect(p.hiddenTables.sort()).toEqual(['audit_*', 'main.archive']);
    expect(p.hiddenColumns.sort()).toEqual(['*email*', 'ghost.secret', 'main.customers.ssn', 'main.orders.note']);
    expect(p.maskedColumns).toEqual([{ column: '*phone*', mode: 'mask' }]);
    expect(p.identityRoles).toEqual([{ member: 'someone@else.test', role: 'analyst' }]);

    // What a model reads after the save: the pattern-hidden columns and the wildcard table stay refused.
    expect((await query('select email from customers')).code).toBe('PERMISSION_DENIED');
    expect((await query('select customer_email from orders')).code).toBe('PERMISSION_DENIED');
    expect((await query('select ssn from customers')).code).toBe('PERMISSION_DENIED');
    expect((await query('select note from orders')).code).toBe('PERMISSION_DENIED');
    expect((await query('select what from audit_2025')).code).toBe('PERMISSION_DENIED');
    const ok = await query('select name, phone from customers');
    expect(ok.code).toBeUndefined();
    expect(JSON.stringify(ok.rows)).toContain('Ada');
    expect(JSON.stringify(ok.rows)).not.toContain('555-0100');

    // The same page posted again after the save is stale: refused, nothing changes.
    const stale = await post(fields);
    expect(stale.status).toBe(409);
    expect((await stored()).hiddenColumns).toContain('main.orders.note');
  });

  it('a post without the lists (not the page’s own) keeps the stored rules that are not boxes', async () => {
    const before = await stored();
    const version = formFields(await getPolicyPage()).find(([k]) => k === 'version')![1];
    const res = await post([
      ['version', version],
      ['allowedSchemas', 'main'],
    ]);
    expect(res.status).toBe(303);
    const p = await stored();
    expect(p.allowedSchemas.sort()).toEqual(['extra', 'main']);
    expect(p.hiddenTables.sort()).toEqual(['audit_*', 'main.archive']);
    // The boxes are what was posted (none ticked); the rest stays.
    expect(p.hiddenColumns.sort()).toEqual(['*email*', 'ghost.secret']);
    expect(p.maskedColumns).toEqual(before.maskedColumns);
  });

  it('removing a pattern from its list removes it, and only it', async () => {
    const fields = formFields(await getPolicyPage()).map(([k, v]): [string, string] =>
      k === 'otherHiddenColumns' ? [k, v.split('\n').filter((l) => l !== '*email*').join('\n')] : k === 'maskedColumns' ? [k, ''] : [k, v],
    );
    const res = await post(fields);
    expect(res.status).toBe(303);
    const p = await stored();
    expect(p.hiddenColumns).toEqual(['ghost.secret']);
    expect(p.maskedColumns).toEqual([]);
    expect(p.hiddenTables.sort()).toEqual(['audit_*', 'main.archive']);
    expect(p.identityRoles).toEqual([{ member: 'someone@else.test', role: 'analyst' }]);
    const r = await query('select email, phone from customers');
    expect(r.code).toBeUndefined();
    expect(JSON.stringify(r.rows)).toContain('555-0100');
  });

  it('a malformed mask line is refused and changes nothing', async () => {
    const before = await stored();
    const fields = formFields(await getPolicyPage()).map(([k, v]): [string, string] => (k === 'maskedColumns' ? [k, 'customers.phone:scramble'] : [k, v]));
    const res = await post(fields);
    expect(res.status).toBe(400);
    expect(await stored()).toEqual(before);
  });
});
