/**
 * Wiring: everything a running Sequel needs, built once from the config and shared by the server and
 * the CLI — the store (migrated), the server keys (checked against the store), the connector manager,
 * the audit writer, metrics. Also the first-run defaults: a default organization, the bundled demo
 * source, and the one-time setup link.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { AuditWriter } from './audit.js';
import { BearerAuthenticator, type AccessTokenVerifier } from './auth/bearer.js';
import { SignIn } from './auth/signin.js';
import { createOAuthServer, type OAuthServer } from './auth/oauth/provider.js';
import type { Config } from './config.js';
import { createConnector } from './connectors/index.js';
import { ConnectorManager } from './connectors/manager.js';
import { AppError, ConflictError } from './errors.js';
import { createLogger, type Logger } from './log.js';
import { RedisCounters } from './limits/redis.js';
import type { SharedCounters } from './limits/shared.js';
import { RateLimiter } from './mcp/rateLimit.js';
import { Metrics } from './metrics.js';
import { initTracing, shutdownTracing } from './tracing.js';
import { loadServerKeys, type ServerKeys } from './secrets.js';
import { addSource, connectionConfig } from './sources.js';
import { openStore, type Store } from './store/index.js';
import { PgRateCounters } from './store/rateCounters.js';
import { SERVER_KEY_FINGERPRINT } from './store/settings.js';

export interface Runtime {
  config: Config;
  store: Store;
  keys: ServerKeys;
  log: Logger;
  manager: ConnectorManager;
  audit: AuditWriter;
  metrics: Metrics;
  rateLimiter: RateLimiter;
  /**
   * Counters shared by every replica (Redis with SEQUEL_REDIS_URL, else a PostgreSQL store); absent with
   * the SQLite store and no Redis, where limits are in memory. See src/limits/shared.ts.
   */
  counters?: SharedCounters;
  auth: BearerAuthenticator;
  /** Password sign-in with its throttles, shared by the OAuth pages and the dashboard. */
  signIn: SignIn;
  /** Set by the OAuth provider when it is mounted. */
  oauth?: AccessTokenVerifier;
  /** The OAuth 2.1 authorization server (config.oauth); app.ts mounts its routes. */
  oauthServer?: OAuthServer;
  close(graceMs?: number): Promise<void>;
}

/**
 * A process must hold the key the store's secrets are under (current or previous), or every encrypted
 * credential and key hash would silently stop matching. The message names key ids (fingerprint
 * prefixes), never key material.
 */
async function checkKeyRing(store: Store, keys: ServerKeys, config: Config): Promise<void> {
  const stored = await store.settings.setIfAbsent(SERVER_KEY_FINGERPRINT, keys.fingerprint());
  if (keys.fingerprints().includes(stored)) return;
  const ring = keys.rotating ? `keys ${keys.ids().join(', ')}` : `key ${keys.id}`;
  throw new AppError(
    'SERVER_KEY_MISMATCH',
    `the store at ${store.location} holds secrets under server key ${stored.slice(0, 8)}, which is not among this server's ${ring}; ` +
      `start every replica with that key as SEQUEL_SECRET_KEY (or in SEQUEL_SECRET_KEY_PREVIOUS during a rotation; without SEQUEL_SECRET_KEY, the original ${path.join(config.dataDir, 'server.key')})`,
  );
}

export interface OpenOptions {
  logger?: Logger;
}

export async function openRuntime(config: Config, opts: OpenOptions = {}): Promise<Runtime> {
  const log = opts.logger ?? createLogger(config.logLevel);
  const { keys, generated, file } = loadServerKeys(config.dataDir, config.secretKey, config.secretKeyPrevious);
  if (generated) log.info('generated a new server key', { file });
  const store = openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    const applied = await store.migrate();
    if (applied.length) log.info('store migrated', { store: store.location, applied });
    await checkKeyRing(store, keys, config);
    if (keys.rotating) log.info('server key ring', { current: keys.id, accepted: keys.ids() });
  } catch (err) {
    await store.close();
    throw err;
  }
  const metrics = new Metrics();
  if (initTracing({ endpoint: config.otelEndpoint, serviceName: process.env.OTEL_SERVICE_NAME, scheduleDelayMs: config.otelScheduleDelayMs })) {
    log.info('exporting traces', { endpoint: config.otelEndpoint });
  }
  const manager = new ConnectorManager({
    create: createConnector,
    config: (source) => connectionConfig(keys, source),
    logger: log,
  });
  const audit = new AuditWriter(store, log, {
    durability: config.auditDurability,
    fsync: config.auditFsync,
    journalDir: path.join(config.dataDir, 'audit-journal'),
  });
  try {
    // Entries a crashed process acknowledged but had not stored yet (idempotent: see src/audit.ts).
    await audit.recover();
  } catch (err) {
    await store.close();
    throw err;
  }
  let oauthServer: OAuthServer | undefined;
  if (config.oauth) {
    try {
      oauthServer = await createOAuthServer({ config, store, keys, log });
    } catch (err) {
      await store.close();
      throw err;
    }
  }
  const counters: SharedCounters | undefined = config.redisUrl
    ? new RedisCounters(config.redisUrl, config.redisPrefix)
    : store.dialect === 'postgres'
      ? new PgRateCounters(store.db)
      : undefined;
  const runtime: Runtime = {
    config,
    store,
    keys,
    log,
    manager,
    audit,
    metrics,
    rateLimiter: new RateLimiter(config.rateLimitPerMinute, counters),
    ...(counters ? { counters } : {}),
    auth: new BearerAuthenticator(store, keys, oauthServer?.verifier),
    signIn: new SignIn(store, log, undefined, counters),
    ...(oauthServer ? { oauth: oauthServer.verifier, oauthServer } : {}),
    async close(graceMs = 0) {
      await manager.close(graceMs);
      await audit.close();
      await oauthServer?.close();
      await counters?.close();
      await store.close();
      if (config.otelEndpoint) await shutdownTracing();
    },
  };
  return runtime;
}

