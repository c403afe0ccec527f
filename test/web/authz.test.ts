/**
 * Every dashboard route × {owner, admin, member, a member of another organization, signed out}: the
 * status each gets. Ids from another organization in URLs are "not found"; a member's attempt at an
 * admin's action is 403; a state-changing request without the CSRF token, or from another origin, is 403.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resumeSession, startSession } from '../../src/ops/account.js';
import { createKey } from '../../src/ops/keys.js';
import { createMember, inviteMember } from '../../src/ops/members.js';
import type { Actor } from '../../src/ops/permissions.js';
import { csrfFor } from '../../src/web/session.js';
import { dashboardRequest, startTestServer, type TestServer } from '../helpers/server.js';

type Who = 'owner' | 'admin' | 'member' | 'outsider' | 'anonymous';

let ts: TestServer;
const ids: Record<string, string> = {};
const sessions: Partial<Record<Who, { cookie: string; csrf: string }>> = {};
let alpha: Actor;
let beta: Actor;

beforeAll(async () => {
  ts = await startTestServer({ demo: false });
  const a = await ts.org('alpha');
  const b = await ts.org('beta');
  alpha = { kind: 'operator', orgId: a.id };
  beta = { kind: 'operator', orgId: b.id };
  const pw = 'long enough passphrase';
  for (const [who, role, org] of [
    ['owner', 'owner', alpha],
    ['owner2', 'owner', alpha],
    ['admin', 'admin', alpha],
    ['member', 'member', alpha],
    ['member2', 'member', alpha],
    ['outsider', 'owner', beta],
  ] as const) {
    const u = await createMember(ts.rt, org, { email: `${who}@example.com`, password: pw, role });
    ids[who] = u.id;
    if (who === 'owner2' || who === 'member2') continue;
    const token = await startSession(ts.rt, u.id, 'test');
    const session = (await resumeSession(ts.rt, token))!;
    sessions[who] = { cookie: `sequel_session=${token}`, csrf: csrfFor(ts.rt, session) };
  }
  ids.betaKey = (await createKey(ts.rt, { kind: 'user', userId: ids.outsider!, orgId: b.id, role: 'owner' }, { name: 'beta-key' })).view.id;
});
afterAll(async () => {
  await ts?.close();
});

async function call(who: Who, method: 'GET' | 'POST', path: string, form: Record<string, string> = {}, opts: { csrf?: boolean; origin?: string } = {}) {
  return (await dashboardRequest(ts, sessions[who as Exclude<Who, 'anonymous'>], method, path, form, opts)).status;
}

/** A fresh key owned by a user of alpha, for each revocation attempt. */
async function keyOf(who: 'owner' | 'member'): Promise<string> {
  const role = who === 'owner' ? 'owner' : 'member';
  return (await createKey(ts.rt, { kind: 'user', userId: ids[who]!, orgId: alpha.orgId, role }, { name: `k-${who}` })).view.id;
}

const PAGES = ['', '/settings/keys', '/settings/keys/new', '/settings/apps', '/settings/presets', '/settings/members', '/settings/organization', '/account', '/connect', '/sources', '/activity'];

