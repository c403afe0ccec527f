/**
 * What every tool call works with: the caller's principal, its organization's sources (only those the
 * credential may reach), each source's catalog as the policy shows it (hidden tables and columns removed,
 * org-written descriptions merged in), rate limiting, and the audit trail.
 */
import type { CallToolResult } from '@modelcontextprotocol/server';
import type { AuditWriter } from '../audit.js';
import type { Principal } from '../auth/principal.js';
import type { ConnectorManager } from '../connectors/manager.js';
import type { Catalog, CatalogColumn, CatalogTable } from '../connectors/types.js';
import { SpanStatusCode, type Span } from '@opentelemetry/api';
import { ToolError } from '../errors.js';
import { traced, tracingEnabled } from '../tracing.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { EpochCache } from '../store/changes.js';
import type { Description } from '../store/descriptions.js';
import { compileGovernance, type Governance } from '../governance/policy.js';
import type { Store } from '../store/index.js';
import type { ServerKeys } from '../secrets.js';
import { createHmac } from 'node:crypto';
import { PolicyRefusal, restricting, type MaskPlan } from '../governance/policy.js';
import { intersectPolicy } from '../governance/presets.js';
import type { SourceRecord } from '../store/sources.js';
import { errorResult, toToolError } from './errors.js';
import type { RateLimiter } from './rateLimit.js';

export interface McpDeps {
  store: Store;
  manager: ConnectorManager;
  audit: AuditWriter;
  log: Logger;
  rateLimiter: RateLimiter;
  metrics: Metrics;
  /** The server keys: `hash` masking is keyed with a key derived per organization. */
  keys: ServerKeys;
  /**
   * Each organization's sources, kept under the store's change epoch (store/changes.ts), which every
   * write to sources moves; absent, every call reads them from the store.
   */
  sourceCache?: EpochCache<SourceRecord[]> | undefined;
}

export interface DescribedColumn extends CatalogColumn {
  /** The organization's own description, written in Sequel. */
  description: string | null;
}

export interface DescribedTable extends Omit<CatalogTable, 'columns'> {
  description: string | null;
  columns: DescribedColumn[];
}

export interface DescribedCatalog {
  source: SourceRecord;
  defaultSchema: string;
  tables: DescribedTable[];
}

/** What a tool reports back to the audit wrapper besides its result. */
export interface AuditNote {
  source?: SourceRecord | undefined;
  sql?: string | undefined;
  rowCount?: number | undefined;
  /** Values masked by the source policy, and how (for the audit's governance column). */
  masked?: { values: number; columns: number; modes: string[] } | undefined;
}

function lower(s: string): string {
  return s.toLowerCase();
}

export class ToolContext {
  private sourcesCache: Promise<SourceRecord[]> | undefined;

  constructor(
    readonly deps: McpDeps,
    readonly principal: Principal,
    /** The change epoch the principal was authenticated at, when known. */
    readonly epoch?: number,
  ) {}

  /**
   * The org's sources this credential may reach, each with the policy in force for this credential: the
   * source's own, intersected with the credential's preset when it has one (src/governance/presets.ts).
   * Every tool reads the policy from these records, on both the fast path and the SDK path.
   */
  visibleSources(): Promise<SourceRecord[]> {
    this.sourcesCache ??= this.orgSources().then((all) => {
      const allowed = this.principal.sourceIds;
      const reachable = allowed === null ? all : all.filter((s) => allowed.includes(s.id));
      const preset = this.principal.preset;
      if (!preset) return reachable;
      return reachable.map((s) => {
        const effective: SourceRecord = { ...s, policy: intersectPolicy(s.policy, preset.policy) };
        narrowed.set(effective, { raw: s, key: `${preset.id}:${preset.version}` });
        return effective;
      });
    });
    return this.sourcesCache;
  }

  /**
   * The source as stored, for what depends on the source alone (its connector's catalog, which is read
   * for the source's own allowed schemas and shared by every credential).
   */
  private stored(source: SourceRecord): SourceRecord {
    return narrowed.get(source)?.raw ?? source;
  }

  private async orgSources(): Promise<SourceRecord[]> {
    const { sourceCache, store } = this.deps;
    const orgId = this.principal.orgId;
    if (!sourceCache || this.epoch === undefined) return store.sources.list(orgId);
    const hit = sourceCache.get(orgId, this.epoch);
    if (hit) return hit;
    const all = await store.sources.list(orgId);
    sourceCache.set(orgId, this.epoch, all);
    return all;
  }

