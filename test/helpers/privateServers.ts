/**
 * Private database servers for tests that need server-level settings the shared servers must not get
 * (TLS on, certificates of the test's own CA): a PostgreSQL cluster made with `initdb` and a MariaDB made
 * with `mariadb-install-db`, each in a temporary directory on a free port, stopped and removed by `stop()`.
 * Certificates come from `openssl`, generated per run.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { freePort } from './server.js';

export interface TestPki {
  dir: string;
  /** PEM of the CA that signed the server certificate. */
  ca: string;
  /** PEM of an unrelated CA: a client trusting only it must refuse the server. */
  otherCa: string;
  certFile: string;
  keyFile: string;
  caFile: string;
}

/**
 * A CA and a server certificate for `localhost` only (no IP address in its names), so connecting to
 * 127.0.0.1 with host-name verification must fail while `localhost` passes.
 */
export function makePki(): TestPki {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sequel-pki-'));
  fs.chmodSync(dir, 0o755);
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  for (const name of ['ca', 'other-ca']) {
    run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=Sequel test ${name}`,
      '-keyout', `${name}.key`, '-out', `${name}.crt`);
  }
  run('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', 'server.key', '-out', 'server.csr');
  fs.writeFileSync(path.join(dir, 'san.ext'), 'subjectAltName=DNS:localhost\n');
  run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2',
    '-extfile', 'san.ext', '-out', 'server.crt');
  for (const f of fs.readdirSync(dir)) fs.chmodSync(path.join(dir, f), 0o644);
  fs.chmodSync(path.join(dir, 'server.key'), 0o600);
  return {
    dir,
    ca: fs.readFileSync(path.join(dir, 'ca.crt'), 'utf8'),
    otherCa: fs.readFileSync(path.join(dir, 'other-ca.crt'), 'utf8'),
    certFile: path.join(dir, 'server.crt'),
    keyFile: path.join(dir, 'server.key'),
    caFile: path.join(dir, 'ca.crt'),
  };
}

export interface PrivateServer {
  port: number;
  /** A privileged URL without TLS settings, host `localhost`. */
  url: string;
  stop(): Promise<void>;
}

function pgBinDir(): string {
  const versions = fs.readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
  if (!versions[0]) throw new Error('no PostgreSQL server binaries under /usr/lib/postgresql');
  return `/usr/lib/postgresql/${versions[0]}/bin`;
}

/** Runs a command as the `postgres` OS user when we are root (initdb and postgres refuse to run as root). */
function asPostgres(cmd: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
}

/** Asks the server to stop (fast shutdown), and kills it if it has not after 15 s. */
async function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

async function waitFor(what: string, check: () => Promise<unknown>, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}:\n${output()}`);
    try {
      await check();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`${what} did not come up: ${(err as Error).message}\n${output()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** A PostgreSQL cluster with `ssl = on` using the PKI's server certificate; trust auth for the test. */
export async function startTlsPostgres(pki: TestPki): Promise<PrivateServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sequel-pg-'));
  fs.chmodSync(dir, 0o777);
  const data = path.join(dir, 'data');
  const bin = pgBinDir();
  // The server reads its key as the postgres user and wants it private to that user.
  const keyFile = path.join(dir, 'server.key');
  fs.copyFileSync(pki.keyFile, keyFile);
  fs.chmodSync(keyFile, 0o600);
  if (process.getuid?.() === 0) execFileSync('chown', ['postgres', keyFile]);
  const [initCmd, initArgs] = asPostgres(`${bin}/initdb`, ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  execFileSync(initCmd, initArgs, { stdio: 'pipe' });
  const port = await freePort();
  const [cmd, args] = asPostgres(`${bin}/postgres`, [
    '-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1',
    '-c', 'ssl=on', '-c', `ssl_cert_file=${pki.certFile}`, '-c', `ssl_key_file=${keyFile}`, '-c', 'fsync=off',
  ]);
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (out += d));
  const url = `postgres://postgres@localhost:${port}/postgres`;
  await waitFor('private PostgreSQL', async () => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.end();
  }, child, () => out);
  return {
    port,
    url,
    async stop() {
      await stopChild(child, 'SIGINT');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A MariaDB with TLS from the PKI. The test account `sequel_tls` (password `tls-pass`) connects over TCP
 * from any host.
 */
export async function startTlsMariadb(pki: TestPki): Promise<PrivateServer & { user: string; password: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sequel-maria-'));
  const data = path.join(dir, 'data');
  const socket = path.join(dir, 'mysqld.sock');
  execFileSync('mariadb-install-db', ['--no-defaults', `--datadir=${data}`, '--user=root', '--auth-root-authentication-method=normal', '--skip-test-db'], {
    stdio: 'pipe',
  });
  const port = await freePort();
  const child = spawn('mariadbd', [
    '--no-defaults', `--datadir=${data}`, '--user=root', `--port=${port}`, '--bind-address=127.0.0.1', `--socket=${socket}`,
    `--pid-file=${path.join(dir, 'mysqld.pid')}`, '--skip-log-bin', '--innodb-buffer-pool-size=16M',
    `--ssl-cert=${pki.certFile}`, `--ssl-key=${pki.keyFile}`, `--ssl-ca=${pki.caFile}`,
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (out += d));
  await waitFor('private MariaDB', async () => {
    const c = await mysql.createConnection({ socketPath: socket, user: 'root' });
    try {
      await c.query("create user if not exists 'sequel_tls'@'%' identified by 'tls-pass'");
      await c.query('create database if not exists app');
      await c.query("grant select on app.* to 'sequel_tls'@'%'");
    } finally {
      await c.end();
    }
  }, child, () => out);
  return {
    port,
    url: `mysql://sequel_tls:tls-pass@localhost:${port}/app`,
    user: 'sequel_tls',
    password: 'tls-pass',
    async stop() {
      await stopChild(child, 'SIGTERM');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
