/**
 * `sequel rotate-server-key` (docs/deploy.md, "Rotating the server key"): re-encrypts every stored
 * secret under the current server key, then records that key as the one the store is under, so a
 * server holding only an older key refuses to start rather than failing source by source.
 *
 * Idempotent and resumable: what is already under the current key is left alone, each batch is one
 * transaction, and every row is replaced only if it did not change meanwhile (a replica may be writing
 * it). Hashes (API keys, OAuth token ids, dashboard sessions) cannot be re-computed without the values,
 * which the store does not hold: API keys move to the current key at their next use and are counted
 * here; the others are short-lived and are not counted.
 */
import { ENCRYPTED_MODELS, reencryptPayload } from '../auth/oauth/adapter.js';
import { errorMessage, NotFoundError } from '../errors.js';
import { sourceSecretAad } from '../sources.js';
import { SERVER_KEY_FINGERPRINT } from '../store/settings.js';
import type { OpsDeps } from './deps.js';
import type { Person } from './permissions.js';

const BATCH = 100;

export interface RotationCounts {
  /** Re-encrypted under the current key by this run. */
  reencrypted: number;
  /** Already under the current key (an earlier run, or written since the key became current). */
  alreadyCurrent: number;
  /** Changed by a replica while this run worked on it: the next run looks again. */
  changedMeanwhile: number;
}

export interface RotationReport {
  /** The current key's id (8 hex characters of its fingerprint; not secret). */
  keyId: string;
  /** The other keys of the ring. */
  previousKeyIds: string[];
  /** The key the store was recorded as being under before this run, and after it. */
  storeKeyBefore: string;
  storeKeyAfter: string;
  sources: RotationCounts;
  oauthSecrets: RotationCounts;
  /** Values no key of the ring decrypts (named by table and row id; never the value). */
  failed: Array<{ table: 'sources' | 'oauth_models'; id: string; reason: string }>;
  /** True when every stored secret is now under the current key. */
  complete: boolean;
  /** Live API keys whose hash is still under an older server key. */
  apiKeysUnderOlderKeys: Array<{ orgId: string; id: string; name: string; prefix: string; keyId: string }>;
}

function counts(): RotationCounts {
  return { reencrypted: 0, alreadyCurrent: 0, changedMeanwhile: 0 };
}

export async function rotateServerKey(deps: OpsDeps, person: Person): Promise<RotationReport> {
  if (person.kind !== 'operator') throw new NotFoundError('not available');
  const { store, keys } = deps;
  const before = (await store.settings.get(SERVER_KEY_FINGERPRINT)) ?? keys.fingerprint();
  const failed: RotationReport['failed'] = [];

  // API keys hashed before key ids were recorded are under the key the store was recorded with.
  await store.apiKeys.fillKeyIds(before.slice(0, 8));

  const sources = counts();
  const sourceChanges: Array<{ id: string; from: string; to: string }> = [];
  for (const s of await store.sources.allSecrets()) {
    if (keys.isCurrent(s.secret)) {
      sources.alreadyCurrent++;
      continue;
    }
    try {
      const aad = sourceSecretAad(s.id);
      sourceChanges.push({ id: s.id, from: s.secret, to: keys.encrypt(keys.decrypt(s.secret, aad), aad) });
    } catch (err) {
      failed.push({ table: 'sources', id: s.id, reason: errorMessage(err) });
    }
  }
  for (let i = 0; i < sourceChanges.length; i += BATCH) {
    const batch = sourceChanges.slice(i, i + BATCH);
    const n = await store.sources.replaceSecrets(batch);
    sources.reencrypted += n;
    sources.changedMeanwhile += batch.length - n;
  }

  const oauthSecrets = counts();
  const modelChanges: Array<{ model: string; id: string; from: string; to: string }> = [];
  for (const row of await store.oauth.modelsWithEncryptedFields(ENCRYPTED_MODELS)) {
    try {
      const to = reencryptPayload(keys, row.model, row.id, row.payload);
      if (to === undefined) oauthSecrets.alreadyCurrent++;
      else modelChanges.push({ model: row.model, id: row.id, from: row.payload, to });
    } catch (err) {
      failed.push({ table: 'oauth_models', id: `${row.model}/${row.id.slice(0, 12)}…`, reason: errorMessage(err) });
    }
  }
  for (let i = 0; i < modelChanges.length; i += BATCH) {
    const batch = modelChanges.slice(i, i + BATCH);
    const n = await store.oauth.replacePayloads(batch);
    oauthSecrets.reencrypted += n;
    oauthSecrets.changedMeanwhile += batch.length - n;
  }

  // Only once nothing is left under an older key does the store say it is under the current one: from
  // then on a server without the current key refuses to start.
  const complete = failed.length === 0 && sources.changedMeanwhile === 0 && oauthSecrets.changedMeanwhile === 0;
  if (complete) await store.settings.set(SERVER_KEY_FINGERPRINT, keys.fingerprint());
  const after = complete ? keys.fingerprint() : before;

  const stale = await store.apiKeys.hashedUnderOtherKeys(keys.id, before.slice(0, 8));
  return {
    keyId: keys.id,
    previousKeyIds: keys.ids().slice(1),
    storeKeyBefore: before.slice(0, 8),
    storeKeyAfter: after.slice(0, 8),
    sources,
    oauthSecrets,
    failed,
    complete,
    apiKeysUnderOlderKeys: stale.map((k) => ({ orgId: k.org_id, id: k.id, name: k.name, prefix: k.prefix, keyId: k.key_id })),
  };
}
