/**
 * Masking of output values (the source policy's `maskedColumns`), applied to the rows that leave Sequel
 * (text and structuredContent are both rendered from them). The plan comes from the policy layer, which
 * only lets a masked column through as a plain output column (./policy.ts).
 */
import { createHmac } from 'node:crypto';
import type { JsonValue } from '../connectors/types.js';
import type { MaskMode } from '../store/sources.js';
import type { MaskPlan } from './policy.js';

/** `j***@example.com` for an address; otherwise every character but the last four becomes `*`. */
export function maskValue(text: string): string {
  const at = text.indexOf('@');
  if (at > 0) return `${text[0]}***${text.slice(at)}`;
  if (text.length <= 4) return '*'.repeat(text.length);
  return '*'.repeat(text.length - 4) + text.slice(-4);
}

/**
 * A keyed digest (HMAC-SHA-256 under a per-organization key): equal values give equal digests within an
 * organization, so counts and joins on the output still work, and nobody without the server key can test
 * a guess.
 */
export function hashValue(key: Buffer, text: string): string {
  return `h:${createHmac('sha256', key).update(text).digest('hex').slice(0, 24)}`;
}

function apply(mode: MaskMode, key: Buffer, v: JsonValue): JsonValue {
  if (v === null || mode === 'null') return null;
  const text = typeof v === 'string' ? v : JSON.stringify(v);
  return mode === 'hash' ? hashValue(key, text) : maskValue(text);
}

/** Masks the planned columns of `rows` in place; returns how many values were masked. */
export function maskRows(rows: JsonValue[][], plan: MaskPlan, key: Buffer): number {
  let n = 0;
  for (const row of rows) {
    for (const { index, mode } of plan) {
      if (index < row.length) {
        row[index] = apply(mode, key, row[index]!);
        n++;
      }
    }
  }
  return n;
}
