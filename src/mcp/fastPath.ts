/**
 * The hot path: a single, well-formed `tools/call` for one of Sequel's own tools, in either protocol era,
 * answered without building an MCP server, transport, abort machinery and web streams per request (the
 * SDK's stateless handler does all of that for every call; BRIEF §6 measures its cost).
 *
 * It only takes requests whose every detail is unambiguous; anything else — other methods, batches,
 * notifications, a header that disagrees with the body, arguments that do not validate, an unknown
 * tool — goes to the SDK, which owns every error answer. A differential test (test/mcp/fastpath.test.ts)
 * sends the same requests down both paths and requires identical JSON-RPC answers.
 */
import type { ToolContext } from './context.js';
import { SERVER_INFO, TOOLS } from './server.js';
import { callTool, type AnyTool } from './tools/define.js';

/** MCP 2026-07-28: the per-request envelope's keys (`_meta`), and the revision itself. */
const MODERN = '2026-07-28';
const PROTOCOL_KEY = 'io.modelcontextprotocol/protocolVersion';
const CLIENT_INFO_KEY = 'io.modelcontextprotocol/clientInfo';
const CLIENT_CAPS_KEY = 'io.modelcontextprotocol/clientCapabilities';
const SERVER_INFO_KEY = 'io.modelcontextprotocol/serverInfo';
/** 2025-era revisions a client may name in MCP-Protocol-Version after `initialize`. */
const LEGACY = new Set(['2025-03-26', '2025-06-18', '2025-11-25']);

const byName = new Map<string, AnyTool>(TOOLS.map((t) => [t.name, t]));

export interface FastCall {
  era: 'legacy' | 'modern';
  id: string | number;
  tool: AnyTool;
  /** The arguments as the tool's input schema parsed them. */
  args: unknown;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function accepts(header: string | null, type: string): boolean {
  return header !== null && header.split(',').some((part) => part.split(';')[0]!.trim().toLowerCase() === type);
}

/** Header access as both web `Headers` and a node request adapter offer it. */
export interface HeaderSource {
  get(name: string): string | null;
}

/** The fast-path call this request is, or undefined when the SDK must answer it. */
export function classify(headers: HeaderSource, body: unknown): FastCall | undefined {
  if (!isObject(body) || body.jsonrpc !== '2.0' || body.method !== 'tools/call') return undefined;
  const id = body.id;
  if (typeof id !== 'string' && !(typeof id === 'number' && Number.isInteger(id))) return undefined;
  const params = body.params;
  if (!isObject(params) || typeof params.name !== 'string') return undefined;
  const tool = byName.get(params.name);
  if (!tool) return undefined;
  const parsed = tool.input.safeParse(params.arguments ?? {});
  if (!parsed.success) return undefined;
  const args: unknown = parsed.data;
  const accept = headers.get('accept');
  const version = headers.get('mcp-protocol-version');
  const meta = params._meta;
  if (isObject(meta) && PROTOCOL_KEY in meta) {
    // Modern era: the envelope and the routing headers must agree exactly (2026-07-28 transport rules).
    if (meta[PROTOCOL_KEY] !== MODERN || version !== MODERN) return undefined;
    if (!isObject(meta[CLIENT_INFO_KEY]) || !isObject(meta[CLIENT_CAPS_KEY])) return undefined;
    if (headers.get('mcp-method') !== 'tools/call' || headers.get('mcp-name') !== params.name) return undefined;
    if (!accepts(accept, 'application/json')) return undefined;
    return { era: 'modern', id, tool, args };
  }
  // 2025 era, after initialize: the negotiated version travels in the header (2025-06-18 transport §2.7).
  if (version === null || !LEGACY.has(version)) return undefined;
  if (!accepts(accept, 'application/json') || !accepts(accept, 'text/event-stream')) return undefined;
  return { era: 'legacy', id, tool, args };
}

/** The constant parts of a 2026-07-28 result, serialized once: the server's identity first, completeness last. */
const MODERN_HEAD = `{"_meta":${JSON.stringify({ [SERVER_INFO_KEY]: SERVER_INFO })},`;
const MODERN_TAIL = ',"resultType":"complete"}';

/**
 * The JSON-RPC answer's text: `{"jsonrpc":"2.0","id":…,"result":…}`, with the 2026-07-28 envelope
 * (server identity, `resultType: complete`) spliced around the tool's result without re-serializing it.
 */
export async function answer(call: FastCall, ctx: ToolContext, signal: AbortSignal): Promise<string> {
  const result = JSON.stringify(await callTool(ctx, call.tool, call.args as Record<string, unknown>, signal, true));
  const payload = call.era === 'modern' ? (result === '{}' ? `${MODERN_HEAD.slice(0, -1)}${MODERN_TAIL}` : MODERN_HEAD + result.slice(1, -1) + MODERN_TAIL) : result;
  return `{"jsonrpc":"2.0","id":${JSON.stringify(call.id)},"result":${payload}}`;
}

export async function serve(call: FastCall, ctx: ToolContext, signal: AbortSignal): Promise<Response> {
  return new Response(await answer(call, ctx, signal), { status: 200, headers: { 'content-type': 'application/json' } });
}
