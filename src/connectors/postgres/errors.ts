/**
 * PostgreSQL failures as `ToolError`s (src/errors.ts). SQLSTATE classes decide the code; the server's own
 * message is kept for query errors because a model needs it to fix its SQL. Messages never carry the
 * password (the source's secrets are scrubbed from every message) nor bound parameter values (quoted
 * values that equal a parameter are replaced by `$n`).
 */
import { ToolError } from '../../errors.js';
import { redactSecrets } from '../dsn.js';

/** The fields of pg's `DatabaseError` this module reads. */
interface PgServerError {
  code?: unknown;
  message?: unknown;
  hint?: unknown;
  position?: unknown;
  severity?: unknown;
}

export interface ErrorContext {
  /** `host:port/database` of the source, for connection errors. */
  target: string;
  /** Strings that must never appear in a message (the password). */
  secrets: ReadonlyArray<string | undefined>;
  /** The call's parameter values, scrubbed from server messages that quote input. */
  params?: readonly unknown[];
  /** The call's statement timeout, for the QUERY_TIMEOUT message. */
  timeoutMs?: number;
  /** True when the caller aborted (client gone, shutdown) rather than the timeout expiring. */
  aborted?: boolean;
  /** True when the client-side watchdog had to close the connection after the deadline. */
  deadlineHit?: boolean;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'ECONNABORTED']);

function sqlState(err: unknown): string | undefined {
  const code = (err as PgServerError | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** True for failures that mean "the source cannot be reached or refused the session". */
export function isConnectionFailure(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const state = sqlState(err);
  if (state) {
    return (
      // 08P01 from the server is a protocol violation by the call (e.g. too few parameters bound): the
      // session survives it and the caller can fix it, so it is a query error, not an outage.
      (state.startsWith('08') && state !== '08P01') || // connection exception
      state.startsWith('28') || // invalid authorization (wrong password, no pg_hba entry)
      state === '3D000' || // database does not exist
      state === '53300' || // too many connections
      state === '57P01' || // admin shutdown
      state === '57P02' || // crash shutdown
      state === '57P03' // cannot connect now (starting up, in recovery)
    );
  }
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL'))) return true;
  const m = err.message;
  return (
    /Connection terminated|connection timeout|timeout exceeded when trying to connect|does not support SSL|server closed the connection|self[- ]signed certificate|unable to (get|verify)|certificate|Hostname\/IP does not match|ssl|Client has encountered a connection error/i.test(
      m,
    ) || m === 'Connection terminated unexpectedly'
  );
}

function scrubParams(message: string, params: readonly unknown[] | undefined): string {
  if (!params?.length) return message;
  const values = new Map<string, number>();
  params.forEach((p, i) => {
    if (p === null || p === undefined) return;
    const s = typeof p === 'object' ? JSON.stringify(p) : String(p);
    if (s.length > 0 && !values.has(s)) values.set(s, i + 1);
  });
  // The server quotes offending input as "value" (invalid input syntax, out of range, enum values…).
  let out = message.replace(/"((?:[^"]|"")*)"/g, (whole, inner: string) => {
    const n = values.get(inner.replace(/""/g, '"'));
    return n === undefined ? whole : `(the value of $${n})`;
  });
  // And anything long enough to be unmistakable, wherever it appears.
  for (const [s, n] of values) if (s.length >= 6) out = out.split(s).join(`(the value of $${n})`);
  return out;
}

function connectionReason(err: Error, connectTimeoutMs?: number): string {
  const state = sqlState(err);
  const code = (err as { code?: unknown }).code;
  if (state === '53300') return 'the server has too many connections';
  if (state === '57P03') return 'the server is not accepting connections yet (starting up or in recovery)';
  if (state === '57P01' || state === '57P02') return 'the server is shutting down';
  if (code === 'ECONNREFUSED') return 'connection refused (is the server running and listening on this host and port?)';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'the host name does not resolve';
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return 'the host is unreachable';
  if (/timeout exceeded when trying to connect/.test(err.message)) {
    return 'every connection of this source was busy for the whole connect timeout; retry shortly';
  }
  if (/connection timeout/i.test(err.message) || code === 'ETIMEDOUT') {
    return `no answer within ${connectTimeoutMs !== undefined ? `${connectTimeoutMs} ms` : 'the connect timeout'}`;
  }
  if (/does not support SSL/i.test(err.message)) return 'the server does not support TLS, but this source requires it';
  return err.message;
}

/**
 * A connection-level failure as SOURCE_UNAVAILABLE: which source, why, and nothing secret.
 */
export function unavailable(err: unknown, ctx: ErrorContext, connectTimeoutMs?: number): ToolError {
  const reason = err instanceof Error ? connectionReason(err, connectTimeoutMs) : String(err);
  const message = `PostgreSQL at ${ctx.target} is unavailable: ${reason}.`;
  return new ToolError('SOURCE_UNAVAILABLE', redactSecrets(message, ctx.secrets), { cause: err });
}

/**
 * Maps any failure of a call to a `ToolError`, or returns the error unchanged when it is unexpected
 * (a bug, which surfaces upstream as INTERNAL_ERROR).
 */
export function mapPgError(err: unknown, ctx: ErrorContext): unknown {
  if (err instanceof ToolError) return err;
  if (ctx.aborted) {
    return new ToolError('QUERY_TIMEOUT', 'The query was cancelled before it finished (the request was aborted).', { cause: err });
  }
  const state = sqlState(err);
  if (ctx.deadlineHit || state === '57014') {
    const limit = ctx.timeoutMs !== undefined ? ` of ${ctx.timeoutMs} ms` : '';
    return new ToolError(
      'QUERY_TIMEOUT',
      `The query exceeded this source's statement timeout${limit} and was cancelled; narrow it (WHERE, LIMIT) or aggregate.`,
      { cause: err },
    );
  }
  if (isConnectionFailure(err)) return unavailable(err, ctx);
  if (!state || !(err instanceof Error)) return err;
  const e = err as Error & PgServerError;
  // The statement cache's names (statement.ts) mean nothing to the caller: "prepared statement
  // \"sequel_s12\" requires 2" reads as "the statement requires 2", as does the unnamed statement's "".
  let message = scrubParams(String(e.message), ctx.params).replace(/prepared statement "(?:sequel_s\d+)?"/g, 'the statement');
  if (typeof e.position === 'string' && e.position) message += ` (at character ${e.position})`;
  if (typeof e.hint === 'string' && e.hint) message += `. Hint: ${scrubParams(e.hint, ctx.params)}`;
  message = redactSecrets(message, ctx.secrets);
  if (state === '42601') return new ToolError('SYNTAX_ERROR', `Syntax error: ${message}.`, { cause: err });
  if (state === '25006') return new ToolError('NOT_READ_ONLY', `Refused by the read-only transaction: ${message}.`, { cause: err });
  if (state === '42501') return new ToolError('PERMISSION_DENIED', `Permission denied: ${message}. The source's database role lacks this privilege.`, { cause: err });
  if (state === '25P03') return unavailable(err, ctx);
  return new ToolError('QUERY_ERROR', `${message}.`, { cause: err });
}
