/**
 * The shape of a MySQL/MariaDB statement for the policy layer (src/governance), from the guard's lexer
 * (MySQL's lexical rules, as the server splits the text) and the relations its parser listed. MySQL has
 * no whole-row values (`SELECT t FROM t` is a column named t), so names, `*` expansions, `TABLE t` and
 * NATURAL joins are what can read a column. SHOW and DESCRIBE show the catalog.
 */
import { lexMysql } from './lexer.js';
import type { MysqlStatementCheck } from './guard.js';
import { tokenShape, type ShapeToken } from '../../governance/tokens.js';
import type { StatementShape } from '../../governance/shape.js';

export function mysqlShape(sql: string, check: MysqlStatementCheck): StatementShape {
  const all = lexMysql(sql);
  const semi = all.findIndex((t) => t.kind === 'semi');
  const tokens: ShapeToken[] = (semi === -1 ? all : all.slice(0, semi)).map((t) => {
    if (t.kind === 'word') return { kind: /^[0-9]/.test(t.value) ? 'number' : 'name', text: t.value.toLowerCase() };
    if (t.kind === 'qident') return { kind: 'quoted', text: t.value.toLowerCase() };
    if (t.kind === 'string') return { kind: 'string', text: t.value };
    if (t.kind === 'param') return { kind: 'param', text: t.value };
    if (t.kind === 'op') return { kind: 'op', text: t.value };
    return { kind: 'other', text: t.value };
  });
  const catalogUse = check.kind === 'show' || check.kind === 'describe' ? check.kind.toUpperCase() : null;
  return {
    ...tokenShape(tokens),
    relations: check.relations ? { mode: 'exact', names: check.relations.map((r) => ({ ...r })) } : null,
    catalogUse,
  };
}
