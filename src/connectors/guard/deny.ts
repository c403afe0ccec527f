/**
 * Deny-lists of functions (or other names) that a read-only guard refuses wherever they appear, shared by
 * the engine guards. A deny-list is one layer among several (BRIEF §3): the read-only session still holds
 * when a name is missing here, so entries target what a read-only transaction does *not* stop (file and
 * network access, locks, sequences, server administration, running SQL given as text) or what only
 * wastes a pooled connection.
 */

export interface DenyGroup {
  /** Why these names are refused, as a clause: "reads or writes files on the database server". */
  reason: string;
  /** Exact names (compared case-insensitively). */
  names?: readonly string[];
  /** Name prefixes (compared case-insensitively): `lo_` covers `lo_import`, `lo_export`… */
  prefixes?: readonly string[];
  /** Patterns tested against the lower-cased name. */
  patterns?: readonly RegExp[];
}

export interface DenyMatch {
  name: string;
  reason: string;
}

export class DenyList {
  private readonly exact = new Map<string, string>();
  private readonly prefixes: Array<[string, string]> = [];
  private readonly patterns: Array<[RegExp, string]> = [];

  constructor(groups: readonly DenyGroup[]) {
    for (const g of groups) {
      for (const n of g.names ?? []) this.exact.set(n.toLowerCase(), g.reason);
      for (const p of g.prefixes ?? []) this.prefixes.push([p.toLowerCase(), g.reason]);
      for (const re of g.patterns ?? []) this.patterns.push([re, g.reason]);
    }
  }

  /** The reason `name` is denied, or undefined. Case-insensitive: quoting a name must not get it through. */
  match(name: string): DenyMatch | undefined {
    const n = name.toLowerCase();
    const exact = this.exact.get(n);
    if (exact) return { name: n, reason: exact };
    for (const [p, reason] of this.prefixes) if (n.startsWith(p)) return { name: n, reason };
    for (const [re, reason] of this.patterns) if (re.test(n)) return { name: n, reason };
    return undefined;
  }
}

/** "Statement type names" for messages: `CreateTableAsStmt` → `CREATE TABLE AS`. */
export function statementLabel(nodeType: string): string {
  return nodeType
    .replace(/Stmt$/, '')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toUpperCase();
}
