/**
 * Which functions a MySQL/MariaDB statement may call, and why.
 *
 * MySQL resolves a call `name(…)` to a built-in, a loadable function (UDF: `sys_exec` from
 * lib_mysqludf_sys, Spider's `spider_direct_sql`…) or a stored function, all with the same syntax, and a
 * UDF or a stored function can do anything (run a shell command, write through a MODIFIES SQL DATA body,
 * read the credential tables with its definer's rights). How a name is written decides which one runs:
 * MariaDB treats a grammar function such as `COUNT`, `IF` or `ROWNUM` as the built-in only when the name
 * stands bare and right before `(`; `count (x)` and `` `count`(x) `` call a stored function named
 * `count` (error 1630 when there is none). So the allow-list records, per built-in, the forms in which it
 * resolves to the built-in: `a` bare and adjacent, `s` bare with a space or comment before `(`, `q`
 * back-quoted.
 *
 * The lists are generated from the server itself by `npm run allowlists:mysql`
 * (scripts/allowlists/mysql.ts): every name the server's help tables, `information_schema.SQL_FUNCTIONS`
 * and `information_schema.KEYWORDS` mention is probed with `PREPARE` (which parses and resolves but never
 * runs) in each form, with `information_schema` as the current database so that no stored function can
 * answer, and UDFs (`mysql.func`) are set apart. Each built-in found is then classified by the review
 * below: refused with its reason (`MYSQL_DENIED_FUNCTIONS`), read-only by name (`REVIEWED_READ_ONLY`) or by
 * its help category (`READ_ONLY_CATEGORIES`), and otherwise refused as "not reviewed" until someone
 * reviews it. Regenerate when the server's major.minor version changes (a test says so).
 *
 * At run time (`checkFunctionCall`): a denied name is refused wherever and however it is written; a
 * built-in in a form it resolves in passes; anything else is a stored function or a UDF, refused unless
 * the source's policy sets `allowUserFunctions` (and even then never a denied name). When the server's
 * flavor is not known yet, a name must pass on both flavors' lists.
 */
import { ToolError } from '../../errors.js';
import { DenyList, type DenyMatch } from '../guard/deny.js';
import { MARIADB_FUNCTIONS } from './functions.mariadb.js';
import { MYSQL8_FUNCTIONS } from './functions.mysql.js';

export type MysqlFlavor = 'mysql' | 'mariadb';

/** A generated function list (functions.mariadb.ts, functions.mysql.ts). */
export interface FunctionList {
  flavor: MysqlFlavor;
  /** `SELECT VERSION()` of the server it was generated from. */
  server: string;
  /** major.minor of that server: a test asks for regeneration when the test server's differs. */
  version: string;
  /**
   * Read-only built-ins: lower-case name → the forms in which the name resolves to the built-in, space
   * separated: `a`, `s`, `q`, each optionally with the numbers of arguments it takes as the built-in
   * (`a:2`: `POINT(x, y)` is the built-in, `POINT(x, y, z)` a stored function), all numbers otherwise.
   */
  allowed: Readonly<Record<string, string>>;
  /** Built-ins refused, lower-case name → the reason. */
  refused: Readonly<Record<string, string>>;
}

/** Refused wherever they appear, however written, whatever the policy; checked before the allow-list. */
export const MYSQL_DENIED_FUNCTIONS = new DenyList([
  {
    reason: 'it ties up a pooled connection on purpose (denial of service)',
    names: ['sleep', 'benchmark'],
  },
  {
    reason: 'it takes or releases user-level locks that outlive the statement',
    names: ['get_lock', 'release_lock', 'release_all_locks', 'is_free_lock', 'is_used_lock'],
  },
  {
    reason: 'it reads files on the database server',
    names: ['load_file'],
  },
  {
    reason: "it reads the server's binary logs",
    names: ['binlog_gtid_pos'],
  },
  {
    reason: "it uses the server's DES key file (des_key_file), a server secret",
    names: ['des_encrypt', 'des_decrypt'],
  },
  {
    reason: 'it advances or reads a sequence, which changes or depends on session state',
    names: ['nextval', 'setval', 'lastval'],
  },
  {
    reason: 'it waits on replication and can hold a connection indefinitely',
    names: [
      'master_pos_wait',
      'source_pos_wait',
      'master_gtid_wait',
      'wait_for_executed_gtid_set',
      'wait_until_sql_thread_after_gtids',
      'wsrep_sync_wait_upto_gtid',
    ],
  },
  {
    reason: 'with an argument it sets session state',
    names: ['last_insert_id'],
  },
  {
    reason: "it reports on the connection's previous statement, which on a pooled connection is another call's",
    names: ['found_rows', 'row_count'],
  },
  {
    reason: 'it is a loadable function (UDF) that runs commands, SQL on other servers, or administration',
    names: ['sys_exec', 'sys_eval', 'sys_get', 'sys_set', 'sys_bineval', 'do_system', 'exec_shell', 'shell', 'cmdshell'],
    prefixes: [
      'lib_mysqludf_',
      'spider_',
      'keyring_',
      'audit_log_',
      'version_tokens_',
      'service_get_',
      'service_release_',
      'mysql_firewall_',
      'set_firewall_',
      'normalize_statement',
      'mysqlx_',
      'group_replication_',
      'asynchronous_connection_failover_',
    ],
  },
]);

