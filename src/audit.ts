/**
 * The audit trail, durable before a call is answered.
 *
 * `journal` (the default): each entry is appended to a local journal file and the file is fsync'd before
 * the call's answer leaves — entries arriving while one fsync is under way share the next one (group
 * commit), so under load there is one fsync per batch, not per call. The store is written off the
 * request path in small batches as before; a journal segment is deleted once every entry in it is
 * stored. At start, segments left by a process that died (kill -9, OOM, power loss) are replayed into the
 * store and deleted. Every entry carries a random `entry_id`, unique in the store, so a replay never
 * writes an entry twice (the crash may come after the store write and before the segment's deletion).
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
import type { AuditEntry } from './store/audit.js';
import type { Store } from './store/index.js';

export type AuditDurability = 'journal' | 'store';

export interface AuditWriterOptions {
  durability?: AuditDurability;
  /** Where journal segments live (journal durability); `<dataDir>/audit-journal`. */
  journalDir?: string;
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
  fh: fs.promises.FileHandle | undefined;
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

/** `<host>-<pid>-<start>-<seq>.jsonl`: the host and pid say whose it is, so a start replays only the dead's. */
const SEGMENT = /^(.+)-(\d+)-(\d+)-(\d+)\.jsonl$/;

/** Segments open in this process (several runtimes can share a process, as in tests): never replayed by it. */
const OPEN_HERE = new Set<string>();

export class AuditWriter {
  readonly durability: AuditDurability;
  private readonly journalDir: string | undefined;
  private readonly delayMs: number;
  private readonly maxBatch: number;
  private readonly segmentBytes: number;
  private readonly maxQueued: number;

