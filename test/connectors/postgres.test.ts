/**
 * The PostgreSQL connector: the shared conformance suite, then what is PostgreSQL's own — the statement
 * guard, value fidelity for every common type, DSNs and TLS modes, connection failures (refused, silent,
 * bad password, a source that goes down and comes back), the pool bound, cancellation, explain without
 * execution, and introspection (including 5,000 tables).
 *
 * Fake servers here are real sockets speaking just enough of the PostgreSQL protocol (or TLS) to observe
 * what the driver sends; the database itself is always the real server.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConnector } from '../../src/connectors/index.js';
import { describeTarget, parseDsn, redactSecrets, redactUrl } from '../../src/connectors/dsn.js';
import { PostgresConnector, pgSettings } from '../../src/connectors/postgres/index.js';
import type { ConnectionConfig, Connector, QueryOptions } from '../../src/connectors/types.js';
import { ValidationError, isToolError } from '../../src/errors.js';
import { DenyList } from '../../src/connectors/guard/deny.js';
import { checkPostgresStatement, loadPostgresGuard, POSTGRES_DENIED_FUNCTIONS } from '../../src/connectors/postgres/guard.js';
import { createTempPgDatabase, PG_URL, type TempDatabase } from '../helpers/services.js';
import { DEFAULT_CAPS, describeConnectorConformance, eventually, expectToolError } from './conformance.js';
import { pgConfig, postgresFixture } from './fixtures/postgres.js';
import { CACHED_STATEMENT_NAMES as CACHED_NAMES } from '../../src/connectors/postgres/statement.js';

describeConnectorConformance(postgresFixture);

const pgUp = await postgresFixture.available();
const CAPS: QueryOptions = DEFAULT_CAPS;

async function admin<T = Record<string, unknown>>(url: string, sql: string, values: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql, values)).rows as T[];
  } finally {
    await c.end();
  }
}

// ─── Small socket servers ────────────────────────────────────────────────────────────────────────────

interface Listening {
  port: number;
  close(): Promise<void>;
}

function listen(server: net.Server, sockets: Set<net.Socket>, port = 0): Promise<Listening> {
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      resolve({
        port: (server.address() as net.AddressInfo).port,
        close: () =>
          new Promise<void>((r) => {
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      });
    });
  });
}

/** Accepts TCP connections and never says a word: a firewall that drops, or a hung server. */
function blackhole(): Promise<Listening> {
  return listen(net.createServer(), new Set());
}

/**
 * Speaks the start of the PostgreSQL protocol: answers an SSLRequest (with TLS when given a certificate),
 * reads the startup message, asks for a cleartext password, records it, and fails authentication (28P01).
 */
function fakeAuthServer(cert?: { key: string; cert: string }) {
  const seen = { startups: 0, passwords: [] as string[], tls: false };
  const handle = (socket: net.Socket | tls.TLSSocket, afterSsl: boolean) => {
    let buf = Buffer.alloc(0);
    let started = afterSsl;
    let upgraded = false;
    socket.on('data', (chunk: Buffer) => {
      if (upgraded) return;
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        if (!started) {
          if (buf.length < 8) return;
          const len = buf.readInt32BE(0);
          if (buf.length < len) return;
          const code = buf.readInt32BE(4);
          buf = buf.subarray(len);
          if (code === 80877103) {
            // SSLRequest
            if (cert) {
              socket.write('S');
              upgraded = true;
              socket.removeAllListeners('data');
              const secure = new tls.TLSSocket(socket as net.Socket, { isServer: true, key: cert.key, cert: cert.cert });
              secure.on('error', () => undefined);
              secure.on('secure', () => {
                seen.tls = true;
              });
              handle(secure, false);
              return;
            }
            socket.write('N');
            continue;
          }
          started = true;
          seen.startups++;
          // AuthenticationCleartextPassword
          const r = Buffer.alloc(9);
          r.write('R', 0);
          r.writeInt32BE(8, 1);
          r.writeInt32BE(3, 5);
          socket.write(r);
          continue;
        }
        if (buf.length < 5) return;
        const type = String.fromCharCode(buf[0]!);
        const len = buf.readInt32BE(1);
        if (buf.length < len + 1) return;
        const body = buf.subarray(5, len + 1);
        buf = buf.subarray(len + 1);
        if (type === 'p') {
          seen.passwords.push(body.subarray(0, body.length - 1).toString('utf8'));
          const fields = ['SFATAL', 'VFATAL', 'C28P01', 'Mpassword authentication failed for user "app"'];
          const payload = Buffer.concat([...fields.map((f) => Buffer.from(f + '\0')), Buffer.from('\0')]);
          const head = Buffer.alloc(5);
          head.write('E', 0);
          head.writeInt32BE(payload.length + 4, 1);
          socket.end(Buffer.concat([head, payload]));
          return;
        }
      }
    });
  };
  const server = net.createServer((s) => handle(s, false));
  return listen(server, new Set()).then((l) => ({ ...l, seen }));
}

/** A TCP proxy in front of the real server that can be stopped, restarted on the same port, or frozen. */
class TcpProxy {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  port = 0;
  frozen = false;

  constructor(private readonly target: { host: string; port: number }) {}

