/**
 * Column type names and value converters for result columns, by type OID.
 *
 * Built-in types are known statically (`values.ts`). Anything else — a type modifier to print
 * (`numeric(12,2)`), an enum, a domain, an extension type, an array of those — is looked up once per
 * connector with `format_type()` and `pg_type`, and cached. The look-up has to run after the rows were
 * read (the column types are only known once the statement's row description arrives, and the connection
 * is busy streaming until then), so values of not-yet-known types are kept as text during streaming and
 * converted afterwards (`PgTypeCache.resolve`).
 */
import type pg from 'pg';
import { builtinConverter, builtinTypeName, arrayOf, textConverter, type Converter } from './values.js';

export interface FieldInfo {
  name: string;
  dataTypeID: number;
  dataTypeModifier: number;
}

interface TypeRow {
  oid: string;
  typmod: string;
  name: string | null;
  typtype: string | null;
  typcategory: string | null;
  typelem: string | null;
  elemdelim: string | null;
  typbasetype: string | null;
}

const LOOKUP = `
  select x.o::int8::text as oid, x.m::text as typmod, format_type(x.o, x.m) as name, t.typtype::text as typtype,
         t.typcategory::text as typcategory, t.typelem::int8::text as typelem, e.typdelim::text as elemdelim,
         t.typbasetype::int8::text as typbasetype
  from unnest($1::oid[], $2::int4[]) as x(o, m)
  left join pg_catalog.pg_type t on t.oid = x.o
  left join pg_catalog.pg_type e on e.oid = t.typelem`;

/** Bounds the cache: OIDs are per database and types rarely churn, but nothing should grow without end. */
const MAX_ENTRIES = 5_000;

export class PgTypeCache {
  private readonly names = new Map<string, string>();
  private readonly converters = new Map<number, Converter>();

  typeName(oid: number, typmod: number): string | undefined {
    return builtinTypeName(oid, typmod) ?? this.names.get(`${oid}:${typmod}`);
  }

  converter(oid: number): Converter | undefined {
    return builtinConverter(oid) ?? this.converters.get(oid);
  }

  /** True when every field's name and converter are known without a look-up. */
  knows(fields: readonly FieldInfo[]): boolean {
    return fields.every((f) => this.typeName(f.dataTypeID, f.dataTypeModifier) !== undefined && this.converter(f.dataTypeID) !== undefined);
  }

  /**
   * Looks up what `fields` need, on `client` (inside the caller's read-only transaction). Domains resolve
   * to their base type's converter and arrays to their element's, over a few rounds for nested cases.
   */
  async resolve(client: pg.ClientBase, fields: readonly FieldInfo[]): Promise<void> {
    let wanted = new Map<string, [number, number]>();
    for (const f of fields) {
      if (this.typeName(f.dataTypeID, f.dataTypeModifier) === undefined || this.converter(f.dataTypeID) === undefined) {
        wanted.set(`${f.dataTypeID}:${f.dataTypeModifier}`, [f.dataTypeID, f.dataTypeModifier]);
      }
    }
    // Rows whose converter depends on another type (domain → base, array → element) wait for it.
    const pending = new Map<number, TypeRow>();
    for (let round = 0; round < 4 && wanted.size > 0; round++) {
      const list = [...wanted.values()];
      const res = await client.query<TypeRow>({
        text: LOOKUP,
        values: [list.map(([o]) => o), list.map(([, m]) => m)],
      });
      wanted = new Map();
      for (const row of res.rows) {
        const oid = Number(row.oid);
        if (row.name !== null) this.names.set(`${oid}:${row.typmod}`, row.name);
        if (this.converter(oid) === undefined) pending.set(oid, row);
      }
      // Settle what can be settled; ask for the base and element types that are still unknown.
      for (let changed = true; changed; ) {
        changed = false;
        for (const [oid, row] of pending) {
          const dep = dependency(row);
          if (dep === 0) {
            this.converters.set(oid, textConverter);
          } else {
            const inner = this.converter(dep);
            if (inner === undefined) continue;
            this.converters.set(oid, row.typtype === 'd' ? inner : arrayOf(inner, row.elemdelim ?? ','));
          }
          pending.delete(oid);
          changed = true;
        }
      }
      for (const row of pending.values()) {
        const dep = dependency(row);
        wanted.set(`${dep}:-1`, [dep, -1]);
      }
    }
    // Whatever is still unresolved (a chain deeper than the rounds allow) stays text.
    for (const oid of pending.keys()) this.converters.set(oid, textConverter);
    if (this.names.size > MAX_ENTRIES) this.names.clear();
    if (this.converters.size > MAX_ENTRIES) this.converters.clear();
  }
}

/** The type a looked-up type's converter depends on: a domain's base, an array's element, or 0. */
function dependency(row: TypeRow): number {
  if (row.typtype === 'd' && row.typbasetype) return Number(row.typbasetype);
  if (row.typcategory === 'A' && row.typelem && row.typelem !== '0') return Number(row.typelem);
  return 0;
}
