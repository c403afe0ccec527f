/**
 * `sequel authorizations list|revoke --org <slug>` as an admin runs it — the built bin in a child
 * process, against the data directory of a running server — and revocation taking effect on the
 * server's very next request.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INITIALIZE, rpc, startTestServer, type TestServer } from '../helpers/server.js';
import { createUser, tokensFor } from './helpers.js';

const BIN = path.resolve(import.meta.dirname, '../../dist/cli.js');

let ts: TestServer;

beforeAll(async () => {
  if (!fs.existsSync(BIN) || !fs.readFileSync(BIN, 'utf8').includes('authorizations')) {
    throw new Error(`${BIN} is missing or stale: run \`npm run build\` (npm test does it in pretest)`);
  }
  ts = await startTestServer({ demo: false });
  await createUser(ts, 'ada@example.com', [['alpha', 'member']]);
  await ts.org('beta');
}, 180_000);
afterAll(async () => {
  await ts?.close();
});

function sequel(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, SEQUEL_DATA_DIR: ts.dataDir, SEQUEL_LOG_LEVEL: 'warn', SEQUEL_DEMO: '0' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end();
  });
}

describe('sequel authorizations', () => {
  it('lists the org’s connected apps and revokes one; the token fails on the next request', async () => {
    const t = await tokensFor(ts.url, { email: 'ada@example.com' });
    expect((await rpc(ts.mcpUrl, INITIALIZE, { authorization: `Bearer ${t.access_token}` })).status).toBe(200);

    const list = await sequel(['authorizations', 'list', '--org', 'alpha', '--json']);
    expect(list.code, list.stderr).toBe(0);
    const rows = JSON.parse(list.stdout) as Array<Record<string, unknown>>;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ client_id: t.clientId, client_name: 'Raw client', user_email: 'ada@example.com', redirect_host: '127.0.0.1:9' });
    expect(rows[0]!.created_at).toBeTruthy();
    expect(rows[0]!.last_used_at).toBeTruthy();
    expect(list.stdout).not.toContain(t.access_token);

    const text = await sequel(['authorizations', 'list', '--org', 'alpha']);
    expect(text.stdout).toMatch(/ID\s+CLIENT\s+USER\s+REDIRECTS TO\s+CREATED\s+LAST USED/);
    expect(text.stdout).toContain('Raw client');

    // Another organization sees none of it and cannot revoke it.
    expect(JSON.parse((await sequel(['authorizations', 'list', '--org', 'beta', '--json'])).stdout)).toEqual([]);
    const id = String(rows[0]!.id);
    const wrongOrg = await sequel(['authorizations', 'revoke', '--org', 'beta', id]);
    expect(wrongOrg.code).toBe(1);
    expect(wrongOrg.stderr).toContain('no active authorization');
    expect((await rpc(ts.mcpUrl, INITIALIZE, { authorization: `Bearer ${t.access_token}` })).status).toBe(200);

    const revoked = await sequel(['authorizations', 'revoke', '--org', 'alpha', id]);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toContain('revoked Raw client for ada@example.com');
    expect((await rpc(ts.mcpUrl, INITIALIZE, { authorization: `Bearer ${t.access_token}` })).status).toBe(401);
    expect(JSON.parse((await sequel(['authorizations', 'list', '--org', 'alpha', '--json'])).stdout)).toEqual([]);

    const usage = await sequel(['authorizations', 'revoke', '--org', 'alpha']);
    expect(usage.code).toBe(2);
    // Six CLI processes and an OAuth flow: minutes on a loaded 2-core machine.
  }, 240_000);
});