export const DEFAULT_ORG = 'default';
const DEMO_DONE_KEY = 'demo_provisioned';
const SETUP_TOKEN_KEY = 'setup_token_hash';

/**
 * First run: a `default` organization when there is none, and the bundled demo source in it (once — an
 * admin who deletes the demo does not get it back).
 */
export async function ensureDefaults(rt: Runtime): Promise<{ orgCreated: boolean; demoCreated: boolean }> {
  let orgCreated = false;
  let org = await rt.store.orgs.bySlug(DEFAULT_ORG);
  if (!org && (await rt.store.orgs.list()).length === 0) {
    try {
      org = await rt.store.orgs.create(DEFAULT_ORG, 'Default organization');
      orgCreated = true;
    } catch (err) {
      // Another replica starting at the same moment created it first: use theirs.
      if (!(err instanceof ConflictError)) throw err;
      org = await rt.store.orgs.bySlug(DEFAULT_ORG);
    }
  }
  let demoCreated = false;
  if (org && rt.config.demo && !(await rt.store.settings.get(DEMO_DONE_KEY))) {
    const { ensureDemoDatabase } = await import('./demo/generate.js');
    const { DEMO_SOURCE, DEMO_DESCRIPTIONS } = await import('./demo/descriptions.js');
    const file = path.join(rt.config.dataDir, 'demo.sqlite');
    await ensureDemoDatabase(file);
    if (!(await rt.store.sources.byName(org.id, DEMO_SOURCE.name))) {
      try {
        const source = await addSource(rt.store, rt.keys, org.id, {
          name: DEMO_SOURCE.name,
          engine: 'sqlite',
          url: file,
          description: DEMO_SOURCE.description,
        });
        for (const d of DEMO_DESCRIPTIONS) await rt.store.descriptions.set(source.id, d, null);
        demoCreated = true;
      } catch (err) {
        // A replica starting at the same moment added it first.
        if (!(err instanceof ConflictError)) throw err;
      }
    }
    await rt.store.settings.set(DEMO_DONE_KEY, new Date().toISOString());
  }
  return { orgCreated, demoCreated };
}

/**
 * While no user exists, a fresh one-time setup token (only its hash is stored) for the dashboard's
 * first-run page; null once someone has set the instance up.
 */
export async function issueSetupToken(rt: Runtime): Promise<string | null> {
  if ((await rt.store.users.count()) > 0) {
    await rt.store.settings.delete(SETUP_TOKEN_KEY);
    return null;
  }
  const token = randomBytes(24).toString('base64url');
  await rt.store.settings.set(SETUP_TOKEN_KEY, rt.keys.hash('sessions', token));
  return token;
}

/** Consumes the setup token if it is the current one (compare-by-hash, single use). */
export async function checkSetupToken(rt: Runtime, token: string): Promise<boolean> {
  if (!token) return false;
  const stored = await rt.store.settings.get(SETUP_TOKEN_KEY);
  return stored !== undefined && rt.keys.hashes('sessions', token).some((h) => h.hash === stored);
}

/** Whether a one-time setup link is outstanding (its hash is stored). */
export async function setupPending(rt: Runtime): Promise<boolean> {
  return (await rt.store.settings.get(SETUP_TOKEN_KEY)) !== undefined;
}

export async function consumeSetupToken(rt: Runtime): Promise<void> {
  await rt.store.settings.delete(SETUP_TOKEN_KEY);
}