  async start(): Promise<void> {
    this.server = net.createServer((client) => {
      const upstream = net.connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.on('data', (d) => !this.frozen && upstream.write(d));
      upstream.on('data', (d) => !this.frozen && client.write(d));
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    this.server = undefined;
  }
}

function selfSignedCert(): { key: string; cert: string } | undefined {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sequel-pg-tls-'));
  try {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', '/CN=localhost',
        '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', path.join(dir, 'k.pem'), '-out', path.join(dir, 'c.pem')],
      { stdio: 'ignore' },
    );
    return { key: fs.readFileSync(path.join(dir, 'k.pem'), 'utf8'), cert: fs.readFileSync(path.join(dir, 'c.pem'), 'utf8') };
  } catch {
    console.warn('\n*** SKIPPED the TLS verification tests: openssl is not available to make a test certificate\n');
    return undefined;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ─── The guard (no database needed) ──────────────────────────────────────────────────────────────────

describe('postgres statement guard', () => {
  beforeAll(() => loadPostgresGuard());

  const refusal = async (sql: string) => {
    try {
      await checkPostgresStatement(sql);
    } catch (err) {
      if (isToolError(err)) return err;
      throw err;
    }
    throw new Error(`not refused: ${sql}`);
  };

  it('reports the relations a statement reads, without its CTE names', async () => {
    const r = await checkPostgresStatement('select * from a join s.b on true where exists (select 1 from c)');
    expect(r.relations).toEqual([
      { schema: null, name: 'a' },
      { schema: 's', name: 'b' },
      { schema: null, name: 'c' },
    ]);
    const cte = await checkPostgresStatement('with x as (select * from t) select * from x, public.x');
    expect(cte.relations).toEqual([
      { schema: null, name: 't' },
      { schema: 'public', name: 'x' },
    ]);
  });

  it('scopes CTE names as PostgreSQL does, so a real table cannot hide behind one', async () => {
    // A non-recursive WITH item cannot see a later one: `b` inside `a` is the table b.
    const forward = await checkPostgresStatement('with a as (select * from b), b as (select 1) select * from a, b');
    expect(forward.relations).toEqual([{ schema: null, name: 'b' }]);
    // WITH RECURSIVE items see each other.
    const rec = await checkPostgresStatement('with recursive a as (select * from b), b as (select * from a) select * from a');
    expect(rec.relations).toEqual([]);
    // A CTE inside a subquery does not cover the outer query's table of the same name.
    const sibling = await checkPostgresStatement('select * from (with s as (select 1) select * from s) q, s');
    expect(sibling.relations).toEqual([{ schema: null, name: 's' }]);
    // A CTE on one side of a UNION covers only that side.
    const union = await checkPostgresStatement('(with u as (select 1) select * from u) union all select * from u');
    expect(union.relations).toEqual([{ schema: null, name: 'u' }]);
  });

  it('classifies statements and counts placeholders', async () => {
    expect(await checkPostgresStatement('select $3, $1')).toMatchObject({ kind: 'select', paramCount: 3 });
    expect(await checkPostgresStatement('values (1)')).toMatchObject({ kind: 'select', paramCount: 0 });
    expect(await checkPostgresStatement('table customers')).toMatchObject({ kind: 'select', relations: [{ schema: null, name: 'customers' }] });
    expect(await checkPostgresStatement('show all')).toMatchObject({ kind: 'show', relations: [] });
    expect(await checkPostgresStatement('explain select * from t where id = $1')).toMatchObject({ kind: 'explain', paramCount: 1 });
  });

  it('names what it refuses, and why', async () => {
    expect((await refusal('select pg_read_file($1)')).message).toMatch(/pg_read_file\(\).*files/);
    expect((await refusal('select * from pg_sleep(1)')).message).toMatch(/pg_sleep\(\).*denial of service/);
    expect((await refusal("select query_to_xml('select 1', true, true, '')")).message).toMatch(/SQL given as text/);
    expect((await refusal('delete from t')).message).toMatch(/DELETE is not a read/);
    expect((await refusal('with x as (insert into t values (1) returning 1) select 1')).message).toMatch(/INSERT/);
    expect((await refusal('select 1; select 2')).message).toMatch(/2 statements/);
    expect((await refusal('select * from t for update')).message).toMatch(/FOR UPDATE/);
    expect((await refusal('select 1 into t2')).message).toMatch(/SELECT … INTO/);
    expect((await refusal('explain analyze select 1')).message).toMatch(/ANALYZE executes/);
    expect((await refusal('call p()')).code).toBe('NOT_READ_ONLY');
  });

  it('gives the parser message and position for syntax errors', async () => {
    const e = await refusal('select * fro customers');
    expect(e.code).toBe('SYNTAX_ERROR');
    expect(e.message).toMatch(/syntax error at or near "fro"/);
    expect(e.message).toMatch(/at character 10/);
    expect((await refusal('')).code).toBe('SYNTAX_ERROR');
    expect((await refusal('  -- only a comment\n')).code).toBe('SYNTAX_ERROR');
    expect((await refusal('select 1\u0000; drop table t')).code).toBe('SYNTAX_ERROR');
  });

  it('survives absurd nesting without overflowing', async () => {
    const deep = 'select ' + '(select '.repeat(3000) + '1' + ')'.repeat(3000);
    let outcome: string;
    try {
      await checkPostgresStatement(deep);
      outcome = 'allowed';
    } catch (err) {
      expect(isToolError(err), String(err)).toBe(true);
      outcome = 'refused';
    }
    expect(['allowed', 'refused']).toContain(outcome);
    const hidden = 'select ' + '(select '.repeat(300) + "pg_read_file('/etc/passwd')" + ')'.repeat(300);
    expect((await refusal(hidden)).code).toBe('NOT_READ_ONLY');
  });

  it('refuses the catalogs holding secrets, but not user tables of the same name elsewhere', async () => {
    expect((await refusal('select * from pg_authid')).code).toBe('PERMISSION_DENIED');
    expect((await refusal('select * from pg_catalog.pg_shadow')).code).toBe('PERMISSION_DENIED');
    await expect(checkPostgresStatement('select * from public.pg_authid')).resolves.toMatchObject({ kind: 'select' });
  });

  it('does not deny ordinary functions that merely look alike', async () => {
    for (const f of ['lower(name)', 'log(2, 8)', 'pg_size_pretty(1)', 'pg_get_viewdef(1)', 'txid_current_snapshot()', 'now()', 'pg_backend_pid()', 'current_setting(\'x\')', 'pg_total_relation_size(1)']) {
      await expect(checkPostgresStatement(`select ${f}`), f).resolves.toMatchObject({ kind: 'select' });
    }
    // Look-alikes that are not built-ins are not denied, but still refused: not on the read-only list.
    for (const f of ['lo(1)', 'dbl(1)']) expect((await refusal(`select ${f}`)).message, f).toMatch(/not a function Sequel knows to be read-only/);
    for (const f of ['lo_unlink', 'dblink_exec', 'pg_advisory_xact_lock_shared', 'pg_stat_reset_shared', 'pg_ls_waldir', 'schema_to_xmlschema', 'pg_wal_replay_pause', 'pg_logical_emit_message', 'pg_replication_slot_advance', 'binary_upgrade_set_next_pg_type_oid']) {
      expect(POSTGRES_DENIED_FUNCTIONS.match(f), f).toBeDefined();
      expect(POSTGRES_DENIED_FUNCTIONS.match(f.toUpperCase()), f).toBeDefined();
    }
    const list = new DenyList([{ reason: 'r', names: ['Exact'], prefixes: ['pre_'], patterns: [/^x\d$/] }]);
    expect(list.match('EXACT')).toEqual({ name: 'exact', reason: 'r' });
    expect(list.match('pre_thing')?.reason).toBe('r');
    expect(list.match('x1')?.reason).toBe('r');
    expect(list.match('exactly')).toBeUndefined();
  });
});

// ─── DSNs ────────────────────────────────────────────────────────────────────────────────────────────

describe('DSN parsing and redaction', () => {
  it('parses hosts, ports, users, databases, sockets and parameters', () => {
    expect(parseDsn('postgres://app:p%40ss@db.example.com:6543/sales?sslmode=require')).toEqual({
      scheme: 'postgres',
      host: 'db.example.com',
      port: 6543,
      user: 'app',
      password: 'p@ss',
      database: 'sales',
      params: { sslmode: 'require' },
    });
    expect(parseDsn('postgresql://u@[::1]/d')).toMatchObject({ host: '::1', port: undefined });
    expect(parseDsn('postgres://u@%2Fvar%2Frun%2Fpostgresql/d')).toMatchObject({ host: '/var/run/postgresql' });
    expect(parseDsn('postgres://u@localhost/d?host=/tmp&port=5433')).toMatchObject({ host: '/tmp', port: 5433 });
    expect(() => parseDsn('not a url with secret')).toThrow(ValidationError);
    expect(() => parseDsn('postgres://u:hunter22@h:99999/d')).toThrow(ValidationError);
    expect(() => parseDsn('postgres://u:hunter22@h/d?port=0')).toThrow(/invalid port/);
    try {
      parseDsn('postgres://u:hunter22@h:99999/d');
    } catch (err) {
      expect(String((err as Error).message)).not.toContain('hunter22');
    }
  });

  it('prints a DSN without its password, whatever its shape', () => {
    expect(redactUrl('postgres://app:s3cr%3At@h:5432/d')).toBe('postgres://app:***@h:5432/d');
    expect(redactUrl('mysql://root:pw@h/d?password=pw2&sslpassword=x')).not.toMatch(/pw2|:pw@|=x\b/);
    expect(redactUrl('postgres://app:pa ss@h/d')).not.toContain('pa ss');
    expect(redactUrl('postgres://app@h/d')).toBe('postgres://app@h/d');
    expect(describeTarget(parseDsn('postgres://u:p@db/x'), 5432)).toBe('db:5432/x');
    expect(redactSecrets('failed for hunter22 at hunter22', ['hunter22', undefined, 'ab'])).toBe('failed for *** at ***');
  });

  it('builds a session that a DSN cannot weaken, with the stored password first', () => {
    const s = pgSettings({
      url: 'postgres://app:frompdsn@db.example.com/d?options=-c%20default_transaction_read_only%3Doff&application_name=evil&sslmode=require',
      password: 'stored',
      connectTimeoutMs: 1_000,
      poolMax: 3,
      statementTimeoutMs: 7_000,
    });
    expect(s.pool.password).toBe('stored');
    expect(s.pool.application_name).toBe('sequel');
    expect(s.pool.options).toContain('-c default_transaction_read_only=on');
    expect(s.pool.options).toContain('-c statement_timeout=7000');
    expect(s.pool.options).not.toContain('off');
    expect(s.pool.max).toBe(3);
    expect(s.pool.ssl).toEqual({ rejectUnauthorized: false });
    // No password anywhere: an empty one, so that pg never falls back to PGPASSWORD or ~/.pgpass.
    expect(pgSettings({ url: 'postgres://app@h/d', connectTimeoutMs: 1, poolMax: 1, statementTimeoutMs: 1 }).pool.password).toBe('');
    expect(pgSettings({ url: 'postgres://app@h/d', tls: { mode: 'verify-full', ca: 'CA' }, connectTimeoutMs: 1, poolMax: 1, statementTimeoutMs: 1 }).pool.ssl).toMatchObject({
      rejectUnauthorized: true,
      ca: 'CA',
      servername: 'h',
    });
  });
});

// ─── Against the real server ─────────────────────────────────────────────────────────────────────────

describe.skipIf(!pgUp)('postgres connector against the server', () => {
  let db: TempDatabase;
  let connector: Connector;
  const cfg = (overrides: Partial<ConnectionConfig> = {}) => pgConfig(db.url, overrides);

  beforeAll(async () => {
    db = await createTempPgDatabase('sequel_pgconn');
    await admin(
      db.url,
      `
      create type mood as enum ('sad', 'ok', 'happy');
      create domain ubytes as bytea;
      create domain big_id as bigint check (value > 0);
      create type pair as (a int, b text);
      create table types (
        i2 smallint, i4 integer, i8 bigint, num numeric(20,4), numx numeric, f4 real, f8 double precision,
        b boolean, t text, vc varchar(10), ch char(3), d date, ts timestamp, ts3 timestamp(3), tstz timestamptz,
        tm time, tmtz timetz, iv interval, u uuid, ip inet, cidr_ cidr, mac macaddr, m money, by bytea, j json, jb jsonb,
        ai int[], at text[], an numeric[], atz timestamptz[], ab bytea[], ajb jsonb[], a2 int[][], bits bit(4),
        e mood, ae mood[], ub ubytes, bid big_id, p pair, r int4range, x xml, pt point);
      insert into types values (
        -32768, 2147483647, 9223372036854775807, 1234567890123456.7891, 'NaN', 3.25, 'Infinity',
        true, 'héllo "world"', 'abc', 'ab', '2024-02-29', '2024-03-01 12:34:56.789012', '2024-03-01 12:34:56.789',
        '2024-03-01 12:34:56.789012+00', '23:59:59.999999', '12:00:00+02', '1 year 2 mons 3 days 04:05:06',
        'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '192.168.0.1/24', '10.0.0.0/8', '08:00:2b:01:02:03', 12.34,
        '\\xdeadbeef', '{"k": [1, 2.5, null]}', '{"plan": "pro", "n": 1}',
        '{1,NULL,3}', '{"a b","NULL",NULL,"q\\"uote"}', '{1.10,-2.5}', '{"2024-01-01 00:00:00+00",NULL}',
        '{"\\\\x00ff"}', array['{"a":1}'::jsonb], '{{1,2},{3,4}}', B'1010',
        'happy', '{sad,happy}', '\\xcafe', 9007199254740993, row(1, 'x'), '[1,10)', '<a>x</a>', '(1,2)');
      insert into types (i8, num, numx, f8, d, tstz) values
        (-9223372036854775808, '-0.0001', '-Infinity', '-Infinity', '0044-03-15 BC', 'infinity'),
        (0, 0, 'Infinity', 'NaN', 'infinity', '0044-03-15 12:00:00+00 BC');
      create table person (id bigint generated always as identity primary key, name text not null,
        name_upper text generated always as (upper(name)) stored, born date default current_date);
      create table city (country text, code text, name text, primary key (country, code));
      create table address (id serial primary key, country text, city_code text,
        foreign key (country, city_code) references city (country, code));
      create index address_lower_idx on address (lower(city_code), id);
      create schema sales;
      create table sales.deals (id int primary key, person_id bigint references public.person(id));
      create table events (id int, at date not null) partition by range (at);
      create table events_2024 partition of events for values from ('2024-01-01') to ('2025-01-01');
      create materialized view city_count as select country, count(*) from city group by country;
      create extension file_fdw;
      create server files foreign data wrapper file_fdw;
      create foreign table ext_lines (line text) server files options (filename '/dev/null');
      create table never_analyzed (x int);
      create table customers (id int primary key, name text);
      insert into customers values (1, 'Ada');
      create table secret_stuff (x int);
      create table numbers as select g::bigint as n from generate_series(1, 200000) g;
      analyze numbers;
    `,
    );
    connector = await createConnector('postgres', cfg());
  });

  afterAll(async () => {
    await connector?.close();
    await db?.drop();
  });

  it('pings with the short version', async () => {
    expect((await connector.ping()).version).toMatch(/^PostgreSQL \d+(\.\d+)?/);
  });

  it('keeps every common type exact, whatever the session time zone', async () => {
    // A zone with a half-hour offset, so that a timestamptz printed in local time would be visible.
    await admin(db.url, `alter database ${db.name} set timezone = 'America/St_Johns'`);
    const c = new PostgresConnector(cfg());
    try {
      const zone = await c.query('show timezone', [], CAPS);
      expect(zone.rows).toEqual([['America/St_Johns']]);
      const r = await c.query('select * from types order by i8 desc nulls last', [], CAPS);
      const row = Object.fromEntries(r.columns.map((col, i) => [col.name, r.rows[0]![i]]));
      expect(row).toEqual({
        i2: -32768,
        i4: 2147483647,
        i8: '9223372036854775807',
        num: '1234567890123456.7891',
        numx: 'NaN',
        f4: 3.25,
        f8: 'Infinity',
        b: true,
        t: 'héllo "world"',
        vc: 'abc',
        ch: 'ab ',
        d: '2024-02-29',
        ts: '2024-03-01T12:34:56.789012',
        ts3: '2024-03-01T12:34:56.789',
        tstz: '2024-03-01T12:34:56.789012Z',
        tm: '23:59:59.999999',
        tmtz: '12:00:00+02:00',
        iv: '1 year 2 mons 3 days 04:05:06',
        u: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
        ip: '192.168.0.1/24',
        cidr_: '10.0.0.0/8',
        mac: '08:00:2b:01:02:03',
        m: '$12.34',
        by: Buffer.from('deadbeef', 'hex').toString('base64'),
        j: { k: [1, 2.5, null] },
        jb: { plan: 'pro', n: 1 },
        ai: [1, null, 3],
        at: ['a b', 'NULL', null, 'q"uote'],
        an: ['1.10', '-2.5'],
        atz: ['2024-01-01T00:00:00Z', null],
        ab: [Buffer.from('00ff', 'hex').toString('base64')],
        ajb: [{ a: 1 }],
        a2: [
          [1, 2],
          [3, 4],
        ],
        bits: '1010',
        e: 'happy',
        ae: ['sad', 'happy'],
        ub: Buffer.from('cafe', 'hex').toString('base64'),
        bid: '9007199254740993',
        p: '(1,x)',
        r: '[1,10)',
        x: '<a>x</a>',
        pt: '(1,2)',
      });
      const more = r.rows.slice(1).map((x) => Object.fromEntries(r.columns.map((col, i) => [col.name, x[i]])));
      expect(more.map((m) => [m.i8, m.num, m.numx, m.f8, m.d, m.tstz])).toEqual([
        ['0', '0.0000', 'Infinity', 'NaN', 'infinity', '-000043-03-15T12:00:00Z'],
        ['-9223372036854775808', '-0.0001', '-Infinity', '-Infinity', '-000043-03-15', 'infinity'],
      ]);
      const types = Object.fromEntries(r.columns.map((col) => [col.name, col.type]));
      expect(types).toMatchObject({
        i8: 'bigint',
        num: 'numeric(20,4)',
        numx: 'numeric',
        vc: 'character varying(10)',
        ch: 'character(3)',
        ts3: 'timestamp(3) without time zone',
        tstz: 'timestamp with time zone',
        ai: 'integer[]',
        a2: 'integer[]',
        e: 'mood',
        ae: 'mood[]',
        // PostgreSQL describes a domain's values by its base type.
        ub: 'bytea',
        bid: 'bigint',
        p: 'pair',
        jb: 'jsonb',
      });
      // The second time, types come from the cache: same answer.
      const again = await c.query('select * from types order by i8 desc nulls last', [], CAPS);
      expect(again.rows).toEqual(r.rows);
      expect(again.columns).toEqual(r.columns);
      // Literals and expressions in UTC arithmetic: the instant is the same, only the printing zone changed.
      const e = await c.query("select '2024-06-01 00:00:00-02:30'::timestamptz, now() - now() as zero", [], CAPS);
      expect(e.rows[0]).toEqual(['2024-06-01T02:30:00Z', '00:00:00']);
    } finally {
      await c.close();
      await admin(db.url, `alter database ${db.name} reset timezone`);
    }
  });

  it('re-applies the byte cap to values converted after the type look-up', async () => {
    const c = new PostgresConnector(cfg());
    try {
      // mood[] is unknown until looked up, so its values stream as text ({happy,happy,…}) and become
      // JSON arrays afterwards — longer than the text that was counted.
      const sql = "select array_fill('happy'::mood, array[100]) from generate_series(1, 50)";
      const r = await c.query(sql, [], { ...CAPS, maxBytes: 3_000 });
      expect(r.columns).toEqual([{ name: 'array_fill', type: 'mood[]' }]);
      expect(r.truncated).toBe(true);
      expect(r.truncatedBy).toBe('max_bytes');
      expect(r.bytes).toBeLessThanOrEqual(3_000);
      expect(Buffer.byteLength(JSON.stringify(r.rows))).toBe(r.bytes);
      expect(r.rows[0]![0]).toEqual(Array.from({ length: 100 }, () => 'happy'));
      // Known from now on: converted while streaming, same cap.
      const again = await c.query(sql, [], { ...CAPS, maxBytes: 3_000 });
      expect(again.rows).toEqual(r.rows);
      // And a single row too large once converted is RESULT_TOO_LARGE, as usual.
      await expectToolError(c.query("select array_fill('sad'::mood, array[1000])", [], { ...CAPS, maxBytes: 4_500 }), 'RESULT_TOO_LARGE');
    } finally {
      await c.close();
    }
  });

  it('maps server errors to codes a model can act on, without parameter values', async () => {
    const col = await expectToolError(connector.query('select nme from customers', [], CAPS), 'QUERY_ERROR');
    expect(col.message).toMatch(/column "nme" does not exist/);
    expect(col.message).toMatch(/Hint: Perhaps you meant to reference the column "customers.name"/);
    const zero = await expectToolError(connector.query('select 1 / (id - 1) from customers', [], CAPS), 'QUERY_ERROR');
    expect(zero.message).toMatch(/division by zero/);
    const bad = await expectToolError(connector.query('select * from customers where id = $1', ['confidential-42'], CAPS), 'QUERY_ERROR');
    expect(bad.message).toMatch(/invalid input syntax for type integer/);
    expect(bad.message).not.toContain('confidential-42');
    const enumErr = await expectToolError(connector.query('select $1::mood', ['furious-secret'], CAPS), 'QUERY_ERROR');
    expect(enumErr.message).not.toContain('furious-secret');
    // Placeholders without values, or too few values.
    await expectToolError(connector.query('select $2::int', [1], CAPS), 'QUERY_ERROR');
    const few = await expectToolError(connector.query('select $1::int + $2::int', [1], CAPS), 'QUERY_ERROR');
    expect(few.message).toMatch(/^bind message supplies 1 parameters, but the statement requires 2\.$/);
    expect((await connector.query('select $1::int + $2::int', [1, 2], CAPS)).rows).toEqual([[3]]);
  });

  it('answers PERMISSION_DENIED for a role without the privilege, and lists only what it may read', async () => {
    const role = `sequel_ro_${Date.now().toString(36)}`;
    await admin(db.url, `create role ${role} login; grant usage on schema public to ${role}; grant select on customers to ${role}`);
    const u = new URL(db.url);
    u.username = role;
    const limited = await createConnector('postgres', pgConfig(u.toString()));
    try {
      const ok = await limited.query('select name from customers', [], CAPS);
      expect(ok.rows).toEqual([['Ada']]);
      const err = await expectToolError(limited.query('select * from secret_stuff', [], CAPS), 'PERMISSION_DENIED');
      expect(err.message).toMatch(/permission denied for table secret_stuff/);
      const catalog = await limited.introspect();
      expect(catalog.tables.map((t) => `${t.schema}.${t.name}`)).toEqual(['public.customers']);
    } finally {
      await limited.close();
      await admin(db.url, `drop owned by ${role}; drop role ${role}`);
    }
  });

  it('introspects kinds, keys, defaults, indexes and schemas', async () => {
    const catalog = await connector.introspect();
    expect(catalog.defaultSchema).toBe('public');
    const t = (schema: string, name: string) => catalog.tables.find((x) => x.schema === schema && x.name === name);
    expect(t('public', 'city_count')?.kind).toBe('materialized_view');
    expect(t('public', 'ext_lines')?.kind).toBe('foreign_table');
    expect(t('public', 'events')?.kind).toBe('table');
    // Partitions are part of their parent, not tables of their own.
    expect(t('public', 'events_2024')).toBeUndefined();
    expect(t('public', 'never_analyzed')?.rowEstimate).toBeNull();
    expect(t('public', 'numbers')?.rowEstimate).toBe(200_000);
    expect(catalog.tables.some((x) => ['pg_catalog', 'information_schema', 'pg_toast'].includes(x.schema))).toBe(false);
    const person = t('public', 'person')!;
    expect(person.columns.map((c) => [c.name, c.type, c.default])).toEqual([
      ['id', 'bigint', 'generated always as identity'],
      ['name', 'text', null],
      ['name_upper', 'text', 'generated always as (upper(name)) stored'],
      ['born', 'date', 'CURRENT_DATE'],
    ]);
    expect(person.indexes).toEqual([{ name: 'person_pkey', columns: ['id'], unique: true, primary: true }]);
    const address = t('public', 'address')!;
    expect(address.columns.find((c) => c.name === 'country')?.references).toEqual({ schema: 'public', table: 'city', column: 'country' });
    expect(address.columns.find((c) => c.name === 'city_code')?.references).toEqual({ schema: 'public', table: 'city', column: 'code' });
    expect(address.columns.find((c) => c.name === 'id')?.default).toMatch(/^nextval\('address_id_seq'::regclass\)$/);
    expect(address.indexes.find((i) => i.name === 'address_lower_idx')).toEqual({ name: 'address_lower_idx', columns: ['lower(city_code)', 'id'], unique: false, primary: false });
    const city = t('public', 'city')!;
    expect(city.columns.filter((c) => c.primaryKey).map((c) => c.name)).toEqual(['country', 'code']);
    expect(t('sales', 'deals')?.columns.find((c) => c.name === 'person_id')?.references).toEqual({ schema: 'public', table: 'person', column: 'id' });
    const sales = await connector.introspect({ schemas: ['sales'] });
    expect(sales.tables.map((x) => `${x.schema}.${x.name}`)).toEqual(['sales.deals']);
  });

  it('explains with bound values, or the generic plan for bare placeholders, and leaves nothing behind', async () => {
    const one = new PostgresConnector(cfg({ poolMax: 1 }));
    try {
      const bound = await one.explain('select * from numbers where n = $1', [42], { timeoutMs: 5_000 });
      expect(bound.plan).toMatch(/Seq Scan on numbers/);
      expect(bound.plan).toMatch(/n = '42'|n = 42/);
      expect(Array.isArray(bound.structured)).toBe(true);
      const generic = await one.explain('select * from numbers where n = $1 and n < $2', [], { timeoutMs: 5_000 });
      expect(generic.plan).toMatch(/\$1/);
      expect((generic.structured as Array<{ Plan: { 'Node Type': string } }>)[0]!.Plan['Node Type']).toBeTruthy();
      // No prepared statement survives on the (single) pooled connection, but the connector's own cache.
      const left = await one.query(`select count(*) from pg_prepared_statements where name !~ '${CACHED_NAMES}'`, [], CAPS);
      expect(left.rows).toEqual([['0']]);
      await expectToolError(one.explain('show search_path', [], { timeoutMs: 5_000 }), 'INVALID_ARGUMENT');
      await expectToolError(one.explain('explain select 1', [], { timeoutMs: 5_000 }), 'INVALID_ARGUMENT');
      await expectToolError(one.explain('explain analyze select 1', [], { timeoutMs: 5_000 }), 'NOT_READ_ONLY');
      await expectToolError(one.explain('select * from no_such_thing where x = $1', [], { timeoutMs: 5_000 }), 'QUERY_ERROR');
      // After a failed explain the connector still serves, with nothing left over.
      const after = await one.query(`select count(*) from pg_prepared_statements where name !~ '${CACHED_NAMES}'`, [], CAPS);
      expect(after.rows).toEqual([['0']]);
    } finally {
      await one.close();
    }
  });

  it('ignores session settings smuggled in the DSN', async () => {
    const u = new URL(db.url);
    u.searchParams.set('options', '-c default_transaction_read_only=off -c statement_timeout=0');
    u.searchParams.set('application_name', 'evil');
    const c = new PostgresConnector(pgConfig(u.toString()));
    try {
      const r = await c.query(
        "select current_setting('default_transaction_read_only'), current_setting('statement_timeout'), current_setting('application_name')",
        [],
        CAPS,
      );
      expect(r.rows).toEqual([['on', '15s', 'sequel']]);
    } finally {
      await c.close();
    }
  });

  it('never opens more than poolMax backends, named sequel', async () => {
    // A database of its own, so that only this connector's backends are counted.
    const own = await createTempPgDatabase('sequel_pgpool');
    await admin(own.url, 'create table numbers as select g::bigint as n from generate_series(1, 200000) g; analyze numbers');
    const c = new PostgresConnector(pgConfig(own.url, { poolMax: 2 }));
    let max = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const rows = await admin<{ n: number }>(
          db.url,
          "select count(*)::int as n from pg_stat_activity where application_name = 'sequel' and datname = $1 and backend_type = 'client backend'",
          [own.name],
        );
        max = Math.max(max, rows[0]!.n);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    try {
      const slow = 'select count(*) from numbers a join numbers b on a.n = b.n where a.n % 3 = 0';
      const results = await Promise.all(Array.from({ length: 8 }, () => c.query(slow, [], CAPS)));
      for (const r of results) expect(r.rows).toEqual([['66666']]);
    } finally {
      sampling = false;
      await sampler;
      await c.close();
      await own.drop();
    }
    console.log(`[postgres] poolMax 2, 8 concurrent calls: at most ${max} backends seen`);
    expect(max).toBeGreaterThanOrEqual(1);
    expect(max).toBeLessThanOrEqual(2);
  });

  it('survives a backend killed while idle, and answers SOURCE_UNAVAILABLE for one killed mid-query', async () => {
    const c = new PostgresConnector(cfg({ poolMax: 1 }));
    try {
      const pid = (await c.query('select pg_backend_pid()', [], CAPS)).rows[0]![0];
      await admin(db.url, 'select pg_terminate_backend($1)', [pid]);
      // The pooled connection is dead; the call retries once on a fresh one, before running anything.
      const again = await c.query('select pg_backend_pid()', [], CAPS);
      expect(again.rows[0]![0]).not.toBe(pid);
      const marker = `sequel_kill_${Date.now()}`;
      const running = c.query(`/* ${marker} */ select count(*) from numbers a cross join numbers b`, [], { ...CAPS, timeoutMs: 60_000 });
      const settled = running.catch((e: unknown) => e);
      await eventually(async () => {
        const rows = await admin<{ pid: number }>(db.url, "select pid from pg_stat_activity where state = 'active' and strpos(query, $1) > 0 and pid <> pg_backend_pid()", [marker]);
        if (!rows[0]) return false;
        await admin(db.url, 'select pg_terminate_backend($1)', [rows[0].pid]);
        return true;
      });
      const err = await settled;
      expect(isToolError(err) && err.code, String(err)).toBe('SOURCE_UNAVAILABLE');
      const fine = await c.query('select 1', [], CAPS);
      expect(fine.rows).toEqual([[1]]);
    } finally {
      await c.close();
    }
  });

  it('close() cancels in-flight statements on the server and answers them SOURCE_UNAVAILABLE', async () => {
    const c = new PostgresConnector(cfg());
    const marker = `sequel_close_${Date.now()}`;
    const running = () =>
      admin<{ n: number }>(db.url, "select count(*)::int as n from pg_stat_activity where state = 'active' and strpos(query, $1) > 0 and pid <> pg_backend_pid()", [marker]);
    const call = c.query(`/* ${marker} */ select count(*) from numbers a cross join numbers b`, [], { ...CAPS, timeoutMs: 60_000 });
    const settled = call.catch((e: unknown) => e);
    await eventually(async () => (await running())[0]!.n > 0, 15_000, 'the statement to start');
    await c.close();
    const err = await settled;
    expect(isToolError(err) && err.code, String(err)).toBe('SOURCE_UNAVAILABLE');
    await eventually(async () => (await running())[0]!.n === 0, 15_000, 'the statement to be gone');
  });

  it('a call waiting for a pooled connection gives up when its request is aborted, and when the connector closes', async () => {
    const c = new PostgresConnector(cfg({ poolMax: 1 }));
    // Warm: the guard's view of the database is read, so the calls below wait for the pool alone.
    await c.query('select 0', [], CAPS);
    const marker = `sequel_wait_${Date.now()}`;
    const busy = c.query(`/* ${marker} */ select count(*) from numbers a cross join numbers b`, [], { ...CAPS, timeoutMs: 60_000 }).catch((e: unknown) => e);
    await eventually(
      async () => (await admin<{ n: number }>(db.url, "select count(*)::int as n from pg_stat_activity where state = 'active' and strpos(query, $1) > 0", [marker]))[0]!.n > 0,
      15_000,
      'the statement holding the only connection to start',
    );
    const abort = new AbortController();
    const aborted = c.query('select 1', [], { ...CAPS, signal: abort.signal }).catch((e: unknown) => e);
    const closed = c.query('select 2', [], CAPS).catch((e: unknown) => e);
    // Both are queued for the pool's only connection before the abort.
    const pool = (c as unknown as { session: { pool: { waitingCount: number } } }).session.pool;
    await eventually(async () => pool.waitingCount === 2, 15_000, 'both calls to wait for the pool');
    abort.abort();
    const first = await aborted;
    expect(isToolError(first) && first.code, String(first)).toBe('QUERY_TIMEOUT');
    await c.close();
    const second = await closed;
    expect(isToolError(second) && second.code, String(second)).toBe('SOURCE_UNAVAILABLE');
    const held = await busy;
    expect(isToolError(held) && held.code, String(held)).toBe('SOURCE_UNAVAILABLE');
  });

  it('the fixture checksum sees a change anywhere', async () => {
    const fx = await postgresFixture.create();
    try {
      const before = await fx.checksum();
      expect(await fx.checksum()).toBe(before);
      for (const [change, undo] of [
        ["update customers set name = 'Ada!' where id = 1", "update customers set name = 'Ada' where id = 1"],
        ['create table t_extra (x int)', 'drop table t_extra'],
        ["comment on column orders.status is 'x'", 'comment on column orders.status is null'],
        ['create sequence s_extra; select nextval(\'s_extra\')', 'drop sequence s_extra'],
        ['alter table numbers add column y int', 'alter table numbers drop column y'],
      ] as const) {
        await fx.exec(change);
        expect(await fx.checksum(), change).not.toBe(before);
        await fx.exec(undo);
      }
      await fx.exec("create view v_extra as select 1 as x");
      expect(await fx.checksum()).not.toBe(before);
    } finally {
      await fx.destroy();
    }
  });

  it('introspects 5,000 tables quickly', async () => {
    const big = await createTempPgDatabase('sequel_pgwide');
    try {
      await admin(big.url, 'create table parent (id int primary key)');
      // In batches: one transaction creating thousands of tables would exhaust the shared lock table.
      for (let from = 1; from < 5_000; from += 250) {
        await admin(
          big.url,
          `do $$ begin
             for i in ${from}..${Math.min(from + 249, 4_999)} loop
               execute format('create table t_%s (id int primary key, parent_id int references parent(id), name text not null, at timestamptz default now())', i);
               execute format('create index t_%s_name_idx on t_%s (name)', i, i);
               execute format('comment on table t_%s is %L', i, 'table ' || i);
             end loop;
           end $$`,
        );
      }
      const c = new PostgresConnector(pgConfig(big.url, { statementTimeoutMs: 60_000 }));
      try {
        await c.introspect(); // warm the connection and the catalog caches
        const started = performance.now();
        const catalog = await c.introspect();
        const ms = performance.now() - started;
        console.log(`[postgres] introspect of 5,000 tables (20,000 columns, 10,000 indexes): ${ms.toFixed(0)} ms`);
        expect(catalog.tables).toHaveLength(5_000);
        const t42 = catalog.tables.find((t) => t.name === 't_42')!;
        expect(t42.comment).toBe('table 42');
        expect(t42.columns.find((col) => col.name === 'parent_id')?.references).toEqual({ schema: 'public', table: 'parent', column: 'id' });
        expect(t42.indexes.map((i) => i.name).sort()).toEqual(['t_42_name_idx', 't_42_pkey']);
      } finally {
        await c.close();
      }
    } finally {
      await big.drop();
    }
  }, 300_000);
});

describe.skipIf(!pgUp)('postgres connection failures', () => {
  const base = { connectTimeoutMs: 1_000, poolMax: 2, statementTimeoutMs: 5_000 };

  it('keeps the DSN password out of every error', async () => {
    const secret = 'Sup3r-Secret-Pw';
    const hole = await blackhole();
    try {
      for (const url of [
        `postgres://postgres:${secret}@127.0.0.1:1/postgres`,
        `postgres://postgres:${secret}@127.0.0.1:${hole.port}/postgres`,
        `postgres://postgres:${secret}@127.0.0.1:${new URL(PG_URL).port || 5432}/no_such_db_sequel`,
      ]) {
        const c = await createConnector('postgres', { url, ...base });
        try {
          for (const call of [() => c.ping(), () => c.query('select 1', [], CAPS), () => c.introspect()]) {
            const err = await expectToolError(call(), 'SOURCE_UNAVAILABLE', url.replace(secret, '***'));
            expect(err.message).not.toContain(secret);
            expect(JSON.stringify({ message: err.message, stack: err.stack })).not.toContain(secret);
          }
        } finally {
          await c.close();
        }
      }
    } finally {
      await hole.close();
    }
  });

  it('answers a closed port at once and a silent one within the connect timeout', async () => {
    const closed = await createConnector('postgres', { url: 'postgres://postgres@127.0.0.1:1/postgres', ...base });
    const t0 = Date.now();
    const refused = await expectToolError(closed.query('select 1', [], CAPS), 'SOURCE_UNAVAILABLE');
    expect(refused.message).toMatch(/connection refused/);
    expect(refused.message).toMatch(/127\.0\.0\.1:1\/postgres/);
    console.log(`[postgres] closed port answered in ${Date.now() - t0} ms`);
    await closed.close();

    const hole = await blackhole();
    const silent = await createConnector('postgres', { url: `postgres://postgres@127.0.0.1:${hole.port}/postgres`, ...base, connectTimeoutMs: 500 });
    try {
      const t1 = Date.now();
      const err = await expectToolError(silent.query('select 1', [], CAPS), 'SOURCE_UNAVAILABLE');
      const waited = Date.now() - t1;
      console.log(`[postgres] silent server (connect timeout 500 ms) answered in ${waited} ms`);
      expect(err.message).toMatch(/no answer within 500 ms/);
    } finally {
      await silent.close();
      await hole.close();
    }
  });

  it('sends the stored password, not the DSN one, and reports a failed login as SOURCE_UNAVAILABLE', async () => {
    const fake = await fakeAuthServer();
    const c = await createConnector('postgres', { url: `postgres://app:dsn-password@127.0.0.1:${fake.port}/db`, password: 'stored-password', ...base });
    try {
      const err = await expectToolError(c.ping(), 'SOURCE_UNAVAILABLE');
      expect(err.message).toMatch(/password authentication failed/);
      expect(err.message).not.toMatch(/stored-password|dsn-password/);
      expect(fake.seen.passwords[0]).toBe('stored-password');
    } finally {
      await c.close();
      await fake.close();
    }
  });

  it('with TLS required, refuses a server without TLS clearly', async () => {
    for (const mode of ['require', 'verify-full'] as const) {
      const c = await createConnector('postgres', { url: PG_URL, tls: { mode }, ...base });
      try {
        const ssl = (await admin<{ ssl: string }>(PG_URL, 'show ssl'))[0]!.ssl;
        if (ssl === 'on') {
          // A server with TLS: require connects; verify-full depends on its certificate.
          if (mode === 'require') await expect(c.ping()).resolves.toMatchObject({ version: expect.any(String) });
        } else {
          const err = await expectToolError(c.ping(), 'SOURCE_UNAVAILABLE', mode);
          expect(err.message).toMatch(/does not support TLS/);
        }
      } finally {
        await c.close();
      }
    }
  });

  const cert = selfSignedCert();

  it.skipIf(!cert)('verifies certificates as each TLS mode says', async () => {
    const fake = await fakeAuthServer(cert);
    const url = `postgres://app@127.0.0.1:${fake.port}/db`;
    const attempt = async (tlsCfg: ConnectionConfig['tls']) => {
      const c = await createConnector('postgres', { url, password: 'pw-over-tls', tls: tlsCfg, ...base });
      try {
        return await expectToolError(c.ping(), 'SOURCE_UNAVAILABLE');
      } finally {
        await c.close();
      }
    };
    try {
      // require: encrypted, certificate not checked — the login reaches the server (and fails there).
      const req = await attempt({ mode: 'require' });
      expect(req.message).toMatch(/password authentication failed/);
      expect(fake.seen.tls).toBe(true);
      expect(fake.seen.passwords).toEqual(['pw-over-tls']);
      // verify-full against an unknown CA: refused before anything is sent.
      const vf = await attempt({ mode: 'verify-full' });
      expect(vf.message).toMatch(/certificate/i);
      expect(fake.seen.passwords).toHaveLength(1);
      // verify-full trusting that CA: the chain and the host name (IP SAN) check out.
      const ok = await attempt({ mode: 'verify-full', ca: cert!.cert });
      expect(ok.message).toMatch(/password authentication failed/);
      expect(fake.seen.passwords).toHaveLength(2);
    } finally {
      await fake.close();
    }
  });

  it('a source that goes down answers SOURCE_UNAVAILABLE while another keeps serving, and recovers by itself', async () => {
    const target = new URL(PG_URL);
    const proxy = new TcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    await proxy.start();
    const viaProxy = new URL(PG_URL);
    viaProxy.port = String(proxy.port);
    const flaky = await createConnector('postgres', { url: viaProxy.toString(), ...base });
    const steady = await createConnector('postgres', { url: PG_URL, ...base });
    try {
      expect((await flaky.query('select 1', [], CAPS)).rows).toEqual([[1]]);
      await proxy.stop();
      const t0 = Date.now();
      await expectToolError(flaky.query('select 1', [], CAPS), 'SOURCE_UNAVAILABLE');
      console.log(`[postgres] source down answered in ${Date.now() - t0} ms`);
      await expectToolError(flaky.introspect(), 'SOURCE_UNAVAILABLE');
      expect((await steady.query('select 2', [], CAPS)).rows).toEqual([[2]]);
      await proxy.start(); // same port
      await eventually(async () => {
        try {
          return (await flaky.query('select 3', [], CAPS)).rows[0]![0] === 3;
        } catch {
          return false;
        }
      });
    } finally {
      await flaky.close();
      await steady.close();
      await proxy.stop();
    }
  });

  it('a server that stops answering is timed out client-side and its connection discarded', async () => {
    const target = new URL(PG_URL);
    const proxy = new TcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    await proxy.start();
    const viaProxy = new URL(PG_URL);
    viaProxy.port = String(proxy.port);
    const c = await createConnector('postgres', { url: viaProxy.toString(), ...base, poolMax: 1 });
    try {
      expect((await c.query('select 1', [], CAPS)).rows).toEqual([[1]]);
      // Silent before the call starts: nothing of it ran, the source is unavailable.
      proxy.frozen = true;
      let t0 = Date.now();
      await expectToolError(c.query('select 1', [], { ...CAPS, timeoutMs: 500 }), 'SOURCE_UNAVAILABLE');
      console.log(`[postgres] network silent before the call (500 ms timeout): answered in ${Date.now() - t0} ms`);
      proxy.frozen = false;
      // A reused connection would be mid-message and fail; a fresh one answers.
      expect((await c.query('select 4', [], CAPS)).rows).toEqual([[4]]);
      // Silent while the statement runs: the deadline passes, QUERY_TIMEOUT.
      t0 = Date.now();
      const slow = c.query('select count(*) from generate_series(1, 100000000)', [], { ...CAPS, timeoutMs: 1_500 });
      const settled = slow.catch((e: unknown) => e);
      await new Promise((r) => setTimeout(r, 300));
      proxy.frozen = true;
      await expectToolError(slow, 'QUERY_TIMEOUT');
      await settled;
      const waited = Date.now() - t0;
      console.log(`[postgres] network silent mid-statement (1500 ms timeout): answered in ${waited} ms`);
      proxy.frozen = false;
      expect((await c.query('select 5', [], CAPS)).rows).toEqual([[5]]);
    } finally {
      await c.close();
      await proxy.stop();
    }
  });

  it('the registry refuses an unknown engine', async () => {
    await expect(createConnector('oracle' as never, { url: 'x', ...base })).rejects.toBeInstanceOf(ValidationError);
  });
});
