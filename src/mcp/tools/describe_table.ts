import * as z from 'zod';
import { ToolError } from '../../errors.js';
import type { DescribedCatalog, DescribedTable, ToolContext } from '../context.js';
import { tableDetail, tableText } from '../render.js';
import { defineTool } from './define.js';

const input = z.object({
  source: z.string().max(63),
  table: z.string().min(1).max(300).describe('Table or view, optionally schema-qualified'),
});

const output = z.object({ source: z.string(), table: z.record(z.string(), z.unknown()) });

function unquote(part: string): string {
  const p = part.trim();
  if ((p.startsWith('"') && p.endsWith('"')) || (p.startsWith('`') && p.endsWith('`')) || (p.startsWith('[') && p.endsWith(']'))) {
    return p.slice(1, -1);
  }
  return p;
}

/**
 * Resolves `name` or `schema.name` (quotes allowed): exact match first, then case-insensitive; an
 * unqualified name prefers the default schema and is refused when it is ambiguous elsewhere.
 */
export function findTable(catalog: DescribedCatalog, ref: string): DescribedTable | { ambiguous: DescribedTable[] } | undefined {
  const exactWhole = catalog.tables.filter((t) => t.name === unquote(ref));
  const dot = ref.indexOf('.');
  const candidates: Array<[string | null, string]> = [[null, unquote(ref)]];
  if (dot > 0) candidates.unshift([unquote(ref.slice(0, dot)), unquote(ref.slice(dot + 1))]);
  for (const ci of [false, true]) {
    const eq = (a: string, b: string) => (ci ? a.toLowerCase() === b.toLowerCase() : a === b);
    for (const [schema, name] of candidates) {
      const found = catalog.tables.filter((t) => eq(t.name, name) && (schema === null || eq(t.schema, schema)));
      if (found.length === 1) return found[0];
      if (found.length > 1) {
        const inDefault = found.find((t) => t.schema === catalog.defaultSchema);
        if (inDefault) return inDefault;
        return { ambiguous: found };
      }
    }
  }
  return exactWhole[0];
}

function suggestions(catalog: DescribedCatalog, ref: string): string[] {
  const needle = ref.toLowerCase().replace(/^.*\./, '');
  return catalog.tables
    .filter((t) => t.name.toLowerCase().includes(needle) || needle.includes(t.name.toLowerCase()))
    .slice(0, 5)
    .map((t) => `${t.schema}.${t.name}`);
}

export const describeTable = defineTool({
  name: 'describe_table',
  description: 'Columns (types, keys, comments, descriptions), indexes, row estimate of a table or view.',
  input,
  output,
  inputJson: { type: 'object', properties: { source: { type: 'string', description: 'source name from list_sources' }, table: { type: 'string', description: 'table or view name, or schema.table' } }, required: ['source', 'table'] },
  outputJson: { type: 'object', properties: { table: { type: 'object' } }, required: ['table'] },
  async run(ctx: ToolContext, args, note, signal) {
    const source = await ctx.source(args.source);
    note.source = source;
    let catalog = await ctx.catalog(source, { signal });
    let found = findTable(catalog, args.table);
    if (!found) {
      // Perhaps created a moment ago: look again (the manager rate-limits refreshes).
      catalog = await ctx.catalog(source, { refresh: true, signal });
      found = findTable(catalog, args.table);
    }
    if (!found) {
      const near = suggestions(catalog, args.table);
      throw new ToolError(
        'UNKNOWN_TABLE',
        `No table or view "${args.table}" in source "${source.name}"${near.length ? `; did you mean ${near.join(', ')}?` : '; use search_schema to find it.'}`,
      );
    }
    if ('ambiguous' in found) {
      throw new ToolError('INVALID_ARGUMENT', `"${args.table}" exists in several schemas (${found.ambiguous.map((t) => t.schema).join(', ')}); qualify it as schema.table.`);
    }
    return { structured: { source: source.name, table: tableDetail(found) }, text: tableText(source.name, found) };
  },
});
