/**
 * Policy presets with two replicas sharing a PostgreSQL store: a preset edited, or a key narrowed to
 * another preset, through one replica counts on the very next request to the other (both keep the key
 * and its preset cached under the store's change epoch; migration 012's triggers move it).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey, setKeyPreset } from '../../src/ops/keys.js';
import { createPreset, updatePreset } from '../../src/ops/presets.js';
import type { OperatorActor } from '../../src/ops/permissions.js';
import { freePort, rpc, startTestServer, type TestServer } from '../helpers/server.js';
import { createTempPgDatabase, requireService, type TempDatabase } from '../helpers/services.js';
import { createGoverned, SSNS, type GovernedDatabase } from './dataset.js';

const pgUp = await requireService('postgres', 'presets on a PostgreSQL store with two replicas');

describe.skipIf(!pgUp)('presets across replicas', () => {
  let store: TempDatabase;
  let data: GovernedDatabase;
  let a: TestServer;
  let b: TestServer;
  let actor: OperatorActor;

  beforeAll(async () => {
    store = await createTempPgDatabase('sequel_presets_replicas');
    data = (await createGoverned('sqlite'))!;
    const env = { SEQUEL_SECRET_KEY: randomBytes(32).toString('base64'), SEQUEL_PORT: String(await freePort()), SEQUEL_RATE_LIMIT_PER_MINUTE: '0' };
    a = await startTestServer({ demo: false, databaseUrl: store.url, env });
    b = await startTestServer({ demo: false, databaseUrl: store.url, env: { ...env, SEQUEL_PORT: '0' } });
    actor = { kind: 'operator', orgId: (await a.org('gov')).id };
    await a.source('gov', { name: 'shop', engine: 'sqlite', url: data.url });
  }, 180_000);
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await store?.drop();
    await data?.destroy();
  });

  const ask = async (server: TestServer, key: string, sql: string) => {
    const r = await rpc(
      server.mcpUrl,
      { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'run_query', arguments: { source: 'shop', sql } } },
      { authorization: `Bearer ${key}`, 'mcp-protocol-version': '2025-11-25' },
    );
    return JSON.stringify(r.json);
  };

  it('an edit or a key’s new preset made through one replica counts on the next request to the other', async () => {
    await createPreset(a.rt, actor, { name: 'no-pii', policy: { hiddenColumns: ['customers.ssn'] } });
    await createPreset(a.rt, actor, { name: 'open', policy: {} });
    const k = await createKey(a.rt, actor, { name: 'bi', preset: 'no-pii' });
    const sql = 'SELECT ssn FROM customers ORDER BY id';
    // Warm both replicas' caches.
    expect(await ask(b, k.key, sql)).toContain('PERMISSION_DENIED');
    expect(await ask(a, k.key, sql)).toContain('PERMISSION_DENIED');

    await updatePreset(a.rt, actor, 'no-pii', { policy: { hiddenColumns: [] } });
    expect(await ask(b, k.key, sql)).toContain(SSNS[0]!);
    await updatePreset(b.rt, actor, 'no-pii', { policy: { hiddenColumns: ['*ssn*'] } });
    expect(await ask(a, k.key, sql)).toContain('PERMISSION_DENIED');

    await setKeyPreset(b.rt, actor, k.view.id, 'open');
    expect(await ask(a, k.key, sql)).toContain(SSNS[0]!);
    await setKeyPreset(a.rt, actor, k.view.id, 'no-pii');
    const back = await ask(b, k.key, sql);
    expect(back).toContain('PERMISSION_DENIED');
    expect(back).not.toContain(SSNS[0]!);
  });
});
