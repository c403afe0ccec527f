/**
 * The server key ring (src/secrets.ts) and what reads through it during a rotation, on both store
 * dialects: ciphertexts name their key, values written before key rings (`v1`) still decrypt, hashes of
 * OAuth tokens and dashboard sessions made under the old key are still found, and `rotateServerKey`
 * re-encrypts the OAuth secrets so that the new key alone reads them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adapterFactory } from '../../src/auth/oauth/adapter.js';
import { createCipheriv, randomBytes } from 'node:crypto';
import { silentLogger } from '../../src/log.js';
import { resumeSession, startSession } from '../../src/ops/account.js';
import { createMember, inviteMember, lookupInvitation } from '../../src/ops/members.js';
import { createResetLink, INVALID_RESET_LINK, lookupResetLink } from '../../src/ops/passwordReset.js';
import type { OpsDeps } from '../../src/ops/deps.js';
import { rotateServerKey } from '../../src/ops/serverKey.js';
import { ServerKeys } from '../../src/secrets.js';
import type { Store } from '../../src/store/index.js';
import { SERVER_KEY_FINGERPRINT } from '../../src/store/settings.js';
import { requireService } from '../helpers/services.js';
import { storeDialects } from '../helpers/stores.js';

const pgUp = await requireService('postgres', 'key ring suite on PostgreSQL');
const { errors } = await import('oidc-provider');

const A = Buffer.alloc(32, 0xa1);
const B = Buffer.alloc(32, 0xb2);
const onlyA = new ServerKeys(A);
const ring = new ServerKeys(B, [A]);
const onlyB = new ServerKeys(B);

describe('ServerKeys ring', () => {
  it('encrypts under the current key, naming it; reads with any key of the ring', () => {
    const box = onlyA.encrypt('pw', 'source:1');
    expect(box.startsWith(`v2.${onlyA.id}.`)).toBe(true);
    expect(ring.decrypt(box, 'source:1')).toBe('pw');
    expect(ring.isCurrent(box)).toBe(false);
    expect(ring.isCurrent(ring.encrypt('pw', 'source:1'))).toBe(true);
    // Bound to its row.
    expect(() => ring.decrypt(box, 'source:2')).toThrow(/could not be decrypted/);
    // A key outside the ring is named by id, with what to do; never by value.
    const err = (() => {
      try {
        onlyB.decrypt(box, 'source:1');
      } catch (e) {
        return (e as Error).message;
      }
      return '';
    })();
    expect(err).toContain(`could not be decrypted: it is under server key ${onlyA.id}, which is not in this server's key ring (${onlyB.id})`);
    expect(err).not.toContain(A.toString('base64'));
    expect(err).not.toContain(A.toString('hex'));
  });

  it('still reads v1 values (written before key rings), under whichever key of the ring made them', () => {
    // v1 as the previous release wrote it: AES-256-GCM under the credentials key, no key id.
    const v1 = (keys: ServerKeys, plaintext: string, aad: string) => {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', keys.key('credentials'), iv);
      c.setAAD(Buffer.from(aad));
      const ct = Buffer.concat([c.update(plaintext, 'utf8'), c.final()]);
      return ['v1', iv.toString('base64url'), ct.toString('base64url'), c.getAuthTag().toString('base64url')].join('.');
    };
    const old = v1(onlyA, 'legacy', 'x');
    expect(ring.decrypt(old, 'x')).toBe('legacy');
    expect(ServerKeys.keyIdOf(old)).toBeUndefined();
    expect(() => onlyB.decrypt(old, 'x')).toThrow(/could not be decrypted/);
  });

  it('hashes under every key, current first; the current key repeated among the previous is ignored', () => {
    const h = ring.hashes('api-keys', 'sql_x');
    expect(h.map((x) => x.keyId)).toEqual([onlyB.id, onlyA.id]);
    expect(h[0]!.hash).toBe(onlyB.hash('api-keys', 'sql_x'));
    expect(h[1]!.hash).toBe(onlyA.hash('api-keys', 'sql_x'));
    expect(new ServerKeys(B, [B, A, A]).ids()).toEqual([onlyB.id, onlyA.id]);
    expect(new ServerKeys(B, [B]).rotating).toBe(false);
  });
});

describe.each(storeDialects(pgUp, 'sequel_keyring'))('a rotation on $name', (dialect) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  const deps = (keys: ServerKeys): OpsDeps => ({ store, keys, log: silentLogger });
  const adapter = (keys: ServerKeys, model: string) =>
    adapterFactory({ store, keys, log: silentLogger, refreshGraceMs: 30_000, invalidGrant: (d) => new errors.InvalidGrant(d) })(model);

  beforeAll(async () => {
    ({ store, cleanup } = await dialect.open());
    await store.migrate();
    await store.settings.set(SERVER_KEY_FINGERPRINT, onlyA.fingerprint());
  });
  afterAll(async () => {
    await cleanup?.();
  });

  it('OAuth secrets, tokens and dashboard sessions made under A: read during the rotation, re-encrypted by it', async () => {
    const exp = Math.floor(Date.now() / 1000) + 600;
    await adapter(onlyA, 'Client').upsert('client-1', { client_id: 'client-1', client_secret: 'ClientSecretUnderA', redirect_uris: ['https://a.example/cb'] }, undefined);
    await adapter(onlyA, 'Interaction').upsert('uid-1', { jti: 'uid-1', session: { uid: 'u1', cookie: 'CookieUnderA' }, exp }, 600);
    await adapter(onlyA, 'AccessToken').upsert('at-1', { jti: 'at-1', kind: 'AccessToken', exp }, 600);
    await adapter(onlyA, 'AuthorizationCode').upsert('code-1', { jti: 'code-1', kind: 'AuthorizationCode', exp }, 600);
    const user = await store.users.create({ email: 'ring@example.com' });
    const session = await startSession(deps(onlyA), user.id, undefined);

    // During the rotation (B current, A previous) everything made under A is found and read.
    expect(await adapter(ring, 'Client').find('client-1')).toMatchObject({ client_secret: 'ClientSecretUnderA' });
    expect(await adapter(ring, 'Interaction').find('uid-1')).toMatchObject({ session: { cookie: 'CookieUnderA' } });
    expect(await adapter(ring, 'AccessToken').find('at-1')).toMatchObject({ jti: 'at-1' });
    expect((await resumeSession(deps(ring), session))?.user.id).toBe(user.id);
    // Consuming a token stored under A's hash marks that row (not a new one under B's).
    await adapter(ring, 'AuthorizationCode').consume('code-1');
    expect(await adapter(onlyA, 'AuthorizationCode').find('code-1')).toHaveProperty('consumed');

    const report = await rotateServerKey(deps(ring), { kind: 'operator' });
    expect(report).toMatchObject({ complete: true, keyId: onlyB.id, storeKeyBefore: onlyA.id, storeKeyAfter: onlyB.id, failed: [] });
    expect(report.oauthSecrets).toEqual({ reencrypted: 2, alreadyCurrent: 0, changedMeanwhile: 0 });
    expect(await store.settings.get(SERVER_KEY_FINGERPRINT)).toBe(onlyB.fingerprint());

    // B alone reads the secrets; A alone no longer does.
    expect(await adapter(onlyB, 'Client').find('client-1')).toMatchObject({ client_secret: 'ClientSecretUnderA' });
    await expect(adapter(onlyA, 'Client').find('client-1')).rejects.toThrow(/not in this server's key ring/);
    // The interaction's row is still named by A's hash of its id (found through the ring), its cookie under B.
    expect(await adapter(ring, 'Interaction').find('uid-1')).toMatchObject({ session: { cookie: 'CookieUnderA' } });
    await expect(adapter(onlyA, 'Interaction').find('uid-1')).rejects.toThrow(/not in this server's key ring/);
    // Hashes cannot be re-computed: tokens and sessions under A are not found by B alone (documented).
    expect(await adapter(onlyB, 'AccessToken').find('at-1')).toBeUndefined();
    expect(await resumeSession(deps(onlyB), session)).toBeUndefined();

    // Running it again changes nothing.
    const again = await rotateServerKey(deps(ring), { kind: 'operator' });
    expect(again.oauthSecrets).toEqual({ reencrypted: 0, alreadyCurrent: 2, changedMeanwhile: 0 });
  });

  it('invitation and password-reset links made under A are found during the rotation, not by B alone', async () => {
    const org = await store.orgs.create('ring-links');
    const operator = { kind: 'operator' as const, orgId: org.id };
    const member = await createMember(deps(onlyA), operator, { email: 'links@example.com', password: 'long enough passphrase', role: 'member' });
    const invite = await inviteMember(deps(onlyA), operator, { email: 'invited@example.com', role: 'member' });
    const reset = await createResetLink(deps(onlyA), operator, member.id);

    expect((await lookupInvitation(deps(ring), invite.token)).invitation.email).toBe('invited@example.com');
    expect((await lookupResetLink(deps(ring), reset.token)).user.id).toBe(member.id);
    // Under the current key alone the old hashes match nothing: the same answer as an unknown link.
    await expect(lookupInvitation(deps(onlyB), invite.token)).rejects.toThrow(/not valid/);
    await expect(lookupResetLink(deps(onlyB), reset.token)).rejects.toThrow(INVALID_RESET_LINK);
  });

  it('is for the operator only', async () => {
    await expect(rotateServerKey(deps(ring), { kind: 'user', userId: 'u' })).rejects.toThrow(/not available/);
  });
});
