/**
 * The store's schema (as Kysely sees it) and how to open it on either dialect: the embedded SQLite file
 * (better-sqlite3, WAL) or PostgreSQL (`SEQUEL_DATABASE_URL`), which any number of replicas share.
 *
 * Times are ISO 8601 UTC text in both dialects (`new Date().toISOString()`, fixed width, so they sort as
 * text); ids are random UUIDs except the audit log's monotonically increasing integer.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, type Generated } from 'kysely';
import pg from 'pg';
import { postgresEpoch, sqliteEpoch, type ChangeEpoch } from './changes.js';

export type Role = 'owner' | 'admin' | 'member';
export const ROLES: readonly Role[] = ['owner', 'admin', 'member'];

export interface OrganizationsTable {
  id: string;
  slug: string;
  name: string;
  created_at: string;
}

export interface UsersTable {
  id: string;
  /** Lower-cased. */
  email: string;
  name: string | null;
  /** scrypt hash (see auth/passwords.ts), null until the user sets one. */
  password_hash: string | null;
  created_at: string;
}

export interface MembershipsTable {
  org_id: string;
  user_id: string;
  role: Role;
  created_at: string;
}

export interface ApiKeysTable {
  id: string;
  org_id: string;
  name: string;
  /** The first characters of the key (`sql_AbC123`), shown to identify it. */
  prefix: string;
  /** HMAC-SHA-256 of the whole key under the server's api-keys key; the key itself is never stored. */
  key_hash: string;
  /**
   * Id of the server key `key_hash` is under (migration 014); null for keys made before key rings,
   * which are under the store's original key.
   */
  hash_key_id: string | null;
  created_by_user_id: string | null;
  /** Who created it, for display: a user's email or `cli`. */
  created_by: string;
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
  /** JSON array of source ids the key may reach; null = every source of the org. */
  source_ids: string | null;
  revoked_at: string | null;
  /** The policy preset the key is narrowed to (policy_presets.id, same org); null = none. Migration 012. */
  preset_id: string | null;
}

export interface PolicyPresetsTable {
  id: string;
  org_id: string;
  /** Slug, unique within the org. */
  name: string;
  description: string;
  /** JSON PresetPolicy: allowed schemas, hidden tables and columns, masked columns (src/store/presets.ts). */
  policy: string;
  /** Bumped on every change (cache keys of compiled policies). */
  version: number;
  created_at: string;
  updated_at: string;
}

export interface SourcesTable {
  id: string;
  org_id: string;
  /** Slug, unique within the org: what tools take as `source`. */
  name: string;
  engine: string;
  description: string;
  /** JSON: non-secret connection settings (URL without password, TLS mode and CA, timeouts, pool). */
  connection: string;
  /** AES-256-GCM box of the JSON secret (`{"password": …}`), bound to the source id; null when none. */
  secret: string | null;
  /** JSON policy: row caps, byte cap, timeout, allowed schemas, hidden tables and columns. */
  policy: string;
  /** Bumped on every change so replicas rebuild their pools. */
  version: number;
  created_at: string;
  updated_at: string;
}

export interface DescriptionsTable {
  source_id: string;
  schema_name: string;
  table_name: string;
  /** '' for the table's own description. */
  column_name: string;
  description: string;
  updated_by: string | null;
  updated_at: string;
}

export interface AuditLogTable {
  id: Generated<number>;
  /** Unique per entry (a random UUID), so replaying the audit journal after a crash writes nothing twice; null before migration 003. */
  entry_id: string | null;
  at: string;
  org_id: string;
  user_id: string | null;
  /** `playground`: an admin's query from the dashboard's playground (credential_id is the user's id). */
  credential_kind: 'api_key' | 'oauth' | 'playground';
  credential_id: string;
  /** The key's name and prefix, or the OAuth client's name, as it was at the time. */
  credential_label: string;
  source_id: string | null;
  source_name: string | null;
  tool: string;
  sql: string | null;
  row_count: number | null;
  duration_ms: number;
  /** 'ok' or a ToolErrorCode. */
  outcome: string;
  error: string | null;
  /** The source-policy rule that refused the call, or the columns it masked (src/governance); null otherwise. */
  governance?: string | null;
}

