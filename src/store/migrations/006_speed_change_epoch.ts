import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../db.js';

/**
 * The change epoch: one counter that every write able to change who may do what moves, in the same
 * transaction as the write (triggers, so the CLI, the dashboard, oidc-provider and any replica are all
 * covered without each remembering to). Servers keep credentials and source lists in memory, tagged with
 * the epoch they were read at, and read the epoch — one indexed single-row read — on every request: a
 * revocation committed anywhere is seen by the very next request on every replica (BRIEF §1).
 *
 * Watched: api_keys (revocation, expiry, scope, owner), memberships, users, organizations, sources,
 * oauth_models (tokens changed or deleted), oauth_authorizations (revocation, expiry, binding). Not
 * watched: inserts of keys and tokens (nothing cached can depend on a row that did not exist), and
 * last_used_at, which the request path itself writes.
 *
 * On PostgreSQL the bump is a deferred constraint trigger: it runs at commit, after every row lock the
 * transaction takes, so the one epoch row cannot take part in a lock cycle; a transaction-local setting
 * makes it one bump per transaction however many rows changed.
 */
const WATCHED: Array<{ table: string; insert: boolean; update: string[] | 'all'; delete: boolean }> = [
  { table: 'api_keys', insert: false, update: ['org_id', 'key_hash', 'created_by_user_id', 'expires_at', 'source_ids', 'revoked_at'], delete: true },
  { table: 'memberships', insert: true, update: 'all', delete: true },
  { table: 'users', insert: false, update: 'all', delete: true },
  { table: 'organizations', insert: false, update: 'all', delete: true },
  { table: 'sources', insert: true, update: 'all', delete: true },
  { table: 'oauth_models', insert: false, update: ['model', 'id', 'payload', 'grant_id', 'expires_at'], delete: true },
  {
    table: 'oauth_authorizations',
    insert: false,
    update: ['id', 'org_id', 'user_id', 'membership_created_at', 'client_id', 'client_name', 'scope', 'expires_at', 'revoked_at'],
    delete: true,
  },
];

export async function m006SpeedChangeEpoch(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('change_epoch')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('n', 'bigint', (c) => c.notNull())
    .execute();
  await sql`insert into change_epoch (id, n) values (1, 1)`.execute(db);
  if (dialect === 'postgres') {
    await sql
      .raw(
        `create function sequel_bump_change_epoch() returns trigger language plpgsql as $$
        begin
          if coalesce(current_setting('sequel.change_epoch_bumped', true), '') <> '1' then
            update change_epoch set n = n + 1 where id = 1;
            perform set_config('sequel.change_epoch_bumped', '1', true);
          end if;
          return null;
        end $$`,
      )
      .execute(db);
  }
  for (const w of WATCHED) {
    const events: string[] = [];
    if (w.insert) events.push('insert');
    if (w.delete) events.push('delete');
    const update = w.update === 'all' ? 'update' : `update of ${w.update.join(', ')}`;
    if (dialect === 'postgres') {
      await sql
        .raw(
          `create constraint trigger ${w.table}_change_epoch after ${[...events, update].join(' or ')} on ${w.table}
           deferrable initially deferred for each row execute function sequel_bump_change_epoch()`,
        )
        .execute(db);
    } else {
      // SQLite: one trigger per event (no OR); row-level, the counter simply moves more than once.
      for (const event of [...events, update]) {
        const name = `${w.table}_change_epoch_${event.split(' ')[0]}`;
        await sql.raw(`create trigger ${name} after ${event} on ${w.table} begin update change_epoch set n = n + 1 where id = 1; end`).execute(db);
      }
    }
  }
}
