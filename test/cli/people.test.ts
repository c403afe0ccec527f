/** `sequel users` and `sequel keys` as an administrator uses them: happy paths and the main errors. */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeShopFile } from '../helpers/sqliteFile.js';
import { makeCli } from './helpers.js';

const cli = makeCli();
const PW = 'correct horse battery staple\n';

beforeAll(async () => {
  for (const slug of ['acme', 'beta']) await cli.json(['orgs', 'create', slug]);
  await cli.json(['sources', 'add', '--org', 'acme', '--name', 'shop', '--engine', 'sqlite', '--url', makeShopFile(10)]);
  await cli.json(['users', 'create', 'ada@example.com', '--org', 'acme', '--role', 'owner'], PW);
  await cli.json(['users', 'create', 'bob@example.com', '--org', 'acme', '--role', 'member'], PW);
}, 300_000);
afterAll(() => cli.cleanup());

type Key = { key: string; id: string; prefix: string; name: string; created_by_user_id: string | null; sources: string[] | null };

describe('sequel users', () => {
  it('adds an existing account to another organization, changes a role, lists a person’s organizations', { timeout: 300_000 }, async () => {
    expect(await cli.json(['users', 'add', 'ada@example.com', '--org', 'beta', '--role', 'admin'])).toMatchObject({ email: 'ada@example.com', role: 'admin', org: 'beta' });
    const again = await cli.run(['users', 'add', 'ada@example.com', '--org', 'beta', '--role', 'admin']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already a member');
    const nobody = await cli.run(['users', 'add', 'zed@example.com', '--org', 'beta', '--role', 'member']);
    expect(nobody.code).toBe(1);
    expect(nobody.stderr).toContain('no account zed@example.com');
    const role = await cli.run(['users', 'role', 'bob@example.com', '--org', 'acme', '--role', 'admin']);
    expect(role.code, role.stderr).toBe(0);
    expect(role.stdout).toContain('bob@example.com is now admin of acme (was member)');
    const badRole = await cli.run(['users', 'role', 'bob@example.com', '--org', 'acme', '--role', 'king']);
    expect(badRole.code).not.toBe(0);
    const lastOwner = await cli.run(['users', 'role', 'ada@example.com', '--org', 'acme', '--role', 'member']);
    expect(lastOwner.code).toBe(1);
    expect(lastOwner.stderr).toContain('last owner');
    const orgs = await cli.json<Array<{ org_slug: string; role: string }>>(['users', 'orgs', 'ada@example.com']);
    expect(orgs.map((o) => `${o.org_slug}:${o.role}`)).toEqual(['acme:owner', 'beta:admin']);
    const noOrgs = await cli.run(['users', 'orgs']);
    expect(noOrgs.code).toBe(2);
  });

  it('reset-password prints a one-time link, a newer one replacing the older; unknown people and other orgs are refused', { timeout: 300_000 }, async () => {
    const text = await cli.run(['users', 'reset-password', 'ada@example.com', '--org', 'acme']);
    expect(text.code, text.stderr).toBe(0);
    const first = /^(https?:\/\/\S+\/reset\/[A-Za-z0-9_-]{32})\n/.exec(text.stdout)?.[1];
    expect(first).toBeTruthy();
    expect(text.stdout).toContain('A one-time password reset link for ada@example.com');
    expect(text.stdout).toContain('signs them out everywhere');
    const json = await cli.json<{ email: string; org: string; link: string; expires_at: string; superseded: number }>(['users', 'reset-password', 'ADA@example.com', '--org', 'beta']);
    expect(json).toMatchObject({ email: 'ada@example.com', org: 'beta', superseded: 1 });
    expect(json.link).toMatch(/\/reset\/[A-Za-z0-9_-]{32}$/);
    expect(json.link).not.toBe(first);
    const hours = (Date.parse(json.expires_at) - Date.now()) / 3_600_000;
    expect(hours).toBeGreaterThan(23);
    expect(hours).toBeLessThanOrEqual(24);
    // The store keeps only hashes: the token is in none of its files.
    const token = json.link.split('/reset/')[1]!;
    for (const f of fs.readdirSync(cli.dataDir)) expect(fs.readFileSync(path.join(cli.dataDir, f)).includes(token), f).toBe(false);

    const nobody = await cli.run(['users', 'reset-password', 'zed@example.com', '--org', 'acme']);
    expect(nobody.code).toBe(1);
    expect(nobody.stderr).toContain('no member zed@example.com');
    const otherOrg = await cli.run(['users', 'reset-password', 'bob@example.com', '--org', 'beta']);
    expect(otherOrg.code).toBe(1);
    expect(otherOrg.stderr).toContain('no member bob@example.com');
    const noEmail = await cli.run(['users', 'reset-password', '--org', 'acme']);
    expect(noEmail.code).toBe(2);
    expect(noEmail.stderr).toContain('users reset-password needs an email');
    const noOrg = await cli.run(['users', 'reset-password', 'ada@example.com']);
    expect(noOrg.code).toBe(2);
    expect(noOrg.stderr).toContain('--org');
  });

  it('keys --user belong to the member; users remove says exactly which keys it revoked', { timeout: 300_000 }, async () => {
    const k1 = await cli.json<Key>(['keys', 'create', '--org', 'acme', '--name', 'bob-laptop', '--user', 'bob@example.com']);
    const k2 = await cli.json<Key>(['keys', 'create', '--org', 'acme', '--name', 'bob-ci', '--user', 'bob@example.com', '--sources', 'shop']);
    const ops = await cli.json<Key>(['keys', 'create', '--org', 'acme', '--name', 'ops']);
    expect(k1.created_by_user_id).toBeTruthy();
    expect(k2.sources).toEqual(['shop']);
    expect(ops.created_by_user_id).toBeNull();
    const notMember = await cli.run(['keys', 'create', '--org', 'acme', '--name', 'x', '--user', 'zed@example.com']);
    expect(notMember.code).toBe(1);
    expect(notMember.stderr).toContain('no member zed@example.com');
    const removed = await cli.run(['users', 'remove', 'bob@example.com', '--org', 'acme']);
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toContain('removed bob@example.com from acme');
    expect(removed.stdout).toContain(`revoked 2 API key(s): `);
    expect(removed.stdout).toContain(`bob-laptop (${k1.prefix}…)`);
    expect(removed.stdout).toContain(`bob-ci (${k2.prefix}…)`);
    expect(removed.stdout).toContain('they had no OAuth authorizations here');
    const left = await cli.json<Key[]>(['keys', 'list', '--org', 'acme']);
    expect(left.map((k) => k.name)).toEqual(['ops']);
    const gone = await cli.run(['users', 'remove', 'bob@example.com', '--org', 'acme']);
    expect(gone.code).toBe(1);
  });
});

describe('sequel keys', () => {
  it('refuses a source list that names nothing or an unknown source, never "all sources"', { timeout: 300_000 }, async () => {
    const empty = await cli.run(['keys', 'create', '--org', 'acme', '--name', 'e', '--sources', '']);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('--sources names no source');
    const commas = await cli.run(['keys', 'create', '--org', 'acme', '--name', 'e', '--sources', ' , ']);
    expect(commas.code).toBe(2);
    const unknown = await cli.run(['keys', 'create', '--org', 'acme', '--name', 'e', '--sources', 'nope']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no source named "nope"');
    expect((await cli.json<Key[]>(['keys', 'list', '--org', 'acme'])).map((k) => k.name)).not.toContain('e');
  });

  it('warns on a duplicate name, revokes by unique name, and refuses an ambiguous one', { timeout: 300_000 }, async () => {
    const a = await cli.run(['keys', 'create', '--org', 'acme', '--name', 'laptop', '--json']);
    expect(a.stderr).toBe('');
    const b = await cli.run(['keys', 'create', '--org', 'acme', '--name', 'laptop', '--json']);
    expect(b.code).toBe(0);
    const first = JSON.parse(a.stdout) as Key;
    expect(b.stderr).toContain(`warning: 1 other active key(s) in acme are also named "laptop" (${first.prefix}…)`);
    const ambiguous = await cli.run(['keys', 'revoke', '--org', 'acme', 'laptop']);
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stderr).toContain('2 keys are named "laptop"');
    expect((await cli.run(['keys', 'revoke', '--org', 'acme', `${first.prefix}…`])).code).toBe(0);
    const byName = await cli.run(['keys', 'revoke', '--org', 'acme', 'laptop']);
    expect(byName.code, byName.stderr).toBe(0);
    expect(byName.stdout).toContain('revoked laptop');
    expect((await cli.json<Key[]>(['keys', 'list', '--org', 'acme'])).map((k) => k.name)).toEqual(['ops']);
    const none = await cli.run(['keys', 'revoke', '--org', 'acme', 'laptop']);
    expect(none.code).toBe(1);
  });
});
