/** Node's own request and response under @hono/node-server, which oidc-provider (a Koa app) needs. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context } from 'hono';
import { resolveClientAddress, type TrustProxy } from '../clientAddress.js';

export interface NodeBindings {
  incoming?: IncomingMessage;
  outgoing?: ServerResponse;
}

/** Node's request and response, when the app runs under @hono/node-server. */
export function nodeEnv(c: Context): { incoming: IncomingMessage; outgoing: ServerResponse } | undefined {
  const env = c.env as NodeBindings | undefined;
  return env?.incoming && env.outgoing ? { incoming: env.incoming, outgoing: env.outgoing } : undefined;
}

/**
 * The client's address: the connection's peer, or the forwarded-for address when the peer is a trusted
 * proxy (SEQUEL_TRUST_PROXY, see ../clientAddress.ts).
 */
export function clientIp(c: Context, trust: TrustProxy): string {
  const incoming = nodeEnv(c)?.incoming;
  return resolveClientAddress(trust, incoming?.socket.remoteAddress, incoming?.headers['x-forwarded-for']);
}
