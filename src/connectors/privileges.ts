/**
 * The least-privilege check (README, "Least-privilege roles"): does the account a source connects with
 * hold more than it needs to read? Sequel never writes (the read-only layers hold on their own), but an
 * account that can write turns any future escape into damage, so the dashboard and the CLI warn, with the
 * exact role to create instead. Engine specifics live in `./<engine>/privileges.ts`, loaded lazily like
 * the connectors.
 */
import { errorMessage } from '../errors.js';
import { redactSecrets } from './dsn.js';
import type { ConnectionConfig, Engine } from './types.js';

export interface PrivilegeReport {
  /** False when the check itself could not run (then `warnings` says why). */
  checked: boolean;
  /** The account, as the database names it (`reader`, `'reader'@'%'`); null for file engines. */
  account: string | null;
  /** One sentence per excess privilege; empty when the account only reads. */
  warnings: string[];
  /** The SQL to create a read-only account instead (null when nothing to suggest). */
  recommendation: string | null;
}

export type PrivilegeChecker = (config: ConnectionConfig) => Promise<PrivilegeReport>;

const MODULES: Partial<Record<Engine, string>> = {
  postgres: './postgres/privileges.js',
  mysql: './mysql/privileges.js',
};

/** Checks the account's privileges; never throws (a failed check is a report that says so). */
export async function checkPrivileges(engine: Engine, config: ConnectionConfig): Promise<PrivilegeReport> {
  const mod = MODULES[engine];
  if (!mod) {
    // SQLite and DuckDB files are opened read-only by the connector; file permissions are the OS's.
    return { checked: true, account: null, warnings: [], recommendation: null };
  }
  try {
    const { checkAccount } = (await import(/* @vite-ignore */ mod)) as { checkAccount: PrivilegeChecker };
    return await checkAccount(config);
  } catch (err) {
    return {
      checked: false,
      account: null,
      warnings: [`The account's privileges could not be checked: ${redactSecrets(errorMessage(err), [config.password])}`],
      recommendation: null,
    };
  }
}

/** An SQL identifier in double quotes (PostgreSQL) when it needs them. */
export function pgIdent(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

export function mysqlIdent(name: string): string {
  return '`' + name.replace(/`/g, '``') + '`';
}
