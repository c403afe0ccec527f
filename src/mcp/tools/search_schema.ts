import { createHash } from 'node:crypto';
import * as z from 'zod';
import { ToolError, isToolError } from '../../errors.js';
import type { DescribedCatalog, DescribedColumn, DescribedTable, ToolContext } from '../context.js';
import { columnSummary, tableDetail } from '../render.js';
import { defineTool } from './define.js';

const input = z.object({
  source: z.string().max(63).optional().describe('Source name; all sources when omitted'),
  pattern: z.string().max(200).optional().describe('Name fragment, or LIKE pattern with % _'),
  object_type: z.enum(['table', 'view', 'column', 'all']).optional(),
  detail: z.enum(['names', 'summary', 'full']).optional(),
  limit: z.number().int().min(1).max(500).optional(),
  cursor: z.string().max(500).optional(),
});

/**
 * Names-only answers (the default) are grouped per source and schema, names in plain string arrays keyed by
 * kind (`tables`, `views`, `columns` as `table.column`, …): a few bytes per name instead of an object each,
 * which is what an agent's context pays for on a 5,000-table database. `summary`/`full` keep one object
 * per match.
 */
const output = z.object({
  schemas: z.array(z.record(z.string(), z.union([z.string(), z.array(z.string())]))).optional(),
  objects: z.array(z.record(z.string(), z.unknown())).optional(),
  total: z.number().int(),
  next_cursor: z.string().nullable(),
});

type Kind = z.output<typeof input>['object_type'];

/** A case-insensitive matcher: LIKE semantics when the pattern has % or *, else a substring search. */
function matcher(pattern: string | undefined): (...candidates: Array<string | null | undefined>) => boolean {
  const p = pattern?.trim();
  if (!p) return () => true;
  if (/[%*]/.test(p)) {
    const re = new RegExp(
      '^' +
        p
          .split('')
          .map((ch) => (ch === '%' || ch === '*' ? '.*' : ch === '_' ? '.' : ch.replace(/[.+?^${}()|[\]\\]/g, '\\$&')))
          .join('') +
        '$',
      'is',
    );
    return (...c) => c.some((s) => s != null && re.test(s));
  }
  const needle = p.toLowerCase();
  return (...c) => c.some((s) => s != null && s.toLowerCase().includes(needle));
}

function isView(t: DescribedTable): boolean {
  return t.kind === 'view' || t.kind === 'materialized_view';
}

interface Hit {
  catalog: DescribedCatalog;
  table: DescribedTable;
  column?: DescribedColumn;
}

/**
 * `<offset>.<fingerprint of the search>`: opaque to a model, short because it travels in every page (twice:
 * text and structuredContent). The earlier base64 JSON form is still read, for a page served by an older
 * replica during a rolling upgrade.
 */
function encodeCursor(offset: number, fingerprint: string): string {
  return `${offset}.${fingerprint}`;
}

function decodeCursor(cursor: string, fingerprint: string): number {
  const m = /^(\d{1,9})\.([A-Za-z0-9_-]+)$/.exec(cursor);
  if (m && m[2] === fingerprint) return Number(m[1]);
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { o?: unknown; f?: unknown };
    if (typeof v.o === 'number' && Number.isInteger(v.o) && v.o >= 0 && v.f === fingerprint) return v.o;
  } catch {
    // fall through
  }
  throw new ToolError('INVALID_ARGUMENT', 'That cursor does not belong to this search; repeat the same arguments with the cursor you were given, or drop it to start over.');
}

/**
 * The matches of one search in one catalog, kept with the catalog view they came from. That view is
 * already the source's policy and descriptions applied, cached per catalog and source version (see
 * ToolContext.catalog), so a hit list stays valid exactly as long as the view does; paging through a
 * 5,000-table database then costs a slice per page instead of a scan. A few searches per view are kept,
 * and none of more than 50,000 matches (every column of a huge database), whose list would cost megabytes.
 */
