/**
 * DuckDB values as they travel (BRIEF §3 "Results"): BIGINT, HUGEINT and the unsigned 64/128-bit types
 * and DECIMAL as exact strings, TIMESTAMP and TIMESTAMPTZ as ISO 8601 (with microseconds, `Z` for UTC),
 * DATE as `YYYY-MM-DD`, BLOB as base64, the JSON type as JSON, LIST/ARRAY as arrays, STRUCT as objects,
 * MAP as `{key, value}` pairs, UUID/INTERVAL/TIME and the rest as DuckDB prints them.
 */
import {
  DuckDBArrayValue,
  DuckDBBlobValue,
  DuckDBListValue,
  DuckDBMapValue,
  DuckDBStructValue,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  DuckDBUnionValue,
  type DuckDBType,
  type DuckDBValue,
} from '@duckdb/node-api';
import type { JsonValue } from '../types.js';
import { encodeValue } from '../values.js';

/** Microseconds since the epoch as ISO 8601, exactly; DuckDB's own text beyond JavaScript's date range. */
function isoFromMicros(micros: bigint, zone: 'Z' | '', fallback: () => string): string {
  const ms = micros / 1000n - (micros % 1000n < 0n ? 1n : 0n);
  const extra = Number(micros - ms * 1000n);
  const date = new Date(Number(ms));
  if (Number.isNaN(date.getTime()) || date.getUTCFullYear() > 9999 || date.getUTCFullYear() < 0) return fallback();
  const base = date.toISOString().slice(0, 19);
  const frac = `${String(date.getUTCMilliseconds()).padStart(3, '0')}${String(extra).padStart(3, '0')}`.replace(/0+$/, '');
  return `${base}${frac ? '.' + frac : ''}${zone}`;
}

function childType(type: DuckDBType | undefined): DuckDBType | undefined {
  return type && 'valueType' in type ? (type.valueType as DuckDBType) : undefined;
}

export function encodeDuckValue(value: DuckDBValue, type?: DuckDBType): JsonValue {
  if (typeof value === 'string' && type?.alias === 'JSON') {
    try {
      return JSON.parse(value) as JsonValue;
    } catch {
      return value;
    }
  }
  // Null, booleans, numbers, bigints and strings encode as everywhere else (values.ts).
  if (value === null || value === undefined || typeof value !== 'object') return encodeValue(value);
  if (value instanceof DuckDBBlobValue) return Buffer.from(value.bytes).toString('base64');
  if (value instanceof DuckDBTimestampTZValue) return value.isFinite ? isoFromMicros(value.micros, 'Z', () => value.toString()) : value.toString();
  if (value instanceof DuckDBTimestampValue) return value.isFinite ? isoFromMicros(value.micros, '', () => value.toString()) : value.toString();
  if (value instanceof DuckDBTimestampMillisecondsValue || value instanceof DuckDBTimestampSecondsValue || value instanceof DuckDBTimestampNanosecondsValue) {
    return value.toString().replace(' ', 'T');
  }
  if (value instanceof DuckDBListValue || value instanceof DuckDBArrayValue) {
    const t = childType(type);
    return value.items.map((v) => encodeDuckValue(v, t));
  }
  if (value instanceof DuckDBStructValue) {
    const out: { [k: string]: JsonValue } = {};
    const names = type && 'entryNames' in type ? (type.entryNames as readonly string[]) : [];
    const types = type && 'entryTypes' in type ? (type.entryTypes as readonly DuckDBType[]) : [];
    for (const [k, v] of Object.entries(value.entries)) out[k] = encodeDuckValue(v, types[names.indexOf(k)]);
    return out;
  }
  if (value instanceof DuckDBMapValue) {
    const vt = type && 'valueType' in type ? (type.valueType as DuckDBType) : undefined;
    const kt = type && 'keyType' in type ? (type.keyType as DuckDBType) : undefined;
    return value.entries.map((e) => ({ key: encodeDuckValue(e.key, kt), value: encodeDuckValue(e.value, vt) }));
  }
  if (value instanceof DuckDBUnionValue) return { [value.tag]: encodeDuckValue(value.value) };
  // Decimal, date, time, interval, UUID, bit… print themselves exactly.
  return value.toString();
}
