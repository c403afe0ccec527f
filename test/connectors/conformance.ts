/**
 * The shared connector conformance suite: what every engine's `Connector` must do, checked against the
 * standard dataset of its fixture (fixture.ts). Each engine's test file calls
 * `describeConnectorConformance(fixture)`; everything here is engine-neutral SQL, with the engine's own
 * placeholder syntax and slow query taken from the fixture.
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { createConnector } from '../../src/connectors/index.js';
import type { Connector, QueryOptions } from '../../src/connectors/types.js';
import { isToolError, type ToolError, type ToolErrorCode } from '../../src/errors.js';
import type { EngineFixture, FixtureDatabase } from './fixture.js';

/** The product's defaults (BRIEF §3): 200 rows, 256 KiB, 15 s. */
export const DEFAULT_CAPS: QueryOptions = { maxRows: 200, maxBytes: 256 * 1024, timeoutMs: 15_000 };

/** Awaits a promise that must fail with a ToolError carrying one of `codes`; returns the error. */
export async function expectToolError(p: Promise<unknown>, codes: ToolErrorCode | readonly ToolErrorCode[], label = ''): Promise<ToolError> {
  const wanted = typeof codes === 'string' ? [codes] : codes;
  let err: unknown;
  try {
    const value = await p;
    err = new Error(`expected a ToolError ${wanted.join('|')} but the call succeeded: ${JSON.stringify(value)?.slice(0, 300)}`);
  } catch (e) {
    err = e;
  }
  if (!isToolError(err)) throw new Error(`${label ? label + ': ' : ''}expected ToolError ${wanted.join('|')}, got ${String(err instanceof Error ? err.stack : err)}`);
  expect(wanted, `${label} (${err.code}: ${err.message})`).toContain(err.code);
  return err;
}

