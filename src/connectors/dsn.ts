/**
 * Network DSNs, shared by the network engines (PostgreSQL, MySQL/MariaDB): parse one into its parts with
 * the password split out, and print one without its password.
 *
 * Connectors never hand a raw DSN to their driver's own URL parser: they build the driver's options from
 * `parseDsn()`, so that a DSN cannot smuggle in settings that would weaken the read-only session (e.g. a
 * PostgreSQL `options=-c default_transaction_read_only=off`) and so that the password in the store (which
 * overrides one in the DSN) is the one used. Every message that names a DSN goes through `redactUrl()`.
 */
import { ValidationError } from '../errors.js';

export interface ParsedDsn {
  /** The scheme without the colon, lower-cased: `postgres`, `postgresql`, `mysql`, `mariadb`. */
  scheme: string;
  /** Host name or IP (IPv6 without brackets), or a Unix socket directory (starts with `/`). */
  host: string;
  port: number | undefined;
  user: string | undefined;
  password: string | undefined;
  database: string | undefined;
  /** Query-string parameters (`sslmode`, `application_name`…), decoded; a repeated key keeps the last value. */
  params: Record<string, string>;
}

/** Query parameters that carry secrets and must never be printed. */
const SECRET_PARAMS = /^(password|passwd|pwd|sslpassword|sslkey)$/i;

/**
 * Parses `scheme://user:password@host:port/database?param=value`. A Unix socket directory may be given as
 * a percent-encoded host (`postgres://u@%2Fvar%2Frun%2Fpostgresql/db`) or as `?host=/var/run/postgresql`.
 * Throws a `ValidationError` whose message never contains the password.
 */
export function parseDsn(url: string): ParsedDsn {
  let u: URL;
  try {
    u = new URL(url.trim());
  } catch {
    throw new ValidationError(`cannot parse the connection URL ${redactUrl(url)} (expected scheme://user@host:port/database)`);
  }
  const params: Record<string, string> = {};
  for (const [k, v] of u.searchParams) params[k] = v;
  let host = decodeURIComponent(u.hostname);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (params.host) host = params.host;
  if (!host) throw new ValidationError(`the connection URL ${redactUrl(url)} names no host`);
  let port: number | undefined;
  const rawPort = params.port ?? u.port;
  if (rawPort) {
    port = Number(rawPort);
    if (!Number.isInteger(port) || port <= 0 || port > 65535) {
      throw new ValidationError(`the connection URL ${redactUrl(url)} has an invalid port`);
    }
  }
  const path = u.pathname.replace(/^\//, '');
  return {
    scheme: u.protocol.replace(/:$/, '').toLowerCase(),
    host,
    port,
    user: u.username ? decodeURIComponent(u.username) : (params.user ?? undefined),
    password: u.password ? decodeURIComponent(u.password) : (params.password ?? undefined),
    database: path ? decodeURIComponent(path) : (params.dbname ?? params.database ?? undefined),
    params,
  };
}

/**
 * The URL as it may be shown in errors, logs and pages: the password (in the user-info part or in a
 * `password=` parameter) replaced by `***`. Never throws; a text that does not parse as a URL is still
 * scrubbed by pattern.
 */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    for (const key of [...u.searchParams.keys()]) {
      if (SECRET_PARAMS.test(key)) u.searchParams.set(key, '***');
    }
    return u.toString();
  } catch {
    return url
      .replace(/(\/\/[^/@\s:]*):[^@\s]*@/g, '$1:***@')
      .replace(/\b(password|passwd|pwd|sslpassword)=([^\s&;]*)/gi, '$1=***');
  }
}

/** `host:port/database` for messages: enough to tell sources apart, nothing secret. */
export function describeTarget(dsn: Pick<ParsedDsn, 'host' | 'port' | 'database'>, defaultPort: number): string {
  const host = dsn.host.includes(':') ? `[${dsn.host}]` : dsn.host;
  return `${host}:${dsn.port ?? defaultPort}${dsn.database ? `/${dsn.database}` : ''}`;
}

/**
 * Replaces every occurrence of the given secrets in a message (belt and braces: driver messages should not
 * contain passwords, but a message is only ever shown after this). Secrets shorter than 3 characters are
 * left alone, since blanking them would garble the message without protecting much.
 */
export function redactSecrets(text: string, secrets: ReadonlyArray<string | undefined>): string {
  let out = text;
  for (const s of secrets) {
    if (s && s.length >= 3) out = out.split(s).join('***');
  }
  return out;
}
