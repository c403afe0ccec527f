import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEMO_DESCRIPTIONS, DEMO_SOURCE } from '../src/demo/descriptions.js';
import { ensureDemoDatabase } from '../src/demo/generate.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sequel-demo-'));
const file = path.join(dir, 'data', 'demo.sqlite'); // a missing parent directory is created
let db: Database.Database;

beforeAll(async () => {
  expect(await ensureDemoDatabase(file)).toEqual({ created: true });
  db = new Database(file, { readonly: true, fileMustExist: true });
});
afterAll(() => {
  db?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const count = (sql: string): number => db.prepare(sql).pluck().get() as number;

/** Every table's rows, in primary-key order, hashed per table. */
function digest(file: string): Record<string, string> {
  const d = new Database(file, { readonly: true });
  try {
    const tables = d.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all() as string[];
    return Object.fromEntries(
      tables.map((t) => {
        const hash = createHash('sha256');
        // sqlite_stat tables have no rowid alias but are rowid tables, so rowid order is their insertion order.
        for (const row of d.prepare(`SELECT * FROM "${t}" ORDER BY rowid`).raw().iterate()) hash.update(JSON.stringify(row, (_, v) => (Buffer.isBuffer(v) ? v.toString('hex') : v)));
        return [t, hash.digest('hex')];
      }),
    );
  } finally {
    d.close();
  }
}

describe('ensureDemoDatabase', () => {
  it('leaves one self-contained file and no temporary files behind', () => {
    expect(fs.readdirSync(path.dirname(file))).toEqual(['demo.sqlite']);
    // Header byte 18 is the file-format write version: 1 = rollback journal, 2 = WAL (needs -wal/-shm files).
    expect(fs.readFileSync(file).subarray(18, 20)).toEqual(Buffer.from([1, 1]));
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  });

  it('is idempotent: a second call reports created: false and leaves the file untouched', async () => {
    const before = fs.statSync(file);
    const bytes = fs.readFileSync(file);
    expect(await ensureDemoDatabase(file)).toEqual({ created: false });
    const after = fs.statSync(file);
    expect(after.mtimeMs).toBe(before.mtimeMs);
    expect(after.ino).toBe(before.ino);
    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
  });

  it('is deterministic: two fresh generations hold identical rows in every table', async () => {
    const other = path.join(dir, 'again', 'demo.sqlite');
    // A fresh copy of the modules, so state computed at import time (a clock, a random seed) is computed anew.
    await new Promise((resolve) => setTimeout(resolve, 5));
    vi.resetModules();
    const fresh = await import('../src/demo/generate.js');
    expect(fresh.ensureDemoDatabase).not.toBe(ensureDemoDatabase);
    expect(await fresh.ensureDemoDatabase(other)).toEqual({ created: true });
    const [a, b] = [digest(file), digest(other)];
    expect(Object.keys(a)).toEqual(expect.arrayContaining(['customers', 'products', 'orders', 'order_items', 'payments', 'support_tickets', 'marketing_campaigns', 'sqlite_stat1']));
    expect(b).toEqual(a);
  });

  it('replaces a temporary file left by a crashed process that had the same pid', async () => {
    const target = path.join(dir, 'crashed', 'demo.sqlite');
    fs.mkdirSync(path.dirname(target));
    fs.writeFileSync(`${target}.tmp-${process.pid}`, 'half-written garbage');
    expect(await ensureDemoDatabase(target)).toEqual({ created: true });
    expect(fs.readdirSync(path.dirname(target))).toEqual(['demo.sqlite']);
  });

  it('refuses a path that exists but is not a file', async () => {
    const target = path.join(dir, 'a-directory.sqlite');
    fs.mkdirSync(target);
    await expect(ensureDemoDatabase(target)).rejects.toThrow(/not a file/);
  });

  it('does not leave a temporary file when it cannot write', async () => {
    const blocker = path.join(dir, 'not-a-dir');
    fs.writeFileSync(blocker, '');
    await expect(ensureDemoDatabase(path.join(blocker, 'demo.sqlite'))).rejects.toThrow();
    const readOnlyDir = path.join(dir, 'read-only');
    fs.mkdirSync(readOnlyDir, { mode: 0o500 });
    if (process.getuid?.() !== 0) {
      // root ignores directory permissions, so this half only means something for ordinary users
      await expect(ensureDemoDatabase(path.join(readOnlyDir, 'demo.sqlite'))).rejects.toThrow();
      expect(fs.readdirSync(readOnlyDir)).toEqual([]);
    }
  });
});

describe('the demo data', () => {
  it('has the intended size', () => {
    const n = (t: string): number => count(`SELECT count(*) FROM ${t}`);
    expect(n('customers')).toBe(2000);
    expect(n('products')).toBeGreaterThanOrEqual(150);
    expect(n('products')).toBeLessThanOrEqual(250);
    expect(n('orders')).toBeGreaterThanOrEqual(9000);
    expect(n('orders')).toBeLessThanOrEqual(11000);
    expect(n('order_items')).toBeGreaterThanOrEqual(22000);
    expect(n('order_items')).toBeLessThanOrEqual(28000);
    expect(n('payments')).toBeGreaterThanOrEqual(n('orders'));
    expect(n('support_tickets')).toBeGreaterThanOrEqual(800);
    expect(n('marketing_campaigns')).toBeGreaterThanOrEqual(10);
  });

  it('satisfies every foreign key and declares them', () => {
    expect(db.prepare('PRAGMA foreign_key_check').all()).toEqual([]);
    const fks = (t: string): string[] => (db.prepare('SELECT "table" FROM pragma_foreign_key_list(?)').pluck().all(t) as string[]).sort();
    expect(fks('orders')).toEqual(['customers', 'marketing_campaigns']);
    expect(fks('order_items')).toEqual(['orders', 'products']);
    expect(fks('payments')).toEqual(['orders']);
    expect(fks('support_tickets')).toEqual(['customers', 'orders']);
  });

  it('has row estimates from ANALYZE', () => {
    const stat = db.prepare("SELECT stat FROM sqlite_stat1 WHERE tbl = 'orders' AND idx = 'orders_customer_id_idx'").pluck().get() as string;
    expect(Number(stat.split(' ')[0])).toBe(count('SELECT count(*) FROM orders'));
  });

  it('keeps money consistent: order totals add up from their lines, paid orders have a payment of that amount', () => {
    expect(count(`SELECT count(*) FROM orders WHERE total_cents <> subtotal_cents - discount_cents + shipping_cents`)).toBe(0);
    expect(
      count(`SELECT count(*) FROM orders o WHERE subtotal_cents <> (SELECT sum(quantity * unit_price_cents) FROM order_items i WHERE i.order_id = o.order_id)`),
    ).toBe(0);
    expect(
      count(`SELECT count(*) FROM orders o WHERE status IN ('paid', 'shipped', 'delivered')
               AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.order_id = o.order_id AND p.status = 'succeeded' AND p.amount_cents = o.total_cents)`),
    ).toBe(0);
    expect(count(`SELECT count(*) FROM orders o WHERE status = 'refunded' AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.order_id = o.order_id AND p.status = 'refunded')`)).toBe(0);
  });

  it('keeps time consistent: ISO 8601 UTC text, within the history, in causal order', () => {
    expect(count(`SELECT count(*) FROM orders WHERE ordered_at NOT GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]Z'`)).toBe(0);
    expect(db.prepare('SELECT min(ordered_at), max(ordered_at) FROM orders').raw().get()).toEqual([
      expect.stringMatching(/^2024-11-01T/),
      expect.stringMatching(/^2026-10-31T/),
    ]);
    expect(count(`SELECT count(*) FROM orders o JOIN customers c USING (customer_id) WHERE substr(o.ordered_at, 1, 10) < c.signup_date`)).toBe(0);
    expect(count(`SELECT count(*) FROM orders WHERE shipped_at <= ordered_at OR delivered_at <= shipped_at`)).toBe(0);
    expect(count(`SELECT count(*) FROM orders WHERE (status IN ('shipped', 'delivered', 'refunded')) <> (shipped_at IS NOT NULL)`)).toBe(0);
    expect(count(`SELECT count(*) FROM orders WHERE (status IN ('delivered', 'refunded')) <> (delivered_at IS NOT NULL)`)).toBe(0);
    expect(count(`SELECT count(*) FROM order_items i JOIN orders o USING (order_id) JOIN products p USING (product_id) WHERE substr(o.ordered_at, 1, 10) < p.launched_on OR substr(o.ordered_at, 1, 10) >= p.discontinued_on`)).toBe(0);
    expect(count(`SELECT count(*) FROM support_tickets WHERE first_response_at <= opened_at OR resolved_at <= first_response_at`)).toBe(0);
  });

  it('gives aggregate questions interesting answers: seasonality, growth and skew', () => {
    const revenue = new Map(db.prepare('SELECT month, revenue_cents FROM monthly_revenue').raw().all() as Array<[string, number]>);
    expect(revenue.size).toBe(24);
    const r = (m: string): number => revenue.get(m) ?? 0;
    expect(r('2025-12')).toBeGreaterThan(1.5 * r('2025-07')); // the holidays are the busy season
    expect(r('2025-11') + r('2025-12')).toBeGreaterThan(r('2024-11') + r('2024-12')); // the shop is growing
    // A few regulars and many one-time buyers.
    const perCustomer = db.prepare('SELECT count(*) FROM orders GROUP BY customer_id ORDER BY 1 DESC').pluck().all() as number[];
    expect(perCustomer[0]).toBeGreaterThan(20);
    expect(perCustomer.filter((n) => n === 1).length).toBeGreaterThan(200);
    // Coffee is the main business; a best seller outsells the median product many times over.
    const top = db.prepare('SELECT category FROM product_sales GROUP BY category ORDER BY sum(gross_sales_cents) DESC LIMIT 1').pluck().get();
    expect(top).toBe('Coffee Beans');
    const units = db.prepare('SELECT units_sold FROM product_sales ORDER BY units_sold DESC').pluck().all() as number[];
    expect(units[0]).toBeGreaterThan(5 * (units[Math.floor(units.length / 2)] ?? 0));
    // Every order status appears, and the support desk has work in progress as well as history.
    expect(db.prepare('SELECT DISTINCT status FROM orders ORDER BY 1').pluck().all()).toEqual(['cancelled', 'delivered', 'paid', 'pending', 'refunded', 'shipped']);
    expect(count(`SELECT count(*) FROM support_tickets WHERE status IN ('open', 'pending')`)).toBeGreaterThan(0);
    expect(count(`SELECT count(*) FROM support_tickets WHERE status IN ('resolved', 'closed')`)).toBeGreaterThan(1000);
    // Damaged goods and refunds make for unhappier customers than product questions.
    const csat = (category: string): number => db.prepare('SELECT avg(satisfaction_score) FROM support_tickets WHERE category = ?').pluck().get(category) as number;
    expect(csat('damaged_item')).toBeLessThan(csat('product_question'));
  });

  it('has working views that agree with the base tables', () => {
    expect(count('SELECT sum(revenue_cents) FROM monthly_revenue')).toBe(
      count(`SELECT sum(total_cents) FROM orders WHERE status IN ('paid', 'shipped', 'delivered')`),
    );
    expect(count('SELECT count(*) FROM product_sales')).toBe(count('SELECT count(*) FROM products'));
    expect(count('SELECT sum(units_sold) FROM product_sales')).toBe(
      count(`SELECT sum(quantity) FROM order_items JOIN orders USING (order_id) WHERE status IN ('paid', 'shipped', 'delivered')`),
    );
  });

  it('uses only reserved e-mail domains and unique addresses', () => {
    expect(count(`SELECT count(*) FROM customers WHERE email NOT GLOB '*@example.com' AND email NOT GLOB '*@example.net' AND email NOT GLOB '*@example.org' AND email NOT GLOB '*.example'`)).toBe(0);
    expect(count(`SELECT count(*) FROM customers WHERE email NOT GLOB '[a-z]*@*'`)).toBe(0);
  });
});

describe('demo descriptions', () => {
  it('describe the source', () => {
    expect(DEMO_SOURCE.name).toBe('demo');
    expect(DEMO_SOURCE.description).toMatch(/cents/);
  });

  it('name only real tables and columns, once each', () => {
    const columns = (t: string): string[] => db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all(t) as string[];
    const objects = db.prepare("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%'").pluck().all() as string[];
    for (const d of DEMO_DESCRIPTIONS) {
      expect(d.schema).toBe('main');
      expect(objects, d.table).toContain(d.table);
      if (d.column !== null) expect(columns(d.table), `${d.table}.${d.column}`).toContain(d.column);
      expect(d.description.trim().length).toBeGreaterThan(10);
      expect(d.description.length).toBeLessThanOrEqual(4000); // the store's limit
    }
    const keys = DEMO_DESCRIPTIONS.map((d) => `${d.table}.${d.column ?? ''}`);
    expect(new Set(keys).size).toBe(keys.length);
    // Every table and view is described.
    expect(new Set(DEMO_DESCRIPTIONS.filter((d) => d.column === null).map((d) => d.table))).toEqual(new Set(objects));
    // Every money column says how money is stored.
    for (const t of objects) {
      for (const col of columns(t).filter((c) => c.endsWith('_cents'))) {
        const d = DEMO_DESCRIPTIONS.find((x) => x.table === t && x.column === col);
        expect(d?.description, `${t}.${col}`).toMatch(/cents/);
      }
    }
  });
});
