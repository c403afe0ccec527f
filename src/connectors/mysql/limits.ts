/**
 * MySQL/MariaDB connection limit for the source's account: `@@max_connections`, capped by
 * `max_user_connections` when it is set (the session value is the account's own MAX_USER_CONNECTIONS
 * when it has one, else the global setting; 0 = none).
 */
import mysql from 'mysql2/promise';
import type { ConnectionLimit } from '../limits.js';
import type { ConnectionConfig } from '../types.js';
import { mysqlSettings } from './session.js';

export async function readConnectionLimit(config: ConnectionConfig): Promise<ConnectionLimit> {
  let conn: mysql.Connection | undefined;
  try {
    conn = await mysql.createConnection({ ...mysqlSettings(config).killer, rowsAsArray: true });
    const [rows] = (await conn.query('SELECT @@max_connections, @@session.max_user_connections, CURRENT_USER()')) as unknown as [unknown[][]];
    const [max, perUser, account] = [Number(rows[0]?.[0] ?? 0), Number(rows[0]?.[1] ?? 0), String(rows[0]?.[2] ?? '')];
    if (perUser > 0 && perUser < max) return { limit: perUser, basis: `max_user_connections ${perUser} for ${account}; max_connections ${max}` };
    return { limit: max, basis: `max_connections ${max}` };
  } finally {
    await conn?.end().catch(() => {});
  }
}
