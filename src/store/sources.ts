import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Engine, TlsMode } from '../connectors/types.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { now, type DB } from './db.js';
import { isUniqueViolation } from './errors.js';
import { PreparedQuery } from './prepared.js';
import { assertSlug } from './orgs.js';

/** Non-secret connection settings; the password lives apart, encrypted. */
export interface SourceConnection {
  /** DSN without password, or a file path. */
  url: string;
  tls?: { mode: TlsMode; ca?: string | undefined } | undefined;
  connectTimeoutMs?: number | undefined;
  poolMax?: number | undefined;
}

/**
 * How a masked column's values leave Sequel: `mask` keeps the shape and hides the rest (`j***@example.com`,
 * `*******1234`), `hash` a keyed, stable digest (per organization, so equal values stay equal: counts and
 * joins on the output still work), `null` nothing. Hiding a column entirely is `hiddenColumns`.
 */
export type MaskMode = 'mask' | 'hash' | 'null';
export const MASK_MODES: readonly MaskMode[] = ['mask', 'hash', 'null'];

export interface ColumnMask {
  /** `schema.table.column`, `table.column` (default schema) or a column name or pattern for every table (`*email*`). */
  column: string;
  mode: MaskMode;
}

/** A member (by email) or an API key (`key:<key id>`) mapped to the database role their queries run as. */
export interface IdentityRole {
  member: string;
  role: string;
}

/** What a credential may do with a source (BRIEF §3). */
export interface SourcePolicy {
  /** Rows returned when the caller does not ask for a number. */
  maxRows: number;
  /** The most rows a caller may ask for. */
  maxRowsCeiling: number;
  /** Cap on the JSON size of returned rows. */
  maxBytes: number;
  statementTimeoutMs: number;
  /** Only these schemas are visible; all user schemas when empty. */
  allowedSchemas: string[];
  /** `schema.table` names hidden from every tool. */
  hiddenTables: string[];
  /**
   * Columns no tool shows or reads: `schema.table.column`, `table.column` (default schema), or a name or
   * pattern for every table (`ssn`, `*email*`). Enforced in run_query and explain_query too (src/governance).
   */
  hiddenColumns: string[];
  /** Columns whose values leave Sequel masked; a statement that uses one other than as a plain output column is refused. */
  maskedColumns: ColumnMask[];
  /**
   * Per-person database identity (PostgreSQL): each mapped member's or key's queries run as their own
   * role (`SET LOCAL ROLE` inside the read-only transaction; the connecting account must be a member of
   * those roles), so the database's grants and row-level security apply.
   */
  identityRoles: IdentityRole[];
  /** Refuse callers with no mapping in `identityRoles` (otherwise they run as the connecting account). */
  identityRequired: boolean;
  /**
   * Whether statements may call functions the database's users defined (stored functions, UDFs, macros).
   * Off by default: the guards cannot see what such a function does, so only built-ins on each engine's
   * read-only allow-list pass.
   */
  allowUserFunctions: boolean;
}

export const DEFAULT_POLICY: SourcePolicy = {
  maxRows: 200,
  maxRowsCeiling: 5000,
  // Sized for a model's context, not for the wire: 28,000 bytes of rows, plus ~0.5 KB of framing and
  // hint, stay under 10,000 tokens at a conservative 3 bytes per token of JSON-heavy text (Claude Code
  // warns above 10,000 tokens of tool output and cuts at 25,000). Measured on the demo by
  // test/mcp/budget.test.ts; README "What a model receives".
  maxBytes: 28_000,
  statementTimeoutMs: 15_000,
  allowedSchemas: [],
  hiddenTables: [],
  hiddenColumns: [],
  maskedColumns: [],
  identityRoles: [],
  identityRequired: false,
  allowUserFunctions: false,
};

export interface SourceRecord {
  id: string;
  org_id: string;
  name: string;
  engine: Engine;
  description: string;
  connection: SourceConnection;
  /** Encrypted secret box (see secrets.ts); never leaves the server. */
  secret: string | null;
  policy: SourcePolicy;
  version: number;
  created_at: string;
  updated_at: string;
}

type Row = DB['sources'];

