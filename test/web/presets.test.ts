/**
 * The dashboard's Policy presets page and the preset select of the API key form, over HTTP with real
 * sessions: admins create, edit and remove presets; members see them and pick one for a key; another
 * organization's preset is not found; a key made in the form is enforced with its preset on /mcp.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPreset } from '../../src/ops/presets.js';
import { dashboardRequest, rpc, signedInMember, startTestServer, type TestServer } from '../helpers/server.js';

type Who = 'owner' | 'member' | 'outsider';

let ts: TestServer;
let dir: string;
let alphaId: string;
const sessions: Partial<Record<Who, { cookie: string; csrf: string }>> = {};

beforeAll(async () => {
  ts = await startTestServer({ demo: false });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'presets-web-'));
  const file = path.join(dir, 'a.sqlite');
  const db = new Database(file);
  db.exec("create table people (id integer primary key, name text, email text); insert into people values (1, 'Ada', 'ada@secret.example');");
  db.close();
  alphaId = (await ts.org('alpha')).id;
  const betaId = (await ts.org('beta')).id;
  await ts.source('alpha', { name: 'main', engine: 'sqlite', url: file });
  await createPreset(ts.rt, { kind: 'operator', orgId: betaId }, { name: 'beta-only', policy: {} });
  for (const [who, role, orgId] of [
    ['owner', 'owner', alphaId],
    ['member', 'member', alphaId],
    ['outsider', 'owner', betaId],
  ] as const) {
    sessions[who] = await signedInMember(ts, orgId, { email: `${who}@example.com`, role });
  }
});
afterAll(async () => {
  await ts?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const call = (who: Who, method: 'GET' | 'POST', p: string, form: Record<string, string> = {}) => dashboardRequest(ts, sessions[who]!, method, p, form);

const base = '/app/alpha/settings/presets';

describe('Policy presets in the dashboard', () => {
  it('admins create, edit and remove presets; members see them; another organization finds nothing', async () => {
    const empty = await call('owner', 'GET', base);
    expect(empty.status).toBe(200);
    expect(empty.body).toContain('Create a preset');
    const created = await call('owner', 'POST', base, { name: 'no-pii', description: 'No personal data', allowedSchemas: '', hiddenTables: '', hiddenColumns: '*email*, *ssn*', masks: 'people.name:mask' });
    expect(created.status).toBe(303);
    expect(created.location).toBe(`${base}?ok=created`);
    const p = (await ts.rt.store.presets.byName(alphaId, 'no-pii'))!;
    expect(p.policy).toEqual({ allowedSchemas: [], hiddenTables: [], hiddenColumns: ['*email*', '*ssn*'], maskedColumns: [{ column: 'people.name', mode: 'mask' }] });

    const bad = await call('owner', 'POST', base, { name: 'broken', masks: 'people.name' });
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('a mask is column:mode');
    expect(bad.body).toContain('value="broken"');
    const dup = await call('owner', 'POST', base, { name: 'no-pii' });
    expect(dup.status).toBe(409);

    const seen = await call('member', 'GET', base);
    expect(seen.status).toBe(200);
    expect(seen.body).toContain('no-pii');
    expect(seen.body).not.toContain('Create a preset');
    expect((await call('member', 'POST', base, { name: 'sneaky' })).status).toBe(403);
    expect((await call('member', 'POST', `${base}/${p.id}`, { name: 'no-pii', hiddenColumns: '' })).status).toBe(403);

    expect((await call('outsider', 'GET', base)).status).toBe(404);
    // Another organization's preset id under the outsider's own organization: not found.
    expect((await call('outsider', 'GET', `/app/beta/settings/presets/${p.id}/edit`)).status).toBe(404);
    expect((await call('outsider', 'POST', `/app/beta/settings/presets/${p.id}`, { name: 'stolen', hiddenColumns: '' })).status).toBe(404);
    expect((await call('outsider', 'POST', `/app/beta/settings/presets/${p.id}/remove`)).status).toBe(404);

    const edit = await call('owner', 'GET', `${base}/${p.id}/edit`);
    expect(edit.status).toBe(200);
    expect(edit.body).toContain('value="*email*, *ssn*"');
    const saved = await call('owner', 'POST', `${base}/${p.id}`, { name: 'no-pii', description: 'No personal data', hiddenColumns: '*email*', masks: '' });
    expect(saved.status).toBe(303);
    expect((await ts.rt.store.presets.get(alphaId, p.id))?.policy).toMatchObject({ hiddenColumns: ['*email*'], maskedColumns: [] });
  });

  it('the key form creates a key narrowed to a preset, enforced on /mcp', async () => {
    const form = await call('member', 'GET', '/app/alpha/settings/keys');
    expect(form.body).toContain('name="preset"');
    expect(form.body).toContain('<option value="no-pii">no-pii — No personal data</option>');
    expect(form.body).not.toContain('beta-only');

    const foreign = await call('member', 'POST', '/app/alpha/settings/keys', { name: 'x', expires: 'never', preset: 'beta-only' });
    expect(foreign.status).toBe(400);
    expect(foreign.body).toContain('no policy preset &quot;beta-only&quot; in this organization');

    const made = await call('member', 'POST', '/app/alpha/settings/keys', { name: 'bi tool', expires: 'never', preset: 'no-pii' });
    expect(made.status).toBe(201);
    expect(made.body).toContain('preset no-pii');
    const key = /value="(sql_[0-9A-Za-z]{43})"/.exec(made.body)?.[1];
    expect(key).toBeTruthy();
    const listed = await call('member', 'GET', '/app/alpha/settings/keys');
    expect(listed.body).toMatch(/bi tool[\s\S]*no-pii/);

    const ask = (sql: string) =>
      rpc(ts.mcpUrl, { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'run_query', arguments: { source: 'main', sql } } }, { authorization: `Bearer ${key}`, 'mcp-protocol-version': '2025-11-25' });
    const refused = await ask('SELECT email FROM people');
    expect(JSON.stringify(refused.json)).toContain('PERMISSION_DENIED');
    expect(refused.text).not.toContain('ada@secret.example');
    const ok = await ask('SELECT name FROM people');
    expect(JSON.stringify(ok.json)).toContain('Ada');

    const inUse = await call('owner', 'POST', `${base}/${(await ts.rt.store.presets.byName(alphaId, 'no-pii'))!.id}/remove`);
    expect(inUse.status).toBe(409);
    expect(inUse.body).toContain('in use by 1 API key');

    // The key's preset changed later, from the keys page: only by whoever may see the key.
    const id = (await ts.rt.store.apiKeys.list(alphaId)).find((k) => k.name === 'bi tool')!.id;
    const page = await call('member', 'GET', `/app/alpha/settings/keys/${id}/preset`);
    expect(page.status).toBe(200);
    expect(page.body).toMatch(/<option value="no-pii" selected="">/);
    expect((await call('outsider', 'GET', `/app/beta/settings/keys/${id}/preset`)).status).toBe(404);
    expect((await call('outsider', 'POST', `/app/beta/settings/keys/${id}/preset`, { preset: '' })).status).toBe(404);
    expect((await call('member', 'POST', `/app/alpha/settings/keys/${id}/preset`, { preset: 'beta-only' })).status).toBe(400);
    const cleared = await call('member', 'POST', `/app/alpha/settings/keys/${id}/preset`, { preset: '' });
    expect(cleared.status).toBe(303);
    expect(cleared.location).toBe('/app/alpha/settings/keys?ok=key-preset');
    expect(JSON.stringify((await ask('SELECT email FROM people')).json)).toContain('ada@secret.example');
    const removed = await call('owner', 'POST', `${base}/${(await ts.rt.store.presets.byName(alphaId, 'no-pii'))!.id}/remove`);
    expect(removed.status).toBe(303);
  });
});
