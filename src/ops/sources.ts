/**
 * Data-source operations for the dashboard (and the CLI): list with status and last check, Test
 * connection before save, add and edit per engine, delete with confirmation, the least-privilege check.
 * Members read; admins and owners change. Every lookup is scoped by the actor's organization.
 */
import { createConnector } from '../connectors/index.js';
import { checkSizing, type SizingReport } from '../connectors/limits.js';
import { checkPrivileges, type PrivilegeReport } from '../connectors/privileges.js';
import { DEFAULT_CONNECTION, type ConnectionConfig, type Engine, type TlsMode } from '../connectors/types.js';
import { AppError, NotFoundError, ValidationError } from '../errors.js';
import { assertEngine, connectionConfig, NETWORK_ENGINES, prepareSource, sourceView, splitConnectionUrl, type SourceInput, type SourceView } from '../sources.js';
import type { SourceCheck } from '../store/sourceChecks.js';
import type { SourcePolicy, SourceRecord } from '../store/sources.js';
import { currentRole, isAdmin, requireCan, type OpsActor, type OpsDeps } from './access.js';

/** What the add/edit form sends, per engine: a URL (or file path), or the fields of one. */
export interface SourceForm {
  name: string;
  engine: string;
  description?: string | undefined;
  /** A DSN (network engines) or a file path (SQLite, DuckDB). Wins over the fields when given. */
  url?: string | undefined;
  host?: string | undefined;
  port?: number | undefined;
  user?: string | undefined;
  database?: string | undefined;
  /** A new password; empty keeps the stored one when editing. */
  password?: string | undefined;
  /** Editing: remove the stored password. */
  clearPassword?: boolean | undefined;
  tlsMode?: TlsMode | undefined;
  tlsCa?: string | undefined;
  connectTimeoutMs?: number | undefined;
  poolMax?: number | undefined;
  statementTimeoutMs?: number | undefined;
  maxRows?: number | undefined;
  maxRowsCeiling?: number | undefined;
  maxBytes?: number | undefined;
}

export interface ConnectionTest {
  ok: boolean;
  /** The server's version string, when it answered. */
  version: string | null;
  tableCount: number | null;
  elapsedMs: number;
  /** Why it failed: a stable code and a sentence (connectors never put secrets in messages). */
  error: { code: string; message: string } | null;
  /** The least-privilege check, when the connection worked. */
  privileges: PrivilegeReport | null;
  /**
   * The sizing check, when the connection worked: the source's pools on every worker and replica
   * against the database's connection limit.
   */
  sizing: SizingReport | null;
}

export type SourceState = 'ok' | 'failing' | 'unknown';

export interface SourceSummary extends SourceView {
  status: {
    state: SourceState;
    checkedAt: string | null;
    /** Why it is failing. */
    reason: string | null;
    serverVersion: string | null;
    tableCount: number | null;
    /** Least-privilege warnings from the last check; null when never checked. Admins only. */
    privilegeWarnings: string[] | null;
    /** Sizing warnings from the last check (pools × workers × replicas against the limit); null when never checked. Admins only. */
    sizingWarnings: string[] | null;
  };
}

const SCHEME: Partial<Record<Engine, string>> = { postgres: 'postgres', mysql: 'mysql' };
const DEFAULT_PORT: Partial<Record<Engine, number>> = { postgres: 5432, mysql: 3306 };

/** The URL the form describes: the URL field, or one built from host, port, user and database. */
export function formUrl(form: SourceForm): string {
  if (form.url?.trim()) return form.url.trim();
  assertEngine(form.engine);
  const engine = form.engine;
  if (!NETWORK_ENGINES.includes(engine)) throw new ValidationError('a file source needs a path');
  const host = form.host?.trim();
  if (!host) throw new ValidationError('give a connection URL, or at least a host');
  const u = new URL(`${SCHEME[engine]}://placeholder`);
  u.hostname = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  u.port = String(form.port ?? DEFAULT_PORT[engine]);
  if (form.user?.trim()) u.username = encodeURIComponent(form.user.trim());
  u.pathname = form.database?.trim() ? `/${encodeURIComponent(form.database.trim())}` : '/';
  return u.toString();
}

