/**
 * A small pool of SQLite reader processes (child.js) for one source file. A process serves one call at a
 * time; a call past its timeout, or aborted, kills its process — the only way to stop a statement that
 * better-sqlite3 is running — and the pool starts a fresh one when next needed.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ToolError } from '../../errors.js';

const CHILD = fileURLToPath(new URL('./child.js', import.meta.url));

export interface ChildFailure {
  name: string;
  code: string;
  message: string;
}

/** A failure reported by the reader process (SQLite's own error, with its code). */
export class ChildError extends Error {
  constructor(readonly failure: ChildFailure) {
    super(failure.message);
    this.name = failure.name;
  }
}

/** The reader process ended before answering (killed on timeout or abort, or crashed). */
export class ReaderGone extends Error {}

type Reply = { id: number; ok: boolean; error?: ChildFailure } & Record<string, unknown>;

export class Reader {
  private readonly pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private exited = false;
  readonly ready: Promise<void>;

  constructor(
    private readonly child: ChildProcess,
    file: string,
    connectTimeoutMs: number,
  ) {
    this.ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.kill();
        reject(new ToolError('SOURCE_UNAVAILABLE', `The SQLite reader for ${file} did not start within ${connectTimeoutMs} ms; try again.`));
      }, connectTimeoutMs);
      child.once('message', (m: { ready?: boolean; error?: ChildFailure }) => {
        clearTimeout(timer);
        if (m.ready) return resolve();
        this.kill();
        reject(new ToolError('SOURCE_UNAVAILABLE', `The SQLite file ${file} cannot be opened: ${m.error?.message ?? 'unknown error'}.`));
      });
      child.once('exit', () => {
        clearTimeout(timer);
        reject(new ToolError('SOURCE_UNAVAILABLE', `The SQLite reader for ${file} exited while starting.`));
      });
    });
    // Until `ready` settles nobody else listens; afterwards replies are routed by id.
    this.ready.then(
      () => child.on('message', (m: Reply) => this.onReply(m)),
      () => undefined,
    );
    child.on('exit', () => {
      this.exited = true;
      for (const p of this.pending.values()) p.reject(new ReaderGone('the SQLite reader process ended'));
      this.pending.clear();
    });
    child.on('error', () => undefined);
  }

  get alive(): boolean {
    return !this.exited && !this.retiring;
  }

  /** The process said it will exit after its last reply (it ran a PRAGMA). */
  private retiring = false;

  private onReply(m: Reply): void {
    if (m.retire === true) this.retiring = true;
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (m.ok) p.resolve(m);
    else p.reject(new ChildError(m.error ?? { name: 'Error', code: '', message: 'unknown error' }));
  }

  request(msg: Record<string, unknown>): Promise<Reply> {
    if (this.exited) return Promise.reject(new ReaderGone('the SQLite reader process ended'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.send({ ...msg, id }, (err) => {
        if (err && this.pending.delete(id)) reject(new ReaderGone(err.message));
      });
    });
  }

  kill(): void {
    if (!this.exited) this.child.kill('SIGKILL');
  }
}

export class ReaderPool {
  private readonly idle: Reader[] = [];
  private readonly all = new Set<Reader>();
  private readonly waiters: Array<(r: Reader | Error) => void> = [];
  private closed = false;

  constructor(
    private readonly file: string,
    private readonly max: number,
    private readonly connectTimeoutMs: number,
  ) {}

  private spawn(): Reader {
    const child = fork(CHILD, [], {
      env: { SEQUEL_SQLITE_FILE: this.file, PATH: process.env.PATH ?? '' },
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
      execArgv: [],
    });
    const reader = new Reader(child, this.file, this.connectTimeoutMs);
    this.all.add(reader);
    child.once('exit', () => {
      this.all.delete(reader);
      const i = this.idle.indexOf(reader);
      if (i >= 0) this.idle.splice(i, 1);
    });
    return reader;
  }

  /** A ready reader process, started if the pool has room, else the next one released. */
  async acquire(): Promise<Reader> {
    if (this.closed) throw new ToolError('SOURCE_UNAVAILABLE', 'This source was closed; retry.');
    for (let r = this.idle.pop(); r; r = this.idle.pop()) if (r.alive) return r;
    if (this.all.size < this.max) {
      const reader = this.spawn();
      try {
        await reader.ready;
      } catch (err) {
        this.all.delete(reader);
        throw err;
      }
      return reader;
    }
    const got = await new Promise<Reader | Error>((resolve) => this.waiters.push(resolve));
    if (got instanceof Error) throw got;
    return got;
  }

  /** Returns a reader; a dead or retiring one (killed on timeout, or after a PRAGMA) frees its place for a new process. */
  release(reader: Reader): void {
    const waiter = this.waiters.shift();
    if (!reader.alive || this.closed) {
      this.all.delete(reader);
      reader.kill();
      if (waiter) this.acquire().then(waiter, waiter);
      return;
    }
    if (waiter) waiter(reader);
    else this.idle.push(reader);
  }

  get size(): number {
    return this.all.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.waiters.splice(0)) w(new ToolError('SOURCE_UNAVAILABLE', 'This source was closed; retry.'));
    for (const r of this.all) r.kill();
    this.all.clear();
    this.idle.length = 0;
  }
}
