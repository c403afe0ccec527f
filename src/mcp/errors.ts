/**
 * The one place where failures become MCP tool results (MCP spec, "Tools › Error Handling": errors of
 * the tool's own execution are results with `isError: true`, so the model can see and act on them).
 * A `ToolError` keeps its stable code and sentence; anything else is an internal error whose details go
 * to the log under a reference, never to the client.
 */
import { randomUUID } from 'node:crypto';
import type { CallToolResult } from '@modelcontextprotocol/server';
import { ToolError, isToolError, type ToolErrorCode } from '../errors.js';
import type { Logger } from '../log.js';

export function toToolError(err: unknown, log: Logger, context: Record<string, unknown>): ToolError {
  if (isToolError(err)) return err;
  const ref = randomUUID().slice(0, 8);
  log.error('tool call failed unexpectedly', { ...context, ref, err });
  return new ToolError('INTERNAL_ERROR', `Sequel hit an internal error (reference ${ref}); retry later or report the reference to your administrator.`);
}

export function errorResult(code: ToolErrorCode, message: string): CallToolResult {
  return {
    isError: true,
    content: [{ type: 'text', text: `${code}: ${message}` }],
    structuredContent: { error: { code, message } },
  };
}
