/**
 * The nodes of DuckDB's serialized parse tree that the walker (./tree.ts) accepts, and the exact keys of
 * each: DuckDB's serialization specs (src/include/duckdb/storage/serialization/parsed_expression.json,
 * tableref.json, query_node.json, result_modifier.json, nodes.json, types.json) as DuckDB v1.5 emits them
 * from `json_serialize_sql`. A node, type or key missing here is refused, never skipped; adding one is a
 * decision to review (does it hold an expression? then it must be walked as one).
 */

/** What a key holds, and so how the walker reads it. */
export type Kind =
  | 'expr'
  | 'expr?'
  | 'expr[]'
  | 'expr[][]'
  | 'ref'
  | 'ref?'
  | 'node'
  | 'node?'
  | 'select'
  | 'orderModifier'
  | 'orders'
  | 'modifiers'
  | 'cteMap'
  | 'type'
  | 'type?'
  | 'type[]'
  | 'value'
  | 'value[]'
  | 'sample?'
  | 'at?'
  | 'caseChecks'
  | 'pivots'
  | 'replaceList'
  | 'renameList'
  | 'qualifiedColumns'
  | 'namedParams'
  | 'groupSets'
  | 'string'
  | 'strings'
  | 'bool'
  | 'number'
  | 'null';

export type Fields = Record<string, Kind>;

export interface Shape {
  types: ReadonlySet<string>;
  fields: Fields;
}

const shape = (types: string[], fields: Fields): Shape => ({ types: new Set(types), fields });

/** Keys every parsed expression carries (ParsedExpression). */
export const EXPRESSION_BASE: Fields = { class: 'string', type: 'string', alias: 'string', query_location: 'number' };

export const FUNCTION_FIELDS: Fields = {
  function_name: 'string',
  schema: 'string',
  catalog: 'string',
  children: 'expr[]',
  filter: 'expr?',
  order_bys: 'orderModifier',
  distinct: 'bool',
  is_operator: 'bool',
  export_state: 'bool',
};

/** Expression classes, by `class`: the `type`s each may carry, and its own keys. */
export const EXPRESSIONS: Record<string, Shape> = {
  BETWEEN: shape(['COMPARE_BETWEEN', 'COMPARE_NOT_BETWEEN'], { input: 'expr', lower: 'expr', upper: 'expr' }),
  CASE: shape(['CASE_EXPR'], { case_checks: 'caseChecks', else_expr: 'expr?' }),
  CAST: shape(['OPERATOR_CAST'], { child: 'expr', cast_type: 'type', try_cast: 'bool' }),
  COLLATE: shape(['COLLATE'], { child: 'expr', collation: 'string' }),
  COLUMN_REF: shape(['COLUMN_REF'], { column_names: 'strings' }),
  COMPARISON: shape(
    [
      'COMPARE_EQUAL',
      'COMPARE_NOTEQUAL',
      'COMPARE_LESSTHAN',
      'COMPARE_GREATERTHAN',
      'COMPARE_LESSTHANOREQUALTO',
      'COMPARE_GREATERTHANOREQUALTO',
      'COMPARE_DISTINCT_FROM',
      'COMPARE_NOT_DISTINCT_FROM',
    ],
    { left: 'expr', right: 'expr' },
  ),
  CONJUNCTION: shape(['CONJUNCTION_AND', 'CONJUNCTION_OR'], { children: 'expr[]' }),
  CONSTANT: shape(['VALUE_CONSTANT'], { value: 'value' }),
  DEFAULT: shape(['VALUE_DEFAULT'], {}),
  FUNCTION: shape(['FUNCTION'], FUNCTION_FIELDS),
  LAMBDA: shape(['LAMBDA'], { lhs: 'expr', expr: 'expr' }),
  LAMBDA_REF: shape(['LAMBDA_REF'], { lambda_idx: 'number', column_name: 'string' }),
  OPERATOR: shape(
    [
      'OPERATOR_NOT',
      'OPERATOR_IS_NULL',
      'OPERATOR_IS_NOT_NULL',
      'OPERATOR_UNPACK',
      'COMPARE_IN',
      'COMPARE_NOT_IN',
      'OPERATOR_COALESCE',
      'OPERATOR_NULLIF',
      'OPERATOR_TRY',
      'ARRAY_EXTRACT',
      'ARRAY_SLICE',
      'STRUCT_EXTRACT',
      'ARRAY_CONSTRUCTOR',
      'GROUPING_FUNCTION',
    ],
    { children: 'expr[]' },
  ),
  PARAMETER: shape(['VALUE_PARAMETER'], { identifier: 'string' }),
  POSITIONAL_REFERENCE: shape(['POSITIONAL_REFERENCE'], { index: 'number' }),
  STAR: shape(['STAR'], {
    relation_name: 'string',
    exclude_list: 'strings',
    replace_list: 'replaceList',
    columns: 'bool',
    expr: 'expr?',
    qualified_exclude_list: 'qualifiedColumns',
    rename_list: 'renameList',
  }),
  SUBQUERY: shape(['SUBQUERY'], { subquery_type: 'string', subquery: 'select', child: 'expr?', comparison_type: 'string' }),
  WINDOW: shape(
    [
      'WINDOW_AGGREGATE',
      'WINDOW_ROW_NUMBER',
      'WINDOW_RANK',
      'WINDOW_RANK_DENSE',
      'WINDOW_NTILE',
      'WINDOW_PERCENT_RANK',
      'WINDOW_CUME_DIST',
      'WINDOW_FIRST_VALUE',
      'WINDOW_LAST_VALUE',
      'WINDOW_LEAD',
      'WINDOW_LAG',
      'WINDOW_NTH_VALUE',
      'WINDOW_FILL',
    ],
    {
      function_name: 'string',
      schema: 'string',
      catalog: 'string',
      children: 'expr[]',
      partitions: 'expr[]',
      orders: 'orders',
      start: 'string',
      end: 'string',
      start_expr: 'expr?',
      end_expr: 'expr?',
      offset_expr: 'expr?',
      default_expr: 'expr?',
      ignore_nulls: 'bool',
      filter_expr: 'expr?',
      exclude_clause: 'string',
      distinct: 'bool',
      arg_orders: 'orders',
    },
  ),
};

