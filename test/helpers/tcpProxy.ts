/**
 * A TCP proxy in front of a database, for network faults: `stall()` stops forwarding in both directions
 * (bytes are held, connections stay open — a silent network, as a dead switch or a full-window peer
 * looks), `resume()` delivers what was held and forwards again, `reset()` destroys every connection
 * (the peer vanished), `close()` shuts it down.
 */
import net from 'node:net';

export interface TcpProxy {
  port: number;
  /** Connections currently open through the proxy. */
  readonly connections: number;
  stall(): void;
  resume(): void;
  reset(): void;
  close(): Promise<void>;
}

interface Pipe {
  client: net.Socket;
  upstream: net.Socket;
  held: Array<{ to: net.Socket; data: Buffer }>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pipes = new Set<Pipe>();
  let stalled = false;
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    const pipe: Pipe = { client, upstream, held: [] };
    pipes.add(pipe);
    const forward = (to: net.Socket) => (data: Buffer) => {
      if (stalled) pipe.held.push({ to, data });
      else to.write(data);
    };
    client.on('data', forward(upstream));
    upstream.on('data', forward(client));
    const end = () => {
      pipes.delete(pipe);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const reset = () => {
    for (const p of [...pipes]) {
      p.client.destroy();
      p.upstream.destroy();
    }
    pipes.clear();
  };
  return {
    port: (server.address() as net.AddressInfo).port,
    get connections() {
      return pipes.size;
    },
    stall() {
      stalled = true;
    },
    resume() {
      stalled = false;
      for (const p of pipes) {
        for (const { to, data } of p.held.splice(0)) if (!to.destroyed) to.write(data);
      }
    },
    reset,
    async close() {
      reset();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