/**
 * Help categories (`mysql.help_category`) whose functions compute a value from their arguments and nothing
 * else; a built-in in one of them is read-only unless the deny-list says otherwise (LOAD_FILE is filed
 * under String Functions).
 */
export const READ_ONLY_CATEGORIES: ReadonlySet<string> = new Set([
  'Numeric Functions',
  'Mathematical Functions',
  'String Functions',
  'Date and Time Functions',
  'Bit Functions',
  'Comparison operators',
  'Comparison Operators',
  'Control flow functions',
  'Control Flow Functions',
  'Logical operators',
  'Logical Operators',
  'Functions and Modifiers for Use with GROUP BY',
  'Aggregate Functions and Modifiers',
  'Window Functions',
  'Encryption Functions',
  'JSON Functions',
  'Geometry constructors',
  'Geometry properties',
  'Geometry relations',
  'Geographic',
  'Geographic Features',
  'MBR',
  'MBR Functions',
  'WKB',
  'WKT',
  'Point properties',
  'Polygon properties',
  'LineString properties',
  'GeometryCollection properties',
  'Spatial Functions',
  'GeoJSON Functions',
]);

/**
 * Built-ins reviewed one by one and found read-only (beyond the categories above): information about this
 * session or the server's version, pure computations filed under Information or Miscellaneous, and
 * MySQL 8 names. Lower-case.
 */
