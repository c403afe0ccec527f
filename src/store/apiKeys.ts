import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { NotFoundError, ValidationError } from '../errors.js';
import { now, type ApiKeysTable, type DB } from './db.js';
import { PreparedQuery } from './prepared.js';
import { presetPolicyOf } from './presets.js';
import type { CredentialPreset } from '../auth/principal.js';

export type ApiKeyRow = Selectable<ApiKeysTable>;

/** What may be shown about a key: never its hash. */
export interface ApiKeyInfo {
  id: string;
  org_id: string;
  name: string;
  prefix: string;
  /** The user the key belongs to; null for keys made by the operator (CLI). */
  created_by_user_id: string | null;
  created_by: string;
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
  /** Source ids the key is limited to; null = all of the org's sources. */
  source_ids: string[] | null;
  revoked_at: string | null;
  /** The policy preset the key is narrowed to; null = none. */
  preset_id: string | null;
}

/** A live key as the bearer check sees it. */
export interface ActiveApiKey {
  id: string;
  org_id: string;
  name: string;
  prefix: string;
  created_by_user_id: string | null;
  expires_at: string | null;
  last_used_at: string | null;
  source_ids: string[] | null;
  /**
   * The key's policy preset; `missing` when the key names one its organization no longer has (removed
   * in a race with the in-use check): the bearer check refuses such a key rather than drop the preset.
   */
  preset: CredentialPreset | 'missing' | null;
}

/** The lookup's row: the key as stored, with its creator's membership role (null when there is none) and its preset. */
type ActiveRow = Omit<ActiveApiKey, 'source_ids' | 'preset'> & {
  source_ids: string | null;
  role: string | null;
  preset_id: string | null;
  preset_name: string | null;
  preset_policy: string | null;
  preset_version: number | string | null;
};

/** A credential's preset from a lookup row joined with policy_presets (the key's or authorization's own org only). */
export function presetFromRow(r: { preset_id: string | null; preset_name: string | null; preset_policy: string | null; preset_version: number | string | null }): CredentialPreset | 'missing' | null {
  if (r.preset_id === null) return null;
  if (r.preset_name === null || r.preset_policy === null) return 'missing';
  return Object.freeze({ id: r.preset_id, name: r.preset_name, version: Number(r.preset_version), policy: Object.freeze(presetPolicyOf(r.preset_policy)) });
}

function parseIds(json: string | null): string[] | null {
  if (json === null) return null;
  const v = JSON.parse(json) as unknown;
  return Array.isArray(v) ? v.map(String) : null;
}

function info(row: ApiKeyRow): ApiKeyInfo {
  return {
    id: row.id,
    org_id: row.org_id,
    name: row.name,
    prefix: row.prefix,
    created_by_user_id: row.created_by_user_id,
    created_by: row.created_by,
    created_at: row.created_at,
    last_used_at: row.last_used_at,
    expires_at: row.expires_at,
    source_ids: parseIds(row.source_ids),
    revoked_at: row.revoked_at,
    preset_id: row.preset_id ?? null,
  };
}

export class ApiKeys {
  /** The bearer check's lookup, compiled once: it runs on every request. */
  private readonly byHash: PreparedQuery<ActiveRow, [string]>;

  constructor(private readonly db: Kysely<DB>) {
    this.byHash = new PreparedQuery(db, 1, (hash) =>
      db
        .selectFrom('api_keys as k')
        .leftJoin('memberships as m', (j) => j.onRef('m.org_id', '=', 'k.org_id').onRef('m.user_id', '=', 'k.created_by_user_id'))
        // Only a preset of the key's own organization counts, whatever the id says.
        .leftJoin('policy_presets as p', (j) => j.onRef('p.id', '=', 'k.preset_id').onRef('p.org_id', '=', 'k.org_id'))
        .select([
          'k.id',
          'k.org_id',
          'k.name',
          'k.prefix',
          'k.created_by_user_id',
          'k.expires_at',
          'k.last_used_at',
          'k.source_ids',
          'm.role',
          'k.preset_id',
          'p.name as preset_name',
          'p.policy as preset_policy',
          'p.version as preset_version',
        ])
        .where('k.key_hash', '=', hash)
        .where('k.revoked_at', 'is', null),
    );
  }

  async insert(input: {
    orgId: string;
    name: string;
    prefix: string;
    keyHash: string;
    /** The server key the hash is under (its id). */
    keyId: string;
    createdByUserId: string | null;
    createdBy: string;
    expiresAt: string | null;
    sourceIds: string[] | null;
    /** A preset of the same organization (the caller resolved it there). */
    presetId?: string | null;
  }): Promise<ApiKeyInfo> {
    const name = input.name.trim();
    if (!name || name.length > 100) throw new ValidationError('a key needs a name of 1-100 characters');
    const row: ApiKeyRow = {
      id: randomUUID(),
      org_id: input.orgId,
      name,
      prefix: input.prefix,
      key_hash: input.keyHash,
      hash_key_id: input.keyId,
      created_by_user_id: input.createdByUserId,
      created_by: input.createdBy,
      created_at: now(),
      last_used_at: null,
      expires_at: input.expiresAt,
      source_ids: input.sourceIds ? JSON.stringify(input.sourceIds) : null,
      revoked_at: null,
      preset_id: input.presetId ?? null,
    };
    await this.db.insertInto('api_keys').values(row).execute();
    return info(row);
  }

