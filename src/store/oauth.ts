/**
 * The OAuth aggregate: the authorization server's model storage (oidc-provider's adapter writes here;
 * see src/auth/oauth/adapter.ts, which decides which ids are stored as keyed hashes) and the
 * authorizations users granted — each bound to (user, organization, client), listed and revoked per
 * organization by the CLI and the dashboard.
 *
 * Revoking an authorization deletes every token of its grant in the same transaction, so the very next
 * request with one of them fails on every replica (access tokens are looked up here on every request).
 */
import type { Kysely, Selectable } from 'kysely';
import { NotFoundError } from '../errors.js';
import { now, type DB } from './db.js';
import { PreparedQuery } from './prepared.js';
import { presetFromRow } from './apiKeys.js';
import type { CredentialPreset } from '../auth/principal.js';

export interface OAuthModelsTable {
  model: string;
  /** The model's id, or an HMAC of it for token-like models. */
  id: string;
  /** JSON; for hashed models without the raw id (`jti`). */
  payload: string;
  grant_id: string | null;
  user_code: string | null;
  uid: string | null;
  created_at: string;
  expires_at: string | null;
  consumed_at: string | null;
}

export interface OAuthAuthorizationsTable {
  /** The oidc-provider grant id. */
  id: string;
  org_id: string;
  user_id: string;
  membership_created_at: string;
  client_id: string;
  client_name: string;
  redirect_uri: string;
  scope: string;
  created_at: string;
  activated_at: string | null;
  last_used_at: string | null;
  expires_at: string;
  revoked_at: string | null;
  /** The policy preset chosen at consent (policy_presets.id, same org); null = none. Migration 012. */
  preset_id: string | null;
}

// A type alias, not an interface: Kysely's withTables needs an index-signature-compatible record.
export type OAuthTables = {
  oauth_models: OAuthModelsTable;
  oauth_authorizations: OAuthAuthorizationsTable;
};

export type OAuthModelRow = Selectable<OAuthModelsTable>;

/** What may be shown about an authorization (the dashboard's "Connected apps", the CLI). */
export interface AuthorizationInfo {
  id: string;
  org_id: string;
  user_id: string;
  user_email: string;
  client_id: string;
  client_name: string;
  /** Host the client redirects to, for display. */
  redirect_host: string;
  scope: string;
  created_at: string;
  last_used_at: string | null;
  expires_at: string;
  revoked_at: string | null;
  /** The policy preset chosen at consent (its name); null = none. */
  preset_name: string | null;
}

/** An access token as the /mcp verifier sees it: the token row joined with its authorization and membership. */
export interface AccessTokenLookup {
  payload: string;
  expires_at: string | null;
  authorization_id: string | null;
  org_id: string | null;
  user_id: string | null;
  client_id: string | null;
  client_name: string | null;
  revoked_at: string | null;
  authorization_expires_at: string | null;
  last_used_at: string | null;
  /** True when the user still holds the very membership they consented under. */
  member: boolean;
  /** The preset chosen at consent; `missing` when the authorization names one its organization no longer has. */
  preset: CredentialPreset | 'missing' | null;
}

type AccessTokenRow = Omit<AccessTokenLookup, 'member' | 'preset'> & {
  role: string | null;
  preset_id: string | null;
  preset_name: string | null;
  preset_policy: string | null;
  preset_version: number | string | null;
};

export interface NewAuthorization {
  grantId: string;
  orgId: string;
  userId: string;
  membershipCreatedAt: string;
  clientId: string;
  clientName: string;
  redirectUri: string;
  scope: string;
  expiresAt: string;
  /** The preset chosen at consent, of the same organization (the consent handler checked it). */
  presetId?: string | null;
}

function hostOf(uri: string): string {
  try {
    return new URL(uri).host;
  } catch {
    return '';
  }
}

type Db = Kysely<DB & OAuthTables>;

