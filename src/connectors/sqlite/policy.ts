/**
 * The shape of a SQLite statement for the policy layer (src/governance), from the guard's tokenizer
 * (SQLite's own lexical rules): SQLite has no whole-row values, so names, `*` expansions and NATURAL
 * joins are what can read a column. The tokens do not say which names are tables, so every name is a
 * candidate relation: those the catalog knows are judged. The schema table (`sqlite_schema` and its
 * aliases, the statistics tables) and the `pragma_*` table functions show the catalog.
 */
import { tokenize } from './guard.js';
import { tokenShape, type ShapeToken } from '../../governance/tokens.js';
import type { StatementShape } from '../../governance/shape.js';
import type { QualifiedName } from '../guard/types.js';

export function sqliteShape(sql: string, pragma: boolean): StatementShape {
  const raw = tokenize(sql);
  const tokens: ShapeToken[] = raw.map((t) => ({
    kind: t.kind === 'word' ? 'name' : t.kind === 'punct' ? 'op' : t.kind,
    text: t.kind === 'word' || t.kind === 'quoted' ? t.text.toLowerCase() : t.text,
  }));
  const names: QualifiedName[] = [];
  let catalogUse: string | null = pragma ? 'PRAGMA' : null;
  tokens.forEach((t, i) => {
    if (t.kind !== 'name' && t.kind !== 'quoted') return;
    if (/^(sqlite_|pragma_)/.test(t.text)) catalogUse ??= `reading ${t.text}`;
    const dot = tokens[i - 1];
    const before = tokens[i - 2];
    if (dot?.kind === 'op' && dot.text === '.' && (before?.kind === 'name' || before?.kind === 'quoted')) names.push({ schema: before.text, name: t.text });
    else names.push({ schema: null, name: t.text });
  });
  return { ...tokenShape(tokens), relations: { mode: 'candidates', names }, catalogUse };
}
