/**
 * Password reset by a one-time link, over HTTP: an admin makes the link on the Members page, the person
 * opens /reset/<token> and sets a new password; the old password stops working, the new one signs in,
 * every session of theirs ends, and the link works once. Expired, used, replaced and unknown links get
 * one and the same page. Who may make a link: admins for members and admins, owners for owners, only
 * in their organization, and only when they manage the person everywhere the person belongs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resumeSession, startSession } from '../../src/ops/account.js';
import { createMember } from '../../src/ops/members.js';
import { createResetLink, INVALID_RESET_LINK, RESET_LINK_TTL_MS } from '../../src/ops/passwordReset.js';
import type { Actor } from '../../src/ops/permissions.js';
import { loggablePath } from '../../src/web/security.js';
import { dashboardRequest, signedInMember, startTestServer, type TestServer } from '../helpers/server.js';

const PW = 'long enough passphrase';
let ts: TestServer;
let alpha: Actor;
let beta: Actor;
const ids: Record<string, string> = {};
const sessions: Record<string, { cookie: string; csrf: string }> = {};

beforeAll(async () => {
  ts = await startTestServer({ demo: false });
  alpha = { kind: 'operator', orgId: (await ts.org('alpha')).id };
  beta = { kind: 'operator', orgId: (await ts.org('beta')).id };
  for (const [who, role, org] of [
    ['owner', 'owner', alpha],
    ['owner2', 'owner', alpha],
    ['admin', 'admin', alpha],
    ['member', 'member', alpha],
    ['bob', 'member', alpha],
    ['carol', 'member', alpha],
    ['dave', 'admin', alpha],
    ['outsider', 'owner', beta],
  ] as const) {
    const m = await signedInMember(ts, org.orgId!, { email: `${who}@example.com`, role, password: PW });
    ids[who] = m.id;
    sessions[who] = { cookie: m.cookie, csrf: m.csrf };
  }
  // Carol is a member of alpha and an owner of beta.
  await ts.rt.store.users.addMembership(beta.orgId, ids.carol!, 'owner');
}, 120_000);
afterAll(async () => {
  await ts?.close();
});

/** A signed-in POST to a dashboard route (with the session's CSRF token unless told otherwise). */
async function post(who: string, path: string, form: Record<string, string> = {}, opts: { csrf?: boolean } = {}) {
  const r = await dashboardRequest(ts, sessions[who]!, 'POST', path, form, opts);
  return { status: r.status, text: r.body };
}

/** The link the Members page shows once, as the token. */
async function linkFromPage(who: string, userId: string): Promise<string> {
  const r = await post(who, `/app/alpha/settings/members/${userId}/reset-password`);
  expect(r.status, r.text.slice(0, 300)).toBe(201);
  const m = new RegExp(`value="${ts.url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/reset/([A-Za-z0-9_-]+)"`).exec(r.text);
  expect(m, 'the link on the page').not.toBeNull();
  return m![1]!;
}

/** A public form as a browser sends it: the page's double-submit cookie and its `_csrf` field. */
async function openForm(path: string): Promise<{ status: number; text: string; cookie: string; csrf: string }> {
  const res = await fetch(`${ts.url}${path}`, { redirect: 'manual' });
  const text = await res.text();
  const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]!).find((c) => c.startsWith('sequel_signin=')) ?? '';
  const csrf = /name="_csrf" value="([^"]+)"/.exec(text)?.[1] ?? '';
  return { status: res.status, text, cookie, csrf };
}

