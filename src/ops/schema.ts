/**
 * The schema browser: schemas → tables → columns with keys, indexes and row estimates (the connector's
 * introspection), the organization's descriptions (which `describe_table` and `search_schema` read), and
 * the source policy that decides what models see. Admins see every schema with what is hidden marked and
 * edit descriptions and the policy; members see what a model sees.
 */
import type { Catalog, CatalogColumn, CatalogIndex, CatalogTable } from '../connectors/types.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { compileGovernance } from '../governance/policy.js';
import { applyPolicy, viewQuery } from '../mcp/context.js';
import { assertPolicy, maskList } from '../sources.js';
import type { ColumnMask, IdentityRole, SourcePolicy, SourceRecord } from '../store/sources.js';
import { currentRole, isAdmin, requireCan, userIdOf, type OpsActor, type OpsDeps } from './access.js';

export interface BrowsedColumn extends CatalogColumn {
  description: string | null;
  /** Hidden from models by the policy. */
  hidden: boolean;
}

export interface BrowsedTable extends Omit<CatalogTable, 'columns' | 'indexes'> {
  description: string | null;
  hidden: boolean;
  columns: BrowsedColumn[];
  indexes: CatalogIndex[];
}

export interface BrowsedSchema {
  name: string;
  /** Visible to models under the policy's allowed schemas. */
  allowed: boolean;
  tables: BrowsedTable[];
}

export interface SchemaBrowse {
  source: { id: string; name: string; engine: string };
  defaultSchema: string;
  schemas: BrowsedSchema[];
  /** Admins only: the policy as the Policy tab shows it. */
  policy: PolicyView | null;
  /** Whether this view shows everything (admins) or what a model sees (members). */
  full: boolean;
}

/** Full catalogs (every schema, unfiltered) per source version, briefly: the browser pages through them. */
const fullCatalogs = new Map<string, { at: number; version: number; value: Promise<Catalog> }>();
const FULL_TTL_MS = 30_000;

async function fullCatalog(deps: OpsDeps, source: SourceRecord, refresh: boolean): Promise<Catalog> {
  const hit = fullCatalogs.get(source.id);
  if (hit && !refresh && hit.version === source.version && Date.now() - hit.at < FULL_TTL_MS) return hit.value;
  const value = deps.manager.use(source, (c) => c.introspect({ signal: AbortSignal.timeout(60_000) }));
  fullCatalogs.set(source.id, { at: Date.now(), version: source.version, value });
  value.catch(() => fullCatalogs.delete(source.id));
  if (fullCatalogs.size > 500) fullCatalogs.delete(fullCatalogs.keys().next().value!);
  return value;
}

async function requireSource(deps: OpsDeps, actor: OpsActor, id: string): Promise<SourceRecord> {
  const source = await deps.store.sources.get(actor.orgId, id);
  if (!source) throw new NotFoundError('no such source');
  return source;
}

const lower = (s: string) => s.toLowerCase();