export const REVIEWED_READ_ONLY: ReadonlySet<string> = new Set(
  `
  abs acos asin atan atan2 ceil ceiling conv cos cot crc32 crc32c degrees div exp floor ln log log10 log2 mod
  pi pow power radians rand round sign sin sqrt tan truncate format_bytes format_pico_time greatest least
  interval to_number

  ascii bin bit_length char char_length character_length charset coercibility collation concat concat_ws elt
  export_set field find_in_set format from_base64 hex insert instr lcase left length lengthb locate lower lpad
  ltrim make_set mid oct octet_length ord position quote regexp_instr regexp_like regexp_replace regexp_substr
  repeat replace reverse right rpad rtrim soundex space strcmp substr substring substring_index to_base64
  trim ucase unhex upper weight_string natural_sort_key sformat to_char chr levenshtein json_unquote
  random_bytes

  adddate addtime convert_tz curdate current_date current_time current_timestamp curtime date date_add
  date_format date_sub datediff day dayname dayofmonth dayofweek dayofyear extract from_days from_unixtime
  get_format hour last_day localtime localtimestamp makedate maketime microsecond minute month monthname now
  period_add period_diff quarter sec_to_time second str_to_date subdate subtime sysdate time time_format
  time_to_sec timediff timestamp timestampadd timestampdiff to_days to_seconds unix_timestamp utc_date
  utc_time utc_timestamp week weekday weekofyear year yearweek add_months months_between trunc to_date

  avg bit_and bit_or bit_xor count group_concat json_arrayagg json_objectagg max min std stddev stddev_pop
  stddev_samp sum var_pop var_samp variance median percentile_cont percentile_disc any_value

  cume_dist dense_rank first_value lag last_value lead nth_value ntile percent_rank rank row_number rownum

  case coalesce if ifnull isnull nullif nvl nvl2 decode decode_histogram decode_oracle

  cast convert binary

  aes_decrypt aes_encrypt compress md5 sha sha1 sha2 statement_digest statement_digest_text uncompress
  uncompressed_length validate_password_strength encode decrypt kdf old_password password encrypt crypt

  bin_to_uuid uuid_to_bin is_uuid uuid uuid_short sys_guid uuid_v4 uuid_v7 inet_aton inet_ntoa inet6_aton
  inet6_ntoa is_ipv4 is_ipv4_compat is_ipv4_mapped is_ipv6 name_const default grouping row old_value

  connection_id current_role current_user database found_rows icu_version roles_graphml row_count schema schemas
  session_user system_user user version ps_current_thread_id ps_thread_id wsrep_last_seen_gtid
  wsrep_last_written_gtid sql_tsi_year sql_tsi_quarter sql_tsi_month sql_tsi_week sql_tsi_day sql_tsi_hour
  sql_tsi_minute sql_tsi_second sql_tsi_microsecond

  json_array json_array_append json_array_insert json_array_intersect json_contains json_contains_path
  json_depth json_detailed json_equals json_exists json_extract json_insert json_keys json_length
  json_loose json_merge json_merge_patch json_merge_preserve json_normalize json_object json_object_filter_keys
  json_object_to_array json_overlaps json_pretty json_query json_quote json_remove json_replace json_schema_valid
  json_schema_validation_report json_search json_set json_storage_free json_storage_size json_type
  json_valid json_value json_compact json_table member

  concat_operator_oracle lpad_oracle ltrim_oracle replace_oracle rpad_oracle rtrim_oracle substr_oracle trim_oracle

  extractvalue updatexml

  bit_count

  gtid_subset gtid_subtract

  column_check column_exists column_get column_json column_list column_add column_create column_delete

  st_area st_asbinary st_asgeojson st_astext st_aswkb st_aswkt st_buffer st_buffer_strategy st_centroid
  st_collect st_contains st_convexhull st_crosses st_difference st_dimension st_disjoint st_distance
  st_distance_sphere st_endpoint st_envelope st_equals st_exteriorring st_frechetdistance st_geohash
  st_geomcollfromtext st_geomcollfromtxt st_geomcollfromwkb st_geometrycollectionfromtext
  st_geometrycollectionfromwkb st_geometryfromtext st_geometryfromwkb st_geometryn st_geometrytype
  st_geomfromgeojson st_geomfromtext st_geomfromwkb st_hausdorffdistance st_interiorringn st_intersection
  st_intersects st_isclosed st_isempty st_isring st_issimple st_isvalid st_latfromgeohash st_latitude
  st_length st_linefromtext st_linefromwkb st_lineinterpolatepoint st_lineinterpolatepoints
  st_linestringfromtext st_linestringfromwkb st_longfromgeohash st_longitude st_makeenvelope
  st_mlinefromtext st_mlinefromwkb st_mpointfromtext st_mpointfromwkb st_mpolyfromtext st_mpolyfromwkb
  st_multilinestringfromtext st_multilinestringfromwkb st_multipointfromtext st_multipointfromwkb
  st_multipolygonfromtext st_multipolygonfromwkb st_numgeometries st_numinteriorring st_numinteriorrings
  st_numpoints st_overlaps st_pointatdistance st_pointfromgeohash st_pointfromtext st_pointfromwkb st_pointn
  st_polyfromtext st_polyfromwkb st_polygonfromtext st_polygonfromwkb st_relate st_simplify st_srid
  st_startpoint st_swapxy st_symdifference st_touches st_transform st_union st_validate st_within st_x st_y
  mbrcontains mbrcoveredby mbrcovers mbrdisjoint mbrequals mbrintersects mbroverlaps mbrtouches mbrwithin
  geometrycollection linestring multilinestring multipoint multipolygon point polygon
  `
    .split(/\s+/)
    .filter((n) => n.length > 0),
);

/**
 * Words that may stand right before `(` without being a function call: keywords of the SELECT grammar,
 * type names (CAST(x AS DECIMAL(10,2))), JSON_TABLE's COLUMNS, index hints, partition selection.
 */
export const NOT_CALLS: ReadonlySet<string> = new Set(
  `IN EXISTS ANY SOME ALL NOT AND OR XOR ON WHERE HAVING SELECT FROM JOIN LATERAL BY AS THEN WHEN ELSE CASE
   DISTINCT DISTINCTROW UNIQUE UNION INTERSECT EXCEPT MINUS BETWEEN LIKE REGEXP RLIKE IS DIV ESCAPE OVER WINDOW
   PARTITION INDEX KEY USING VALUES COLUMNS MATCH AGAINST DECIMAL NUMERIC DEC FIXED FLOAT DOUBLE REAL VARCHAR
   NVARCHAR NCHAR VARBINARY INT INTEGER BIGINT SMALLINT TINYINT MEDIUMINT BIT DATETIME TIME TIMESTAMP CHAR
   CHARACTER BINARY YEAR LIMIT OFFSET GROUP ORDER ROWS RANGE PRECEDING FOLLOWING WITHIN FOR RECURSIVE WITH
   ROW TABLE NESTED PATH ORDINALITY EMPTY ERROR DEFAULT UNSIGNED SIGNED ZEROFILL COLLATE ASC DESC NULL TRUE
   FALSE UNKNOWN EXPLAIN DESCRIBE USE FORCE IGNORE HIGH_PRIORITY STRAIGHT_JOIN SQL_SMALL_RESULT
   SQL_BIG_RESULT SQL_BUFFER_RESULT SQL_NO_CACHE SQL_CACHE SQL_CALC_FOUND_ROWS CROSS INNER OUTER NATURAL
   LEFT RIGHT LEADING TRAILING BOTH OF SYSTEM_TIME EXAMINED RETURNING JSON ARRAY`.split(/\s+/),
);

