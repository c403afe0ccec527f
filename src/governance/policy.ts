/**
 * The source policy enforced on statements (issue 11): what `run_query` and `explain_query` may read,
 * judged on the shape each engine's analysis gives (./shape.ts), never on the text alone.
 *
 *   - every relation read must be one the source shows: in an allowed schema, not hidden, and not a view
 *     whose own definition would be refused (a view that exposes a hidden table or column is hidden);
 *   - a hidden column may not be read in any form: its name anywhere in the statement, an expansion
 *     (`*`, `t.*`, `TABLE t`, positional column aliases…) over a table that has hidden columns, a NATURAL
 *     join or a whole-row value of such a table are refused, with a message that says to name columns;
 *   - statements that show the catalog (SHOW, DESCRIBE, PRAGMA, catalog functions) and statements whose
 *     relations the analysis cannot list are refused while the policy restricts anything.
 * The messages never name a hidden table or column: a refused relation reads the same whether it is hidden,
 * outside the allowed schemas or absent.
 */
import type { QualifiedName } from '../connectors/guard/types.js';
import type { Catalog, CatalogTable } from '../connectors/types.js';
import { ToolError } from '../errors.js';
import type { MaskMode, SourcePolicy } from '../store/sources.js';
import type { StatementShape } from './shape.js';

const lower = (s: string) => s.toLowerCase();

/** Which rule refused a statement: recorded in the audit log beside the refusal. */
export type PolicyRule = 'catalog' | 'unanalyzable' | 'hidden-table' | 'hidden-column' | 'expansion' | 'natural-join' | 'whole-row' | 'masked-use';

/** A PERMISSION_DENIED refusal of the source policy, with the rule that fired. */
export class PolicyRefusal extends ToolError {
  /** Set when the credential's policy preset, not the source policy, is what refused (for the audit). */
  preset: string | undefined;

  constructor(
    readonly rule: PolicyRule,
    message: string,
  ) {
    super('PERMISSION_DENIED', message);
  }
}

