/**
 * Starts the HTTP server and shuts it down gracefully: on SIGTERM/SIGINT, readiness goes red, new MCP
 * calls get 503, in-flight calls finish (up to the grace period), the audit log is flushed, pools close.
 */
import { getRequestListener } from '@hono/node-server';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp, type App } from './app.js';
import { AuditRetention } from './retention.js';
import type { Runtime } from './runtime.js';

export interface RunningServer {
  url: string;
  port: number;
  app: App;
  close(): Promise<void>;
}

export async function startServer(rt: Runtime): Promise<RunningServer> {
  const app = createApp(rt);
  const hono = getRequestListener(app.hono.fetch, { hostname: rt.config.host });
  // POST /mcp is answered on node's own objects (app.node); everything else goes through Hono.
  const server = http.createServer({ noDelay: true }, (req, res) => {
    if (!app.node(req, res)) void hono(req, res);
  });
  // Idle keep-alive connections: the side that closes one must be the client (or the load balancer),
  // never the server, or a request sent on the socket as it closes dies with ECONNRESET (a 502 behind a
  // load balancer). Node's default of 5 s is shorter than every common balancer idle timeout (60 s) and
  // races with clients that reuse sockets for up to ~4 s. headersTimeout must exceed it (Node docs,
  // server.headersTimeout), and requestTimeout the two.
  server.keepAliveTimeout = rt.config.keepAliveSeconds * 1000;
  server.headersTimeout = server.keepAliveTimeout + 5_000;
  server.requestTimeout = Math.max(server.requestTimeout, server.headersTimeout + 5_000);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(rt.config.port, rt.config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const retention = new AuditRetention(rt.store.audit, rt.config.auditRetentionDays, rt.log);
  retention.start();
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      app.drain();
      retention.stop();
      const graceMs = rt.config.shutdownGraceSeconds * 1000;
      const deadline = Date.now() + graceMs;
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      while (app.mcp.active > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      // Idle keep-alive sockets would hold close() open.
      (server as { closeIdleConnections?: () => void }).closeIdleConnections?.();
      (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      await stopped;
      await app.mcp.close();
      await rt.close(Math.max(0, deadline - Date.now()));
    })();
    return closing;
  };
  return { url: `http://${rt.config.host.includes(':') ? `[${rt.config.host}]` : rt.config.host}:${port}`, port, app, close };
}
