/**
 * One live connector (and its pool) per source on this replica, rebuilt when the source changes.
 *
 * A source row carries a version that every edit bumps; a call that sees a newer version than the
 * cached connector's retires the old one (closed once its in-flight calls end) and builds a new one, so
 * replicas pick up edits on their next call without any coordination. Idle connectors are closed after
 * a while so that many rarely used sources do not hold connections open.
 *
 * The catalog (introspection) is cached per connector for a short time: `search_schema` and
 * `describe_table` answer from memory, and a miss (a table created a moment ago) refreshes it, at most
 * once per `minRefreshMs`.
 */
import { ToolError, isToolError } from '../errors.js';
import type { Logger } from '../log.js';
import { silentLogger } from '../log.js';
import type { SourceRecord } from '../store/sources.js';
import type { Catalog, ConnectionConfig, Connector, Engine } from './types.js';
import { traced, tracingEnabled } from '../tracing.js';

export type ConnectorCreator = (engine: Engine, config: ConnectionConfig) => Promise<Connector>;

export type SourceHealth = 'ok' | 'unavailable' | 'unknown';

export interface SourceStatus {
  health: SourceHealth;
  /** When the health last changed or was confirmed. */
  checkedAt: string | null;
  /** The last failure's code and message (safe to show: connectors never put secrets in messages). */
  lastError: { code: string; message: string } | null;
}

interface Entry {
  sourceId: string;
  version: number;
  connector: Promise<Connector>;
  inFlight: number;
  retired: boolean;
  lastUsed: number;
  catalog?: { at: number; value: Promise<Catalog>; schemasKey: string };
  lastRefresh: number;
}

export interface ManagerOptions {
  create: ConnectorCreator;
  /** Decrypts a source's connection settings (in memory, for the connector only). */
  config: (source: SourceRecord) => ConnectionConfig;
  logger?: Logger;
  catalogTtlMs?: number;
  minRefreshMs?: number;
  idleCloseMs?: number;
}

