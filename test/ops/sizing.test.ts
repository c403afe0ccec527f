/**
 * The sizing check (docs/deploy.md, "Sizing"): adding, editing or testing a PostgreSQL or MySQL source
 * reads the database's connection limit for the source's account and warns, with the numbers, when
 * pool size × SEQUEL_WORKERS × SEQUEL_REPLICAS would not fit under it (or would take most of it) — in
 * the operation both the CLI and the dashboard call, so both show it. Against the real PostgreSQL (a
 * role with a small CONNECTION LIMIT) and MariaDB (an account with MAX_USER_CONNECTIONS).
 */
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sizingWarnings } from '../../src/connectors/limits.js';
import { resumeSession, startSession } from '../../src/ops/account.js';
import type { OpsActor } from '../../src/ops/access.js';
import { createMember } from '../../src/ops/members.js';
import { checkSource, createSource, getSource, testSource } from '../../src/ops/sources.js';
import { csrfFor } from '../../src/web/session.js';
import { SEQUEL_BIN, startTestServer, type TestServer } from '../helpers/server.js';
import { createTempMysqlDatabase, createTempPgDatabase, MYSQL_URL, PG_URL, requireService, type TempDatabase } from '../helpers/services.js';

const pgUp = await requireService('postgres', 'the sizing check on PostgreSQL');
const myUp = await requireService('mysql', 'the sizing check on MariaDB');

const suffix = randomBytes(4).toString('hex');
const cleanup: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn().catch(() => {});
});

describe('sizingWarnings', () => {
  it.each([
    // poolMax, workers, replicas, limit → warning kind
    [5, 1, 1, 97, null],
    [4, 1, 5, 25, null], // exactly 80 %: still fine
    [5, 2, 2, 24, 'most'],
    [5, 2, 8, 20, 'more'],
  ] as const)('pool %i × %i workers × %i replicas against %i', (poolMax, workers, replicas, limit, kind) => {
    const w = sizingWarnings({ poolMax, workers, replicas, limit, basis: 'max_connections X' });
    if (kind === null) return expect(w).toEqual([]);
    expect(w).toHaveLength(1);
    expect(w[0]).toContain(kind === 'more' ? 'more connections to this database than it accepts' : 'most of the connections');
    expect(w[0]).toContain(`pool size ${poolMax} × ${workers} worker`);
    expect(w[0]).toContain(`= ${poolMax * workers * replicas}`);
    expect(w[0]).toContain(`${limit} (max_connections X)`);
    expect(w[0]).toContain('--pool-max');
  });
});

/** A server whose sizing settings are these; the operator acts in org `acme`. */
async function server(env: Record<string, string>): Promise<{ ts: TestServer; actor: OpsActor }> {
  const ts = await startTestServer({ demo: false, env });
  cleanup.push(() => ts.close());
  const org = await ts.org('acme');
  return { ts, actor: { kind: 'operator', orgId: org.id } };
}