async function submit(path: string, form: { cookie: string; csrf: string }, fields: Record<string, string>, headers: Record<string, string> = {}) {
  const res = await fetch(`${ts.url}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: form.cookie, ...headers },
    body: new URLSearchParams({ ...fields, _csrf: form.csrf }),
  });
  return { status: res.status, location: res.headers.get('location'), text: await res.text(), setCookie: res.headers.getSetCookie() };
}

async function signIn(email: string, password: string): Promise<number> {
  const form = await openForm('/signin');
  return (await submit('/signin?next=/app', form, { email, password })).status;
}

/** The text of the page's error notice, whitespace folded. */
const notice = (html: string) => html.replace(/\s+/g, ' ').includes(INVALID_RESET_LINK.replace(/'/g, '&#39;')) || html.replace(/\s+/g, ' ').includes(INVALID_RESET_LINK);

describe('password reset by a one-time link', () => {
  it('link made on the Members page → form → new password: old refused, new signs in, sessions gone, link used up', async () => {
    const other = await startSession(ts.rt, ids.bob!, 'another browser');
    const token = await linkFromPage('admin', ids.bob!);
    const path = `/reset/${token}`;

    const form = await openForm(path);
    expect(form.status).toBe(200);
    expect(form.text).toContain('bob@example.com');
    expect(form.text).toContain('name="confirm"');
    expect(form.cookie).not.toBe('');

    // Mistakes keep the link working.
    expect((await submit(path, form, { password: 'brand new passphrase', confirm: 'something else 123' })).status).toBe(400);
    expect((await submit(path, form, { password: 'short', confirm: 'short' })).status).toBe(400);
    expect((await submit(path, { ...form, csrf: 'forged' }, { password: 'brand new passphrase', confirm: 'brand new passphrase' })).status).toBe(403);
    expect((await submit(path, form, { password: 'brand new passphrase', confirm: 'brand new passphrase' }, { origin: 'https://evil.example' })).status).toBe(403);
    expect(await signIn('bob@example.com', PW)).toBe(303);

    const done = await submit(path, form, { password: 'brand new passphrase', confirm: 'brand new passphrase' });
    expect(done.status).toBe(303);
    expect(done.location).toBe('/signin?reset=done');
    // Sign out everywhere: the sessions from before the reset are gone.
    expect(await resumeSession(ts.rt, sessions.bob!.cookie.split('=')[1]!)).toBeUndefined();
    expect(await resumeSession(ts.rt, other)).toBeUndefined();
    expect((await fetch(`${ts.url}/app/alpha`, { headers: { cookie: sessions.bob!.cookie }, redirect: 'manual' })).status).toBe(303);
    expect(await ts.rt.store.sessions.countOf(ids.bob!)).toBe(0);
    const signinPage = await openForm('/signin?reset=done');
    expect(signinPage.text).toContain('Sign in with the new password');

    expect(await signIn('bob@example.com', PW)).toBe(401);
    expect(await signIn('bob@example.com', 'brand new passphrase')).toBe(303);

    // Single use.
    const again = await submit(path, form, { password: 'third passphrase 333', confirm: 'third passphrase 333' });
    expect(again.status).toBe(404);
    expect(notice(again.text)).toBe(true);
    expect((await openForm(path)).status).toBe(404);
    expect(await signIn('bob@example.com', 'third passphrase 333')).toBe(401);

    // The token is in no log line.
    expect(ts.logs.join('\n')).not.toContain(token);
    expect(ts.logs.some((l) => l.includes('password reset with a link'))).toBe(true);
  });

  it('expired, used, replaced and unknown links all get the same page', async () => {
    const expired = await createResetLink(ts.rt, alpha, ids.member!, Date.now() - RESET_LINK_TTL_MS - 60_000);
    const replaced = await createResetLink(ts.rt, alpha, ids.member!);
    const live = await createResetLink(ts.rt, alpha, ids.member!);
    expect(live.superseded).toBe(1);
    const used = await createResetLink(ts.rt, alpha, ids.dave!);
    const form = await openForm(`/reset/${used.token}`);
    expect((await submit(`/reset/${used.token}`, form, { password: 'dave new passphrase', confirm: 'dave new passphrase' })).status).toBe(303);

    const pages = await Promise.all([expired.token, replaced.token, used.token, 'not-a-token', 'x'.repeat(300)].map((t) => openForm(`/reset/${t}`)));
    for (const p of pages) {
      expect(p.status).toBe(404);
      expect(notice(p.text)).toBe(true);
      expect(p.text).not.toContain('member@example.com');
      expect(p.text).not.toContain('dave@example.com');
    }
    expect(new Set(pages.map((p) => p.text)).size).toBe(1);
    // Setting a password through a dead link does nothing.
    const attempt = await submit(`/reset/${expired.token}`, form, { password: 'sneaky passphrase 1', confirm: 'sneaky passphrase 1' });
    expect(attempt.status).toBe(404);
    expect(await signIn('member@example.com', 'sneaky passphrase 1')).toBe(401);
    // The live one still works.
    expect((await openForm(`/reset/${live.token}`)).status).toBe(200);
  });

  it('who may make a link: admins for members, owners for owners, their organization only, people they manage everywhere', async () => {
    const base = '/app/alpha/settings/members';
    // A member may not; an admin may not reset an owner; an owner may.
    expect((await post('member', `${base}/${ids.admin}/reset-password`)).status).toBe(403);
    const adminOnOwner = await post('admin', `${base}/${ids.owner2}/reset-password`);
    expect(adminOnOwner.status).toBe(403);
    expect(adminOnOwner.text).toContain('Only owners can do this.');
    await linkFromPage('owner', ids.owner2!);
    await linkFromPage('admin', ids.dave!);
    // Nobody reaches a person outside their organization: another org's member is "not found" here, and
    // another org's owner does not see this organization at all.
    expect((await post('admin', `${base}/${ids.outsider}/reset-password`)).status).toBe(404);
    expect((await post('owner', `${base}/${ids.outsider}/reset-password`)).status).toBe(404);
    expect((await post('outsider', `${base}/${ids.member}/reset-password`)).status).toBe(404);
    expect((await post('outsider', `/app/beta/settings/members/${ids.member}/reset-password`)).status).toBe(404);
    // Carol is also an owner of beta: alpha's admin and owner manage her only here, so they may not
    // take her account over; the operator (CLI) may.
    const cross = await post('owner', `${base}/${ids.carol}/reset-password`);
    expect(cross.status).toBe(403);
    expect(cross.text).toContain('also belongs to an organization where you cannot manage them');
    expect((await post('admin', `${base}/${ids.carol}/reset-password`)).status).toBe(403);
    expect((await createResetLink(ts.rt, alpha, ids.carol!)).email).toBe('carol@example.com');
    // Without the CSRF token nothing is made.
    expect((await post('admin', `${base}/${ids.member}/reset-password`, {}, { csrf: false })).status).toBe(403);

    // The Members page offers the action where it may be used.
    const page = await fetch(`${ts.url}${base}`, { headers: { cookie: sessions.admin!.cookie } }).then((r) => r.text());
    expect(page).toContain(`Reset password for member@example.com`);
    expect(page).not.toContain(`Reset password for owner2@example.com`);
    expect(page).not.toContain(`Reset password for admin@example.com`);
  });

  it('a logged path never carries a link token', () => {
    expect(loggablePath('/reset/AbC_123-x')).toBe('/reset/…');
    expect(loggablePath('/invite/AbC_123-x')).toBe('/invite/…');
    expect(loggablePath('/app/alpha/settings/members')).toBe('/app/alpha/settings/members');
  });

  it('a link stops working when the person leaves the organization it was made in', async () => {
    const u = await createMember(ts.rt, alpha, { email: 'leaver@example.com', password: PW, role: 'member' });
    const link = await createResetLink(ts.rt, alpha, u.id);
    expect((await openForm(`/reset/${link.token}`)).status).toBe(200);
    await ts.rt.store.users.removeMembership(alpha.orgId, u.id);
    expect((await openForm(`/reset/${link.token}`)).status).toBe(404);
  });
});