describe('dashboard routes by role and organization', () => {
  it('GET pages: members of the org see them; another org gets 404; signed out is sent to sign in', async () => {
    for (const p of PAGES) {
      const path = `/app/alpha${p}`;
      for (const who of ['owner', 'admin', 'member'] as const) expect(await call(who, 'GET', path), `${who} GET ${path}`).toBe(200);
      expect(await call('outsider', 'GET', path), `outsider GET ${path}`).toBe(404);
      expect(await call('anonymous', 'GET', path), `anonymous GET ${path}`).toBe(303);
    }
    // Admin-only pages.
    expect(await call('member', 'GET', '/app/alpha/settings/members/invite')).toBe(403);
    expect(await call('admin', 'GET', '/app/alpha/settings/members/invite')).toBe(200);
    expect(await call('owner', 'GET', '/app/nope')).toBe(404);
  });

  it('POST actions: the expected status per role', async () => {
    type Case = { name: string; path: () => Promise<string>; form?: Record<string, string>; expect: Partial<Record<Who, number>> };
    const cases: Case[] = [
      { name: 'create key', path: async () => '/app/alpha/settings/keys', form: { name: 'k', expires: 'never' }, expect: { owner: 201, admin: 201, member: 201, outsider: 404, anonymous: 401 } },
      { name: 'install key', path: async () => '/app/alpha/connect/key', expect: { owner: 200, admin: 200, member: 200, outsider: 404, anonymous: 401 } },
      { name: "revoke the owner's key", path: async () => `/app/alpha/settings/keys/${await keyOf('owner')}/revoke`, expect: { owner: 303, admin: 303, member: 404, outsider: 404, anonymous: 401 } },
      { name: 'revoke own key', path: async () => `/app/alpha/settings/keys/${await keyOf('member')}/revoke`, expect: { member: 303 } },
      { name: "revoke another org's key", path: async () => `/app/alpha/settings/keys/${ids.betaKey}/revoke`, expect: { owner: 404, admin: 404, member: 404 } },
      { name: 'invite member', path: async () => '/app/alpha/settings/members/invite', form: { email: `x${Math.random()}@example.com`.replace('0.', ''), role: 'member' }, expect: { owner: 201, admin: 201, member: 403, outsider: 404 } },
      { name: 'invite owner', path: async () => '/app/alpha/settings/members/invite', form: { email: `o${Date.now()}@example.com`, role: 'owner' }, expect: { admin: 403, member: 403 } },
      {
        name: 'revoke invitation',
        path: async () => `/app/alpha/settings/members/invitations/${(await inviteMember(ts.rt, alpha, { email: `i${Date.now()}${Math.floor(Math.random() * 1e6)}@example.com`, role: 'member' })).invitation.id}/revoke`,
        expect: { owner: 303, admin: 303, member: 403, outsider: 404 },
      },
      { name: "change a member's role", path: async () => `/app/alpha/settings/members/${ids.member2}/role`, form: { role: 'member' }, expect: { owner: 303, admin: 303, member: 403, outsider: 404 } },
      { name: "change an owner's role", path: async () => `/app/alpha/settings/members/${ids.owner2}/role`, form: { role: 'owner' }, expect: { owner: 303, admin: 403, member: 403 } },
      { name: 'make someone owner', path: async () => `/app/alpha/settings/members/${ids.member2}/role`, form: { role: 'owner' }, expect: { admin: 403, member: 403 } },
      { name: "change another org's member", path: async () => `/app/alpha/settings/members/${ids.outsider}/role`, form: { role: 'member' }, expect: { owner: 404, admin: 404 } },
      { name: 'remove another member', path: async () => `/app/alpha/settings/members/${ids.member2}/remove`, expect: { member: 403, outsider: 404, anonymous: 401 } },
      { name: "remove another org's member", path: async () => `/app/alpha/settings/members/${ids.outsider}/remove`, expect: { owner: 404, admin: 404 } },
      { name: 'remove an owner', path: async () => `/app/alpha/settings/members/${ids.owner2}/remove`, expect: { admin: 403, member: 403 } },
      { name: 'revoke unknown app', path: async () => '/app/alpha/settings/apps/not-an-id/revoke', expect: { owner: 404, member: 404, outsider: 404 } },
    ];
    for (const c of cases) {
      for (const [who, status] of Object.entries(c.expect) as Array<[Who, number]>) {
        expect(await call(who, 'POST', await c.path(), c.form), `${who}: ${c.name}`).toBe(status);
      }
    }
    // What the refusals protected is still there.
    expect((await ts.rt.store.users.membership(alpha.orgId, ids.owner2!))).toBe('owner');
    expect((await ts.rt.store.apiKeys.list(beta.orgId)).map((k) => k.name)).toEqual(['beta-key']);
  });

  it('refuses a state-changing request without the CSRF token or from another origin', async () => {
    const target = await keyOf('owner');
    const keysBefore = (await ts.rt.store.apiKeys.list(alpha.orgId)).length;
    const posts = ['/app/alpha/settings/keys', '/app/alpha/connect/key', '/app/alpha/settings/members/invite', `/app/alpha/settings/keys/${target}/revoke`, '/signout', '/app/new'];
    for (const p of posts) {
      expect(await call('owner', 'POST', p, { name: 'csrf', email: 'c@example.com', role: 'member', slug: 'csrf-org' }, { csrf: false }), `no token: ${p}`).toBe(403);
      expect(await call('owner', 'POST', p, { name: 'csrf', email: 'c@example.com', role: 'member', slug: 'csrf-org' }, { origin: 'https://evil.example' }), `foreign origin: ${p}`).toBe(403);
    }
    expect((await ts.rt.store.apiKeys.list(alpha.orgId)).length).toBe(keysBefore);
    expect(await ts.rt.store.orgs.bySlug('csrf-org')).toBeUndefined();
    // The session survived both attempts to sign it out.
    expect(await call('owner', 'GET', '/app/alpha')).toBe(200);
  });

  it('the last owner can neither leave nor be demoted; a removed member is locked out at once', async () => {
    const solo = await ts.org('solo');
    const u = await createMember(ts.rt, { kind: 'operator', orgId: solo.id }, { email: 'solo@example.com', password: 'long enough passphrase', role: 'owner' });
    const token = await startSession(ts.rt, u.id, 'test');
    const s = (await resumeSession(ts.rt, token))!;
    const post = async (path: string, form: Record<string, string>) =>
      (await fetch(`${ts.url}${path}`, { method: 'POST', redirect: 'manual', headers: { cookie: `sequel_session=${token}` }, body: new URLSearchParams({ ...form, _csrf: csrfFor(ts.rt, s) }) })).status;
    expect(await post(`/app/solo/settings/members/${u.id}/role`, { role: 'admin' })).toBe(400);
    expect(await post(`/app/solo/settings/members/${u.id}/remove`, {})).toBe(400);
    expect(await ts.rt.store.users.membership(solo.id, u.id)).toBe('owner');

    // The owner of alpha removes member2: their session no longer reaches alpha.
    const m2 = await startSession(ts.rt, ids.member2!, 'test');
    expect((await fetch(`${ts.url}/app/alpha`, { headers: { cookie: `sequel_session=${m2}` }, redirect: 'manual' })).status).toBe(200);
    expect(await call('owner', 'POST', `/app/alpha/settings/members/${ids.member2}/remove`)).toBe(200);
    expect((await fetch(`${ts.url}/app/alpha`, { headers: { cookie: `sequel_session=${m2}` }, redirect: 'manual' })).status).toBe(404);
  });

  it('password change ends the other sessions; sign out everywhere ends them all', async () => {
    const org = await ts.org('pw');
    const u = await createMember(ts.rt, { kind: 'operator', orgId: org.id }, { email: 'pw@example.com', password: 'first passphrase 1', role: 'member' });
    const a = await startSession(ts.rt, u.id, 'a');
    const b = await startSession(ts.rt, u.id, 'b');
    const csrfA = csrfFor(ts.rt, (await resumeSession(ts.rt, a))!);
    const get = async (t: string) => (await fetch(`${ts.url}/app/pw`, { headers: { cookie: `sequel_session=${t}` }, redirect: 'manual' })).status;
    const post = async (t: string, csrf: string, path: string, form: Record<string, string> = {}) =>
      (await fetch(`${ts.url}${path}`, { method: 'POST', redirect: 'manual', headers: { cookie: `sequel_session=${t}` }, body: new URLSearchParams({ ...form, _csrf: csrf }) })).status;
    expect(await post(a, csrfA, '/app/pw/account/password', { current: 'wrong', next: 'second passphrase 2', confirm: 'second passphrase 2' })).toBe(400);
    expect(await get(b)).toBe(200);
    expect(await post(a, csrfA, '/app/pw/account/password', { current: 'first passphrase 1', next: 'second passphrase 2', confirm: 'second passphrase 2' })).toBe(303);
    expect(await get(a)).toBe(200);
    expect(await get(b)).toBe(303);
    const c = await startSession(ts.rt, u.id, 'c');
    expect(await post(a, csrfA, '/signout?everywhere=1')).toBe(303);
    expect(await get(a)).toBe(303);
    expect(await get(c)).toBe(303);
  });
});
