/**
 * The MySQL/MariaDB read-only statement guard (layer 2 of BRIEF §3).
 *
 * Two passes over the text, and the first alone decides whether a statement may run:
 *
 * 1. **MySQL's own lexical rules** (this file's `lexMysql`): `#` and `-- ` comments (the dashes must be
 *    followed by whitespace, as MySQL requires: `1--1` is arithmetic), non-nesting block comments,
 *    '…' and "…" strings with backslash escapes and doubled quotes, `…` identifiers, @user and @@system
 *    variables, `?` placeholders. The connector pins the session's `sql_mode` without `ANSI_QUOTES` and
 *    `NO_BACKSLASH_ESCAPES` (and the connection character set to utf8mb4), so the server splits the text
 *    exactly as this lexer does. Refused at this level:
 *      - executable comments `/*! … *\/`, `/*!50000 … *\/` and MariaDB's `/*M! … *\/`: the server runs
 *        their content, while most parsers skip them as comments; optimizer hints `/*+ … *\/`, since
 *        `SET_VAR` and `MAX_EXECUTION_TIME` hints override the session's settings for the statement;
 *      - more than one statement (text after the first `;` other than comments);
 *      - a first keyword that does not start a read (SELECT, WITH, TABLE, VALUES, `(`, SHOW, DESCRIBE,
 *        DESC, EXPLAIN); an unknown first word is a syntax error;
 *      - anywhere: `INTO` (OUTFILE, DUMPFILE, @variables), locking reads (`FOR UPDATE`, `FOR SHARE`,
 *        `LOCK IN SHARE MODE`), `EXPLAIN … FOR CONNECTION`, `:=` assignments, `PROCEDURE ANALYSE`,
 *        MariaDB's `NEXT VALUE FOR` / `PREVIOUS VALUE FOR`, and the reserved words of writes and DDL
 *        (DELETE, UPDATE, INSERT/REPLACE without `(`, CREATE, DROP, ALTER, GRANT, REVOKE, RENAME, LOAD,
 *        CALL, KILL), which catches MySQL 8's `WITH … DELETE`;
 *      - every function call (a name, bare or back-quoted, before `(`) that is not a known read-only
 *        built-in: UDFs (`sys_exec`, Spider's `spider_direct_sql`) and stored functions are called with
 *        the same syntax as built-ins and can do anything, so only the allow-list passes, and the
 *        known-dangerous built-ins (`SLEEP`, `BENCHMARK`, `GET_LOCK`…, `LOAD_FILE`, `NEXTVAL`…,
 *        `MASTER_POS_WAIT`…) are refused with their reason;
 *      - SHOW other than the catalogue and settings forms (PROCESSLIST, GRANTS, ENGINE … STATUS,
 *        BINLOG EVENTS… expose other sessions, credentials or server internals);
 *      - EXPLAIN ANALYZE (it executes) and EXPLAIN of anything but a query; MariaDB's `ANALYZE SELECT`
 *        (it executes too) starts with ANALYZE and is refused as a statement.
 *
 * 2. **A MySQL grammar** (datafusion-sqlparser-rs, `MySqlDialect`, compiled to WASM): the query (or the
 *    query inside EXPLAIN) is parsed and its tree walked again for writes (INSERT/UPDATE/DELETE nodes at any
 *    depth), `SELECT … INTO`, locking clauses, assignments and non-allowed functions; the tree gives the
 *    relations the statement reads (CTE names resolved by scope). MySQL's grammar has no complete
 *    JavaScript implementation, so when this parser cannot read a statement that passed the first pass,
 *    the statement is still allowed (no false refusal for, e.g., `5 MOD 2` or `SOUNDS LIKE`), with
 *    `relations: null`; the server's own parser then decides whether it is valid SQL.
 *
 * The read-only transaction (layer 1) and the one-statement prepared protocol (layer 3) still hold for
 * anything both passes miss, e.g. a view that calls a stored function that writes.
 */
import { init as initParser, parse as parseSql } from '@guanmingchiu/sqlparser-ts';
import { ToolError } from '../../errors.js';
import { inScope, isObj, withNames, type Json, type Scope } from '../guard/tree.js';
import { DenyList, type DenyMatch } from '../guard/deny.js';
import type { QualifiedName, StatementCheck } from '../guard/types.js';

export type MysqlFlavor = 'mysql' | 'mariadb';

/** What the one statement is: a query (SELECT, WITH, TABLE, VALUES), SHOW, DESCRIBE of a table, or EXPLAIN of a query. */
export type MysqlStatementKind = 'select' | 'show' | 'describe' | 'explain';

export interface MysqlStatementCheck extends StatementCheck {
  kind: MysqlStatementKind;
  /** The number of `?` placeholders. */
  paramCount: number;
  /** Where the query starts in the text: 0 for a query, after the EXPLAIN prefix for EXPLAIN of a query. */
  queryOffset: number;
}

