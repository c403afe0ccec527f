/**
 * OAuth through a server-key rotation (docs/deploy.md, "Rotating the server key"): tokens issued under
 * key A keep working on a server with the ring (B current, A previous) — the access token on /mcp, the
 * refresh token at the token endpoint, which issues the next ones under B — and after
 * `rotateServerKey` and dropping A, what was issued under B still works while what only A knew does not.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hashTokenId } from '../../src/auth/oauth/keys.js';
import { rotateServerKey } from '../../src/ops/serverKey.js';
import { freePort, INITIALIZE, rpc, startTestServer, type TestServer } from '../helpers/server.js';
import { createUser, postForm, tokensFor } from './helpers.js';

const KEY_A = Buffer.alloc(32, 0x0a).toString('base64');
const KEY_B = Buffer.alloc(32, 0x0b).toString('base64');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sequel-oauth-rotate-'));
const servers: TestServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.close().catch(() => {});
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('OAuth through a server-key rotation', () => {
  it('tokens issued under A work during the rotation; after it, B alone serves what was issued under B', async () => {
    const port = await freePort();
    // The issuer and resource are the public URL: the same across restarts, as behind a load balancer.
    const env = (keys: Record<string, string>) => ({ SEQUEL_PUBLIC_URL: `http://127.0.0.1:${port}`, SEQUEL_PORT: String(port), ...keys });
    const start = async (keys: Record<string, string>) => {
      const s = await startTestServer({ demo: false, dataDir: dir, env: env(keys) });
      servers.push(s);
      return s;
    };
    const status = async (server: TestServer, token: string) => (await rpc(server.mcpUrl, INITIALIZE, { authorization: `Bearer ${token}` })).status;

    let server = await start({ SEQUEL_SECRET_KEY: KEY_A });
    await createUser(server, 'ada@example.com', [['alpha', 'member']]);
    const underA = await tokensFor(server.url, { email: 'ada@example.com' });
    expect(await status(server, underA.access_token)).toBe(200);
    await server.close();

    server = await start({ SEQUEL_SECRET_KEY: KEY_B, SEQUEL_SECRET_KEY_PREVIOUS: KEY_A });
    expect(await status(server, underA.access_token)).toBe(200);
    const refreshed = await postForm(`${server.url}/oauth/token`, { grant_type: 'refresh_token', refresh_token: underA.refresh_token, client_id: underA.clientId });
    expect(refreshed.status, JSON.stringify(refreshed.json)).toBe(200);
    const underB = { access: String(refreshed.json.access_token), refresh: String(refreshed.json.refresh_token) };
    expect(await status(server, underB.access)).toBe(200);
    // The new tokens are stored under B's hash.
    const ids = (await server.rt.store.db.withTables<{ oauth_models: { id: string } }>().selectFrom('oauth_models').select('id').execute()).map((r) => r.id);
    expect(ids).toContain(hashTokenId(server.rt.keys, underB.access));
    // A whole new sign-in works on the ring too (cookies signed under B).
    const fresh = await tokensFor(server.url, { email: 'ada@example.com' });
    expect(await status(server, fresh.access_token)).toBe(200);

    const report = await rotateServerKey(server.rt, { kind: 'operator' });
    expect(report.complete).toBe(true);
    await server.close();

    server = await start({ SEQUEL_SECRET_KEY: KEY_B });
    expect(await status(server, underB.access)).toBe(200);
    expect(await status(server, fresh.access_token)).toBe(200);
    // Hashed only under A: gone with A, as the docs say.
    expect(await status(server, underA.access_token)).toBe(401);
    const again = await postForm(`${server.url}/oauth/token`, { grant_type: 'refresh_token', refresh_token: underB.refresh, client_id: underA.clientId });
    expect(again.status, JSON.stringify(again.json)).toBe(200);
  }, 180_000);
});
