/** Recognises a unique-constraint violation on either dialect (SQLite and PostgreSQL word it differently). */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown };
  if (e?.code === '23505') return true; // PostgreSQL unique_violation
  return typeof e?.code === 'string' && e.code.startsWith('SQLITE_CONSTRAINT') && /UNIQUE|PRIMARY KEY/i.test(String(e.message));
}

/** PostgreSQL SQLSTATE classes/codes that mean "the store cannot be reached right now", not a bug. */
const PG_UNAVAILABLE = /^(08|53|57P)/;
/** "database … is not currently accepting connections" (allow_connections = false) is 55000. */
const PG_NOT_ACCEPTING = '55000';
const NET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const SQLITE_UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|FULL|IOERR|CANTOPEN|READONLY|NOMEM|PROTOCOL)/;

/**
 * Whether a store failure is the store being unreachable, locked, or out of disk — a condition that
 * passes and deserves a 503 with Retry-After — rather than a defect (which stays a 500).
 */
export function isStoreUnavailable(err: unknown): boolean {
  for (let e = err as { code?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    const code = typeof e.code === 'string' ? e.code : '';
    if (PG_UNAVAILABLE.test(code) || code === PG_NOT_ACCEPTING || NET_CODES.has(code) || SQLITE_UNAVAILABLE.test(code)) return true;
    const message = typeof e.message === 'string' ? e.message : '';
    // node-postgres words these without a code.
    if (/Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(message)) return true;
  }
  return false;
}