// ─── Functions ──────────────────────────────────────────────────────────────────────────────────────
//
// MySQL calls built-ins, loadable functions (UDFs, e.g. `sys_exec` from lib_mysqludf_sys, Spider's
// `spider_direct_sql`) and stored functions with the same syntax, and a UDF or a stored function can do
// anything (run a shell command, write through a MODIFIES SQL DATA body, reach another server). So only the
// built-ins below pass, and every other name is refused, the known-dangerous ones with their reason.
// Names are lower-case; functions with their own syntax (CAST, CONVERT, EXTRACT, TRIM, POSITION…) are
// listed too, in case a form of them reaches the check as a plain call.

/** Refused wherever they appear, with the reason in the message. Checked before the allow-list. */
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
    ],
  },
  {
    reason: 'with an argument it sets session state',
    names: ['last_insert_id'],
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

/** Built-ins allowed in a read. */
export const MYSQL_ALLOWED_FUNCTIONS: ReadonlySet<string> = new Set(
  `
  abs acos asin atan atan2 ceil ceiling conv cos cot crc32 crc32c degrees div exp floor ln log log10 log2 mod
  pi pow power radians rand round sign sin sqrt tan truncate format_bytes format_pico_time greatest least
  interval

  ascii bin bit_length char char_length character_length charset coercibility collation concat concat_ws elt
  export_set field find_in_set format from_base64 hex insert instr lcase left length locate lower lpad ltrim
  make_set mid oct octet_length ord position quote regexp_instr regexp_like regexp_replace regexp_substr
  repeat replace reverse right rpad rtrim soundex space strcmp substr substring substring_index to_base64
  trim ucase unhex upper weight_string natural_sort_key sformat to_char chr levenshtein json_unquote
  random_bytes

  adddate addtime convert_tz curdate current_date current_time current_timestamp curtime date date_add
  date_format date_sub datediff day dayname dayofmonth dayofweek dayofyear extract from_days from_unixtime
  get_format hour last_day localtime localtimestamp makedate maketime microsecond minute month monthname now
  period_add period_diff quarter sec_to_time second str_to_date subdate subtime sysdate time time_format
  time_to_sec timediff timestamp timestampadd timestampdiff to_days to_seconds unix_timestamp utc_date
  utc_time utc_timestamp week weekday weekofyear year yearweek add_months months_between trunc

  avg bit_and bit_or bit_xor count group_concat json_arrayagg json_objectagg max min std stddev stddev_pop
  stddev_samp sum var_pop var_samp variance median percentile_cont percentile_disc any_value

  cume_dist dense_rank first_value lag last_value lead nth_value ntile percent_rank rank row_number

  case coalesce if ifnull isnull nullif nvl nvl2 decode decode_histogram

  cast convert binary

  aes_decrypt aes_encrypt compress md5 sha sha1 sha2 statement_digest statement_digest_text uncompress
  uncompressed_length validate_password_strength des_decrypt des_encrypt encode decrypt kdf
  old_password password crypt


  bin_to_uuid uuid_to_bin is_uuid uuid uuid_short sys_guid uuid_v4 uuid_v7 inet_aton inet_ntoa inet6_aton
  inet6_ntoa is_ipv4 is_ipv4_compat is_ipv4_mapped is_ipv6 name_const default grouping row

  connection_id current_role current_user database found_rows icu_version roles_graphml row_count schema
  session_user system_user user version

  json_array json_array_append json_array_insert json_array_intersect json_contains json_contains_path
  json_depth json_detailed json_equals json_exists json_extract json_insert json_keys json_length
  json_loose json_merge json_merge_patch json_merge_preserve json_normalize json_object json_object_filter_keys
  json_object_to_array json_overlaps json_pretty json_query json_quote json_remove json_replace json_schema_valid
  json_schema_validation_report json_search json_set json_storage_free json_storage_size json_type
  json_valid json_value json_compact json_table member

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


// ─── Lexer ──────────────────────────────────────────────────────────────────────────────────────────

export type MysqlTokenKind = 'word' | 'qident' | 'string' | 'var' | 'param' | 'op' | 'semi';

export interface MysqlToken {
  kind: MysqlTokenKind;
  /** Words: upper-cased; back-quoted identifiers and strings: their unquoted value; others: the text. */
  value: string;
  start: number;
  end: number;
}

const WS = new Set([' ', '\t', '\n', '\r', '\f', '\v']);

function isWordChar(code: number): boolean {
  return (
    (code >= 48 && code <= 57) || // 0-9
    (code >= 65 && code <= 90) || // A-Z
    (code >= 97 && code <= 122) || // a-z
    code === 95 || // _
    code === 36 || // $
    code >= 0x80 // MySQL allows U+0080 and above in unquoted identifiers
  );
}

const PUNCT = new Set(['(', ')', ',', '.', '+', '-', '*', '/', '%', '=', '<', '>', '!', '~', '^', '&', '|', '{', '}', ':']);

function syntax(message: string, at?: number): ToolError {
  return new ToolError('SYNTAX_ERROR', `Syntax error${at === undefined ? '' : ` at character ${at + 1}`}: ${message}.`);
}

/** Reads a quoted span starting at `i` (the opening quote); returns its unquoted value and the index after it. */
function readQuoted(sql: string, i: number, backslashEscapes: boolean): [string, number] {
  const q = sql[i]!;
  let j = i + 1;
  let value = '';
  for (;;) {
    if (j >= sql.length) {
      throw syntax(q === '`' ? 'unterminated `quoted identifier`' : `unterminated ${q}string${q}`, i);
    }
    const c = sql[j]!;
    if (backslashEscapes && c === '\\') {
      value += sql[j + 1] ?? '';
      j += 2;
      continue;
    }
    if (c === q) {
      if (sql[j + 1] === q) {
        value += q;
        j += 2;
        continue;
      }
      return [value, j + 1];
    }
    value += c;
    j++;
  }
}