  /**
   * A source by name. A source of another organization, or one this key is not allowed to reach, is
   * indistinguishable from one that does not exist.
   */
  async source(name: string): Promise<SourceRecord> {
    const all = await this.visibleSources();
    const found = all.find((s) => s.name === name) ?? all.find((s) => lower(s.name) === lower(name));
    if (!found) {
      const names = all.map((s) => s.name);
      throw new ToolError(
        'UNKNOWN_SOURCE',
        names.length
          ? `There is no source "${name}" available to you; available sources: ${names.join(', ')}.`
          : `There is no source "${name}" available to you, and this credential can reach no sources; ask an admin to add one.`,
      );
    }
    return found;
  }

  /** The catalog as this source's policy shows it, with the organization's descriptions. */
  async catalog(source: SourceRecord, opts: { refresh?: boolean; signal?: AbortSignal } = {}): Promise<DescribedCatalog> {
    const [catalog, descriptions] = await Promise.all([this.deps.manager.catalog(this.stored(source), opts), this.descriptionsOf(source)]);
    // The same cached catalog, policy (source and preset versions) and descriptions give the same view:
    // reuse it (a 5,000-table catalog takes tens of milliseconds to filter and annotate). The
    // descriptions' key is the very same string while they are cached, so comparing it is immediate.
    const key = policyKey(source);
    const views = described.get(catalog) ?? new Map<string, { descriptions: string; value: DescribedCatalog }>();
    described.set(catalog, views);
    const hit = views.get(key);
    if (hit && hit.descriptions === descriptions.key) return hit.value;
    const gov = await this.governanceFor(source, catalog);
    const value = applyPolicy(gov, source, catalog, descriptions.list);
    remember(views, key, { descriptions: descriptions.key, value });
    return value;
  }

  /**
   * The source's org-written descriptions and their JSON (the described view's cache key), kept under the
   * change epoch, which every description write moves (migration 011): with thousands of descriptions,
   * reading them all on every schema call cost more than the rest of the call. Read every time when the
   * epoch is not known.
   */
  private async descriptionsOf(source: SourceRecord): Promise<{ list: Description[]; key: string }> {
    if (this.epoch !== undefined) {
      const hit = descriptionCache.get(source.id, this.epoch);
      if (hit) return hit;
    }
    const list = await this.deps.store.descriptions.forSource(source.id);
    const value = { list, key: JSON.stringify(list) };
    if (this.epoch !== undefined) descriptionCache.set(source.id, this.epoch, value);
    return value;
  }

  /** The source's policy compiled against this catalog (views that expose hidden data marked), cached with it. */
  governanceFor(source: SourceRecord, catalog: Catalog): Promise<Governance> {
    const key = policyKey(source);
    const policies = compiled.get(catalog) ?? new Map<string, Promise<Governance>>();
    compiled.set(catalog, policies);
    const hit = policies.get(key);
    if (hit) return hit;
    const value = compileGovernance(source.name, source.policy, catalog, async (t) => {
      const query = t.definition ? viewQuery(source.engine, t.definition) : null;
      if (!query) return null;
      return this.deps.manager.use(source, (c) => c.analyze(query, { view: true }));
    });
    remember(policies, key, value);
    value.catch(() => {
      if (policies.get(key) === value) policies.delete(key);
    });
    return value;
  }

  /**
   * Refuses (PERMISSION_DENIED) a statement that reads what the source's policy withholds: a relation it
   * hides, a hidden column in any form. Runs the engine's guard and analysis first (their errors stand).
   * A relation created since the catalog was read gets one refresh before it is refused.
   */
  async enforcePolicy(source: SourceRecord, sql: string, signal?: AbortSignal): Promise<MaskPlan> {
    if (!restricting(source.policy)) return [];
    const shape = await this.deps.manager.use(source, (c) => c.analyze(sql));
    const stored = this.stored(source);
    let catalog = await this.deps.manager.catalog(stored, { signal });
    try {
      try {
        return (await this.governanceFor(source, catalog)).enforce(shape);
      } catch (err) {
        if (!(err instanceof ToolError) || err.code !== 'PERMISSION_DENIED' || !/is not a table or view/.test(err.message)) throw err;
        catalog = await this.deps.manager.catalog(stored, { refresh: true, signal });
        return (await this.governanceFor(source, catalog)).enforce(shape);
      }
    } catch (err) {
      // Say in the audit whether the credential's preset is what refused: the source policy alone passes it.
      if (err instanceof PolicyRefusal && stored !== source && this.principal.preset) {
        const bySource = restricting(stored.policy) ? await this.governanceFor(stored, catalog) : undefined;
        let sourceAllows = true;
        try {
          bySource?.enforce(shape);
        } catch {
          sourceAllows = false;
        }
        if (sourceAllows) err.preset = this.principal.preset.name;
      }
      throw err;
    }
  }