export async function browseSchema(deps: OpsDeps, actor: OpsActor, id: string, opts: { refresh?: boolean } = {}): Promise<SchemaBrowse> {
  const role = await currentRole(deps, actor);
  const source = await requireSource(deps, actor, id);
  const admin = isAdmin(role);
  const descriptions = await deps.store.descriptions.forSource(source.id);
  const catalog = admin ? await fullCatalog(deps, source, opts.refresh === true) : await deps.manager.catalog(source, { refresh: opts.refresh === true });
  // What a model sees, by the same function the tools use; everything else is hidden (or not allowed).
  const gov = await compileGovernance(source.name, source.policy, catalog, async (t) => {
    const query = t.definition ? viewQuery(source.engine, t.definition) : null;
    return query ? deps.manager.use(source, (c) => c.analyze(query, { view: true })) : null;
  });
  const visible = applyPolicy(gov, source, catalog, descriptions);
  const visibleTables = new Map(visible.tables.map((t) => [`${t.schema}\u0000${t.name}`, t]));
  const desc = new Map(descriptions.map((d) => [`${d.schema}\u0000${d.table}\u0000${d.column ?? ''}`, d.description]));
  const allowed = source.policy.allowedSchemas.length ? new Set(source.policy.allowedSchemas.map(lower)) : null;
  const schemas = new Map<string, BrowsedSchema>();
  for (const t of catalog.tables) {
    const shown = visibleTables.get(`${t.schema}\u0000${t.name}`);
    if (!admin && !shown) continue;
    let s = schemas.get(t.schema);
    if (!s) {
      s = { name: t.schema, allowed: !allowed || allowed.has(lower(t.schema)), tables: [] };
      schemas.set(t.schema, s);
    }
    const shownColumns = new Set(shown?.columns.map((c) => c.name) ?? []);
    s.tables.push({
      ...t,
      description: desc.get(`${t.schema}\u0000${t.name}\u0000`) ?? null,
      hidden: !shown,
      columns: t.columns
        .filter((c) => admin || shownColumns.has(c.name))
        .map((c) => ({ ...c, description: desc.get(`${t.schema}\u0000${t.name}\u0000${c.name}`) ?? null, hidden: !shownColumns.has(c.name) })),
      indexes: admin ? t.indexes : (shown?.indexes ?? []),
    });
  }
  const sorted = [...schemas.values()].sort((a, b) => (a.name === catalog.defaultSchema ? -1 : b.name === catalog.defaultSchema ? 1 : a.name.localeCompare(b.name)));
  for (const s of sorted) s.tables.sort((a, b) => a.name.localeCompare(b.name));
  return {
    source: { id: source.id, name: source.name, engine: source.engine },
    defaultSchema: catalog.defaultSchema,
    schemas: sorted,
    policy: admin ? policyView(source, catalog) : null,
    full: admin,
  };
}

/**
 * A source's policy split the way the Policy tab shows it. An entry that names exactly one schema, table
 * or column of the catalog, without a wildcard, is a checkbox and is given in the form's own spelling
 * (`schema.table.column`, the catalog's case), so `customers.SSN` written by the CLI and the form's
 * `public.customers.ssn` are the same box. Every other entry — patterns, one-part column names for every
 * table, names of tables the catalog does not show (now), entries matching several objects — is listed
 * as written under `other`, and masks and identity roles, which have no checkboxes, in full: the tab shows
 * them and a save keeps them unless the admin removes them there, so a save cannot drop a rule it did not show.
 */
export interface PolicyView {
  /** Catalog schema names ticked. */
  allowedSchemas: string[];
  /** `schema.table` of the catalog, ticked. */
  hiddenTables: string[];
  /** `schema.table.column` of the catalog, ticked. */
  hiddenColumns: string[];
  other: { allowedSchemas: string[]; hiddenTables: string[]; hiddenColumns: string[] };
  maskedColumns: ColumnMask[];
  identityRoles: IdentityRole[];
  identityRequired: boolean;
  allowUserFunctions: boolean;
  /** The source's version when read: a save from this view is refused once the source changed since. */
  version: number;
}

/** A name the form's dotted values carry unambiguously (no dot, no wildcard). */
const plain = (s: string) => !s.includes('.') && !s.includes('*');

/** What the rule an entry compiles to matches, for wildcard-free entries (glob without `*` = case-insensitive equality). */
function splitEntries<T>(entries: string[], candidates: T[], match: (parts: string[], c: T) => boolean, canonical: (c: T) => string | null): { boxes: string[]; other: string[] } {
  const boxes = new Set<string>();
  const other: string[] = [];
  for (const entry of entries) {
    const parts = entry.split('.');
    const hits = entry.includes('*') ? [] : candidates.filter((c) => match(parts, c));
    const box = hits.length === 1 ? canonical(hits[0]!) : null;
    if (box) boxes.add(box);
    else other.push(entry);
  }
  return { boxes: [...boxes], other };
}

