import * as z from 'zod';
import type { ToolContext } from '../context.js';
import { defineTool } from './define.js';

const output = z.object({
  sources: z.array(
    z.object({
      name: z.string(),
      engine: z.string(),
      description: z.string(),
      status: z.enum(['ok', 'unavailable', 'unknown']),
    }),
  ),
});

export const listSources = defineTool({
  name: 'list_sources',
  description: 'List the databases you can query. Start here, then search_schema, describe_table, run_query.',
  input: z.object({}),
  output,
  inputJson: { type: 'object' },
  outputJson: { type: 'object', properties: { sources: { type: 'array' } }, required: ['sources'] },
  async run(ctx: ToolContext) {
    const sources = await ctx.visibleSources();
    const health = await Promise.all(sources.map((s) => ctx.deps.manager.health(s)));
    const list = sources.map((s, i) => ({
      name: s.name,
      engine: s.engine,
      description: s.description,
      status: health[i]!,
    }));
    const text = list.length
      ? list.map((s) => `${s.name} (${s.engine}${s.status === 'unavailable' ? ', unavailable' : ''})${s.description ? ': ' + s.description : ''}`).join('\n')
      : 'No sources are available to this credential.';
    return { structured: { sources: list }, text };
  },
});
