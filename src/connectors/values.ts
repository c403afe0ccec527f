import type { JsonValue } from './types.js';

/**
 * The shared value encoding: values keep their meaning on the wire (BRIEF §3 "Results").
 *   - 64-bit integers and decimals travel as exact strings (a JSON number would round them);
 *   - timestamps as ISO 8601 (engines hand back strings we normalise, or Dates);
 *   - bytes as base64;
 *   - JSON as JSON; arrays as arrays;
 *   - non-finite floats as the strings "NaN", "Infinity", "-Infinity".
 * Engine connectors convert their driver's representation first (e.g. PostgreSQL's timestamp text) and
 * fall back to this for everything generic.
 */
export function encodeValue(value: unknown): JsonValue {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'bigint':
      return value.toString();
    case 'object':
      break;
    default:
      return String(value);
  }
  if (value instanceof Date) {
    return Number.isNaN(value.getTime()) ? null : value.toISOString();
  }
  if (value instanceof Uint8Array) {
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  }
  if (Array.isArray(value)) return value.map(encodeValue);
  if (value instanceof Map) {
    const out: { [key: string]: JsonValue } = {};
    for (const [k, v] of value) out[String(k)] = encodeValue(v);
    return out;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto === Object.prototype || proto === null) {
    const out: { [key: string]: JsonValue } = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = encodeValue(v);
    return out;
  }
  // Driver-specific objects (intervals, decimals, UUID wrappers…) know how to print themselves.
  return String(value);
}

/** Encodes a row in place (the driver's array is ours to reuse) and returns it. */
export function encodeRow(row: unknown[]): JsonValue[] {
  for (let i = 0; i < row.length; i++) row[i] = encodeValue(row[i]);
  return row as JsonValue[];
}
