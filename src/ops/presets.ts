/**
 * Policy presets (issue 11, item 4): organization-level named policies an API key or an OAuth
 * authorization is narrowed to (src/store/presets.ts; enforced in src/mcp/context.ts). Every member may
 * list them (a member picks one for their own key, or at the OAuth consent screen); admins and owners
 * create, change and remove them. A preset in use by a live key or authorization cannot be removed.
 * Changes count from the next request on every replica (the change epoch moves).
 */
import { NotFoundError, ValidationError } from '../errors.js';
import { assertPolicy, maskList, nameList } from '../sources.js';
import type { PresetPolicy, PresetRecord } from '../store/presets.js';
import { requireCan, type OpsActor } from './access.js';
import type { OpsDeps } from './deps.js';
import { actorUserId } from './permissions.js';

export interface PresetView extends PresetRecord {
  /** Live API keys and OAuth authorizations narrowed to it. */
  used_by: { keys: number; authorizations: number };
}

export interface PresetInput {
  name?: string | undefined;
  description?: string | undefined;
  /** Fields given replace the preset's; absent ones stay (on update) or are empty (on create). */
  policy?: Partial<PresetPolicy> | undefined;
}

function checkPolicy(p: Partial<PresetPolicy>): Partial<PresetPolicy> {
  // Only the preset vocabulary: anything else (row caps, identity roles…) is the source's to set.
  const allowed = new Set(['allowedSchemas', 'hiddenTables', 'hiddenColumns', 'maskedColumns']);
  const extra = Object.keys(p).filter((k) => !allowed.has(k));
  if (extra.length) throw new ValidationError(`a preset sets only allowedSchemas, hiddenTables, hiddenColumns and maskedColumns (not ${extra.join(', ')})`);
  assertPolicy(p);
  const trim = (l: string[] | undefined) => (l === undefined ? undefined : [...new Set(l.map((s) => s.trim()).filter(Boolean))]);
  const out: Partial<PresetPolicy> = {};
  if (p.allowedSchemas !== undefined) out.allowedSchemas = trim(p.allowedSchemas)!;
  if (p.hiddenTables !== undefined) out.hiddenTables = trim(p.hiddenTables)!;
  if (p.hiddenColumns !== undefined) out.hiddenColumns = trim(p.hiddenColumns)!;
  if (p.maskedColumns !== undefined) out.maskedColumns = p.maskedColumns.map((m) => ({ column: m.column.trim(), mode: m.mode }));
  return out;
}

async function view(deps: OpsDeps, p: PresetRecord): Promise<PresetView> {
  return { ...p, used_by: await deps.store.presets.usage(p.org_id, p.id) };
}

/** The organization's presets (any member: they choose one for a key or at consent). */
export async function listPresets(deps: OpsDeps, actor: OpsActor): Promise<PresetView[]> {
  await requireCan(deps, actor, 'keys.create');
  const all = await deps.store.presets.list(actor.orgId);
  return Promise.all(all.map((p) => view(deps, p)));
}

/**
 * A preset of the actor's organization by name or id, or a ValidationError naming the choices: an id
 * or name of another organization's preset is simply not found here.
 */
export async function resolvePreset(deps: OpsDeps, orgId: string, nameOrId: string): Promise<PresetRecord> {
  const needle = nameOrId.trim();
  const found = (await deps.store.presets.byName(orgId, needle)) ?? (await deps.store.presets.get(orgId, needle));
  if (found) return found;
  const names = (await deps.store.presets.list(orgId)).map((p) => p.name);
  throw new ValidationError(`no policy preset "${needle}" in this organization${names.length ? ` (presets: ${names.join(', ')})` : ' (it has none; create one with sequel presets create)'}`);
}

export async function getPreset(deps: OpsDeps, actor: OpsActor, nameOrId: string): Promise<PresetView> {
  await requireCan(deps, actor, 'keys.create');
  return view(deps, await resolvePreset(deps, actor.orgId, nameOrId));
}

export async function createPreset(deps: OpsDeps, actor: OpsActor, input: PresetInput): Promise<PresetView> {
  await requireCan(deps, actor, 'presets.write');
  if (!input.name) throw new ValidationError('a preset needs a name');
  const policy = checkPolicy(input.policy ?? {});
  const p = await deps.store.presets.create({
    orgId: actor.orgId,
    name: input.name.trim(),
    description: input.description,
    policy: { allowedSchemas: [], hiddenTables: [], hiddenColumns: [], maskedColumns: [], ...policy },
  });
  deps.log.info('policy preset created', { orgId: actor.orgId, presetId: p.id, by: actorUserId(actor) ?? 'cli' });
  return view(deps, p);
}

export async function updatePreset(deps: OpsDeps, actor: OpsActor, nameOrId: string, input: PresetInput): Promise<PresetView> {
  await requireCan(deps, actor, 'presets.write');
  const current = await resolvePreset(deps, actor.orgId, nameOrId).catch((err: unknown) => {
    if (err instanceof ValidationError) throw new NotFoundError(err.message);
    throw err;
  });
  const p = await deps.store.presets.update(actor.orgId, current.id, {
    ...(input.name !== undefined ? { name: input.name.trim() } : {}),
    ...(input.description !== undefined ? { description: input.description } : {}),
    ...(input.policy !== undefined ? { policy: checkPolicy(input.policy) } : {}),
  });
  deps.log.info('policy preset changed', { orgId: actor.orgId, presetId: p.id, by: actorUserId(actor) ?? 'cli' });
  return view(deps, p);
}

/** Removes a preset no live key or authorization uses (refused with how many use it otherwise). */
export async function removePreset(deps: OpsDeps, actor: OpsActor, nameOrId: string): Promise<PresetRecord> {
  await requireCan(deps, actor, 'presets.write');
  const current = await resolvePreset(deps, actor.orgId, nameOrId).catch((err: unknown) => {
    if (err instanceof ValidationError) throw new NotFoundError(err.message);
    throw err;
  });
  const p = await deps.store.presets.delete(actor.orgId, current.id);
  deps.log.info('policy preset removed', { orgId: actor.orgId, presetId: p.id, by: actorUserId(actor) ?? 'cli' });
  return p;
}

/** The dashboard form's text fields (comma-separated, as the CLI flags take them) as a preset policy. */
export function presetPolicyFromText(form: { allowedSchemas: string; hiddenTables: string; hiddenColumns: string; masks: string }): PresetPolicy {
  return {
    allowedSchemas: nameList(form.allowedSchemas),
    hiddenTables: nameList(form.hiddenTables),
    hiddenColumns: nameList(form.hiddenColumns),
    maskedColumns: maskList(form.masks),
  };
}
