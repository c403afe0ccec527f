/**
 * API keys: create (the full key returned once), list (members see their own, admins everyone's),
 * revoke (effective at the next request: the bearer check reads the store every time), and the install
 * dialog's key, `sequel_mcp`, made for the signed-in person.
 */
import { createApiKey, INSTALL_KEY_NAME, keyLabel } from '../auth/apiKeys.js';
import { NotFoundError, ValidationError } from '../errors.js';
import type { ApiKeyInfo } from '../store/apiKeys.js';
import type { OpsDeps } from './deps.js';
import { resolvePreset } from './presets.js';
import { actorUserId, assertCan, can, type Actor } from './permissions.js';

/** A key as lists show it (and the CLI's --json prints it): never the hash, the sources by name. */
export interface KeyView {
  id: string;
  name: string;
  prefix: string;
  created_by_user_id: string | null;
  created_by: string;
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
  /** Source names the key is limited to; null = all sources. */
  sources: string[] | null;
  /** The policy preset the key is narrowed to (its name); null = none. */
  preset: string | null;
}

export interface CreatedKey {
  /** The full key: shown once, never stored. */
  key: string;
  view: KeyView;
}

export interface CreateKeyInput {
  name: string;
  expiresAt?: string | null;
  /** Source names the key is limited to (all when absent or empty). */
  sources?: string[] | null;
  /** A policy preset of the organization (name or id) to narrow the key to; none when absent or empty. */
  preset?: string | null;
}

function toView(k: ApiKeyInfo, names: Map<string, string>, presets: Map<string, string>): KeyView {
  return {
    id: k.id,
    name: k.name,
    prefix: k.prefix,
    created_by_user_id: k.created_by_user_id,
    created_by: k.created_by,
    created_at: k.created_at,
    last_used_at: k.last_used_at,
    expires_at: k.expires_at,
    sources: k.source_ids ? k.source_ids.map((id) => names.get(id) ?? '(deleted source)') : null,
    preset: k.preset_id ? (presets.get(k.preset_id) ?? '(removed preset)') : null,
  };
}

async function presetNames(deps: OpsDeps, orgId: string): Promise<Map<string, string>> {
  return new Map((await deps.store.presets.list(orgId)).map((p) => [p.id, p.name]));
}

async function sourceNames(deps: OpsDeps, orgId: string): Promise<Map<string, string>> {
  return new Map((await deps.store.sources.list(orgId)).map((s) => [s.id, s.name]));
}

async function creatorLabel(deps: OpsDeps, actor: Actor): Promise<string> {
  if (actor.kind === 'operator') return 'cli';
  return (await deps.store.users.get(actor.userId))?.email ?? 'unknown';
}

/** Creates a key owned by the actor (keys made in the dashboard belong to the person who made them). */
export async function createKey(deps: OpsDeps, actor: Actor, input: CreateKeyInput): Promise<CreatedKey> {
  assertCan(actor, 'keys.create');
  if (input.expiresAt && Date.parse(input.expiresAt) <= Date.now()) throw new ValidationError('an expiry must be in the future');
  // Looked up in the actor's organization only: another organization's preset is not found.
  const preset = input.preset?.trim() ? await resolvePreset(deps, actor.orgId, input.preset) : null;
  const created = await createApiKey(deps.store, deps.keys, {
    orgId: actor.orgId,
    name: input.name,
    createdByUserId: actorUserId(actor),
    createdBy: await creatorLabel(deps, actor),
    expiresAt: input.expiresAt ?? null,
    sourceNames: input.sources && input.sources.length ? input.sources : null,
    presetId: preset?.id ?? null,
  });
  deps.log.info('api key created', { orgId: actor.orgId, keyId: created.info.id, by: actorUserId(actor) ?? 'cli', preset: preset?.name });
  return { key: created.key, view: toView(created.info, await sourceNames(deps, actor.orgId), await presetNames(deps, actor.orgId)) };
}

