import type { Kysely } from 'kysely';
import { ValidationError } from '../errors.js';
import { now, type DB } from './db.js';

/** An org-written description of a table (column null) or a column. */
export interface Description {
  schema: string;
  table: string;
  column: string | null;
  description: string;
}

export class Descriptions {
  constructor(private readonly db: Kysely<DB>) {}

  /** Sets (or, with an empty text, removes) a description. */
  async set(sourceId: string, d: Description, updatedBy: string | null = null): Promise<void> {
    const text = d.description.trim();
    if (text.length > 4000) throw new ValidationError('a description is at most 4000 characters');
    const key = { source_id: sourceId, schema_name: d.schema, table_name: d.table, column_name: d.column ?? '' };
    if (!text) {
      await this.db
        .deleteFrom('descriptions')
        .where('source_id', '=', key.source_id)
        .where('schema_name', '=', key.schema_name)
        .where('table_name', '=', key.table_name)
        .where('column_name', '=', key.column_name)
        .execute();
      return;
    }
    await this.db
      .insertInto('descriptions')
      .values({ ...key, description: text, updated_by: updatedBy, updated_at: now() })
      .onConflict((oc) =>
        oc.columns(['source_id', 'schema_name', 'table_name', 'column_name']).doUpdateSet({ description: text, updated_by: updatedBy, updated_at: now() }),
      )
      .execute();
  }

  async forSource(sourceId: string): Promise<Description[]> {
    const rows = await this.db
      .selectFrom('descriptions')
      .select(['schema_name', 'table_name', 'column_name', 'description'])
      .where('source_id', '=', sourceId)
      .execute();
    return rows.map((r) => ({ schema: r.schema_name, table: r.table_name, column: r.column_name || null, description: r.description }));
  }
}
