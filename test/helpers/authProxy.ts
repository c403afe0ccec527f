/**
 * A small reverse proxy that adds `Authorization: Bearer <token>` to requests — how tools that send no
 * credentials (the official conformance suite) reach Sequel without any bypass in the server.
 * Everything else (method, path, Host, Origin, body, streamed response) passes through unchanged.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface AuthProxy {
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface AuthProxyOptions {
  /** Listen here (0: any free port). */
  port?: number;
  /** Only requests whose path starts with this get the header (default: all). */
  pathPrefix?: string;
}

/** `token` may be a function, read per request (a token obtained after the proxy started). */
export async function startAuthProxy(target: string, token: string | (() => string | undefined), opts: AuthProxyOptions = {}): Promise<AuthProxy> {
  const t = new URL(target);
  const server = http.createServer((req, res) => {
    const headers = { ...req.headers };
    const bearer = typeof token === 'function' ? token() : token;
    if (bearer && (!opts.pathPrefix || req.url?.startsWith(opts.pathPrefix))) headers.authorization = `Bearer ${bearer}`;
    const upstream = http.request({ host: t.hostname, port: t.port, method: req.method, path: req.url, headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', (err) => {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`proxy error: ${err.message}`);
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
