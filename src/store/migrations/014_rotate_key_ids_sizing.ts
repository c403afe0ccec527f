import type { Kysely } from 'kysely';
import type { Dialect } from '../db.js';

/**
 * - `api_keys.hash_key_id`: which server key an API key's hash is under (8 hex characters of the key's
 *   fingerprint), so that `sequel rotate-server-key` can say how many keys still depend on an old server
 *   key. Null for existing rows: they were all made under the store's original key. Not watched by the
 *   change-epoch triggers on its own: it changes only together with `key_hash`, which is.
 * - `source_checks.sizing_warnings`: the sizing check's warnings (JSON array; null = not checked), shown
 *   with the source like the least-privilege warnings.
 */
export async function m014RotateKeyIdsSizing(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema.alterTable('api_keys').addColumn('hash_key_id', 'text').execute();
  await db.schema.alterTable('source_checks').addColumn('sizing_warnings', 'text').execute();
}
