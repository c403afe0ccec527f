/**
 * The nodes of libpg-query's raw parse tree (PostgreSQL's grammar, `src/include/nodes/parsenodes.h` and
 * `primnodes.h`, as JSON; field lists in @pgsql/types) that the PostgreSQL walker (./tree.ts) accepts in a
 * read, and what each of their fields holds. A node type or field missing here is refused, never skipped:
 * adding one is a decision to review (does it hold an expression, a name that resolves to a function, an
 * operator or a type? then the walker must read it as one).
 *
 * libpg-query writes the protobuf JSON mapping: a field of type `Node` is wrapped (`{"A_Const": {…}}`), a
 * field of a specific struct type (`Alias *`, `TypeName *`, `WindowDef *`…) is not, and fields holding
 * their default value (false, 0, empty) are left out — so a missing field is never an error.
 */

/** What a field holds. */
export type Kind =
  /** a wrapped node (`{"Type": {…}}`), walked */
  | 'node'
  /** a list of wrapped nodes, walked (`{}` in a list stands for NULL) */
  | 'nodes'
  /** a string, number or boolean that holds no expression (a name, a flag, a location, an enum) */
  | 'scalar'
  /** an unwrapped struct of the named type, walked with that type's fields */
  | `struct:${string}`;

export type Fields = Readonly<Record<string, Kind>>;

const LOC: Fields = { location: 'scalar' };