/** The install dialog's key: a fresh `sequel_mcp` for the signed-in person, reaching every source. */
export async function provisionInstallKey(deps: OpsDeps, actor: Actor): Promise<CreatedKey> {
  return createKey(deps, actor, { name: INSTALL_KEY_NAME });
}

/** The sources a new key may be limited to (names), for the create form. */
export async function keySourceChoices(deps: OpsDeps, actor: Actor): Promise<string[]> {
  assertCan(actor, 'keys.create');
  return (await deps.store.sources.list(actor.orgId)).map((s) => s.name);
}

/** Live keys the actor may see: their own, or (admins) everyone's in the organization. */
export async function listKeys(deps: OpsDeps, actor: Actor): Promise<KeyView[]> {
  const all = await deps.store.apiKeys.list(actor.orgId);
  const visible = can(actor, 'keys.see_all') ? all : all.filter((k) => k.created_by_user_id === actorUserId(actor));
  const names = await sourceNames(deps, actor.orgId);
  const presets = await presetNames(deps, actor.orgId);
  return visible.map((k) => toView(k, names, presets));
}

/**
 * Revokes a key named by id or displayed prefix. A key the actor may not see is "not found", the same
 * answer as a key that does not exist (or lives in another organization).
 */
export async function revokeKey(deps: OpsDeps, actor: Actor, idOrPrefix: string): Promise<KeyView> {
  const needle = idOrPrefix.trim().replace(/(…|\.\.\.)$/, '');
  if (!can(actor, 'keys.revoke_any')) {
    const own = (await listKeys(deps, actor)).filter((k) => k.id === needle || k.prefix === needle);
    if (own.length === 0) throw new NotFoundError(`no active key "${idOrPrefix}" of yours in this organization`);
    if (own.length > 1) throw new ValidationError(`"${idOrPrefix}" matches ${own.length} keys; use the key id`);
    return revokeKey(deps, { kind: 'operator', orgId: actor.orgId }, own[0]!.id);
  }
  const k = await deps.store.apiKeys.revoke(actor.orgId, needle);
  deps.log.info('api key revoked', { orgId: actor.orgId, keyId: k.id, label: keyLabel(k) });
  return toView(k, await sourceNames(deps, actor.orgId), await presetNames(deps, actor.orgId));
}

/** The presets a new key may be narrowed to (names and descriptions), for the create form. */
export async function keyPresetChoices(deps: OpsDeps, actor: Actor): Promise<Array<{ name: string; description: string }>> {
  assertCan(actor, 'keys.create');
  return (await deps.store.presets.list(actor.orgId)).map((p) => ({ name: p.name, description: p.description }));
}

/**
 * Narrows a key to another preset, or (preset null) to none. Like revoking: members change their own
 * keys, admins anyone's; a key the actor may not see is "not found". Counts from the key's next request
 * on every replica (the change epoch moves with api_keys.preset_id).
 */
export async function setKeyPreset(deps: OpsDeps, actor: Actor, idOrPrefix: string, preset: string | null): Promise<KeyView> {
  const needle = idOrPrefix.trim().replace(/(…|\.\.\.)$/, '');
  const matches = (await listKeys(deps, actor)).filter((k) => k.id === needle || k.prefix === needle);
  if (matches.length === 0) throw new NotFoundError(`no active key "${idOrPrefix}"${can(actor, 'keys.see_all') ? '' : ' of yours'} in this organization`);
  if (matches.length > 1) throw new ValidationError(`"${idOrPrefix}" matches ${matches.length} keys; use the key id`);
  const p = preset?.trim() ? await resolvePreset(deps, actor.orgId, preset) : null;
  const k = await deps.store.apiKeys.setPreset(actor.orgId, matches[0]!.id, p?.id ?? null);
  deps.log.info('api key preset changed', { orgId: actor.orgId, keyId: k.id, preset: p?.name ?? null, by: actorUserId(actor) ?? 'cli' });
  return toView(k, await sourceNames(deps, actor.orgId), await presetNames(deps, actor.orgId));
}
