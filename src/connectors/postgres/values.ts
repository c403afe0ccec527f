/**
 * PostgreSQL values on the wire (BRIEF §3 "Results"), from the server's text format, without going through
 * JS numbers or `Date` where that would lose anything:
 *   - int2/int4/oid and finite floats as JSON numbers; int8 and numeric as the exact text; NaN/±Infinity
 *     as the strings "NaN", "Infinity", "-Infinity";
 *   - date as `YYYY-MM-DD`; timestamp as `YYYY-MM-DDTHH:MM:SS[.ffffff]` (no zone); timestamptz converted
 *     to UTC, `YYYY-MM-DDTHH:MM:SS[.ffffff]Z`, whatever the session's TimeZone, microseconds kept; years
 *     outside 0000–9999 and BC years in ISO 8601 expanded form (`-000043`, `+010000`, astronomical
 *     numbering as in JS); `infinity`/`-infinity` as those strings;
 *   - bytea as base64; json/jsonb parsed; arrays (any depth, any element type) as JSON arrays;
 *   - everything else (interval, uuid, inet, money, enums, ranges, composites, extension types) as the
 *     server's text.
 * The session pins DateStyle=ISO, bytea_output=hex and IntervalStyle=postgres so that this text is stable.
 */
import type { JsonValue } from '../types.js';

export type Converter = (text: string) => JsonValue;

const asText: Converter = (t) => t;

const asInt: Converter = (t) => Number(t);

const asFloat: Converter = (t) => {
  if (t === 'NaN' || t === 'Infinity' || t === '-Infinity') return t;
  return Number(t);
};

const asBool: Converter = (t) => t === 't';

const asBytea: Converter = (t) => (t.startsWith('\\x') ? Buffer.from(t.slice(2), 'hex').toString('base64') : t);

const asJson: Converter = (t) => JSON.parse(t) as JsonValue;

