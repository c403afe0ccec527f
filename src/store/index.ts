/**
 * The store: one Kysely handle and one module per aggregate. `openStore` opens the embedded SQLite file
 * or PostgreSQL, and `migrate` brings the schema up to date (idempotent, safe to run from several
 * replicas at once: Kysely's migrator takes a lock).
 */
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { ValidationError } from '../errors.js';
import { Migrator, sql, type Kysely, type MigrationResultSet } from 'kysely';
import { ApiKeys } from './apiKeys.js';
import { AuditLog } from './audit.js';
import type { ChangeEpoch } from './changes.js';
import { openDb, type DB, type Dialect } from './db.js';
import { Descriptions } from './descriptions.js';
import { Invitations } from './invitations.js';
import { StaticMigrationProvider } from './migrations/index.js';
import { OAuthStore } from './oauth.js';
import { Presets } from './presets.js';
import { Organizations } from './orgs.js';
import { PasswordResets } from './passwordResets.js';
import { Sessions } from './sessions.js';
import { Settings } from './settings.js';
import { SourceChecks } from './sourceChecks.js';
import { Sources } from './sources.js';
import { Users } from './users.js';

export class Store {
  readonly orgs: Organizations;
  readonly users: Users;
  readonly apiKeys: ApiKeys;
  readonly sources: Sources;
  readonly descriptions: Descriptions;
  readonly audit: AuditLog;
  readonly settings: Settings;
  readonly oauth: OAuthStore;
  readonly sessions: Sessions;
  readonly invitations: Invitations;
  readonly passwordResets: PasswordResets;
  readonly sourceChecks: SourceChecks;
  readonly presets: Presets;

  constructor(
    readonly db: Kysely<DB>,
    readonly dialect: Dialect,
    readonly location: string,
    /** The change epoch (migration 003): what the request path's caches are checked against. */
    readonly epoch: ChangeEpoch,
    sqlite?: Database.Database,
  ) {
    this.orgs = new Organizations(db);
    this.users = new Users(db);
    this.apiKeys = new ApiKeys(db);
    this.sources = new Sources(db);
    this.descriptions = new Descriptions(db);
    this.audit = new AuditLog(db, sqlite);
    this.settings = new Settings(db);
    this.oauth = new OAuthStore(db);
    this.sessions = new Sessions(db);
    this.invitations = new Invitations(db);
    this.passwordResets = new PasswordResets(db);
    this.sourceChecks = new SourceChecks(db);
    this.presets = new Presets(db);
  }

  /**
   * Applies pending migrations; returns the names applied now. Safe when several processes start on the
   * same empty store at once. On PostgreSQL, Kysely's migrator runs in one transaction under an advisory
   * lock. On SQLite it takes no lock and runs DDL outside a transaction (the adapter declares no
   * transactional DDL), so two processes would both create the first table and one would crash: there
   * the whole run is wrapped in `BEGIN IMMEDIATE`, which takes SQLite's write lock up front so other
   * starters wait (busy_timeout, then retried) and then find nothing left to do. The Kysely SQLite driver
   * has a single connection, so the migrator's statements run inside that transaction.
   */
  async migrate(): Promise<string[]> {
    const provider = new StaticMigrationProvider(this.dialect);
    if (this.dialect === 'postgres') return applied(await new Migrator({ db: this.db, provider }).migrateToLatest());
    return this.db.connection().execute(async (conn) => {
      for (let attempt = 0; ; attempt++) {
        try {
          await sql`begin immediate`.execute(conn);
          break;
        } catch (err) {
          // SQLITE_BUSY after busy_timeout: another process is migrating; keep waiting (bounded).
          if (!String((err as { code?: unknown }).code ?? '').startsWith('SQLITE_BUSY') || attempt >= 24) throw err;
        }
      }
      try {
        const result = applied(await new Migrator({ db: conn, provider }).migrateToLatest());
        await sql`commit`.execute(conn);
        return result;
      } catch (err) {
        await sql`rollback`.execute(conn).catch(() => {});
        throw err;
      }
    });
  }

  /**
   * Writes a consistent copy of the SQLite store to `file` with SQLite's online backup, while other
   * processes keep reading and writing. PostgreSQL stores are backed up with pg_dump instead.
   */
  async backup(file: string): Promise<number> {
    if (this.dialect !== 'sqlite') throw new ValidationError('the store is PostgreSQL: back it up with pg_dump (see docs/deploy.md)');
    if (fs.existsSync(file)) throw new ValidationError(`${file} already exists; choose a new file`);
    const source = new Database(this.location, { readonly: true, fileMustExist: true });
    try {
      source.pragma('busy_timeout = 5000');
      const { totalPages } = await source.backup(file);
      fs.chmodSync(file, 0o600);
      return totalPages;
    } finally {
      source.close();
    }
  }

  /** A cheap round trip, for /readyz. */
  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}

function applied({ error, results }: MigrationResultSet): string[] {
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

export function openStore(opts: { databaseUrl?: string | undefined; dataDir: string }): Store {
  const { db, dialect, location, epoch, sqlite } = openDb(opts);
  return new Store(db, dialect, location, epoch, sqlite);
}

export type { Dialect, Role } from './db.js';
