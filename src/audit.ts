/**
 * Audit writes off the request path: entries are queued and written in small batches (one transaction,
 * a few milliseconds apart), and the queue is flushed on shutdown. A failed write is retried once and
 * then logged loudly with the entry's non-secret fields, never dropped silently.
 */
import type { Logger } from './log.js';
import { silentLogger } from './log.js';
import type { AuditEntry } from './store/audit.js';
import type { Store } from './store/index.js';

export class AuditWriter {
  private queue: AuditEntry[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly store: Store,
    private readonly log: Logger = silentLogger,
    private readonly delayMs = 20,
    private readonly maxBatch = 200,
  ) {}

  write(entry: AuditEntry): void {
    this.queue.push(entry);
    if (this.queue.length >= this.maxBatch) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.delayMs);
  }

  /** Writes everything queued so far; resolves when it is stored. */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.flushing) await this.flushing;
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    this.flushing = this.writeBatch(batch).finally(() => {
      this.flushing = undefined;
    });
    await this.flushing;
    if (this.queue.length > 0) await this.flush();
  }

  private async writeBatch(batch: AuditEntry[]): Promise<void> {
    for (let attempt = 1; attempt <= 2; attempt++) {
      try {
        await this.store.audit.insertMany(batch);
        return;
      } catch (err) {
        if (attempt === 2) {
          this.log.error('audit write failed; entries follow', { err, count: batch.length });
          for (const e of batch) this.log.error('audit entry not stored', { ...e, sql: undefined });
        }
      }
    }
  }
}
