/**
 * The one contract every database engine implements. The MCP tools, the CLI's `sources test` and the
 * dashboard only ever talk to a `Connector`; engine specifics (drivers, dialect, read-only mechanics,
 * value encoding) stay inside `src/connectors/<engine>/` (the read-only guard included: `guard.ts`; shared guard helpers in `src/connectors/guard/`).
 *
 * Every `Connector` enforces the read-only layers of BRIEF §3 itself, so that no caller can forget them:
 *   1. a read-only session (engine setting, read-only transaction, statement timeout);
 *   2. exactly one statement, checked with the engine's real grammar, reads only;
 *   3. parameters bound through the driver, never spliced into the text.
 */

import type { StatementShape } from '../governance/shape.js';

export type Engine = 'postgres' | 'mysql' | 'sqlite' | 'duckdb';
export const ENGINES: readonly Engine[] = ['postgres', 'mysql', 'sqlite', 'duckdb'];

export type TlsMode = 'disable' | 'require' | 'verify-full';

/** JSON values as they travel to the client. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** How to reach a source. Built in memory from the store's row; the password is decrypted only here. */
export interface ConnectionConfig {
  /**
   * A DSN (`postgres://user@host:5432/db`, `mysql://user@host:3306/db`) or a file path (SQLite,
   * DuckDB). A password in the DSN is allowed on input but the store keeps it apart, encrypted.
   */
  url: string;
  /** The password, decrypted from the store; overrides one embedded in `url`. */
  password?: string | undefined;
  /** TLS for network engines. `verify-full` checks the chain (against `ca` when given) and the host name. */
  tls?: { mode: TlsMode; ca?: string | undefined } | undefined;
  /** How long to wait for a new connection before answering SOURCE_UNAVAILABLE. */
  connectTimeoutMs: number;
  /** Upper bound on open connections (or workers) for this source on this replica. */
  poolMax: number;
  /** Default statement timeout; each call may pass a lower one. */
  statementTimeoutMs: number;
  /** The source policy's `allowUserFunctions`: whether the guard lets user-defined functions through. */
  allowUserFunctions?: boolean | undefined;
}

export const DEFAULT_CONNECTION: Omit<ConnectionConfig, 'url'> = {
  connectTimeoutMs: 5_000,
  poolMax: 5,
  statementTimeoutMs: 15_000,
};

export interface QueryOptions {
  /** Rows to return at most. The connector reads one more row to tell the caller it truncated. */
  maxRows: number;
  /** Cap on the JSON-encoded size of the returned rows, in bytes. */
  maxBytes: number;
  /** Statement timeout for this call; the backend work is cancelled when it expires. */
  timeoutMs: number;
  /** Aborts the call (client disconnected, server shutting down); the backend work is cancelled. */
  signal?: AbortSignal | undefined;
  /**
   * The database role the call runs as (per-person identity, the source policy's `identity`): PostgreSQL
   * `SET LOCAL ROLE` inside the read-only transaction. Engines without roles refuse a call that sets one.
   */
  role?: string | undefined;
}

export interface ColumnMeta {
  name: string;
  /** The engine's type name as a user would write it (`bigint`, `numeric(12,2)`, `timestamptz`, `BLOB`). */
  type: string;
}

export interface QueryResult {
  columns: ColumnMeta[];
  /** Rows as arrays in column order; values encoded by `values.ts` (exact numbers as strings, ISO times, base64 bytes). */
  rows: JsonValue[][];
  rowCount: number;
  truncated: boolean;
  /** Why the rows stopped early: the row cap or the byte cap. */
  truncatedBy?: 'max_rows' | 'max_bytes' | undefined;
  /** JSON-encoded size of `rows`, in bytes. */
  bytes: number;
}

export interface ExplainResult {
  /** The engine's plan as text, one line per node where the engine has such a form. */
  plan: string;
  /** The engine's structured plan (e.g. PostgreSQL's FORMAT JSON), when it has one. */
  structured?: JsonValue | undefined;
}

export type ObjectKind = 'table' | 'view' | 'materialized_view' | 'foreign_table';

export interface ForeignKeyTarget {
  schema: string;
  table: string;
  column: string;
}

export interface CatalogColumn {
  name: string;
  type: string;
  nullable: boolean;
  /** The default expression as the engine prints it, or null. */
  default: string | null;
  primaryKey: boolean;
  /** The database's own comment on the column (`COMMENT ON COLUMN`), or null. */
  comment: string | null;
  references: ForeignKeyTarget | null;
}

export interface CatalogIndex {
  name: string;
  columns: string[];
  unique: boolean;
  primary: boolean;
}

export interface CatalogTable {
  /** The schema (PostgreSQL, DuckDB), database (MySQL) or attached database (`main` for SQLite). */
  schema: string;
  name: string;
  kind: ObjectKind;
  comment: string | null;
  /** The engine's row estimate (statistics, not a count), or null where it has none. */
  rowEstimate: number | null;
  columns: CatalogColumn[];
  indexes: CatalogIndex[];
  /**
   * A view's defining query as the engine gives it back (PostgreSQL's `pg_get_viewdef`, MySQL's
   * `VIEW_DEFINITION`, the `CREATE VIEW` text of SQLite and DuckDB); null for tables. The policy layer
   * reads it to hide views that expose a hidden table or column.
   */
  definition?: string | null | undefined;
}

export interface Catalog {
  /** The schema unqualified names resolve to (`public`, the DSN's database, `main`). */
  defaultSchema: string;
  tables: CatalogTable[];
}

export interface IntrospectOptions {
  /** Only these schemas (the source's policy); all user schemas when absent. System schemas never appear. */
  schemas?: readonly string[] | undefined;
  signal?: AbortSignal | undefined;
}

export interface Connector {
  readonly engine: Engine;
  /** Checks that the source answers and returns its version string. "Test connection" calls this. */
  ping(signal?: AbortSignal): Promise<{ version: string }>;
  /** The user-visible tables and views with columns, keys, indexes, comments and row estimates. */
  introspect(options?: IntrospectOptions): Promise<Catalog>;
  /** Runs one read-only statement with positional parameters, streaming and capping the result. */
  query(sql: string, params: readonly unknown[], options: QueryOptions): Promise<QueryResult>;
  /** The plan of one read-only statement, without executing it. */
  explain(sql: string, params: readonly unknown[], options: Pick<QueryOptions, 'timeoutMs' | 'signal' | 'role'>): Promise<ExplainResult>;
  /**
   * What one statement reads, for the source policy (src/governance): its relations, the names it uses,
   * expansions, whole-row values. Runs the read-only guard first, so a statement that is not a read fails
   * here with the guard's error. Executes nothing.
   */
  analyze(sql: string, options?: { view?: boolean | undefined }): Promise<StatementShape>;
  /** Closes every connection; in-flight calls are cancelled. Idempotent. */
  close(): Promise<void>;
}

export type ConnectorFactory = (config: ConnectionConfig) => Connector;
