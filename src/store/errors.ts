/** Recognises a unique-constraint violation on either dialect (SQLite and PostgreSQL word it differently). */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown };
  if (e?.code === '23505') return true; // PostgreSQL unique_violation
  return typeof e?.code === 'string' && e.code.startsWith('SQLITE_CONSTRAINT') && /UNIQUE|PRIMARY KEY/i.test(String(e.message));
}
