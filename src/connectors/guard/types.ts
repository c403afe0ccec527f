/**
 * The read-only statement guard's contract (layer 2 of BRIEF §3). One guard per engine lives beside this
 * file (`postgres.ts`, `mysql.ts`, `sqlite.ts`, `duckdb.ts`); each parses with the engine's real grammar
 * and throws a `ToolError`:
 *   - `SYNTAX_ERROR` when the text does not parse (with the parser's message and position);
 *   - `NOT_READ_ONLY` when it is not exactly one read (or calls a side-effecting function anywhere),
 *     with a sentence naming what was refused.
 * A guard never rewrites the statement and never sees parameter values.
 */

export interface QualifiedName {
  /** The schema (or database) the statement names, or null when unqualified. */
  schema: string | null;
  name: string;
}

export interface StatementCheck {
  /**
   * The relations the statement reads, where the engine's parser can tell (PostgreSQL, MySQL);
   * null where it cannot. The policy layer uses it for allowed schemas and hidden tables.
   */
  relations: QualifiedName[] | null;
}
