/**
 * A tool is a name, a short description, zod input and output schemas, and a `run` that returns the
 * structured result and its compact text rendering. `register` wires it into an McpServer with
 * `readOnlyHint: true` and the audit/error wrapper, so every tool behaves the same way on the wire.
 */
import type { CallToolResult, McpServer } from '@modelcontextprotocol/server';
import type * as z from 'zod';
import type { AuditNote, ToolContext } from '../context.js';

export interface ToolOutput<O> {
  structured: O;
  text: string;
}

export interface ToolDef<I extends z.ZodObject, O extends z.ZodObject> {
  name: string;
  title?: string;
  description: string;
  input: I;
  output: O;
  run(ctx: ToolContext, args: z.output<I>, note: AuditNote, signal: AbortSignal): Promise<ToolOutput<z.output<O>>>;
}

export function defineTool<I extends z.ZodObject, O extends z.ZodObject>(def: ToolDef<I, O>): ToolDef<I, O> {
  return def;
}

export function registerTool<I extends z.ZodObject, O extends z.ZodObject>(server: McpServer, ctx: ToolContext, def: ToolDef<I, O>): void {
  server.registerTool(
    def.name,
    {
      ...(def.title ? { title: def.title } : {}),
      description: def.description,
      inputSchema: def.input,
      outputSchema: def.output,
      // Every Sequel tool only reads (MCP spec, ToolAnnotations): clients may run them without confirmation.
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    (async (args: z.output<I>, extra: { mcpReq: { signal: AbortSignal } }): Promise<CallToolResult> =>
      ctx.run(def.name, async (note) => {
        const out = await def.run(ctx, args, note, extra.mcpReq.signal);
        return { content: [{ type: 'text', text: out.text }], structuredContent: out.structured as Record<string, unknown> };
      })) as never,
  );
}
