import type { Kysely } from 'kysely';
import type { Dialect } from '../db.js';

/**
 * Which server key an API key's hash is under (`api_keys.hash_key_id`, 8 hex characters of the key's
 * fingerprint), so that `sequel rotate-server-key` can say how many keys still depend on an old server
 * key. Null for existing rows: they were all made under the store's original key. Not watched by the
 * change-epoch triggers on its own: it changes only together with `key_hash`, which is.
 */
export async function m012RotateKeyIds(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema.alterTable('api_keys').addColumn('hash_key_id', 'text').execute();
}
