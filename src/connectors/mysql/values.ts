/**
 * MySQL/MariaDB result values and column types (BRIEF §3 "Results"), from mysql2's binary-protocol rows as
 * the session configures them (`supportBigNumbers` + `bigNumberStrings`, `decimalNumbers: false`,
 * `dateStrings: true`, `jsonStrings: true`):
 *   - TINYINT…INT, YEAR and DOUBLE as JSON numbers; FLOAT as the shortest decimal that reads back as the
 *     same single-precision value (the binary protocol sends float32: 1.1, not 1.100000023841858);
 *   - BIGINT and DECIMAL as exact strings;
 *   - DATE as `YYYY-MM-DD`; DATETIME as `YYYY-MM-DDTHH:MM:SS[.ffffff]` (no zone: DATETIME has none);
 *     TIMESTAMP as `YYYY-MM-DDTHH:MM:SS[.ffffff]Z`: the session's time_zone is pinned to '+00:00', so the
 *     server converts TIMESTAMP values to UTC before sending them; zero dates (`0000-00-00…`, allowed by
 *     some sql_modes) stay as the server prints them; TIME as the server's text (it may exceed 24 h);
 *   - BINARY/VARBINARY/BLOB as base64;
 *   - JSON parsed (MySQL's JSON type, and MariaDB's JSON alias, a LONGTEXT with a json_valid() check that
 *     MariaDB ≥ 10.5 marks with the extended metadata format `json`); a JSON value that does not parse
 *     (MariaDB without the check) stays a string;
 *   - BIT(n) as a number (n ≤ 53) or an exact decimal string;
 *   - ENUM and SET as their strings; GEOMETRY as mysql2's decoded form ({x, y} for a point…).
 * Column types are named as a user would write them, from the field metadata: `bigint`, `int unsigned`,
 * `decimal(12,2)`, `varchar(255)`, `datetime(6)`, `json`, `enum`…
 */
import type { FieldPacket } from 'mysql2';
import type { JsonValue } from '../types.js';
import { encodeValue } from '../values.js';

/** MySQL protocol column types (include/field_types.h). */
export const T = {
  DECIMAL: 0,
  TINY: 1,
  SHORT: 2,
  LONG: 3,
  FLOAT: 4,
  DOUBLE: 5,
  NULL: 6,
  TIMESTAMP: 7,
  LONGLONG: 8,
  INT24: 9,
  DATE: 10,
  TIME: 11,
  DATETIME: 12,
  YEAR: 13,
  NEWDATE: 14,
  VARCHAR: 15,
  BIT: 16,
  TIMESTAMP2: 17,
  DATETIME2: 18,
  TIME2: 19,
  VECTOR: 242,
  JSON: 245,
  NEWDECIMAL: 246,
  ENUM: 247,
  SET: 248,
  TINY_BLOB: 249,
  MEDIUM_BLOB: 250,
  LONG_BLOB: 251,
  BLOB: 252,
  VAR_STRING: 253,
  STRING: 254,
  GEOMETRY: 255,
} as const;

const UNSIGNED_FLAG = 32;
const ENUM_FLAG = 256;
const SET_FLAG = 2048;
const BINARY_CHARSET = 63;

export type Converter = (value: unknown) => JsonValue;

/** What the converters need from a field: mysql2's column definition. */
export type FieldInfo = Pick<FieldPacket, 'name' | 'decimals'> & {
  columnType?: number | undefined;
  type?: number | undefined;
  flags: number | string[];
  characterSet?: number | undefined;
  columnLength?: number | undefined;
  extendedTypeName?: string | undefined;
  extendedFormat?: string | undefined;
};

function flagsOf(f: FieldInfo): number {
  return typeof f.flags === 'number' ? f.flags : 0;
}

function typeOf(f: FieldInfo): number {
  return f.columnType ?? f.type ?? T.VAR_STRING;
}

/**
 * Bytes per character of the column's character set, to turn the byte lengths in the metadata into the
 * character lengths of a type name. Results arrive in the connection's character set (utf8mb4), so this
 * is 4 for nearly every text column; utf8mb3 and single-byte sets are recognised by collation id.
 */
function bytesPerChar(charset: number | undefined): number {
  if (charset === undefined || charset === BINARY_CHARSET) return 1;
  if (charset === 33 || charset === 83 || (charset >= 192 && charset <= 215) || charset === 223) return 3;
  if ([5, 8, 11, 15, 31, 47, 48, 49, 65, 94].includes(charset)) return 1;
  return 4;
}

function chars(f: FieldInfo): number {
  const len = f.columnLength ?? 0;
  const per = bytesPerChar(f.characterSet);
  return len % per === 0 ? len / per : len;
}

const fsp = (f: FieldInfo) => (f.decimals > 0 && f.decimals <= 6 ? `(${f.decimals})` : '');

