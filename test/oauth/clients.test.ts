/**
 * Clients nobody here wrote, run as their users run them:
 *
 * - `mcp-remote-client` (from mcp-remote, the bridge Claude Desktop users put in front of remote
 *   servers): discovery, dynamic registration, PKCE + resource, its own loopback callback listener,
 *   then tools/list and resources/list over the OAuth token;
 * - the official conformance suite's authorization-server scenarios
 *   (`@modelcontextprotocol/conformance authorization`, 0.2.0-alpha.12 — 0.1.16 has no server-side
 *   authorization scenarios): RFC 8414 metadata, and the authorization-code grant driven through its
 *   own callback listener.
 *
 * The user's part (sign-in, consent) is played over HTTP by the test, as a browser would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuthProxy } from '../helpers/authProxy.js';
import { node22, toolBin } from '../helpers/node22.js';
import { freePort, startTestServer, type TestServer } from '../helpers/server.js';
import { authorizeInBrowser, createUser, registerClient, tokensFor } from './helpers.js';

let ts: TestServer;
let alphaId: string;
const tmp: string[] = [];

beforeAll(async () => {
  ts = await startTestServer({ demo: false });
  await createUser(ts, 'ada@example.com', [['alpha', 'member']]);
  alphaId = (await ts.org('alpha')).id;
}, 180_000);
afterAll(async () => {
  await ts?.close();
  for (const d of tmp) fs.rmSync(d, { recursive: true, force: true });
});

interface Run {
  child: ChildProcess;
  output(): string;
  /** Resolves when `re` matches the combined output. */
  waitFor(re: RegExp, ms?: number): Promise<RegExpExecArray>;
  exited: Promise<number | null>;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Run {
  // stdin stays open: mcp-remote treats its end as a request to shut down.
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    output: () => out,
    exited,
    waitFor(re, ms = 60_000) {
      return new Promise((resolve, reject) => {
        const started = Date.now();
        const t = setInterval(() => {
          const m = re.exec(out);
          if (m) {
            clearInterval(t);
            resolve(m);
          } else if (child.exitCode !== null || Date.now() - started > ms) {
            clearInterval(t);
            reject(new Error(`no ${re} in output:\n${out}`));
          }
        }, 50);
      });
    },
  };
}

describe('mcp-remote', () => {
  it('completes discovery, registration, sign-in, consent and token exchange, then lists tools', async () => {
    const bin = toolBin('mcp-remote', '0.15.1', 'mcp-remote-client');
    const configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sequel-mcp-remote-'));
    tmp.push(configDir);
    const callbackPort = await freePort();
    // BROWSER=none: there is no browser here; mcp-remote prints the URL and the test plays the user.
    const p = run(process.execPath, [bin, ts.mcpUrl, String(callbackPort), '--host', '127.0.0.1'], { MCP_REMOTE_CONFIG_DIR: configDir, BROWSER: 'none' });
    try {
      const [, url] = await p.waitFor(/Please authorize this client by visiting:\s*(\S+)/);
      const authUrl = new URL(url!);
      expect(authUrl.searchParams.get('resource')).toBe(ts.mcpUrl);
      expect(authUrl.searchParams.get('code_challenge_method')).toBe('S256');
      const back = await authorizeInBrowser(ts.url, authUrl.href, { email: 'ada@example.com', orgId: alphaId });
      expect(back.host).toBe(`127.0.0.1:${callbackPort}`);
      expect(back.searchParams.get('iss')).toBe(ts.url);
      // The browser lands on mcp-remote's own callback listener once it is up.
      await p.waitFor(/Waiting for authorization/);
      expect((await fetch(back)).status).toBe(200);
      expect(await p.exited).toBe(0);
      const out = p.output();
      expect(out).toContain('Connected successfully!');
      expect(out).toMatch(/"name": "run_query"/);
      expect(out).not.toContain('Error requesting tools list');
      const listed = await ts.rt.store.oauth.listAuthorizations(alphaId);
      expect(listed.map((a) => a.client_name)).toContain('MCP CLI Client');
    } finally {
      p.child.kill();
    }
  }, 120_000);
});

