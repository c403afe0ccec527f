/**
 * Sets up a data directory (and store) the way an admin would before `sequel serve` starts: an
 * organization, its sources, an API key. For tests that run the server as its own process.
 */
import { createApiKey } from '../../src/auth/apiKeys.js';
import { loadConfig } from '../../src/config.js';
import { openRuntime } from '../../src/runtime.js';
import { addSource, type SourceInput } from '../../src/sources.js';
import type { AuditRecord } from '../../src/store/audit.js';
import { openStore } from '../../src/store/index.js';

export interface Provisioned {
  orgId: string;
  key: string;
}

export async function provision(opts: { dataDir: string; databaseUrl?: string; org?: string; sources: SourceInput[] }): Promise<Provisioned> {
  const config = loadConfig({
    SEQUEL_DATA_DIR: opts.dataDir,
    SEQUEL_DEMO: '0',
    SEQUEL_OAUTH: '0',
    SEQUEL_LOG_LEVEL: 'silent',
    ...(opts.databaseUrl ? { SEQUEL_DATABASE_URL: opts.databaseUrl } : {}),
  });
  const rt = await openRuntime(config);
  try {
    const org = await rt.store.orgs.create(opts.org ?? 'acme');
    for (const s of opts.sources) await addSource(rt.store, rt.keys, org.id, s);
    const created = await createApiKey(rt.store, rt.keys, { orgId: org.id, name: 'load', createdByUserId: null, createdBy: 'test', expiresAt: null, sourceNames: null });
    return { orgId: org.id, key: created.key };
  } finally {
    await rt.close();
  }
}

/** Every audit entry of an organization, read from the store directly (no server involved). */
export async function auditEntries(opts: { dataDir: string; databaseUrl?: string; orgId: string }): Promise<AuditRecord[]> {
  const store = openStore({ dataDir: opts.dataDir, databaseUrl: opts.databaseUrl });
  try {
    const out: AuditRecord[] = [];
    let beforeId: number | undefined;
    for (;;) {
      const page = await store.audit.list({ orgId: opts.orgId, limit: 10_000, beforeId });
      out.push(...page);
      if (page.length < 10_000) return out;
      beforeId = page[page.length - 1]!.id;
    }
  } finally {
    await store.close();
  }
}
