/**
 * Audit retention (SEQUEL_AUDIT_RETENTION_DAYS): entries older than the window are deleted in small
 * batches at start and then every hour. Every replica runs it; deletes are idempotent, so replicas
 * pruning at the same time only share the work.
 */
import type { Logger } from './log.js';
import type { AuditLog } from './store/audit.js';

const BATCH = 5_000;
const EVERY_MS = 60 * 60 * 1000;

export class AuditRetention {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  constructor(
    private readonly audit: AuditLog,
    private readonly days: number,
    private readonly log: Logger,
  ) {}

  /** Prunes now and every hour; a no-op when retention is off. */
  start(): void {
    if (this.days <= 0 || this.timer) return;
    void this.prune();
    this.timer = setInterval(() => void this.prune(), EVERY_MS);
    this.timer.unref();
  }

  /** Deletes every entry older than the window; returns how many. Concurrent callers share one run. */
  prune(now = Date.now()): Promise<number> {
    this.running ??= (async () => {
      const before = new Date(now - this.days * 86_400_000).toISOString();
      let total = 0;
      try {
        for (;;) {
          const n = await this.audit.deleteBefore(before, BATCH);
          total += n;
          if (n < BATCH) break;
          // Let requests in between batches.
          await new Promise((r) => setImmediate(r));
        }
        if (total > 0) this.log.info('audit retention: deleted old entries', { deleted: total, before });
      } catch (err) {
        // The store being away is reported elsewhere; the next hour tries again.
        this.log.warn('audit retention could not run', { err });
      } finally {
        this.running = undefined;
      }
      return total;
    })();
    return this.running;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