export class OAuthStore {
  private readonly db: Db;
  /** The verifier's lookup, compiled once: it runs on every /mcp request with an OAuth token. */
  private readonly accessTokenLookup: PreparedQuery<AccessTokenRow, [string, string]>;

  constructor(db: Kysely<DB>) {
    this.db = db.withTables<OAuthTables>();
    const d = this.db;
    this.accessTokenLookup = new PreparedQuery(d, 2, (model, idHash) =>
      d
        .selectFrom('oauth_models as t')
        .leftJoin('oauth_authorizations as a', 'a.id', 't.grant_id')
        .leftJoin('memberships as m', (j) =>
          j.onRef('m.org_id', '=', 'a.org_id').onRef('m.user_id', '=', 'a.user_id').onRef('m.created_at', '=', 'a.membership_created_at'),
        )
        // Only a preset of the authorization's own organization counts.
        .leftJoin('policy_presets as p', (j) => j.onRef('p.id', '=', 'a.preset_id').onRef('p.org_id', '=', 'a.org_id'))
        .select([
          'a.preset_id',
          'p.name as preset_name',
          'p.policy as preset_policy',
          'p.version as preset_version',
          't.payload',
          't.expires_at',
          'a.id as authorization_id',
          'a.org_id',
          'a.user_id',
          'a.client_id',
          'a.client_name',
          'a.revoked_at',
          'a.expires_at as authorization_expires_at',
          'a.last_used_at',
          'm.role',
        ])
        .where('t.model', '=', model)
        .where('t.id', '=', idHash),
    );
  }

  // ---- model storage (oidc-provider adapter backend) ----

  /** Insert or replace a model row; an existing row keeps its creation time and consumption mark. */
  async upsertModel(row: Omit<OAuthModelRow, 'created_at' | 'consumed_at'>): Promise<void> {
    await this.db
      .insertInto('oauth_models')
      .values({ ...row, created_at: now(), consumed_at: null })
      .onConflict((oc) =>
        oc.columns(['model', 'id']).doUpdateSet({
          payload: row.payload,
          grant_id: row.grant_id,
          user_code: row.user_code,
          uid: row.uid,
          expires_at: row.expires_at,
        }),
      )
      .execute();
  }

  async findModel(model: string, id: string): Promise<OAuthModelRow | undefined> {
    return this.db.selectFrom('oauth_models').selectAll().where('model', '=', model).where('id', '=', id).executeTakeFirst();
  }

  /** Rows of these models whose payload holds an encrypted field (for `sequel rotate-server-key`). */
  async modelsWithEncryptedFields(models: string[]): Promise<Array<{ model: string; id: string; payload: string }>> {
    return this.db
      .selectFrom('oauth_models')
      .select(['model', 'id', 'payload'])
      .where('model', 'in', models)
      .where('payload', 'like', '%"enc":%')
      .orderBy('model')
      .orderBy('id')
      .execute();
  }

  /** Replaces payloads in one transaction, each only if unchanged meanwhile; returns how many were replaced. */
  async replacePayloads(changes: Array<{ model: string; id: string; from: string; to: string }>): Promise<number> {
    return this.db.transaction().execute(async (tx) => {
      let n = 0;
      for (const c of changes) {
        const r = await tx
          .updateTable('oauth_models')
          .set({ payload: c.to })
          .where('model', '=', c.model)
          .where('id', '=', c.id)
          .where('payload', '=', c.from)
          .executeTakeFirst();
        n += Number(r.numUpdatedRows);
      }
      return n;
    });
  }

  async findModelBy(model: string, column: 'uid' | 'user_code', value: string): Promise<OAuthModelRow | undefined> {
    return this.db.selectFrom('oauth_models').selectAll().where('model', '=', model).where(column, '=', value).executeTakeFirst();
  }