interface Check {
  id: string;
  status: string;
  errorMessage?: string;
}

function findChecks(dir: string): Check[] {
  const out: Check[] = [];
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && entry.name === 'checks.json') out.push(...(JSON.parse(fs.readFileSync(path.join(entry.parentPath, entry.name), 'utf8')) as Check[]));
  }
  return out;
}

describe('@modelcontextprotocol/conformance authorization', () => {
  const VERSION = '0.2.0-alpha.12';

  // The grant scenario reads the metadata scenario's result, so both run together (the whole command).
  it('authorization-server-metadata-endpoint and authorization-code-grant (no scope sent: the default applies)', async () => {
    const bin = toolBin('@modelcontextprotocol/conformance', VERSION, 'conformance');
    const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sequel-conf-auth-'));
    tmp.push(outDir);
    const port = await freePort();
    const reg = await registerClient(ts.url, { client_name: 'MCP conformance', redirect_uris: [`http://127.0.0.1:${port}/callback`] });
    expect(reg.status).toBe(201);
    const p = run(node22(), [
      bin, 'authorization', '--url', ts.url,
      '--client-id', String(reg.json.client_id), '--resource', ts.mcpUrl, '--port', String(port), '-o', outDir,
    ]);
    try {
      const [, url] = await p.waitFor(/complete the authentication process\.\s*\n(\S+)/, 120_000);
      await p.waitFor(/Waiting up to/);
      const back = await authorizeInBrowser(ts.url, url!, { email: 'ada@example.com', orgId: alphaId });
      expect((await fetch(back)).status).toBe(200);
      await p.exited;
      const checks = findChecks(outDir);
      expect(checks.map((c) => c.id).sort(), p.output()).toEqual(['authorization-code-grant', 'authorization-server-metadata', 'authorization-server-metadata-cimd']);
      expect(checks.filter((c) => c.status !== 'SUCCESS'), JSON.stringify(checks, null, 2)).toEqual([]);
    } finally {
      p.child.kill();
    }
  }, 180_000);
});

describe('@modelcontextprotocol/conformance server scenarios with an OAuth access token', () => {
  it('server-initialize and tools-list pass when the credential is an OAuth token', async () => {
    // The suite sends no credentials: a header-injecting proxy in front of Sequel adds the OAuth access
    // token, and is Sequel's public URL (the token's audience), as a reverse proxy would be.
    const proxyPort = await freePort();
    const server = await startTestServer({ demo: false, env: { SEQUEL_PUBLIC_URL: `http://127.0.0.1:${proxyPort}` } });
    let token: string | undefined;
    const proxy = await startAuthProxy(server.url, () => token, { port: proxyPort, pathPrefix: '/mcp' });
    try {
      await createUser(server, 'ada@example.com', [['alpha', 'member']]);
      // The OAuth flow itself goes through the public URL (the proxy), as a browser's would.
      const t = await tokensFor(proxy.url, { email: 'ada@example.com' });
      token = t.access_token;
      {
        const cli = toolBin('@modelcontextprotocol/conformance', '0.1.16', 'conformance');
        for (const scenario of ['server-initialize', 'tools-list']) {
          const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sequel-conf-srv-'));
          tmp.push(outDir);
          const p = run(node22(), [cli, 'server', '--url', `${proxy.url}/mcp`, '--scenario', scenario, '-o', outDir]);
          await p.exited;
          const checks = findChecks(outDir);
          expect(checks.length, p.output()).toBeGreaterThan(0);
          expect(checks.filter((c) => !['SUCCESS', 'INFO', 'SKIPPED'].includes(c.status)), JSON.stringify(checks, null, 2)).toEqual([]);
        }
      }
    } finally {
      await proxy.close();
      await server.close();
    }
  }, 180_000);
});
