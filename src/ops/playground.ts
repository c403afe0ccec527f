/**
 * The query playground (admins): SQL run on a source through exactly the path a model's `run_query`
 * takes — the same tool definition, so the same statement guard, policy, row and byte caps, timeout,
 * rate limit and audit entry — under a credential marked `playground` so Activity tells them apart.
 */
import { MCP_SCOPE, type Principal } from '../auth/principal.js';
import { NotFoundError, ValidationError } from '../errors.js';
import { ToolContext } from '../mcp/context.js';
import { callTool } from '../mcp/tools/define.js';
import { runQuery } from '../mcp/tools/run_query.js';
import { requireCan, userIdOf, type OpsActor, type OpsDeps } from './access.js';

export interface PlaygroundInput {
  sourceId: string;
  sql: string;
  /** Rows to return; the source's default when absent, never above its ceiling. */
  maxRows?: number | undefined;
}

export interface PlaygroundResult {
  ok: boolean;
  /** The rows as the tool returns them (columns, rows, row_count, truncated, elapsed_ms, hint). */
  result: {
    columns: Array<{ name: string; type: string }>;
    rows: unknown[][];
    row_count: number;
    truncated: boolean;
    elapsed_ms: number;
    hint?: string;
  } | null;
  error: { code: string; message: string } | null;
  /** Exactly the text a model reads (the tool result's text content). */
  modelText: string;
}

export async function runPlayground(deps: OpsDeps, actor: OpsActor, input: PlaygroundInput, signal?: AbortSignal): Promise<PlaygroundResult> {
  await requireCan(deps, actor, 'playground.run');
  const source = await deps.store.sources.get(actor.orgId, input.sourceId);
  if (!source) throw new NotFoundError('no such source');
  if (!input.sql.trim()) throw new ValidationError('write a statement to run');
  const userId = userIdOf(actor);
  const user = userId ? await deps.store.users.get(userId) : undefined;
  const principal: Principal = {
    orgId: actor.orgId,
    userId,
    credential: { kind: 'playground', id: userId ?? 'operator', label: `Playground (${user?.email ?? 'operator'})` },
    sourceIds: null,
    scopes: [MCP_SCOPE],
  };
  const ctx = new ToolContext(deps, principal);
  const parsed = runQuery.input.safeParse({ source: source.name, sql: input.sql, ...(input.maxRows ? { max_rows: input.maxRows } : {}) });
  if (!parsed.success) throw new ValidationError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  const out = await callTool(ctx, runQuery, parsed.data, signal ?? AbortSignal.timeout(source.policy.statementTimeoutMs + 30_000));
  const first = out.content[0];
  const modelText = first && first.type === 'text' ? first.text : '';
  if (out.isError) {
    const e = (out.structuredContent as { error?: { code: string; message: string } } | undefined)?.error ?? { code: 'INTERNAL_ERROR', message: modelText };
    return { ok: false, result: null, error: e, modelText };
  }
  return { ok: true, result: out.structuredContent as PlaygroundResult['result'], error: null, modelText };
}