/**
 * Splits a statement into tokens by MySQL's rules (sql_mode without ANSI_QUOTES and NO_BACKSLASH_ESCAPES,
 * which the connector pins). Comments are dropped; executable comments and optimizer hints are refused.
 * Where the server's rule is uncertain this lexer errs towards seeing more code, never less: `#` comments
 * end at `\r` as well as `\n`, and control characters outside strings and comments are refused.
 */
export function lexMysql(sql: string): MysqlToken[] {
  const out: MysqlToken[] = [];
  const n = sql.length;
  let i = 0;
  while (i < n) {
    const c = sql[i]!;
    const code = c.charCodeAt(0);
    if (WS.has(c)) {
      i++;
    } else if (c === '#' || (c === '-' && sql[i + 1] === '-' && (i + 2 >= n || WS.has(sql[i + 2]!)))) {
      while (i < n && sql[i] !== '\n' && sql[i] !== '\r') i++;
    } else if (c === '/' && sql[i + 1] === '*') {
      const third = sql[i + 2];
      if (third === '!' || ((third === 'M' || third === 'm') && sql[i + 3] === '!')) {
        throw new ToolError(
          'NOT_READ_ONLY',
          `Refused: executable comments (/*! … */, /*M! … */) are run by the server as SQL and are not allowed; remove the comment at character ${i + 1}.`,
        );
      }
      if (third === '+') {
        throw new ToolError(
          'NOT_READ_ONLY',
          `Refused: optimizer hints (/*+ … */) can override the session's read-only settings and timeout and are not allowed; remove the hint at character ${i + 1}.`,
        );
      }
      const end = sql.indexOf('*/', i + 2);
      if (end === -1) throw syntax('unterminated /* comment', i);
      i = end + 2;
    } else if (c === "'" || c === '"') {
      const [value, next] = readQuoted(sql, i, true);
      out.push({ kind: 'string', value, start: i, end: next });
      i = next;
    } else if (c === '`') {
      const [value, next] = readQuoted(sql, i, false);
      out.push({ kind: 'qident', value, start: i, end: next });
      i = next;
    } else if (c === '@') {
      // @user_var, @'quoted', @@system_var, @@global.system_var: one token, so that a variable's name is
      // never mistaken for a keyword or a function.
      let j = i + 1;
      if (sql[j] === '@') j++;
      const q = sql[j];
      if (q === "'" || q === '"' || q === '`') {
        j = readQuoted(sql, j, q !== '`')[1];
      } else {
        while (j < n && (isWordChar(sql.charCodeAt(j)) || sql[j] === '.')) j++;
      }
      out.push({ kind: 'var', value: sql.slice(i, j), start: i, end: j });
      i = j;
    } else if (c === '?') {
      out.push({ kind: 'param', value: '?', start: i, end: i + 1 });
      i++;
    } else if (c === ';') {
      out.push({ kind: 'semi', value: ';', start: i, end: i + 1 });
      i++;
    } else if (c === ':' && sql[i + 1] === '=') {
      out.push({ kind: 'op', value: ':=', start: i, end: i + 2 });
      i += 2;
    } else if (isWordChar(code)) {
      let j = i + 1;
      while (j < n && isWordChar(sql.charCodeAt(j))) j++;
      out.push({ kind: 'word', value: sql.slice(i, j).toUpperCase(), start: i, end: j });
      i = j;
    } else if (PUNCT.has(c)) {
      out.push({ kind: 'op', value: c, start: i, end: i + 1 });
      i++;
    } else if (code === 0) {
      throw syntax('the statement contains a NUL character', i);
    } else if (code < 0x20 || code === 0x7f) {
      throw syntax(`control character U+${code.toString(16).padStart(4, '0').toUpperCase()} outside a string`, i);
    } else {
      throw syntax(`unexpected character ${JSON.stringify(c)}`, i);
    }
  }
  return out;
}

