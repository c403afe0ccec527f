/** Parse trees as JSON (libpg-query's and sqlparser-rs's), walked by the PostgreSQL and MySQL guards. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type Obj = { [key: string]: Json };

export function isObj(v: Json | undefined): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
