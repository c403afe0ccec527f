/**
 * Data sources as the product sees them: validated input → a stored record with the password split out
 * of the DSN and encrypted (bound to the source id), and a stored record → the in-memory
 * `ConnectionConfig` a connector needs. Nothing here ever returns the secret to a caller.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { DEFAULT_CONNECTION, ENGINES, type ConnectionConfig, type Engine, type TlsMode } from './connectors/types.js';
import { ValidationError } from './errors.js';
import type { ServerKeys } from './secrets.js';
import type { Store } from './store/index.js';
import { MASK_MODES, type ColumnMask, type IdentityRole, type MaskMode, type SourceConnection, type SourcePolicy, type SourceRecord } from './store/sources.js';

/** The policy shape a dashboard or CLI edits (types re-exported for src/web and src/cli.ts). */
export { MASK_MODES, type ColumnMask, type IdentityRole, type MaskMode, type SourcePolicy } from './store/sources.js';

export const NETWORK_ENGINES: readonly Engine[] = ['postgres', 'mysql'];

export function assertEngine(engine: string): asserts engine is Engine {
  if (!(ENGINES as readonly string[]).includes(engine)) {
    throw new ValidationError(`engine must be one of ${ENGINES.join(', ')}, got "${engine}"`);
  }
}

const SCHEMES: Record<Engine, string[]> = {
  postgres: ['postgres:', 'postgresql:'],
  mysql: ['mysql:', 'mariadb:'],
  sqlite: ['sqlite:', 'file:'],
  duckdb: ['duckdb:', 'file:'],
};

/**
 * Splits the password out of a network DSN (it is stored encrypted, apart) and checks the scheme; file
 * engines take a path, made absolute so that the server and the CLI agree whatever their working directory.
 */
export function splitConnectionUrl(engine: Engine, raw: string): { url: string; password: string | undefined } {
  const text = raw.trim();
  if (!text) throw new ValidationError('a source needs a connection URL or file path');
  if (!NETWORK_ENGINES.includes(engine)) {
    const m = /^(sqlite|duckdb|file):(?:\/\/)?(.*)$/i.exec(text);
    const file = m ? m[2]! : text;
    if (!file) throw new ValidationError('a file source needs a path');
    return { url: path.resolve(file), password: undefined };
  }
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new ValidationError(`the ${engine} connection URL does not parse (expected e.g. ${engine}://user@host:port/database)`);
  }
  if (!SCHEMES[engine].includes(u.protocol)) {
    throw new ValidationError(`a ${engine} URL must start with ${SCHEMES[engine].map((s) => s + '//').join(' or ')}`);
  }
  const password = u.password ? decodeURIComponent(u.password) : undefined;
  u.password = '';
  return { url: u.toString(), password };
}

/** A DSN as it may be shown: without its password (the stored URL never has one, but input may). */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

export interface SourceInput {
  name: string;
  engine: string;
  url: string;
  /** Overrides a password in the URL. */
  password?: string | undefined;
  description?: string | undefined;
  tls?: { mode: TlsMode; ca?: string | undefined } | undefined;
  connectTimeoutMs?: number | undefined;
  poolMax?: number | undefined;
  policy?: Partial<SourcePolicy> | undefined;
}

/** Validates the policy fields given (the same checks for a source policy and a policy preset). */
export function assertPolicy(p: Partial<SourcePolicy>): void {
  const positive = (v: unknown, what: string, max: number) => {
    if (v === undefined) return;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) throw new ValidationError(`${what} must be an integer from 1 to ${max}`);
  };
  positive(p.maxRows, 'max rows', 1_000_000);
  positive(p.maxRowsCeiling, 'max rows ceiling', 1_000_000);
  positive(p.maxBytes, 'byte cap', 64 * 1024 * 1024);
  positive(p.statementTimeoutMs, 'statement timeout', 3_600_000);
  const names = (v: unknown, what: string) => {
    if (v === undefined) return;
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || !x.trim() || x.length > 300)) throw new ValidationError(`${what} must be a list of names`);
  };
  names(p.allowedSchemas, 'allowed schemas');
  names(p.hiddenTables, 'hidden tables');
  names(p.hiddenColumns, 'hidden columns');
  if (p.maskedColumns !== undefined) {
    if (!Array.isArray(p.maskedColumns)) throw new ValidationError('masked columns must be a list of { column, mode }');
    for (const m of p.maskedColumns) {
      if (typeof m !== 'object' || m === null || typeof m.column !== 'string' || !m.column.trim() || !MASK_MODES.includes(m.mode)) {
        throw new ValidationError(`each masked column needs a column name or pattern and a mode (${MASK_MODES.join(', ')})`);
      }
    }
  }
  if (p.identityRoles !== undefined) {
    if (!Array.isArray(p.identityRoles) || p.identityRoles.some((r) => typeof r?.member !== 'string' || !r.member.trim() || typeof r.role !== 'string' || !r.role.trim() || r.role.length > 63)) {
      throw new ValidationError('identity roles must be a list of { member (an email or key:<id>), role }');
    }
  }
  if (p.identityRequired !== undefined && typeof p.identityRequired !== 'boolean') throw new ValidationError('identityRequired must be true or false');
  if (p.allowUserFunctions !== undefined && typeof p.allowUserFunctions !== 'boolean') throw new ValidationError('allowUserFunctions must be true or false');
  if (p.maxRows !== undefined && p.maxRowsCeiling !== undefined && p.maxRows > p.maxRowsCeiling) {
    throw new ValidationError('max rows cannot exceed the ceiling');
  }
}

