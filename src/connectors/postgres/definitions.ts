/**
 * What the PostgreSQL guard must know of the database it guards (./guard.ts, `PgGuardContext`), read from
 * the catalog in one query: the names of functions, operators, types and casts defined outside
 * `pg_catalog` and `information_schema` (by users or extensions), and the views whose definition the guard
 * would refuse (reading a view runs its definition with the view owner's rights).
 *
 * A user-defined function, operator or type matters even when the statement names a built-in: PostgreSQL
 * resolves an unqualified call, operator or type by the best match over the whole search path, so a
 * `public.lower(integer)` is what `lower(1)` runs. Such names are judged by the source's policy
 * (`allowUserFunctions`). Read again when older than DEFINITIONS_MAX_AGE_MS (./index.ts), so a function
 * created meanwhile is known within that time.
 */
import type pg from 'pg';
import { isToolError } from '../../errors.js';
import type { Json } from '../guard/tree.js';
import { POSTGRES_DENIED_FUNCTIONS } from './functions.js';
import { checkPostgresStatementSync, loadPostgresGuard, type PgGuardContext } from './guard.js';

/** How long the definitions are trusted before they are read again. */
export const DEFINITIONS_MAX_AGE_MS = 30_000;

const NOT_BUILTIN = `NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'`;

/** One round trip: every list as a JSON array. */
export const DEFINITIONS_SQL = `SELECT
  (SELECT coalesce(json_agg(DISTINCT p.proname), '[]') FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname ${NOT_BUILTIN}) AS functions,
  (SELECT coalesce(json_agg(json_build_array(o.oprname, p.proname)), '[]') FROM pg_catalog.pg_operator o
     JOIN pg_catalog.pg_namespace n ON n.oid = o.oprnamespace LEFT JOIN pg_catalog.pg_proc p ON p.oid = o.oprcode
    WHERE n.nspname <> 'pg_catalog') AS operators,
  (SELECT coalesce(json_agg(json_build_array(t.typname, t.typtype)), '[]') FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
    WHERE n.nspname ${NOT_BUILTIN}) AS types,
  (SELECT coalesce(json_agg(json_build_array(tt.typname, c.castcontext, c.castsource::pg_catalog.regtype::text || ' AS ' || c.casttarget::pg_catalog.regtype::text)), '[]')
     FROM pg_catalog.pg_cast c JOIN pg_catalog.pg_type tt ON tt.oid = c.casttarget
    WHERE c.oid >= 16384 AND c.castmethod = 'f') AS casts,
  (SELECT coalesce(json_agg(json_build_array(n.nspname, c.relname, pg_catalog.pg_get_viewdef(c.oid))), '[]') FROM pg_catalog.pg_class c
     JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind = 'v' AND n.nspname ${NOT_BUILTIN}) AS views`;

const arr = (v: unknown): Json[] => (Array.isArray(v) ? (v as Json[]) : typeof v === 'string' ? (JSON.parse(v) as Json[]) : []);
const tuple = (v: Json): string[] => (Array.isArray(v) ? v.map((x) => (x === null ? '' : String(x))) : []);

/** Reads the definitions on `client` (inside the caller's read-only transaction). */
export async function readDefinitions(client: pg.ClientBase, allowUserFunctions: boolean): Promise<PgGuardContext> {
  await loadPostgresGuard();
  const r = await client.query({ text: DEFINITIONS_SQL, queryMode: 'extended' } as pg.QueryConfig);
  const row = (r.rows[0] ?? {}) as Record<string, unknown>;
  const userFunctions = new Set(arr(row.functions).map(String));
  const userOperators = new Map<string, string | null>();
  for (const [name, fn] of arr(row.operators).map(tuple)) {
    const denied = fn ? POSTGRES_DENIED_FUNCTIONS.match(fn) : undefined;
    const reason = denied ? `it runs ${fn}(), which is not allowed because ${denied.reason}` : null;
    if (!userOperators.has(name!) || reason) userOperators.set(name!, reason);
  }
  const userTypes = new Map(arr(row.types).map(tuple).map(([n, t]) => [n!, t!] as const));
  const userCastTargets = new Set<string>();
  let implicitUserCast: string | null = null;
  for (const [target, context, label] of arr(row.casts).map(tuple)) {
    userCastTargets.add(target!);
    if (context === 'i' || context === 'a') implicitUserCast ??= `CAST (${label})`;
  }
  const base: PgGuardContext = { allowUserFunctions, userFunctions, userOperators, userTypes, userCastTargets, implicitUserCast, refusedRelations: new Map() };

  // Views: refused when their definition is, and (to a fixed point) when they read a refused view.
  const views = arr(row.views).map(tuple);
  const refused = new Map<string, string>();
  for (let changed = true; changed; ) {
    changed = false;
    const ctx = { ...base, refusedRelations: refused };
    for (const [schema, name, definition] of views) {
      const key = `${schema}.${name}`;
      if (refused.has(key)) continue;
      let reason: string | null = null;
      try {
        checkPostgresStatementSync(definition!, { ...ctx, refusedRelations: new Map(refused) });
      } catch (err) {
        reason = isToolError(err) ? err.message.replace(/^Refused: /, '') : String(err);
      }
      if (reason !== null) {
        refused.set(key, reason);
        // Unqualified names in a statement may resolve to it (search path): refuse the bare name too.
        refused.set(name!, reason);
        changed = true;
      }
    }
  }
  return { ...base, refusedRelations: refused };
}
