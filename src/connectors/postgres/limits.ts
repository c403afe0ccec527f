/**
 * PostgreSQL connection limit for the source's role: `max_connections`, less the slots reserved for
 * superusers (`superuser_reserved_connections`) and, on PostgreSQL 16+, for `pg_use_reserved_connections`
 * (`reserved_connections`), capped by the role's and the database's CONNECTION LIMIT (`rolconnlimit`,
 * `datconnlimit`; -1 = none). Superusers are subject to none of the caps or reservations.
 */
import pg from 'pg';
import type { ConnectionLimit } from '../limits.js';
import type { ConnectionConfig } from '../types.js';
import { pgSettings } from './session.js';

export async function readConnectionLimit(config: ConnectionConfig): Promise<ConnectionLimit> {
  const { max: _max, idleTimeoutMillis: _idle, maxLifetimeSeconds: _life, allowExitOnIdle: _exit, ...clientConfig } = pgSettings(config).pool;
  const client = new pg.Client(clientConfig);
  client.on('error', () => {});
  try {
    await client.connect();
    // The source's session reads every value as text.
    const { rows } = await client.query<Record<string, string | null>>(
      `select current_setting('max_connections') as max,
              current_setting('superuser_reserved_connections') as su_reserved,
              coalesce(current_setting('reserved_connections', true), '0') as reserved,
              r.rolname, r.rolsuper, r.rolconnlimit, d.datname, d.datconnlimit
         from pg_roles r, pg_database d
        where r.rolname = current_user and d.datname = current_database()`,
    );
    const row = rows[0];
    if (!row) throw new Error('the role or the database is not in the catalog');
    const n = (v: string | null | undefined) => Number(v ?? 0);
    const max = n(row.max);
    if (row.rolsuper === 't' || row.rolsuper === 'true') return { limit: max, basis: `max_connections ${max}; ${row.rolname} is a superuser` };
    const suReserved = n(row.su_reserved);
    const reserved = n(row.reserved);
    let limit = max - suReserved - reserved;
    let basis = `max_connections ${max} − superuser_reserved_connections ${suReserved}` + (reserved ? ` − reserved_connections ${reserved}` : '');
    const roleLimit = n(row.rolconnlimit);
    if (roleLimit >= 0 && roleLimit < limit) {
      limit = roleLimit;
      basis = `role ${row.rolname}'s CONNECTION LIMIT ${roleLimit}; ${basis}`;
    }
    const dbLimit = n(row.datconnlimit);
    if (dbLimit >= 0 && dbLimit < limit) {
      limit = dbLimit;
      basis = `database ${row.datname}'s CONNECTION LIMIT ${dbLimit}; ${basis}`;
    }
    return { limit, basis };
  } finally {
    await client.end().catch(() => {});
  }
}
