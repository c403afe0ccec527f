/**
 * A small reverse proxy that adds `Authorization: Bearer <token>` to every request — how tools that send
 * no credentials (the official conformance suite) reach Sequel without any bypass in the server.
 * Everything else (method, path, Host, Origin, body, streamed response) passes through unchanged.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface AuthProxy {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startAuthProxy(target: string, token: string, port = 0): Promise<AuthProxy> {
  const t = new URL(target);
  const server = http.createServer((req, res) => {
    const headers = { ...req.headers, authorization: `Bearer ${token}` };
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
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
