/**
 * Nothing secret in logs, errors, responses or the store: source passwords, API keys, the server key and
 * SQL parameter values.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, INITIALIZE, rpc, startTestServer, type TestServer } from '../helpers/server.js';
import { createTempPgDatabase, requireService, type TempDatabase } from '../helpers/services.js';
import { makeShopFile } from '../helpers/sqliteFile.js';

const pgUp = await requireService('postgres', 'secrets checks with a PostgreSQL source');

const PG_PASSWORD = 'Pg-Passw0rd-Never-Shown';
const DOWN_PASSWORD = 'Down-Passw0rd-Never-Shown';
const PARAM_SECRET = 'Param-Value-Never-Logged';

let ts: TestServer;
let db: TempDatabase | undefined;
const responses: string[] = [];

beforeAll(async () => {
  ts = await startTestServer({ demo: false });
  await ts.source('acme', { name: 'shop', engine: 'sqlite', url: makeShopFile(10) });
  if (pgUp) {
    db = await createTempPgDatabase('sequel_secrets');
    const u = new URL(db.url);
    u.password = PG_PASSWORD;
    await ts.source('acme', { name: 'pg', engine: 'postgres', url: u.toString() });
  }
  // A source that is down, with a password in its DSN: its error must not carry the password.
  await ts.source('acme', { name: 'down', engine: 'postgres', url: `postgres://someone:${DOWN_PASSWORD}@127.0.0.1:1/nothing` });
});

afterAll(async () => {
  await ts?.close();
  await db?.drop();
});

describe('secrets stay secret', () => {
  let key: string;

  it('exercises the server: queries with parameters, failures, bad credentials', async () => {
    key = (await ts.key('acme')).key;
    const client = await connectClient(ts.mcpUrl, key);
    const calls: Array<[string, Record<string, unknown>]> = [
      ['list_sources', {}],
      ['run_query', { source: 'shop', sql: 'select * from customers where name = ?', params: [PARAM_SECRET] }],
      ['run_query', { source: 'shop', sql: 'select nope from customers where name = ?', params: [PARAM_SECRET] }],
      ['run_query', { source: 'down', sql: 'select 1' }],
      ['describe_table', { source: 'down', table: 'x' }],
      ['search_schema', { pattern: 'cust' }],
    ];
    if (pgUp) {
      calls.push(['run_query', { source: 'pg', sql: 'select $1::text as v', params: [PARAM_SECRET] }]);
      calls.push(['run_query', { source: 'pg', sql: 'select * from missing_table where x = $1', params: [PARAM_SECRET] }]);
    }
    for (const [name, args] of calls) responses.push(JSON.stringify(await client.callTool({ name, arguments: args })));
    expect(responses.some((r) => r.includes('SOURCE_UNAVAILABLE'))).toBe(true);
    await client.close();
    const bad = await rpc(ts.mcpUrl, INITIALIZE, { authorization: `Bearer ${key.slice(0, -1)}x` });
    responses.push(bad.text);
    await ts.rt.audit.flush();
  });

  it('the server key file and the store are owner-only', () => {
    expect(fs.statSync(path.join(ts.dataDir, 'server.key')).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.join(ts.dataDir, 'sequel.db')).mode & 0o077).toBe(0);
  });

  it('no log line, response or stored row carries a password, a key, the server key or a parameter value', async () => {
    const serverKey = fs.readFileSync(path.join(ts.dataDir, 'server.key'), 'utf8').trim();
    const needles = [PG_PASSWORD, DOWN_PASSWORD, key, key.slice(4), serverKey, Buffer.from(serverKey, 'base64').toString('hex')];
    const logText = ts.logs.join('\n');
    expect(ts.logs.length).toBeGreaterThan(0);
    const dump: string[] = [];
    for (const table of ['organizations', 'users', 'memberships', 'api_keys', 'sources', 'descriptions', 'audit_log', 'settings'] as const) {
      dump.push(JSON.stringify(await ts.rt.store.db.selectFrom(table).selectAll().execute()));
    }
    const stored = dump.join('\n');
    const rawFile = fs.readFileSync(path.join(ts.dataDir, 'sequel.db')).toString('latin1');
    for (const needle of needles) {
      expect(logText.includes(needle), `log contains a secret`).toBe(false);
      expect(responses.join('\n').includes(needle), 'a response contains a secret').toBe(false);
      expect(stored.includes(needle), 'the store contains a secret').toBe(false);
      expect(rawFile.includes(needle), 'the store file contains a secret').toBe(false);
    }
    // SQL parameter values are neither logged nor audited (the SQL text is audited by design).
    expect(logText).not.toContain(PARAM_SECRET);
    expect(stored).not.toContain(PARAM_SECRET);
    expect(stored).toContain('select * from customers where name = ?');
  });
});
