/**
 * The README's quickstart, run as written on a fresh clone: `git clone` of this repository into a
 * temporary folder, the README's first command (`npm install && npm start`), then the key command the
 * banner prints, in the same folder — and once more with a custom SEQUEL_DATA_DIR, where the banner's
 * command must carry it (a key created in ./.sequel would not authenticate).
 *
 * To keep the run off the network, node_modules is copied from this checkout into the clone before
 * `npm install` (which then finds everything in place, offline, and runs `prepare`, the real build).
 * The clone has what is committed (HEAD), as a new user's would.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, freePort } from './helpers/server.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const hasGit = spawnSync('git', ['--version']).status === 0;

/** The ```bash blocks of the README's Quickstart section, in order. */
function quickstartBlocks(): string[] {
  const section = README.slice(README.indexOf('## Quickstart'), README.indexOf('\n## ', README.indexOf('## Quickstart') + 5));
  return [...section.matchAll(/```bash\n([\s\S]*?)```/g)].map((m) => m[1]!.trim());
}

let tmp: string;
let clone: string;
const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => {
  // Offline: everything is already in the copied node_modules; the npx link install needs no registry.
  const e: NodeJS.ProcessEnv = { ...process.env, npm_config_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false', SEQUEL_LOG_LEVEL: 'warn', ...extra };
  for (const k of Object.keys(e)) if (k.startsWith('SEQUEL_') && !(k in extra) && k !== 'SEQUEL_LOG_LEVEL') delete e[k];
  delete e.CI;
  return e;
};

interface Started {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
}

/** `sh -c command` in the clone, in its own process group (npm start → sh → node). */
function start(command: string, extraEnv: Record<string, string>): Started {
  const child = spawn('sh', ['-c', command], { cwd: clone, env: env(extraEnv), detached: true });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  return { child, stdout: () => out, stderr: () => err };
}

async function stop(s: Started): Promise<void> {
  if (s.child.exitCode !== null) return;
  const closed = new Promise((r) => s.child.once('close', r));
  process.kill(-s.child.pid!, 'SIGTERM');
  await closed;
}

async function waitFor(s: Started, text: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!s.stdout().includes(text)) {
    if (s.child.exitCode !== null) throw new Error(`exited ${s.child.exitCode} before printing "${text}":\n${s.stdout()}\n${s.stderr()}`);
    if (Date.now() > deadline) throw new Error(`no "${text}" after ${timeoutMs} ms:\n${s.stdout()}\n${s.stderr()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function run(command: string, extraEnv: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('sh', ['-c', command], { cwd: clone, env: env(extraEnv), encoding: 'utf8', timeout: 600_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The banner's "Get an API key:" command. */
function keyCommand(banner: string): string {
  const line = banner.split('\n').find((l) => l.includes('Get an API key:'));
  if (!line) throw new Error(`no key command in the banner:\n${banner}`);
  return line.slice(line.indexOf(':') + 1).trim();
}

async function keyWorks(mcpUrl: string, key: string): Promise<void> {
  const client = await connectClient(mcpUrl, key);
  try {
    const r = (await client.callTool({ name: 'run_query', arguments: { source: 'demo', sql: 'select count(*) as n from customers' } })) as { structuredContent: { rows: number[][] } };
    expect(r.structuredContent.rows[0]![0]).toBeGreaterThan(0);
  } finally {
    await client.close();
  }
}

beforeAll(() => {
  if (!hasGit) return;
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sequel-quickstart-'));
  clone = path.join(tmp, 'sequel');
  const c = spawnSync('git', ['clone', '--quiet', ROOT, clone], { encoding: 'utf8' });
  if (c.status !== 0) throw new Error(`git clone failed: ${c.stderr}`);
  fs.cpSync(path.join(ROOT, 'node_modules'), path.join(clone, 'node_modules'), {
    recursive: true,
    verbatimSymlinks: true,
    filter: (src) => !src.startsWith(path.join(ROOT, 'node_modules', '.cache')),
  });
}, 300_000);

afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe.skipIf(!hasGit)("the README's quickstart on a fresh clone", () => {
  it('`npm install && npm start`, then the banner’s key command, in the default data folder', async () => {
    const [first, second] = quickstartBlocks();
    expect(first).toBe('npm install && npm start');
    const port = await freePort();
    const server = start(first!, { SEQUEL_PORT: String(port) });
    try {
      await waitFor(server, 'MCP endpoint', 600_000);
      const banner = server.stdout();
      expect(banner).toContain(`http://127.0.0.1:${port}/mcp`);
      expect(banner).toContain('demo');
      const command = keyCommand(banner);
      // The README's second block starts with the same command the banner prints.
      expect(second!.split('\n')[0]).toBe(command);
      const created = run(command);
      expect(created.status, created.stderr).toBe(0);
      const key = created.stdout.split('\n')[0]!;
      expect(key).toMatch(/^sql_[0-9A-Za-z]{43}$/);
      await keyWorks(`http://127.0.0.1:${port}/mcp`, key);
    } finally {
      await stop(server);
    }
  }, 900_000);

  it('with a custom SEQUEL_DATA_DIR: no rebuild, and the banner’s command carries the folder', async () => {
    const dataDir = path.join(tmp, 'custom data');
    const port = await freePort();
    const server = start('npm start', { SEQUEL_PORT: String(port), SEQUEL_DATA_DIR: dataDir });
    try {
      await waitFor(server, 'MCP endpoint', 300_000);
      // Built by `npm install` in the first test and unchanged since: start does not compile again.
      expect(server.stderr()).not.toContain('building');
      const command = keyCommand(server.stdout());
      expect(command).toBe(`SEQUEL_DATA_DIR='${dataDir}' npx sequel keys create --org default --name my-laptop`);
      const created = run(command);
      expect(created.status, created.stderr).toBe(0);
      const key = created.stdout.split('\n')[0]!;
      await keyWorks(`http://127.0.0.1:${port}/mcp`, key);
      expect(fs.existsSync(path.join(dataDir, 'sequel.db'))).toBe(true);
    } finally {
      await stop(server);
    }
    // A second server on a port that is taken says which port and what to do.
    const blocker = start('npm start', { SEQUEL_PORT: String(port), SEQUEL_DATA_DIR: dataDir });
    try {
      await waitFor(blocker, 'MCP endpoint', 300_000);
      const again = run('npm start', { SEQUEL_PORT: String(port), SEQUEL_DATA_DIR: dataDir });
      expect(again.status).not.toBe(0);
      expect(again.stderr).toContain(`port ${port} is already in use`);
      expect(again.stderr).toContain(`--port ${port + 1}`);
      expect(again.stderr).not.toContain('unexpected error');
    } finally {
      await stop(blocker);
    }
  }, 900_000);
});