function assertTls(tls: SourceInput['tls']): void {
  if (tls && !['disable', 'require', 'verify-full'].includes(tls.mode)) {
    throw new ValidationError('TLS mode must be disable, require or verify-full');
  }
}

/** Validates input and builds what the store keeps; the secret box is bound to `id`. */
export function prepareSource(keys: ServerKeys, input: SourceInput, id: string = randomUUID()) {
  assertEngine(input.engine);
  const engine = input.engine;
  const { url, password: fromUrl } = splitConnectionUrl(engine, input.url);
  assertTls(input.tls);
  if (input.policy) assertPolicy(input.policy);
  const password = input.password ?? fromUrl;
  const connection: SourceConnection = {
    url,
    ...(input.tls ? { tls: input.tls } : {}),
    ...(input.connectTimeoutMs ? { connectTimeoutMs: input.connectTimeoutMs } : {}),
    ...(input.poolMax ? { poolMax: input.poolMax } : {}),
  };
  const secret = password ? keys.encrypt(JSON.stringify({ password }), sourceSecretAad(id)) : null;
  return { id, engine, connection, secret };
}

/** Associated data of a source's encrypted secret: binds it to its row. */
export function sourceSecretAad(id: string): string {
  return `source:${id}`;
}

/** The connector's view of a stored source: decrypts the password in memory. */
export function connectionConfig(keys: ServerKeys, source: SourceRecord): ConnectionConfig {
  const c = source.connection;
  let password: string | undefined;
  if (source.secret) {
    password = (JSON.parse(keys.decrypt(source.secret, sourceSecretAad(source.id))) as { password?: string }).password;
  }
  return {
    url: c.url,
    password,
    tls: c.tls,
    connectTimeoutMs: c.connectTimeoutMs ?? DEFAULT_CONNECTION.connectTimeoutMs,
    poolMax: c.poolMax ?? DEFAULT_CONNECTION.poolMax,
    statementTimeoutMs: source.policy.statementTimeoutMs,
    allowUserFunctions: source.policy.allowUserFunctions,
  };
}

/** A source as any API, page or CLI may show it: never the secret, never a password. */
export interface SourceView {
  id: string;
  name: string;
  engine: Engine;
  description: string;
  url: string;
  tls: TlsMode | null;
  has_password: boolean;
  policy: SourcePolicy;
  created_at: string;
  updated_at: string;
}

export function sourceView(s: SourceRecord): SourceView {
  return {
    id: s.id,
    name: s.name,
    engine: s.engine,
    description: s.description,
    url: displayUrl(s.connection.url),
    tls: s.connection.tls?.mode ?? null,
    has_password: s.secret !== null,
    policy: s.policy,
    created_at: s.created_at,
    updated_at: s.updated_at,
  };
}

export async function addSource(store: Store, keys: ServerKeys, orgId: string, input: SourceInput): Promise<SourceRecord> {
  const prepared = prepareSource(keys, input);
  return store.sources.create({
    id: prepared.id,
    orgId,
    name: input.name,
    engine: prepared.engine,
    description: input.description ?? '',
    connection: prepared.connection,
    secret: prepared.secret,
    policy: input.policy,
  });
}

/** `a, b,c` → ['a', 'b', 'c']; an empty string clears the list. */
export function nameList(text: string): string[] {
  return text.split(',').map((s) => s.trim()).filter(Boolean);
}

/** `customers.ssn:mask,*email*:hash` → masks; every entry needs a mode. */
export function maskList(text: string): ColumnMask[] {
  return nameList(text).map((entry) => {
    const at = entry.lastIndexOf(':');
    const column = at > 0 ? entry.slice(0, at) : '';
    const mode = at > 0 ? entry.slice(at + 1) : '';
    if (!column || !(MASK_MODES as readonly string[]).includes(mode)) {
      throw new ValidationError(`a mask is column:mode with mode ${MASK_MODES.join(', ')}, got "${entry}"`);
    }
    return { column, mode: mode as MaskMode };
  });
}

/** `ada@example.com=analyst_ada,key:<key id>=etl` → identity roles. */
export function identityList(text: string): IdentityRole[] {
  return nameList(text).map((entry) => {
    const at = entry.lastIndexOf('=');
    const member = at > 0 ? entry.slice(0, at).trim() : '';
    const role = at > 0 ? entry.slice(at + 1).trim() : '';
    if (!member || !role) throw new ValidationError(`an identity role is member=role (member: an email or key:<key id>), got "${entry}"`);
    return { member, role };
  });
}
