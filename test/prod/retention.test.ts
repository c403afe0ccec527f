/**
 * Audit retention: with SEQUEL_AUDIT_RETENTION_DAYS set, a server deletes entries older than the window at
 * start (and hourly); recent entries stay, and so does everything when retention is off.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../src/store/audit.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const dirs: string[] = [];
const servers: TestServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.close().catch(() => {});
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString();

function entry(orgId: string, at: string, i: number): AuditEntry {
  return {
    at, org_id: orgId, user_id: null, credential_kind: 'api_key', credential_id: 'k', credential_label: 'test',
    source_id: null, source_name: null, tool: 'list_sources', sql: null, row_count: null, duration_ms: 1,
    outcome: 'ok', error: null, entry_id: `retention-${at}-${i}`,
  };
}

async function countBy(s: TestServer, orgId: string): Promise<{ old: number; recent: number }> {
  const rows = await s.rt.store.db.selectFrom('audit_log').select(['at']).where('org_id', '=', orgId).execute();
  const cut = daysAgo(30);
  return { old: rows.filter((r) => r.at < cut).length, recent: rows.filter((r) => r.at >= cut).length };
}

describe('audit retention', () => {
  it('a server started with a 30-day window deletes older entries and keeps the rest', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sequel-retention-'));
    dirs.push(dataDir);
    // First run without retention: entries of every age are kept.
    const first = await startTestServer({ dataDir, demo: false });
    const org = await first.org('default');
    const entries = [
      ...Array.from({ length: 12_000 }, (_, i) => entry(org.id, daysAgo(40 + (i % 20)), i)),
      ...Array.from({ length: 25 }, (_, i) => entry(org.id, daysAgo(i % 29), i)),
    ];
    await first.rt.store.audit.insertMany(entries);
    expect(await countBy(first, org.id)).toEqual({ old: 12_000, recent: 25 });
    await first.close();

    const second = await startTestServer({ dataDir, demo: false, env: { SEQUEL_AUDIT_RETENTION_DAYS: '30' } });
    servers.push(second);
    for (let i = 0; i < 600 && (await countBy(second, org.id)).old > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await countBy(second, org.id)).toEqual({ old: 0, recent: 25 });
  }, 120_000);
});
