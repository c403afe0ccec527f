/**
 * Unknown tool arguments are refused, not dropped. A model that guesses a parameter name
 * (`search_schema {"query": "customer"}`) would otherwise get an unfiltered answer and believe it was
 * filtered; refusing with the valid names, and the likely one, lets it correct itself on the next call.
 * (MCP spec, "Tools › Error Handling": such errors are tool results with isError so the model sees them.)
 */
import { ToolError } from '../../errors.js';

/** Names models commonly reach for, mapped to what Sequel calls them (first valid one wins). */
const SYNONYMS: Record<string, string[]> = {
  query: ['pattern', 'sql'],
  q: ['pattern', 'sql'],
  search: ['pattern'],
  filter: ['pattern'],
  keyword: ['pattern'],
  name: ['pattern', 'table'],
  statement: ['sql'],
  sql_query: ['sql'],
  table_name: ['table'],
  tablename: ['table'],
  database: ['source'],
  db: ['source'],
  source_name: ['source'],
  datasource: ['source'],
  connection: ['source'],
  limit: ['max_rows', 'limit'],
  max_results: ['limit', 'max_rows'],
  rows: ['max_rows'],
  parameters: ['params'],
  args: ['params'],
  bindings: ['params'],
  type: ['object_type'],
  kind: ['object_type'],
  page_token: ['cursor'],
  next_cursor: ['cursor'],
};

/** Levenshtein distance, small strings only. */
function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}

/** The valid argument a wrong name most likely meant, if any. */
export function suggestArgument(wrong: string, valid: readonly string[]): string | undefined {
  const w = wrong.toLowerCase().replace(/[-\s]/g, '_');
  const exact = valid.find((v) => v.toLowerCase() === w);
  if (exact) return exact;
  const synonym = SYNONYMS[w]?.find((s) => valid.includes(s));
  if (synonym) return synonym;
  let best: string | undefined;
  let bestD = Infinity;
  for (const v of valid) {
    const d = distance(w, v);
    if (d < bestD) [best, bestD] = [v, d];
  }
  return best !== undefined && bestD <= Math.max(1, Math.ceil(best.length / 3)) ? best : undefined;
}

/** Throws INVALID_ARGUMENT when `args` holds a key the tool does not take. */
export function assertKnownArguments(tool: string, args: Record<string, unknown>, valid: readonly string[]): void {
  const unknown = Object.keys(args).filter((k) => !valid.includes(k));
  if (unknown.length === 0) return;
  const parts = unknown.map((k) => {
    const s = suggestArgument(k, valid);
    return `\`${k}\`${s ? ` (did you mean \`${s}\`?)` : ''}`;
  });
  throw new ToolError(
    'INVALID_ARGUMENT',
    `${tool} does not take ${parts.join(', ')}; its arguments are ${valid.length ? valid.map((v) => `\`${v}\``).join(', ') : 'none'}.`,
  );
}