/** A policy name pattern: `*` matches any run of characters; everything else literally, case-insensitive. */
function glob(p: string): RegExp {
  return new RegExp(`^${p.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'i');
}

interface TableRule {
  /** null: the source's default schema. */
  schema: RegExp | null;
  table: RegExp;
}
interface ColumnRule extends TableRule {
  column: RegExp;
  /** The literal column name, when the entry has no wildcard in its last part. */
  literal: string | null;
  /** A one-part entry: the column name (or pattern) in every table. */
  anyTable: boolean;
}

/** `schema.table` or `table` (default schema); wildcards allowed in each part. */
function tableRule(entry: string): TableRule {
  const parts = entry.split('.');
  const table = glob(parts.pop()!);
  return { schema: parts.length ? glob(parts.join('.')) : null, table };
}

/** `schema.table.column`, `table.column` (default schema), or `column` (any table: `*email*`, `ssn`). */
function columnRule(entry: string): ColumnRule {
  const parts = entry.split('.');
  const last = parts.pop()!;
  const column = glob(last);
  const literal = last.includes('*') ? null : lower(last);
  if (parts.length === 0) return { schema: glob('*'), table: glob('*'), column, literal, anyTable: true };
  const table = glob(parts.pop()!);
  return { schema: parts.length ? glob(parts.join('.')) : null, table, column, literal, anyTable: false };
}

export interface ResolvedRelation {
  schema: string;
  name: string;
  /** As written in the statement, for messages. */
  written: string;
  table: CatalogTable | undefined;
}

/** Whether the policy restricts what statements may read (then every statement is analyzed). */
export function restricting(p: SourcePolicy): boolean {
  return p.allowedSchemas.length > 0 || p.hiddenTables.length > 0 || p.hiddenColumns.length > 0 || (p.maskedColumns?.length ?? 0) > 0;
}

/** Output columns to mask: by position in the result. */
export type MaskPlan = Array<{ index: number; mode: MaskMode }>;

/** A source's policy compiled against its catalog; build with `compileGovernance`. */
export class Governance {
  readonly active: boolean;
  private readonly tableRules: TableRule[];
  private readonly columnRules: ColumnRule[];
  private readonly maskRules: Array<ColumnRule & { mode: MaskMode }>;
  private readonly allowed: Set<string> | null;
  private readonly byName = new Map<string, CatalogTable[]>();
  /** Views whose definition would be refused (lower `schema\0name`): hidden like hidden tables. */
  readonly exposingViews = new Set<string>();

  constructor(
    readonly sourceName: string,
    readonly policy: SourcePolicy,
    readonly catalog: Catalog,
  ) {
    this.active = restricting(policy);
    this.tableRules = policy.hiddenTables.map(tableRule);
    this.columnRules = policy.hiddenColumns.map(columnRule);
    this.maskRules = (policy.maskedColumns ?? []).map((m) => ({ ...columnRule(m.column), mode: m.mode }));
    this.allowed = policy.allowedSchemas.length ? new Set(policy.allowedSchemas.map(lower)) : null;
    for (const t of catalog.tables) {
      const k = lower(t.name);
      const list = this.byName.get(k);
      if (list) list.push(t);
      else this.byName.set(k, [t]);
    }
  }

  private applies(rule: TableRule, schema: string, table: string): boolean {
    const schemaOk = rule.schema === null ? lower(schema) === lower(this.catalog.defaultSchema) : rule.schema.test(schema);
    return schemaOk && rule.table.test(table);
  }

  /** Whether the policy hides the table itself (outside the allowed schemas, a hidden table, an exposing view). */
  tableHidden(schema: string, name: string): boolean {
    if (this.allowed && !this.allowed.has(lower(schema))) return true;
    if (this.tableRules.some((r) => this.applies(r, schema, name))) return true;
    return this.exposingViews.has(`${lower(schema)}\u0000${lower(name)}`);
  }

  /** The mask of this column of this table, if any. */
  columnMask(schema: string, table: string, column: string): MaskMode | undefined {
    return this.maskRules.find((r) => this.applies(r, schema, table) && r.column.test(column))?.mode;
  }

  /** Whether the policy hides this column of this table. */
  columnHidden(schema: string, table: string, column: string): boolean {
    return this.columnRules.some((r) => this.applies(r, schema, table) && r.column.test(column));
  }

  /**
   * The column rules that apply to a table: its hidden column names (from the catalog, plus the literal
   * names of rules, which count even for a column the catalog does not list), and the patterns.
   */
  hiddenFor(schema: string, table: string, known: CatalogTable | undefined, rules: readonly ColumnRule[] = this.columnRules): { names: Set<string>; patterns: RegExp[] } {
    const names = new Set<string>();
    const patterns: RegExp[] = [];
    for (const r of rules) {
      if (!this.applies(r, schema, table)) continue;
      const matching = known?.columns.filter((c) => r.column.test(c.name)) ?? [];
      // A rule for every table (`*email*`) counts for a table the catalog shows without such a column
      // only when the catalog does not know the table at all.
      if (r.anyTable && known && matching.length === 0) continue;
      patterns.push(r.column);
      if (r.literal) names.add(r.literal);
      for (const c of matching) names.add(lower(c.name));
    }
    return { names, patterns };
  }

  private find(schema: string, name: string): CatalogTable | undefined {
    return this.byName.get(lower(name))?.find((t) => lower(t.schema) === lower(schema));
  }

  private notAvailable(written: string): ToolError {
    return new PolicyRefusal(
      'hidden-table',
      `Refused: "${written}" is not a table or view that source "${this.sourceName}" makes available. search_schema lists what is; qualify names outside the ${this.catalog.defaultSchema} schema as schema.table.`,
    );
  }

  /**
   * The relations a statement reads, resolved against the catalog; throws PERMISSION_DENIED for one the
   * policy hides. `lenient` (view definitions): a relation the catalog does not know is allowed (a view in
   * an allowed schema may read a table outside it; its hidden columns still count).
   */
  resolve(relations: NonNullable<StatementShape['relations']>, lenient: boolean): ResolvedRelation[] {
    const out: ResolvedRelation[] = [];
    for (const r of relations.names) {
      const written = r.schema ? `${r.schema}.${r.name}` : r.name;
      if (relations.mode === 'candidates') {
        // Any table of that name, in any schema, is one the statement may read.
        const cands = r.schema ? [this.find(schemaPart(r), r.name)].filter((t) => t !== undefined) : (this.byName.get(lower(r.name)) ?? []);
        for (const t of cands) {
          if (this.tableHidden(t.schema, t.name)) throw this.notAvailable(written);
          out.push({ schema: t.schema, name: t.name, written, table: t });
        }
        if (cands.length === 0 && r.schema && this.allowed && !this.allowed.has(lower(schemaPart(r)))) throw this.notAvailable(written);
        continue;
      }
      const schema = r.schema ? schemaPart(r) : this.catalog.defaultSchema;
      const table = this.find(schema, r.name);
      if (this.tableHidden(schema, r.name)) throw this.notAvailable(written);
      if (!table && !lenient) throw this.notAvailable(written);
      out.push({ schema: table?.schema ?? schema, name: table?.name ?? r.name, written, table });
    }
    return out;
  }

  /**
   * Judges one statement's shape; throws PERMISSION_DENIED naming what to change. `lenient`: see `resolve`.
   */
  enforce(shape: StatementShape, lenient = false): MaskPlan {
    if (!this.active) return [];
    if (shape.catalogUse) {
      throw new PolicyRefusal(
          'catalog',
          `Refused: ${shape.catalogUse} shows the database's catalog past this source's policy; use search_schema and describe_table, which show what source "${this.sourceName}" makes available.`,
      );
    }
    if (!shape.relations) {
      throw new PolicyRefusal(
          'unanalyzable',
          `Refused: Sequel cannot tell which tables this statement reads, and source "${this.sourceName}" has a policy on what may be read; write it as a plainer SELECT that names its tables and columns.`,
      );
    }
    const read = this.resolve(shape.relations, lenient);
    const names = new Set<string>();
    const patterns: RegExp[] = [];
    const withHidden: string[] = [];
    for (const r of read) {
      const h = this.hiddenFor(r.schema, r.name, r.table);
      if (h.names.size || h.patterns.length) withHidden.push(r.written);
      for (const n of h.names) names.add(n);
      patterns.push(...h.patterns);
    }
    const masked = new Map<string, MaskMode>();
    const withMasked: string[] = [];
    for (const r of read) {
      for (const rule of this.maskRules) {
        const h = this.hiddenFor(r.schema, r.name, r.table, [rule]);
        if (h.names.size === 0 && h.patterns.length === 0) continue;
        withMasked.push(r.written);
        for (const n of h.names) if (!masked.has(n)) masked.set(n, rule.mode);
      }
    }
    if (withHidden.length === 0 && withMasked.length === 0) return [];
    for (const n of shape.names) {
      if (names.has(n) || patterns.some((p) => p.test(n))) {
        throw new PolicyRefusal(
              'hidden-column',
              `Refused: the statement uses a name this source's policy withholds (a column that is not available, or a value spelled like one). Name only the columns describe_table lists for ${withHidden.join(', ')}.`,
        );
      }
    }
    const tables = [...new Set([...withHidden, ...withMasked])].join(', ');
    if (shape.expansion) {
      throw new PolicyRefusal(
          'expansion',
          `Refused: ${shape.expansion} reads columns without naming them, and ${tables} has columns this source's policy withholds. Name the columns you need (describe_table lists them).`,
      );
    }
    if (shape.natural) {
      throw new PolicyRefusal(
          'natural-join',
          `Refused: a NATURAL join compares every column the two sides share, and ${tables} has columns this source's policy withholds. Join with ON (or USING) naming the columns.`,
      );
    }
    for (const b of shape.bareRefs) {
      if (shape.rangeNames.has(b)) {
        throw new PolicyRefusal(
              'whole-row',
              `Refused: "${b}" used as a value is a whole row (as in row_to_json(${b}) or SELECT ${b} FROM …), and ${tables} has columns this source's policy withholds. Name the columns you need.`,
        );
      }
    }
    // A masked column may leave only as a plain output column, where its values are masked on the way out;
    // in any other place (an expression, a filter, a join, a subquery) its raw value would be used.
    const plan: MaskPlan = [];
    for (const [name, mode] of masked) {
      const uses = shape.counts.get(name) ?? 0;
      if (uses === 0) continue;
      const direct = shape.outputs?.map((o, index) => (o === name ? index : -1)).filter((i) => i >= 0) ?? [];
      // A view's output is read under another name: a view that uses a masked column at all is hidden.
      if (direct.length !== uses || lenient) {
        throw new PolicyRefusal(
              'masked-use',
              `Refused: ${tables} has masked columns, and this statement uses one other than as a plain column of a single SELECT's output (in an expression, filter, join, sort, subquery or union), where its raw value would count. Select the masked column as it is (its values come back masked), or leave it out.`,
        );
      }
      for (const index of direct) plan.push({ index, mode });
    }
    return plan;
  }
}