// ─── Word lists ─────────────────────────────────────────────────────────────────────────────────────

/** First words of statements MySQL or MariaDB know that are not reads: refused as NOT_READ_ONLY. */
const NON_READ_STATEMENTS = new Set(
  `INSERT UPDATE DELETE REPLACE CREATE DROP ALTER TRUNCATE RENAME GRANT REVOKE SET LOAD CALL DO HANDLER LOCK
   UNLOCK START BEGIN COMMIT ROLLBACK SAVEPOINT RELEASE XA PREPARE EXECUTE DEALLOCATE FLUSH KILL RESET PURGE
   CHANGE INSTALL UNINSTALL ANALYZE OPTIMIZE REPAIR CHECK CHECKSUM CACHE SHUTDOWN USE HELP BINLOG IMPORT
   CLONE RESTART SIGNAL RESIGNAL GET DECLARE BACKUP STOP IF WHILE REPEAT LOOP LEAVE ITERATE RETURN OPEN
   CLOSE FETCH CASE ELSE END LABEL GOTO`.split(/\s+/),
);

/**
 * Reserved words of writes and DDL. MySQL and MariaDB reserve them, so outside quotes they cannot be
 * identifiers (except right after a `.` qualifier); seeing one anywhere means the text writes.
 * INSERT and REPLACE are also string functions, so they count only when not followed by `(`.
 */
const WRITE_WORDS = new Set(['DELETE', 'UPDATE', 'INSERT', 'REPLACE', 'CREATE', 'DROP', 'ALTER', 'GRANT', 'REVOKE', 'RENAME', 'LOAD', 'CALL', 'KILL']);

/**
 * Words that may stand right before `(` without being a function call: keywords of the SELECT grammar,
 * type names (CAST(x AS DECIMAL(10,2))), JSON_TABLE's COLUMNS, index hints, partition selection.
 */
const NOT_CALLS = new Set(
  `IN EXISTS ANY SOME ALL NOT AND OR XOR ON WHERE HAVING SELECT FROM JOIN LATERAL BY AS THEN WHEN ELSE CASE
   DISTINCT DISTINCTROW UNION INTERSECT EXCEPT MINUS BETWEEN LIKE REGEXP RLIKE IS DIV ESCAPE OVER WINDOW
   PARTITION INDEX KEY USING VALUES COLUMNS MATCH AGAINST DECIMAL NUMERIC DEC FIXED FLOAT DOUBLE REAL VARCHAR
   NVARCHAR NCHAR VARBINARY INT INTEGER BIGINT SMALLINT TINYINT MEDIUMINT BIT DATETIME TIME TIMESTAMP CHAR
   CHARACTER BINARY YEAR LIMIT OFFSET GROUP ORDER ROWS RANGE PRECEDING FOLLOWING WITHIN FOR RECURSIVE WITH
   ROW TABLE NESTED PATH ORDINALITY EMPTY ERROR DEFAULT UNSIGNED SIGNED ZEROFILL COLLATE ASC DESC NULL TRUE
   FALSE UNKNOWN EXPLAIN DESCRIBE USE FORCE IGNORE HIGH_PRIORITY STRAIGHT_JOIN SQL_SMALL_RESULT
   SQL_BIG_RESULT SQL_BUFFER_RESULT SQL_NO_CACHE SQL_CACHE SQL_CALC_FOUND_ROWS CROSS INNER OUTER NATURAL
   LEFT RIGHT LEADING TRAILING BOTH OF SYSTEM_TIME EXAMINED RETURNING JSON ARRAY`.split(/\s+/),
);

/** The last tables a guard must never read: password hashes, replication and federated-server credentials. */
const PROTECTED_TABLES = new Set(['user', 'global_priv', 'servers', 'slave_master_info', 'password_history', 'db', 'tables_priv', 'columns_priv', 'procs_priv', 'proxies_priv', 'roles_mapping', 'default_roles', 'role_edges']);

/** SHOW forms allowed: catalogue, settings and diagnostics of this session. */
type ShowRelations = 'none' | 'table' | 'unknown';
const SHOW_FORMS: ReadonlyArray<[string[], ShowRelations]> = [
  [['TABLES'], 'unknown'],
  [['COLUMNS'], 'table'],
  [['FIELDS'], 'table'],
  [['INDEX'], 'table'],
  [['INDEXES'], 'table'],
  [['KEYS'], 'table'],
  [['CREATE', 'TABLE'], 'table'],
  [['CREATE', 'VIEW'], 'table'],
  [['CREATE', 'DATABASE'], 'unknown'],
  [['CREATE', 'SCHEMA'], 'unknown'],
  [['TABLE', 'STATUS'], 'unknown'],
  [['DATABASES'], 'unknown'],
  [['SCHEMAS'], 'unknown'],
  [['TRIGGERS'], 'unknown'],
  [['VARIABLES'], 'none'],
  [['STATUS'], 'none'],
  [['WARNINGS'], 'none'],
  [['ERRORS'], 'none'],
  [['COUNT'], 'none'],
  [['CHARACTER', 'SET'], 'none'],
  [['CHARSET'], 'none'],
  [['COLLATION'], 'none'],
  [['ENGINES'], 'none'],
];
const SHOW_MODIFIERS = new Set(['FULL', 'EXTENDED', 'GLOBAL', 'SESSION', 'LOCAL', 'STORAGE']);