/** Days since 1970-01-01 of a proleptic Gregorian date (astronomical year numbering). */
export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** The inverse of `daysFromCivil`. */
export function civilFromDays(days: number): [number, number, number] {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/** ISO 8601 year: four digits for 0000–9999, else the expanded form with a sign and six digits. */
export function isoYear(y: number): string {
  if (y >= 0 && y <= 9999) return String(y).padStart(4, '0');
  return (y < 0 ? '-' : '+') + String(Math.abs(y)).padStart(6, '0');
}

/** PostgreSQL prints BC years as `0044 … BC`; ISO uses astronomical numbering (1 BC is year 0). */
const astronomical = (year: string, bc: string | undefined) => (bc ? 1 - Number(year) : Number(year));

const DATE = /^(\d{4,})-(\d{2})-(\d{2})( BC)?$/;
const TIMESTAMP = /^(\d{4,})-(\d{2})-(\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?)( BC)?$/;
const TIMESTAMPTZ = /^(\d{4,})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(\.\d+)?([+-])(\d{2})(?::(\d{2}))?(?::(\d{2}))?( BC)?$/;
const TIMETZ = /^(\d{2}:\d{2}:\d{2}(?:\.\d+)?)([+-]\d{2})(:\d{2})?(:\d{2})?$/;

export const convertDate: Converter = (t) => {
  const m = DATE.exec(t);
  if (!m) return t; // infinity, -infinity
  return `${isoYear(astronomical(m[1]!, m[4]))}-${m[2]}-${m[3]}`;
};

export const convertTimestamp: Converter = (t) => {
  const m = TIMESTAMP.exec(t);
  if (!m) return t;
  return `${isoYear(astronomical(m[1]!, m[5]))}-${m[2]}-${m[3]}T${m[4]}`;
};

/** To UTC by field arithmetic (no `Date`: it would drop microseconds and mishandle far years). */
export const convertTimestamptz: Converter = (t) => {
  const m = TIMESTAMPTZ.exec(t);
  if (!m) return t;
  const year = astronomical(m[1]!, m[12]);
  const offset = (m[8] === '-' ? -1 : 1) * (Number(m[9]) * 3600 + Number(m[10] ?? 0) * 60 + Number(m[11] ?? 0));
  let secs = Number(m[4]) * 3600 + Number(m[5]) * 60 + Number(m[6]) - offset;
  let days = daysFromCivil(year, Number(m[2]), Number(m[3]));
  days += Math.floor(secs / 86400);
  secs = ((secs % 86400) + 86400) % 86400;
  const [y, mo, d] = civilFromDays(days);
  const hh = Math.floor(secs / 3600);
  const mi = Math.floor((secs % 3600) / 60);
  const ss = secs % 60;
  return `${isoYear(y)}-${pad2(mo)}-${pad2(d)}T${pad2(hh)}:${pad2(mi)}:${pad2(ss)}${m[7] ?? ''}Z`;
};

export const convertTimetz: Converter = (t) => {
  const m = TIMETZ.exec(t);
  if (!m) return t;
  return `${m[1]}${m[2]}${m[3] ?? ':00'}${m[4] ?? ''}`;
};

/**
 * Parses PostgreSQL's array text (`{1,NULL,"a \"b\""}`, nested `{{1,2},{3,4}}`, with an optional
 * `[0:1]=` bounds prefix), converting each element. Returns the text unchanged if it is not well formed.
 */
export function parseArray(text: string, convert: Converter, delim = ','): JsonValue {
  let i = 0;
  if (text[0] === '[') {
    const eq = text.indexOf('=');
    if (eq < 0) return text;
    i = eq + 1;
  }
  const n = text.length;
  const parseLevel = (): JsonValue[] | null => {
    if (text[i] !== '{') return null;
    i++;
    const out: JsonValue[] = [];
    for (;;) {
      while (i < n && text[i] === ' ') i++;
      if (text[i] === '}') {
        i++;
        return out;
      }
      if (text[i] === '{') {
        const inner = parseLevel();
        if (inner === null) return null;
        out.push(inner);
      } else if (text[i] === '"') {
        i++;
        let s = '';
        while (i < n && text[i] !== '"') {
          if (text[i] === '\\') i++;
          s += text[i] ?? '';
          i++;
        }
        if (i >= n) return null;
        i++;
        out.push(convert(s));
      } else {
        let s = '';
        while (i < n && text[i] !== delim && text[i] !== '}') {
          if (text[i] === '\\') i++;
          s += text[i] ?? '';
          i++;
        }
        s = s.trim();
        out.push(s.toUpperCase() === 'NULL' ? null : convert(s));
      }
      while (i < n && text[i] === ' ') i++;
      if (text[i] === delim) i++;
      else if (text[i] !== '}') return null;
    }
  };
  const result = parseLevel();
  return result === null || i !== n ? text : result;
}

export function arrayOf(convert: Converter, delim = ','): Converter {
  return (t) => parseArray(t, convert, delim);
}

interface Builtin {
  /** `format_type(oid, -1)`. */
  name: string;
  convert: Converter;
}

/** Built-in scalar types (OIDs are fixed in PostgreSQL's catalog, `pg_type.dat`). */
const SCALARS: Record<number, Builtin> = {
  16: { name: 'boolean', convert: asBool },
  17: { name: 'bytea', convert: asBytea },
  18: { name: '"char"', convert: asText },
  19: { name: 'name', convert: asText },
  20: { name: 'bigint', convert: asText },
  21: { name: 'smallint', convert: asInt },
  22: { name: 'int2vector', convert: asText },
  23: { name: 'integer', convert: asInt },
  24: { name: 'regproc', convert: asText },
  25: { name: 'text', convert: asText },
  26: { name: 'oid', convert: asInt },
  27: { name: 'tid', convert: asText },
  28: { name: 'xid', convert: asText },
  29: { name: 'cid', convert: asText },
  30: { name: 'oidvector', convert: asText },
  114: { name: 'json', convert: asJson },
  142: { name: 'xml', convert: asText },
  194: { name: 'pg_node_tree', convert: asText },
  600: { name: 'point', convert: asText },
  601: { name: 'lseg', convert: asText },
  602: { name: 'path', convert: asText },
  603: { name: 'box', convert: asText },
  604: { name: 'polygon', convert: asText },
  628: { name: 'line', convert: asText },
  650: { name: 'cidr', convert: asText },
  700: { name: 'real', convert: asFloat },
  701: { name: 'double precision', convert: asFloat },
  705: { name: 'unknown', convert: asText },
  718: { name: 'circle', convert: asText },
  774: { name: 'macaddr8', convert: asText },
  790: { name: 'money', convert: asText },
  829: { name: 'macaddr', convert: asText },
  869: { name: 'inet', convert: asText },
  1033: { name: 'aclitem', convert: asText },
  1042: { name: 'bpchar', convert: asText },
  1043: { name: 'character varying', convert: asText },
  1082: { name: 'date', convert: convertDate },
  1083: { name: 'time without time zone', convert: asText },
  1114: { name: 'timestamp without time zone', convert: convertTimestamp },
  1184: { name: 'timestamp with time zone', convert: convertTimestamptz },
  1186: { name: 'interval', convert: asText },
  1266: { name: 'time with time zone', convert: convertTimetz },
  1560: { name: 'bit', convert: asText },
  1562: { name: 'bit varying', convert: asText },
  1700: { name: 'numeric', convert: asText },
  1790: { name: 'refcursor', convert: asText },
  2202: { name: 'regprocedure', convert: asText },
  2203: { name: 'regoper', convert: asText },
  2204: { name: 'regoperator', convert: asText },
  2205: { name: 'regclass', convert: asText },
  2206: { name: 'regtype', convert: asText },
  2249: { name: 'record', convert: asText },
  2275: { name: 'cstring', convert: asText },
  2278: { name: 'void', convert: asText },
  2950: { name: 'uuid', convert: asText },
  2970: { name: 'txid_snapshot', convert: asText },
  3220: { name: 'pg_lsn', convert: asText },
  3614: { name: 'tsvector', convert: asText },
  3615: { name: 'tsquery', convert: asText },
  3734: { name: 'regconfig', convert: asText },
  3769: { name: 'regdictionary', convert: asText },
  3802: { name: 'jsonb', convert: asJson },
  3904: { name: 'int4range', convert: asText },
  3906: { name: 'numrange', convert: asText },
  3908: { name: 'tsrange', convert: asText },
  3910: { name: 'tstzrange', convert: asText },
  3912: { name: 'daterange', convert: asText },
  3926: { name: 'int8range', convert: asText },
  4072: { name: 'jsonpath', convert: asText },
  4089: { name: 'regnamespace', convert: asText },
  4096: { name: 'regrole', convert: asText },
  4191: { name: 'regcollation', convert: asText },
  5038: { name: 'pg_snapshot', convert: asText },
  5069: { name: 'xid8', convert: asText },
};

/** Built-in array types: array OID → element OID. */
const ARRAYS: Record<number, number> = {
  1000: 16, 1001: 17, 1002: 18, 1003: 19, 1016: 20, 1005: 21, 1006: 22, 1007: 23, 1008: 24, 1009: 25, 1028: 26,
  1010: 27, 1011: 28, 1012: 29, 1013: 30, 199: 114, 143: 142, 1017: 600, 1018: 601, 1019: 602, 1020: 603,
  1027: 604, 629: 628, 651: 650, 1021: 700, 1022: 701, 719: 718, 775: 774, 791: 790, 1040: 829, 1041: 869,
  1034: 1033, 1014: 1042, 1015: 1043, 1182: 1082, 1183: 1083, 1115: 1114, 1185: 1184, 1187: 1186, 1270: 1266,
  1561: 1560, 1563: 1562, 1231: 1700, 2201: 1790, 2207: 2202, 2208: 2203, 2209: 2204, 2210: 2205, 2211: 2206,
  1263: 2275, 2951: 2950, 2949: 2970, 3221: 3220, 3643: 3614, 3645: 3615, 3735: 3734, 3770: 3769, 3807: 3802,
  3905: 3904, 3907: 3906, 3909: 3908, 3911: 3910, 3913: 3912, 3927: 3926, 4073: 4072, 4090: 4089, 4097: 4096,
  4192: 4191, 5039: 5038, 271: 5069, 2287: 2249,
};

/** Element delimiters other than the comma (`pg_type.typdelim`): only box uses a semicolon. */
const DELIMS: Record<number, string> = { 603: ';' };

const builtinConverters = new Map<number, Converter>();
const builtinNames = new Map<number, string>();
for (const [oid, t] of Object.entries(SCALARS)) {
  builtinConverters.set(Number(oid), t.convert);
  builtinNames.set(Number(oid), t.name);
}
for (const [oid, elem] of Object.entries(ARRAYS)) {
  const e = SCALARS[elem];
  if (!e) continue;
  builtinConverters.set(Number(oid), arrayOf(e.convert, DELIMS[elem] ?? ','));
  builtinNames.set(Number(oid), `${e.name}[]`);
}

/** The converter of a built-in type, or undefined for types that need a catalog look-up. */
export function builtinConverter(oid: number): Converter | undefined {
  return builtinConverters.get(oid);
}

/** `format_type(oid, typmod)` for built-in types without a modifier, or undefined. */
export function builtinTypeName(oid: number, typmod: number): string | undefined {
  return typmod === -1 ? builtinNames.get(oid) : undefined;
}

/** The text converter for types the catalog look-up found: enums, ranges, composites, extension types. */
export const textConverter: Converter = asText;
