/**
 * MySQL/MariaDB failures as `ToolError`s. Messages name the target as `host:port/database` (never the
 * DSN) and pass through `redactSecrets` with the password and the call's string parameters, so neither a
 * credential nor a bound value can reach a model, a log or the audit trail through an error.
 */
import { ToolError } from '../../errors.js';
import { redactSecrets } from '../dsn.js';

export interface ErrorContext {
  /** `host:port/database`, for connection failures. */
  target: string;
  /** Texts to blank out of any message: the password, the call's parameter values. */
  secrets: ReadonlyArray<string | undefined>;
  connectTimeoutMs: number;
  timeoutMs?: number | undefined;
}

interface DriverError {
  errno?: number;
  code?: string;
  sqlMessage?: string;
  message?: string;
  fatal?: boolean;
}

function driverError(err: unknown): DriverError {
  return typeof err === 'object' && err !== null ? (err as DriverError) : { message: String(err) };
}

/** Server error numbers (MySQL include/mysqld_error.h, MariaDB's additions). */
const SYNTAX = new Set([1064, 1149]);
const TIMEOUT = new Set([
  3024, // ER_QUERY_TIMEOUT (MySQL max_execution_time)
  1969, // ER_STATEMENT_TIMEOUT (MariaDB max_statement_time)
  1317, // ER_QUERY_INTERRUPTED (KILL QUERY)
  1028, // ER_FILSORT_ABORT (interrupted during a sort)
]);
const READ_ONLY = new Set([
  1792, // ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION
  1290, // ER_OPTION_PREVENTS_STATEMENT (--read-only, --super-read-only)
  1836, // ER_READ_ONLY_MODE
  1148, // ER_NOT_ALLOWED_COMMAND (LOAD DATA LOCAL with local infile off)
]);
const DENIED = new Set([1044, 1045, 1142, 1143, 1227, 1370, 1095, 1211, 1698, 3530, 1968, 4151]);
/** At connect time these mean the source cannot be used as configured. */
const CONNECT_FAILURES = new Set([1044, 1045, 1698, 1049, 1040, 1203, 1129, 1130, 1251, 1043, 1081, 2002, 2003, 2005, 2006, 2013, 2026]);
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'EADDRNOTAVAIL',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'HANDSHAKE_NO_SSL_SUPPORT',
  'HANDSHAKE_SSL_ERROR',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_HAS_EXPIRED',
]);

function clean(text: string, ctx: ErrorContext): string {
  return redactSecrets(text, ctx.secrets).replace(/\s+$/, '').replace(/\.$/, '');
}

/** Whether the error means the connection itself is gone or unusable (not a statement failure). */
export function isConnectionFailure(err: unknown): boolean {
  const e = driverError(err);
  if (e.code && NETWORK_CODES.has(e.code)) return true;
  if (e.fatal === true) return true;
  const msg = e.message ?? '';
  return /closed state|connection is closed|Connection lost|socket hang up/i.test(msg);
}

export function unavailable(err: unknown, ctx: ErrorContext): ToolError {
  const e = driverError(err);
  let reason: string;
  if (e.code === 'ETIMEDOUT') reason = `no answer within ${ctx.connectTimeoutMs} ms`;
  else if (e.code === 'ECONNREFUSED') reason = 'the connection was refused (is the server running and the port right?)';
  else if (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') reason = 'the host name does not resolve';
  else if (e.code === 'HANDSHAKE_NO_SSL_SUPPORT') reason = 'the server does not support TLS, which this source requires';
  else if (e.errno === 1045 || e.errno === 1698) reason = 'authentication failed (check the user name and password)';
  else if (e.errno === 1044) reason = 'the user may not use this database';
  else if (e.errno === 1049) reason = 'the database does not exist';
  else if (e.errno === 1040 || e.errno === 1203) reason = 'the server has too many connections';
  else if (e.code === 'PROTOCOL_CONNECTION_LOST' || e.code === 'ECONNRESET' || e.code === 'EPIPE') reason = 'the connection was lost';
  else reason = clean(e.sqlMessage ?? e.message ?? 'unknown error', ctx);
  return new ToolError('SOURCE_UNAVAILABLE', `Cannot reach the MySQL source at ${ctx.target}: ${reason}; try again later or check the source's settings.`);
}

export function timeoutError(ctx: ErrorContext, why: 'timeout' | 'abort' = 'timeout'): ToolError {
  return why === 'abort'
    ? new ToolError('QUERY_TIMEOUT', 'The statement was cancelled because the call was aborted; the database stopped its work.')
    : new ToolError(
        'QUERY_TIMEOUT',
        `The statement ran past its timeout of ${ctx.timeoutMs ?? 0} ms and was cancelled; narrow it (WHERE, LIMIT, aggregate) or ask for a longer timeout.`,
      );
}

/**
 * Maps a driver error to a `ToolError`. `phase: 'connect'` is for failures while opening or preparing a
 * connection (before the caller's statement was sent).
 */
export function mapMysqlError(err: unknown, ctx: ErrorContext, phase: 'connect' | 'query'): ToolError {
  if (err instanceof ToolError) return err;
  const e = driverError(err);
  const errno = e.errno;
  if (phase === 'connect' && ((errno !== undefined && CONNECT_FAILURES.has(errno)) || isConnectionFailure(err))) return unavailable(err, ctx);
  if (errno === undefined || e.sqlMessage === undefined) {
    if (isConnectionFailure(err)) return unavailable(err, ctx);
    if (err instanceof TypeError) return new ToolError('INVALID_ARGUMENT', `Invalid parameters: ${clean(err.message, ctx)}.`);
    return new ToolError('QUERY_ERROR', `The query failed: ${clean(e.message ?? String(err), ctx)}.`);
  }
  const msg = clean(e.sqlMessage, ctx);
  if (SYNTAX.has(errno)) return new ToolError('SYNTAX_ERROR', `Syntax error: ${msg}.`);
  if (TIMEOUT.has(errno)) return timeoutError(ctx);
  if (READ_ONLY.has(errno)) return new ToolError('NOT_READ_ONLY', `Refused by the database's read-only session: ${msg}.`);
  if (DENIED.has(errno)) return new ToolError('PERMISSION_DENIED', `The source's database user may not do this: ${msg}.`);
  if (errno === 1040 || errno === 1203) return unavailable(err, ctx);
  return new ToolError('QUERY_ERROR', `The query failed: ${msg} (MySQL error ${errno}).`);
}