/** Accepted node types and their fields. */
export const NODES: Readonly<Record<string, Fields>> = {
  // ── Statements ──
  SelectStmt: {
    distinctClause: 'nodes',
    intoClause: 'scalar', // refused by the walker before it gets here
    targetList: 'nodes',
    fromClause: 'nodes',
    whereClause: 'node',
    groupClause: 'nodes',
    groupDistinct: 'scalar',
    havingClause: 'node',
    windowClause: 'nodes',
    valuesLists: 'nodes',
    sortClause: 'nodes',
    limitOffset: 'node',
    limitCount: 'node',
    limitOption: 'scalar',
    lockingClause: 'scalar', // refused by the walker before it gets here
    withClause: 'struct:WithClause',
    op: 'scalar',
    all: 'scalar',
    larg: 'struct:SelectStmt',
    rarg: 'struct:SelectStmt',
  },
  // ── Values ──
  A_Const: {
    ival: 'struct:Integer',
    fval: 'struct:Float',
    boolval: 'struct:Boolean',
    sval: 'struct:String',
    bsval: 'struct:BitString',
    isnull: 'scalar',
    ...LOC,
  },
  Integer: { ival: 'scalar' },
  Float: { fval: 'scalar' },
  Boolean: { boolval: 'scalar' },
  String: { sval: 'scalar' },
  BitString: { bsval: 'scalar' },
  List: { items: 'nodes' },
  ParamRef: { number: 'scalar', ...LOC },
  A_Star: {},
  // ── Names and FROM items ──
  ColumnRef: { fields: 'nodes', ...LOC },
  ResTarget: { name: 'scalar', indirection: 'nodes', val: 'node', ...LOC },
  Alias: { aliasname: 'scalar', colnames: 'nodes' },
  RangeVar: { catalogname: 'scalar', schemaname: 'scalar', relname: 'scalar', inh: 'scalar', relpersistence: 'scalar', alias: 'struct:Alias', ...LOC },
  JoinExpr: {
    jointype: 'scalar',
    isNatural: 'scalar',
    larg: 'node',
    rarg: 'node',
    usingClause: 'nodes',
    join_using_alias: 'struct:Alias',
    quals: 'node',
    alias: 'struct:Alias',
    rtindex: 'scalar',
  },
  RangeSubselect: { lateral: 'scalar', subquery: 'node', alias: 'struct:Alias' },
  RangeFunction: { lateral: 'scalar', ordinality: 'scalar', is_rowsfrom: 'scalar', functions: 'nodes', alias: 'struct:Alias', coldeflist: 'nodes' },
  RangeTableSample: { relation: 'node', method: 'nodes', args: 'nodes', repeatable: 'node', ...LOC },
  RangeTableFunc: { lateral: 'scalar', docexpr: 'node', rowexpr: 'node', namespaces: 'nodes', columns: 'nodes', alias: 'struct:Alias', ...LOC },
  RangeTableFuncCol: { colname: 'scalar', typeName: 'struct:TypeName', for_ordinality: 'scalar', is_not_null: 'scalar', colexpr: 'node', coldefexpr: 'node', ...LOC },
  ColumnDef: { colname: 'scalar', typeName: 'struct:TypeName', is_local: 'scalar', collClause: 'struct:CollateClause', ...LOC },
  WithClause: { ctes: 'nodes', recursive: 'scalar', ...LOC },
  CommonTableExpr: {
    ctename: 'scalar',
    aliascolnames: 'nodes',
    ctematerialized: 'scalar',
    ctequery: 'node',
    search_clause: 'struct:CTESearchClause',
    cycle_clause: 'struct:CTECycleClause',
    ...LOC,
  },
  CTESearchClause: { search_col_list: 'nodes', search_breadth_first: 'scalar', search_seq_column: 'scalar', ...LOC },
  CTECycleClause: {
    cycle_col_list: 'nodes',
    cycle_mark_column: 'scalar',
    cycle_mark_value: 'node',
    cycle_mark_default: 'node',
    cycle_path_column: 'scalar',
    ...LOC,
  },
  // ── Expressions ──
  A_Expr: { kind: 'scalar', name: 'nodes', lexpr: 'node', rexpr: 'node', rexpr_list_start: 'scalar', rexpr_list_end: 'scalar', ...LOC },
  BoolExpr: { boolop: 'scalar', args: 'nodes', ...LOC },
  FuncCall: {
    funcname: 'nodes',
    args: 'nodes',
    agg_order: 'nodes',
    agg_filter: 'node',
    over: 'struct:WindowDef',
    agg_within_group: 'scalar',
    agg_star: 'scalar',
    agg_distinct: 'scalar',
    func_variadic: 'scalar',
    funcformat: 'scalar',
    ...LOC,
  },
  NamedArgExpr: { arg: 'node', name: 'scalar', argnumber: 'scalar', ...LOC },
  TypeCast: { arg: 'node', typeName: 'struct:TypeName', ...LOC },
  TypeName: { names: 'nodes', typeOid: 'scalar', typmods: 'nodes', typemod: 'scalar', arrayBounds: 'nodes', ...LOC },
  CollateClause: { arg: 'node', collname: 'nodes', ...LOC },
  SubLink: { subLinkType: 'scalar', subLinkId: 'scalar', testexpr: 'node', operName: 'nodes', subselect: 'node', ...LOC },
  CaseExpr: { arg: 'node', args: 'nodes', defresult: 'node', ...LOC },
  CaseWhen: { expr: 'node', result: 'node', ...LOC },
  CoalesceExpr: { args: 'nodes', ...LOC },
  MinMaxExpr: { op: 'scalar', args: 'nodes', ...LOC },
  NullTest: { arg: 'node', nulltesttype: 'scalar', argisrow: 'scalar', ...LOC },
  BooleanTest: { arg: 'node', booltesttype: 'scalar', ...LOC },
  A_ArrayExpr: { elements: 'nodes', list_start: 'scalar', list_end: 'scalar', ...LOC },
  A_Indirection: { arg: 'node', indirection: 'nodes' },
  A_Indices: { is_slice: 'scalar', lidx: 'node', uidx: 'node' },
  RowExpr: { args: 'nodes', row_format: 'scalar', ...LOC },
  GroupingFunc: { args: 'nodes', ...LOC },
  GroupingSet: { kind: 'scalar', content: 'nodes', ...LOC },
  SQLValueFunction: { op: 'scalar', typmod: 'scalar', ...LOC },
  XmlExpr: { op: 'scalar', name: 'scalar', named_args: 'nodes', arg_names: 'nodes', args: 'nodes', xmloption: 'scalar', indent: 'scalar', typmod: 'scalar', ...LOC },
  XmlSerialize: { xmloption: 'scalar', expr: 'node', typeName: 'struct:TypeName', indent: 'scalar', ...LOC },
  SortBy: { node: 'node', sortby_dir: 'scalar', sortby_nulls: 'scalar', useOp: 'nodes', ...LOC },
  WindowDef: { name: 'scalar', refname: 'scalar', partitionClause: 'nodes', orderClause: 'nodes', frameOptions: 'scalar', startOffset: 'node', endOffset: 'node', ...LOC },
  // EXPLAIN options (only where ./tree.ts reads them).
  DefElem: { defnamespace: 'scalar', defname: 'scalar', arg: 'node', defaction: 'scalar', ...LOC },
};