export interface SourceChecksTable {
  source_id: string;
  checked_at: string;
  status: 'ok' | 'failing';
  server_version: string | null;
  error_code: string | null;
  error_message: string | null;
  table_count: number | null;
  /** JSON array of least-privilege warnings; null when not checked. */
  privilege_warnings: string | null;
  /** JSON array of sizing warnings (migration 014); null when not checked. */
  sizing_warnings: string | null;
}

export interface SettingsTable {
  key: string;
  value: string;
}

export interface RateCountersTable {
  name: string;
  key: string;
  win: number | string;
  count: number | string;
  last_at: number | string;
  expires_at: number | string;
}

export interface DB {
  rate_counters: RateCountersTable;
  organizations: OrganizationsTable;
  users: UsersTable;
  memberships: MembershipsTable;
  api_keys: ApiKeysTable;
  policy_presets: PolicyPresetsTable;
  sources: SourcesTable;
  descriptions: DescriptionsTable;
  audit_log: AuditLogTable;
  settings: SettingsTable;
  source_checks: SourceChecksTable;
}

export type Dialect = 'sqlite' | 'postgres';

export interface OpenedDb {
  db: Kysely<DB>;
  dialect: Dialect;
  /** Where the store is, for messages (no password). */
  location: string;
  /** The change epoch reader (see changes.ts). */
  epoch: ChangeEpoch;
  /** The embedded store's own handle (SQLite only), for the audit writer's batches (store/audit.ts). */
  sqlite?: Database.Database;
}

export function openDb(opts: { databaseUrl?: string | undefined; dataDir: string; poolMax?: number }): OpenedDb {
  if (opts.databaseUrl) {
    const pool = new pg.Pool({
      connectionString: opts.databaseUrl,
      max: opts.poolMax ?? 10,
      connectionTimeoutMillis: 10_000,
      idleTimeoutMillis: 30_000,
      application_name: 'sequel-store',
    });
    // An idle connection dropped by the server must not crash the process; the next checkout reconnects.
    pool.on('error', () => {});
    // A checked-out connection the server terminates between two queries (pg_terminate_backend, a
    // failover) emits 'error' with no pool listener attached: without this the process would crash. The
    // failure still reaches the caller through its query; the pool drops the broken connection.
    pool.on('connect', (client) => client.on('error', () => {}));
    const u = new URL(opts.databaseUrl);
    u.password = '';
    return {
      db: new Kysely<DB>({ dialect: new PostgresDialect({ pool }) }),
      dialect: 'postgres',
      location: u.toString(),
      epoch: postgresEpoch(pool),
    };
  }
  fs.mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(opts.dataDir, 'sequel.db');
  // Hashes and encrypted credentials live here: owner-only, like the server key.
  fs.closeSync(fs.openSync(file, 'a', 0o600));
  const sqlite = new Database(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  // Several processes (the server and a CLI command) may use the file at once.
  sqlite.pragma('busy_timeout = 5000');
  return { db: new Kysely<DB>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) }), dialect: 'sqlite', location: file, epoch: sqliteEpoch(sqlite), sqlite };
}

/**
 * Kysely's SQLite driver prepares every statement anew; preparing costs more than running the indexed
 * lookups the request path makes (key check, source list). Statements are reused by SQL text. Safe
 * because Kysely runs one query at a time on its single SQLite connection.
 */
function withStatementCache(db: Database.Database, max = 256) {
  const cache = new Map<string, Database.Statement>();
  return {
    close: () => db.close(),
    prepare(sql: string) {
      let stmt = cache.get(sql);
      if (!stmt) {
        stmt = db.prepare(sql);
        if (cache.size >= max) cache.delete(cache.keys().next().value!);
        cache.set(sql, stmt);
      }
      return stmt;
    },
  };
}

export function now(): string {
  return new Date().toISOString();
}
