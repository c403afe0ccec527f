/**
 * The schema browser: schemas → tables → columns with keys, indexes and row estimates (the connector's
 * introspection), the organization's descriptions (which `describe_table` and `search_schema` read), and
 * the source policy that decides what models see. Admins see every schema with what is hidden marked and
 * edit descriptions and the policy; members see what a model sees.
 */
import type { Catalog, CatalogColumn, CatalogIndex, CatalogTable } from '../connectors/types.js';
import { NotFoundError, ValidationError } from '../errors.js';
import { compileGovernance } from '../governance/policy.js';
import { applyPolicy, viewQuery } from '../mcp/context.js';
import { assertPolicy } from '../sources.js';
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
  /** Admins only: the policy names what it hides. */
  policy: Pick<SourcePolicy, 'allowedSchemas' | 'hiddenTables' | 'hiddenColumns' | 'allowUserFunctions'> | null;
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
  const { allowedSchemas, hiddenTables, hiddenColumns, allowUserFunctions } = source.policy;
  return {
    source: { id: source.id, name: source.name, engine: source.engine },
    defaultSchema: catalog.defaultSchema,
    schemas: sorted,
    policy: admin ? { allowedSchemas, hiddenTables, hiddenColumns, allowUserFunctions } : null,
    full: admin,
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
 * replaces the stored one (an empty list clears it). The dashboard's Policy tab sends the lists it shows;
 * `sequel sources policy` sends the flags given.
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