const ALLOWED_HELP = 'only one read is allowed: SELECT, WITH … SELECT, TABLE, VALUES, SHOW (catalogue forms), DESCRIBE, or EXPLAIN of a query';

function notReadOnly(what: string): ToolError {
  return new ToolError('NOT_READ_ONLY', `Refused: ${what}; ${ALLOWED_HELP}.`);
}

function deniedFunction(m: DenyMatch): ToolError {
  return new ToolError('NOT_READ_ONLY', `Refused: the function ${m.name}() is not allowed because ${m.reason}.`);
}

function unknownFunction(name: string, qualified: boolean): ToolError {
  return new ToolError(
    'NOT_READ_ONLY',
    qualified
      ? `Refused: ${name}() is a stored function (schema-qualified), and Sequel cannot tell whether it only reads; use built-in functions.`
      : `Refused: ${name}() is not a built-in function Sequel knows to be read-only (stored functions and loadable UDFs can write or run commands); use built-in functions.`,
  );
}

function checkFunctionName(name: string, qualified: boolean): void {
  const lower = name.toLowerCase();
  const denied = MYSQL_DENIED_FUNCTIONS.match(lower);
  if (denied) throw deniedFunction(denied);
  if (qualified || !MYSQL_ALLOWED_FUNCTIONS.has(lower)) throw unknownFunction(lower, qualified);
}

// ─── Pass 1: tokens ─────────────────────────────────────────────────────────────────────────────────

type NameToken = MysqlToken & { kind: 'word' | 'qident' };
const isName = (t: MysqlToken | undefined): t is NameToken => t !== undefined && (t.kind === 'word' || t.kind === 'qident');
const isWord = (t: MysqlToken | undefined, ...words: string[]): boolean => t !== undefined && t.kind === 'word' && words.includes(t.value);
const isOp = (t: MysqlToken | undefined, op: string): boolean => t !== undefined && t.kind === 'op' && t.value === op;

/** The index of the `)` that closes the `(` at `open`, or -1. */
function closingParen(tokens: readonly MysqlToken[], open: number): number {
  let depth = 0;
  for (let k = open; k < tokens.length; k++) {
    if (isOp(tokens[k], '(')) depth++;
    else if (isOp(tokens[k], ')') && --depth === 0) return k;
  }
  return -1;
}

/** Checks that hold for every statement kind, over the whole token list. */
function scanTokens(tokens: readonly MysqlToken[]): void {
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k]!;
    const prev = tokens[k - 1];
    const next = tokens[k + 1];
    if (t.kind === 'op' && t.value === ':=') throw notReadOnly('assigning a user variable (:=) changes session state');
    if (t.kind === 'word') {
      // After a `.` a reserved word is an identifier (t.update); after SHOW, CREATE is SHOW CREATE.
      const afterDot = isOp(prev, '.') || isWord(prev, 'SHOW');
      switch (t.value) {
        case 'INTO':
          throw notReadOnly('SELECT … INTO (OUTFILE, DUMPFILE or @variables) writes a file or session state');
        case 'LOCK':
          throw notReadOnly('locking reads (LOCK IN SHARE MODE, FOR UPDATE, FOR SHARE) take row locks');
        case 'PROCEDURE':
          throw notReadOnly('SELECT … PROCEDURE runs a procedure');
        case 'FOR':
          if (isWord(next, 'UPDATE', 'SHARE')) throw notReadOnly(`FOR ${next!.value} takes row locks`);
          if (isWord(next, 'CONNECTION')) throw notReadOnly("EXPLAIN FOR CONNECTION reads another session's statement");
          break;
        case 'NEXT':
        case 'PREVIOUS':
          if (isWord(next, 'VALUE') && isWord(tokens[k + 2], 'FOR')) throw notReadOnly(`${t.value} VALUE FOR uses a sequence`);
          break;
        default:
          if (!afterDot && WRITE_WORDS.has(t.value) && !((t.value === 'INSERT' || t.value === 'REPLACE') && isOp(next, '('))) {
            throw notReadOnly(`${t.value} is not a read`);
          }
      }
    }
    // A name right before `(` is a function call unless it is a keyword, an alias (`AS dt (a, b)`,
    // `) dt (a, b)`), or a CTE with a column list (`WITH r (n) AS (`, `, r (n) AS (`).
    if (isName(t) && isOp(next, '(')) {
      // The dangerous names are refused wherever they stand, whatever the exceptions below would say.
      const denied = MYSQL_DENIED_FUNCTIONS.match(t.value.toLowerCase());
      if (denied) throw deniedFunction(denied);
      if (t.kind === 'word' && NOT_CALLS.has(t.value)) continue;
      if (isWord(prev, 'AS', 'WITH', 'RECURSIVE') || isOp(prev, ')')) continue;
      const close = closingParen(tokens, k + 1);
      if (close !== -1 && isWord(tokens[close + 1], 'AS') && isOp(tokens[close + 2], '(')) continue;
      checkFunctionName(t.value, isOp(prev, '.'));
    }
  }
}

