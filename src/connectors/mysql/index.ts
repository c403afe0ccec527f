/**
 * The MySQL/MariaDB connector: the statement guard (layer 2, ./guard.ts) in front of the read-only
 * session (layers 1 and 3, session.ts). Built on mysql2; the registry (../index.ts) loads this module
 * lazily and calls `create`. Written to MariaDB 10.11 (tested) and MySQL 8 (the differences — statement
 * timeout variable, EXPLAIN FORMAT=TREE, JSON type, COLUMN_DEFAULT quoting — are handled by flavor).
 */
import { ToolError } from '../../errors.js';
import { mysqlShape } from './policy.js';
import type { StatementShape } from '../../governance/shape.js';
import { checkMysqlStatement, exposingViews, lexMysql, loadMysqlGuard } from './guard.js';
import type { ToolError as GuardRefusal } from '../../errors.js';
import type { Catalog, ConnectionConfig, Connector, ExplainResult, IntrospectOptions, QueryOptions, QueryResult } from '../types.js';
import { MysqlSession } from './session.js';

export { MysqlSession, mysqlSettings } from './session.js';

export class MysqlConnector implements Connector {
  readonly engine = 'mysql' as const;
  private readonly session: MysqlSession;

  constructor(private readonly config: ConnectionConfig) {
    this.session = new MysqlSession(config);
    // Start loading the parser now, so the first query does not pay for it.
    void loadMysqlGuard().catch(() => undefined);
  }

  ping(signal?: AbortSignal): Promise<{ version: string }> {
    return this.session.ping(signal);
  }

  introspect(options: IntrospectOptions = {}): Promise<Catalog> {
    return this.session.introspect(options.schemas, options.signal);
  }

  private exposing: { generation: number; flavor: string | undefined; views: Map<string, GuardRefusal> } | undefined;

  private async check(sql: string, params: readonly unknown[]) {
    const policy = {
      flavor: this.session.serverFlavor,
      database: this.session.defaultDatabase,
      allowUserFunctions: this.config.allowUserFunctions === true,
    };
    let check = await checkMysqlStatement(sql, policy);
    // The guard cannot see through a view: views whose definition it would refuse are refused by name
    // (the definitions come from the server, so this second check runs once the text alone has passed).
    const schemas = qualifiers(sql);
    if (policy.database) schemas.push(policy.database);
    const defs = await this.session.viewDefinitions(schemas);
    if (!this.exposing || this.exposing.generation !== defs.generation || this.exposing.flavor !== policy.flavor) {
      this.exposing = { generation: defs.generation, flavor: policy.flavor, views: exposingViews(defs.list, policy) };
    }
    if (this.exposing.views.size > 0) {
      check = await checkMysqlStatement(sql, { ...policy, views: this.exposing.views, viewsGeneration: defs.generation * 2 + (policy.flavor ? 1 : 0) });
    }
    if (check.paramCount !== params.length) {
      throw new ToolError(
        'INVALID_ARGUMENT',
        `The statement has ${check.paramCount} ? placeholder${check.paramCount === 1 ? '' : 's'} but ${params.length} parameter${params.length === 1 ? ' was' : 's were'} given.`,
      );
    }
    return check;
  }

  async query(sql: string, params: readonly unknown[], options: QueryOptions): Promise<QueryResult> {
    await this.check(sql, params);
    return this.session.query(sql, params, options);
  }

  async explain(sql: string, params: readonly unknown[], options: Pick<QueryOptions, 'timeoutMs' | 'signal' | 'role'>): Promise<ExplainResult> {
    const check = await this.check(sql, params);
    if (check.kind !== 'select') {
      throw new ToolError(
        'INVALID_ARGUMENT',
        check.kind === 'explain'
          ? 'Pass the query itself: EXPLAIN is added for you (and ANALYZE is never run).'
          : `${check.kind === 'show' ? 'SHOW' : 'DESCRIBE'} has no plan; pass a query (SELECT, WITH … SELECT, TABLE, VALUES).`,
      );
    }
    return this.session.explain(sql, params, options);
  }

  async analyze(sql: string): Promise<StatementShape> {
    const check = await checkMysqlStatement(sql, {
      flavor: this.session.serverFlavor,
      database: this.session.defaultDatabase,
      allowUserFunctions: this.config.allowUserFunctions === true,
    });
    return mysqlShape(sql, check);
  }

  close(): Promise<void> {
    return this.session.close();
  }
}

/** The names that qualify another name in the text (`db` in `db.t`; aliases too), except the system databases. */
function qualifiers(sql: string): string[] {
  const tokens = lexMysql(sql);
  const out: string[] = [];
  for (let k = 0; k + 2 < tokens.length; k++) {
    const t = tokens[k]!;
    if ((t.kind === 'word' || t.kind === 'qident') && tokens[k + 1]?.kind === 'op' && tokens[k + 1]!.value === '.' && !(tokens[k - 1]?.kind === 'op' && tokens[k - 1]!.value === '.')) {
      if (!SYSTEM.has(t.value.toLowerCase())) out.push(t.value);
    }
  }
  return out;
}
const SYSTEM = new Set(['information_schema', 'mysql', 'performance_schema', 'sys']);

export function create(config: ConnectionConfig): Connector {
  return new MysqlConnector(config);
}

export default create;