/** A_Expr kinds and the operators each runs: its `name`, or fixed ones (BETWEEN is >= AND <=). */
export const A_EXPR_KINDS: Readonly<Record<string, 'name' | readonly string[]>> = {
  AEXPR_OP: 'name',
  AEXPR_OP_ANY: 'name',
  AEXPR_OP_ALL: 'name',
  AEXPR_DISTINCT: 'name',
  AEXPR_NOT_DISTINCT: 'name',
  AEXPR_NULLIF: 'name',
  AEXPR_IN: 'name',
  AEXPR_LIKE: 'name',
  AEXPR_ILIKE: 'name',
  AEXPR_SIMILAR: 'name',
  AEXPR_BETWEEN: ['>=', '<='],
  AEXPR_NOT_BETWEEN: ['<', '>'],
  AEXPR_BETWEEN_SYM: ['>=', '<='],
  AEXPR_NOT_BETWEEN_SYM: ['<', '>'],
};

/** EXPLAIN options that only shape the plan's output (ANALYZE runs the statement and is refused). */
export const EXPLAIN_OPTIONS: ReadonlySet<string> = new Set(['verbose', 'costs', 'settings', 'buffers', 'wal', 'timing', 'summary', 'format', 'generic_plan', 'memory']);

/** Node types named in messages: what to write instead. */
export const NODE_HINTS: Readonly<Record<string, string>> = {
  JsonFuncExpr: 'use the jsonb functions and operators (jsonb_path_query, ->, ->>) instead of the SQL/JSON query functions',
  JsonTable: 'use jsonb_to_recordset or jsonb_path_query in FROM instead of JSON_TABLE',
  JsonObjectConstructor: 'use jsonb_build_object instead of JSON_OBJECT',
  JsonArrayConstructor: 'use jsonb_build_array instead of JSON_ARRAY',
  JsonArrayQueryConstructor: 'use jsonb_agg instead of JSON_ARRAY(query)',
  JsonObjectAgg: 'use jsonb_object_agg instead of JSON_OBJECTAGG',
  JsonArrayAgg: 'use jsonb_agg instead of JSON_ARRAYAGG',
  JsonIsPredicate: 'use jsonb_typeof instead of IS JSON',
  JsonParseExpr: "use a cast ('…'::jsonb) instead of JSON(…)",
  JsonScalarExpr: 'use to_jsonb instead of JSON_SCALAR',
  JsonSerializeExpr: 'use a cast to text instead of JSON_SERIALIZE',
  MergeSupportFunc: 'MERGE_ACTION() belongs to MERGE, which is not a read',
  SetToDefault: 'DEFAULT belongs to INSERT and UPDATE, which are not reads',
  MultiAssignRef: 'multiple-column assignment belongs to UPDATE, which is not a read',
  CurrentOfExpr: 'WHERE CURRENT OF needs a cursor, which is not available',
};
