/**
 * All cores (SEQUEL_WORKERS): `serve` as one primary process and N worker processes on one port, through
 * node:cluster (the primary accepts connections and hands them to the workers in turn).
 *
 * Every worker is a stateless replica of the others, as replicas behind a load balancer are: the store
 * is shared (SQLite in WAL mode across processes, or PostgreSQL), and what a worker keeps in memory —
 * credentials, source lists — is checked against the store's change epoch on every request, so a
 * revocation made through any worker, the CLI or another host is seen by the next request on every
 * worker. Rate limits, sign-in back-offs and registration limits are shared by all workers when they are
 * counted in a PostgreSQL store or in Redis (SEQUEL_REDIS_URL, src/limits/shared.ts); with the SQLite
 * store and no Redis they are per worker. /metrics stays per process (whichever worker answers).
 *
 * The primary does the one-time work before forking (migrations, the server key, first-run defaults, the
 * setup link), serves nothing itself, replaces a worker that dies, and on SIGTERM/SIGINT asks every worker
 * to drain and exits when they have.
 */
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from './log.js';

export interface PrimaryOptions {
  workers: number;
  log: Logger;
  /** Called once every worker listens, with the address they share. */
  onListening(address: { address: string; port: number }): void;
}

/** More than this many worker deaths within RESTART_WINDOW_MS stops the server instead of looping. */
const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 30_000;

export function isWorker(): boolean {
  return cluster.isWorker;
}

/** Runs the primary: forks the workers, restarts them, shuts them down. Resolves once they all listen. */
export function runPrimary(opts: PrimaryOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    let stopping = false;
    let started = false;
    const listening = new Set<number>();
    const deaths: number[] = [];
    const fork = () => cluster.fork();

    cluster.on('listening', (worker: Worker, address) => {
      listening.add(worker.id);
      if (!started && listening.size >= opts.workers) {
        started = true;
        opts.onListening({ address: address.address ?? '127.0.0.1', port: address.port });
        resolve();
      }
    });
    cluster.on('exit', (worker: Worker, code, signal) => {
      listening.delete(worker.id);
      if (stopping) {
        if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
        return;
      }
      const now = Date.now();
      deaths.push(now);
      while (deaths.length && now - deaths[0]! > RESTART_WINDOW_MS) deaths.shift();
      if (!started || deaths.length > MAX_RESTARTS) {
        // A worker that could not start (port in use, bad configuration) has said why on stderr already.
        if (started) opts.log.error('a server worker exited; stopping', { pid: worker.process.pid, code, signal });
        stop();
        if (!started) reject(new WorkerStartError(`a server worker exited with ${signal ?? code} before listening`));
        return;
      }
      opts.log.error('a server worker exited; starting another', { pid: worker.process.pid, code, signal });
      fork();
    });

    const stop = () => {
      if (stopping) return;
      stopping = true;
      const workers = Object.values(cluster.workers ?? {});
      if (workers.length === 0) process.exit(started ? 0 : 1);
      // Each worker drains (in-flight calls finish, audit flushed) and exits on its own SIGTERM handler.
      for (const w of workers) w?.process.kill('SIGTERM');
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    for (let i = 0; i < opts.workers; i++) fork();
  });
}

/** A worker died before the server was listening; its own error message is already on stderr. */
export class WorkerStartError extends Error {}