describe.skipIf(!pgUp)('PostgreSQL', () => {
  let db: TempDatabase;
  let maxConnections: number;
  let reserved: number;
  const role = `sequel_sizing_${suffix}`;
  const roleUrl = () => {
    const u = new URL(db.url);
    u.username = role;
    u.password = '';
    return u.toString();
  };

  beforeAll(async () => {
    db = await createTempPgDatabase('sequel_sizing');
    cleanup.push(() => db.drop());
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    try {
      await c.query(`create role ${role} login connection limit 3`);
      cleanup.push(async () => {
        const d = new pg.Client({ connectionString: PG_URL });
        await d.connect();
        await d.query(`drop role if exists ${role}`).finally(() => d.end());
      });
      await c.query(`grant connect on database ${db.name} to ${role}`);
      maxConnections = Number((await c.query('show max_connections')).rows[0].max_connections);
      reserved = Number((await c.query('show superuser_reserved_connections')).rows[0].superuser_reserved_connections);
    } finally {
      await c.end();
    }
  });

  it("warns at add, test and check when the pools exceed the role's CONNECTION LIMIT, naming the numbers; stored with the check", async () => {
    const { ts, actor } = await server({ SEQUEL_WORKERS: '2', SEQUEL_REPLICAS: '3' });
    const form = { name: 'limited', engine: 'postgres', url: roleUrl(), poolMax: 2 };
    const r = await createSource(ts.rt, actor, form);
    expect(r.saved).toBe(true);
    expect(r.test.sizing).toMatchObject({ checked: true, poolMax: 2, workers: 2, replicas: 3, needed: 12, limit: 3 });
    const [warning] = r.test.sizing!.warnings;
    expect(warning).toContain('pool size 2 × 2 workers (SEQUEL_WORKERS) × 3 replicas (SEQUEL_REPLICAS) = 12, but the limit is 3');
    expect(warning).toContain(`role ${role}'s CONNECTION LIMIT 3; max_connections ${maxConnections} − superuser_reserved_connections ${reserved}`);
    // Stored with the check, for the dashboard's source page and settings.
    expect((await getSource(ts.rt, actor, r.source!.id)).status.sizingWarnings).toEqual([warning]);
    // `sources test` and Test connection say the same.
    expect((await checkSource(ts.rt, actor, r.source!.id)).sizing?.warnings).toEqual([warning]);
    expect((await testSource(ts.rt, actor, { ...form, name: 'limited2' })).sizing?.warnings).toEqual([warning]);
  });

  it('no warning in the normal case: default pool, one replica, the server-wide limit', async () => {
    const { ts, actor } = await server({ SEQUEL_WORKERS: '2' });
    const t = await testSource(ts.rt, actor, { name: 'plain', engine: 'postgres', url: db.url });
    expect(t.ok).toBe(true);
    expect(t.sizing).toMatchObject({ checked: true, poolMax: 5, workers: 2, replicas: 1, needed: 10, limit: maxConnections, warnings: [] });
    expect(t.sizing!.basis).toContain('is a superuser');
  });

  it('a big SEQUEL_REPLICAS against max_connections: the CLI prints the warning on stderr', async () => {
    const { ts } = await server({});
    const replicas = Math.ceil(maxConnections / 5) + 1;
    const r = spawnSync(process.execPath, [SEQUEL_BIN, 'sources', 'add', '--org', 'acme', '--name', 'crowded', '--engine', 'postgres', '--url', db.url], {
      env: { ...process.env, SEQUEL_DATA_DIR: ts.dataDir, SEQUEL_WORKERS: '1', SEQUEL_REPLICAS: String(replicas), SEQUEL_LOG_LEVEL: 'warn' },
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('added crowded');
    expect(r.stderr).toContain('warning: the connection pools of "crowded" may not fit:');
    expect(r.stderr).toContain(`pool size 5 × 1 worker (SEQUEL_WORKERS) × ${replicas} replicas (SEQUEL_REPLICAS) = ${5 * replicas}, but the limit is ${maxConnections}`);
  });

  it('the dashboard shows it on Test connection and after adding', async () => {
    const { ts, actor } = await server({ SEQUEL_WORKERS: '2', SEQUEL_REPLICAS: '3' });
    const u = await createMember(ts.rt, actor as Extract<OpsActor, { kind: 'operator' }>, { email: `owner-${suffix}@example.com`, password: 'long enough passphrase', role: 'owner' });
    const token = await startSession(ts.rt, u.id, 'test');
    const csrf = csrfFor(ts.rt, (await resumeSession(ts.rt, token))!);
    const post = (form: Record<string, string>) =>
      fetch(`${ts.url}/app/acme/sources/new`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie: `sequel_session=${token}`, origin: ts.url },
        body: new URLSearchParams({ ...form, _csrf: csrf }),
      });
    const form = { name: 'dash', engine: 'postgres', mode: 'url', url: roleUrl(), poolMax: '2' };
    const tested = await post({ ...form, do: 'test' });
    expect(tested.status).toBe(200);
    const html = await tested.text();
    expect(html).toContain('data-sizing');
    expect(html).toContain('= 12, but the limit is 3');
    const saved = await post({ ...form, do: 'save' });
    expect(saved.status).toBe(303);
    const page = await fetch(new URL(saved.headers.get('location')!, ts.url), { headers: { cookie: `sequel_session=${token}` } });
    const after = await page.text();
    expect(after).toContain('data-sizing');
    expect(after).toContain('= 12, but the limit is 3');
  });
});

describe.skipIf(!myUp)('MariaDB', () => {
  let db: TempDatabase;
  let maxConnections: number;
  const user = `sequel_sz_${suffix}`;

  beforeAll(async () => {
    db = await createTempMysqlDatabase('sequel_sizing');
    cleanup.push(() => db.drop());
    const c = await mysql.createConnection(MYSQL_URL);
    try {
      await c.query(`CREATE USER '${user}'@'%' WITH MAX_USER_CONNECTIONS 4`);
      cleanup.push(async () => {
        const d = await mysql.createConnection(MYSQL_URL);
        await d.query(`DROP USER IF EXISTS '${user}'@'%'`).finally(() => d.end());
      });
      await c.query(`GRANT SELECT ON \`${db.name}\`.* TO '${user}'@'%'`);
      const [rows] = (await c.query('SELECT @@max_connections AS m')) as unknown as [Array<{ m: number }>];
      maxConnections = Number(rows[0]!.m);
    } finally {
      await c.end();
    }
  });

  it("warns when the pools exceed the account's MAX_USER_CONNECTIONS", async () => {
    const { ts, actor } = await server({ SEQUEL_WORKERS: '2', SEQUEL_REPLICAS: '2' });
    const u = new URL(db.url);
    u.username = user;
    u.password = '';
    const t = await testSource(ts.rt, actor, { name: 'limited', engine: 'mysql', url: u.toString(), poolMax: 3 });
    expect(t.ok, JSON.stringify(t.error)).toBe(true);
    expect(t.sizing).toMatchObject({ checked: true, needed: 12, limit: 4 });
    expect(t.sizing!.warnings[0]).toContain('pool size 3 × 2 workers (SEQUEL_WORKERS) × 2 replicas (SEQUEL_REPLICAS) = 12, but the limit is 4');
    expect(t.sizing!.warnings[0]).toContain(`max_user_connections 4 for ${user}@%; max_connections ${maxConnections}`);
  });

  it('no warning in the normal case', async () => {
    const { ts, actor } = await server({ SEQUEL_WORKERS: '2' });
    const t = await testSource(ts.rt, actor, { name: 'plain', engine: 'mysql', url: db.url });
    expect(t.sizing).toMatchObject({ checked: true, needed: 10, limit: maxConnections, basis: `max_connections ${maxConnections}`, warnings: [] });
  });
});