export class ConnectorManager {
  private readonly entries = new Map<string, Entry>();
  private readonly status = new Map<string, SourceStatus>();
  private readonly retiring = new Set<Entry>();
  private readonly log: Logger;
  private readonly catalogTtlMs: number;
  private readonly minRefreshMs: number;
  private readonly idleCloseMs: number;
  private readonly sweeper: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly opts: ManagerOptions) {
    this.log = opts.logger ?? silentLogger;
    this.catalogTtlMs = opts.catalogTtlMs ?? 60_000;
    this.minRefreshMs = opts.minRefreshMs ?? 5_000;
    this.idleCloseMs = opts.idleCloseMs ?? 10 * 60_000;
    this.sweeper = setInterval(() => this.sweep(), Math.min(this.idleCloseMs, 60_000));
    this.sweeper.unref();
  }

  private entry(source: SourceRecord): Entry {
    if (this.closed) throw new ToolError('SOURCE_UNAVAILABLE', 'The server is shutting down; retry on another replica or in a moment.');
    const current = this.entries.get(source.id);
    if (current && current.version === source.version) return current;
    if (current) this.retire(current);
    const entry: Entry = {
      sourceId: source.id,
      version: source.version,
      connector: this.opts.create(source.engine, this.opts.config(source)),
      inFlight: 0,
      retired: false,
      lastUsed: Date.now(),
      lastRefresh: 0,
    };
    // A factory failure is answered to the caller; do not keep a broken entry around.
    entry.connector.catch(() => {
      if (this.entries.get(source.id) === entry) this.entries.delete(source.id);
    });
    this.entries.set(source.id, entry);
    return entry;
  }

  private retire(entry: Entry): void {
    if (this.entries.get(entry.sourceId) === entry) this.entries.delete(entry.sourceId);
    entry.retired = true;
    entry.catalog = undefined;
    if (entry.inFlight === 0) void this.closeEntry(entry);
    else this.retiring.add(entry);
  }

  private async closeEntry(entry: Entry): Promise<void> {
    this.retiring.delete(entry);
    try {
      const c = await entry.connector;
      await c.close();
    } catch (err) {
      this.log.debug('connector close failed', { sourceId: entry.sourceId, err });
    }
  }

  private sweep(): void {
    const cutoff = Date.now() - this.idleCloseMs;
    for (const entry of [...this.entries.values()]) {
      if (entry.inFlight === 0 && entry.lastUsed < cutoff) this.retire(entry);
    }
  }

  private record(sourceId: string, err: unknown): void {
    if (err === undefined) {
      this.status.set(sourceId, { health: 'ok', checkedAt: new Date().toISOString(), lastError: null });
    } else if (isToolError(err) && err.code === 'SOURCE_UNAVAILABLE') {
      this.status.set(sourceId, { health: 'unavailable', checkedAt: new Date().toISOString(), lastError: { code: err.code, message: err.message } });
    }
  }

  /** Runs `fn` with the source's live connector, counting it in-flight so a rebuild waits for it. */
  async use<T>(source: SourceRecord, fn: (connector: Connector) => Promise<T>): Promise<T> {
    const entry = this.entry(source);
    entry.inFlight++;
    entry.lastUsed = Date.now();
    try {
      const connector = await entry.connector;
      const result = tracingEnabled() ? await traced(`db ${source.engine}`, { 'db.system': source.engine, 'sequel.source': source.name }, () => fn(connector)) : await fn(connector);
      this.record(source.id, undefined);
      return result;
    } catch (err) {
      this.record(source.id, err);
      throw err;
    } finally {
      entry.inFlight--;
      if (entry.retired && entry.inFlight === 0) void this.closeEntry(entry);
    }
  }

  /**
   * The source's catalog, from cache when fresh. `refresh: 'if-stale'` forces a reload unless one
   * happened in the last `minRefreshMs` (used when a lookup misses).
   */
  async catalog(source: SourceRecord, opts: { refresh?: boolean; signal?: AbortSignal } = {}): Promise<Catalog> {
    const entry = this.entry(source);
    const schemas = source.policy.allowedSchemas;
    const schemasKey = schemas.join('\u0000');
    const now = Date.now();
    const cached = entry.catalog;
    const fresh = cached && cached.schemasKey === schemasKey && now - cached.at < this.catalogTtlMs;
    const mayRefresh = now - entry.lastRefresh >= this.minRefreshMs;
    if (cached && fresh && !(opts.refresh && mayRefresh)) return cached.value;
    entry.lastRefresh = now;
    const value = this.use(source, (c) => c.introspect({ schemas: schemas.length > 0 ? schemas : undefined, signal: opts.signal }));
    entry.catalog = { at: now, value, schemasKey };
    value.catch(() => {
      if (entry.catalog?.value === value) entry.catalog = undefined;
    });
    return value;
  }

  statusOf(sourceId: string): SourceStatus {
    return this.status.get(sourceId) ?? { health: 'unknown', checkedAt: null, lastError: null };
  }

  /**
   * The source's health, checked with a ping when nothing recent is known — but never waiting longer
   * than `budgetMs` (a source that is down must not slow down listing the others); 'unknown' then.
   */
  async health(source: SourceRecord, budgetMs = 1_500, maxAgeMs = 60_000): Promise<SourceHealth> {
    const known = this.statusOf(source.id);
    if (known.checkedAt && Date.now() - Date.parse(known.checkedAt) < maxAgeMs) return known.health;
    const ping = this.use(source, (c) => c.ping()).then(
      () => 'ok' as const,
      (err: unknown) => (isToolError(err) && err.code === 'SOURCE_UNAVAILABLE' ? ('unavailable' as const) : known.health),
    );
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<SourceHealth>((resolve) => {
      timer = setTimeout(() => resolve(known.health), budgetMs);
    });
    try {
      return await Promise.race([ping, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes one source's connector now (the source was deleted). */
  async evict(sourceId: string): Promise<void> {
    const entry = this.entries.get(sourceId);
    if (entry) this.retire(entry);
    this.status.delete(sourceId);
  }

  /** Closes every connector; waits for in-flight calls up to `graceMs`. */
  async close(graceMs = 0): Promise<void> {
    this.closed = true;
    clearInterval(this.sweeper);
    const deadline = Date.now() + graceMs;
    const all = [...this.entries.values(), ...this.retiring];
    while (graceMs > 0 && all.some((e) => e.inFlight > 0) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 25));
    }
    this.entries.clear();
    await Promise.all(all.map((e) => this.closeEntry(e)));
  }
}