export const TABLEREF_BASE: Fields = { type: 'string', alias: 'string', sample: 'sample?', query_location: 'number' };

/** Table references, by `type`. */
export const TABLEREFS: Record<string, Fields> = {
  BASE_TABLE: { schema_name: 'string', table_name: 'string', column_name_alias: 'strings', catalog_name: 'string', at_clause: 'at?' },
  JOIN: {
    left: 'ref',
    right: 'ref',
    condition: 'expr?',
    join_type: 'string',
    ref_type: 'string',
    using_columns: 'strings',
    delim_flipped: 'bool',
    duplicate_eliminated_columns: 'expr[]',
  },
  SUBQUERY: { subquery: 'select', column_name_alias: 'strings' },
  TABLE_FUNCTION: { function: 'expr', column_name_alias: 'strings', with_ordinality: 'string' },
  EMPTY: {},
  EXPRESSION_LIST: { expected_names: 'strings', expected_types: 'type[]', values: 'expr[][]' },
  PIVOT: {
    source: 'ref',
    aggregates: 'expr[]',
    unpivot_names: 'strings',
    pivots: 'pivots',
    groups: 'strings',
    column_name_alias: 'strings',
    include_nulls: 'bool',
  },
  SHOW_REF: { table_name: 'string', query: 'node?', show_type: 'string', catalog_name: 'string', schema_name: 'string' },
};

/** SHOW/DESCRIBE/SUMMARIZE forms DuckDB's binder turns into catalog queries of its own. */
export const SHOW_TYPES = new Set(['DESCRIBE', 'SUMMARY', 'SHOW_FROM', 'SHOW_UNQUALIFIED']);

export const QUERY_NODE_BASE: Fields = { type: 'string', modifiers: 'modifiers', cte_map: 'cteMap' };

/** Query nodes, by `type`. */
export const QUERY_NODES: Record<string, Fields> = {
  SELECT_NODE: {
    select_list: 'expr[]',
    from_table: 'ref',
    where_clause: 'expr?',
    group_expressions: 'expr[]',
    group_sets: 'groupSets',
    aggregate_handling: 'string',
    having: 'expr?',
    sample: 'sample?',
    qualify: 'expr?',
  },
  SET_OPERATION_NODE: { setop_type: 'string', left: 'node', right: 'node', setop_all: 'bool' },
  RECURSIVE_CTE_NODE: { cte_name: 'string', union_all: 'bool', left: 'node', right: 'node', aliases: 'strings', key_targets: 'expr[]' },
  CTE_NODE: { cte_name: 'string', query: 'node', child: 'node', aliases: 'strings', materialized: 'string' },
};

/** Result modifiers, by `type`. */
export const MODIFIERS: Record<string, Fields> = {
  ORDER_MODIFIER: { orders: 'orders' },
  LIMIT_MODIFIER: { limit: 'expr?', offset: 'expr?' },
  LIMIT_PERCENT_MODIFIER: { limit: 'expr?', offset: 'expr?' },
  DISTINCT_MODIFIER: { distinct_on_targets: 'expr[]' },
};

export const TYPE_INFO_BASE: Fields = { type: 'string', alias: 'string', extension_info: 'null' };

/** Extra type information of a LogicalType, by `type` (types.json). */
export const TYPE_INFOS: Record<string, Fields> = {
  DECIMAL_TYPE_INFO: { width: 'number', scale: 'number' },
  STRING_TYPE_INFO: { collation: 'string' },
  LIST_TYPE_INFO: { child_type: 'type' },
  STRUCT_TYPE_INFO: { child_types: 'strings' /* checked specially below */ },
  ARRAY_TYPE_INFO: { child_type: 'type', size: 'number' },
  UNBOUND_TYPE_INFO: { name: 'string', catalog: 'string', schema: 'string', user_type_modifiers: 'value[]' },
};

export const ORDER_TYPES = new Set(['ORDER_DEFAULT', 'ASCENDING', 'DESCENDING']);