function policyOf(form: SourceForm): Partial<SourcePolicy> {
  const p: Partial<SourcePolicy> = {};
  if (form.maxRows !== undefined) p.maxRows = form.maxRows;
  if (form.maxRowsCeiling !== undefined) p.maxRowsCeiling = form.maxRowsCeiling;
  if (form.maxBytes !== undefined) p.maxBytes = form.maxBytes;
  if (form.statementTimeoutMs !== undefined) p.statementTimeoutMs = form.statementTimeoutMs;
  return p;
}

function positive(v: number | undefined, what: string, max: number): void {
  if (v !== undefined && (!Number.isInteger(v) || v < 1 || v > max)) throw new ValidationError(`${what} must be a whole number from 1 to ${max}`);
}

function toInput(form: SourceForm, existing?: SourceRecord): SourceInput {
  positive(form.connectTimeoutMs, 'connect timeout', 600_000);
  positive(form.poolMax, 'pool size', 100);
  const tls = form.tlsMode && form.tlsMode !== 'disable' ? { mode: form.tlsMode, ca: form.tlsCa?.trim() || undefined } : form.tlsMode === 'disable' ? { mode: 'disable' as const } : undefined;
  const merged = existing ? { ...existing.policy, ...policyOf(form) } : policyOf(form);
  return {
    name: form.name.trim(),
    engine: form.engine,
    url: formUrl(form),
    password: form.password ? form.password : undefined,
    description: form.description,
    tls,
    connectTimeoutMs: form.connectTimeoutMs,
    poolMax: form.poolMax,
    policy: merged,
  };
}

/** The connection config a test uses: the form's settings, the stored password when the form has none. */
function testConfig(deps: OpsDeps, input: SourceInput, form: SourceForm, existing: SourceRecord | undefined): ConnectionConfig {
  assertEngine(input.engine);
  const { url, password: fromUrl } = splitConnectionUrl(input.engine, input.url);
  let password = input.password ?? fromUrl;
  if (password === undefined && existing && !form.clearPassword) password = connectionConfig(deps.keys, existing).password;
  return {
    url,
    password,
    tls: input.tls,
    connectTimeoutMs: input.connectTimeoutMs ?? DEFAULT_CONNECTION.connectTimeoutMs,
    poolMax: 1,
    statementTimeoutMs: input.policy?.statementTimeoutMs ?? existing?.policy.statementTimeoutMs ?? DEFAULT_CONNECTION.statementTimeoutMs,
  };
}

/** The pool size the source will have once saved: the form's, else the default (as prepareSource stores it). */
function poolOf(input: SourceInput): number {
  return input.poolMax ?? DEFAULT_CONNECTION.poolMax;
}

function failure(deps: OpsDeps, err: unknown): { code: string; message: string } {
  if (err instanceof AppError) return { code: err.code, message: err.message };
  deps.log.warn('connection test failed unexpectedly', { err });
  return { code: 'INTERNAL_ERROR', message: 'The test failed unexpectedly; the server log has the details.' };
}

/** The sizing check for a source whose pools hold up to `poolMax` connections per process. */
function sizing(deps: OpsDeps, engine: Engine, config: ConnectionConfig, poolMax: number): Promise<SizingReport> {
  return checkSizing(engine, { ...config, poolMax }, { workers: deps.config.workers, replicas: deps.config.replicas });
}

/**
 * Connects with the given settings (nothing is stored), reads the version, counts tables, checks
 * privileges and sizing (`poolMax`: the pool size the source will have; the test itself uses one
 * connection).
 */
async function runTest(deps: OpsDeps, engine: Engine, config: ConnectionConfig, poolMax: number): Promise<ConnectionTest> {
  const started = performance.now();
  const signal = AbortSignal.timeout(config.connectTimeoutMs + 15_000);
  let connector;
  try {
    connector = await createConnector(engine, config);
    const { version } = await connector.ping(signal);
    let tableCount: number | null = null;
    try {
      tableCount = (await connector.introspect({ signal })).tables.length;
    } catch {
      // The version answered; a catalog that cannot be read is not a failed connection.
    }
    const privileges = await checkPrivileges(engine, config);
    const sized = await sizing(deps, engine, config, poolMax);
    return { ok: true, version, tableCount, elapsedMs: Math.round(performance.now() - started), error: null, privileges, sizing: sized };
  } catch (err) {
    return { ok: false, version: null, tableCount: null, elapsedMs: Math.round(performance.now() - started), error: failure(deps, err), privileges: null, sizing: null };
  } finally {
    await connector?.close().catch(() => {});
  }
}

