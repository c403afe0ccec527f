/**
 * Server-key rotation without downtime (docs/deploy.md, "Rotating the server key"): two replicas on a
 * PostgreSQL store keep answering queries to a source whose password was encrypted under key A while
 * they move, one at a time, to the ring (A current, B accepted), then (B current, A previous),
 * `sequel rotate-server-key` re-encrypts the store, and they move again to B alone. Afterwards the stored ciphertexts no longer decrypt under A, and a server
 * holding only A refuses to start with a message naming key ids, never keys. The same on the embedded
 * SQLite store with its generated server.key file. API keys keep working across the rotation; one never
 * used during it is reported by the command and refused once A is dropped.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { ServerKeys } from '../../src/secrets.js';
import { freePort, rawToolCall, SEQUEL_BIN } from '../helpers/server.js';
import { createTempPgDatabase, PG_URL, requireService, type TempDatabase } from '../helpers/services.js';

const pgUp = await requireService('postgres', 'server-key rotation across replicas');

const KEY_A = 'a1'.repeat(32);
const KEY_B = Buffer.alloc(32, 0xb2).toString('base64');
const SOURCE_PASSWORD = 'rotation-test-password-1';

const cleanup: Array<() => unknown> = [];
afterAll(async () => {
  for (const fn of cleanup.reverse()) await Promise.resolve(fn()).catch(() => {});
});

function tempDir(prefix: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  cleanup.push(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

interface Replica {
  url: string;
  stop(): Promise<void>;
}

function baseEnv(dataDir: string, databaseUrl: string | undefined, keys: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SEQUEL_DATA_DIR: dataDir,
    SEQUEL_HOST: '127.0.0.1',
    SEQUEL_DEMO: '0',
    SEQUEL_WORKERS: '1',
    SEQUEL_LOG_LEVEL: 'warn',
    SEQUEL_RATE_LIMIT_PER_MINUTE: '0',
    ...keys,
  };
  delete env.SEQUEL_SECRET_KEY;
  delete env.SEQUEL_SECRET_KEY_PREVIOUS;
  if (databaseUrl) env.SEQUEL_DATABASE_URL = databaseUrl;
  else delete env.SEQUEL_DATABASE_URL;
  return { ...env, ...keys };
}

/** `sequel serve` as a process; resolves when /readyz answers, rejects with its output if it exits first. */
async function startReplica(env: NodeJS.ProcessEnv): Promise<Replica> {
  const port = await freePort();
  const child = spawn(process.execPath, [SEQUEL_BIN, 'serve'], { env: { ...env, SEQUEL_PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  cleanup.push(stop);
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    if (child.exitCode !== null) throw new Error(out);
    try {
      if ((await fetch(`${url}/readyz`)).status === 200) return { url, stop };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

function cli(env: NodeJS.ProcessEnv, args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [SEQUEL_BIN, ...args], { env, encoding: 'utf8', input });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The same, without blocking this process (so queries can run meanwhile). */
function cliAsync(env: NodeJS.ProcessEnv, args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [SEQUEL_BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** A query through the source, answered (not a tool error) by this replica. */
async function expectAnswers(replica: Replica, key: string, source: string): Promise<void> {
  const r = await rawToolCall(`${replica.url}/mcp`, key, 'run_query', { source, sql: 'select 41 + 1 as n' });
  const result = (r.body?.result ?? {}) as { isError?: boolean; structuredContent?: { rows?: unknown[][] } };
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  expect(result.isError ?? false, JSON.stringify(result)).toBe(false);
  expect(result.structuredContent?.rows?.[0]?.[0]).toBe(42);
}

async function expectRefused(replica: Replica, key: string, source: string): Promise<void> {
  const r = await rawToolCall(`${replica.url}/mcp`, key, 'run_query', { source, sql: 'select 1' });
  expect(r.status).toBe(401);
}

/** A server that must refuse to start: its message names key ids, never key material. */
async function expectRefusesToStart(env: NodeJS.ProcessEnv): Promise<string> {
  const message = await startReplica(env).then(
    async (r) => {
      await r.stop();
      return 'started';
    },
    (err: Error) => err.message,
  );
  expect(message).toContain('holds secrets under server key');
  expect(message).toContain('not among');
  for (const secret of [KEY_A, KEY_B, SOURCE_PASSWORD]) expect(message).not.toContain(secret);
  return message;
}

function addSourceAndKeys(env: NodeJS.ProcessEnv, sourceUrl: string): { used: string; unused: string } {
  const add = cli(env, ['sources', 'add', '--org', 'default', '--name', 'warehouse', '--engine', 'postgres', '--url', sourceUrl, '--password-stdin'], SOURCE_PASSWORD);
  expect(add.stderr).not.toContain('sequel:');
  expect(add.status).toBe(0);
  const key = (name: string) => {
    const r = cli(env, ['keys', 'create', '--org', 'default', '--name', name, '--json']);
    expect(r.status, r.stderr).toBe(0);
    return (JSON.parse(r.stdout) as { key: string }).key;
  };
  return { used: key('used-during-rotation'), unused: key('not-used-during-rotation') };
}

/** A source URL to the local PostgreSQL with a password in it (trust auth ignores it; it is stored encrypted). */
function sourceUrl(): string {
  const u = new URL(PG_URL);
  u.password = '';
  return u.toString();
}

describe('sequel rotate-server-key', () => {
  it.skipIf(!pgUp)('two replicas on a PostgreSQL store keep answering through a rotation from key A to key B', async () => {
    const store: TempDatabase = await createTempPgDatabase('sequel_rotate');
    cleanup.push(() => store.drop());
    const dirs = [tempDir('sequel-rot-1-'), tempDir('sequel-rot-2-')];
    const onlyA = { SEQUEL_SECRET_KEY: KEY_A };
    const accepting = { SEQUEL_SECRET_KEY: KEY_A, SEQUEL_SECRET_KEY_PREVIOUS: KEY_B };
    const ring = { SEQUEL_SECRET_KEY: KEY_B, SEQUEL_SECRET_KEY_PREVIOUS: KEY_A };
    const onlyB = { SEQUEL_SECRET_KEY: KEY_B };
    const env = (i: number, keys: Record<string, string>) => baseEnv(dirs[i]!, store.url, keys);

    let r1 = await startReplica(env(0, onlyA));
    let r2 = await startReplica(env(1, onlyA));
    const { used, unused } = addSourceAndKeys(env(0, onlyA), sourceUrl());
    await expectAnswers(r1, used, 'warehouse');
    await expectAnswers(r2, used, 'warehouse');

    // (a) every replica learns B, then makes it current, one replica at a time; the other keeps
    // answering meanwhile.
    for (const keys of [accepting, ring]) {
      await r1.stop();
      await expectAnswers(r2, used, 'warehouse');
      r1 = await startReplica(env(0, keys));
      await expectAnswers(r1, used, 'warehouse');
      await expectAnswers(r2, used, 'warehouse');
      await r2.stop();
      await expectAnswers(r1, used, 'warehouse');
      r2 = await startReplica(env(1, keys));
      await expectAnswers(r1, used, 'warehouse');
      await expectAnswers(r2, used, 'warehouse');
    }

    // (b) re-encrypt while both serve: queries to both replicas run until the command is done, and none fails.
    const running = cliAsync(env(0, ring), ['rotate-server-key']);
    let done = false;
    void running.then(() => (done = true));
    let answered = 0;
    while (!done || answered < 4) {
      await expectAnswers(answered % 2 ? r2 : r1, used, 'warehouse');
      answered++;
    }
    const rotate = await running;
    expect(rotate.stderr).toBe('');
    expect(rotate.status).toBe(0);
    const a = new ServerKeys(Buffer.from(KEY_A, 'hex'));
    const b = new ServerKeys(Buffer.from(KEY_B, 'base64'));
    expect(rotate.stdout).toContain(`current ${b.id}, previous ${a.id}`);
    expect(rotate.stdout).toContain('source credentials: 1 re-encrypted, 0 already under the current key');
    expect(rotate.stdout).toContain(`the store requires it from now on (it required ${a.id})`);
    // The API keys are still hashed under A (none moves before the rotation is complete: a replica
    // without B would stop finding it) and are named, with the old key's id. The key in use may already
    // have moved when the command lists them (the replicas see the rotation complete and re-hash it at its
    // next use, and queries run until the command exits); the unused one cannot have.
    expect(rotate.stdout).toMatch(/API keys still hashed under an older server key: [12]\./);
    expect(rotate.stdout).toMatch(new RegExp(`not-used-during-rotation \\(${unused.slice(0, 10)}…\\)\\s+${a.id}`));
    for (const secret of [KEY_A, KEY_B, SOURCE_PASSWORD, unused, used]) expect(rotate.stdout).not.toContain(secret);
    await expectAnswers(r1, used, 'warehouse');
    await expectAnswers(r2, used, 'warehouse');

    // What the store holds: under B, not decryptable with A alone.
    const c = new pg.Client({ connectionString: store.url });
    await c.connect();
    cleanup.push(() => c.end());
    const { rows } = await c.query<{ id: string; secret: string }>("select id, secret from sources where name = 'warehouse'");
    const row = rows[0]!;
    expect(row.secret.startsWith(`v2.${b.id}.`)).toBe(true);
    expect(row.secret).not.toContain(SOURCE_PASSWORD);
    expect(() => a.decrypt(row.secret, `source:${row.id}`)).toThrow(/not in this server's key ring/);
    expect(JSON.parse(b.decrypt(row.secret, `source:${row.id}`))).toEqual({ password: SOURCE_PASSWORD });
    const fingerprint = await c.query<{ value: string }>("select value from settings where key = 'server_key_fingerprint'");
    expect(fingerprint.rows[0]?.value).toBe(b.fingerprint());

    // Idempotent: a second run finds nothing to re-encrypt; the key used since has moved to B.
    const again = cli(env(0, ring), ['rotate-server-key', '--json']);
    expect(again.status).toBe(0);
    const report = JSON.parse(again.stdout) as {
      complete: boolean;
      sources: { reencrypted: number; alreadyCurrent: number };
      apiKeysUnderOlderKeys: Array<{ name: string; keyId: string }>;
    };
    expect(report.complete).toBe(true);
    expect(report.sources).toMatchObject({ reencrypted: 0, alreadyCurrent: 1 });
    expect(report.apiKeysUnderOlderKeys.map((k) => [k.name, k.keyId])).toEqual([['not-used-during-rotation', a.id]]);

    // (c) drop A, one replica at a time.
    await r1.stop();
    r1 = await startReplica(env(0, onlyB));
    await expectAnswers(r1, used, 'warehouse');
    await expectAnswers(r2, used, 'warehouse');
    await r2.stop();
    r2 = await startReplica(env(1, onlyB));
    await expectAnswers(r1, used, 'warehouse');
    await expectAnswers(r2, used, 'warehouse');
    // The key nobody used while A was in the ring is gone with A, as the command said.
    await expectRefused(r1, unused, 'warehouse');

    // A server holding only A now refuses, clearly, without printing a key or a password.
    const message = await expectRefusesToStart(env(0, onlyA));
    expect(message).toContain(b.id);
    expect(message).toContain(a.id);
    const list = cli(env(0, onlyA), ['sources', 'list', '--org', 'default']);
    expect(list.status).toBe(1);
    expect(list.stderr).toContain(`holds secrets under server key ${b.id}`);
    await expectAnswers(r1, used, 'warehouse');
  }, 600_000);

  it.skipIf(!pgUp)('the embedded SQLite store: from the generated server.key to a new key', async () => {
    const dir = tempDir('sequel-rot-sqlite-');
    // First start generates <dir>/server.key: that is key A here.
    let server = await startReplica(baseEnv(dir, undefined, {}));
    const fileKey = fs.readFileSync(path.join(dir, 'server.key'), 'utf8').trim();
    const { used } = addSourceAndKeys(baseEnv(dir, undefined, {}), sourceUrl());
    await expectAnswers(server, used, 'warehouse');
    await server.stop();

    const ring = { SEQUEL_SECRET_KEY: KEY_B, SEQUEL_SECRET_KEY_PREVIOUS: fileKey };
    server = await startReplica(baseEnv(dir, undefined, ring));
    await expectAnswers(server, used, 'warehouse');
    const rotate = cli(baseEnv(dir, undefined, ring), ['rotate-server-key']);
    expect(rotate.stderr).toBe('');
    expect(rotate.status).toBe(0);
    expect(rotate.stdout).toContain('source credentials: 1 re-encrypted');
    expect(rotate.stdout).toContain('API keys still hashed under an older server key: 2');
    // Used after the rotation, a key moves to B.
    await expectAnswers(server, used, 'warehouse');
    const again = cli(baseEnv(dir, undefined, ring), ['rotate-server-key']);
    expect(again.stdout).toContain('API keys still hashed under an older server key: 1');
    await server.stop();

    server = await startReplica(baseEnv(dir, undefined, { SEQUEL_SECRET_KEY: KEY_B }));
    await expectAnswers(server, used, 'warehouse');
    await server.stop();
    // Back to the file alone (key A): refused, naming the file to use, not its content.
    const message = await expectRefusesToStart(baseEnv(dir, undefined, {}));
    expect(message).not.toContain(fileKey);
  }, 300_000);
});

describe('sequel rotate-server-key: help and errors', () => {
  it('prints its help page', () => {
    const r = cli(process.env, ['help', 'rotate-server-key']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Usage:\n  sequel rotate-server-key [--json]');
    expect(r.stdout).toContain('SEQUEL_SECRET_KEY_PREVIOUS');
    expect(cli(process.env, ['help']).stdout).toContain('rotate-server-key');
  });

  it('--generate prints a fresh 32-byte key and touches nothing', () => {
    const dir = tempDir('sequel-rot-gen-');
    const env = baseEnv(path.join(dir, 'data'), undefined, {});
    const one = cli(env, ['rotate-server-key', '--generate']);
    const two = cli(env, ['rotate-server-key', '--generate']);
    expect(one.status).toBe(0);
    expect(Buffer.from(one.stdout.trim(), 'base64')).toHaveLength(32);
    expect(one.stdout).not.toBe(two.stdout);
    expect(fs.existsSync(path.join(dir, 'data'))).toBe(false);
  });

  it('refuses an argument (usage, exit 2) and a malformed previous key (exit 1, the value not echoed)', () => {
    const dir = tempDir('sequel-rot-err-');
    const usage = cli(baseEnv(dir, undefined, {}), ['rotate-server-key', 'now']);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain('rotate-server-key takes no arguments');
    const bad = cli(baseEnv(dir, undefined, { SEQUEL_SECRET_KEY: KEY_B, SEQUEL_SECRET_KEY_PREVIOUS: 'not-a-key-value' }), ['rotate-server-key']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('key 1 of SEQUEL_SECRET_KEY_PREVIOUS must be 32 bytes');
    expect(bad.stderr).not.toContain('not-a-key-value');
  });

  it('on a store with one key and nothing to do: complete, counts zero', () => {
    const dir = tempDir('sequel-rot-noop-');
    const r = cli(baseEnv(dir, undefined, {}), ['rotate-server-key', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { complete: boolean; previousKeyIds: string[]; sources: { reencrypted: number } };
    expect(report).toMatchObject({ complete: true, previousKeyIds: [], sources: { reencrypted: 0 } });
  });
});
