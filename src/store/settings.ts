import type { Kysely } from 'kysely';
import type { DB } from './db.js';

/**
 * The fingerprint of the server key the store's secrets are encrypted under: recorded by the first
 * process to start, moved to the new key by `sequel rotate-server-key` once everything is re-encrypted.
 */
export const SERVER_KEY_FINGERPRINT = 'server_key_fingerprint';

/** Instance-wide key/value settings (the server key's fingerprint, the one-time setup token's hash…). */
export class Settings {
  constructor(private readonly db: Kysely<DB>) {}

  async get(key: string): Promise<string | undefined> {
    const r = await this.db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst();
    return r?.value;
  }

  async set(key: string, value: string): Promise<void> {
    await this.db
      .insertInto('settings')
      .values({ key, value })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
      .execute();
  }

  /** Sets the key only if absent; returns the value that is now stored (first writer wins). */
  async setIfAbsent(key: string, value: string): Promise<string> {
    await this.db.insertInto('settings').values({ key, value }).onConflict((oc) => oc.column('key').doNothing()).execute();
    return (await this.get(key))!;
  }

  async delete(key: string): Promise<void> {
    await this.db.deleteFrom('settings').where('key', '=', key).execute();
  }
}
