/**
 * TLS to databases, for real: a private PostgreSQL cluster with `ssl = on` and a private MariaDB with TLS,
 * both serving a certificate for `localhost` signed by a CA this test generates. Sources connect with
 * `require` (encrypted, not verified) and `verify-full` (chain and host name checked): the right CA and
 * host work; a wrong CA or a host name the certificate does not name is a clear refusal, never a silent
 * plain-text or unverified connection.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConnector } from '../../src/connectors/index.js';
import { DEFAULT_CONNECTION, type Connector, type Engine, type TlsMode } from '../../src/connectors/types.js';
import { ToolError } from '../../src/errors.js';
import { makePki, startTlsMariadb, startTlsPostgres, type PrivateServer, type TestPki } from '../helpers/privateServers.js';
import { isCI } from '../helpers/services.js';

let pki: TestPki;
const servers: PrivateServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.stop().catch(() => {});
}, 120_000);

async function tryConnect(engine: Engine, url: string, mode: TlsMode, ca?: string): Promise<{ ok: true; version: string; tls: string } | { ok: false; error: string }> {
  let c: Connector | undefined;
  try {
    c = await createConnector(engine, { ...DEFAULT_CONNECTION, connectTimeoutMs: 20_000, url, tls: { mode, ...(ca ? { ca } : {}) } });
    const { version } = await c.ping();
    // What the server says about this very session's encryption.
    const sql =
      engine === 'postgres'
        ? 'select coalesce((select ssl::text from pg_stat_ssl where pid = pg_backend_pid()), $1) as tls'
        : "select coalesce((select variable_value from information_schema.session_status where variable_name = 'Ssl_version'), ?) as tls";
    const r = await c.query(sql, ['none'], { maxRows: 1, maxBytes: 10_000, timeoutMs: 20_000 });
    return { ok: true, version, tls: String(r.rows[0]?.[0]) };
  } catch (err) {
    return { ok: false, error: err instanceof ToolError ? `${err.code}: ${err.message}` : String(err) };
  } finally {
    await c?.close();
  }
}

const withHost = (url: string, host: string) => {
  const u = new URL(url);
  u.hostname = host;
  return u.toString();
};

const canRun = process.getuid?.() === 0 || isCI;

describe.skipIf(!canRun)('TLS to PostgreSQL (private cluster, ssl = on)', () => {
  let server: PrivateServer;
  beforeAll(async () => {
    pki ??= makePki();
    server = await startTlsPostgres(pki);
    servers.push(server);
  }, 180_000);

  it('require: encrypted without checking the certificate', async () => {
    const r = await tryConnect('postgres', server.url, 'require');
    expect(r).toMatchObject({ ok: true, tls: 'true' });
  }, 60_000);

  it('verify-full with the right CA and host name: encrypted and verified', async () => {
    const r = await tryConnect('postgres', server.url, 'verify-full', pki.ca);
    expect(r).toMatchObject({ ok: true, tls: 'true' });
  }, 60_000);

  it('verify-full with the wrong CA: refused, saying why', async () => {
    const r = await tryConnect('postgres', server.url, 'verify-full', pki.otherCa);
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.error).toMatch(/SOURCE_UNAVAILABLE.*certificate/i);
  }, 60_000);

  it('verify-full to a host name the certificate does not name: refused, saying why', async () => {
    const r = await tryConnect('postgres', withHost(server.url, '127.0.0.1'), 'verify-full', pki.ca);
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.error).toMatch(/SOURCE_UNAVAILABLE.*(host|altnames|name)/i);
  }, 60_000);

  it('disable against a server that offers TLS stays plain text (the choice is the source owner’s)', async () => {
    const r = await tryConnect('postgres', server.url, 'disable');
    expect(r).toMatchObject({ ok: true, tls: 'false' });
  }, 60_000);
});

describe.skipIf(!canRun)('TLS to MariaDB (private server with a certificate)', () => {
  let server: PrivateServer;
  beforeAll(async () => {
    pki ??= makePki();
    server = await startTlsMariadb(pki);
    servers.push(server);
  }, 180_000);

  it('require: encrypted without checking the certificate', async () => {
    const r = await tryConnect('mysql', server.url, 'require');
    expect(r).toMatchObject({ ok: true });
    expect(r.ok && r.tls).toMatch(/^TLS/);
  }, 60_000);

  it('verify-full with the right CA and host name: encrypted and verified', async () => {
    const r = await tryConnect('mysql', server.url, 'verify-full', pki.ca);
    expect(r).toMatchObject({ ok: true });
    expect(r.ok && r.tls).toMatch(/^TLS/);
  }, 60_000);

  it('verify-full with the wrong CA: refused, saying why', async () => {
    const r = await tryConnect('mysql', server.url, 'verify-full', pki.otherCa);
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.error).toMatch(/SOURCE_UNAVAILABLE.*certificate/i);
  }, 60_000);

  it('verify-full to a host name the certificate does not name: refused, saying why', async () => {
    const r = await tryConnect('mysql', withHost(server.url, '127.0.0.1'), 'verify-full', pki.ca);
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.error).toMatch(/SOURCE_UNAVAILABLE.*(host|altnames|name)/i);
  }, 60_000);
});