function qualifiedName(tokens: readonly MysqlToken[], k: number): [QualifiedName, number] | undefined {
  const a = tokens[k];
  if (!isName(a)) return undefined;
  const b = tokens[k + 2];
  if (isOp(tokens[k + 1], '.') && isName(b)) return [{ schema: tokenText(a), name: tokenText(b) }, k + 3];
  return [{ schema: null, name: tokenText(a) }, k + 1];
}

/** The identifier as written: words keep their case (relation names), quoted ones their unquoted value. */
let currentSql = '';
function tokenText(t: MysqlToken): string {
  return t.kind === 'word' ? currentSql.slice(t.start, t.end) : t.value;
}

function checkShow(tokens: readonly MysqlToken[]): QualifiedName[] | null {
  let k = 1;
  while (isWord(tokens[k], ...SHOW_MODIFIERS)) k++;
  const form = SHOW_FORMS.find(([words]) => words.every((w, i) => isWord(tokens[k + i], w)));
  if (!form) {
    const what = tokens[k] ? tokenText(tokens[k]!).toUpperCase() : '';
    throw notReadOnly(`SHOW ${what} is not allowed (it exposes other sessions, credentials or server internals)`);
  }
  const [words, relations] = form;
  k += words.length;
  if (relations === 'none') return [];
  if (relations === 'unknown') return null;
  // COLUMNS/INDEX: FROM|IN table [FROM|IN db]; CREATE TABLE|VIEW name.
  if (words[0] !== 'CREATE') {
    if (!isWord(tokens[k], 'FROM', 'IN')) throw syntax(`SHOW ${words.join(' ')} needs FROM <table>`, tokens[k]?.start);
    k++;
  }
  const q = qualifiedName(tokens, k);
  if (!q) throw syntax(`SHOW ${words.join(' ')} needs a table name`, tokens[k]?.start);
  let [rel, after] = q;
  if (words[0] !== 'CREATE' && isWord(tokens[after], 'FROM', 'IN')) {
    const db = tokens[after + 1];
    if (!isName(db)) throw syntax('expected a database name', tokens[after + 1]?.start);
    rel = { schema: tokenText(db), name: rel.name };
    after += 2;
  }
  return [rel];
}

// ─── Pass 2: the grammar ────────────────────────────────────────────────────────────────────────────

let loaded: Promise<void> | undefined;
let ready = false;

/** Loads the parser (WASM) once per process. */
export function loadMysqlGuard(): Promise<void> {
  loaded ??= initParser().then(() => {
    ready = true;
  });
  return loaded;
}


/** `[{Identifier: {value}}]` (ObjectName) → the parts' values. */
function nameParts(v: Json | undefined): string[] {
  if (!Array.isArray(v)) return [];
  const out: string[] = [];
  for (const p of v) {
    if (isObj(p) && isObj(p.Identifier) && typeof p.Identifier.value === 'string') out.push(p.Identifier.value);
    else if (isObj(p) && typeof p.value === 'string') out.push(p.value);
  }
  return out;
}

const WRITE_NODES = new Set(['Insert', 'Update', 'Delete', 'Merge', 'Replace']);

