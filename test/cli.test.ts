/**
 * The `sequel` CLI as a user runs it: the built bin in a child process, with its own data directory.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, freePort, rpc, INITIALIZE } from './helpers/server.js';
import { requireService } from './helpers/services.js';
import { makeShopFile } from './helpers/sqliteFile.js';

const pgUp = await requireService('postgres', 'CLI sources add for PostgreSQL');

const BIN = path.resolve(import.meta.dirname, '../dist/cli.js');

let dataDir: string;
let env: NodeJS.ProcessEnv;

beforeAll(() => {
  if (!fs.existsSync(BIN)) throw new Error(`${BIN} is missing: run \`npm run build\` (npm test does it in pretest)`);
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sequel-cli-'));
  env = { ...process.env, SEQUEL_DATA_DIR: dataDir, SEQUEL_LOG_LEVEL: 'warn', SEQUEL_DEMO: '0' };
});
afterAll(() => {
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function sequel(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

describe('sequel CLI', () => {
  it('migrates, creates an organization, refuses a duplicate with a plain message', async () => {
    expect((await sequel(['migrate'])).code).toBe(0);
    const created = await sequel(['orgs', 'create', 'acme', '--name', 'Acme Inc', '--json']);
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ slug: 'acme', name: 'Acme Inc' });
    const dup = await sequel(['orgs', 'create', 'acme']);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toContain('already exists');
    const usage = await sequel(['orgs', 'frobnicate']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('sequel orgs create <slug>');
  });

  it('creates a user with the password from stdin, never echoing it', async () => {
    const r = await sequel(['users', 'create', 'ada@example.com', '--org', 'acme', '--role', 'owner', '--json'], 'correct horse battery staple\n');
    expect(r.code).toBe(0);
    expect(r.stdout + r.stderr).not.toContain('correct horse');
    expect(JSON.parse(r.stdout)).toMatchObject({ email: 'ada@example.com', role: 'owner', org: 'acme' });
    const weak = await sequel(['users', 'create', 'bob@example.com', '--org', 'acme', '--role', 'member'], 'short');
    expect(weak.code).toBe(1);
    expect(weak.stderr).toContain('at least 10 characters');
  });

  it('adds a SQLite source after testing it, and refuses one that does not connect', async () => {
    const file = makeShopFile(10);
    const ok = await sequel(['sources', 'add', '--org', 'acme', '--name', 'shop', '--engine', 'sqlite', '--url', file, '--description', 'Shop', '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ name: 'shop', engine: 'sqlite', has_password: false });
    const bad = await sequel(['sources', 'add', '--org', 'acme', '--name', 'ghost', '--engine', 'sqlite', '--url', path.join(dataDir, 'missing.sqlite')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/could not connect/);
    const list = JSON.parse((await sequel(['sources', 'list', '--org', 'acme', '--json'])).stdout) as Array<{ name: string }>;
    expect(list.map((s) => s.name)).toEqual(['shop']);
    const test = await sequel(['sources', 'test', '--org', 'acme', '--name', 'shop']);
    expect(test.code).toBe(0);
    expect(test.stdout).toMatch(/^shop: ok/);
  });

  it('sets what tools may read on a source (hidden tables and columns, masks), validated', async () => {
    const r = await sequel(['sources', 'policy', '--org', 'acme', '--name', 'shop', '--hide-tables', 'numbers', '--hide-columns', 'customers.country', '--mask', 'customers.email:hash,*name*:mask', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).policy).toMatchObject({
      hiddenTables: ['numbers'],
      hiddenColumns: ['customers.country'],
      maskedColumns: [
        { column: 'customers.email', mode: 'hash' },
        { column: '*name*', mode: 'mask' },
      ],
    });
    const bad = await sequel(['sources', 'policy', '--org', 'acme', '--name', 'shop', '--mask', 'customers.email:scramble']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('mode mask, hash, null');
    const ident = await sequel(['sources', 'policy', '--org', 'acme', '--name', 'shop', '--identity-roles', 'ada@example.com=analyst_ada', '--identity-required', 'yes', '--json']);
    expect(ident.code, ident.stderr).toBe(0);
    expect(JSON.parse(ident.stdout).policy).toMatchObject({ identityRoles: [{ member: 'ada@example.com', role: 'analyst_ada' }], identityRequired: true });
    const clear = await sequel(['sources', 'policy', '--org', 'acme', '--name', 'shop', '--hide-tables', '', '--hide-columns', '', '--mask', '', '--identity-roles', '', '--identity-required', 'no', '--json']);
    expect(JSON.parse(clear.stdout).policy).toMatchObject({ hiddenTables: [], hiddenColumns: [], maskedColumns: [], identityRoles: [], identityRequired: false });
  });

  it('refuses a policy for an unknown source or organization, a malformed name, or no change, and changes nothing', async () => {
    const before = JSON.parse((await sequel(['sources', 'list', '--org', 'acme', '--json'])).stdout) as Array<{ name: string; policy: unknown }>;
    const ghost = await sequel(['sources', 'policy', '--org', 'acme', '--name', 'ghost', '--hide-tables', 'numbers']);
    expect(ghost.code).toBe(1);
    expect(ghost.stderr).toContain('no source "ghost" in acme');
    const org = await sequel(['sources', 'policy', '--org', 'nowhere', '--name', 'shop', '--hide-tables', 'numbers']);
    expect(org.code).toBe(1);
    expect(org.stderr).toContain('nowhere');
    // The same rule as the dashboard's Policy tab: a hidden table is schema.table or table.
    const dotted = await sequel(['sources', 'policy', '--org', 'acme', '--name', 'shop', '--hide-tables', 'a.b.c']);
    expect(dotted.code).toBe(1);
    expect(dotted.stderr).toContain('hidden table "a.b.c" must be written schema.table or table');
    const nothing = await sequel(['sources', 'policy', '--org', 'acme', '--name', 'shop']);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain('sources policy needs --allowed-schemas');
    const after = JSON.parse((await sequel(['sources', 'list', '--org', 'acme', '--json'])).stdout) as Array<{ name: string; policy: unknown }>;
    expect(after.find((s) => s.name === 'shop')!.policy).toEqual(before.find((s) => s.name === 'shop')!.policy);
  });

  it.skipIf(!pgUp)('adds a PostgreSQL source from fields with the password on stdin, never showing it', async () => {
    const r = await sequel(
      ['sources', 'add', '--org', 'acme', '--name', 'pg', '--engine', 'postgres', '--db-host', '127.0.0.1', '--db-port', '5432', '--db-user', 'postgres', '--database', 'postgres', '--password-stdin', '--tls', 'disable', '--connect-timeout-ms', '3000', '--pool-max', '2', '--json'],
      'Cli-Secret-Pw-123\n',
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toContain('Cli-Secret-Pw-123');
    const added = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(added).toMatchObject({ name: 'pg', engine: 'postgres', url: 'postgres://postgres@127.0.0.1:5432/postgres', has_password: true, tls: 'disable' });
    expect(String(added.version)).toMatch(/PostgreSQL/);
    const list = await sequel(['sources', 'list', '--org', 'acme', '--json']);
    expect(list.stdout).not.toContain('Cli-Secret-Pw-123');
    const missing = await sequel(['sources', 'add', '--org', 'acme', '--name', 'pg2', '--engine', 'postgres', '--db-host', '127.0.0.1']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--db-user is required');
    const removed = await sequel(['sources', 'remove', '--org', 'acme', '--name', 'pg']);
    expect(removed.code).toBe(0);
  });

  it('creates a key shown once, lists it by prefix only, revokes it', async () => {
    const created = await sequel(['keys', 'create', '--org', 'acme', '--name', 'laptop', '--sources', 'shop', '--expires', '30d', '--json']);
    expect(created.code, created.stderr).toBe(0);
    const k = JSON.parse(created.stdout) as { key: string; prefix: string; id: string; expires_at: string };
    expect(k.key).toMatch(/^sql_[0-9A-Za-z]{43}$/);
    expect(Date.parse(k.expires_at) - Date.now()).toBeGreaterThan(29 * 86_400_000);
    const list = await sequel(['keys', 'list', '--org', 'acme']);
    expect(list.stdout).toContain(`${k.prefix}…`);
    expect(list.stdout).not.toContain(k.key);
    const listJson = JSON.parse((await sequel(['keys', 'list', '--org', 'acme', '--json'])).stdout) as Array<Record<string, unknown>>;
    expect(listJson[0]).toMatchObject({ name: 'laptop', sources: ['shop'] });
    expect(JSON.stringify(listJson)).not.toContain(k.key);
    expect(JSON.stringify(listJson)).not.toContain('key_hash');
    const text = await sequel(['keys', 'create', '--org', 'acme', '--name', 'other']);
    expect(text.stdout).toMatch(/^sql_[0-9A-Za-z]{43}\n/);
    expect(text.stdout).toContain('only time');
    const revoked = await sequel(['keys', 'revoke', '--org', 'acme', `${k.prefix}…`]);
    expect(revoked.code).toBe(0);
    expect(JSON.parse((await sequel(['keys', 'list', '--org', 'acme', '--json'])).stdout).map((x: { name: string }) => x.name)).toEqual(['other']);
  });

  it('serve prints the MCP URL, and a CLI-made key queries through it', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [BIN, 'serve', '--port', String(port)], { env });
    try {
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      // serve starts SEQUEL_WORKERS processes (one per core by default); on a loaded machine that takes a while.
      for (let i = 0; i < 600 && !out.includes('MCP endpoint'); i++) await new Promise((r) => setTimeout(r, 100));
      expect(out).toContain(`http://127.0.0.1:${port}/mcp`);
      const key = (await sequel(['keys', 'create', '--org', 'acme', '--name', 'serve-test', '--json'])).stdout;
      const { key: token } = JSON.parse(key) as { key: string };
      const client = await connectClient(`http://127.0.0.1:${port}/mcp`, token);
      const r = (await client.callTool({ name: 'run_query', arguments: { source: 'shop', sql: 'select count(*) as n from orders' } })) as { structuredContent: { rows: unknown[][] } };
      expect(r.structuredContent.rows).toEqual([[5]]);
      await client.close();
      expect((await rpc(`http://127.0.0.1:${port}/mcp`, INITIALIZE)).status).toBe(401);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('close', r));
    }
    expect(child.exitCode ?? 0).toBe(0);
  }, 120_000);
});

