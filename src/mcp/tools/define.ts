/**
 * A tool is a name, a short description, zod input and output schemas, and a `run` that returns the
 * structured result and its compact text rendering. `register` wires it into an McpServer with
 * `readOnlyHint: true` and the audit/error wrapper, so every tool behaves the same way on the wire.
 *
 * Every tools/list answer lands in a model's context, so the JSON Schemas a tool advertises are written
 * by hand (`inputJson`, `outputJson`: types, enums, required — no `$schema`, no 2^53 bounds) while the
 * zod schemas still validate every call. Every parameter carries a short description (a model guesses wrong names without one); the whole
 * list stays under 4 KB (test/mcp/tools.test.ts measures it).
 */
import type { CallToolResult, McpServer } from '@modelcontextprotocol/server';
import * as z from 'zod';
import { ToolError } from '../../errors.js';
import type { AuditNote, ToolContext } from '../context.js';
import { assertKnownArguments } from './arguments.js';

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

const ANY_OBJECT = z.looseObject({});

/** A tool of any input and output shape (the registry's element type). */
export type AnyTool = ToolDef<z.ZodObject, z.ZodObject>;

/**
 * The tool, its input schema made loose: unknown keys must survive validation (the SDK's and the fast
 * path's) so that `callTool` can refuse them by name instead of zod silently stripping them.
 */
export function defineTool<I extends z.ZodObject, O extends z.ZodObject>(def: ToolDef<I, O>): ToolDef<I, O> {
  return { ...def, input: def.input.loose() as unknown as I };
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
  /** `args` is already what `def.input` parsed (the fast path validated them to classify the call). */
  validated = false,
): Promise<CallToolResult> {
  return ctx.run(def.name, async (note) => {
    const raw = (args ?? {}) as Record<string, unknown>;
    // Unknown names first: `{"query": …}` for `{"sql": …}` is best answered "did you mean `sql`?", not
    // "`sql` is required".
    assertKnownArguments(def.name, raw, Object.keys(def.input.shape));
    let input = raw as z.output<I>;
    if (!validated) {
      const parsed = def.input.safeParse(raw);
      if (!parsed.success) throw new ToolError('INVALID_ARGUMENT', describeIssues(def.name, parsed.error.issues));
      input = parsed.data;
    }
    const out = await def.run(ctx, input, note, signal);
    return { content: [{ type: 'text', text: out.text }], structuredContent: out.structured as Record<string, unknown> };
  });
}

/** zod's issues as one sentence a model can act on: which argument, what was wrong. */
function describeIssues(tool: string, issues: readonly z.core.$ZodIssue[]): string {
  const parts = issues.slice(0, 5).map((i) => {
    const at = i.path.length ? `\`${i.path.map(String).join('.')}\`` : 'the arguments';
    if (i.code === 'invalid_type' && i.input === undefined) return `${at} is required`;
    return `${at}: ${i.message}`;
  });
  return `Invalid arguments for ${tool}: ${parts.join('; ')}.`;
}

export function registerTool<I extends z.ZodObject, O extends z.ZodObject>(server: McpServer, ctx: ToolContext, def: ToolDef<I, O>): void {
  server.registerTool(
    def.name,
    {
      ...(def.title ? { title: def.title } : {}),
      description: def.description,
      // The SDK sees a schema that accepts any object (still advertising the tool's own JSON Schema):
      // `callTool` validates, so that unknown and invalid arguments get the same INVALID_ARGUMENT answer,
      // with the valid names, on both the SDK path and the fast path.
      inputSchema: advertising(ANY_OBJECT, def.inputJson),
      outputSchema: advertising(def.output, def.outputJson),
      // Every Sequel tool only reads (MCP spec, ToolAnnotations); the destructive and idempotent hints
      // are meaningful only when readOnlyHint is false, so they are left out of the (size-budgeted) list.
      annotations: { readOnlyHint: true },
    },
    ((args: z.output<I>, extra: { mcpReq: { signal: AbortSignal } }): Promise<CallToolResult> => callTool(ctx, def, args, extra.mcpReq.signal)) as never,
  );
}