export function policyView(source: Pick<SourceRecord, 'policy' | 'version'>, catalog: Catalog): PolicyView {
  const p = source.policy;
  const eq = (a: string, b: string) => lower(a) === lower(b);
  const schemaOf = (parts: string[], n: number) => (parts.length === n ? parts[0]! : catalog.defaultSchema);
  const schemaNames = [...new Set(catalog.tables.map((t) => t.schema))];
  const schemas = splitEntries(
    p.allowedSchemas,
    schemaNames,
    (parts, s) => parts.length === 1 && eq(parts[0]!, s),
    (s) => (plain(s) ? s : null),
  );
  const tables = splitEntries(
    p.hiddenTables,
    catalog.tables,
    (parts, t) => (parts.length === 1 || parts.length === 2) && eq(schemaOf(parts, 2), t.schema) && eq(parts[parts.length - 1]!, t.name),
    (t) => (plain(t.schema) && plain(t.name) ? `${t.schema}.${t.name}` : null),
  );
  const columns = splitEntries(
    p.hiddenColumns,
    catalog.tables.flatMap((t) => t.columns.map((c) => ({ t, c: c.name }))),
    // One part is a name for every table: a rule, never one box.
    (parts, { t, c }) => (parts.length === 2 || parts.length === 3) && eq(schemaOf(parts, 3), t.schema) && eq(parts[parts.length - 2]!, t.name) && eq(parts[parts.length - 1]!, c),
    ({ t, c }) => (plain(t.schema) && plain(t.name) && plain(c) ? `${t.schema}.${t.name}.${c}` : null),
  );
  return {
    allowedSchemas: schemas.boxes,
    hiddenTables: tables.boxes,
    hiddenColumns: columns.boxes,
    other: { allowedSchemas: schemas.other, hiddenTables: tables.other, hiddenColumns: columns.other },
    maskedColumns: p.maskedColumns,
    identityRoles: p.identityRoles,
    identityRequired: p.identityRequired,
    allowUserFunctions: p.allowUserFunctions,
    version: source.version,
  };
}

export interface DescriptionInput {
  schema: string;
  table: string;
  /** Absent or empty for the table's own description. */
  column?: string | null | undefined;
  /** Empty removes the description. */
  description: string;
}

/** Writes (or with an empty text removes) a table or column description; the table must exist. */
export async function setDescription(deps: OpsDeps, actor: OpsActor, id: string, input: DescriptionInput): Promise<void> {
  await requireCan(deps, actor, 'sources.write');
  const source = await requireSource(deps, actor, id);
  const find = (c: Catalog) => c.tables.find((t) => t.schema === input.schema && t.name === input.table);
  let table = find(await fullCatalog(deps, source, false));
  if (!table) table = find(await fullCatalog(deps, source, true));
  if (!table) throw new NotFoundError(`no table ${input.schema}.${input.table} in ${source.name}`);
  const column = input.column?.trim() || null;
  if (column && !table.columns.some((c) => c.name === column)) throw new NotFoundError(`no column ${column} in ${input.schema}.${input.table}`);
  await deps.store.descriptions.set(source.id, { schema: table.schema, table: table.name, column, description: input.description }, userIdOf(actor));
}

/**
 * A change to a source's governance policy: a field left out keeps its stored value, a list given
 * replaces the stored one (an empty list clears it). `sequel sources policy` sends the flags given; the
 * dashboard's Policy tab goes through `savePolicyForm`, which builds the lists from its boxes and text fields.
 */
export interface PolicyInput {
  allowedSchemas?: string[] | undefined;
  /** `schema.table` or `table` (default schema); `*` matches any run of characters. */
  hiddenTables?: string[] | undefined;
  /** `schema.table.column`, `table.column`, or a column name or pattern for every table (`ssn`, `*email*`). */
  hiddenColumns?: string[] | undefined;
  maskedColumns?: ColumnMask[] | undefined;
  identityRoles?: IdentityRole[] | undefined;
  identityRequired?: boolean | undefined;
  allowUserFunctions?: boolean | undefined;
}

/** Trimmed, without blanks and repeats (first one kept, order as given), each with at most `parts` dotted parts. */
function clean(list: string[], parts: number, what: string, form: string): string[] {
  const out = new Set<string>();
  for (const raw of list) {
    const v = raw.trim();
    if (!v) continue;
    if (v.length > 300) throw new ValidationError(`${what} "${v.slice(0, 40)}…" is too long`);
    // Dots inside names are rare; the policy format is dotted, as the CLI and applyPolicy read it.
    if (v.split('.').length > parts) throw new ValidationError(`${what} "${v}" must be written ${form}`);
    out.add(v);
  }
  return [...out];
}