// ─── At run time ────────────────────────────────────────────────────────────────────────────────────

/** How a call is written: bare and adjacent to `(`, bare with whitespace or a comment before `(`, back-quoted. */
export type CallForm = 'a' | 's' | 'q';

export const FUNCTION_LISTS: Readonly<Record<MysqlFlavor, FunctionList>> = { mariadb: MARIADB_FUNCTIONS, mysql: MYSQL8_FUNCTIONS };

export interface FunctionPolicy {
  /** The server's flavor; undefined before the first connection (then both lists must allow the call). */
  flavor?: MysqlFlavor | undefined;
  /** The source policy's `allowUserFunctions`. */
  allowUserFunctions?: boolean | undefined;
}

const FORM_WORDS: Record<CallForm, string> = {
  a: 'written bare right before (',
  s: 'with a space or a comment before (',
  q: 'back-quoted',
};

function deniedFunction(m: DenyMatch): ToolError {
  return new ToolError('NOT_READ_ONLY', `Refused: the function ${m.name}() is not allowed because ${m.reason}.`);
}

function userFunction(name: string, qualified: boolean): ToolError {
  return new ToolError(
    'NOT_READ_ONLY',
    qualified
      ? `Refused: ${name}() is a stored function (schema-qualified), and this source does not allow user-defined functions (its policy's allowUserFunctions is off); use built-in functions.`
      : `Refused: ${name}() is not a built-in function Sequel knows to be read-only, so the server would call a stored or loadable (UDF) function, which can write or run commands; this source does not allow user-defined functions (its policy's allowUserFunctions is off). Use built-in functions.`,
  );
}

/**
 * Throws a `ToolError` unless the call may run. `name` is the function's name as written (unquoted),
 * `qualified` whether a schema precedes it (`db.f(…)` is always a stored function).
 */
export function checkFunctionCall(name: string, form: CallForm, args: number, qualified: boolean, policy: FunctionPolicy): void {
  const lower = name.toLowerCase();
  const denied = MYSQL_DENIED_FUNCTIONS.match(lower);
  if (denied) throw deniedFunction(denied);
  const allowUser = policy.allowUserFunctions === true;
  if (qualified) {
    if (allowUser) return;
    throw userFunction(lower, true);
  }
  const lists = policy.flavor ? [FUNCTION_LISTS[policy.flavor]] : [MARIADB_FUNCTIONS, MYSQL8_FUNCTIONS];
  let builtinElsewhere = false;
  let allowedEverywhere = true;
  for (const list of lists) {
    const reason = list.refused[lower];
    if (reason !== undefined) throw new ToolError('NOT_READ_ONLY', `Refused: the function ${lower}() is not allowed because ${reason}.`);
    const forms = list.allowed[lower];
    const ok = forms !== undefined && resolvesToBuiltin(forms, form, args);
    if (!ok) allowedEverywhere = false;
    if (forms !== undefined && !ok) builtinElsewhere = true;
  }
  if (allowedEverywhere || allowUser) return;
  if (builtinElsewhere) {
    throw new ToolError(
      'NOT_READ_ONLY',
      `Refused: ${lower}() ${FORM_WORDS[form]} with ${args} argument${args === 1 ? '' : 's'} does not name the built-in function (the server would look for a stored function of that name); write it bare with "(" right after the name, e.g. ${lower}(…), with the arguments the built-in takes.`,
    );
  }
  throw userFunction(lower, false);
}

/** Whether the allow-list entry `forms` ('a s q', 'a:2 q:2') says the call resolves to the built-in. */
function resolvesToBuiltin(forms: string, form: CallForm, args: number): boolean {
  for (const f of forms.split(' ')) {
    if (f[0] !== form) continue;
    if (f.length === 1) return true;
    return f
      .slice(2)
      .split(',')
      .some((n) => Number(n) === args);
  }
  return false;
}

/** Whether `name` is a read-only built-in on the lists in force, in some form (for messages and tests). */
export function isReadOnlyBuiltin(name: string, flavor?: MysqlFlavor): boolean {
  const lists = flavor ? [FUNCTION_LISTS[flavor]] : [MARIADB_FUNCTIONS, MYSQL8_FUNCTIONS];
  return lists.every((l) => l.allowed[name.toLowerCase()] !== undefined);
}
