/** Parse trees as JSON (libpg-query's and sqlparser-rs's), and what the PostgreSQL and MySQL guards need to walk them. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type Obj = { [key: string]: Json };

export function isObj(v: Json | undefined): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** CTE names visible at a point of the tree, innermost first (an unqualified name there is not a table). */
export interface Scope {
  names: ReadonlySet<string>;
  parent: Scope | null;
}

/** Names compare exactly: a dialect with case-insensitive names folds them before calling. */
export function inScope(scope: Scope | null, name: string): boolean {
  for (let s = scope; s; s = s.parent) if (s.names.has(name)) return true;
  return false;
}

export function withNames(scope: Scope | null, names: readonly string[]): Scope | null {
  return names.length ? { names: new Set(names), parent: scope } : scope;
}