/** Walks the parser's tree (iteratively), refusing what is not a read and collecting relations. */
function walkTree(root: Json, relations: Map<string, QualifiedName>): void {
  const stack: Array<[Json, Scope | null]> = [[root, null]];
  while (stack.length) {
    const [node, scope] = stack.pop()!;
    if (Array.isArray(node)) {
      for (let i = node.length - 1; i >= 0; i--) {
        const child = node[i];
        if (typeof child === 'object' && child !== null) stack.push([child, scope]);
      }
      continue;
    }
    if (!isObj(node)) continue;

    let bodyScope = scope;
    const later: Array<[Json, Scope | null]> = [];
    const wc = node.with;
    if (isObj(wc) && Array.isArray(wc.cte_tables)) {
      const ctes = wc.cte_tables;
      // MySQL compares CTE names case-insensitively: fold them (and the names looked up) to lower case.
      const names = ctes.map((c) => (isObj(c) && isObj(c.alias) && isObj(c.alias.name) ? String(c.alias.name.value).toLowerCase() : ''));
      bodyScope = withNames(scope, names);
      // A WITH RECURSIVE item sees every item; a plain one sees only the items before it.
      ctes.forEach((cte, i) => later.push([cte, wc.recursive === true ? bodyScope : withNames(scope, names.slice(0, i))]));
    }

    for (const [key, value] of Object.entries(node)) {
      if (key === 'with' && isObj(wc)) continue;
      if (WRITE_NODES.has(key) && isObj(value)) throw notReadOnly(`${key.toUpperCase()} inside the statement is not a read`);
      if (key === 'into' && value != null) throw notReadOnly('SELECT … INTO writes a file or session state');
      if ((key === 'locks' && Array.isArray(value) && value.length > 0) || (key === 'for_clause' && value != null && value !== 'None')) {
        throw notReadOnly('locking reads take row locks');
      }
      if (key === 'BinaryOp' && isObj(value) && value.op === 'Assignment') throw notReadOnly('assigning a user variable (:=) changes session state');
      if (key === 'Function' && isObj(value)) {
        const parts = nameParts(value.name);
        const last = parts[parts.length - 1];
        if (last !== undefined) checkFunctionName(last, parts.length > 1);
      }
      if (key === 'Table' && isObj(value) && Array.isArray(value.name)) {
        const parts = nameParts(value.name);
        if (value.args != null) {
          throw notReadOnly(`${parts.join('.')}(…) in FROM calls a table function`);
        }
        const name = parts[parts.length - 1];
        const schema = parts.length > 1 ? parts[parts.length - 2]! : null;
        if (name !== undefined) {
          if (schema !== null && schema.toLowerCase() === 'mysql' && PROTECTED_TABLES.has(name.toLowerCase())) {
            throw new ToolError('PERMISSION_DENIED', `Refused: mysql.${name} holds credentials and privileges and is never readable through Sequel.`);
          }
          // DUAL is MySQL's keyword for "no table", not a relation.
          const dual = schema === null && name.toLowerCase() === 'dual';
          if (!dual && (schema !== null || !inScope(bodyScope, name.toLowerCase()))) relations.set(`${schema ?? ''}\u0000${name}`, { schema, name });
        }
      }
      if (typeof value === 'object' && value !== null) later.push([value, bodyScope]);
    }
    for (let i = later.length - 1; i >= 0; i--) stack.push(later[i]!);
  }
}

/**
 * The text the parser reads: the query from `from`, with MySQL forms this parser lacks rewritten into
 * equivalents it knows (`GROUP BY … WITH ROLLUP` without the modifier, `TABLE t` as `SELECT * FROM t`).
 * Only the guard's copy changes; the server always receives the statement as written.
 */
function parserText(sql: string, tokens: readonly MysqlToken[], from: number, to: number): string {
  let out = '';
  let pos = tokens[from]?.start ?? sql.length;
  const end = to < tokens.length ? tokens[to]!.start : sql.length;
  for (let k = from; k < to; k++) {
    const t = tokens[k]!;
    const prev = tokens[k - 1];
    if (isWord(t, 'WITH') && isWord(tokens[k + 1], 'ROLLUP')) {
      out += sql.slice(pos, t.start);
      pos = tokens[k + 1]!.end;
      k++;
    } else if (isWord(t, 'TABLE') && (k === from || isOp(prev, '(') || isWord(prev, 'UNION', 'EXCEPT', 'INTERSECT', 'ALL', 'DISTINCT'))) {
      out += sql.slice(pos, t.start) + 'SELECT * FROM';
      pos = t.end;
    }
  }
  return out + sql.slice(pos, end);
}

function parseQuery(text: string): Json | undefined {
  try {
    const stmts = parseSql(text, 'mysql') as unknown as Json[];
    return stmts.length === 1 ? stmts[0] : undefined;
  } catch {
    return undefined;
  }
}

// ─── The check ──────────────────────────────────────────────────────────────────────────────────────

const QUERY_STARTS = new Set(['SELECT', 'WITH', 'TABLE', 'VALUES']);
const startsQuery = (t: MysqlToken | undefined) => (t?.kind === 'word' && QUERY_STARTS.has(t.value)) || isOp(t, '(');

/**
 * Checks one statement; the parser must be loaded (`loadMysqlGuard`). Throws a `ToolError`
 * (`SYNTAX_ERROR` or `NOT_READ_ONLY`, `PERMISSION_DENIED` for the credential tables); never rewrites the text.
 * `flavor` is accepted for messages and future differences; both flavors get the same checks today.
 */