  /**
   * The database role this caller's queries run as on `source` (per-person identity), or undefined to run
   * as the connecting account. Refuses a caller without a mapping where the source requires one, and any
   * mapping on an engine without roles.
   */
  async databaseRole(source: SourceRecord): Promise<string | undefined> {
    const p = source.policy;
    if (!p.identityRoles.length && !p.identityRequired) return undefined;
    const p2 = this.principal;
    const email = p2.userId ? (await this.deps.store.users.get(p2.userId))?.email : undefined;
    const match = p.identityRoles.find((r) => (email !== undefined && r.member.toLowerCase() === email.toLowerCase()) || r.member === `key:${p2.credential.id}`);
    if (match && source.engine !== 'postgres' && source.engine !== 'mysql') {
      throw new ToolError('PERMISSION_DENIED', `Source "${source.name}" maps people to database roles, which Sequel applies on PostgreSQL and MySQL/MariaDB only; ask an admin.`);
    }
    if (match) return match.role;
    if (p.identityRequired) {
      throw new ToolError('PERMISSION_DENIED', `Source "${source.name}" runs each person's queries as their own database role, and none is set for this credential; ask an admin to map you to one.`);
    }
    return undefined;
  }

  /** The key `hash` masking uses for this organization (equal values hash alike within it, not across). */
  maskingKey(): Buffer {
    return createHmac('sha256', this.deps.keys.key('masking')).update(this.principal.orgId).digest();
  }

  /**
   * Runs one tool call: rate limit, the work, the audit entry (always, whatever the outcome), and the
   * error mapping. `work` returns the result and what the audit should record.
   */
  run(tool: string, work: (note: AuditNote) => Promise<CallToolResult>): Promise<CallToolResult> {
    if (!tracingEnabled()) return this.runTraced(tool, work, undefined);
    return traced(`mcp.tool ${tool}`, { 'mcp.tool.name': tool, 'sequel.org_id': this.principal.orgId, 'sequel.credential_kind': this.principal.credential.kind }, (span) =>
      this.runTraced(tool, work, span),
    );
  }

  private async runTraced(tool: string, work: (note: AuditNote) => Promise<CallToolResult>, span: Span | undefined): Promise<CallToolResult> {
    const started = performance.now();
    const note: AuditNote = {};
    let outcome = 'ok';
    let error: string | null = null;
    let governance: string | null = null;
    let result: CallToolResult;
    try {
      await this.deps.rateLimiter.take(this.principal.credential.id);
      result = await work(note);
    } catch (err) {
      const te = toToolError(err, this.deps.log, { tool, orgId: this.principal.orgId, source: note.source?.name });
      outcome = te.code;
      error = te.message;
      if (err instanceof PolicyRefusal) governance = `refused:${err.rule}${err.preset ? ` (preset ${err.preset})` : ''}`;
      result = errorResult(te.code, te.message);
    }
    const duration = performance.now() - started;
    const p = this.principal;
    // The answer waits until its audit entry is durable (src/audit.ts): a crash after answering loses no
    // entry. An entry that can be recorded nowhere withholds the result (fail closed).
    const recorded = this.deps.audit.write({
      at: new Date().toISOString(),
      org_id: p.orgId,
      user_id: p.userId,
      credential_kind: p.credential.kind,
      credential_id: p.credential.id,
      credential_label: p.credential.label,
      source_id: note.source?.id ?? null,
      source_name: note.source?.name ?? null,
      tool,
      sql: note.sql ?? null,
      row_count: note.rowCount ?? null,
      duration_ms: Math.round(duration),
      outcome,
      error,
      governance:
        governance ??
        (note.masked
          ? `masked:${note.masked.columns} column${note.masked.columns === 1 ? '' : 's'} (${note.masked.modes.join(', ')}), ${note.masked.values} values${p.preset ? ` (with preset ${p.preset.name})` : ''}`
          : null),
    });
    try {
      await recorded;
    } catch (err) {
      this.deps.log.error('tool result withheld: its audit entry could not be recorded', { err, tool, orgId: p.orgId });
      outcome = 'INTERNAL_ERROR';
      result = errorResult('INTERNAL_ERROR', 'The audit trail could not be written, so the result is withheld; try again shortly.');
    }
    if (span) {
      span.setAttribute('sequel.outcome', outcome);
      if (note.source) span.setAttribute('sequel.source', note.source.name);
      if (note.rowCount != null) span.setAttribute('sequel.rows', note.rowCount);
      if (outcome !== 'ok') span.setStatus({ code: SpanStatusCode.ERROR, message: outcome });
    }
    this.deps.metrics.toolCalls.inc({ tool, outcome });
    this.deps.metrics.toolSeconds.observe({ tool }, duration / 1000);
    return result;
  }
}

