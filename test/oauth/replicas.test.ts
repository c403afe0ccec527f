/**
 * OAuth on the PostgreSQL store with two replicas sharing it (BRIEF §5): a user authorizes through
 * replica A, replica B accepts and refreshes the tokens, concurrent refreshes land on both, and a
 * revocation made through one replica (or the store, as the CLI does) is effective on the very next
 * request to the other.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashTokenId } from '../../src/auth/oauth/keys.js';
import { freePort, INITIALIZE, rpc, startTestServer, type TestServer } from '../helpers/server.js';
import { createTempPgDatabase, requireService, type TempDatabase } from '../helpers/services.js';
import { createUser, getCode, postForm, registerClient, tokensFor } from './helpers.js';

const pgUp = await requireService('postgres', 'OAuth on the PostgreSQL store');

describe.skipIf(!pgUp)('OAuth with two replicas on a PostgreSQL store', () => {
  let db: TempDatabase;
  let a: TestServer;
  let b: TestServer;
  let orgId: string;

  beforeAll(async () => {
    db = await createTempPgDatabase('sequel_oauth_replicas');
    const portA = await freePort();
    // Same server key and public URL on both, as replicas behind one load balancer would have.
    const env = { SEQUEL_SECRET_KEY: randomBytes(32).toString('base64'), SEQUEL_PUBLIC_URL: `http://127.0.0.1:${portA}`, SEQUEL_PORT: String(portA) };
    a = await startTestServer({ demo: false, databaseUrl: db.url, env });
    b = await startTestServer({ demo: false, databaseUrl: db.url, env: { ...env, SEQUEL_PORT: '0' } });
    await createUser(a, 'ada@example.com', [['alpha', 'member']]);
    orgId = (await a.org('alpha')).id;
  }, 180_000);
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await db?.drop();
  });

  const status = async (server: TestServer, token: string) => (await rpc(server.mcpUrl, INITIALIZE, { authorization: `Bearer ${token}` })).status;
  const refresh = (server: TestServer, rt: string, clientId: string) =>
    postForm(`${server.url}/oauth/token`, { grant_type: 'refresh_token', refresh_token: rt, client_id: clientId });

  it('a token issued through one replica works on the other; refresh works anywhere', async () => {
    const t = await tokensFor(a.url, { email: 'ada@example.com' });
    expect(await status(a, t.access_token)).toBe(200);
    expect(await status(b, t.access_token)).toBe(200);
    const r = await refresh(b, t.refresh_token, t.clientId);
    expect(r.status).toBe(200);
    expect(await status(a, String(r.json.access_token))).toBe(200);
    // Stored only as hashes in PostgreSQL too.
    const raw = await a.rt.store.db.withTables<{ oauth_models: { id: string; payload: string } }>().selectFrom('oauth_models').select(['id', 'payload']).execute();
    const text = JSON.stringify(raw);
    for (const secret of [t.access_token, t.refresh_token, String(r.json.access_token), String(r.json.refresh_token)]) expect(text).not.toContain(secret);
    expect(raw.map((x) => x.id)).toContain(hashTokenId(a.rt.keys, String(r.json.access_token)));
  });

  it('the same refresh token presented to both replicas at once: both answers are valid', async () => {
    const t = await tokensFor(a.url, { email: 'ada@example.com' });
    const [x, y] = await Promise.all([refresh(a, t.refresh_token, t.clientId), refresh(b, t.refresh_token, t.clientId)]);
    expect([x.status, y.status]).toEqual([200, 200]);
    expect(await status(b, String(x.json.access_token))).toBe(200);
    expect(await status(a, String(y.json.access_token))).toBe(200);
  });

  it('a code redeemed at both replicas at once is issued once, and the grant is revoked', async () => {
    const reg = await registerClient(a.url, {});
    const clientId = String(reg.json.client_id);
    const { code, verifier } = await getCode(a.url, { clientId, redirectUri: 'http://127.0.0.1:9/cb', email: 'ada@example.com' });
    const form = { grant_type: 'authorization_code', code, redirect_uri: 'http://127.0.0.1:9/cb', code_verifier: verifier, client_id: clientId };
    const results = await Promise.all([postForm(`${a.url}/oauth/token`, form), postForm(`${b.url}/oauth/token`, form)]);
    const ok = results.filter((r) => r.status === 200);
    expect(ok.length).toBeLessThanOrEqual(1);
    expect(results.some((r) => r.json.error === 'invalid_grant')).toBe(true);
    // Whatever was issued is revoked with the grant.
    for (const r of ok) expect(await status(a, String(r.json.access_token))).toBe(401);
  });

  it('revoking through the store (as the CLI does) is effective on the next request at both replicas', async () => {
    const t = await tokensFor(a.url, { email: 'ada@example.com' });
    expect(await status(b, t.access_token)).toBe(200);
    const auth = (await b.rt.store.oauth.listAuthorizations(orgId)).find((x) => x.client_id === t.clientId)!;
    await a.rt.store.oauth.revokeAuthorization(orgId, auth.id);
    expect(await status(b, t.access_token)).toBe(401);
    expect(await status(a, t.access_token)).toBe(401);
    expect((await refresh(b, t.refresh_token, t.clientId)).json.error).toBe('invalid_grant');
  });
});