async function recordTest(deps: OpsDeps, sourceId: string, t: ConnectionTest): Promise<void> {
  await deps.store.sourceChecks.record({
    sourceId,
    checkedAt: new Date().toISOString(),
    status: t.ok ? 'ok' : 'failing',
    serverVersion: t.version,
    error: t.error,
    ...(t.ok ? { tableCount: t.tableCount, privilegeWarnings: t.privileges?.warnings ?? null, sizingWarnings: t.sizing?.warnings ?? null } : {}),
  });
}

async function requireSource(deps: OpsDeps, actor: OpsActor, id: string): Promise<SourceRecord> {
  const source = await deps.store.sources.get(actor.orgId, id);
  if (!source) throw new NotFoundError('no such source');
  return source;
}

/** Test connection: the form's settings (with the stored password when editing and none was typed). */
export async function testSource(deps: OpsDeps, actor: OpsActor, form: SourceForm, existingId?: string): Promise<ConnectionTest> {
  await requireCan(deps, actor, 'sources.write');
  const existing = existingId ? await requireSource(deps, actor, existingId) : undefined;
  const input = toInput(form, existing);
  assertEngine(input.engine);
  return runTest(deps, input.engine, testConfig(deps, input, form, existing), poolOf(input));
}

export interface SaveResult {
  saved: boolean;
  source: SourceView | null;
  test: ConnectionTest;
}

/** Adds a source. Tests first; a failing test stops the save unless `force` ("save anyway"). */
export async function createSource(deps: OpsDeps, actor: OpsActor, form: SourceForm, opts: { force?: boolean } = {}): Promise<SaveResult> {
  await requireCan(deps, actor, 'sources.write');
  const input = toInput(form);
  const prepared = prepareSource(deps.keys, input); // validates everything before connecting anywhere
  const test = await runTest(deps, prepared.engine, testConfig(deps, input, form, undefined), poolOf(input));
  if (!test.ok && !opts.force) return { saved: false, source: null, test };
  const record = await deps.store.sources.create({
    id: prepared.id,
    orgId: actor.orgId,
    name: input.name,
    engine: prepared.engine,
    description: input.description ?? '',
    connection: prepared.connection,
    secret: prepared.secret,
    policy: input.policy,
  });
  await recordTest(deps, record.id, test);
  return { saved: true, source: sourceView(record), test };
}

/** Edits a source (engine included); an empty password keeps the stored one. Tests first, like create. */
export async function updateSource(deps: OpsDeps, actor: OpsActor, id: string, form: SourceForm, opts: { force?: boolean } = {}): Promise<SaveResult> {
  await requireCan(deps, actor, 'sources.write');
  const existing = await requireSource(deps, actor, id);
  if (form.engine !== existing.engine) throw new ValidationError(`a source's engine cannot change (this one is ${existing.engine}); add a new source instead`);
  const input = toInput(form, existing);
  const prepared = prepareSource(deps.keys, input, existing.id);
  const test = await runTest(deps, prepared.engine, testConfig(deps, input, form, existing), poolOf(input));
  if (!test.ok && !opts.force) return { saved: false, source: null, test };
  const secret = prepared.secret ?? (form.clearPassword ? null : existing.secret);
  const record = await deps.store.sources.update(actor.orgId, existing.id, {
    name: input.name,
    ...(input.description !== undefined ? { description: input.description } : {}),
    connection: prepared.connection,
    secret,
    policy: input.policy,
  });
  await recordTest(deps, record.id, test);
  return { saved: true, source: sourceView(record), test };
}

/** Deletes a source; `confirmName` must repeat its name (the dashboard's "type the name to confirm"). */
export async function deleteSource(deps: OpsDeps, actor: OpsActor, id: string, confirmName: string): Promise<void> {
  await requireCan(deps, actor, 'sources.write');
  const source = await requireSource(deps, actor, id);
  if (confirmName.trim() !== source.name) throw new ValidationError(`type the source's name (${source.name}) to confirm`);
  await deps.store.sources.delete(actor.orgId, source.id);
  await deps.manager.evict(source.id);
}

/** Keys limited to this source (the danger zone says which would lose it). */
export async function keysLimitedTo(deps: OpsDeps, actor: OpsActor, id: string): Promise<Array<{ id: string; name: string; prefix: string; onlyThis: boolean }>> {
  await requireCan(deps, actor, 'sources.write');
  const source = await requireSource(deps, actor, id);
  const keys = await deps.store.apiKeys.list(actor.orgId);
  return keys
    .filter((k) => k.source_ids?.includes(source.id))
    .map((k) => ({ id: k.id, name: k.name, prefix: k.prefix, onlyThis: k.source_ids?.length === 1 }));
}

