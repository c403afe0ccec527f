/**
 * The real database servers the tests use, and what to do when one is missing.
 *
 * Outside CI a missing server skips its tests and says so loudly (here and in the global setup's banner);
 * under `CI=true` a missing server is a failure, never a silent skip.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import mysql from 'mysql2/promise';

export const PG_URL = process.env.SEQUEL_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const MYSQL_URL = process.env.SEQUEL_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

export type Service = 'postgres' | 'mysql';

export interface ServiceStatus {
  ok: boolean;
  /** Why the service is unusable, when it is. */
  reason?: string;
}

const cache = new Map<Service, Promise<ServiceStatus>>();

async function probe(service: Service): Promise<ServiceStatus> {
  try {
    if (service === 'postgres') {
      const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
      await client.connect();
      try {
        await client.query('select 1');
      } finally {
        await client.end();
      }
    } else {
      const conn = await mysql.createConnection({ uri: MYSQL_URL, connectTimeout: 3000 });
      try {
        await conn.query('select 1');
      } finally {
        await conn.end();
      }
    }
    return { ok: true };
  } catch (err) {
    const url = service === 'postgres' ? PG_URL : MYSQL_URL;
    const env = service === 'postgres' ? 'SEQUEL_TEST_PG_URL' : 'SEQUEL_TEST_MYSQL_URL';
    return { ok: false, reason: `cannot connect to ${url} (${(err as Error).message}); start it or set ${env}` };
  }
}

export function serviceStatus(service: Service): Promise<ServiceStatus> {
  let p = cache.get(service);
  if (!p) {
    p = probe(service);
    cache.set(service, p);
  }
  return p;
}

export const isCI = process.env.CI === 'true' || process.env.CI === '1';

/**
 * For a test file's top level: `const pgUp = await requireService('postgres', 'store tests');` then
 * `describe.skipIf(!pgUp)(…)`. Throws under CI when the service is missing.
 */
export async function requireService(service: Service, what: string): Promise<boolean> {
  const status = await serviceStatus(service);
  if (status.ok) return true;
  const line = `${service} is unavailable: ${status.reason}`;
  if (isCI) throw new Error(`CI=true and ${line}; ${what} cannot be skipped under CI.`);
  console.warn(`\n*** SKIPPED ${what}: ${line}\n`);
  return false;
}

function suffix(): string {
  return `${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

export interface TempDatabase {
  /** Name of the database created for this test file. */
  name: string;
  /** A URL connecting to it as the privileged test user. */
  url: string;
  drop(): Promise<void>;
}

/** A fresh PostgreSQL database, dropped (with its connections) by `drop()`. */
export async function createTempPgDatabase(prefix = 'sequel_t'): Promise<TempDatabase> {
  const name = `${prefix}_${suffix()}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const u = new URL(PG_URL);
  u.pathname = `/${name}`;
  return {
    name,
    url: u.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      try {
        await c.query(`drop database if exists ${name} with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}

/** A fresh MySQL/MariaDB database, dropped by `drop()`. */
export async function createTempMysqlDatabase(prefix = 'sequel_t'): Promise<TempDatabase> {
  const name = `${prefix}_${suffix()}`;
  const conn = await mysql.createConnection({ uri: MYSQL_URL });
  try {
    await conn.query(`create database \`${name}\``);
  } finally {
    await conn.end();
  }
  const u = new URL(MYSQL_URL);
  u.pathname = `/${name}`;
  return {
    name,
    url: u.toString(),
    async drop() {
      const c = await mysql.createConnection({ uri: MYSQL_URL });
      try {
        await c.query(`drop database if exists \`${name}\``);
      } finally {
        await c.end();
      }
    },
  };
}
