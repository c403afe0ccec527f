/**
 * Policy presets (issue 11, item 4): named, organization-level policies an API key or an OAuth
 * authorization can be narrowed to. A preset uses the governance vocabulary of a source policy (allowed
 * schemas, hidden tables, hidden columns and name patterns, masked columns); the policy in force for a
 * call is the source's policy intersected with the credential's preset (src/governance/presets.ts).
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { now, type DB } from './db.js';
import { isUniqueViolation } from './errors.js';
import { assertSlug } from './orgs.js';
import type { SourcePolicy } from './sources.js';

/** The part of a source policy a preset can narrow. */
export type PresetPolicy = Pick<SourcePolicy, 'allowedSchemas' | 'hiddenTables' | 'hiddenColumns' | 'maskedColumns'>;

export const EMPTY_PRESET_POLICY: PresetPolicy = { allowedSchemas: [], hiddenTables: [], hiddenColumns: [], maskedColumns: [] };

export interface PresetRecord {
  id: string;
  org_id: string;
  name: string;
  description: string;
  policy: PresetPolicy;
  version: number;
  created_at: string;
  updated_at: string;
}

/** How many live credentials use a preset (refused deletion says so). */
export interface PresetUsage {
  keys: number;
  authorizations: number;
}

/** Only the preset fields: a stored policy with anything else in it (or missing lists) reads as the lists it has. */
export function presetPolicyOf(json: string): PresetPolicy {
  const p = JSON.parse(json) as Partial<PresetPolicy>;
  return {
    allowedSchemas: p.allowedSchemas ?? [],
    hiddenTables: p.hiddenTables ?? [],
    hiddenColumns: p.hiddenColumns ?? [],
    maskedColumns: p.maskedColumns ?? [],
  };
}

type Row = DB['policy_presets'];

function toRecord(row: Row): PresetRecord {
  return {
    id: row.id,
    org_id: row.org_id,
    name: row.name,
    description: row.description,
    policy: presetPolicyOf(row.policy),
    version: Number(row.version),
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

function description(text: string | undefined): string {
  const d = (text ?? '').trim();
  if (d.length > 500) throw new ValidationError('a preset description is at most 500 characters');
  return d;
}

export class Presets {
  constructor(private readonly db: Kysely<DB>) {}

  async create(input: { orgId: string; name: string; description?: string; policy: PresetPolicy }): Promise<PresetRecord> {
    assertSlug(input.name, 'preset name');
    const at = now();
    const row: Row = {
      id: randomUUID(),
      org_id: input.orgId,
      name: input.name,
      description: description(input.description),
      policy: JSON.stringify(presetPolicyOf(JSON.stringify(input.policy))),
      version: 1,
      created_at: at,
      updated_at: at,
    };
    try {
      await this.db.insertInto('policy_presets').values(row).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`a preset named "${input.name}" already exists in this organization`);
      throw err;
    }
    return toRecord(row);
  }

  /** Changes a preset; `policy` fields given replace the stored ones. Effective at the next request (the change epoch moves). */
  async update(orgId: string, id: string, patch: { name?: string; description?: string; policy?: Partial<PresetPolicy> }): Promise<PresetRecord> {
    const current = await this.get(orgId, id);
    if (!current) throw new NotFoundError('no such preset');
    if (patch.name !== undefined) assertSlug(patch.name, 'preset name');
    const set: Partial<Row> = { updated_at: now(), version: current.version + 1 };
    if (patch.name !== undefined) set.name = patch.name;
    if (patch.description !== undefined) set.description = description(patch.description);
    if (patch.policy !== undefined) set.policy = JSON.stringify(presetPolicyOf(JSON.stringify({ ...current.policy, ...patch.policy })));
    try {
      await this.db.updateTable('policy_presets').set(set).where('id', '=', id).where('org_id', '=', orgId).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`a preset named "${patch.name}" already exists in this organization`);
      throw err;
    }
    return (await this.get(orgId, id))!;
  }

  /** Live keys and authorizations narrowed to this preset. */
  async usage(orgId: string, id: string): Promise<PresetUsage> {
    const keys = await this.db
      .selectFrom('api_keys')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('org_id', '=', orgId)
      .where('preset_id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    const auths = await this.db
      .withTables<{ oauth_authorizations: { org_id: string; preset_id: string | null; revoked_at: string | null; expires_at: string } }>()
      .selectFrom('oauth_authorizations')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('org_id', '=', orgId)
      .where('preset_id', '=', id)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now())
      .executeTakeFirst();
    return { keys: Number(keys?.n ?? 0), authorizations: Number(auths?.n ?? 0) };
  }

  /**
   * Deletes a preset no live credential uses; one in use is refused (revoke those credentials first).
   * A credential whose preset is gone anyway (a race with this check) is refused at authentication.
   */
  async delete(orgId: string, id: string): Promise<PresetRecord> {
    const current = await this.get(orgId, id);
    if (!current) throw new NotFoundError('no such preset');
    const u = await this.usage(orgId, id);
    if (u.keys || u.authorizations) {
      const parts = [u.keys ? `${u.keys} API key${u.keys === 1 ? '' : 's'}` : '', u.authorizations ? `${u.authorizations} OAuth authorization${u.authorizations === 1 ? '' : 's'}` : ''].filter(Boolean);
      throw new ConflictError(`preset "${current.name}" is in use by ${parts.join(' and ')}; revoke them (or narrow them to another preset) before removing it`);
    }
    await this.db.deleteFrom('policy_presets').where('id', '=', id).where('org_id', '=', orgId).execute();
    return current;
  }

  /** A preset of this org (never another org's, whatever the id). */
  async get(orgId: string, id: string): Promise<PresetRecord | undefined> {
    const row = await this.db.selectFrom('policy_presets').selectAll().where('id', '=', id).where('org_id', '=', orgId).executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }

  async byName(orgId: string, name: string): Promise<PresetRecord | undefined> {
    const row = await this.db.selectFrom('policy_presets').selectAll().where('org_id', '=', orgId).where('name', '=', name).executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }

  async list(orgId: string): Promise<PresetRecord[]> {
    const rows = await this.db.selectFrom('policy_presets').selectAll().where('org_id', '=', orgId).orderBy('name').execute();
    return rows.map(toRecord);
  }
}