function summarize(s: SourceRecord, check: SourceCheck | undefined, live: ReturnType<OpsDeps['manager']['statusOf']>, admin: boolean): SourceSummary {
  const view = sourceView(s);
  let state: SourceState = check ? (check.status === 'ok' ? 'ok' : 'failing') : 'unknown';
  let checkedAt = check?.checkedAt ?? null;
  let reason = check?.error ? check.error.message : null;
  // This replica's own calls are newer evidence than the last stored check.
  if (live.checkedAt && (!checkedAt || live.checkedAt > checkedAt) && live.health !== 'unknown') {
    state = live.health === 'ok' ? 'ok' : 'failing';
    checkedAt = live.checkedAt;
    reason = live.lastError?.message ?? null;
  }
  return {
    ...view,
    // Members see that a source exists and works, not where it lives.
    url: admin ? view.url : '',
    status: {
      state,
      checkedAt,
      reason,
      serverVersion: check?.serverVersion ?? null,
      tableCount: check?.tableCount ?? null,
      privilegeWarnings: admin ? (check?.privilegeWarnings ?? null) : null,
      sizingWarnings: admin ? (check?.sizingWarnings ?? null) : null,
    },
  };
}

export async function listSources(deps: OpsDeps, actor: OpsActor): Promise<SourceSummary[]> {
  const role = await currentRole(deps, actor);
  const [sources, checks] = await Promise.all([deps.store.sources.list(actor.orgId), deps.store.sourceChecks.forOrg(actor.orgId)]);
  return sources.map((s) => summarize(s, checks.get(s.id), deps.manager.statusOf(s.id), isAdmin(role)));
}

export async function getSource(deps: OpsDeps, actor: OpsActor, id: string): Promise<SourceSummary> {
  const role = await currentRole(deps, actor);
  const source = await requireSource(deps, actor, id);
  const checks = await deps.store.sourceChecks.forOrg(actor.orgId);
  return summarize(source, checks.get(source.id), deps.manager.statusOf(source.id), isAdmin(role));
}

/** The form's values for editing a stored source (never its password). */
export async function sourceFormValues(deps: OpsDeps, actor: OpsActor, id: string): Promise<SourceForm & { hasPassword: boolean }> {
  await requireCan(deps, actor, 'sources.write');
  const s = await requireSource(deps, actor, id);
  return {
    name: s.name,
    engine: s.engine,
    description: s.description,
    url: s.connection.url,
    tlsMode: s.connection.tls?.mode,
    tlsCa: s.connection.tls?.ca,
    connectTimeoutMs: s.connection.connectTimeoutMs,
    poolMax: s.connection.poolMax,
    statementTimeoutMs: s.policy.statementTimeoutMs,
    maxRows: s.policy.maxRows,
    maxRowsCeiling: s.policy.maxRowsCeiling,
    maxBytes: s.policy.maxBytes,
    hasPassword: s.secret !== null,
  };
}

/**
 * Checks a stored source now (ping through the live pool, table count, privileges) and stores the result.
 * Any member may ask: it reads nothing but the version.
 */
export async function checkSource(deps: OpsDeps, actor: OpsActor, id: string): Promise<ConnectionTest> {
  await currentRole(deps, actor);
  const source = await requireSource(deps, actor, id);
  const started = performance.now();
  let test: ConnectionTest;
  try {
    const { version } = await deps.manager.use(source, (c) => c.ping(AbortSignal.timeout((source.connection.connectTimeoutMs ?? 5_000) + 15_000)));
    let tableCount: number | null = null;
    try {
      tableCount = (await deps.manager.catalog(source, { refresh: true })).tables.length;
    } catch {
      // as in runTest
    }
    const config = connectionConfig(deps.keys, source);
    const privileges = await checkPrivileges(source.engine, config);
    const sized = await sizing(deps, source.engine, config, config.poolMax);
    test = { ok: true, version, tableCount, elapsedMs: Math.round(performance.now() - started), error: null, privileges, sizing: sized };
  } catch (err) {
    test = { ok: false, version: null, tableCount: null, elapsedMs: Math.round(performance.now() - started), error: failure(deps, err), privileges: null, sizing: null };
  }
  await recordTest(deps, source.id, test);
  return test;
}