/** The column's type as a user would write it. */
export function mysqlTypeName(f: FieldInfo): string {
  const t = typeOf(f);
  const flags = flagsOf(f);
  const unsigned = flags & UNSIGNED_FLAG ? ' unsigned' : '';
  const binary = f.characterSet === BINARY_CHARSET;
  if (f.extendedTypeName) return f.extendedTypeName.toLowerCase();
  if (f.extendedFormat === 'json') return 'json';
  if (flags & ENUM_FLAG || t === T.ENUM) return 'enum';
  if (flags & SET_FLAG || t === T.SET) return 'set';
  switch (t) {
    case T.DECIMAL:
    case T.NEWDECIMAL: {
      const scale = f.decimals;
      const precision = (f.columnLength ?? 0) - (scale > 0 ? 1 : 0) - (unsigned ? 0 : 1);
      return precision > 0 ? `decimal(${precision},${scale})${unsigned}` : `decimal${unsigned}`;
    }
    case T.TINY:
      return f.columnLength === 1 ? `tinyint(1)${unsigned}` : `tinyint${unsigned}`;
    case T.SHORT:
      return `smallint${unsigned}`;
    case T.INT24:
      return `mediumint${unsigned}`;
    case T.LONG:
      return `int${unsigned}`;
    case T.LONGLONG:
      return `bigint${unsigned}`;
    case T.FLOAT:
      return `float${unsigned}`;
    case T.DOUBLE:
      return `double${unsigned}`;
    case T.NULL:
      return 'null';
    case T.TIMESTAMP:
    case T.TIMESTAMP2:
      return `timestamp${fsp(f)}`;
    case T.DATE:
    case T.NEWDATE:
      return 'date';
    case T.TIME:
    case T.TIME2:
      return `time${fsp(f)}`;
    case T.DATETIME:
    case T.DATETIME2:
      return `datetime${fsp(f)}`;
    case T.YEAR:
      return 'year';
    case T.BIT:
      return `bit(${f.columnLength ?? 1})`;
    case T.JSON:
      return 'json';
    case T.VECTOR:
      return 'vector';
    case T.GEOMETRY:
      return 'geometry';
    case T.STRING:
      return binary ? `binary(${chars(f)})` : `char(${chars(f)})`;
    case T.VARCHAR:
    case T.VAR_STRING:
      return binary ? `varbinary(${chars(f)})` : `varchar(${chars(f)})`;
    case T.TINY_BLOB:
    case T.MEDIUM_BLOB:
    case T.LONG_BLOB:
    case T.BLOB: {
      const n = binary ? (f.columnLength ?? 0) : chars(f);
      const size = n <= 255 ? 'tiny' : n <= 65_535 ? '' : n <= 16_777_215 ? 'medium' : 'long';
      return `${size}${binary ? 'blob' : 'text'}`;
    }
    default:
      return `type ${t}`;
  }
}

const asNumber: Converter = (v) => {
  if (v === null || v === undefined) return null;
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : String(n);
};

const asText: Converter = (v) => (v === null || v === undefined ? null : typeof v === 'string' ? v : encodeValue(v));

const asExact: Converter = (v) => (v === null || v === undefined ? null : String(v));

/** The shortest decimal that reads back as the same float32: what MySQL's text protocol would print. */
export function float32(v: number): number {
  if (!Number.isFinite(v) || v === 0) return v;
  for (let p = 1; p <= 9; p++) {
    const candidate = Number(v.toPrecision(p));
    if (Math.fround(candidate) === Math.fround(v)) return candidate;
  }
  return v;
}

const asFloat: Converter = (v) => {
  if (v === null || v === undefined) return null;
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? float32(n) : String(n);
};

const ZERO_DATE = /^0000-00-00/;
const DATETIME = /^(-?\d{4,})-(\d{2})-(\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?)$/;

function dateTime(zone: '' | 'Z'): Converter {
  return (v) => {
    if (v === null || v === undefined) return null;
    const s = String(v);
    if (ZERO_DATE.test(s)) return s;
    const m = DATETIME.exec(s);
    return m ? `${m[1]}-${m[2]}-${m[3]}T${m[4]}${zone}` : s;
  };
}

const asBase64: Converter = (v) => {
  if (v === null || v === undefined) return null;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
  return encodeValue(v);
};

const asJson: Converter = (v) => {
  if (v === null || v === undefined) return null;
  const s = v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : String(v);
  try {
    return JSON.parse(s) as JsonValue;
  } catch {
    return s;
  }
};

const asBit: Converter = (v) => {
  if (v === null || v === undefined) return null;
  if (!(v instanceof Uint8Array)) return encodeValue(v);
  let n = 0n;
  for (const byte of v) n = (n << 8n) | BigInt(byte);
  return n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n.toString();
};

/** The converter for one column. */
export function mysqlConverter(f: FieldInfo): Converter {
  const t = typeOf(f);
  const flags = flagsOf(f);
  if (f.extendedFormat === 'json' || t === T.JSON) return asJson;
  if (flags & (ENUM_FLAG | SET_FLAG)) return asText;
  switch (t) {
    case T.TINY:
    case T.SHORT:
    case T.INT24:
    case T.LONG:
    case T.YEAR:
    case T.DOUBLE:
      return asNumber;
    case T.FLOAT:
      return asFloat;
    case T.LONGLONG:
    case T.DECIMAL:
    case T.NEWDECIMAL:
      return asExact;
    case T.DATE:
    case T.NEWDATE:
    case T.TIME:
    case T.TIME2:
      return asText;
    case T.DATETIME:
    case T.DATETIME2:
      return dateTime('');
    case T.TIMESTAMP:
    case T.TIMESTAMP2:
      return dateTime('Z');
    case T.BIT:
      return asBit;
    case T.GEOMETRY:
      return encodeValue;
    case T.STRING:
    case T.VARCHAR:
    case T.VAR_STRING:
    case T.TINY_BLOB:
    case T.MEDIUM_BLOB:
    case T.LONG_BLOB:
    case T.BLOB:
      return f.characterSet === BINARY_CHARSET ? asBase64 : asText;
    default:
      return encodeValue;
  }
}