  /**
   * The live key with this hash: not revoked, and — when a user created it — that user still a member
   * of the key's organization. Expiry is checked by the caller (it needs the time anyway).
   */
  async findActiveByHash(keyHash: string): Promise<ActiveApiKey | undefined> {
    const [row] = await this.byHash.execute(keyHash);
    if (!row) return undefined;
    if (row.created_by_user_id !== null && row.role == null) return undefined;
    return {
      id: row.id,
      org_id: row.org_id,
      name: row.name,
      prefix: row.prefix,
      created_by_user_id: row.created_by_user_id,
      expires_at: row.expires_at,
      last_used_at: row.last_used_at,
      source_ids: parseIds(row.source_ids),
      preset: presetFromRow(row),
    };
  }

  /** Moves a key's hash to the current server key (`hash_key_id`), if it is still the old one. */
  async rehash(id: string, oldHash: string, newHash: string, keyId: string): Promise<void> {
    await this.db.updateTable('api_keys').set({ key_hash: newHash, hash_key_id: keyId }).where('id', '=', id).where('key_hash', '=', oldHash).execute();
  }

  /**
   * Live keys (not revoked, not expired) whose hash is under a server key other than `keyId`, oldest
   * first. `legacyKeyId` is the key hashes without a recorded key id were made under (keys made before
   * key rings existed: the store's original key).
   */
  async hashedUnderOtherKeys(keyId: string, legacyKeyId: string): Promise<Array<{ id: string; org_id: string; name: string; prefix: string; key_id: string }>> {
    const at = now();
    const rows = await this.db
      .selectFrom('api_keys')
      .select(['id', 'org_id', 'name', 'prefix', 'hash_key_id', 'created_at'])
      .where('revoked_at', 'is', null)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', at)]))
      .orderBy('created_at')
      .execute();
    return rows
      .map((r) => ({ id: r.id, org_id: r.org_id, name: r.name, prefix: r.prefix, key_id: r.hash_key_id ?? legacyKeyId }))
      .filter((r) => r.key_id !== keyId);
  }

  /** Records `keyId` as the server key of hashes made before key ids were recorded (migration 014). */
  async fillKeyIds(keyId: string): Promise<number> {
    const r = await this.db.updateTable('api_keys').set({ hash_key_id: keyId }).where('hash_key_id', 'is', null).executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  async touch(id: string, at: string): Promise<void> {
    await this.db.updateTable('api_keys').set({ last_used_at: at }).where('id', '=', id).execute();
  }

  async list(orgId: string, opts: { includeRevoked?: boolean } = {}): Promise<ApiKeyInfo[]> {
    let q = this.db.selectFrom('api_keys').selectAll().where('org_id', '=', orgId);
    if (!opts.includeRevoked) q = q.where('revoked_at', 'is', null);
    const rows = await q.orderBy('created_at', 'desc').execute();
    return rows.map(info);
  }

  /**
   * Revokes one key of the org, named by id or by its displayed prefix (with or without the trailing
   * ellipsis). An ambiguous prefix is refused rather than guessed.
   */
  async revoke(orgId: string, idOrPrefix: string): Promise<ApiKeyInfo> {
    const needle = idOrPrefix.trim().replace(/(…|\.\.\.)$/, '');
    const rows = await this.db
      .selectFrom('api_keys')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('revoked_at', 'is', null)
      .where((eb) => eb.or([eb('id', '=', needle), eb('prefix', '=', needle)]))
      .execute();
    if (rows.length === 0) throw new NotFoundError(`no active key "${idOrPrefix}" in this organization`);
    if (rows.length > 1) throw new ValidationError(`"${idOrPrefix}" matches ${rows.length} keys; use the key id`);
    const row = rows[0]!;
    const at = now();
    await this.db.updateTable('api_keys').set({ revoked_at: at }).where('id', '=', row.id).execute();
    return info({ ...row, revoked_at: at });
  }

  /** Narrows a live key of the org to a preset (of the same org; the caller resolved it there), or clears it. */
  async setPreset(orgId: string, id: string, presetId: string | null): Promise<ApiKeyInfo> {
    const r = await this.db.updateTable('api_keys').set({ preset_id: presetId }).where('id', '=', id).where('org_id', '=', orgId).where('revoked_at', 'is', null).executeTakeFirst();
    if (r.numUpdatedRows === 0n) throw new NotFoundError('no such active key in this organization');
    const row = await this.db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    return info(row);
  }

  /** Revokes every live key of `name` in the org (the install dialog re-provisions `sequel_mcp`). */
  async revokeByName(orgId: string, name: string): Promise<number> {
    const r = await this.db
      .updateTable('api_keys')
      .set({ revoked_at: now() })
      .where('org_id', '=', orgId)
      .where('name', '=', name)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }
}
