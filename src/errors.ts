/**
 * Typed errors with stable codes. Every failure a caller can act on is one of these; the wire mapping
 * (MCP tool result, HTTP status, CLI exit) lives in one place per surface, and anything that is not an
 * `AppError` is an unknown failure that surfaces as an internal error (HTTP 500), never as a 400.
 */

/** Codes a tool result can carry (BRIEF §2). A model reads them, so they never change meaning. */
export const TOOL_ERROR_CODES = [
  'UNKNOWN_SOURCE',
  'UNKNOWN_TABLE',
  'NOT_READ_ONLY',
  'SYNTAX_ERROR',
  'QUERY_ERROR',
  'QUERY_TIMEOUT',
  'RESULT_TOO_LARGE',
  'SOURCE_UNAVAILABLE',
  'PERMISSION_DENIED',
  'RATE_LIMITED',
  'INVALID_ARGUMENT',
  'INTERNAL_ERROR',
] as const;

export type ToolErrorCode = (typeof TOOL_ERROR_CODES)[number];

/** Base class: a failure with a stable machine code and a message safe to show to the caller. */
export class AppError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/**
 * A failure of a tool call that the model can act on. The message is one sentence that says what to do
 * next; it must never contain a credential, a DSN password or a bound parameter value.
 */
export class ToolError extends AppError {
  declare readonly code: ToolErrorCode;
  constructor(code: ToolErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** Bad input on an administrative surface (CLI, store, API): what was wrong and how to fix it. */
export class ValidationError extends AppError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('VALIDATION', message, options);
  }
}

/** A named thing does not exist (or is not visible to the caller, which must look the same). */
export class NotFoundError extends AppError {
  constructor(message: string) {
    super('NOT_FOUND', message);
  }
}

/** A unique name is already taken. */
export class ConflictError extends AppError {
  constructor(message: string) {
    super('CONFLICT', message);
  }
}

/**
 * The caller is known but their role in the organization does not allow the action (an admin's action
 * asked by a member, an owner's by an admin). Something in another organization is a NotFoundError
 * instead, so ids cannot be probed.
 */
export class ForbiddenError extends AppError {
  constructor(message: string) {
    super('FORBIDDEN', message);
  }
}

/** HTTP status for an administrative failure (JSON and pages share it); anything unknown is a 500. */
export function httpStatusOf(err: unknown): 400 | 401 | 403 | 404 | 409 | 500 {
  if (!(err instanceof AppError)) return 500;
  switch (err.code) {
    case 'VALIDATION':
      return 400;
    case 'MISSING_CREDENTIALS':
    case 'INVALID_TOKEN':
      return 401;
    case 'FORBIDDEN':
    case 'INSUFFICIENT_SCOPE':
      return 403;
    case 'NOT_FOUND':
      return 404;
    case 'CONFLICT':
      return 409;
    default:
      return 500;
  }
}

/** Authentication failed: no credential, a wrong one, a revoked or an expired one. */
export class AuthError extends AppError {
  constructor(
    code: 'MISSING_CREDENTIALS' | 'INVALID_TOKEN' | 'INSUFFICIENT_SCOPE',
    message: string,
    readonly scope?: string,
  ) {
    super(code, message);
  }
}

export function isToolError(err: unknown): err is ToolError {
  return err instanceof ToolError;
}

/** The message of any thrown value, for logs; callers must still redact (see log.ts). */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
