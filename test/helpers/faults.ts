/** Shared by the fault tests (test/faults/): one call classified by how it was answered, recovery, the audit count. */
import { expect } from 'vitest';
import { rawToolCall, type TestServer } from './server.js';

export interface Answer {
  sql: string;
  status: number;
  kind: 'result' | 'tool-error' | 'rpc-error' | 'http-error';
  code?: string | number;
}

/** One call; an answer of some kind is required — a hang fails the test through its timeout. */
export async function call(ts: TestServer, key: string, sql: string, source = 'shop'): Promise<Answer> {
  const r = await rawToolCall(ts.mcpUrl, key, 'run_query', { source, sql });
  if (r.status !== 200) {
    // Not a bare 500 page: an HTTP failure still says what it is, in JSON.
    expect(r.body, `HTTP ${r.status} without a JSON body`).not.toBeNull();
    return { sql, status: r.status, kind: 'http-error', code: r.status };
  }
  if (r.body?.error) return { sql, status: 200, kind: 'rpc-error', code: (r.body.error as { code: number }).code };
  const result = r.body?.result as { isError?: boolean; structuredContent?: { error?: { code: string } } };
  if (result.isError) return { sql, status: 200, kind: 'tool-error', code: result.structuredContent?.error?.code ?? '?' };
  return { sql, status: 200, kind: 'result' };
}

export async function untilOk(ts: TestServer, key: string, tag: string, source = 'shop'): Promise<number> {
  for (let i = 0; ; i++) {
    const a = await call(ts, key, `select 'recover ${tag} ${i}' as t`, source);
    if (a.kind === 'result') return i;
    await new Promise((r) => setTimeout(r, 250));
  }
}

export async function auditedSql(ts: TestServer, orgSlug: string): Promise<Set<string>> {
  await ts.rt.audit.flush();
  const org = await ts.org(orgSlug);
  return new Set((await ts.rt.store.audit.list({ orgId: org.id, limit: 10_000 })).map((e) => e.sql ?? ''));
}

