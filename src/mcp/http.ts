/**
 * The MCP endpoint's HTTP layer, behind one narrow seam: a web `Request` in, a `Response` out.
 *
 * Order of checks (each answers before any work is done for the next):
 *   1. Host and Origin (MCP spec, Streamable HTTP "Security Warning": servers MUST validate Origin to
 *      prevent DNS rebinding) → 403 — done in front of this seam by the SDK's Hono adapter middleware
 *      (see app.ts);
 *   2. method: POST only — the server is stateless and offers no GET stream or session DELETE → 405;
 *   3. body size → 413;
 *   4. bearer authentication (RFC 6750; MCP authorization spec: 401 with `WWW-Authenticate` naming the
 *      RFC 9728 resource metadata) → 401/403;
 *   5. the MCP SDK's stateless handler (2026-07-28 per-request envelope, and the 2025-era `initialize`
 *      flow through its legacy stateless fallback).
 */
import { createMcpHandler, isJsonContentType, type McpHttpHandler } from '@modelcontextprotocol/server';
import type { BearerAuthenticator } from '../auth/bearer.js';
import { MCP_SCOPE, type Principal } from '../auth/principal.js';
import { AuthError, errorMessage } from '../errors.js';
import { ToolContext, type McpDeps } from './context.js';
import { classify, serve } from './fastPath.js';
import { buildMcpServer } from './server.js';

export interface McpEndpointOptions {
  deps: McpDeps;
  auth: BearerAuthenticator;
  /** `<public-url>/mcp`: the protected resource (RFC 9728 §2). */
  resource: string;
  /** The RFC 9728 metadata URL to advertise in 401s; absent when OAuth is not offered. */
  resourceMetadataUrl?: string | undefined;
  maxBodyBytes: number;
  /** Answer plain tools/call requests without the SDK's per-request machinery (default true). */
  fastPath?: boolean;
}

/** The body as text, or null when it is larger than `max` bytes (read no further than that). */
async function readLimited(req: Request, max: number): Promise<string | null> {
  // With a declared length (already checked against the limit) the runtime's own text() is safe, and
  // on @hono/node-server it reads the socket directly instead of through a web stream.
  if (req.headers.get('content-length') !== null) return req.text();
  if (!req.body) return '';
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
}

/** A JSON-RPC error body for transport-level refusals (id unknown at this point, hence null). */
function rpcError(status: number, code: number, message: string, headers: Record<string, string> = {}): Response {
  return json(status, { jsonrpc: '2.0', error: { code, message }, id: null }, headers);
}

export class McpEndpoint {
  private readonly handler: McpHttpHandler;
  private inFlight = 0;

  constructor(private readonly opts: McpEndpointOptions) {
    this.handler = createMcpHandler(
      (ctx) => {
        const principal = ctx.authInfo?.extra?.principal as Principal | undefined;
        // The endpoint authenticates before the SDK sees the request; a missing principal is a bug.
        if (!principal) throw new Error('MCP request reached the server factory without a principal');
        return buildMcpServer(opts.deps, principal);
      },
      {
        maxRequestBodySize: opts.maxBodyBytes,
        // The default 'auto' answers with a single JSON body, as no tool emits messages mid-call.
        onerror: (err) => opts.deps.log.debug('mcp request rejected', { err: errorMessage(err) }),
      },
    );
  }

  /** Calls being served right now (for graceful shutdown). */
  get active(): number {
    return this.inFlight;
  }

  private challenge(err: AuthError): Response {
    const params = [`realm="sequel"`];
    if (this.opts.resourceMetadataUrl) params.push(`resource_metadata="${this.opts.resourceMetadataUrl}"`);
    params.push(`scope="${MCP_SCOPE}"`);
    if (err.code === 'INVALID_TOKEN') params.push(`error="invalid_token"`, `error_description="${err.message.replace(/"/g, "'")}"`);
    if (err.code === 'INSUFFICIENT_SCOPE') {
      // RFC 6750 §3.1: insufficient_scope is a 403 naming the scope needed.
      return rpcError(403, -32001, err.message, { 'www-authenticate': `Bearer ${params.join(', ')}, error="insufficient_scope"` });
    }
    return rpcError(401, -32001, err.message, { 'www-authenticate': `Bearer ${params.join(', ')}` });
  }

  async fetch(req: Request): Promise<Response> {
    if (req.method !== 'POST') {
      // Stateless server: no standalone SSE stream (GET) and no sessions to DELETE (Streamable HTTP §2.2, §2.5).
      return rpcError(405, -32000, 'Method not allowed: send JSON-RPC requests with POST.', { allow: 'POST' });
    }
    const length = Number(req.headers.get('content-length') ?? '0');
    if (length > this.opts.maxBodyBytes) {
      return rpcError(413, -32000, `Request body too large (limit ${this.opts.maxBodyBytes} bytes).`);
    }
    let principal: Principal;
    try {
      principal = await this.opts.auth.authenticate(req.headers.get('authorization'));
    } catch (err) {
      if (err instanceof AuthError) return this.challenge(err);
      throw err;
    }
    if (!principal.scopes.includes(MCP_SCOPE)) {
      return this.challenge(new AuthError('INSUFFICIENT_SCOPE', `This token lacks the "${MCP_SCOPE}" scope.`, MCP_SCOPE));
    }
    this.inFlight++;
    try {
      let parsedBody: unknown;
      let request = req;
      if (this.opts.fastPath !== false && isJsonContentType(req.headers.get('content-type'))) {
        const text = await readLimited(req, this.opts.maxBodyBytes);
        if (text === null) return rpcError(413, -32000, `Request body too large (limit ${this.opts.maxBodyBytes} bytes).`);
        try {
          parsedBody = JSON.parse(text);
        } catch {
          // Not JSON: the SDK answers the parse error from the original bytes.
          request = new Request(req.url, { method: 'POST', headers: req.headers, body: text });
        }
        const call = parsedBody === undefined ? undefined : classify(req.headers, parsedBody);
        if (call) return await serve(call, new ToolContext(this.opts.deps, principal), req.signal);
      }
      return await this.handler.fetch(request, {
        ...(parsedBody === undefined ? {} : { parsedBody }),
        authInfo: {
          token: '',
          clientId: principal.credential.kind === 'oauth' ? principal.credential.clientId : principal.credential.id,
          scopes: principal.scopes,
          resource: new URL(this.opts.resource),
          extra: { principal },
        },
      });
    } finally {
      this.inFlight--;
    }
  }

  async close(): Promise<void> {
    await this.handler.close();
  }
}
