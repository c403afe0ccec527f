/**
 * The store: one Kysely handle and one module per aggregate. `openStore` opens the embedded SQLite file
 * or PostgreSQL, and `migrate` brings the schema up to date (idempotent, safe to run from several
 * replicas at once: Kysely's migrator takes a lock).
 */
import { Migrator, sql, type Kysely } from 'kysely';
import { ApiKeys } from './apiKeys.js';
import { AuditLog } from './audit.js';
import { openDb, type DB, type Dialect } from './db.js';
import { Descriptions } from './descriptions.js';
import { Invitations } from './invitations.js';
import { StaticMigrationProvider } from './migrations/index.js';
import { OAuthStore } from './oauth.js';
import { Organizations } from './orgs.js';
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
  readonly sourceChecks: SourceChecks;

  constructor(
    readonly db: Kysely<DB>,
    readonly dialect: Dialect,
    readonly location: string,
  ) {
    this.orgs = new Organizations(db);
    this.users = new Users(db);
    this.apiKeys = new ApiKeys(db);
    this.sources = new Sources(db);
    this.descriptions = new Descriptions(db);
    this.audit = new AuditLog(db);
    this.settings = new Settings(db);
    this.oauth = new OAuthStore(db);
    this.sessions = new Sessions(db);
    this.invitations = new Invitations(db);
    this.sourceChecks = new SourceChecks(db);
  }

  /** Applies pending migrations; returns the names applied now. */
  async migrate(): Promise<string[]> {
    const migrator = new Migrator({ db: this.db, provider: new StaticMigrationProvider(this.dialect) });
    const { error, results } = await migrator.migrateToLatest();
    if (error) throw error instanceof Error ? error : new Error(String(error));
    return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  }

  /** A cheap round trip, for /readyz. */
  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}

export function openStore(opts: { databaseUrl?: string | undefined; dataDir: string }): Store {
  const { db, dialect, location } = openDb(opts);
  return new Store(db, dialect, location);
}

export type { Dialect, Role } from './db.js';
