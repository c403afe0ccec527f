/**
 * The OAuth storage adapter and the authorization store, on both store dialects: tokens stored only as
 * keyed hashes, secrets encrypted, consumption and the refresh grace window, grant revocation, purge,
 * and the per-organization authorization list.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adapterFactory, type StoreAdapter } from '../../src/auth/oauth/adapter.js';
import { hashTokenId } from '../../src/auth/oauth/keys.js';
import { silentLogger } from '../../src/log.js';
import { ServerKeys } from '../../src/secrets.js';
import type { Store } from '../../src/store/index.js';
import { requireService } from '../helpers/services.js';
import { storeDialects } from '../helpers/stores.js';

const pgUp = await requireService('postgres', 'OAuth adapter suite on PostgreSQL');
const { errors } = await import('oidc-provider');

const dialects = storeDialects(pgUp, 'sequel_oauth');

const keys = new ServerKeys(Buffer.alloc(32, 9));
const GRACE_MS = 30_000;
const epoch = () => Math.floor(Date.now() / 1000);

describe.each(dialects)('OAuth storage on $name', (dialect) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let adapter: (model: string) => StoreAdapter;
  let orgId: string;
  let userId: string;

  beforeAll(async () => {
    ({ store, cleanup } = await dialect.open());
    await store.migrate();
    adapter = adapterFactory({ store, keys, log: silentLogger, refreshGraceMs: GRACE_MS, invalidGrant: (d) => new errors.InvalidGrant(d) });
    orgId = (await store.orgs.create('acme')).id;
    userId = (await store.users.create({ email: 'ada@example.com' })).id;
    await store.users.addMembership(orgId, userId, 'member');
  });
  afterAll(async () => {
    await cleanup?.();
  });

  async function allRowsText(): Promise<string> {
    return JSON.stringify(await store.db.withTables<{ oauth_models: Record<string, unknown> }>().selectFrom('oauth_models').selectAll().execute());
  }

  async function authorize(grantId: string, clientId = 'client-1'): Promise<void> {
    const membership = (await store.users.membershipsOf(userId)).find((m) => m.org_id === orgId)!;
    await store.oauth.createAuthorization({
      grantId,
      orgId,
      userId,
      membershipCreatedAt: membership.created_at,
      clientId,
      clientName: 'Claude',
      redirectUri: 'https://claude.ai/api/mcp/auth_callback',
      scope: 'mcp',
      expiresAt: new Date(Date.now() + 86400_000).toISOString(),
    });
  }

  it('stores token-like models under a keyed hash, never the raw id, and restores it on find', async () => {
    const raw = 'AccessTokenRawValue_' + 'x'.repeat(23);
    await adapter('AccessToken').upsert(raw, { jti: raw, grantId: 'g-hash', exp: epoch() + 60, scope: 'mcp', clientId: 'c' }, 60);
    const text = await allRowsText();
    expect(text).not.toContain(raw);
    expect(text).toContain(hashTokenId(keys, raw));
    const found = await adapter('AccessToken').find(raw);
    expect(found).toMatchObject({ jti: raw, grantId: 'g-hash', scope: 'mcp' });
    expect(await adapter('AccessToken').find(raw + 'y')).toBeUndefined();

    // Sessions are keyed by the cookie value; findByUid still works (without the cookie).
    const cookie = 'SessionCookieValue_' + 'z'.repeat(24);
    await adapter('Session').upsert(cookie, { jti: cookie, uid: 'session-uid-1', accountId: userId, exp: epoch() + 60 }, 60);
    expect(await allRowsText()).not.toContain(cookie);
    expect(await adapter('Session').find(cookie)).toMatchObject({ jti: cookie, accountId: userId });
    const byUid = await adapter('Session').findByUid('session-uid-1');
    expect(byUid).toMatchObject({ uid: 'session-uid-1', accountId: userId });
    expect(byUid?.jti).toBeUndefined();
  });

  it("encrypts a confidential client's secret and an interaction's session cookie at rest", async () => {
    await adapter('Client').upsert('client-secret-1', { client_id: 'client-secret-1', client_secret: 'TopSecretClientSecretValue', redirect_uris: ['https://a.example/cb'] }, undefined);
    await adapter('Interaction').upsert('interaction-uid-1', { jti: 'interaction-uid-1', session: { accountId: userId, uid: 'u1', cookie: 'SessionCookieInInteraction' }, exp: epoch() + 60 }, 60);
    const text = await allRowsText();
    expect(text).not.toContain('TopSecretClientSecretValue');
    expect(text).not.toContain('SessionCookieInInteraction');
    expect(text).not.toContain('interaction-uid-1');
    expect(await adapter('Client').find('client-secret-1')).toMatchObject({ client_secret: 'TopSecretClientSecretValue' });
    expect(await adapter('Interaction').find('interaction-uid-1')).toMatchObject({ session: { cookie: 'SessionCookieInInteraction' } });
  });

  it('returns nothing for an expired row', async () => {
    await adapter('AuthorizationCode').upsert('expired-code', { jti: 'expired-code', exp: epoch() - 1 }, 1);
    await store.db
      .withTables<{ oauth_models: { model: string; id: string; expires_at: string } }>()
      .updateTable('oauth_models')
      .set({ expires_at: new Date(Date.now() - 1000).toISOString() })
      .where('id', '=', hashTokenId(keys, 'expired-code'))
      .execute();
    expect(await adapter('AuthorizationCode').find('expired-code')).toBeUndefined();
  });

  it('a refresh token consumed within the grace window reads as unconsumed; after it, as consumed', async () => {
    const rt = 'RefreshTokenValue_' + 'r'.repeat(25);
    await adapter('RefreshToken').upsert(rt, { jti: rt, grantId: 'g-rt', exp: epoch() + 3600 }, 3600);
    await adapter('RefreshToken').consume(rt);
    expect((await adapter('RefreshToken').find(rt))?.consumed).toBeUndefined();
    // A second consumption (a concurrent refresh that lost the race) is refused — it must not mint a
    // second chain; the provider answers it with the first rotation's result — and does not move the window.
    const before = await store.oauth.findModel('RefreshToken', hashTokenId(keys, rt));
    await expect(adapter('RefreshToken').consume(rt)).rejects.toMatchObject({ error: 'invalid_grant' });
    const after = await store.oauth.findModel('RefreshToken', hashTokenId(keys, rt));
    expect(after?.consumed_at).toBe(before?.consumed_at);
    // Age the consumption past the window: now it is a reuse.
    const old = new Date(Date.now() - GRACE_MS - 1000).toISOString();
    await store.db
      .withTables<{ oauth_models: { model: string; id: string; consumed_at: string } }>()
      .updateTable('oauth_models')
      .set({ consumed_at: old })
      .where('id', '=', hashTokenId(keys, rt))
      .execute();
    expect((await adapter('RefreshToken').find(rt))?.consumed).toBe(Math.floor(Date.parse(old) / 1000));
  });

  it('an authorization code is consumed once: a racing second redemption loses and revokes the grant', async () => {
    await authorize('g-code');
    await adapter('AuthorizationCode').upsert('the-code', { jti: 'the-code', grantId: 'g-code', exp: epoch() + 60 }, 60);
    await adapter('AccessToken').upsert('at-of-code', { jti: 'at-of-code', grantId: 'g-code', exp: epoch() + 60 }, 60);
    const results = await Promise.allSettled([adapter('AuthorizationCode').consume('the-code'), adapter('AuthorizationCode').consume('the-code')]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect((rejected.reason as { error?: string }).error).toBe('invalid_grant');
    expect(await adapter('AccessToken').find('at-of-code')).toBeUndefined();
    const [a] = await store.oauth.listAuthorizations(orgId, { includeInactive: true }).then((l) => l.filter((x) => x.id === 'g-code'));
    expect(a?.revoked_at).not.toBeNull();
  });

  it('revoking a grant deletes all its tokens and the grant, and marks the authorization revoked', async () => {
    await authorize('g-rev');
    await adapter('Grant').upsert('g-rev', { jti: 'g-rev', accountId: userId, clientId: 'client-1', exp: epoch() + 3600 }, 3600);
    await adapter('AccessToken').upsert('at-rev', { jti: 'at-rev', grantId: 'g-rev', exp: epoch() + 60 }, 60);
    await adapter('RefreshToken').upsert('rt-rev', { jti: 'rt-rev', grantId: 'g-rev', exp: epoch() + 60 }, 60);
    await adapter('AccessToken').upsert('at-other', { jti: 'at-other', grantId: 'g-other', exp: epoch() + 60 }, 60);
    await adapter('RefreshToken').revokeByGrantId('g-rev');
    expect(await adapter('AccessToken').find('at-rev')).toBeUndefined();
    expect(await adapter('RefreshToken').find('rt-rev')).toBeUndefined();
    expect(await adapter('Grant').find('g-rev')).toBeUndefined();
    expect(await adapter('AccessToken').find('at-other')).toBeDefined();
    expect(await store.oauth.authorizationUsable('g-rev')).toBe(false);
  });

  it('lists live authorizations per organization and revokes one by id (its tokens gone at once)', async () => {
    await authorize('g-list', 'client-list');
    expect((await store.oauth.listAuthorizations(orgId)).map((a) => a.id)).not.toContain('g-list'); // never redeemed yet
    await store.oauth.activateAuthorization('g-list');
    await adapter('AccessToken').upsert('at-list', { jti: 'at-list', grantId: 'g-list', exp: epoch() + 60 }, 60);
    const listed = (await store.oauth.listAuthorizations(orgId)).find((a) => a.id === 'g-list');
    expect(listed).toMatchObject({ client_name: 'Claude', user_email: 'ada@example.com', redirect_host: 'claude.ai', last_used_at: null });
    const other = await store.orgs.create('other-org');
    await expect(store.oauth.revokeAuthorization(other.id, 'g-list')).rejects.toThrow(/no active authorization/);
    const revoked = await store.oauth.revokeAuthorization(orgId, 'g-list');
    expect(revoked.revoked_at).not.toBeNull();
    expect((await store.oauth.findAccessToken(hashTokenId(keys, 'at-list')))).toBeUndefined();
    expect((await store.oauth.listAuthorizations(orgId)).map((a) => a.id)).not.toContain('g-list');
    await expect(store.oauth.revokeAuthorization(orgId, 'g-list')).rejects.toThrow(/no active authorization/);
  });

  it('an authorization dies with the membership it was granted under, even if the user is re-added', async () => {
    const bob = await store.users.create({ email: 'bob@example.com' });
    await store.users.addMembership(orgId, bob.id, 'member');
    const m = (await store.users.membershipsOf(bob.id))[0]!;
    await store.oauth.createAuthorization({
      grantId: 'g-bob',
      orgId,
      userId: bob.id,
      membershipCreatedAt: m.created_at,
      clientId: 'c',
      clientName: 'ChatGPT',
      redirectUri: 'https://chatgpt.com/connector_platform_oauth_redirect',
      scope: 'mcp',
      expiresAt: new Date(Date.now() + 86400_000).toISOString(),
    });
    await adapter('AccessToken').upsert('at-bob', { jti: 'at-bob', grantId: 'g-bob', exp: epoch() + 60 }, 60);
    expect(await store.oauth.authorizationUsable('g-bob')).toBe(true);
    expect((await store.oauth.findAccessToken(hashTokenId(keys, 'at-bob')))?.member).toBe(true);
    await store.users.removeMembership(orgId, bob.id);
    expect(await store.oauth.authorizationUsable('g-bob')).toBe(false);
    expect((await store.oauth.findAccessToken(hashTokenId(keys, 'at-bob')))?.member).toBe(false);
    await new Promise((r) => setTimeout(r, 5)); // a later membership has a later created_at
    await store.users.addMembership(orgId, bob.id, 'member');
    expect(await store.oauth.authorizationUsable('g-bob')).toBe(false);
    expect((await store.oauth.findAccessToken(hashTokenId(keys, 'at-bob')))?.member).toBe(false);
  });

  it('purges expired rows but keeps live ones, including consumed refresh tokens awaiting reuse detection', async () => {
    await adapter('RefreshToken').upsert('rt-keep', { jti: 'rt-keep', grantId: 'g-keep', exp: epoch() + 3600 }, 3600);
    await adapter('RefreshToken').consume('rt-keep');
    await adapter('AccessToken').upsert('at-gone', { jti: 'at-gone', grantId: 'g-keep', exp: epoch() + 1 }, 1);
    await store.oauth.purge(new Date(Date.now() + 5000));
    expect(await store.oauth.findModel('AccessToken', hashTokenId(keys, 'at-gone'))).toBeUndefined();
    expect(await store.oauth.findModel('RefreshToken', hashTokenId(keys, 'rt-keep'))).toBeDefined();
  });
});