  /** Entries waiting for the store. */
  private queue: Queued[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private retryMs = 0;

  /** Entries waiting for the next journal fsync (or, in store durability, the next store write). */
  private group: Waiter[] = [];
  private committing: Promise<void> | undefined;
  private segment: Segment | undefined;
  private readonly segments = new Set<Segment>();
  private seq = 0;
  private readonly started = Date.now();
  private closed = false;

  constructor(
    private readonly store: Store,
    private readonly log: Logger = silentLogger,
    opts: AuditWriterOptions = {},
  ) {
    this.durability = opts.durability ?? (opts.journalDir ? 'journal' : 'store');
    this.journalDir = opts.journalDir;
    if (this.durability === 'journal' && !this.journalDir) throw new Error('journal durability needs a journal directory');
    this.delayMs = opts.delayMs ?? 20;
    this.maxBatch = opts.maxBatch ?? 200;
    this.segmentBytes = opts.segmentBytes ?? 1024 * 1024;
    this.maxQueued = opts.maxQueued ?? 100_000;
  }

  /**
   * Records one entry; resolves once it is durable (in the fsync'd journal, or in the store), rejects
   * with AuditUnavailableError when it could be recorded nowhere.
   */
  write(entry: AuditEntry): Promise<void> {
    const e: Entry = { ...entry, entry_id: entry.entry_id ?? randomUUID() };
    return new Promise<void>((resolve, reject) => {
      this.group.push({ entry: e, resolve, reject });
      // One commit at a time; whatever arrives meanwhile rides the next one.
      if (!this.committing) this.committing = this.commitLoop();
    });
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
    if (this.durability === 'journal' && !this.closed) {
      try {
        const segment = await this.appendToJournal(group.map((w) => w.entry));
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

  private async appendToJournal(entries: Entry[]): Promise<Segment> {
    let seg = this.segment;
    if (!seg || seg.bytes >= this.segmentBytes) {
      if (seg) this.retire(seg);
      seg = await this.openSegment();
    }
    const buf = Buffer.from(entries.map((e) => `${JSON.stringify(e)}\n`).join(''), 'utf8');
    const fh = seg.fh!;
    const start = seg.bytes;
    try {
      let off = 0;
      while (off < buf.length) off += (await fh.write(buf, off, buf.length - off)).bytesWritten;
      // fdatasync: the data and the file size, which is what a replay reads.
      await fh.datasync();
    } catch (err) {
      // A partial line (ENOSPC halfway) would corrupt the next append: cut the file back and start a new one.
      await fh.truncate(start).catch(() => undefined);
      this.retire(seg);
      throw err;
    }
    seg.bytes += buf.length;
    seg.unstored += entries.length;
    return seg;
  }

  private async openSegment(): Promise<Segment> {
    const dir = this.journalDir!;
    await fs.promises.mkdir(dir, { recursive: true, mode: 0o700 });
    const file = path.join(dir, `${hostTag()}-${process.pid}-${this.started}-${this.seq++}.jsonl`);
    // The journal holds SQL text, like the audit log: readable by the server's user only.
    const fh = await fs.promises.open(file, 'a', 0o600);
    // The new name must survive a crash too, or the fsync'd data could be unreachable.
    await syncDir(dir);
    const seg: Segment = { file, fh, bytes: 0, unstored: 0, pinned: false, retired: false };
    OPEN_HERE.add(file);
    this.segments.add(seg);
    this.segment = seg;
    return seg;
  }

  private retire(seg: Segment): void {
    seg.retired = true;
    if (this.segment === seg) this.segment = undefined;
    void this.maybeDelete(seg);
  }

  private async maybeDelete(seg: Segment): Promise<void> {
    if (!seg.retired || seg.unstored > 0 || seg.pinned || !this.segments.has(seg)) return;
    this.segments.delete(seg);
    OPEN_HERE.delete(seg.file);
    const fh = seg.fh;
    seg.fh = undefined;
    await fh?.close().catch(() => undefined);
    await fs.promises.unlink(seg.file).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') this.log.warn('could not delete a stored audit journal segment', { err, file: seg.file });
    });
  }

  private scheduleStoreFlush(): void {
    if (this.flushing) return;
    if (this.queue.length >= this.maxBatch && this.retryMs === 0) void this.flush().catch(() => undefined);
    else this.timer ??= setTimeout(() => void this.flush().catch(() => undefined), Math.max(this.delayMs, this.retryMs));
  }

  /** Waits for pending journal commits, then writes everything queued to the store. Rejects if the store fails. */
  async flush(): Promise<void> {
    while (this.committing) await this.committing;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.flushing) await this.flushing;
    if (this.queue.length === 0) return;
    const batch = this.queue.splice(0, Math.max(this.maxBatch, 1000));
    this.flushing = this.storeBatch(batch).finally(() => {
      this.flushing = undefined;
    });
    await this.flushing;
    if (this.queue.length > 0) await this.flush();
  }

  private async storeBatch(batch: Queued[]): Promise<void> {
    try {
      await this.store.audit.insertMany(batch.map((q) => q.entry));
      this.retryMs = 0;
    } catch (err) {
      // Journaled entries are safe on disk: keep them and try again later, backing off.
      this.retryMs = Math.min(Math.max(this.retryMs * 2, 250), 5000);
      this.log.error('audit store write failed; retrying from the journal', { err, count: batch.length, retryInMs: this.retryMs });
      this.queue.unshift(...batch);
      this.shed();
      this.timer ??= setTimeout(() => void this.flush().catch(() => undefined), this.retryMs);
      throw err;
    }
    const touched = new Set<Segment>();
    for (const q of batch) {
      if (!q.segment) continue;
      q.segment.unstored--;
      touched.add(q.segment);
    }
    for (const seg of touched) await this.maybeDelete(seg);
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
      const entries = parseSegment(await fs.promises.readFile(file, 'utf8'), (line) =>
        this.log.warn('skipped an unreadable audit journal line', { file, line }),
      );
      for (let i = 0; i < entries.length; i += 500) await this.store.audit.insertMany(entries.slice(i, i + 500));
      replayed += entries.length;
      await fs.promises.unlink(file);
    }
    if (replayed) this.log.info('audit journal replayed', { entries: replayed });
    return replayed;
  }

  /** Flushes everything and deletes this process's fully stored segments (a graceful stop leaves none). */
  async close(): Promise<void> {
    await this.flush().catch((err: unknown) => this.log.error('audit entries left in the journal for the next start', { err }));
    this.closed = true;
    for (const seg of [...this.segments]) {
      seg.retired = true;
      if (seg.unstored > 0 || seg.pinned) {
        const fh = seg.fh;
        seg.fh = undefined;
        await fh?.close().catch(() => undefined);
        this.segments.delete(seg);
        OPEN_HERE.delete(seg.file);
      } else await this.maybeDelete(seg);
    }
    this.segment = undefined;
  }
}

function hostTag(): string {
  return os.hostname().replace(/[^A-Za-z0-9.]/g, '_') || 'host';
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

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
      credential_kind: r.credential_kind === 'oauth' ? 'oauth' : 'api_key',
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
    });
  });
  return out;
}
