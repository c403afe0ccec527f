/**
 * Every data-page route (sources, schema, policy, settings, delete, Activity, CSV, Playground) ×
 * {owner, admin, member, a member of another organization, signed out}: the status each gets, and ids of
 * another organization's source in URLs and form fields are "not found". What the refusals protected is
 * checked afterwards.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardRequest, signedInMember, startTestServer, type TestServer } from '../helpers/server.js';

type Who = 'owner' | 'admin' | 'member' | 'outsider' | 'anonymous';

let ts: TestServer;
let dir: string;
const sessions: Partial<Record<Who, { cookie: string; csrf: string }>> = {};
let alphaSource: string;
let betaSource: string;

beforeAll(async () => {
  ts = await startTestServer({ demo: false });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dd-authz-'));
  const file = path.join(dir, 'a.sqlite');
  const db = new Database(file);
  db.exec("create table t (id integer primary key, secret text); insert into t values (1, 'x');");
  db.close();
  const a = await ts.org('alpha');
  const b = await ts.org('beta');
  alphaSource = (await ts.source('alpha', { name: 'main', engine: 'sqlite', url: file })).id;
  betaSource = (await ts.source('beta', { name: 'theirs', engine: 'sqlite', url: file })).id;
  for (const [who, role, orgId] of [
    ['owner', 'owner', a.id],
    ['admin', 'admin', a.id],
    ['member', 'member', a.id],
    ['outsider', 'owner', b.id],
  ] as const) {
    sessions[who] = await signedInMember(ts, orgId, { email: `${who}@example.com`, role });
  }
});
afterAll(async () => {
  await ts?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

async function call(who: Who, method: 'GET' | 'POST', p: string, form: Record<string, string> = {}) {
  return (await dashboardRequest(ts, sessions[who as Exclude<Who, 'anonymous'>], method, p, form)).status;
}

describe('data routes by role and organization', () => {
  it('GET: members read sources and Activity; admin pages are 403 for members; another org is 404', async () => {
    const a = `/app/alpha`;
    const cases: Array<[string, Partial<Record<Who, number>>]> = [
      [`${a}/sources`, { owner: 200, admin: 200, member: 200, outsider: 404, anonymous: 303 }],
      [`${a}/sources/new`, { owner: 200, admin: 200, member: 403, outsider: 404, anonymous: 303 }],
      [`${a}/sources/new?engine=postgres`, { owner: 200, admin: 200, member: 403, outsider: 404 }],
      [`${a}/sources/${alphaSource}`, { owner: 200, admin: 200, member: 200, outsider: 404, anonymous: 303 }],
      [`${a}/sources/${alphaSource}/policy`, { owner: 200, admin: 200, member: 403, outsider: 404 }],
      [`${a}/sources/${alphaSource}/settings`, { owner: 200, admin: 200, member: 403, outsider: 404 }],
      [`${a}/activity`, { owner: 200, admin: 200, member: 200, outsider: 404, anonymous: 303 }],
      [`${a}/activity/export.csv`, { owner: 200, admin: 200, member: 200, outsider: 404, anonymous: 303 }],
      [`${a}/playground`, { owner: 200, admin: 200, member: 403, outsider: 404, anonymous: 303 }],
      // Another organization's source id under this organization's URL.
      [`${a}/sources/${betaSource}`, { owner: 404, admin: 404, member: 404 }],
      [`${a}/sources/${betaSource}/policy`, { owner: 404, admin: 404 }],
      [`${a}/sources/${betaSource}/settings`, { owner: 404, admin: 404 }],
      [`${a}/sources/not-a-uuid`, { owner: 404 }],
    ];
    for (const [p, expected] of cases) {
      for (const [who, status] of Object.entries(expected) as Array<[Who, number]>) expect(await call(who, 'GET', p), `${who} GET ${p}`).toBe(status);
    }
  });

  it('POST: only admins change sources and run the playground; another org’s ids are 404 wherever they appear', async () => {
    const a = `/app/alpha`;
    const s = `${a}/sources/${alphaSource}`;
    const b = `${a}/sources/${betaSource}`;
    type Case = [string, string, Record<string, string>, Partial<Record<Who, number>>];
    const cases: Case[] = [
      ['test a new source', `${a}/sources/new`, { do: 'test', name: 'x', engine: 'sqlite', url: '/nonexistent.sqlite' }, { owner: 200, admin: 200, member: 403, outsider: 404, anonymous: 401 }],
      ['add a source', `${a}/sources/new`, { do: 'force', name: 'added', engine: 'sqlite', url: '/nonexistent.sqlite' }, { member: 403, outsider: 404 }],
      ['check a source', `${s}/check`, {}, { owner: 303, member: 303, outsider: 404, anonymous: 401 }],
      ['describe a table', `${s}/describe`, { schema: 'main', table: 't', description: 'Things' }, { owner: 303, admin: 303, member: 403, outsider: 404, anonymous: 401 }],
      ['edit the policy', `${s}/policy`, { hiddenColumns: 'main.t.secret' }, { owner: 303, member: 403, outsider: 404 }],
      ['edit the settings', `${s}/settings`, { do: 'save', name: 'renamed', engine: 'sqlite', url: '/nonexistent.sqlite' }, { member: 403, outsider: 404 }],
      ['delete with the wrong name', `${s}/delete`, { confirm: 'nope' }, { owner: 400, member: 403, outsider: 404 }],
      ['delete', `${s}/delete`, { confirm: 'main' }, { member: 403, outsider: 404, anonymous: 401 }],
      ['playground', `${a}/playground`, { source: alphaSource, sql: 'select 1' }, { owner: 200, admin: 200, member: 403, outsider: 404 }],
      // Another organization's source, by URL or form field.
      ["check another org's source", `${b}/check`, {}, { owner: 404, member: 404 }],
      ["describe another org's table", `${b}/describe`, { schema: 'main', table: 't', description: 'mine' }, { owner: 404, admin: 404 }],
      ["edit another org's policy", `${b}/policy`, { hiddenColumns: 'main.t.id' }, { owner: 404 }],
      ["edit another org's settings", `${b}/settings`, { do: 'force', name: 'stolen', engine: 'sqlite', url: '/x.sqlite' }, { owner: 404 }],
      ["delete another org's source", `${b}/delete`, { confirm: 'theirs' }, { owner: 404, admin: 404 }],
      ["playground on another org's source", `${a}/playground`, { source: betaSource, sql: 'select * from t' }, { owner: 404, admin: 404 }],
    ];
    for (const [name, p, form, expected] of cases) {
      for (const [who, status] of Object.entries(expected) as Array<[Who, number]>) expect(await call(who, 'POST', p, form), `${who}: ${name}`).toBe(status);
    }
    // What the refusals protected: beta's source untouched, no description or policy written on it;
    // alpha's member-refused changes not made.
    const betaOrg = (await ts.org('beta')).id;
    const theirs = await ts.rt.store.sources.get(betaOrg, betaSource);
    expect(theirs).toMatchObject({ name: 'theirs', version: 1 });
    expect(theirs!.policy.hiddenColumns).toEqual([]);
    expect(await ts.rt.store.descriptions.forSource(betaSource)).toEqual([]);
    const alphaOrg = (await ts.org('alpha')).id;
    expect(await ts.rt.store.sources.get(alphaOrg, alphaSource)).toMatchObject({ name: 'main' });
    expect((await ts.rt.store.sources.list(alphaOrg)).map((x) => x.name)).toEqual(['main']);
    // The owner's delete, last, works.
    expect(await call('owner', 'POST', `${s}/delete`, { confirm: 'main' })).toBe(303);
    expect(await ts.rt.store.sources.get(alphaOrg, alphaSource)).toBeUndefined();
  });
});
