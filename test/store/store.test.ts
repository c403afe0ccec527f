/**
 * The store's shared suite: every aggregate, on both dialects (the embedded SQLite file and PostgreSQL).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, hashApiKey } from '../../src/auth/apiKeys.js';
import { ConflictError, NotFoundError, ValidationError } from '../../src/errors.js';
import { ServerKeys } from '../../src/secrets.js';
import { addSource, connectionConfig, sourceView } from '../../src/sources.js';
import type { Store } from '../../src/store/index.js';
import { DEFAULT_POLICY } from '../../src/store/sources.js';
import { requireService } from '../helpers/services.js';
import { storeDialects } from '../helpers/stores.js';

const pgUp = await requireService('postgres', 'store suite on PostgreSQL');

const dialects = storeDialects(pgUp);

const keys = new ServerKeys(Buffer.alloc(32, 7));

describe.each(dialects)('store on $name', (dialect) => {
  let store: Store;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    ({ store, cleanup } = await dialect.open());
    expect(await store.migrate()).toContain('001_initial');
  });
  afterAll(async () => {
    await cleanup?.();
  });

  it('migrations are idempotent', async () => {
    expect(await store.migrate()).toEqual([]);
    await store.ping();
  });

  it('organizations: unique slugs, validated', async () => {
    const org = await store.orgs.create('acme', 'Acme Inc');
    expect(await store.orgs.bySlug('acme')).toEqual(org);
    await expect(store.orgs.create('acme')).rejects.toBeInstanceOf(ConflictError);
    await expect(store.orgs.create('Bad Slug')).rejects.toBeInstanceOf(ValidationError);
    await expect(store.orgs.requireBySlug('nope')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('users and memberships: emails lower-cased and unique, roles checked, several orgs per user', async () => {
    const a = await store.orgs.create('org-a');
    const b = await store.orgs.create('org-b');
    const u = await store.users.create({ email: 'Ada@Example.com', name: 'Ada', passwordHash: 'scrypt$x' });
    expect(u.email).toBe('ada@example.com');
    expect(u).not.toHaveProperty('password_hash');
    await expect(store.users.create({ email: 'ada@example.com' })).rejects.toBeInstanceOf(ConflictError);
    await store.users.addMembership(a.id, u.id, 'owner');
    await store.users.addMembership(b.id, u.id, 'member');
    await expect(store.users.addMembership(a.id, u.id, 'admin')).rejects.toBeInstanceOf(ConflictError);
    await expect(store.users.addMembership(a.id, u.id, 'god' as never)).rejects.toBeInstanceOf(ValidationError);
    expect((await store.users.membershipsOf(u.id)).map((m) => [m.org_slug, m.role])).toEqual([
      ['org-a', 'owner'],
      ['org-b', 'member'],
    ]);
    await store.users.setRole(b.id, u.id, 'admin');
    expect(await store.users.membership(b.id, u.id)).toBe('admin');
    expect((await store.users.members(a.id)).map((m) => m.email)).toEqual(['ada@example.com']);
    expect((await store.users.byEmailWithHash('ADA@example.com'))?.password_hash).toBe('scrypt$x');
  });

  it('API keys: stored only as a keyed hash, looked up live, revoked by prefix, expiry kept', async () => {
    const org = await store.orgs.create('keys-org');
    const { key, info } = await createApiKey(store, keys, { orgId: org.id, name: 'laptop', createdByUserId: null, createdBy: 'cli', expiresAt: '2099-01-01T00:00:00.000Z' });
    expect(key).toMatch(/^sql_[0-9A-Za-z]{43}$/);
    expect(info.prefix).toBe(key.slice(0, 10));
    const row = await store.db.selectFrom('api_keys').selectAll().where('id', '=', info.id).executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain(key);
    expect(JSON.stringify(row)).not.toContain(key.slice(10));
    expect(row.key_hash).toBe(hashApiKey(keys, key));
    expect(await store.apiKeys.findActiveByHash(hashApiKey(keys, key))).toMatchObject({ id: info.id, org_id: org.id, expires_at: '2099-01-01T00:00:00.000Z' });
    await expect(store.apiKeys.revoke(org.id, 'sql_nothere')).rejects.toBeInstanceOf(NotFoundError);
    await store.apiKeys.revoke(org.id, `${info.prefix}…`);
    expect(await store.apiKeys.findActiveByHash(hashApiKey(keys, key))).toBeUndefined();
    expect(await store.apiKeys.list(org.id)).toEqual([]);
    expect((await store.apiKeys.list(org.id, { includeRevoked: true }))[0]?.revoked_at).not.toBeNull();
  });

  it("removing a member revokes the keys they created in that org only", async () => {
    const a = await store.orgs.create('rm-a');
    const b = await store.orgs.create('rm-b');
    const u = await store.users.create({ email: 'leaver@example.com' });
    await store.users.addMembership(a.id, u.id, 'member');
    await store.users.addMembership(b.id, u.id, 'member');
    const ka = await createApiKey(store, keys, { orgId: a.id, name: 'a', createdByUserId: u.id, createdBy: u.email });
    const kb = await createApiKey(store, keys, { orgId: b.id, name: 'b', createdByUserId: u.id, createdBy: u.email });
    await store.users.removeMembership(a.id, u.id);
    expect(await store.apiKeys.findActiveByHash(hashApiKey(keys, ka.key))).toBeUndefined();
    expect(await store.apiKeys.findActiveByHash(hashApiKey(keys, kb.key))).toBeDefined();
  });

  it('sources: password split out of the DSN and encrypted, never shown, versioned on change', async () => {
    const org = await store.orgs.create('src-org');
    const s = await addSource(store, keys, org.id, { name: 'warehouse', engine: 'postgres', url: 'postgres://reader:s3cr3t-pw@db.internal:5432/wh', description: 'DW' });
    const row = await store.db.selectFrom('sources').selectAll().where('id', '=', s.id).executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain('s3cr3t-pw');
    expect(s.connection.url).toBe('postgres://reader@db.internal:5432/wh');
    expect(connectionConfig(keys, s).password).toBe('s3cr3t-pw');
    expect(JSON.stringify(sourceView(s))).not.toContain('s3cr3t-pw');
    // The box is bound to its source: copied onto another row it does not decrypt.
    expect(() => connectionConfig(keys, { ...s, id: 'other' })).toThrow(/could not be decrypted/);
    expect(() => connectionConfig(new ServerKeys(Buffer.alloc(32, 8)), s)).toThrow(/could not be decrypted/);
    await expect(addSource(store, keys, org.id, { name: 'warehouse', engine: 'sqlite', url: '/tmp/x.db' })).rejects.toBeInstanceOf(ConflictError);
    const updated = await store.sources.update(org.id, s.id, { description: 'Data warehouse', policy: { maxRows: 50 } });
    expect(updated.version).toBe(s.version + 1);
    expect(updated.policy).toMatchObject({ maxRows: 50, maxBytes: DEFAULT_POLICY.maxBytes, statementTimeoutMs: 15_000 });
    const other = await store.orgs.create('src-other');
    expect(await store.sources.get(other.id, s.id)).toBeUndefined();
    await expect(store.sources.delete(other.id, s.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('descriptions: upsert, remove with empty text, gone with the source', async () => {
    const org = await store.orgs.create('desc-org');
    const s = await addSource(store, keys, org.id, { name: 'files', engine: 'sqlite', url: '/tmp/none.sqlite' });
    await store.descriptions.set(s.id, { schema: 'main', table: 't', column: null, description: 'Table t' });
    await store.descriptions.set(s.id, { schema: 'main', table: 't', column: 'c', description: 'first' });
    await store.descriptions.set(s.id, { schema: 'main', table: 't', column: 'c', description: 'second' });
    expect(await store.descriptions.forSource(s.id)).toEqual(
      expect.arrayContaining([
        { schema: 'main', table: 't', column: null, description: 'Table t' },
        { schema: 'main', table: 't', column: 'c', description: 'second' },
      ]),
    );
    await store.descriptions.set(s.id, { schema: 'main', table: 't', column: 'c', description: '  ' });
    expect(await store.descriptions.forSource(s.id)).toHaveLength(1);
    await store.sources.delete(org.id, s.id);
    expect(await store.descriptions.forSource(s.id)).toHaveLength(0);
  });

  it('audit log: batched inserts, newest first, filters, paging by id', async () => {
    const org = await store.orgs.create('audit-org');
    const base = { org_id: org.id, user_id: null, credential_kind: 'api_key' as const, credential_id: 'k1', credential_label: 'k (sql_abc…)', source_id: null, source_name: 's', sql: 'select 1', row_count: 1, duration_ms: 3, error: null };
    const entries = Array.from({ length: 120 }, (_, i) => ({ ...base, at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(), tool: i % 2 ? 'run_query' : 'list_sources', outcome: i % 3 ? 'ok' : 'NOT_READ_ONLY' }));
    await store.audit.insertMany(entries);
    const page1 = await store.audit.list({ orgId: org.id, limit: 50 });
    expect(page1).toHaveLength(50);
    expect(page1[0]!.at > page1[49]!.at).toBe(true);
    const page2 = await store.audit.list({ orgId: org.id, limit: 100, beforeId: page1[49]!.id });
    expect(page2).toHaveLength(70);
    expect((await store.audit.list({ orgId: org.id, tool: 'run_query', outcome: 'NOT_READ_ONLY', limit: 500 })).length).toBe(20);
    expect((await store.audit.list({ orgId: org.id, since: '2026-01-01T00:01:00.000Z', limit: 500 })).length).toBe(60);
    const other = await store.orgs.create('audit-other');
    expect(await store.audit.list({ orgId: other.id })).toEqual([]);
  });

  it('password reset links: live until used, expired or replaced; used once; gone with the person', async () => {
    const org = await store.orgs.create('reset-org');
    const u = await store.users.create({ email: 'reset@example.com' });
    await store.users.addMembership(org.id, u.id, 'member');
    const later = new Date(Date.now() + 86_400_000).toISOString();
    const make = (hash: string, expiresAt = later) =>
      store.passwordResets.create({ userId: u.id, orgId: org.id, tokenHash: hash, createdByUserId: null, createdBy: 'cli', expiresAt });
    const first = await make('h1');
    expect(first.superseded).toBe(0);
    expect(first.link).not.toHaveProperty('token_hash');
    expect((await store.passwordResets.liveByHash('h1'))?.id).toBe(first.link.id);
    // A newer link replaces the older one, in the same transaction.
    const second = await make('h2');
    expect(second.superseded).toBe(1);
    expect(await store.passwordResets.liveByHash('h1')).toBeUndefined();
    expect(await store.passwordResets.markUsed(first.link.id)).toBe(false);
    // Used once.
    expect(await store.passwordResets.markUsed(second.link.id)).toBe(true);
    expect(await store.passwordResets.markUsed(second.link.id)).toBe(false);
    expect(await store.passwordResets.liveByHash('h2')).toBeUndefined();
    // Expired: not live, cannot be used, purged.
    const old = await make('h3', new Date(Date.now() - 1000).toISOString());
    expect(old.superseded).toBe(0);
    expect(await store.passwordResets.liveByHash('h3')).toBeUndefined();
    expect(await store.passwordResets.markUsed(old.link.id)).toBe(false);
    await store.passwordResets.purgeDead(new Date().toISOString());
    const count = async () => (await store.db.withTables<{ password_reset_links: { user_id: string } }>().selectFrom('password_reset_links').select('user_id').where('user_id', '=', u.id).execute()).length;
    expect(await count()).toBe(2);
    await make('h4');
    await store.db.deleteFrom('users').where('id', '=', u.id).execute();
    expect(await count()).toBe(0);
  });

  it('settings: first writer wins for setIfAbsent', async () => {
    expect(await store.settings.setIfAbsent('k', 'one')).toBe('one');
    expect(await store.settings.setIfAbsent('k', 'two')).toBe('one');
    await store.settings.set('k', 'three');
    expect(await store.settings.get('k')).toBe('three');
  });
});
