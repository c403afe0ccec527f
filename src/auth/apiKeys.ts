/**
 * API keys (BRIEF §1): `sql_` + 43 base62 characters (256 bits from the CSPRNG), stored only as an
 * HMAC-SHA-256 under a key derived from the server key, shown once at creation, identified afterwards by
 * a short prefix.
 */
import { ValidationError } from '../errors.js';
import type { ServerKeys } from '../secrets.js';
import { randomBase62 } from '../secrets.js';
import type { ApiKeyInfo } from '../store/apiKeys.js';
import type { Store } from '../store/index.js';

export const API_KEY_PREFIX = 'sql_';
/** 43 base62 characters carry 256 bits (43 × log2 62 ≈ 256.0). */
const RANDOM_CHARS = 43;
/** What stays visible: `sql_` and the first six random characters. */
const DISPLAY_CHARS = API_KEY_PREFIX.length + 6;
const KEY_SHAPE = /^sql_[0-9A-Za-z]{43}$/;

/** The name the install dialog gives the key it provisions. */
export const INSTALL_KEY_NAME = 'sequel_mcp';

export function looksLikeApiKey(token: string): boolean {
  return token.startsWith(API_KEY_PREFIX);
}

export function isWellFormedApiKey(token: string): boolean {
  return KEY_SHAPE.test(token);
}

export function hashApiKey(keys: ServerKeys, key: string): string {
  return keys.hash('api-keys', key);
}

/** `30d`, `12h`, `45m`, `2w`, `1y`, or an ISO date/time in the future. */
export function parseExpiry(text: string, from = new Date()): string {
  const m = /^(\d{1,5})([mhdwy])$/.exec(text.trim());
  if (m) {
    const n = Number(m[1]);
    const unitMs = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000, y: 365 * 86_400_000 }[m[2] as 'm' | 'h' | 'd' | 'w' | 'y'];
    if (n <= 0) throw new ValidationError('an expiry must be in the future');
    return new Date(from.getTime() + n * unitMs).toISOString();
  }
  const d = new Date(text);
  if (Number.isNaN(d.getTime())) throw new ValidationError(`"${text}" is not an expiry: use e.g. 30d, 12h, 2w or an ISO date`);
  if (d.getTime() <= from.getTime()) throw new ValidationError('an expiry must be in the future');
  return d.toISOString();
}

export interface CreatedApiKey {
  /** The full key: returned once, never stored. */
  key: string;
  info: ApiKeyInfo;
}

export interface CreateKeyInput {
  orgId: string;
  name: string;
  createdByUserId: string | null;
  /** For display: the creator's email, or `cli`. */
  createdBy: string;
  expiresAt?: string | null;
  /** Source names the key is limited to (resolved to ids within the org); all sources when absent. */
  sourceNames?: string[] | null;
  /** A preset id of the same organization (the caller resolved it there). */
  presetId?: string | null;
}

export async function createApiKey(store: Store, keys: ServerKeys, input: CreateKeyInput): Promise<CreatedApiKey> {
  let sourceIds: string[] | null = null;
  if (input.sourceNames && input.sourceNames.length > 0) {
    sourceIds = [];
    for (const name of input.sourceNames) {
      const s = await store.sources.byName(input.orgId, name);
      if (!s) throw new ValidationError(`no source named "${name}" in this organization`);
      sourceIds.push(s.id);
    }
  }
  const key = API_KEY_PREFIX + randomBase62(RANDOM_CHARS);
  const info = await store.apiKeys.insert({
    orgId: input.orgId,
    name: input.name,
    prefix: key.slice(0, DISPLAY_CHARS),
    keyHash: hashApiKey(keys, key),
    keyId: keys.id,
    createdByUserId: input.createdByUserId,
    createdBy: input.createdBy,
    expiresAt: input.expiresAt ?? null,
    sourceIds,
    presetId: input.presetId ?? null,
  });
  return { key, info };
}

/** How a key is named in lists and logs: `name (sql_AbC123…)`. */
export function keyLabel(k: { name: string; prefix: string }): string {
  return `${k.name} (${k.prefix}…)`;
}
