/**
 * MySQL/MariaDB least-privilege check: the account's own grants (`SHOW GRANTS`, on one short-lived
 * connection outside the statement guard, which refuses it for callers) may hold only SELECT, SHOW VIEW
 * and USAGE; anything else is reported — FILE above all (on MariaDB a read-only transaction does not stop
 * `SELECT … INTO OUTFILE` for an account holding it).
 */
import mysql from 'mysql2/promise';
import { redactSecrets } from '../dsn.js';
import { mysqlIdent, type PrivilegeReport } from '../privileges.js';
import type { ConnectionConfig } from '../types.js';
import { mysqlSettings } from './session.js';

const READ_ONLY = new Set(['SELECT', 'SHOW VIEW', 'USAGE']);

/** `GRANT SELECT, INSERT (col) ON `db`.* TO …` → privileges and scope; role grants → the role names. */
export function parseGrant(line: string): { privileges: string[]; on: string } | { roles: string[] } | null {
  const m = /^GRANT\s+(.+?)\s+ON\s+(.+?)\s+TO\s+/is.exec(line);
  if (m) {
    // Column lists (`SELECT (a, b)`) are dropped before splitting on commas.
    const privileges = m[1]!
      .replace(/\([^)]*\)/g, '')
      .split(',')
      .map((p) => p.trim().toUpperCase())
      .filter(Boolean);
    return { privileges, on: m[2]!.trim() };
  }
  const r = /^GRANT\s+(.+?)\s+TO\s+/is.exec(line);
  if (r) return { roles: r[1]!.split(',').map((s) => s.trim()) };
  return null;
}

export async function checkAccount(config: ConnectionConfig): Promise<PrivilegeReport> {
  const settings = mysqlSettings(config);
  let conn: mysql.Connection | undefined;
  try {
    conn = await mysql.createConnection({ ...settings.killer, rowsAsArray: true });
    const [who] = (await conn.query('SELECT CURRENT_USER()')) as unknown as [unknown[][]];
    const account = String(who[0]?.[0] ?? '');
    const [rows] = (await conn.query('SHOW GRANTS')) as unknown as [unknown[][]];
    const warnings: string[] = [];
    for (const row of rows) {
      const line = String(row[0] ?? '');
      const g = parseGrant(line);
      if (!g) continue;
      if ('roles' in g) {
        warnings.push(`${account} is granted role ${g.roles.join(', ')}: make sure it holds only SELECT and SHOW VIEW.`);
        continue;
      }
      const extra = g.privileges.filter((p) => !READ_ONLY.has(p));
      if (g.privileges.includes('PROXY')) continue;
      if (extra.length) warnings.push(`${account} holds ${extra.join(', ')} on ${g.on}.`);
    }
    for (const row of rows) {
      if (/^GRANT\s+PROXY\s+ON/i.test(String(row[0] ?? ''))) warnings.push(`${account} can act as other accounts (PROXY).`);
    }
    const db = settings.database ?? 'analytics';
    const recommendation = warnings.length
      ? `CREATE USER 'sequel_reader'@'%' IDENTIFIED BY '…';\nGRANT SELECT, SHOW VIEW ON ${mysqlIdent(db)}.* TO 'sequel_reader'@'%';`
      : null;
    return { checked: true, account, warnings, recommendation };
  } catch (err) {
    const message = redactSecrets(err instanceof Error ? err.message : String(err), [settings.password]);
    return { checked: false, account: null, warnings: [`The account's privileges could not be checked: ${message}`], recommendation: null };
  } finally {
    await conn?.end().catch(() => {});
  }
}
