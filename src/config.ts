/**
 * Configuration from the environment (and CLI flags, which override it). Everything has a default that
 * works on a laptop: `npm start` needs no configuration at all.
 */
import os from 'node:os';
import path from 'node:path';
import { parseTrustProxy, type TrustProxy } from './auth/clientAddress.js';
import { ValidationError } from './errors.js';

export interface Config {
  /** Where the embedded store, the server key and the demo database live. */
  dataDir: string;
  /** A PostgreSQL URL for the store (production, replicas); the embedded SQLite store when absent. */
  databaseUrl: string | undefined;
  /** The server key (base64 or hex of 32 bytes) from the environment; generated into dataDir when absent. */
  secretKey: string | undefined;
  /**
   * Older server keys still accepted for reading (SEQUEL_SECRET_KEY_PREVIOUS, comma-separated) while
   * a rotation is under way; nothing new is written under them.
   */
  secretKeyPrevious: string | undefined;
  host: string;
  port: number;
  /**
   * The URL clients reach this server at. It fixes the OAuth issuer and the protected resource
   * (`<publicUrl>/mcp`, RFC 9728 §3). Defaults to http://<host>:<port>.
   */
  publicUrl: string;
  /** Host names a browser page may call /mcp from (`Origin`), besides the public URL's own (ports ignored). */
  allowedOrigins: string[];
  /** Host names accepted in the `Host` header (DNS-rebinding protection; ports ignored). */
  allowedHosts: string[];
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  /** Whether to create the bundled demo data source on first start. */
  demo: boolean;
  /** Largest request body accepted on /mcp, in bytes. */
  maxBodyBytes: number;
  /** Largest request body accepted anywhere else (forms, OAuth endpoints), in bytes (SEQUEL_MAX_FORM_BYTES). */
  maxFormBytes: number;
  /**
   * Reverse proxies whose X-Forwarded-For is believed when keying throttles (SEQUEL_TRUST_PROXY: a list
   * of addresses/CIDRs, `loopback`, `private`, or a hop count). Nothing is trusted by default.
   */
  trustProxy: TrustProxy;
  /**
   * How long an idle keep-alive connection stays open, in seconds (SEQUEL_KEEP_ALIVE_SECONDS; 75). Longer
   * than the idle timeout of common load balancers (60 s) and of HTTP clients' socket pools, so the server
   * is never the side that closes a connection a client is about to reuse.
   */
  keepAliveSeconds: number;
  /** Tool calls per minute per credential (0 = unlimited). */
  rateLimitPerMinute: number;
  /**
   * Redis for limits shared by every replica (SEQUEL_REDIS_URL, e.g. redis://127.0.0.1:6379/0): rate
   * limits, sign-in back-offs, registration limits. Without it a PostgreSQL store holds them; with the
   * SQLite store and no Redis they are in memory (one process).
   */
  redisUrl?: string;
  /** Key prefix in Redis (SEQUEL_REDIS_PREFIX; `sequel:`), for several deployments sharing one Redis. */
  redisPrefix: string;
  /** Seconds to wait for in-flight calls on shutdown. */
  shutdownGraceSeconds: number;
  /** Whether Sequel is its own OAuth 2.1 authorization server (SEQUEL_OAUTH=0 turns it off). */
  oauth: boolean;
  /**
   * Server processes `serve` runs on one port (SEQUEL_WORKERS; default: the cores available), each a
   * stateless replica of the others sharing the store; 1 serves in the one process.
   */
  workers: number;
  /**
   * How many hosts run `sequel serve` on this store (SEQUEL_REPLICAS; 1). Only for the sizing check:
   * each worker of each replica holds its own pool per source, so adding a source warns when
   * pool size × workers × replicas would not fit under the database's connection limit.
   */
  replicas: number;
  /** OAuth access-token lifetime in seconds (SEQUEL_ACCESS_TOKEN_TTL; BRIEF §1: one hour). */
  accessTokenTtlSeconds: number;
  /** OAuth refresh-token lifetime in seconds, renewed at every rotation (SEQUEL_REFRESH_TOKEN_TTL; 30 days). */
  refreshTokenTtlSeconds: number;
  /**
   * Seconds after a refresh token's rotation during which presenting it again still succeeds (a client
   * refreshing twice concurrently); later reuse revokes the whole grant (SEQUEL_REFRESH_GRACE_SECONDS; 30).
   */
  refreshGraceSeconds: number;
  /**
   * Test/development only: `host[:port]` values a Client ID Metadata Document may be fetched from even
   * though they are loopback or private addresses (SEQUEL_OAUTH_CIMD_ALLOW_PRIVATE). Empty by default.
   */
  cimdAllowPrivateHosts: string[];
  /**
   * How an answered tool call's audit entry is made crash-proof before the answer leaves
   * (SEQUEL_AUDIT_DURABILITY): `journal` (default) appends it to a journal in the data directory,
   * replayed into the store at the next start; `store` writes it to the store first.
   */
  auditDurability: 'journal' | 'store';
  /**
   * When the journal reaches the disk (SEQUEL_AUDIT_FSYNC): `interval` (default) answers once the entry is
   * written (safe from a process crash) and fdatasyncs within 50 ms (a power loss can lose that window);
   * `always` answers only after the fdatasync.
   */
  auditFsync: 'always' | 'interval';
  /**
   * Days audit entries are kept (SEQUEL_AUDIT_RETENTION_DAYS); older ones are deleted at start and hourly
   * by every replica. 0 (the default) keeps them forever.
   */
  auditRetentionDays: number;
  /** OTEL_EXPORTER_OTLP_ENDPOINT: traces go to `<endpoint>/v1/traces` (OTLP/HTTP); off when unset. */
  otelEndpoint: string | undefined;
  /** OTEL_BSP_SCHEDULE_DELAY: ms spans wait to be exported together (1000). */
  otelScheduleDelayMs: number;
  /** A PEM file of extra CA certificates trusted when fetching Client ID Metadata Documents (SEQUEL_OAUTH_CIMD_CA_FILE). */
  cimdCaFile: string | undefined;
  /**
   * Milliseconds a Client ID Metadata Document fetch may take (SEQUEL_OAUTH_CIMD_TIMEOUT_MS); the
   * library's 2.5 s when unset.
   */
  cimdTimeoutMs: number | undefined;
}

