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
 *
 * `handleNode` is the same endpoint on node's own request and response objects, which the server uses for
 * `POST /mcp` (server.ts): a plain tools/call is read, authenticated, run and answered with one socket
 * write and no web `Request`/`Response`, Hono routing or web streams in between; anything else is handed
 * to `fetch` as a web request built from the bytes already read.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createMcpHandler, isJsonContentType, validateHostHeader, validateOriginHeader, type McpHttpHandler } from '@modelcontextprotocol/server';
import type { Authenticated, BearerAuthenticator } from '../auth/bearer.js';
import { MCP_SCOPE, type Principal } from '../auth/principal.js';
import { AuthError, errorMessage } from '../errors.js';
import { ToolContext, type McpDeps } from './context.js';
import { answer, classify, serve, type HeaderSource } from './fastPath.js';
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
  /** For handleNode: the Host and Origin allow-lists (hostnames), as app.ts gives the SDK middleware. */
  allowedHosts?: string[];
  allowedOrigins?: string[];
}

/** Node's request headers as the fast path's classifier reads them. */
function nodeHeaders(req: IncomingMessage): HeaderSource {
  return {
    get(name) {
      const v = req.headers[name];
      return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
    },
  };
}

/** The body as bytes, or null when it is larger than `max` (reading stops there). */
function readNode(req: IncomingMessage, max: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (c: Buffer) => {
      if (done) return;
      size += c.length;
      if (size > max) {
        done = true;
        req.resume();
        resolve(null);
        return;
      }
      chunks.push(c);
    });
    req.once('end', () => {
      if (done) return;
      done = true;
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    });
    req.once('error', (err) => {
      if (!done) {
        done = true;
        reject(err);
      }
    });
  });
}

