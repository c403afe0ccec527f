/**
 * The official @modelcontextprotocol/conformance server scenarios that apply to any server, run with the
 * suite's own CLI (under Node 22, which it needs) against a real Sequel. The suite sends no credentials,
 * so it talks to a header-injecting proxy that is also Sequel's public URL (as a reverse proxy would be).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuthProxy, type AuthProxy } from '../helpers/authProxy.js';
import { node22, toolBin } from '../helpers/node22.js';
import { freePort, startTestServer, type TestServer } from '../helpers/server.js';

const run = promisify(execFile);
// Installed on first use into node_modules/.cache (test/helpers/node22.ts), not as a devDependency: the
// suite's dependencies require Node 22 and made `npm install` warn EBADENGINE on Node 20.
let CLI: string;

let ts: TestServer;
let proxy: AuthProxy;
let node: string;

beforeAll(async () => {
  node = node22();
  CLI = toolBin('@modelcontextprotocol/conformance', '0.1.16', 'conformance');
  const proxyPort = await freePort();
  ts = await startTestServer({ demo: false, env: { SEQUEL_PUBLIC_URL: `http://127.0.0.1:${proxyPort}` } });
  const { key } = await ts.key('conformance');
  proxy = await startAuthProxy(ts.url, key, { port: proxyPort });
}, 300_000);

afterAll(async () => {
  await proxy?.close();
  await ts?.close();
});

interface Check {
  id: string;
  status: string;
  errorMessage?: string;
}

async function scenario(name: string): Promise<Check[]> {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'sequel-conformance-'));
  try {
    await run(node, [CLI, 'server', '--url', `${proxy.url}/mcp`, '--scenario', name, '-o', out], { timeout: 120_000 }).catch((err: { stdout?: string; stderr?: string }) => {
      // A failing scenario exits non-zero; its checks file says which check failed.
      if (!findChecks(out)) throw new Error(`conformance ${name} did not run: ${err.stderr ?? err.stdout ?? String(err)}`);
    });
    const file = findChecks(out);
    if (!file) throw new Error(`conformance ${name} wrote no checks.json`);
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Check[];
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

function findChecks(dir: string): string | undefined {
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && entry.name === 'checks.json') return path.join(entry.parentPath, entry.name);
  }
  return undefined;
}

describe('MCP conformance suite (server scenarios that apply to any server)', () => {
  for (const name of ['server-initialize', 'ping', 'tools-list', 'dns-rebinding-protection']) {
    it(name, async () => {
      const checks = await scenario(name);
      expect(checks.length).toBeGreaterThan(0);
      const failed = checks.filter((c) => c.status !== 'SUCCESS' && c.status !== 'INFO' && c.status !== 'SKIPPED');
      expect(failed, JSON.stringify(failed, null, 2)).toEqual([]);
    }, 180_000);
  }
});
