import * as z from 'zod';
import type { ToolContext } from '../context.js';
import { defineTool } from './define.js';
import { renderRows } from '../render.js';
import { maskRows } from '../../governance/masking.js';

const input = z.object({
  source: z.string().max(63),
  sql: z.string().min(1).max(100_000).describe('One read-only statement; placeholders $1 (postgres, duckdb) or ? (mysql, sqlite)'),
  params: z.array(z.union([z.string(), z.number(), z.boolean(), z.null()])).max(1000).optional(),
  max_rows: z.number().int().min(1).optional(),
});

const output = z.object({
  columns: z.array(z.object({ name: z.string(), type: z.string() })),
  rows: z.array(z.array(z.unknown())),
  row_count: z.number().int(),
  truncated: z.boolean(),
  elapsed_ms: z.number(),
  hint: z.string().optional(),
});

export const runQuery = defineTool({
  name: 'run_query',
  description:
    'Run one read-only SQL statement. Aggregate and LIMIT in SQL: rows are capped (truncated=true). Exact numbers are strings.',
  input,
  output,
  inputJson: {
    type: 'object',
    properties: {
      source: { type: 'string', description: 'source name from list_sources' },
      sql: { type: 'string', description: 'one read-only statement; placeholders $1 (postgres, duckdb), ? (mysql, sqlite)' },
      params: { type: 'array', description: 'values for the placeholders, in order' },
      max_rows: { type: 'integer', description: "rows to return (default: the source's, usually 200)" },
    },
    required: ['source', 'sql'],
  },
  outputJson: {
    type: 'object',
    properties: { columns: { type: 'array' }, rows: { type: 'array' }, truncated: { type: 'boolean' } },
    required: ['rows', 'truncated'],
  },
  async run(ctx: ToolContext, args, note, signal) {
    const source = await ctx.source(args.source);
    note.source = source;
    note.sql = args.sql;
    const policy = source.policy;
    const requested = args.max_rows ?? policy.maxRows;
    const maxRows = Math.min(requested, policy.maxRowsCeiling);
    const masks = await ctx.enforcePolicy(source, args.sql, signal);
    const role = await ctx.databaseRole(source);
    const started = performance.now();
    const result = await ctx.deps.manager.use(source, (c) =>
      c.query(args.sql, args.params ?? [], { maxRows, maxBytes: policy.maxBytes, timeoutMs: policy.statementTimeoutMs, signal, role }),
    );
    const elapsed = Math.round((performance.now() - started) * 100) / 100;
    note.rowCount = result.rowCount;
    if (masks.length) {
      const values = maskRows(result.rows, masks, ctx.maskingKey());
      note.masked = { values, columns: masks.length, modes: [...new Set(masks.map((m) => m.mode))] };
    }
    let hint: string | undefined;
    if (result.truncated) {
      hint =
        result.truncatedBy === 'max_bytes'
          ? `Stopped at ${result.rowCount} rows: the result reached this source's ${policy.maxBytes}-byte cap. Select fewer columns, aggregate, or page with LIMIT/OFFSET.`
          : `Stopped at ${result.rowCount} rows (max_rows); more rows exist. Aggregate (GROUP BY, COUNT) or page with LIMIT/OFFSET instead of reading everything.`;
    }
    if (requested > policy.maxRowsCeiling) {
      hint = `${hint ? hint + ' ' : ''}max_rows was lowered to this source's ceiling of ${policy.maxRowsCeiling}.`;
    }
    const structured = {
      columns: result.columns,
      rows: result.rows,
      row_count: result.rowCount,
      truncated: result.truncated,
      elapsed_ms: elapsed,
      ...(hint ? { hint } : {}),
    };
    return { structured, text: renderRows(source.name, result.columns, result.rows, result.truncated, hint) };
  },
});