function toRecord(row: Row): SourceRecord {
  return {
    id: row.id,
    org_id: row.org_id,
    name: row.name,
    engine: row.engine as Engine,
    description: row.description,
    connection: JSON.parse(row.connection) as SourceConnection,
    secret: row.secret,
    policy: { ...DEFAULT_POLICY, ...(JSON.parse(row.policy) as Partial<SourcePolicy>) },
    version: Number(row.version),
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export interface NewSource {
  /** Pre-generated so the secret can be encrypted bound to it. */
  id?: string;
  orgId: string;
  name: string;
  engine: Engine;
  description?: string;
  connection: SourceConnection;
  secret: string | null;
  policy?: Partial<SourcePolicy>;
}

export class Sources {
  /** The org's sources, compiled once: every tool call reads them. */
  private readonly listQuery: PreparedQuery<Row, [string]>;

  constructor(private readonly db: Kysely<DB>) {
    this.listQuery = new PreparedQuery(db, 1, (orgId) => db.selectFrom('sources').selectAll().where('org_id', '=', orgId).orderBy('name'));
  }

  async create(input: NewSource): Promise<SourceRecord> {
    assertSlug(input.name, 'source name');
    const at = now();
    const row: Row = {
      id: input.id ?? randomUUID(),
      org_id: input.orgId,
      name: input.name,
      engine: input.engine,
      description: input.description?.trim() ?? '',
      connection: JSON.stringify(input.connection),
      secret: input.secret,
      policy: JSON.stringify({ ...DEFAULT_POLICY, ...input.policy }),
      version: 1,
      created_at: at,
      updated_at: at,
    };
    try {
      await this.db.insertInto('sources').values(row).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`a source named "${input.name}" already exists in this organization`);
      throw err;
    }
    return toRecord(row);
  }

  async update(
    orgId: string,
    id: string,
    patch: Partial<Pick<NewSource, 'description' | 'connection' | 'secret' | 'policy'>> & { name?: string },
  ): Promise<SourceRecord> {
    const current = await this.get(orgId, id);
    if (!current) throw new NotFoundError('no such source');
    if (patch.name !== undefined) assertSlug(patch.name, 'source name');
    const set: Partial<Row> = { updated_at: now(), version: current.version + 1 };
    if (patch.name !== undefined) set.name = patch.name;
    if (patch.description !== undefined) set.description = patch.description.trim();
    if (patch.connection !== undefined) set.connection = JSON.stringify(patch.connection);
    if (patch.secret !== undefined) set.secret = patch.secret;
    if (patch.policy !== undefined) set.policy = JSON.stringify({ ...current.policy, ...patch.policy });
    try {
      await this.db.updateTable('sources').set(set).where('id', '=', id).where('org_id', '=', orgId).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`a source named "${patch.name}" already exists in this organization`);
      throw err;
    }
    return (await this.get(orgId, id))!;
  }

  async delete(orgId: string, id: string): Promise<void> {
    const r = await this.db.deleteFrom('sources').where('id', '=', id).where('org_id', '=', orgId).executeTakeFirst();
    if (r.numDeletedRows === 0n) throw new NotFoundError('no such source');
  }

  /** A source of this org (never another org's, whatever the id). */
  async get(orgId: string, id: string): Promise<SourceRecord | undefined> {
    const row = await this.db.selectFrom('sources').selectAll().where('id', '=', id).where('org_id', '=', orgId).executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }

  async byName(orgId: string, name: string): Promise<SourceRecord | undefined> {
    const row = await this.db.selectFrom('sources').selectAll().where('org_id', '=', orgId).where('name', '=', name).executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }

  async list(orgId: string): Promise<SourceRecord[]> {
    const rows = await this.listQuery.execute(orgId);
    return rows.map(toRecord);
  }

  /** Every stored encrypted secret, across organizations (for `sequel rotate-server-key`). */
  async allSecrets(): Promise<Array<{ id: string; secret: string }>> {
    const rows = await this.db.selectFrom('sources').select(['id', 'secret']).where('secret', 'is not', null).orderBy('id').execute();
    return rows.map((r) => ({ id: r.id, secret: r.secret! }));
  }

  /**
   * Replaces secrets by the same secret under another key, in one transaction; a row whose secret
   * changed meanwhile is left alone (compare-and-set). Not a new version: what the source connects
   * with is the same. Returns how many rows were replaced.
   */
  async replaceSecrets(changes: Array<{ id: string; from: string; to: string }>): Promise<number> {
    return this.db.transaction().execute(async (tx) => {
      let n = 0;
      for (const c of changes) {
        const r = await tx.updateTable('sources').set({ secret: c.to }).where('id', '=', c.id).where('secret', '=', c.from).executeTakeFirst();
        n += Number(r.numUpdatedRows);
      }
      return n;
    });
  }

  /** Cheap change detection for pool caches: id → version of every source of the org. */
  async versions(orgId: string): Promise<Map<string, number>> {
    const rows = await this.db.selectFrom('sources').select(['id', 'version']).where('org_id', '=', orgId).execute();
    return new Map(rows.map((r) => [r.id, Number(r.version)]));
  }
}
