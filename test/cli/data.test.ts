/**
 * `sequel sources` (add, list, test, update, remove, the least-privilege warning), `describe`,
 * `descriptions export|import` and `audit`: happy paths and the main errors.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempPgDatabase, requireService, type TempDatabase } from '../helpers/services.js';
import { makeShopFile } from '../helpers/sqliteFile.js';
import { connectClient, startTestServer } from '../helpers/server.js';
import { makeCli } from './helpers.js';

const pgUp = await requireService('postgres', 'the least-privilege warning for a PostgreSQL superuser');
const cli = makeCli();
let pgDb: TempDatabase | undefined;

beforeAll(async () => {
  await cli.json(['orgs', 'create', 'acme']);
  await cli.json(['sources', 'add', '--org', 'acme', '--name', 'shop', '--engine', 'sqlite', '--url', makeShopFile(10), '--description', 'Shop']);
  if (pgUp) pgDb = await createTempPgDatabase('sequel_cli');
}, 300_000);
afterAll(async () => {
  cli.cleanup();
  await pgDb?.drop();
});

type Source = { name: string; description: string; policy: { maxRows: number; maxBytes: number; statementTimeoutMs: number } };

describe('sequel sources', () => {
  it('update changes description and limits (tested first), remove deletes; unknown names and empty updates are refused', { timeout: 300_000 }, async () => {
    const u = await cli.json<Source & { changed: string[] }>(['sources', 'update', '--org', 'acme', '--name', 'shop', '--description', 'Web shop', '--max-rows', '50', '--max-bytes', '10000', '--timeout-ms', '5000']);
    expect(u).toMatchObject({ description: 'Web shop', policy: { maxRows: 50, maxBytes: 10000, statementTimeoutMs: 5000 } });
    expect(u.changed).toEqual(['description', 'maxRows', 'maxBytes', 'statementTimeoutMs']);
    const listed = await cli.json<Array<Source & { status: { state: string } }>>(['sources', 'list', '--org', 'acme']);
    expect(listed[0]).toMatchObject({ name: 'shop', description: 'Web shop', status: { state: 'ok' } });
    const nothing = await cli.run(['sources', 'update', '--org', 'acme', '--name', 'shop']);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain('needs something to change');
    const missing = await cli.run(['sources', 'update', '--org', 'acme', '--name', 'nope', '--max-rows', '5']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no source "nope" in acme (sources: shop)');
    const badLimit = await cli.run(['sources', 'update', '--org', 'acme', '--name', 'shop', '--max-rows', '-3']);
    expect(badLimit.code).toBe(2);
    const tls = await cli.run(['sources', 'update', '--org', 'acme', '--name', 'shop', '--tls', 'sometimes']);
    expect(tls.code).toBe(2);
    await cli.json(['sources', 'add', '--org', 'acme', '--name', 'tmp', '--engine', 'sqlite', '--url', makeShopFile(1)]);
    expect(await cli.json(['sources', 'remove', '--org', 'acme', '--name', 'tmp'])).toEqual({ removed: 'tmp' });
    expect((await cli.run(['sources', 'remove', '--org', 'acme', '--name', 'tmp'])).code).toBe(1);
  });

  it.skipIf(!pgUp)('add, test and update warn when the account can write, with the role to create instead; a new password is tested', { timeout: 300_000 }, async () => {
    const add = await cli.run(['sources', 'add', '--org', 'acme', '--name', 'pg', '--engine', 'postgres', '--url', pgDb!.url, '--tls', 'disable', '--json']);
    expect(add.code, add.stderr).toBe(0);
    expect(add.stderr).toMatch(/^warning: the account .* can do more than read:/);
    expect(add.stderr).toContain('is a superuser');
    expect(add.stderr).toMatch(/CREATE ROLE/i);
    expect(JSON.parse(add.stdout)).toMatchObject({ name: 'pg', privileges: { checked: true } });
    const test = await cli.run(['sources', 'test', '--org', 'acme', '--name', 'pg']);
    expect(test.code).toBe(0);
    expect(test.stdout).toMatch(/^pg: ok \(PostgreSQL/);
    expect(test.stderr).toContain('is a superuser');
    // A password update is tested before it is saved (trust auth accepts any, so it saves and says so).
    const pw = await cli.run(['sources', 'update', '--org', 'acme', '--name', 'pg', '--password-stdin'], 'New-Secret-Pw-9\n');
    expect(pw.code, pw.stderr).toBe(0);
    expect(pw.stdout).toContain('updated pg: password');
    expect(pw.stdout + pw.stderr).not.toContain('New-Secret-Pw-9');
    expect((await cli.json<Array<{ name: string; has_password: boolean }>>(['sources', 'list', '--org', 'acme'])).find((s) => s.name === 'pg')?.has_password).toBe(true);
    await cli.json(['sources', 'remove', '--org', 'acme', '--name', 'pg']);
  });
});

describe('sequel describe and descriptions', () => {
  it('describes a table and a column, exports YAML, imports an edited file, refuses a file that does not match', { timeout: 300_000 }, async () => {
    const t = await cli.run(['describe', '--org', 'acme', '--source', 'shop', '--table', 'orders', 'One row per checkout']);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toContain('described shop:main.orders');
    expect((await cli.run(['describe', '--org', 'acme', '--source', 'shop', '--table', 'main.orders', '--column', 'total_cents', 'Total in euro cents'])).code).toBe(0);
    const badCol = await cli.run(['describe', '--org', 'acme', '--source', 'shop', '--table', 'orders', '--column', 'totl', 'x']);
    expect(badCol.code).toBe(1);
    expect(badCol.stderr).toContain('no column "totl" in main.orders');
    const badTable = await cli.run(['describe', '--org', 'acme', '--source', 'shop', '--table', 'ordrs', 'x']);
    expect(badTable.stderr).toContain('no table or view "ordrs"');
    expect((await cli.run(['describe', '--org', 'acme', '--source', 'shop', '--table', 'orders'])).code).toBe(2);

    const file = path.join(cli.dataDir, 'shop.yaml');
    expect((await cli.run(['descriptions', 'export', '--org', 'acme', '--source', 'shop', file])).code).toBe(0);
    const yaml = fs.readFileSync(file, 'utf8');
    expect(yaml).toContain('sequel descriptions import --org acme --source shop');
    expect(yaml).toMatch(/ {4}orders:\n {6}description: One row per checkout\n {6}columns:\n/);
    expect(yaml).toContain('        total_cents: Total in euro cents');
    const stdout = await cli.run(['descriptions', 'export', '--org', 'acme', '--source', 'shop']);
    expect(stdout.stdout).toBe(yaml);

    fs.writeFileSync(file, yaml.replace('        name: ""', '        name: "Full name, as typed at checkout"').replace('      description: One row per checkout', '      description: ""'));
    const imp = await cli.json<{ set: number; removed: number }>(['descriptions', 'import', '--org', 'acme', '--source', 'shop', file]);
    expect(imp).toMatchObject({ set: 1, removed: 1 });
    const after = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(path.join(cli.dataDir, 'bad.yaml'), after.replace('        total_cents:', '        totl_cents:'));
    const bad = await cli.run(['descriptions', 'import', '--org', 'acme', '--source', 'shop', path.join(cli.dataDir, 'bad.yaml')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/nothing was changed: no column main\.\w+\.totl_cents/);
    fs.writeFileSync(path.join(cli.dataDir, 'broken.yaml'), 'schemas: [unclosed');
    expect((await cli.run(['descriptions', 'import', '--org', 'acme', '--source', 'shop', path.join(cli.dataDir, 'broken.yaml')])).stderr).toContain('is not valid YAML');

    // Models see the result: describe_table through MCP on a server over the same store.
    const ts = await startTestServer({ dataDir: cli.dataDir, demo: false });
    try {
      const client = await connectClient(ts.mcpUrl, (await ts.key('acme')).key);
      const r = (await client.callTool({ name: 'describe_table', arguments: { source: 'shop', table: 'customers' } })) as { content: Array<{ text: string }> };
      expect(r.content[0]!.text).toContain('name text — Full name, as typed at checkout');
      const o = (await client.callTool({ name: 'describe_table', arguments: { source: 'shop', table: 'orders' } })) as { content: Array<{ text: string }> };
      expect(o.content[0]!.text).not.toContain('One row per checkout');
      await client.callTool({ name: 'run_query', arguments: { source: 'shop', sql: 'select count(*) from orders' } });
      await client.callTool({ name: 'run_query', arguments: { source: 'shop', sql: 'delete from orders' } });
      await client.close();
      await ts.rt.audit.flush();
    } finally {
      await ts.close();
    }
  });
});

describe('sequel audit', () => {
  it('filters by source, tool, outcome and time, as text, JSON and CSV', { timeout: 300_000 }, async () => {
    const all = await cli.json<Array<{ tool: string; outcome: string; sql: string | null }>>(['audit', '--org', 'acme', '--since', '1h']);
    expect(all.filter((e) => e.tool === 'run_query').map((e) => e.outcome)).toEqual(['NOT_READ_ONLY', 'ok']);
    const errors = await cli.json<Array<{ sql: string }>>(['audit', '--org', 'acme', '--source', 'shop', '--outcome', 'error', '--tool', 'run_query']);
    expect(errors.map((e) => e.sql)).toEqual(['delete from orders']);
    const text = await cli.run(['audit', '--org', 'acme', '--outcome', 'NOT_READ_ONLY']);
    expect(text.stdout).toMatch(/^TIME +WHO +TOOL +SOURCE +OUTCOME/);
    expect(text.stdout).toContain('delete from orders');
    const csv = await cli.run(['audit', '--org', 'acme', '--tool', 'run_query', '--csv']);
    expect(csv.stdout.split('\r\n')[0]).toBe('time,user,credential_kind,credential,source,tool,sql,rows,duration_ms,outcome,error');
    expect(csv.stdout).toContain(',shop,run_query,delete from orders,');
    expect((await cli.json<unknown[]>(['audit', '--org', 'acme', '--since', '2000-01-01', '--tool', 'explain_query'])).length).toBe(0);
    const badSince = await cli.run(['audit', '--org', 'acme', '--since', 'yesterday-ish']);
    expect(badSince.code).toBe(2);
    expect(badSince.stderr).toContain('--since takes 30m, 12h, 7d or a date');
    const both = await cli.run(['audit', '--org', 'acme', '--json', '--csv']);
    expect(both.code).toBe(2);
    const noKey = await cli.run(['audit', '--org', 'acme', '--key', 'sql_nothing']);
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toContain('no key "sql_nothing" in acme');
    // --key by displayed prefix (with or without the ellipsis) or id; --user by email.
    const [key] = await cli.json<Array<{ id: string; prefix: string }>>(['keys', 'list', '--org', 'acme']);
    const byPrefix = await cli.json<Array<{ tool: string; credential: { id: string } }>>(['audit', '--org', 'acme', '--key', `${key!.prefix}…`]);
    expect(byPrefix.length).toBe(all.length);
    expect(byPrefix.every((e) => e.credential.id === key!.id)).toBe(true);
    expect((await cli.json<unknown[]>(['audit', '--org', 'acme', '--key', key!.id])).length).toBe(all.length);
    await cli.json(['users', 'create', 'auditee@example.com', '--org', 'acme', '--role', 'member'], 'long enough passphrase');
    const byUser = await cli.run(['audit', '--org', 'acme', '--user', 'Auditee@Example.com']);
    expect(byUser.code, byUser.stderr).toBe(0);
    expect(byUser.stdout.trim()).toBe('no audit entries match');
    const noUser = await cli.run(['audit', '--org', 'acme', '--user', 'nobody@example.com']);
    expect(noUser.code).toBe(1);
    expect(noUser.stderr).toContain('no user nobody@example.com');
  });
});