/** Writes a web Response to node's response, streaming its body (an SSE answer stays a stream). */
async function writeWeb(res: ServerResponse, response: Response): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') headers[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length) headers['set-cookie'] = cookies;
  if (!response.body) {
    res.writeHead(response.status, headers).end();
    return;
  }
  const text = headers['content-type'] === 'application/json' ? await response.text() : undefined;
  if (text !== undefined) {
    // A JSON answer in one write, headers included.
    headers['content-length'] = String(Buffer.byteLength(text));
    res.writeHead(response.status, headers).end(text);
    return;
  }
  res.writeHead(response.status, headers);
  res.flushHeaders();
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    if (res.destroyed) break;
    res.write(chunk);
  }
  res.end();
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
  /** (Host, Origin) → '' when allowed, else the refusal's message (see hostRefusal). */
  private readonly hostChecks = new Map<string, string>();

  constructor(private readonly opts: McpEndpointOptions) {
    this.handler = createMcpHandler(
      (ctx) => {
        const principal = ctx.authInfo?.extra?.principal as Principal | undefined;
        // The endpoint authenticates before the SDK sees the request; a missing principal is a bug.
        if (!principal) throw new Error('MCP request reached the server factory without a principal');
        return buildMcpServer(opts.deps, principal, ctx.authInfo?.extra?.epoch as number | undefined);
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

  /** Authentication and the scope check: the principal, or the refusal to send. */
  private async authenticate(header: string | null | undefined): Promise<Authenticated | Response> {
    let auth: Authenticated;
    try {
      auth = await this.opts.auth.check(header);
    } catch (err) {
      if (err instanceof AuthError) return this.challenge(err);
      throw err;
    }
    if (!auth.principal.scopes.includes(MCP_SCOPE)) {
      return this.challenge(new AuthError('INSUFFICIENT_SCOPE', `This token lacks the "${MCP_SCOPE}" scope.`, MCP_SCOPE));
    }
    return auth;
  }

  /**
   * `POST /mcp` on node's objects, in the same order of checks as `fetch` plus the Host/Origin checks
   * app.ts otherwise runs as middleware. Resolves with the response status once it is written.
   */
  async handleNode(req: IncomingMessage, res: ServerResponse): Promise<number> {
    const o = this.opts;
    const refusal = this.hostRefusal(req.headers.host, req.headers.origin);
    if (refusal !== undefined) return this.writeRefusal(res, json(403, { jsonrpc: '2.0', error: { code: -32000, message: refusal }, id: null }));
    if (Number(req.headers['content-length'] ?? '0') > o.maxBodyBytes) {
      return this.writeRefusal(res, rpcError(413, -32000, `Request body too large (limit ${o.maxBodyBytes} bytes).`));
    }
    const auth = await this.authenticate(req.headers.authorization);
    if (auth instanceof Response) return this.writeRefusal(res, auth);
    this.inFlight++;
    try {
      const body = await readNode(req, o.maxBodyBytes);
      if (body === null) return this.writeRefusal(res, rpcError(413, -32000, `Request body too large (limit ${o.maxBodyBytes} bytes).`));
      // One controller per request, aborted only if the client goes away before the answer is written.
      const abort = new AbortController();
      const onClose = () => {
        if (!res.writableFinished) abort.abort();
      };
      res.once('close', onClose);
      let parsedBody: unknown;
      if (o.fastPath !== false && isJsonContentType(req.headers['content-type'] ?? null)) {
        try {
          parsedBody = JSON.parse(body.toString('utf8'));
        } catch {
          // Not JSON: the SDK answers the parse error from the original bytes.
        }
        const call = parsedBody === undefined ? undefined : classify(nodeHeaders(req), parsedBody);
        if (call) {
          const text = await answer(call, new ToolContext(o.deps, auth.principal, auth.epoch), abort.signal);
          // Headers and body in one write (node sends them together when end() carries the body).
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
          return 200;
        }
      }
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers)) {
        if (value === undefined) continue;
        for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
      }
      const request = new Request(`http://${req.headers.host ?? 'localhost'}${req.url ?? '/mcp'}`, { method: 'POST', headers, body: body.toString('utf8'), signal: abort.signal });
      const response = await this.sdk(request, auth, parsedBody);
      await writeWeb(res, response);
      return response.status;
    } finally {
      this.inFlight--;
    }
  }

  /**
   * The SDK's Host and Origin checks (DNS rebinding), remembered per (Host, Origin) pair: a server sees a
   * handful of pairs, and each check parses a URL. Refusals are remembered too; the map is bounded.
   */
  private hostRefusal(host: string | undefined, origin: string | undefined): string | undefined {
    const key = `${host ?? '\u0000'}\u0000${origin ?? '\u0000'}`;
    const known = this.hostChecks.get(key);
    if (known !== undefined) return known || undefined;
    const o = this.opts;
    const h = validateHostHeader(host, o.allowedHosts ?? []);
    const r = h.ok ? validateOriginHeader(origin, o.allowedOrigins ?? []) : h;
    const refusal = r.ok ? '' : r.message;
    if (this.hostChecks.size >= 256) this.hostChecks.clear();
    this.hostChecks.set(key, refusal);
    return refusal || undefined;
  }

  private async writeRefusal(res: ServerResponse, response: Response): Promise<number> {
    await writeWeb(res, response);
    return response.status;
  }

  private sdk(request: Request, auth: Authenticated, parsedBody: unknown): Promise<Response> {
    const { principal, epoch } = auth;
    return this.handler.fetch(request, {
      ...(parsedBody === undefined ? {} : { parsedBody }),
      authInfo: {
        token: '',
        clientId: principal.credential.kind === 'oauth' ? principal.credential.clientId : principal.credential.id,
        scopes: principal.scopes,
        resource: new URL(this.opts.resource),
        extra: { principal, epoch },
      },
    });
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
    const auth = await this.authenticate(req.headers.get('authorization'));
    if (auth instanceof Response) return auth;
    const { principal, epoch } = auth;
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
        if (call) return await serve(call, new ToolContext(this.opts.deps, principal, epoch), req.signal);
      }
      return await this.sdk(request, auth, parsedBody);
    } finally {
      this.inFlight--;
    }
  }

  async close(): Promise<void> {
    await this.handler.close();
  }
}
