/**
 * Policy presets in the store, on both dialects: names unique per organization, another organization's
 * preset never found, a credential's preset read with it in the bearer lookup (a vanished or foreign one
 * reads as `missing`), and the change epoch moving on every write a credential cache must notice
 * (migration 012's triggers): a preset changed or removed, a key's or an authorization's preset changed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, hashApiKey } from '../../src/auth/apiKeys.js';
import { ConflictError, ValidationError } from '../../src/errors.js';
import { ServerKeys } from '../../src/secrets.js';
import type { Store } from '../../src/store/index.js';
import { requireService } from '../helpers/services.js';
import { storeDialects } from '../helpers/stores.js';

const pgUp = await requireService('postgres', 'preset store suite on PostgreSQL');
const keys = new ServerKeys(Buffer.alloc(32, 9));

describe.each(storeDialects(pgUp, 'sequel_presets'))('presets on $name', (dialect) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ store, cleanup } = await dialect.open());
    expect(await store.migrate()).toContain('012_presets');
  });
  afterAll(async () => {
    await cleanup?.();
  });

  it('keeps presets per organization, and moves the change epoch on every change a credential cache must see', async () => {
    const a = await store.orgs.create('pa');
    const b = await store.orgs.create('pb');
    const p = await store.presets.create({ orgId: a.id, name: 'no-pii', description: ' No PII ', policy: { allowedSchemas: [], hiddenTables: [], hiddenColumns: ['*email*'], maskedColumns: [] } });
    expect(p).toMatchObject({ name: 'no-pii', description: 'No PII', version: 1, policy: { hiddenColumns: ['*email*'] } });
    await expect(store.presets.create({ orgId: a.id, name: 'no-pii', policy: p.policy })).rejects.toBeInstanceOf(ConflictError);
    await expect(store.presets.create({ orgId: a.id, name: 'No PII', policy: p.policy })).rejects.toBeInstanceOf(ValidationError);
    await store.presets.create({ orgId: b.id, name: 'no-pii', policy: p.policy });
    expect(await store.presets.get(b.id, p.id)).toBeUndefined();

    const k = await createApiKey(store, keys, { orgId: a.id, name: 'k', createdByUserId: null, createdBy: 'test', presetId: p.id });
    const found = await store.apiKeys.findActiveByHash(hashApiKey(keys, k.key));
    expect(found?.preset).toEqual({ id: p.id, name: 'no-pii', version: 1, policy: p.policy });
    expect(await store.presets.usage(a.id, p.id)).toEqual({ keys: 1, authorizations: 0 });

    let epoch = await store.epoch.current();
    const moved = async () => {
      const now = await store.epoch.current();
      const did = now !== epoch;
      epoch = now;
      return did;
    };
    await store.presets.update(a.id, p.id, { policy: { hiddenColumns: ['*email*', '*ssn*'] } });
    expect(await moved()).toBe(true);
    expect((await store.apiKeys.findActiveByHash(hashApiKey(keys, k.key)))?.preset).toMatchObject({ version: 2, policy: { hiddenColumns: ['*email*', '*ssn*'] } });

    await store.db.updateTable('api_keys').set({ preset_id: null }).where('id', '=', k.info.id).execute();
    expect(await moved()).toBe(true);
    expect((await store.apiKeys.findActiveByHash(hashApiKey(keys, k.key)))?.preset).toBeNull();

    // Another organization's preset id on the key reads as missing (the bearer check refuses it).
    const theirs = (await store.presets.byName(b.id, 'no-pii'))!;
    await store.db.updateTable('api_keys').set({ preset_id: theirs.id }).where('id', '=', k.info.id).execute();
    expect(await moved()).toBe(true);
    expect((await store.apiKeys.findActiveByHash(hashApiKey(keys, k.key)))?.preset).toBe('missing');

    const u = await store.users.create({ email: 'pa@example.com' });
    await store.users.addMembership(a.id, u.id, 'member');
    await store.oauth.createAuthorization({
      grantId: 'grant-pa',
      orgId: a.id,
      userId: u.id,
      membershipCreatedAt: new Date().toISOString(),
      clientId: 'c',
      clientName: 'C',
      redirectUri: 'http://127.0.0.1/cb',
      scope: 'mcp',
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
      presetId: p.id,
    });
    await moved();
    expect((await store.oauth.listAuthorizations(a.id, { includeInactive: true }))[0]?.preset_name).toBe('no-pii');
    expect(await store.presets.usage(a.id, p.id)).toEqual({ keys: 0, authorizations: 1 });
    await expect(store.presets.delete(a.id, p.id)).rejects.toThrow(/in use by 1 OAuth authorization/);
    await store.db.withTables<{ oauth_authorizations: { id: string; preset_id: string | null } }>().updateTable('oauth_authorizations').set({ preset_id: null }).where('id', '=', 'grant-pa').execute();
    expect(await moved()).toBe(true);

    await store.presets.delete(a.id, p.id);
    expect(await moved()).toBe(true);
    expect(await store.presets.list(a.id)).toEqual([]);
  });
});