export function checkMysqlStatementSync(sql: string, _flavor: MysqlFlavor = 'mysql'): MysqlStatementCheck {
  if (!ready) throw new Error('the MySQL guard is not loaded; await loadMysqlGuard() first');
  currentSql = sql;
  const all = lexMysql(sql);
  const semi = all.findIndex((t) => t.kind === 'semi');
  const tokens = semi === -1 ? all : all.slice(0, semi);
  if (semi !== -1 && all.slice(semi).some((t) => t.kind !== 'semi')) throw notReadOnly('the text holds more than one statement');
  const first = tokens[0];
  if (!first) throw syntax(all.length ? 'the statement is empty' : 'the text contains only comments, no statement');
  const paramCount = tokens.filter((t) => t.kind === 'param').length;

  if (first.kind === 'word' && !startsQuery(first) && !['SHOW', 'DESCRIBE', 'DESC', 'EXPLAIN'].includes(first.value)) {
    if (NON_READ_STATEMENTS.has(first.value)) throw notReadOnly(`${first.value} is not a read`);
    throw syntax(`unknown statement ${JSON.stringify(tokenText(first))}`, first.start);
  }
  if (!startsQuery(first) && first.kind !== 'word') throw syntax(`a statement cannot start with ${JSON.stringify(sql.slice(first.start, first.end))}`, first.start);

  scanTokens(tokens);

  if (first.value === 'SHOW') {
    return { kind: 'show', relations: checkShow(tokens), paramCount, queryOffset: 0 };
  }

  let queryStart = 0;
  let kind: MysqlStatementKind = 'select';
  if (first.value === 'DESCRIBE' || first.value === 'DESC' || first.value === 'EXPLAIN') {
    let k = 1;
    for (;;) {
      const t = tokens[k];
      if (isWord(t, 'EXTENDED', 'PARTITIONS')) k++;
      else if (isWord(t, 'FORMAT') && isOp(tokens[k + 1], '=') && (isName(tokens[k + 2]) || tokens[k + 2]?.kind === 'string')) k += 3;
      else break;
    }
    const t = tokens[k];
    if (isWord(t, 'ANALYZE', 'ANALYSE')) throw notReadOnly('EXPLAIN ANALYZE executes the statement');
    if (startsQuery(t)) {
      kind = 'explain';
      queryStart = k;
    } else if (t?.kind === 'word' && NON_READ_STATEMENTS.has(t.value)) {
      throw notReadOnly(`EXPLAIN of ${t.value} explains a statement that is not a read`);
    } else if (k === 1 && isName(t)) {
      // DESCRIBE t [column | 'pattern']: SHOW COLUMNS under another name.
      const q = qualifiedName(tokens, 1)!;
      const extra = tokens.slice(q[1]);
      const col = extra[0];
      if (extra.length > 1 || (col !== undefined && !isName(col) && col.kind !== 'string')) {
        throw syntax('DESCRIBE takes a table name and optionally a column name', col?.start);
      }
      return { kind: 'describe', relations: [q[0]], paramCount, queryOffset: 0 };
    } else {
      throw syntax(`${first.value} needs a query or a table name`, t?.start);
    }
  }

  const tree = parseQuery(parserText(sql, tokens, queryStart, tokens.length));
  let relations: QualifiedName[] | null = null;
  if (tree !== undefined) {
    const root = isObj(tree) ? tree : {};
    const [type] = Object.keys(root);
    if (type !== 'Query') throw notReadOnly(`${type ?? 'the statement'} is not a read`);
    const found = new Map<string, QualifiedName>();
    walkTree(root.Query ?? null, found);
    relations = [...found.values()];
  }
  return { kind, relations, paramCount, queryOffset: tokens[queryStart]!.start };
}

// Agents repeat statements (retries, polling dashboards): keep a small LRU of verdicts by exact text.
const CACHE_MAX = 512;
const cache = new Map<string, MysqlStatementCheck | { code: ToolError['code']; message: string }>();

const copy = (c: MysqlStatementCheck): MysqlStatementCheck => ({ ...c, relations: c.relations?.map((r) => ({ ...r })) ?? null });

/** Checks one statement, loading the parser on first use. Throws a `ToolError`; never rewrites the text. */
export async function checkMysqlStatement(sql: string, flavor: MysqlFlavor = 'mysql'): Promise<MysqlStatementCheck> {
  if (!ready) await loadMysqlGuard();
  const hit = cache.get(sql);
  if (hit) {
    cache.delete(sql);
    cache.set(sql, hit);
    if ('code' in hit) throw new ToolError(hit.code, hit.message);
    return copy(hit);
  }
  let verdict: MysqlStatementCheck | { code: ToolError['code']; message: string };
  try {
    verdict = checkMysqlStatementSync(sql, flavor);
  } catch (err) {
    if (!(err instanceof ToolError)) throw err;
    verdict = { code: err.code, message: err.message };
  }
  if (sql.length <= 10_000) {
    cache.set(sql, verdict);
    if (cache.size > CACHE_MAX) cache.delete(cache.keys().next().value!);
  }
  if ('code' in verdict) throw new ToolError(verdict.code, verdict.message);
  return copy(verdict);
}
