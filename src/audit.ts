/**
 * The audit trail, durable before a call is answered.
 *
 * `journal` (the default): each entry is appended to a local journal file with a synchronous write()
 * before the call's answer leaves — the entries of calls ending in the same turn of the event loop in one
 * write(). A write() that has returned is in the kernel's page cache, which
 * outlives the process: a server killed (kill -9, OOM) loses none of what it answered. Only the kernel
 * itself going down (power loss, kernel panic) needs the data on the disk, and that is what the fsync
 * policy decides:
 *   - `interval` (the default): the journal is fdatasync'd in the background, at most `fsyncIntervalMs`
 *     (50 ms) after a write, and before a journal file is closed or deleted — a power loss can lose the
 *     entries of that last window, never a process crash.
 *   - `always`: the answer waits for the fdatasync too; entries arriving while one is under way share the
 *     next (group commit), so under load there is one fdatasync per batch, not per call.
 * The store is written off the request path in batches (every `delayMs`, 100 ms); on the embedded SQLite
 * store a batch never waits for another process's write lock (that wait would block this process's event
 * loop) but is tried again shortly. A journal segment is deleted once every entry in it is stored. At
 * start, segments left by a process that died are replayed into the store and deleted. Every entry carries a random `entry_id`, unique in the store, so a replay never
 * writes an entry twice (the crash may come after the store write and before the segment's deletion).
 * The id is a UUIDv7 (time first, then 74 random bits): new ids land at the end of the store's unique
 * index instead of at random pages of it, which made each insert about three times as costly.
 *
 * `store`: the entry is written to the store before the answer (one transaction per tick).
 *
 * Either way, an entry that can be recorded nowhere (journal and store both failing — a full disk, a store
 * that is down) fails closed: the call is answered with an error instead of its result, so crashing or
 * filling the disk cannot buy an attacker unaudited reads.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from './log.js';
import { silentLogger } from './log.js';
import { StoreBusyError, type AuditEntry } from './store/audit.js';
import type { Store } from './store/index.js';

export type AuditDurability = 'journal' | 'store';
export type AuditFsync = 'always' | 'interval';

export interface AuditWriterOptions {
  durability?: AuditDurability;
  /** Where journal segments live (journal durability); `<dataDir>/audit-journal`. */
  journalDir?: string;
  /** Whether an answer waits for the journal's fdatasync (`always`) or only for its write (`interval`). */
  fsync?: AuditFsync;
  /** The longest a journaled entry waits for its background fdatasync (`interval`). */
  fsyncIntervalMs?: number;
  /** How long the store write waits to gather a batch (journal durability). */
  delayMs?: number;
  maxBatch?: number;
  /** A segment is closed and a new one started past this size; closed segments go once fully stored. */
  segmentBytes?: number;
  /** Entries held in memory for a store that is down; past this, they stay in the journal for the next start. */
  maxQueued?: number;
}

/** The entry could be recorded neither in the journal nor in the store. */
export class AuditUnavailableError extends Error {
  constructor(options?: { cause?: unknown }) {
    super('the audit trail could not be written', options);
    this.name = 'AuditUnavailableError';
  }
}

type Entry = AuditEntry & { entry_id: string };

interface Segment {
  file: string;
  /** A plain descriptor: appends are synchronous write()s, syncs asynchronous fdatasync()s. */
  fd: number | undefined;
  /** The directory entry of a new segment is fsync'd once, with its first data sync. */
  dirSynced: boolean;
  bytes: number;
  /** Journaled entries not yet in the store. */
  unstored: number;
  /** Entries dropped from memory (store down too long): the segment must wait for the next start's replay. */
  pinned: boolean;
  retired: boolean;
}

interface Queued {
  entry: Entry;
  segment: Segment | undefined;
}

interface Waiter {
  entry: Entry;
  resolve: () => void;
  reject: (err: Error) => void;
}

