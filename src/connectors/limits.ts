/**
 * The sizing check (docs/deploy.md, "Sizing"): every Sequel process keeps its own pool per source, so a
 * source may take `pool size × SEQUEL_WORKERS × SEQUEL_REPLICAS` connections from its database, which
 * must stay under what the database accepts from that account. Adding, editing and testing a PostgreSQL
 * or MySQL source reads that limit and warns, with the numbers, when the pools would not fit. Engine
 * specifics live in `./<engine>/limits.ts`, loaded lazily like the connectors.
 */
import { errorMessage } from '../errors.js';
import { redactSecrets } from './dsn.js';
import type { ConnectionConfig, Engine } from './types.js';

/** What the database accepts from the source's account. */
export interface ConnectionLimit {
  /** Connections the account may hold at once, counting every client. */
  limit: number;
  /** How it was worked out, with the settings' names and values (e.g. `max_connections 100 − superuser_reserved_connections 3`). */
  basis: string;
}

export type ConnectionLimitReader = (config: ConnectionConfig) => Promise<ConnectionLimit>;

export interface SizingReport {
  /** False when the limit could not be read (then `warnings` says why); true for file engines (no limit). */
  checked: boolean;
  poolMax: number;
  workers: number;
  replicas: number;
  /** poolMax × workers × replicas: the most connections Sequel may hold to this source. */
  needed: number;
  /** The database's limit for this account; null for file engines or when it could not be read. */
  limit: number | null;
  basis: string | null;
  warnings: string[];
}

/** Above this share of the limit, too little is left for everything else that connects (and for restarts). */
export const SAFE_FRACTION = 0.8;

const MODULES: Partial<Record<Engine, string>> = {
  postgres: './postgres/limits.js',
  mysql: './mysql/limits.js',
};

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The warnings for a deployment's pools against a limit (pure: tested as a table). */
export function sizingWarnings(s: { poolMax: number; workers: number; replicas: number; limit: number; basis: string }): string[] {
  const needed = s.poolMax * s.workers * s.replicas;
  const how = `pool size ${s.poolMax} × ${plural(s.workers, 'worker')} (SEQUEL_WORKERS) × ${plural(s.replicas, 'replica')} (SEQUEL_REPLICAS) = ${needed}`;
  const fix = 'Lower the pool size (--pool-max, or Pool size in the dashboard), SEQUEL_WORKERS or the number of replicas, or raise the limit on the database.';
  if (needed > s.limit) {
    return [`Sequel may open more connections to this database than it accepts: ${how}, but the limit is ${s.limit} (${s.basis}). ${fix}`];
  }
  if (needed > s.limit * SAFE_FRACTION) {
    return [
      `Sequel may use most of the connections this database accepts: ${how} of ${s.limit} (${s.basis}), leaving ${s.limit - needed} for every other client. ${fix}`,
    ];
  }
  return [];
}

/** Reads the source's connection limit and compares the deployment's pools with it; never throws. */
export async function checkSizing(engine: Engine, config: ConnectionConfig, deployment: { workers: number; replicas: number }): Promise<SizingReport> {
  const base = { poolMax: config.poolMax, workers: deployment.workers, replicas: deployment.replicas, needed: config.poolMax * deployment.workers * deployment.replicas };
  const mod = MODULES[engine];
  // SQLite and DuckDB files have no connection limit.
  if (!mod) return { checked: true, ...base, limit: null, basis: null, warnings: [] };
  try {
    const { readConnectionLimit } = (await import(/* @vite-ignore */ mod)) as { readConnectionLimit: ConnectionLimitReader };
    const { limit, basis } = await readConnectionLimit(config);
    return { checked: true, ...base, limit, basis, warnings: sizingWarnings({ ...base, limit, basis }) };
  } catch (err) {
    return {
      checked: false,
      ...base,
      limit: null,
      basis: null,
      warnings: [`The database's connection limit could not be read: ${redactSecrets(errorMessage(err), [config.password])}`],
    };
  }
}
