import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../db.js';

/**
 * Org-written descriptions move the change epoch (migration 006) too, so a server can keep each source's
 * descriptions in memory under the epoch instead of reading them all on every schema call — with 5,000
 * described tables that read was most of a 500-name `search_schema` page. An edit anywhere (CLI,
 * dashboard, `descriptions import`, another replica) is seen by the next call on every replica. Edits are
 * rare, so moving the epoch (and re-reading credentials once) costs nothing that matters.
 */
export async function m011AnswersDescriptionsEpoch(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  if (dialect === 'postgres') {
    // The deferred constraint trigger and the function of migration 006: one bump per transaction.
    await sql
      .raw(
        `create constraint trigger descriptions_change_epoch after insert or update or delete on descriptions
         deferrable initially deferred for each row execute function sequel_bump_change_epoch()`,
      )
      .execute(db);
    return;
  }
  for (const event of ['insert', 'update', 'delete']) {
    await sql
      .raw(`create trigger descriptions_change_epoch_${event} after ${event} on descriptions begin update change_epoch set n = n + 1 where id = 1; end`)
      .execute(db);
  }
}
