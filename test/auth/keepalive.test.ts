/**
 * Idle keep-alive connections are closed by the client (or its load balancer), not by Sequel: a socket a
 * client keeps for reuse must still work after the few seconds Node's default would allow (5 s), or the
 * next request on it dies with ECONNRESET — a 502 behind a load balancer with a 60 s idle timeout.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer({ demo: false });
}, 180_000);
afterAll(async () => {
  await ts?.close();
});

/** Sends one request on `socket` and reads one whole response (Content-Length framed). */
function exchange(socket: net.Socket, path: string): Promise<{ head: string; body: string }> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString('utf8');
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.slice(0, end);
      const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
      if (buf.length - end - 4 < length) return;
      socket.off('data', onData);
      socket.off('close', onClose);
      resolve({ head, body: buf.slice(end + 4, end + 4 + length) });
    };
    const onClose = () => reject(new Error('the server closed the connection'));
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${ts.server.port}\r\nConnection: keep-alive\r\n\r\n`);
  });
}

describe('keep-alive', () => {
  it('announces a long keep-alive and keeps an idle connection open past Node’s 5 s default', async () => {
    const socket = net.connect(ts.server.port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    try {
      const first = await exchange(socket, '/healthz');
      expect(first.head).toMatch(/^HTTP\/1\.1 200/);
      expect(first.head).toMatch(/keep-alive: timeout=75/i);
      await new Promise((r) => setTimeout(r, 6_500));
      expect(socket.destroyed).toBe(false);
      const second = await exchange(socket, '/healthz');
      expect(second.head).toMatch(/^HTTP\/1\.1 200/);
    } finally {
      socket.destroy();
    }
  }, 180_000);

  it('SEQUEL_KEEP_ALIVE_SECONDS sets it', () => {
    expect(loadConfig({}).keepAliveSeconds).toBe(75);
    expect(loadConfig({ SEQUEL_KEEP_ALIVE_SECONDS: '120' }).keepAliveSeconds).toBe(120);
    expect(() => loadConfig({ SEQUEL_KEEP_ALIVE_SECONDS: 'soon' })).toThrow(/SEQUEL_KEEP_ALIVE_SECONDS/);
  });
});