/** Polls `fn` until it returns true, or fails after `ms` (generous: a loaded 2-core machine). */
export async function eventually(fn: () => Promise<boolean>, ms = 15_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const str = (v: unknown) => String(v);

export function describeConnectorConformance(fixture: EngineFixture): void {
  describe(`connector conformance: ${fixture.engine}`, () => {
    let up = false;
    let db: FixtureDatabase | undefined;
    let connector: Connector;
    const p = (n: number) => fixture.placeholder(n);

    beforeAll(async () => {
      up = await fixture.available();
      if (!up) return;
      db = await fixture.create();
      connector = await createConnector(fixture.engine, db.config);
    });

    afterAll(async () => {
      await connector?.close();
      await db?.destroy();
    });

    /** A test that is skipped (loudly, by `available()`) when the engine's server is missing. */
    const test = (name: string, fn: (ctx: TestContext) => Promise<void>, timeout?: number) =>
      it(
        name,
        async (ctx) => {
          if (!up) ctx.skip();
          await fn(ctx);
        },
        timeout,
      );

    test('ping answers with a version', async () => {
      const { version } = await connector.ping();
      expect(typeof version).toBe('string');
      expect(version.length).toBeGreaterThan(0);
    });

    test('introspect finds the standard tables, view, keys, index and comments', async () => {
      const catalog = await connector.introspect();
      const find = (name: string) => catalog.tables.find((t) => t.name === name && t.schema === catalog.defaultSchema);
      const customers = find('customers');
      const orders = find('orders');
      const totals = find('order_totals');
      const numbers = find('numbers');
      expect(customers?.kind).toBe('table');
      expect(orders?.kind).toBe('table');
      expect(numbers?.kind).toBe('table');
      expect(totals?.kind).toBe('view');
      expect(customers!.columns.map((c) => c.name)).toEqual(['id', 'name', 'email', 'created_at']);
      const col = (t: typeof customers, n: string) => t!.columns.find((c) => c.name === n)!;
      expect(col(customers, 'id').primaryKey).toBe(true);
      expect(col(customers, 'name').primaryKey).toBe(false);
      expect(col(customers, 'name').nullable).toBe(false);
      expect(col(customers, 'email').nullable).toBe(true);
      expect(col(customers, 'id').type.length).toBeGreaterThan(0);
      expect(col(orders, 'customer_id').references).toEqual({ schema: catalog.defaultSchema, table: 'customers', column: 'id' });
      expect(col(orders, 'id').references).toBeNull();
      const idx = orders!.indexes.find((i) => i.name === 'orders_customer_idx');
      expect(idx).toMatchObject({ columns: ['customer_id'], unique: false, primary: false });
      expect(customers!.indexes.some((i) => i.unique && i.columns.length === 1 && i.columns[0] === 'email')).toBe(true);
      expect(totals!.columns.map((c) => c.name)).toEqual(['customer_id', 'n', 'total']);
      if (fixture.capabilities.comments) {
        expect(customers!.comment).toBe('People who buy things');
        expect(col(customers, 'email').comment).toBe('Primary contact address');
        expect(col(customers, 'name').comment).toBeNull();
      }
      if (fixture.capabilities.rowEstimates) {
        expect(numbers!.rowEstimate).toBeGreaterThan(100_000);
        expect(numbers!.rowEstimate).toBeLessThan(400_000);
      }
      expect(totals!.rowEstimate).toBeNull();
    });

    test('introspect honours the schema filter', async () => {
      const catalog = await connector.introspect();
      const only = await connector.introspect({ schemas: [catalog.defaultSchema] });
      expect(only.tables.map((t) => t.name)).toEqual(expect.arrayContaining(['customers', 'orders', 'order_totals', 'numbers']));
      expect(only.tables.every((t) => t.schema === catalog.defaultSchema)).toBe(true);
      if (fixture.capabilities.schemas) {
        const none = await connector.introspect({ schemas: ['no_such_schema_sequel'] });
        expect(none.tables).toEqual([]);
      }
    });

    test('queries with positional parameters', async () => {
      const r = await connector.query(`SELECT name FROM customers WHERE id = ${p(1)}`, [2], DEFAULT_CAPS);
      expect(r.rows).toEqual([['Grace']]);
      const s = await connector.query(`SELECT id FROM customers WHERE name = ${p(1)} OR name = ${p(2)} ORDER BY id`, ['Linus', 'Ada'], DEFAULT_CAPS);
      expect(s.rows.map((row) => str(row[0]))).toEqual(['1', '3']);
    });

    test('parameters are bound, never spliced into the SQL', async () => {
      const before = await db!.checksum();
      const r = await connector.query(`SELECT id FROM customers WHERE name = ${p(1)}`, ["x'; DROP TABLE customers; --"], DEFAULT_CAPS);
      expect(r.rows).toEqual([]);
      const c = await connector.query('SELECT COUNT(*) FROM customers', [], DEFAULT_CAPS);
      expect(str(c.rows[0]![0])).toBe('3');
      expect(await db!.checksum()).toBe(before);
    });

    test('columns carry names and types', async () => {
      const r = await connector.query('SELECT id, name, email FROM customers ORDER BY id', [], DEFAULT_CAPS);
      expect(r.columns.map((c) => c.name)).toEqual(['id', 'name', 'email']);
      for (const c of r.columns) expect(c.type.length).toBeGreaterThan(0);
      expect(r.rows).toHaveLength(3);
      expect(r.rows[2]![2]).toBeNull();
      expect(r.rowCount).toBe(3);
      expect(r.truncated).toBe(false);
      expect(r.truncatedBy).toBeUndefined();
      expect(r.bytes).toBe(Buffer.byteLength(JSON.stringify(r.rows)));
    });

    test('stops at max_rows with a probe row: 200 of 200,000, truncated', async () => {
      const r = await connector.query('SELECT n FROM numbers ORDER BY n', [], DEFAULT_CAPS);
      expect(r.rows).toHaveLength(200);
      expect(r.rowCount).toBe(200);
      expect(r.truncated).toBe(true);
      expect(r.truncatedBy).toBe('max_rows');
      expect(str(r.rows[0]![0])).toBe('1');
      expect(str(r.rows[199]![0])).toBe('200');
      const star = await connector.query('SELECT * FROM numbers', [], DEFAULT_CAPS);
      expect(star).toMatchObject({ rowCount: 200, truncated: true, truncatedBy: 'max_rows' });
    });

    test('exactly max_rows rows is not truncated; one more is', async () => {
      const exact = await connector.query('SELECT id FROM customers ORDER BY id', [], { ...DEFAULT_CAPS, maxRows: 3 });
      expect(exact).toMatchObject({ rowCount: 3, truncated: false });
      const over = await connector.query('SELECT id FROM customers ORDER BY id', [], { ...DEFAULT_CAPS, maxRows: 2 });
      expect(over).toMatchObject({ rowCount: 2, truncated: true, truncatedBy: 'max_rows' });
      const zero = await connector.query('SELECT id FROM customers WHERE id > 100', [], { ...DEFAULT_CAPS, maxRows: 0 });
      expect(zero).toMatchObject({ rowCount: 0, truncated: false });
    });

    test('stops at the byte cap', async () => {
      const r = await connector.query('SELECT n FROM numbers ORDER BY n', [], { ...DEFAULT_CAPS, maxRows: 100_000, maxBytes: 1_000 });
      expect(r.truncated).toBe(true);
      expect(r.truncatedBy).toBe('max_bytes');
      expect(r.rowCount).toBeGreaterThan(10);
      expect(r.rowCount).toBeLessThan(1_000);
      expect(r.bytes).toBeLessThanOrEqual(1_000);
      expect(Buffer.byteLength(JSON.stringify(r.rows))).toBe(r.bytes);
    });

    test('a single row over the byte cap is RESULT_TOO_LARGE', async () => {
      await expectToolError(connector.query('SELECT name, email FROM customers ORDER BY id', [], { ...DEFAULT_CAPS, maxBytes: 5 }), 'RESULT_TOO_LARGE');
    });

    test('decimals are exact strings', async (ctx) => {
      if (fixture.capabilities.exactDecimals === false) ctx.skip();
      const r = await connector.query('SELECT total FROM orders ORDER BY id', [], DEFAULT_CAPS);
      expect(r.rows).toHaveLength(5);
      for (const [v] of r.rows) expect(v).toMatch(/^-?\d+\.\d{2}$/);
      const sum = await connector.query('SELECT SUM(total) FROM orders', [], DEFAULT_CAPS);
      expect(sum.rows[0]![0]).toMatch(/^\d+\.\d{2}$/);
    });

    test('64-bit integers beyond 2^53 are exact', async () => {
      const r = await connector.query('SELECT n + 9007199254740000 AS big FROM numbers WHERE n = 993', [], DEFAULT_CAPS);
      expect(r.rows).toEqual([['9007199254740993']]);
    });

    test('an empty result keeps its columns', async () => {
      const r = await connector.query('SELECT id, name FROM customers WHERE id < 0', [], DEFAULT_CAPS);
      expect(r.rows).toEqual([]);
      expect(r.columns.map((c) => c.name)).toEqual(['id', 'name']);
      expect(r).toMatchObject({ rowCount: 0, truncated: false });
    });

    test('a syntax error is SYNTAX_ERROR', async () => {
      await expectToolError(connector.query('SELEC * FROM customers', [], DEFAULT_CAPS), 'SYNTAX_ERROR');
    });

    test('an undefined table is QUERY_ERROR naming it', async () => {
      const err = await expectToolError(connector.query('SELECT * FROM no_such_table', [], DEFAULT_CAPS), 'QUERY_ERROR');
      expect(err.message).toContain('no_such_table');
    });

    test('writes are NOT_READ_ONLY and change nothing', async () => {
      const before = await db!.checksum();
      for (const sql of [
        "INSERT INTO customers (id, name) VALUES (99, 'Mallory')",
        "UPDATE customers SET name = 'Mallory'",
        'DELETE FROM orders',
        'DROP TABLE numbers',
        'CREATE TABLE evil (id integer)',
      ]) {
        await expectToolError(connector.query(sql, [], DEFAULT_CAPS), 'NOT_READ_ONLY', sql);
      }
      expect(await db!.checksum()).toBe(before);
    });

    test('explain returns a plan without executing the statement', async () => {
      const before = await db!.checksum();
      const plan = await connector.explain('SELECT c.name, o.total FROM customers c JOIN orders o ON o.customer_id = c.id', [], { timeoutMs: 10_000 });
      expect(plan.plan.trim().length).toBeGreaterThan(0);
      // The slow query would run for far longer than this timeout if it were executed.
      const slow = await connector.explain(fixture.slowQuery, [], { timeoutMs: 3_000 });
      expect(slow.plan.trim().length).toBeGreaterThan(0);
      await expectToolError(connector.explain('DELETE FROM customers', [], { timeoutMs: 10_000 }), 'NOT_READ_ONLY');
      expect(await db!.checksum()).toBe(before);
    });

    test('a statement past its timeout is QUERY_TIMEOUT, and its work stops', async () => {
      const marker = `sequel_timeout_${Date.now()}`;
      const started = Date.now();
      await expectToolError(connector.query(`/* ${marker} */ ${fixture.slowQuery}`, [], { ...DEFAULT_CAPS, timeoutMs: 500 }), 'QUERY_TIMEOUT');
      const elapsed = Date.now() - started;
      console.log(`[${fixture.engine}] timeout of 500 ms answered after ${elapsed} ms`);
      if (fixture.capabilities.processList && db!.running) {
        await eventually(async () => (await db!.running!(marker)) === 0, 15_000, 'the timed-out statement to be gone');
      }
    });

    test('an abort signal cancels the statement on the server', async () => {
      const marker = `sequel_abort_${Date.now()}`;
      const ac = new AbortController();
      const call = connector.query(`/* ${marker} */ ${fixture.slowQuery}`, [], { ...DEFAULT_CAPS, timeoutMs: 60_000, signal: ac.signal });
      const settled = call.catch((e: unknown) => e);
      if (fixture.capabilities.processList && db!.running) {
        await eventually(async () => (await db!.running!(marker)) > 0, 15_000, 'the statement to start');
      } else {
        await new Promise((r) => setTimeout(r, 300));
      }
      const abortedAt = Date.now();
      ac.abort();
      await expectToolError(call, 'QUERY_TIMEOUT');
      await settled;
      console.log(`[${fixture.engine}] abort answered after ${Date.now() - abortedAt} ms`);
      if (fixture.capabilities.processList && db!.running) {
        await eventually(async () => (await db!.running!(marker)) === 0, 15_000, 'the aborted statement to be gone');
      }
      // An already-aborted signal never reaches the database.
      await expectToolError(connector.query('SELECT 1', [], { ...DEFAULT_CAPS, signal: AbortSignal.abort() }), 'QUERY_TIMEOUT');
      // The connector keeps serving.
      const r = await connector.query('SELECT COUNT(*) FROM customers', [], DEFAULT_CAPS);
      expect(str(r.rows[0]![0])).toBe('3');
    });

    test('concurrent queries up to (and beyond) the pool size all succeed', async () => {
      const n = db!.config.poolMax * 2;
      const results = await Promise.all(
        Array.from({ length: n }, (_, i) => connector.query(`SELECT COUNT(*) FROM numbers WHERE n > ${p(1)}`, [i], DEFAULT_CAPS)),
      );
      results.forEach((r, i) => expect(str(r.rows[0]![0])).toBe(String(200_000 - i)));
    });

    test('close() is idempotent and later calls fail cleanly', async () => {
      const other = await createConnector(fixture.engine, db!.config);
      const r = await other.query('SELECT COUNT(*) FROM customers', [], DEFAULT_CAPS);
      expect(str(r.rows[0]![0])).toBe('3');
      await other.close();
      await other.close();
      await expectToolError(other.query('SELECT 1', [], DEFAULT_CAPS), 'SOURCE_UNAVAILABLE');
      await expectToolError(other.ping(), 'SOURCE_UNAVAILABLE');
      // Closing one connector leaves another on the same database alone.
      const again = await connector.query('SELECT COUNT(*) FROM customers', [], DEFAULT_CAPS);
      expect(str(again.rows[0]![0])).toBe('3');
    });

    test('an unreachable source is SOURCE_UNAVAILABLE', async () => {
      const gone = await createConnector(fixture.engine, fixture.unreachable());
      try {
        await expectToolError(gone.ping(), 'SOURCE_UNAVAILABLE', 'ping');
        await expectToolError(gone.query('SELECT 1', [], DEFAULT_CAPS), 'SOURCE_UNAVAILABLE', 'query');
        await expectToolError(gone.introspect(), 'SOURCE_UNAVAILABLE', 'introspect');
      } finally {
        await gone.close();
      }
    });

    test('reading SELECT * FROM numbers again and again keeps memory flat', async () => {
      v8.setFlagsFromString('--expose-gc');
      const gc = vm.runInNewContext('gc') as () => void;
      await connector.query('SELECT * FROM numbers', [], DEFAULT_CAPS);
      gc();
      const baseline = process.memoryUsage().heapUsed;
      let peak = 0;
      const started = performance.now();
      const rounds = 20;
      for (let i = 0; i < rounds; i++) {
        const r = await connector.query('SELECT * FROM numbers', [], { ...DEFAULT_CAPS, maxRows: i % 2 ? 200 : 1_000_000 });
        expect(r.truncated).toBe(true);
        expect(r.bytes).toBeLessThanOrEqual(DEFAULT_CAPS.maxBytes);
        peak = Math.max(peak, process.memoryUsage().heapUsed - baseline);
      }
      const perCall = (performance.now() - started) / rounds;
      gc();
      const after = process.memoryUsage().heapUsed - baseline;
      console.log(`[${fixture.engine}] SELECT * FROM numbers (200k rows) within the caps: ${perCall.toFixed(1)} ms per call, heap +${(after / 1e6).toFixed(1)} MB after, peak +${(peak / 1e6).toFixed(1)} MB`);
      // 200,000 rows held as JS values would be well over 10 MB per call; the caps keep each answer to 256 KiB.
      expect(after).toBeLessThan(16 * 1024 * 1024);
      expect(peak).toBeLessThan(96 * 1024 * 1024);
    }, 60_000);
  });
}
