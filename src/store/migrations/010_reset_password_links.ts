import type { Kysely } from 'kysely';
import type { Dialect } from '../db.js';

/**
 * One-time password reset links (issue 10): an owner or admin makes one for a member who forgot their
 * password. Like invitations, the link's token is stored only as a keyed hash; a link expires, works
 * once (`used_at`), and a newer link for the same person replaces the older one (`revoked_at`).
 * Deleting the person or the organization the link was made in deletes the link.
 */
export async function m010ResetPasswordLinks(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('password_reset_links')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    // The organization whose owner or admin made the link.
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_by_user_id', 'text', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('used_at', 'text')
    .addColumn('revoked_at', 'text')
    .execute();
  await db.schema.createIndex('password_reset_links_user_idx').on('password_reset_links').column('user_id').execute();
}