/** The schema part of a qualified name; DuckDB's `catalog.schema` is judged on its schema. */
function schemaPart(r: QualifiedName): string {
  const s = r.schema ?? '';
  const dot = s.lastIndexOf('.');
  return dot >= 0 ? s.slice(dot + 1) : s;
}

/** A view's definition as an analysis can read it, with the shape of that definition. */
export type ViewAnalyzer = (table: CatalogTable) => Promise<StatementShape | null>;

/**
 * Compiles the policy against the catalog, marking the views whose definition the policy would refuse
 * (they expose a hidden table or column, or read what the analysis cannot list). A view over a view
 * inherits: the marking repeats until nothing changes.
 */
export async function compileGovernance(sourceName: string, policy: SourcePolicy, catalog: Catalog, analyzeView: ViewAnalyzer): Promise<Governance> {
  const gov = new Governance(sourceName, policy, catalog);
  if (!gov.active) return gov;
  const views: Array<{ t: CatalogTable; shape: StatementShape | null }> = [];
  for (const t of catalog.tables) {
    if (t.kind !== 'view' && t.kind !== 'materialized_view') continue;
    if (gov.tableHidden(t.schema, t.name)) continue;
    let shape: StatementShape | null;
    try {
      shape = await analyzeView(t);
    } catch {
      shape = null;
    }
    views.push({ t, shape });
  }
  for (let changed = true; changed; ) {
    changed = false;
    for (const v of views) {
      const k = `${lower(v.t.schema)}\u0000${lower(v.t.name)}`;
      if (gov.exposingViews.has(k)) continue;
      let refused = v.shape === null;
      if (!refused) {
        try {
          gov.enforce(v.shape!, true);
        } catch (err) {
          if (!(err instanceof ToolError)) throw err;
          refused = true;
        }
      }
      if (refused) {
        gov.exposingViews.add(k);
        changed = true;
      }
    }
  }
  return gov;
}