const hitCache = new WeakMap<DescribedCatalog, Map<string, Hit[]>>();
const SEARCHES_PER_CATALOG = 4;
const MAX_CACHED_HITS = 50_000;

function hitsIn(catalog: DescribedCatalog, kind: NonNullable<Kind>, pattern: string | undefined): Hit[] {
  let searches = hitCache.get(catalog);
  if (!searches) hitCache.set(catalog, (searches = new Map()));
  const key = `${kind}\u0000${pattern ?? ''}`;
  const cached = searches.get(key);
  if (cached) return cached;
  const match = matcher(pattern);
  const hits: Hit[] = [];
  for (const table of catalog.tables) {
    const qualified = `${table.schema}.${table.name}`;
    const tableKindOk = kind === 'all' || (kind === 'view' ? isView(table) : kind === 'table' ? !isView(table) : false);
    if (tableKindOk && match(table.name, qualified, table.description, table.comment)) hits.push({ catalog, table });
    if (kind === 'column' || kind === 'all') {
      for (const column of table.columns) {
        if (match(column.name, `${table.name}.${column.name}`, `${qualified}.${column.name}`, column.description, column.comment)) {
          hits.push({ catalog, table, column });
        }
      }
    }
  }
  if (hits.length > MAX_CACHED_HITS) return hits;
  if (searches.size >= SEARCHES_PER_CATALOG) searches.delete(searches.keys().next().value!);
  searches.set(key, hits);
  return hits;
}

export const searchSchema = defineTool({
  name: 'search_schema',
  description:
    'Find tables, views, columns by name or description. detail: names|summary|full; page with next_cursor.',
  input,
  output,
  inputJson: {
    type: 'object',
    properties: {
      source: { type: 'string', description: 'source name; all sources when omitted' },
      pattern: { type: 'string', description: 'name/description fragment, or LIKE pattern (% _)' },
      object_type: { enum: ['table', 'view', 'column', 'all'], description: 'default all' },
      detail: { enum: ['names', 'summary', 'full'], description: 'default names' },
      limit: { type: 'integer', description: 'objects per page (default 50, max 500)' },
      cursor: { type: 'string', description: 'next_cursor of the previous page' },
    },
  },
  outputJson: {
    type: 'object',
    properties: {
      schemas: { type: 'array', description: 'detail=names: [{source, schema, tables|views|columns: [name]}]' },
      objects: { type: 'array', description: 'detail=summary|full' },
      next_cursor: { type: ['string', 'null'] },
    },
  },
  async run(ctx: ToolContext, args, note, signal) {
    const kind: NonNullable<Kind> = args.object_type ?? 'all';
    const detail = args.detail ?? 'names';
    const limit = args.limit ?? 50;
    const fingerprint = createHash('sha256')
      .update(JSON.stringify([args.source ?? '', args.pattern ?? '', kind, detail]))
      .digest('base64url')
      .slice(0, 12);
    const offset = args.cursor ? decodeCursor(args.cursor, fingerprint) : 0;

    const sources = args.source ? [await ctx.source(args.source)] : await ctx.visibleSources();
    if (args.source) note.source = sources[0];
    const skipped: string[] = [];
    const catalogs: DescribedCatalog[] = [];
    for (const s of sources) {
      try {
        catalogs.push(await ctx.catalog(s, { signal }));
      } catch (err) {
        // One source being down must not hide the others when searching everywhere.
        if (args.source || !isToolError(err)) throw err;
        skipped.push(`${s.name} (${err.code})`);
      }
    }

    const hits = catalogs.length === 1 ? hitsIn(catalogs[0]!, kind, args.pattern) : catalogs.flatMap((c) => hitsIn(c, kind, args.pattern));

    const page = hits.slice(offset, offset + limit);
    const next = offset + limit < hits.length ? encodeCursor(offset + limit, fingerprint) : null;
    const footer = `(${offset + page.length} of ${hits.length}${next ? `; more with cursor ${next}` : ''})${skipped.length ? `\nSkipped unavailable sources: ${skipped.join(', ')}` : ''}`;
    if (detail === 'names') {
      const schemas = groupNames(page);
      const lines = schemas.map((g) =>
        Object.entries(g)
          .filter((e): e is [string, string[]] => Array.isArray(e[1]))
          .map(([k, names]) => `${g.source}:${g.schema} ${k}: ${names.map(quoteName).join(',')}`)
          .join('\n'),
      );
      const text = `${lines.length ? lines.join('\n') : 'No matching objects.'}\n${footer}`;
      return { structured: { schemas, total: hits.length, next_cursor: next }, text };
    }
    const objects = page.map((h) => render(h, detail));
    const lines = page.map((h) => renderLine(h));
    const text = `${lines.length ? lines.join('\n') : 'No matching objects.'}\n${footer}`;
    return { structured: { objects, total: hits.length, next_cursor: next }, text };
  },
});