  /**
   * Marks a row consumed. Returns false when it was consumed already (by a concurrent request, say):
   * the update is conditional, so of two racing redemptions of one code exactly one wins.
   */
  async consumeModel(model: string, id: string, at: string): Promise<boolean> {
    const r = await this.db
      .updateTable('oauth_models')
      .set({ consumed_at: at })
      .where('model', '=', model)
      .where('id', '=', id)
      .where('consumed_at', 'is', null)
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  async destroyModelBy(model: string, column: 'uid' | 'user_code', value: string): Promise<void> {
    await this.db.deleteFrom('oauth_models').where('model', '=', model).where(column, '=', value).execute();
  }

  async destroyModel(model: string, id: string): Promise<void> {
    await this.db.deleteFrom('oauth_models').where('model', '=', model).where('id', '=', id).execute();
  }

  /**
   * Revokes a whole grant: every token and code issued under it and the grant itself are deleted, and
   * its authorization is marked revoked. Idempotent (oidc-provider calls it once per token model).
   */
  async revokeGrant(grantId: string, at = now()): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('oauth_models').where('grant_id', '=', grantId).execute();
      await tx.deleteFrom('oauth_models').where('model', '=', 'Grant').where('id', '=', grantId).execute();
      await tx.updateTable('oauth_authorizations').set({ revoked_at: at }).where('id', '=', grantId).where('revoked_at', 'is', null).execute();
    });
  }

  // ---- authorizations ----

  async createAuthorization(a: NewAuthorization): Promise<void> {
    await this.db
      .insertInto('oauth_authorizations')
      .values({
        id: a.grantId,
        org_id: a.orgId,
        user_id: a.userId,
        membership_created_at: a.membershipCreatedAt,
        client_id: a.clientId,
        client_name: a.clientName,
        redirect_uri: a.redirectUri,
        scope: a.scope,
        created_at: now(),
        activated_at: null,
        last_used_at: null,
        expires_at: a.expiresAt,
        revoked_at: null,
        preset_id: a.presetId ?? null,
      })
      .execute();
  }

  /** Called when the authorization's first token is issued. */
  async activateAuthorization(grantId: string, at = now()): Promise<void> {
    await this.db.updateTable('oauth_authorizations').set({ activated_at: at }).where('id', '=', grantId).where('activated_at', 'is', null).execute();
  }

  /**
   * Whether tokens may still be issued under this grant: the authorization exists, is not revoked or
   * expired, and its user still holds the membership they consented under.
   */
  async authorizationUsable(grantId: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('oauth_authorizations as a')
      .innerJoin('memberships as m', (j) =>
        j.onRef('m.org_id', '=', 'a.org_id').onRef('m.user_id', '=', 'a.user_id').onRef('m.created_at', '=', 'a.membership_created_at'),
      )
      .select(['a.id', 'a.expires_at'])
      .where('a.id', '=', grantId)
      .where('a.revoked_at', 'is', null)
      .executeTakeFirst();
    return row !== undefined && row.expires_at > now();
  }

  /** One round trip for the /mcp verifier: the access token, its authorization and the membership. */
  async findAccessToken(idHash: string): Promise<AccessTokenLookup | undefined> {
    const [row] = await this.accessTokenLookup.execute('AccessToken', idHash);
    if (!row) return undefined;
    const { role, preset_id, preset_name, preset_policy, preset_version, ...rest } = row;
    return { ...rest, member: role != null, preset: presetFromRow({ preset_id, preset_name, preset_policy, preset_version }) };
  }

  async touchAuthorization(id: string, at: string): Promise<void> {
    await this.db.updateTable('oauth_authorizations').set({ last_used_at: at }).where('id', '=', id).execute();
  }

  /**
   * The organization's authorizations, newest first: by default the live ones (redeemed, not revoked,
   * not expired, the user still a member under the same membership).
   */
  async listAuthorizations(orgId: string, opts: { includeInactive?: boolean } = {}): Promise<AuthorizationInfo[]> {
    let q = this.db
      .selectFrom('oauth_authorizations as a')
      .innerJoin('users as u', 'u.id', 'a.user_id')
      .leftJoin('memberships as m', (j) =>
        j.onRef('m.org_id', '=', 'a.org_id').onRef('m.user_id', '=', 'a.user_id').onRef('m.created_at', '=', 'a.membership_created_at'),
      )
      .leftJoin('policy_presets as p', (j) => j.onRef('p.id', '=', 'a.preset_id').onRef('p.org_id', '=', 'a.org_id'))
      .select([
        'p.name as preset_name',
        'a.id',
        'a.org_id',
        'a.user_id',
        'u.email as user_email',
        'a.client_id',
        'a.client_name',
        'a.redirect_uri',
        'a.scope',
        'a.created_at',
        'a.last_used_at',
        'a.expires_at',
        'a.revoked_at',
      ])
      .where('a.org_id', '=', orgId);
    if (!opts.includeInactive) {
      q = q
        .where('a.revoked_at', 'is', null)
        .where('a.activated_at', 'is not', null)
        .where('a.expires_at', '>', now())
        .where('m.role', 'is not', null);
    }
    const rows = await q.orderBy('a.created_at', 'desc').execute();
    return rows.map(({ redirect_uri, ...r }) => ({ ...r, redirect_host: hostOf(redirect_uri) }));
  }

  /** Revokes one authorization of the org (and every token of it); effective on the next request. */
  async revokeAuthorization(orgId: string, id: string): Promise<AuthorizationInfo> {
    const found = (await this.listAuthorizations(orgId, { includeInactive: true })).find((a) => a.id === id.trim());
    if (!found || found.revoked_at !== null) throw new NotFoundError(`no active authorization "${id}" in this organization`);
    const at = now();
    await this.revokeGrant(found.id, at);
    return { ...found, revoked_at: at };
  }

  /** Revokes every authorization a user granted in an org (e.g. when they leave it). Returns how many. */
  async revokeAuthorizationsOfMember(orgId: string, userId: string): Promise<number> {
    const ids = await this.db
      .selectFrom('oauth_authorizations')
      .select('id')
      .where('org_id', '=', orgId)
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .execute();
    for (const { id } of ids) await this.revokeGrant(id);
    return ids.length;
  }

  /**
   * Deletes what can no longer be used: expired model rows (consumed refresh tokens stay until they
   * expire, so reuse is still detected), consents never redeemed, authorizations expired or revoked
   * for 30 days, and dynamically registered clients unused for a week.
   */
  async purge(at = new Date()): Promise<void> {
    const nowIso = at.toISOString();
    const hourAgo = new Date(at.getTime() - 3600_000).toISOString();
    const monthAgo = new Date(at.getTime() - 30 * 86400_000).toISOString();
    const weekAgo = new Date(at.getTime() - 7 * 86400_000).toISOString();
    await this.db.deleteFrom('oauth_models').where('expires_at', '<', nowIso).execute();
    const stale = await this.db
      .selectFrom('oauth_authorizations')
      .select('id')
      .where((eb) =>
        eb.or([
          eb.and([eb('activated_at', 'is', null), eb('created_at', '<', hourAgo)]),
          eb('expires_at', '<', monthAgo),
          eb('revoked_at', '<', monthAgo),
        ]),
      )
      .execute();
    for (const { id } of stale) {
      await this.db.transaction().execute(async (tx) => {
        await tx.deleteFrom('oauth_models').where('grant_id', '=', id).execute();
        await tx.deleteFrom('oauth_models').where('model', '=', 'Grant').where('id', '=', id).execute();
        await tx.deleteFrom('oauth_authorizations').where('id', '=', id).execute();
      });
    }
    await this.db
      .deleteFrom('oauth_models')
      .where('model', '=', 'Client')
      .where('created_at', '<', weekAgo)
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('oauth_authorizations as a')
              .select('a.id')
              .whereRef('a.client_id', '=', 'oauth_models.id')
              .where('a.revoked_at', 'is', null),
          ),
        ),
      )
      .execute();
  }
}
