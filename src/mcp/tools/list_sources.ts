import * as z from 'zod';
import type { SourceStatus } from '../../connectors/manager.js';
import type { ToolContext } from '../context.js';
import { defineTool } from './define.js';

const output = z.object({
  sources: z.array(
    z.object({
      name: z.string(),
      engine: z.string(),
      description: z.string(),
      status: z.enum(['ok', 'unavailable', 'unknown']),
      checked_at: z.string().nullable(),
      reason: z.string().optional(),
    }),
  ),
});

/**
 * Why a source is unavailable, in words that name no host, port, file or database: a credential holder
 * may query the source but has no business learning where it lives (connector messages do name the
 * target, for the administrator's `sequel sources test`). Unrecognised failures get a generic sentence.
 */
export function publicReason(lastError: SourceStatus['lastError']): string {
  const m = lastError?.message ?? '';
  if (/timed? ?out|timeout|did not (start|answer)/i.test(m)) return 'the database did not answer in time';
  if (/refused|ECONNREFUSED/i.test(m)) return 'the database refused the connection (it may be down)';
  if (/password|authenticat|access denied|login|role .* does not exist/i.test(m)) return 'the database refused the login';
  if (/certificate|tls|ssl/i.test(m)) return 'the secure (TLS) connection could not be set up';
  if (/ENOTFOUND|EAI_AGAIN|getaddrinfo|resolve/i.test(m)) return 'the database host name does not resolve';
  if (/closed|shutting down|exited|ended unexpectedly|keeps changing/i.test(m)) return 'the connection was closed; it reconnects on the next call';
  if (/does not exist|cannot be (opened|read)|no file matches|not a .* url|not available in this build/i.test(m)) {
    return 'the database cannot be opened with its current settings';
  }
  return 'the database cannot be reached';
}

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
    const list = sources.map((s, i) => {
      const status = ctx.deps.manager.statusOf(s.id);
      const h = health[i]!;
      return {
        name: s.name,
        engine: s.engine,
        description: s.description,
        status: h,
        checked_at: status.checkedAt,
        ...(h === 'unavailable' ? { reason: publicReason(status.lastError) } : {}),
      };
    });
    const text = list.length
      ? list
          .map((s) => {
            const state = s.status === 'unavailable' ? `, unavailable: ${s.reason}` : s.status === 'unknown' ? ', not checked yet' : '';
            const checked = s.checked_at ? ` [checked ${s.checked_at}]` : '';
            return `${s.name} (${s.engine}${state})${s.description ? ': ' + s.description : ''}${s.status === 'ok' ? '' : checked}`;
          })
          .join('\n')
      : 'No sources are available to this credential.';
    return { structured: { sources: list }, text };
  },
});
