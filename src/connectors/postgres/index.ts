/**
 * The PostgreSQL connector: the statement guard (layer 2, ./guard.ts) in front of the read-only
 * session (layers 1 and 3, session.ts). Built on `pg` + `pg-cursor`; the registry (../index.ts) loads this
 * module lazily and calls `create`.
 */
import type pg from 'pg';
import { ToolError } from '../../errors.js';
import { DEFINITIONS_MAX_AGE_MS, readDefinitions } from './definitions.js';
import { checkPostgresStatement, loadPostgresGuard, type PgGuardContext } from './guard.js';
import type { Catalog, ConnectionConfig, Connector, ExplainResult, IntrospectOptions, QueryOptions, QueryResult } from '../types.js';
import { PgSession } from './session.js';
import { postgresShape } from './policy.js';
import type { StatementShape } from '../../governance/shape.js';

export { pgSettings } from './session.js';

export class PostgresConnector implements Connector {
  readonly engine = 'postgres' as const;
  protected readonly session: PgSession;
  private definitions: { at: number; ctx: PgGuardContext } | undefined;
  private loading: Promise<PgGuardContext> | undefined;

  constructor(
    private readonly config: ConnectionConfig,
    opts: { pool?: pg.Pool } = {},
  ) {
    this.session = new PgSession(config, opts);
    // Start loading the parser now, so the first query does not pay for it.
    void loadPostgresGuard().catch(() => undefined);
  }

  /**
   * What the guard knows of this database (./definitions.ts): read on first use and again when older than
   * DEFINITIONS_MAX_AGE_MS, in one query shared by concurrent callers — never a round trip per call.
   */
  protected async guardContext(signal?: AbortSignal): Promise<PgGuardContext> {
    const d = this.definitions;
    if (d && Date.now() - d.at < DEFINITIONS_MAX_AGE_MS) return d.ctx;
    this.loading ??= this.session
      .read((client) => readDefinitions(client, this.config.allowUserFunctions === true), signal)
      .then((ctx) => {
        this.definitions = { at: Date.now(), ctx };
        return ctx;
      })
      .finally(() => {
        this.loading = undefined;
      });
    return this.loading;
  }

  ping(signal?: AbortSignal): Promise<{ version: string }> {
    return this.session.ping(signal);
  }

  introspect(options: IntrospectOptions = {}): Promise<Catalog> {
    return this.session.introspect(options.schemas, options.signal);
  }

  async query(sql: string, params: readonly unknown[], options: QueryOptions): Promise<QueryResult> {
    const check = await checkPostgresStatement(sql, await this.guardContext(options.signal));
    return this.session.query(sql, params, options, { discard: check.runsUserCode });
  }

  async explain(sql: string, params: readonly unknown[], options: Pick<QueryOptions, 'timeoutMs' | 'signal' | 'role'>): Promise<ExplainResult> {
    const check = await checkPostgresStatement(sql, await this.guardContext(options.signal));
    if (check.kind !== 'select') {
      throw new ToolError(
        'INVALID_ARGUMENT',
        check.kind === 'show' ? 'SHOW has no plan; pass a query (SELECT, VALUES, TABLE, WITH … SELECT).' : 'Pass the query itself: EXPLAIN is added for you (and ANALYZE is never run).',
      );
    }
    return this.session.explain(sql, params, check.paramCount, options, { discard: check.runsUserCode });
  }

  async analyze(sql: string): Promise<StatementShape> {
    // The same verdict query() will give: with the database's definitions and the source's policy.
    const check = await checkPostgresStatement(sql, await this.guardContext());
    return postgresShape(sql, check.relations);
  }

  close(): Promise<void> {
    return this.session.close();
  }
}

export function create(config: ConnectionConfig): Connector {
  return new PostgresConnector(config);
}

export default create;
