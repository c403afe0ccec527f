/**
 * The getting-started checklist of an organization: each step ticks itself from what exists (a data
 * source, a described table, a key or connected app, a first query).
 */
import type { OpsDeps } from './deps.js';
import { assertCan, type Actor } from './permissions.js';

export interface GettingStarted {
  sources: number;
  described: boolean;
  credentials: number;
  queried: boolean;
}

export async function gettingStarted(deps: OpsDeps, actor: Actor): Promise<GettingStarted> {
  assertCan(actor, 'sources.read');
  const sources = await deps.store.sources.list(actor.orgId);
  let described = false;
  for (const s of sources) {
    if ((await deps.store.descriptions.forSource(s.id)).length > 0) {
      described = true;
      break;
    }
  }
  const keys = await deps.store.apiKeys.list(actor.orgId);
  const apps = await deps.store.oauth.listAuthorizations(actor.orgId);
  const queried = (await deps.store.audit.list({ orgId: actor.orgId, limit: 1 })).length > 0;
  return { sources: sources.length, described, credentials: keys.length + apps.length, queried };
}
