/**
 * A credential's policy preset composed with a source's policy (issue 11, item 4): the policy in force for
 * a call is the stricter of both, so a preset can only take away.
 *
 *   - allowed schemas: the intersection when both list schemas, the one list when only one does (an empty
 *     list means "every schema"); an empty intersection allows no schema at all;
 *   - hidden tables and hidden columns: the union;
 *   - masked columns: both lists, strictest mode first — the policy layer takes the first mask that
 *     matches a column, so where both mask one column the stricter mode wins. The order, strictest first:
 *     hide (a hidden column, in either) > null > hash > mask.
 * Everything else (row and byte caps, timeout, identity roles, user functions) is the source's.
 */
import type { PresetPolicy } from '../store/presets.js';
import type { ColumnMask, MaskMode, SourcePolicy } from '../store/sources.js';

/** Mask modes, strictest first (a hidden column is stricter than any of them). */
export const MASK_STRICTNESS: readonly MaskMode[] = ['null', 'hash', 'mask'];

/**
 * An allowed-schemas entry no schema can have (NUL cannot appear in an identifier any engine accepts):
 * what an empty intersection becomes, since an empty list would mean every schema.
 */
export const NO_SCHEMA = '\u0000no schema';

function union(a: readonly string[], b: readonly string[]): string[] {
  const seen = new Set(a.map((s) => s.toLowerCase()));
  return [...a, ...b.filter((s) => !seen.has(s.toLowerCase()))];
}

export function intersectPolicy(source: SourcePolicy, preset: PresetPolicy): SourcePolicy {
  let allowedSchemas: string[];
  if (source.allowedSchemas.length === 0) allowedSchemas = [...preset.allowedSchemas];
  else if (preset.allowedSchemas.length === 0) allowedSchemas = [...source.allowedSchemas];
  else {
    const wanted = new Set(preset.allowedSchemas.map((s) => s.toLowerCase()));
    allowedSchemas = source.allowedSchemas.filter((s) => wanted.has(s.toLowerCase()));
    if (allowedSchemas.length === 0) allowedSchemas = [NO_SCHEMA];
  }
  const rank = (m: ColumnMask) => MASK_STRICTNESS.indexOf(m.mode);
  // A stable sort: equal modes keep the source's entries first.
  const maskedColumns = [...(source.maskedColumns ?? []), ...preset.maskedColumns].sort((a, b) => rank(a) - rank(b));
  return {
    ...source,
    allowedSchemas,
    hiddenTables: union(source.hiddenTables, preset.hiddenTables),
    hiddenColumns: union(source.hiddenColumns, preset.hiddenColumns),
    maskedColumns,
  };
}