/** The entries of one turn of the event loop, journaled together (`interval`). */
interface TurnBatch {
  entries: Entry[];
  done: Promise<void>;
  settle: (outcome: Promise<void>) => void;
}

/** How soon a store batch is tried again after finding the SQLite store's write lock taken. */
const BUSY_RETRY_MS = 5;
/** A store busy this long (another process holding its write lock) is logged, once per spell. */
const BUSY_WARN_MS = 1000;

/** `<host>-<pid>-<start>-<seq>.jsonl`: the host and pid say whose it is, so a start replays only the dead's. */
const SEGMENT = /^(.+)-(\d+)-(\d+)-(\d+)\.jsonl$/;

/** Segments open in this process (several runtimes can share a process, as in tests): never replayed by it. */
const OPEN_HERE = new Set<string>();

export class AuditWriter {
  readonly durability: AuditDurability;
  readonly fsync: AuditFsync;
  private readonly fsyncIntervalMs: number;
  private readonly journalDir: string | undefined;
  private readonly delayMs: number;
  private readonly maxBatch: number;
  private readonly segmentBytes: number;
  private readonly maxQueued: number;

  /** Entries waiting for the store. */
  private queue: Queued[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<unknown> | undefined;
  private retryMs = 0;
  /** When the store last became busy (locked by another process), until a batch is stored again. */
  private busySince: number | undefined;
  private busyWarned = false;

  /** Entries waiting for the next journal fsync (or, in store durability, the next store write). */
  private group: Waiter[] = [];
  private committing: Promise<void> | undefined;
  private segment: Segment | undefined;
  private readonly segments = new Set<Segment>();
  private seq = 0;
  /** Segments written since their last fdatasync (`interval`). */
  private readonly dirty = new Set<Segment>();
  private syncTimer: NodeJS.Timeout | undefined;
  private syncing: Promise<void> | undefined;
  private readonly started = Date.now();
  private closed = false;
  /** A full store batch is to be written in the next turn. */
  private fullBatchDue = false;
  /** Entries of this turn of the event loop waiting for their journal write (`interval`). */
  private turn: TurnBatch | undefined;

  constructor(
    private readonly store: Store,
    private readonly log: Logger = silentLogger,
    opts: AuditWriterOptions = {},
  ) {
    this.durability = opts.durability ?? (opts.journalDir ? 'journal' : 'store');
    this.journalDir = opts.journalDir;
    if (this.durability === 'journal' && !this.journalDir) throw new Error('journal durability needs a journal directory');
    this.fsync = opts.fsync ?? 'interval';
    this.fsyncIntervalMs = opts.fsyncIntervalMs ?? 50;
    this.delayMs = opts.delayMs ?? 100;
    this.maxBatch = opts.maxBatch ?? 500;
    this.segmentBytes = opts.segmentBytes ?? 1024 * 1024;
    this.maxQueued = opts.maxQueued ?? 100_000;
  }

  /**
   * Records one entry; resolves once it outlives this process (written to the journal — and fsync'd
   * there under `always` — or in the store), rejects with AuditUnavailableError when it could be
   * recorded nowhere.
   */
  write(entry: AuditEntry): Promise<void> {
    const e: Entry = { ...entry, entry_id: entry.entry_id ?? entryId() };
    if (this.durability === 'journal' && this.fsync === 'interval' && !this.closed) {
      // The calls that end in this turn of the event loop share one journal write, made at its end
      // (setImmediate: after the I/O callbacks of this turn, before any new ones), and all wait for it.
      // Synchronous write(): in the page cache before any of those answers leaves, with no thread pool hop.
      let turn = this.turn;
      if (!turn) {
        let settle!: (outcome: Promise<void>) => void;
        const done = new Promise<void>((resolve) => (settle = resolve));
        turn = this.turn = { entries: [], done, settle };
        setImmediate(() => this.writeTurn());
      }
      turn.entries.push(e);
      return turn.done;
    }
    return this.enqueue(e);
  }

  /** Into the next store commit (or, under `always`, the next journal fsync); resolves once recorded. */
  private enqueue(e: Entry): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.group.push({ entry: e, resolve, reject });
      // One commit at a time; whatever arrives meanwhile rides the next one.
      if (!this.committing) this.committing = this.commitLoop();
    });
  }

  /** Journals this turn's entries in one write(); if the journal fails, they go to the store before answering. */
  private writeTurn(): void {
    const turn = this.turn;
    if (!turn) return;
    this.turn = undefined;
    if (!this.closed) {
      try {
        const segment = this.appendToJournal(turn.entries);
        for (const entry of turn.entries) this.queue.push({ entry, segment });
        turn.settle(Promise.resolve());
        this.scheduleSync(segment);
        this.scheduleStoreFlush();
        return;
      } catch (err) {
        this.log.error('audit journal write failed; writing to the store before answering', { err, count: turn.entries.length });
      }
    }
    turn.settle(Promise.all(turn.entries.map((e) => this.enqueue(e))).then(() => undefined));
  }

  private async commitLoop(): Promise<void> {
    // Let the calls finishing in this turn of the event loop join the group.
    await new Promise((r) => setImmediate(r));
    try {
      while (this.group.length > 0) {
        const group = this.group;
        this.group = [];
        await this.commit(group);
      }
    } finally {
      this.committing = undefined;
    }
  }

  private async commit(group: Waiter[]): Promise<void> {
    // Under `interval` only the entries whose journal write failed come here: they go to the store.
    if (this.durability === 'journal' && this.fsync === 'always' && !this.closed) {
      try {
        const segment = this.appendToJournal(group.map((w) => w.entry));
        await this.syncSegment(segment);
        for (const w of group) this.queue.push({ entry: w.entry, segment });
        this.scheduleStoreFlush();
        for (const w of group) w.resolve();
        return;
      } catch (err) {
        this.log.error('audit journal write failed; writing to the store before answering', { err, count: group.length });
      }
    }
    try {
      await this.store.audit.insertMany(group.map((w) => w.entry));
      for (const w of group) w.resolve();
    } catch (err) {
      this.log.error('audit entries could not be recorded; the calls are answered with an error', { err, count: group.length });
      for (const w of group) w.reject(new AuditUnavailableError({ cause: err }));
    }
  }

  /** Appends whole lines with synchronous write()s (page cache: microseconds); throws if it cannot. */
  private appendToJournal(entries: Entry[]): Segment {
    let seg = this.segment;
    if (!seg || seg.bytes >= this.segmentBytes) {
      if (seg) this.retire(seg);
      seg = this.openSegment();
    }
    const buf = Buffer.from(entries.map((e) => `${JSON.stringify(e)}\n`).join(''), 'utf8');
    const fd = seg.fd!;
    const start = seg.bytes;
    try {
      let off = 0;
      while (off < buf.length) off += fs.writeSync(fd, buf, off, buf.length - off);
    } catch (err) {
      // A partial line (ENOSPC halfway) would corrupt the next append: cut the file back and start a new one.
      try {
        fs.ftruncateSync(fd, start);
      } catch {
        // The torn line is skipped by a replay (parseSegment), and nothing more is appended to this file.
      }
      this.retire(seg);
      throw err;
    }
    seg.bytes += buf.length;
    seg.unstored += entries.length;
    return seg;
  }

  private openSegment(): Segment {
    const dir = this.journalDir!;
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const file = path.join(dir, `${hostTag()}-${process.pid}-${this.started}-${this.seq++}.jsonl`);
    // The journal holds SQL text, like the audit log: readable by the server's user only.
    const fd = fs.openSync(file, 'a', 0o600);
    // The new name reaches the disk with the segment's first fdatasync (syncSegment); a process crash
    // before that loses nothing, the directory entry is in the kernel already.
    const seg: Segment = { file, fd, dirSynced: false, bytes: 0, unstored: 0, pinned: false, retired: false };
    OPEN_HERE.add(file);
    this.segments.add(seg);
    this.segment = seg;
    return seg;
  }

  /** fdatasync: the data and the file size, which is what a replay reads; the directory entry once. */
  private async syncSegment(seg: Segment): Promise<void> {
    const fd = seg.fd;
    if (fd === undefined) return;
    if (!seg.dirSynced) {
      await syncDir(path.dirname(seg.file));
      seg.dirSynced = true;
    }
    await new Promise<void>((resolve, reject) => fs.fdatasync(fd, (err) => (err ? reject(err) : resolve())));
  }

  private scheduleSync(seg: Segment): void {
    this.dirty.add(seg);
    this.syncTimer ??= setTimeout(() => void this.syncNow(), this.fsyncIntervalMs);
  }

  /**
   * fdatasyncs every segment written since its last one (`interval`). Never rejects: the entries are
   * answered already and still reach the store from memory; a failure is logged.
   */
  private syncNow(): Promise<void> {
    // After the sync under way, check again: another caller may have started the next one first (over
    // segments this caller waits for, e.g. one about to be closed), and that one must be waited for too.
    if (this.syncing) return this.syncing.then(() => this.syncNow());
    if (this.syncTimer) {
      clearTimeout(this.syncTimer);
      this.syncTimer = undefined;
    }
    if (this.dirty.size === 0) return Promise.resolve();
    const segs = [...this.dirty];
    this.dirty.clear();
    this.syncing = (async () => {
      for (const seg of segs) {
        try {
          await this.syncSegment(seg);
        } catch (err) {
          this.log.error('audit journal fdatasync failed; its entries are safe from a process crash, not a power loss', { err, file: seg.file });
        }
      }
    })().finally(() => {
      this.syncing = undefined;
    });
    return this.syncing;
  }

  private retire(seg: Segment): void {
    seg.retired = true;
    if (this.segment === seg) this.segment = undefined;
    void this.maybeDelete(seg);
  }

  private async maybeDelete(seg: Segment): Promise<void> {
    if (!seg.retired || seg.unstored > 0 || seg.pinned || !this.segments.has(seg)) return;
    this.segments.delete(seg);
    // No fdatasync may be under way on the descriptor when it closes (its number could be reused).
    await this.syncNow();
    this.dirty.delete(seg);
    OPEN_HERE.delete(seg.file);
    closeFd(seg);
    await fs.promises.unlink(seg.file).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') this.log.warn('could not delete a stored audit journal segment', { err, file: seg.file });
    });
  }

  private scheduleStoreFlush(): void {
    if (this.flushing) return;
    // A full batch goes in the next turn, not inside this one (its calls are answering).
    if (this.queue.length >= this.maxBatch && this.retryMs === 0) {
      if (!this.fullBatchDue) {
        this.fullBatchDue = true;
        setImmediate(() => {
          this.fullBatchDue = false;
          void this.flushQueue(false).catch(() => undefined);
        });
      }
    } else this.timer ??= setTimeout(() => void this.flushQueue(false).catch(() => undefined), Math.max(this.delayMs, this.retryMs));
  }

  /**
   * Writes this turn's journal batch and waits for pending journal commits, then writes everything queued
   * to the store. Rejects if the store fails.
   */
  flush(): Promise<void> {
    this.writeTurn();
    return this.flushQueue(true);
  }

  /** `wait`: false in the background, where a store locked by another process is retried later instead. */
  private async flushQueue(wait: boolean): Promise<void> {
    while (this.committing) await this.committing;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.flushing) await this.flushing;
    if (this.queue.length === 0) return;
    const batch = this.queue.splice(0, Math.max(this.maxBatch, 1000));
    const flushing = this.storeBatch(batch, wait).finally(() => {
      this.flushing = undefined;
    });
    this.flushing = flushing;
    if (!(await flushing)) return;
    if (this.queue.length > 0) await this.flushQueue(wait);
  }

  /** Stores a batch; false when the store was busy and the batch is queued again for a moment later. */
  private async storeBatch(batch: Queued[], wait: boolean): Promise<boolean> {
    try {
      await this.store.audit.insertMany(batch.map((q) => q.entry), { wait });
      this.retryMs = 0;
      if (this.busyWarned) this.log.info('audit store writable again', { busyMs: Date.now() - (this.busySince ?? Date.now()) });
      this.busySince = undefined;
      this.busyWarned = false;
    } catch (err) {
      if (err instanceof StoreBusyError) {
        // Workers of one `serve` take the SQLite write lock in turn all the time (milliseconds): only a lock
        // held for long (a backup tool, an admin's shell) is worth telling the operator, once per spell.
        const now = Date.now();
        this.busySince ??= now;
        if (!this.busyWarned && now - this.busySince >= BUSY_WARN_MS) {
          this.busyWarned = true;
          this.log.warn('audit store write failed; retrying from the journal (the store is locked by another process)', { count: batch.length, busyMs: now - this.busySince });
        }
        this.queue.unshift(...batch);
        this.shed();
        this.timer ??= setTimeout(() => void this.flushQueue(false).catch(() => undefined), BUSY_RETRY_MS + Math.random() * BUSY_RETRY_MS);
        return false;
      }
      // Journaled entries are safe on disk: keep them and try again later, backing off.
      this.retryMs = Math.min(Math.max(this.retryMs * 2, 250), 5000);
      this.log.error('audit store write failed; retrying from the journal', { err, count: batch.length, retryInMs: this.retryMs });
      this.queue.unshift(...batch);
      this.shed();
      this.timer ??= setTimeout(() => void this.flushQueue(false).catch(() => undefined), this.retryMs);
      throw err;
    }
    const touched = new Set<Segment>();
    for (const q of batch) {
      if (!q.segment) continue;
      q.segment.unstored--;
      touched.add(q.segment);
    }
    for (const seg of touched) await this.maybeDelete(seg);
    return true;
  }

  /** A store down for long must not grow memory without bound: the oldest entries wait in the journal. */
  private shed(): void {
    const excess = this.queue.length - this.maxQueued;
    if (excess <= 0) return;
    const dropped = this.queue.splice(0, excess);
    for (const q of dropped) if (q.segment) q.segment.pinned = true;
    this.log.error('audit store unavailable for long; entries kept in the journal for the next start', { count: dropped.length });
  }

  /**
   * Replays the journal segments a dead process left behind (this host's, whose pid is not alive — or is
   * this process's own, a restart that got the same pid, as in a container) into the store, then deletes
   * them. Returns the number of entries replayed (already-stored ones included).
   */
  async recover(): Promise<number> {
    if (!this.journalDir) return 0;
    let names: string[];
    try {
      names = await fs.promises.readdir(this.journalDir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw err;
    }
    let replayed = 0;
    for (const name of names.sort()) {
      const m = SEGMENT.exec(name);
      if (!m || m[1] !== hostTag()) continue;
      const pid = Number(m[2]);
      const file = path.join(this.journalDir, name);
      if (OPEN_HERE.has(file) || (pid !== process.pid && alive(pid))) continue;
      // Several processes can recover at once (the workers of one `serve` starting together, or replicas
      // on one data directory): a segment another one replayed and deleted meanwhile is done, not an
      // error, and replaying one twice stores nothing twice (entry_id is unique).
      let text: string;
      try {
        text = await fs.promises.readFile(file, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
      const entries = parseSegment(text, (line) => this.log.warn('skipped an unreadable audit journal line', { file, line }));
      for (let i = 0; i < entries.length; i += 500) await this.store.audit.insertMany(entries.slice(i, i + 500));
      replayed += entries.length;
      await fs.promises.unlink(file).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
    }
    if (replayed) this.log.info('audit journal replayed', { entries: replayed });
    return replayed;
  }

  /** Flushes everything and deletes this process's fully stored segments (a graceful stop leaves none). */
  async close(): Promise<void> {
    await this.flush().catch((err: unknown) => this.log.error('audit entries left in the journal for the next start', { err }));
    this.closed = true;
    // What stays in the journal for the next start reaches the disk before its descriptor closes.
    await this.syncNow();
    for (const seg of [...this.segments]) {
      seg.retired = true;
      if (seg.unstored > 0 || seg.pinned) {
        closeFd(seg);
        this.segments.delete(seg);
        OPEN_HERE.delete(seg.file);
      } else await this.maybeDelete(seg);
    }
    this.segment = undefined;
  }
}

function closeFd(seg: Segment): void {
  const fd = seg.fd;
  seg.fd = undefined;
  if (fd === undefined) return;
  try {
    fs.closeSync(fd);
  } catch {
    // Nothing to do: the file's data is written already.
  }
}

/** A UUIDv7: the time in milliseconds (48 bits), the version, then the random bits of a v4 UUID. */
export function entryId(now = Date.now()): string {
  const ts = now.toString(16).padStart(12, '0');
  // randomUUID(): xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx; from index 15 on it is random but for the variant bits.
  return `${ts.slice(0, 8)}-${ts.slice(8, 12)}-7${randomUUID().slice(15)}`;
}

export function hostTag(): string {
  return os.hostname().replace(/[^A-Za-z0-9.]/g, '_') || 'host';
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A killed process whose parent died too (the workers of a crashed `serve`) stays a zombie until init
  // reaps it, and signal 0 still reaches a zombie: on Linux, its state in /proc says it is dead.
  if (!HAS_PROC) return true;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch (err) {
    // Gone between the two looks; anything else: assume it lives (its journal waits for the next start).
    return (err as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

const HAS_PROC = fs.existsSync('/proc/self/stat');

async function syncDir(dir: string): Promise<void> {
  let fh: fs.promises.FileHandle | undefined;
  try {
    fh = await fs.promises.open(dir, 'r');
    await fh.sync();
  } catch {
    // Not every platform can fsync a directory (Windows); the file's own fsync still holds its data.
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

const REQUIRED = ['entry_id', 'at', 'org_id', 'credential_kind', 'credential_id', 'credential_label', 'tool', 'duration_ms', 'outcome'] as const;

/** The entries of one segment. A torn last line (the crash came mid-append) was never acknowledged: skipped. */
export function parseSegment(text: string, onBad: (line: number) => void = () => undefined): Entry[] {
  const out: Entry[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (!line) return;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      if (i < lines.length - 1) onBad(i + 1);
      return;
    }
    if (typeof v !== 'object' || v === null || REQUIRED.some((k) => (v as Record<string, unknown>)[k] === undefined)) {
      onBad(i + 1);
      return;
    }
    const r = v as Record<string, unknown>;
    const str = (k: string) => (typeof r[k] === 'string' ? (r[k] as string) : null);
    const num = (k: string) => (typeof r[k] === 'number' ? (r[k] as number) : null);
    out.push({
      entry_id: String(r.entry_id),
      at: String(r.at),
      org_id: String(r.org_id),
      user_id: str('user_id'),
      credential_kind: r.credential_kind === 'oauth' || r.credential_kind === 'playground' ? r.credential_kind : 'api_key',
      credential_id: String(r.credential_id),
      credential_label: String(r.credential_label),
      source_id: str('source_id'),
      source_name: str('source_name'),
      tool: String(r.tool),
      sql: str('sql'),
      row_count: num('row_count'),
      duration_ms: num('duration_ms') ?? 0,
      outcome: String(r.outcome),
      error: str('error'),
      governance: str('governance'),
    });
  });
  return out;
}
