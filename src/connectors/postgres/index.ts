/**
 * The PostgreSQL connector: the statement guard (layer 2, ./guard.ts) in front of the read-only
 * session (layers 1 and 3, session.ts). Built on `pg` + `pg-cursor`; the registry (../index.ts) loads this
 * module lazily and calls `create`.
 */
import type pg from 'pg';
import { ToolError } from '../../errors.js';
import { checkPostgresStatement, loadPostgresGuard } from './guard.js';
import type { Catalog, ConnectionConfig, Connector, ExplainResult, IntrospectOptions, QueryOptions, QueryResult } from '../types.js';
import { PgSession } from './session.js';
import { postgresShape } from './policy.js';
import type { StatementShape } from '../../governance/shape.js';

export { pgSettings } from './session.js';

export class PostgresConnector implements Connector {
  readonly engine = 'postgres' as const;
  private readonly session: PgSession;

  constructor(config: ConnectionConfig, opts: { pool?: pg.Pool } = {}) {
    this.session = new PgSession(config, opts);
    // Start loading the parser now, so the first query does not pay for it.
    void loadPostgresGuard().catch(() => undefined);
  }

  ping(signal?: AbortSignal): Promise<{ version: string }> {
    return this.session.ping(signal);
  }

  introspect(options: IntrospectOptions = {}): Promise<Catalog> {
    return this.session.introspect(options.schemas, options.signal);
  }

  async query(sql: string, params: readonly unknown[], options: QueryOptions): Promise<QueryResult> {
    await checkPostgresStatement(sql);
    return this.session.query(sql, params, options);
  }

  async explain(sql: string, params: readonly unknown[], options: Pick<QueryOptions, 'timeoutMs' | 'signal'>): Promise<ExplainResult> {
    const check = await checkPostgresStatement(sql);
    if (check.kind !== 'select') {
      throw new ToolError(
        'INVALID_ARGUMENT',
        check.kind === 'show' ? 'SHOW has no plan; pass a query (SELECT, VALUES, TABLE, WITH … SELECT).' : 'Pass the query itself: EXPLAIN is added for you (and ANALYZE is never run).',
      );
    }
    return this.session.explain(sql, params, check.paramCount, options);
  }

  async analyze(sql: string): Promise<StatementShape> {
    const check = await checkPostgresStatement(sql);
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