export interface ConfigOverrides {
  host?: string | undefined;
  port?: number | undefined;
  dataDir?: string | undefined;
}

function intEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new ValidationError(`${name} must be a non-negative integer, got "${raw}"`);
  return n;
}

function listEnv(env: NodeJS.ProcessEnv, name: string): string[] {
  return (env[name] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: ConfigOverrides = {}): Config {
  const host = overrides.host ?? env.SEQUEL_HOST ?? '127.0.0.1';
  const port = overrides.port ?? intEnv(env, 'SEQUEL_PORT', intEnv(env, 'PORT', 7070));
  if (port > 65535) throw new ValidationError(`port must be at most 65535, got ${port}`);
  const dataDir = path.resolve(overrides.dataDir ?? env.SEQUEL_DATA_DIR ?? '.sequel');

  const displayHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  const rawPublic = env.SEQUEL_PUBLIC_URL?.trim() || `http://${displayHost}:${port}`;
  let publicUrl: URL;
  try {
    publicUrl = new URL(rawPublic);
  } catch {
    throw new ValidationError(`SEQUEL_PUBLIC_URL is not a URL: "${rawPublic}"`);
  }
  if (publicUrl.protocol !== 'http:' && publicUrl.protocol !== 'https:') {
    throw new ValidationError('SEQUEL_PUBLIC_URL must be an http(s) URL');
  }
  const publicBase = publicUrl.toString().replace(/\/+$/, '');

  const LOOPBACK = ['localhost', '127.0.0.1', '[::1]'];
  const hostname = (h: string) => {
    try {
      return new URL(h.includes('://') ? h : `http://${h}`).hostname.toLowerCase();
    } catch {
      throw new ValidationError(`"${h}" is not a host name`);
    }
  };
  // Loopback names are always accepted in Host: a DNS-rebinding attack arrives under the attacker's name.
  const allowedHosts = [publicUrl.hostname, ...LOOPBACK, ...listEnv(env, 'SEQUEL_ALLOWED_HOSTS').map(hostname)];
  const allowedOrigins = [publicUrl.hostname, ...listEnv(env, 'SEQUEL_ALLOWED_ORIGINS').map(hostname)];
  if (LOOPBACK.includes(publicUrl.hostname)) allowedOrigins.push(...LOOPBACK);

  const level = (env.SEQUEL_LOG_LEVEL ?? 'info') as Config['logLevel'];
  if (!['debug', 'info', 'warn', 'error', 'silent'].includes(level)) {
    throw new ValidationError(`SEQUEL_LOG_LEVEL must be one of debug, info, warn, error, silent`);
  }

  const auditDurability = (env.SEQUEL_AUDIT_DURABILITY?.trim() || 'journal') as Config['auditDurability'];
  if (auditDurability !== 'journal' && auditDurability !== 'store') {
    throw new ValidationError('SEQUEL_AUDIT_DURABILITY must be journal or store');
  }

  const auditFsync = (env.SEQUEL_AUDIT_FSYNC?.trim() || 'interval') as Config['auditFsync'];
  if (auditFsync !== 'always' && auditFsync !== 'interval') {
    throw new ValidationError('SEQUEL_AUDIT_FSYNC must be always or interval');
  }

  return {
    dataDir,
    databaseUrl: env.SEQUEL_DATABASE_URL?.trim() || undefined,
    secretKey: env.SEQUEL_SECRET_KEY?.trim() || undefined,
    secretKeyPrevious: env.SEQUEL_SECRET_KEY_PREVIOUS?.trim() || undefined,
    host,
    port,
    publicUrl: publicBase,
    allowedOrigins: [...new Set(allowedOrigins)],
    allowedHosts: [...new Set(allowedHosts)],
    logLevel: level,
    demo: env.SEQUEL_DEMO !== '0' && env.SEQUEL_DEMO !== 'false',
    maxBodyBytes: intEnv(env, 'SEQUEL_MAX_BODY_BYTES', 1024 * 1024),
    maxFormBytes: Math.max(1024, intEnv(env, 'SEQUEL_MAX_FORM_BYTES', 64 * 1024)),
    trustProxy: parseTrustProxy(env.SEQUEL_TRUST_PROXY),
    keepAliveSeconds: Math.max(1, intEnv(env, 'SEQUEL_KEEP_ALIVE_SECONDS', 75)),
    rateLimitPerMinute: intEnv(env, 'SEQUEL_RATE_LIMIT_PER_MINUTE', 600),
    ...(env.SEQUEL_REDIS_URL ? { redisUrl: env.SEQUEL_REDIS_URL } : {}),
    redisPrefix: env.SEQUEL_REDIS_PREFIX || 'sequel:',
    shutdownGraceSeconds: intEnv(env, 'SEQUEL_SHUTDOWN_GRACE_SECONDS', 20),
    oauth: env.SEQUEL_OAUTH !== '0' && env.SEQUEL_OAUTH !== 'false',
    workers: Math.max(1, intEnv(env, 'SEQUEL_WORKERS', os.availableParallelism())),
    replicas: Math.max(1, intEnv(env, 'SEQUEL_REPLICAS', 1)),
    accessTokenTtlSeconds: Math.max(1, intEnv(env, 'SEQUEL_ACCESS_TOKEN_TTL', 3600)),
    refreshTokenTtlSeconds: Math.max(60, intEnv(env, 'SEQUEL_REFRESH_TOKEN_TTL', 30 * 86400)),
    refreshGraceSeconds: intEnv(env, 'SEQUEL_REFRESH_GRACE_SECONDS', 30),
    cimdAllowPrivateHosts: listEnv(env, 'SEQUEL_OAUTH_CIMD_ALLOW_PRIVATE').map((h) => h.toLowerCase()),
    cimdCaFile: env.SEQUEL_OAUTH_CIMD_CA_FILE?.trim() || undefined,
    cimdTimeoutMs: env.SEQUEL_OAUTH_CIMD_TIMEOUT_MS ? Math.max(100, intEnv(env, 'SEQUEL_OAUTH_CIMD_TIMEOUT_MS', 2500)) : undefined,
    auditDurability,
    auditFsync,
    auditRetentionDays: intEnv(env, 'SEQUEL_AUDIT_RETENTION_DAYS', 0),
    otelEndpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || undefined,
    otelScheduleDelayMs: intEnv(env, 'OTEL_BSP_SCHEDULE_DELAY', 1_000),
  };
}