export async function updatePolicy(deps: OpsDeps, actor: OpsActor, id: string, input: PolicyInput): Promise<SourcePolicy> {
  await requireCan(deps, actor, 'sources.write');
  const source = await requireSource(deps, actor, id);
  return savePolicy(deps, actor, source, input);
}

async function savePolicy(deps: OpsDeps, actor: OpsActor, source: SourceRecord, input: PolicyInput): Promise<SourcePolicy> {
  const policy: Partial<SourcePolicy> = {
    ...(input.allowedSchemas !== undefined ? { allowedSchemas: clean(input.allowedSchemas, 1, 'allowed schema', 'as a schema name without dots') } : {}),
    ...(input.hiddenTables !== undefined ? { hiddenTables: clean(input.hiddenTables, 2, 'hidden table', 'schema.table or table') } : {}),
    ...(input.hiddenColumns !== undefined ? { hiddenColumns: clean(input.hiddenColumns, 3, 'hidden column', 'schema.table.column, table.column or column') } : {}),
    ...(input.maskedColumns !== undefined ? { maskedColumns: input.maskedColumns } : {}),
    ...(input.identityRoles !== undefined ? { identityRoles: input.identityRoles } : {}),
    ...(input.identityRequired !== undefined ? { identityRequired: input.identityRequired } : {}),
    ...(input.allowUserFunctions !== undefined ? { allowUserFunctions: input.allowUserFunctions } : {}),
  };
  // The same checks as a new source's policy (mask modes, identity role shapes, booleans).
  assertPolicy(policy);
  const updated = await deps.store.sources.update(actor.orgId, source.id, { policy });
  return updated.policy;
}

/** One entry a line (or comma-separated, as the CLI takes them). */
export const entryLines = (text: string): string[] => text.split(/[\n,]/).map((s) => s.trim()).filter(Boolean);

/**
 * What the Policy tab posts: the boxes ticked, and the text fields listing the rules that are not boxes
 * (as `policyView` showed them). A text field left out of the post keeps the stored rules that are not
 * boxes, so no post drops a rule the form did not show.
 */
export interface PolicyFormInput {
  /** `PolicyView.version` the form was made from; a source changed since is a conflict (reload and redo). */
  version?: number | undefined;
  allowedSchemas: string[];
  hiddenTables: string[];
  hiddenColumns: string[];
  otherAllowedSchemas?: string | undefined;
  otherHiddenTables?: string | undefined;
  otherHiddenColumns?: string | undefined;
  /** `column:mode` a line. */
  maskedColumns?: string | undefined;
  allowUserFunctions: boolean;
}

/** The dashboard's save: the boxes plus the listed rules, never fewer rules than the form showed. */
export async function savePolicyForm(deps: OpsDeps, actor: OpsActor, id: string, input: PolicyFormInput): Promise<SourcePolicy> {
  await requireCan(deps, actor, 'sources.write');
  const source = await requireSource(deps, actor, id);
  if (input.version !== undefined && input.version !== source.version) {
    throw new ConflictError('the source was changed since this page was loaded (maybe from the CLI); reload the Policy tab and make the change again');
  }
  const needStored = input.otherAllowedSchemas === undefined || input.otherHiddenTables === undefined || input.otherHiddenColumns === undefined;
  const stored = needStored ? policyView(source, await fullCatalog(deps, source, false)).other : null;
  const other = (text: string | undefined, kept: string[] | undefined) => (text === undefined ? (kept ?? []) : entryLines(text));
  return savePolicy(deps, actor, source, {
    allowedSchemas: [...input.allowedSchemas, ...other(input.otherAllowedSchemas, stored?.allowedSchemas)],
    hiddenTables: [...input.hiddenTables, ...other(input.otherHiddenTables, stored?.hiddenTables)],
    hiddenColumns: [...input.hiddenColumns, ...other(input.otherHiddenColumns, stored?.hiddenColumns)],
    ...(input.maskedColumns !== undefined ? { maskedColumns: maskList(entryLines(input.maskedColumns).join(',')) } : {}),
    allowUserFunctions: input.allowUserFunctions,
  });
}