type NameGroup = { source: string; schema: string } & Record<string, string[] | string>;

const PLURAL: Record<DescribedTable['kind'] | 'column', string> = {
  table: 'tables',
  view: 'views',
  materialized_view: 'materialized_views',
  foreign_table: 'foreign_tables',
  column: 'columns',
};

/** One group per (source, schema) in page order; within it, names per kind in page order. */
function groupNames(page: Hit[]): NameGroup[] {
  const groups = new Map<string, NameGroup>();
  for (const h of page) {
    const key = `${h.catalog.source.name}\0${h.table.schema}`;
    let g = groups.get(key);
    if (!g) {
      g = { source: h.catalog.source.name, schema: h.table.schema } as NameGroup;
      groups.set(key, g);
    }
    const kind = PLURAL[h.column ? 'column' : h.table.kind];
    const list = (g[kind] ??= []) as string[];
    list.push(h.column ? `${h.table.name}.${h.column.name}` : h.table.name);
  }
  return [...groups.values()];
}

/** Names are comma-separated in the text; one holding a comma, blank or quote is quoted SQL-style. */
function quoteName(name: string): string {
  return /[,\s"]/.test(name) ? `"${name.replace(/"/g, '""')}"` : name;
}

function render(h: Hit, detail: 'summary' | 'full'): Record<string, unknown> {
  const { table, column, catalog } = h;
  const base = { source: catalog.source.name, schema: table.schema };
  if (column) {
    const out: Record<string, unknown> = { ...base, table: table.name, name: column.name, kind: 'column', type: column.type };
    Object.assign(out, { nullable: column.nullable, primary_key: column.primaryKey });
    if (column.references) out.references = `${column.references.schema}.${column.references.table}.${column.references.column}`;
    const d = column.description ?? column.comment;
    if (d) out.description = d;
    if (detail === 'full') Object.assign(out, { default: column.default, comment: column.comment, description: column.description });
    return out;
  }
  if (detail === 'summary') {
    const out: Record<string, unknown> = { ...base, name: table.name, kind: table.kind, rows: table.rowEstimate };
    const d = table.description ?? table.comment;
    if (d) out.description = d;
    out.columns = table.columns.map(columnSummary).join(', ');
    return out;
  }
  return { source: catalog.source.name, ...tableDetail(table) };
}

function renderLine(h: Hit): string {
  const { table, column, catalog } = h;
  const q = `${catalog.source.name}:${table.schema}.${table.name}`;
  if (column) {
    const d = column.description ?? column.comment;
    return `${q}.${column.name} ${column.type}${d ? ` — ${d}` : ''}`;
  }
  const d = table.description ?? table.comment;
  const rows = table.rowEstimate !== null ? `, ~${table.rowEstimate} rows` : '';
  return `${q} (${table.kind}${rows})${d ? ` — ${d}` : ''}\n  ${table.columns.map(columnSummary).join(', ')}`;
}
