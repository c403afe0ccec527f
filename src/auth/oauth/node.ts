/** Node's own request and response under @hono/node-server, which oidc-provider (a Koa app) needs. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context } from 'hono';

export interface NodeBindings {
  incoming?: IncomingMessage;
  outgoing?: ServerResponse;
}

/** Node's request and response, when the app runs under @hono/node-server. */
export function nodeEnv(c: Context): { incoming: IncomingMessage; outgoing: ServerResponse } | undefined {
  const env = c.env as NodeBindings | undefined;
  return env?.incoming && env.outgoing ? { incoming: env.incoming, outgoing: env.outgoing } : undefined;
}

/** The peer address of the connection (the rate-limit key; no forwarding header is trusted for it). */
export function clientIp(c: Context): string {
  return nodeEnv(c)?.incoming.socket.remoteAddress ?? 'unknown';
}
