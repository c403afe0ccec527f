/**
 * What each engine provides so that the shared connector conformance suite (`conformance.ts`) and the
 * hostile read-only corpus (`test/readonly/`) run against it. One file per engine in `fixtures/`.
 *
 * The standard dataset every fixture loads, in its own dialect (schema `public` for PostgreSQL, the
 * fixture's database for MySQL, `main` for SQLite and DuckDB):
 *
 *   customers(id integer primary key, name text not null, email text unique, created_at timestamp)
 *       3 rows: (1,'Ada','ada@example.com',…), (2,'Grace',…), (3,'Linus',null,…)
 *       comment on table: 'People who buy things'; on column email: 'Primary contact address'
 *       (where the engine has comments)
 *   orders(id integer primary key, customer_id integer not null references customers(id),
 *          total decimal(12,2) not null, status text not null, placed_at timestamp not null)
 *       5 rows, index orders_customer_idx on (customer_id)
 *   order_totals: view = select customer_id, count(*) as n, sum(total) as total from orders group by customer_id
 *   numbers(n bigint not null): 200,000 rows, n = 1..200000
 *
 * Engine-specific type-fidelity tables are each engine's own business (its engine test file).
 */
import type { ConnectionConfig, Engine } from '../../src/connectors/types.js';

/** The standard dataset's rows, as SQL VALUES lists every engine accepts (each fixture writes its DDL). */
export const CUSTOMER_ROWS = `
    (1, 'Ada', 'ada@example.com', '2024-01-01 10:00:00'),
    (2, 'Grace', 'grace@example.com', '2024-01-02 11:30:00'),
    (3, 'Linus', null, '2024-01-03 09:15:00')`;
export const ORDER_ROWS = `
    (1, 1, 19.99, 'paid', '2024-02-01 12:00:00'),
    (2, 1, 5.00, 'paid', '2024-02-02 12:00:00'),
    (3, 2, 120.50, 'shipped', '2024-02-03 12:00:00'),
    (4, 3, 0.99, 'cancelled', '2024-02-04 12:00:00'),
    (5, 2, 42.00, 'paid', '2024-02-05 12:00:00')`;

export interface EngineCapabilities {
  /** Named schemas beyond the default one. */
  schemas: boolean;
  /** COMMENT ON TABLE / COLUMN (or an equivalent). */
  comments: boolean;
  /** Row estimates from statistics. */
  rowEstimates: boolean;
  /** A real server process list in which a cancelled query can be seen to be gone. */
  processList: boolean;
  /**
   * Decimal columns come back as exact strings (`'19.99'`). Absent means true; an engine without a decimal
   * type (SQLite stores REAL) sets false and the conformance suite skips that check.
   */
  exactDecimals?: boolean;
}

export interface FixtureDatabase {
  /** Connects as the engine's most privileged user (PostgreSQL superuser, MariaDB root, a writable file). */
  config: ConnectionConfig;
  /** Runs administrative SQL through the raw driver, bypassing Sequel (setup and inspection only). */
  exec(sql: string): Promise<void>;
  /**
   * A digest of the whole database: every user table's contents and the schema (tables, columns, views,
   * functions, users/roles where the engine has them). Equal before and after means nothing changed.
   */
  checksum(): Promise<string>;
  /** Drops the database (or removes the file). */
  destroy(): Promise<void>;
  /**
   * Where `capabilities.processList`: how many statements whose text contains `marker` are running on
   * the server right now (not counting the one asking). The conformance suite uses it to see a cancelled
   * query gone.
   */
  running?(marker: string): Promise<number>;
}

export interface EngineFixture {
  engine: Engine;
  /** Whether the engine's server is reachable; prints why not (and throws under CI) when it is not. */
  available(): Promise<boolean>;
  /** A fresh database loaded with the standard dataset above. */
  create(): Promise<FixtureDatabase>;
  capabilities: EngineCapabilities;
  /** The engine's placeholder for the n-th (1-based) positional parameter: `$1` or `?`. */
  placeholder(n: number): string;
  /**
   * A read over the standard dataset that runs far longer than any test waits (seconds at least), for the
   * timeout, abort and explain-does-not-execute checks; e.g. `SELECT count(*) FROM numbers a CROSS JOIN
   * numbers b`. It must pass the engine's read-only guard.
   */
  slowQuery: string;
  /** A connection config whose source cannot be reached (a closed port, a missing file). */
  unreachable(): ConnectionConfig;
}
