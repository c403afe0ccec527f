import type { Kysely } from 'kysely';
import type { Dialect } from '../db.js';

/**
 * OAuth 2.1: the authorization server's storage (one generic table for every oidc-provider model) and
 * the authorizations users granted, each bound to (user, organization, client).
 */
export async function m002OAuth(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  // `id` is an HMAC of the model's id for every token-like model (access and refresh tokens, codes,
  // sessions, interactions…): a copy of this table hands out no usable credential.
  await db.schema
    .createTable('oauth_models')
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('grant_id', 'text')
    .addColumn('user_code', 'text')
    .addColumn('uid', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text')
    .addColumn('consumed_at', 'text')
    .addPrimaryKeyConstraint('oauth_models_pk', ['model', 'id'])
    .execute();
  await db.schema.createIndex('oauth_models_grant_idx').on('oauth_models').column('grant_id').execute();
  await db.schema.createIndex('oauth_models_uid_idx').on('oauth_models').columns(['model', 'uid']).execute();
  await db.schema.createIndex('oauth_models_user_code_idx').on('oauth_models').columns(['model', 'user_code']).execute();
  await db.schema.createIndex('oauth_models_expires_idx').on('oauth_models').column('expires_at').execute();

  await db.schema
    .createTable('oauth_authorizations')
    // The oidc-provider grant id: tokens carry it, so a lookup by it is a primary-key lookup.
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    // The membership the user had when consenting: a member removed and added again does not get old
    // authorizations back (BRIEF §1: a removed member's authorizations stop working at once).
    .addColumn('membership_created_at', 'text', (c) => c.notNull())
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('client_name', 'text', (c) => c.notNull())
    .addColumn('redirect_uri', 'text', (c) => c.notNull())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    // Set when the first token is issued; a consent whose code was never redeemed is not listed.
    .addColumn('activated_at', 'text')
    .addColumn('last_used_at', 'text')
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('revoked_at', 'text')
    .execute();
  await db.schema.createIndex('oauth_authorizations_org_idx').on('oauth_authorizations').columns(['org_id', 'created_at']).execute();
  await db.schema.createIndex('oauth_authorizations_client_idx').on('oauth_authorizations').column('client_id').execute();
}
