import * as z from 'zod';
import type { ToolContext } from '../context.js';
import { defineTool } from './define.js';

const input = z.object({ source: z.string().max(63), sql: z.string().min(1).max(100_000) });
const output = z.object({ plan: z.string() });

export const explainQuery = defineTool({
  name: 'explain_query',
  description: "The engine's plan for a read-only statement, without running it.",
  input,
  output,
  inputJson: { type: 'object', properties: { source: { type: 'string', description: 'source name from list_sources' }, sql: { type: 'string', description: 'the read-only statement to plan' } }, required: ['source', 'sql'] },
  outputJson: { type: 'object', properties: { plan: { type: 'string' } }, required: ['plan'] },
  async run(ctx: ToolContext, args, note, signal) {
    const source = await ctx.source(args.source);
    note.source = source;
    note.sql = args.sql;
    await ctx.enforcePolicy(source, args.sql, signal);
    const role = await ctx.databaseRole(source);
    const result = await ctx.deps.manager.use(source, (c) => c.explain(args.sql, [], { timeoutMs: source.policy.statementTimeoutMs, signal, role }));
    return { structured: { plan: result.plan }, text: result.plan };
  },
});
