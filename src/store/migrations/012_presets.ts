import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../db.js';

/**
 * Policy presets (issue 11, item 4): organization-level named policies (the governance part of a source
 * policy) that an API key or an OAuth authorization can be narrowed to, on top of each source's own
 * policy. `api_keys.preset_id` and `oauth_authorizations.preset_id` name the preset (null: none).
 *
 * The credential caches (src/store/changes.ts) must notice a preset edited or removed and a credential's
 * preset changed: the change epoch moves on every write to `policy_presets` and on an update of either
 * `preset_id` (migration 006's pattern; its update-of column lists predate the new columns).
 *
 * `preset_id` has no foreign key on purpose: `on delete set null` would silently widen a credential, and
 * `restrict` would also count revoked keys. Removal is refused while a live credential uses the preset
 * (src/store/presets.ts), and a credential whose preset is gone anyway is refused at authentication.
 */
export async function m012Presets(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('policy_presets')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('policy', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('policy_presets_org_name', ['org_id', 'name'])
    .execute();
  await db.schema.alterTable('api_keys').addColumn('preset_id', 'text').execute();
  await db.schema.alterTable('oauth_authorizations').addColumn('preset_id', 'text').execute();

  const watched: Array<{ table: string; trigger: string; events: string[] }> = [
    { table: 'policy_presets', trigger: 'policy_presets_change_epoch', events: ['insert', 'update', 'delete'] },
    { table: 'api_keys', trigger: 'api_keys_preset_change_epoch', events: ['update of preset_id'] },
    { table: 'oauth_authorizations', trigger: 'oauth_authorizations_preset_change_epoch', events: ['update of preset_id'] },
  ];
  for (const w of watched) {
    if (dialect === 'postgres') {
      // The function from migration 006: one bump per transaction, at commit.
      await sql
        .raw(
          `create constraint trigger ${w.trigger} after ${w.events.join(' or ')} on ${w.table}
           deferrable initially deferred for each row execute function sequel_bump_change_epoch()`,
        )
        .execute(db);
    } else {
      for (const event of w.events) {
        await sql.raw(`create trigger ${w.trigger}_${event.split(' ')[0]} after ${event} on ${w.table} begin update change_epoch set n = n + 1 where id = 1; end`).execute(db);
      }
    }
  }
}
