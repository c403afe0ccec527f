import type { Compilable, CompiledQuery, QueryResult } from 'kysely';

/** The part of a Kysely instance a prepared query needs. */
export interface QueryExecutor {
  executeQuery<R>(query: CompiledQuery<R>): Promise<QueryResult<R>>;
}

/**
 * A query built and compiled once, then run with fresh parameters. Kysely's query building costs more
 * than the indexed lookups on the request path (the key check, the org's source list), so those are
 * compiled once per store.
 *
 * The builder receives placeholder values; the compiled parameter list must be exactly those
 * placeholders, in order, or the query is refused — so a value baked into the SQL text (a literal
 * instead of a parameter) can never be reused with another caller's arguments.
 */
export class PreparedQuery<R, P extends unknown[]> {
  private compiled: CompiledQuery<R> | undefined;

  constructor(
    private readonly db: QueryExecutor,
    private readonly arity: P['length'],
    private readonly build: (...placeholders: string[]) => Compilable<R>,
  ) {}

  private compile(): CompiledQuery<R> {
    const placeholders = Array.from({ length: this.arity }, (_, i) => `\u0000sequel-param-${i}\u0000`);
    const compiled = this.build(...placeholders).compile();
    const ok = compiled.parameters.length === placeholders.length && compiled.parameters.every((p, i) => p === placeholders[i]);
    if (!ok) throw new Error(`prepared query parameters do not match its placeholders: ${compiled.sql}`);
    return compiled;
  }

  async execute(...params: P): Promise<R[]> {
    this.compiled ??= this.compile();
    const { rows } = await this.db.executeQuery<R>({ ...this.compiled, parameters: params });
    return rows;
  }
}
