/**
 * Debian's nginx in front of test replicas, configured with the nginx block of docs/deploy.md (only the
 * upstream addresses, the listening port and the certificate paths substituted), its access log naming
 * which upstream served each request.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestPki } from './privateServers.js';
import { freePort } from './server.js';
import { isCI } from './services.js';

function nginxPath(): string {
  const found = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => fs.existsSync(p));
  if (!found) throw new Error('nginx is not installed');
  return found;
}

/** Whether nginx is there; under CI its absence is a failure, elsewhere a loud skip. */
export function requireNginx(what: string): boolean {
  const found = ['/usr/sbin/nginx', '/usr/bin/nginx'].some((p) => fs.existsSync(p));
  if (found) return true;
  if (isCI) throw new Error(`CI=true and nginx is not installed (apt-get install -y nginx-light); ${what} cannot be skipped under CI.`);
  console.warn(`\n*** SKIPPED ${what}: nginx is not installed (apt-get install -y nginx-light)\n`);
  return false;
}

/** The nginx block of docs/deploy.md, as written there. */
export function deployNginxBlock(): string {
  const doc = fs.readFileSync(path.resolve(import.meta.dirname, '../../docs/deploy.md'), 'utf8');
  const block = /```nginx\n([\s\S]*?)```/.exec(doc)?.[1];
  if (!block) throw new Error('docs/deploy.md has no nginx block');
  return block;
}

export interface Nginx {
  url: string;
  /** `upstream request` lines nginx logged, oldest first. */
  accessLog(): Array<{ upstream: string; request: string; status: number }>;
  stop(): Promise<void>;
}

/** Starts nginx with the deployment guide's block, pointed at `upstreams`, serving https on a free port. */
export async function startNginx(pki: TestPki, upstreams: string[], port?: number): Promise<Nginx> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sequel-nginx-'));
  port ??= await freePort();
  let block = deployNginxBlock();
  const servers = [...block.matchAll(/^\s*server 10\.0\.0\.\d+:7070([^;]*);$/gm)];
  if (servers.length !== 2) throw new Error('expected two upstream servers in the guide');
  block = block.replace(/^(\s*)server 10\.0\.0\.11:7070([^;]*);\n\s*server 10\.0\.0\.12:7070([^;]*);$/m, (_m, indent: string, a: string) =>
    upstreams.map((u) => `${indent}server ${u}${a};`).join('\n'),
  );
  block = block
    .replace('listen 443 ssl', `listen 127.0.0.1:${port} ssl`)
    .replace('server_name sequel.example.com;', 'server_name localhost;')
    .replace('/etc/ssl/sequel/fullchain.pem', pki.certFile)
    .replace('/etc/ssl/sequel/privkey.pem', pki.keyFile);
  const conf = `
daemon off;
master_process on;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log ${dir}/access.log upstreamlog;
  log_format upstreamlog '$upstream_addr "$request" $status';
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
${block}
}`;
  // log_format must precede its use.
  const fixed = conf.replace(/(\s*access_log .*\n)(\s*log_format .*\n)/, '$2$1');
  fs.writeFileSync(path.join(dir, 'nginx.conf'), fixed);
  execFileSync(nginxPath(), ['-t', '-q', '-p', dir, '-c', path.join(dir, 'nginx.conf')], { stdio: 'pipe' });
  const child: ChildProcess = spawn(nginxPath(), ['-p', dir, '-c', path.join(dir, 'nginx.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stderr?.on('data', (d) => (out += d));
  const url = `https://localhost:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`nginx exited: ${out}`);
    try {
      await fetch(`${url}/healthz`);
      break;
    } catch (err) {
      if (i > 300) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url,
    accessLog() {
      const file = path.join(dir, 'access.log');
      if (!fs.existsSync(file)) return [];
      return fs
        .readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          const m = /^(\S+(?:, \S+)*) "([^"]*)" (\d+)$/.exec(line);
          return { upstream: m?.[1] ?? '', request: m?.[2] ?? line, status: Number(m?.[3] ?? 0) };
        });
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGQUIT');
        await exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

