/**
 * PostgreSQL least-privilege check: superuser and role attributes that reach beyond the database,
 * built-in roles that write files or data, and INSERT/UPDATE/DELETE/TRUNCATE on any table or CREATE on
 * any schema or the database. Runs on one short-lived connection with the source's own read-only
 * startup settings; only catalog functions (`has_*_privilege`, `pg_has_role`) are called.
 */
import pg from 'pg';
import { redactSecrets } from '../dsn.js';
import { pgIdent, type PrivilegeReport } from '../privileges.js';
import type { ConnectionConfig } from '../types.js';
import { pgSettings } from './session.js';

const USER_SCHEMAS = `n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg\\_%'`;

export async function checkAccount(config: ConnectionConfig): Promise<PrivilegeReport> {
  const settings = pgSettings(config);
  const { max: _max, idleTimeoutMillis: _idle, maxLifetimeSeconds: _life, allowExitOnIdle: _exit, ...clientConfig } = settings.pool;
  // The source's settings read every value as text (values.ts parses them); booleans arrive as 't'/'f'.
  const client = new pg.Client(clientConfig);
  client.on('error', () => {});
  try {
    await client.connect();
    const role = await client.query(
      `select current_user as user, current_database() as db, r.rolsuper, r.rolcreaterole, r.rolcreatedb, r.rolbypassrls,
              has_database_privilege(current_database(), 'CREATE') as dbcreate
         from pg_roles r where r.rolname = current_user`,
    );
    const builtin = await client.query<{ rolname: string }>(
      `select rolname from pg_roles
        where rolname in ('pg_write_all_data', 'pg_write_server_files', 'pg_execute_server_program', 'pg_signal_backend')
          and pg_has_role(current_user, oid, 'USAGE') order by rolname`,
    );
    const writable = await client.query<{ name: string; total: string }>(
      `select n.nspname || '.' || c.relname as name, count(*) over () as total
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relkind in ('r', 'p', 'v', 'f', 'm') and ${USER_SCHEMAS}
          and (has_table_privilege(c.oid, 'INSERT') or has_table_privilege(c.oid, 'UPDATE')
               or has_table_privilege(c.oid, 'DELETE') or has_table_privilege(c.oid, 'TRUNCATE'))
        order by 1 limit 5`,
    );
    const creatable = await client.query<{ nspname: string }>(
      `select n.nspname from pg_namespace n where ${USER_SCHEMAS} and has_schema_privilege(n.oid, 'CREATE') order by 1`,
    );
    const schemas = await client.query<{ nspname: string }>(
      `select n.nspname from pg_namespace n where ${USER_SCHEMAS} and has_schema_privilege(n.oid, 'USAGE') order by 1`,
    );
    const raw = role.rows[0] as unknown as Record<string, string> | undefined;
    const yes = (v: string | undefined) => v === 't' || v === 'true';
    const r = raw && {
      user: raw.user!,
      db: raw.db!,
      rolsuper: yes(raw.rolsuper),
      rolcreaterole: yes(raw.rolcreaterole),
      rolcreatedb: yes(raw.rolcreatedb),
      rolbypassrls: yes(raw.rolbypassrls),
      dbcreate: yes(raw.dbcreate),
    };
    const warnings: string[] = [];
    if (r?.rolsuper) warnings.push(`${r.user} is a superuser: it can write anything, read server files and run programs on the server.`);
    if (r?.rolcreaterole) warnings.push(`${r.user} can create roles (CREATEROLE).`);
    if (r?.rolcreatedb) warnings.push(`${r.user} can create databases (CREATEDB).`);
    if (r?.rolbypassrls) warnings.push(`${r.user} bypasses row-level security (BYPASSRLS).`);
    if (!r?.rolsuper) {
      // A superuser holds every built-in role and privilege; naming them again would only bury the point.
      for (const b of builtin.rows) warnings.push(`${r?.user ?? 'The account'} is a member of ${b.rolname}.`);
      const first = writable.rows[0];
      if (first) {
        const total = Number(first.total);
        const names = writable.rows.map((w) => w.name).join(', ');
        warnings.push(`${r?.user ?? 'The account'} can INSERT, UPDATE, DELETE or TRUNCATE ${total} table${total === 1 ? '' : 's'} (${names}${total > writable.rows.length ? ', …' : ''}).`);
      }
      if (creatable.rows.length) warnings.push(`${r?.user ?? 'The account'} can CREATE in schema${creatable.rows.length === 1 ? '' : 's'} ${creatable.rows.map((s) => s.nspname).join(', ')}.`);
      if (r?.dbcreate) warnings.push(`${r.user} can create schemas in database ${r.db} (CREATE on the database).`);
    }
    const db = r?.db ?? settings.dsn.database ?? 'analytics';
    const readable = schemas.rows.map((s) => s.nspname);
    const list = readable.length ? readable : ['public'];
    const recommendation = warnings.length
      ? [
          `CREATE ROLE sequel_reader LOGIN PASSWORD '…';`,
          `ALTER ROLE sequel_reader SET default_transaction_read_only = on;`,
          `GRANT CONNECT ON DATABASE ${pgIdent(db)} TO sequel_reader;`,
          ...list.flatMap((s) => [
            `GRANT USAGE ON SCHEMA ${pgIdent(s)} TO sequel_reader;`,
            `GRANT SELECT ON ALL TABLES IN SCHEMA ${pgIdent(s)} TO sequel_reader;`,
            `ALTER DEFAULT PRIVILEGES IN SCHEMA ${pgIdent(s)} GRANT SELECT ON TABLES TO sequel_reader;`,
          ]),
        ].join('\n')
      : null;
    return { checked: true, account: r?.user ?? null, warnings, recommendation };
  } catch (err) {
    const message = redactSecrets(err instanceof Error ? err.message : String(err), settings.secrets);
    return { checked: false, account: null, warnings: [`The account's privileges could not be checked: ${message}`], recommendation: null };
  } finally {
    await client.end().catch(() => {});
  }
}