/** Effective (preset-narrowed) source records → the stored source and the preset's cache key. */
const narrowed = new WeakMap<SourceRecord, { raw: SourceRecord; key: string }>();

/** What a compiled policy depends on: the source's version, and the credential's preset and its version. */
function policyKey(source: SourceRecord): string {
  return `${source.id}\u0000${source.version}\u0000${narrowed.get(source)?.key ?? ''}`;
}

/** Policies (source × preset) kept per catalog: a handful at most in practice; bounded all the same. */
const PER_CATALOG = 32;

function remember<V>(map: Map<string, V>, key: string, value: V): void {
  if (!map.has(key) && map.size >= PER_CATALOG) map.delete(map.keys().next().value!);
  map.set(key, value);
}

/** Compiled policies of cached catalogs (one per source policy × preset), dropped with the catalog they were made from. */
const compiled = new WeakMap<Catalog, Map<string, Promise<Governance>>>();

/**
 * The query of a view definition: PostgreSQL and MySQL give the query itself; SQLite and DuckDB keep the
 * `CREATE VIEW name [(columns)] AS query` text, whose query starts after the first AS outside parentheses
 * and quotes. null when it cannot be found (the view is then treated as exposing).
 */
export function viewQuery(engine: string, definition: string): string | null {
  if (engine === 'postgres' || engine === 'mysql') return definition;
  let depth = 0;
  for (let i = 0; i < definition.length; i++) {
    const c = definition[i]!;
    if (c === '"' || c === "'" || c === '`' || c === '[') {
      const close = c === '[' ? ']' : c;
      const end = definition.indexOf(close, i + 1);
      if (end === -1) return null;
      i = end;
    } else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (depth === 0 && /[Aa]/.test(c) && /[Ss]/.test(definition[i + 1] ?? '') && /\s/.test(definition[i - 1] ?? '') && /\s/.test(definition[i + 2] ?? '')) {
      return definition.slice(i + 2).trim().replace(/;\s*$/, '');
    } else if (c === '-' && definition[i + 1] === '-') {
      const end = definition.indexOf('\n', i);
      if (end === -1) return null;
      i = end;
    } else if (c === '/' && definition[i + 1] === '*') {
      const end = definition.indexOf('*/', i + 2);
      if (end === -1) return null;
      i = end + 1;
    }
  }
  return null;
}

/** Views of cached catalogs (one per source policy × preset, with the descriptions they show), dropped with the catalog they were made from. */
const described = new WeakMap<Catalog, Map<string, { descriptions: string; value: DescribedCatalog }>>();

/** Descriptions per source id, under the change epoch (see ToolContext.descriptionsOf). */
const descriptionCache = new EpochCache<{ list: Description[]; key: string }>(10_000);

function key(...parts: string[]): string {
  return parts.join('\u0000');
}

export function applyPolicy(
  gov: Governance,
  source: SourceRecord,
  catalog: Catalog,
  descriptions: Array<{ schema: string; table: string; column: string | null; description: string }>,
): DescribedCatalog {
  const desc = new Map(descriptions.map((d) => [key(d.schema, d.table, d.column ?? ''), d.description]));
  const tables: DescribedTable[] = [];
  for (const t of catalog.tables) {
    if (gov.tableHidden(t.schema, t.name)) continue;
    const columns: DescribedColumn[] = [];
    for (const c of t.columns) {
      if (gov.columnHidden(t.schema, t.name, c.name)) continue;
      columns.push({ ...c, description: desc.get(key(t.schema, t.name, c.name)) ?? null });
    }
    const visible = new Set(columns.map((c) => c.name));
    const { definition: _definition, ...rest } = t;
    tables.push({
      ...rest,
      description: desc.get(key(t.schema, t.name, '')) ?? null,
      columns,
      indexes: t.indexes.filter((i) => i.columns.every((c) => visible.has(c))),
    });
  }
  return { source, defaultSchema: catalog.defaultSchema, tables };
}
