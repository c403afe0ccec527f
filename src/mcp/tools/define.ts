/**
 * A tool is a name, a short description, zod input and output schemas, and a `run` that returns the
 * structured result and its compact text rendering. `register` wires it into an McpServer with
 * `readOnlyHint: true` and the audit/error wrapper, so every tool behaves the same way on the wire.
 *
 * Every tools/list answer lands in a model's context, so the JSON Schemas a tool advertises are written
 * by hand (`inputJson`, `outputJson`: types, enums, required — no `$schema`, no 2^53 bounds) while the
 * zod schemas still validate every call. The whole list stays under 2.5 KB (BRIEF §2).
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
  /** The input schema as advertised in tools/list (must accept what `input` accepts). */
  inputJson: JsonObject;
  /** The output schema as advertised in tools/list. */
  outputJson: JsonObject;
  run(ctx: ToolContext, args: z.output<I>, note: AuditNote, signal: AbortSignal): Promise<ToolOutput<z.output<O>>>;
}

type JsonObject = { [key: string]: unknown };

/**
 * The zod schema, validating as before, but advertising `json` as its JSON Schema (the SDK reads
 * `~standard.jsonSchema`, the Standard JSON Schema interface, when converting for tools/list).
 */
function advertising<S extends z.ZodType>(schema: S, json: JsonObject): S {
  const std = schema['~standard'];
  const convert = () => json;
  return Object.assign(Object.create(schema) as S, { '~standard': { ...std, jsonSchema: { input: convert, output: convert } } });
}

/** A tool of any input and output shape (the registry's element type). */
export type AnyTool = ToolDef<z.ZodObject, z.ZodObject>;

export function defineTool<I extends z.ZodObject, O extends z.ZodObject>(def: ToolDef<I, O>): ToolDef<I, O> {
  return def;
}

/**
 * One call of a tool, as both the SDK path and the fast path (../fastPath.ts) run it: rate limit, work,
 * audit and error mapping (ToolContext.run), then the structured result and its text rendering.
 */
export function callTool<I extends z.ZodObject, O extends z.ZodObject>(
  ctx: ToolContext,
  def: ToolDef<I, O>,
  args: z.output<I>,
  signal: AbortSignal,
): Promise<CallToolResult> {
  return ctx.run(def.name, async (note) => {
    const out = await def.run(ctx, args, note, signal);
    return { content: [{ type: 'text', text: out.text }], structuredContent: out.structured as Record<string, unknown> };
  });
}

export function registerTool<I extends z.ZodObject, O extends z.ZodObject>(server: McpServer, ctx: ToolContext, def: ToolDef<I, O>): void {
  server.registerTool(
    def.name,
    {
      ...(def.title ? { title: def.title } : {}),
      description: def.description,
      inputSchema: advertising(def.input, def.inputJson),
      outputSchema: advertising(def.output, def.outputJson),
      // Every Sequel tool only reads (MCP spec, ToolAnnotations); the destructive and idempotent hints
      // are meaningful only when readOnlyHint is false, so they are left out of the (size-budgeted) list.
      annotations: { readOnlyHint: true },
    },
    ((args: z.output<I>, extra: { mcpReq: { signal: AbortSignal } }): Promise<CallToolResult> => callTool(ctx, def, args, extra.mcpReq.signal)) as never,
  );
}
