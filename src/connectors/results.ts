import { ToolError } from '../errors.js';
import type { ColumnMeta, JsonValue, QueryResult } from './types.js';

/**
 * Collects encoded rows under the row cap and the byte cap. Connectors stream rows into it and stop
 * reading from the database as soon as `push` returns false, so memory stays bounded by the caps, not
 * by the size of the table.
 *
 * Truncation is detected with one probe row: the connector reads up to `maxRows + 1` rows and the
 * extra row, if it arrives, is never returned, it only proves there was more (BRIEF §3 "Results").
 */
export class ResultCollector {
  readonly rows: JsonValue[][] = [];
  private bytes = 2; // the enclosing "[]"
  private stoppedBy: 'max_rows' | 'max_bytes' | undefined;

  constructor(
    readonly maxRows: number,
    readonly maxBytes: number,
  ) {
    if (!Number.isInteger(maxRows) || maxRows < 0) throw new RangeError('maxRows must be a non-negative integer');
    if (!Number.isInteger(maxBytes) || maxBytes <= 0) throw new RangeError('maxBytes must be a positive integer');
  }

  /** The number of rows a connector should ask the database for: the cap plus one probe row. */
  get fetchLimit(): number {
    return this.maxRows + 1;
  }

  /** True once no further row will be accepted. */
  get done(): boolean {
    return this.stoppedBy !== undefined;
  }

  /**
   * Offers one encoded row. Returns false when the caller must stop reading (a cap was reached);
   * the row that proved truncation is not kept.
   */
  push(row: JsonValue[]): boolean {
    if (this.stoppedBy) return false;
    if (this.rows.length >= this.maxRows) {
      this.stoppedBy = 'max_rows';
      return false;
    }
    // +1 for the comma between rows.
    const size = Buffer.byteLength(JSON.stringify(row)) + (this.rows.length > 0 ? 1 : 0);
    if (this.bytes + size > this.maxBytes) {
      if (this.rows.length === 0) {
        throw new ToolError(
          'RESULT_TOO_LARGE',
          `A single row is larger than this source's result cap of ${this.maxBytes} bytes; select fewer or narrower columns (e.g. substr() long text).`,
        );
      }
      this.stoppedBy = 'max_bytes';
      return false;
    }
    this.bytes += size;
    this.rows.push(row);
    return true;
  }

  finish(columns: ColumnMeta[]): QueryResult {
    return {
      columns,
      rows: this.rows,
      rowCount: this.rows.length,
      truncated: this.stoppedBy !== undefined,
      truncatedBy: this.stoppedBy,
      bytes: this.bytes,
    };
  }
}
