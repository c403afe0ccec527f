/**
 * The bundled demo data source: Harbor & Pine Coffee Co., a fictional online shop for specialty coffee, tea
 * and brewing gear, with two years of customers, orders, payments and support tickets in one SQLite file.
 *
 * This is trusted setup code run once at first start, so it writes with better-sqlite3 directly rather than
 * through Sequel's read-only query path. The data is fully determined by SEED: no clock, no Math.random, only
 * 32-bit integer PRNG output and IEEE-754 arithmetic, so every run writes the same rows.
 */
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import {
  CAMPAIGNS,
  COUNTRIES,
  EMAIL_DOMAINS,
  FAILURE_REASONS,
  NAMES,
  SKU_PREFIX,
  TICKET_SUBJECTS,
  catalogue,
  type Category,
} from './data.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/**
 * Twenty-four full months of history, and the moment the snapshot was taken. Fixed rather than "now" so the
 * data is identical on every machine; statuses (pending, shipped, open tickets…) are as of SNAPSHOT.
 */
const START = Date.UTC(2024, 10, 1);
const SNAPSHOT = Date.UTC(2026, 10, 1);
const SEED = 20_241_101;
const CUSTOMERS = 2_000;
/** Expected repeat orders; ~70% of the ~1,550 in-window signups also order on day one, for ≈10,000 orders. */
const REPEAT_ORDERS = 8_900;
/** Coffee bean prices rose on this day; earlier order lines carry the old price. */
const COFFEE_PRICE_RISE = Date.UTC(2025, 8, 1);

/** Whether the demo database exists at `file`; if not, builds it beside and renames it into place. */
export async function ensureDemoDatabase(file: string): Promise<{ created: boolean }> {
  if (await exists(file)) return { created: false };
  await mkdir(path.dirname(file), { recursive: true });
  // Building under a private name and renaming means a reader (or a crash) never sees a half-written file.
  // Two processes racing here both build and the later rename replaces an identical file: harmless.
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    await rm(tmp, { force: true }); // a leftover of a crashed earlier process that had the same pid
    build(tmp);
    const fh = await open(tmp, 'r+');
    try {
      await fh.sync(); // journal_mode=OFF + synchronous=OFF while building: make the bytes durable before the rename
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  } catch (err) {
    // Best effort: the build's own error is the one worth reporting.
    await rm(tmp, { force: true }).catch(() => undefined);
    await rm(`${tmp}-journal`, { force: true }).catch(() => undefined);
    throw err;
  }
  return { created: true };
}

async function exists(file: string): Promise<boolean> {
  try {
    if ((await stat(file)).isFile()) return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  throw new Error(`the demo database path ${file} exists but is not a file`);
}

function build(file: string): void {
  const db = new Database(file);
  try {
    // The file is private until renamed, so crash safety during the build buys nothing.
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
    db.pragma('foreign_keys = ON'); // a generator bug fails the build instead of shipping dangling references
    db.exec(SCHEMA);
    db.transaction(() => populate(db, new Rng(SEED)))();
    db.exec('ANALYZE'); // sqlite_stat1 gives describe_table its row estimates
    db.pragma('journal_mode = DELETE'); // a single self-contained file, no -wal/-shm beside it
  } finally {
    db.close();
  }
}

const SCHEMA = `
CREATE TABLE marketing_campaigns (
  campaign_id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  channel TEXT NOT NULL CHECK (channel IN ('email', 'social', 'search', 'influencer', 'affiliate')),
  starts_on TEXT NOT NULL,
  ends_on TEXT NOT NULL,
  discount_percent INTEGER NOT NULL CHECK (discount_percent BETWEEN 0 AND 50),
  budget_cents INTEGER NOT NULL CHECK (budget_cents >= 0),
  CHECK (ends_on >= starts_on)
);
CREATE TABLE customers (
  customer_id INTEGER PRIMARY KEY,
  first_name TEXT NOT NULL,
  last_name TEXT NOT NULL,
  email TEXT NOT NULL UNIQUE,
  country TEXT NOT NULL,
  city TEXT NOT NULL,
  signup_date TEXT NOT NULL,
  acquisition_channel TEXT NOT NULL CHECK (acquisition_channel IN ('organic', 'search', 'social', 'referral', 'email')),
  marketing_opt_in INTEGER NOT NULL CHECK (marketing_opt_in IN (0, 1))
);
CREATE TABLE products (
  product_id INTEGER PRIMARY KEY,
  sku TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  category TEXT NOT NULL,
  unit_price_cents INTEGER NOT NULL CHECK (unit_price_cents > 0),
  unit_cost_cents INTEGER NOT NULL CHECK (unit_cost_cents > 0),
  launched_on TEXT NOT NULL,
  discontinued_on TEXT
);
CREATE TABLE orders (
  order_id INTEGER PRIMARY KEY,
  customer_id INTEGER NOT NULL REFERENCES customers (customer_id),
  ordered_at TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'paid', 'shipped', 'delivered', 'cancelled', 'refunded')),
  campaign_id INTEGER REFERENCES marketing_campaigns (campaign_id),
  subtotal_cents INTEGER NOT NULL CHECK (subtotal_cents > 0),
  discount_cents INTEGER NOT NULL DEFAULT 0 CHECK (discount_cents >= 0),
  shipping_cents INTEGER NOT NULL CHECK (shipping_cents >= 0),
  total_cents INTEGER NOT NULL CHECK (total_cents > 0),
  shipped_at TEXT,
  delivered_at TEXT
);
CREATE INDEX orders_customer_id_idx ON orders (customer_id);
CREATE INDEX orders_ordered_at_idx ON orders (ordered_at);
CREATE TABLE order_items (
  order_item_id INTEGER PRIMARY KEY,
  order_id INTEGER NOT NULL REFERENCES orders (order_id),
  product_id INTEGER NOT NULL REFERENCES products (product_id),
  quantity INTEGER NOT NULL CHECK (quantity > 0),
  unit_price_cents INTEGER NOT NULL CHECK (unit_price_cents > 0),
  UNIQUE (order_id, product_id)
);
CREATE INDEX order_items_product_id_idx ON order_items (product_id);
CREATE TABLE payments (
  payment_id INTEGER PRIMARY KEY,
  order_id INTEGER NOT NULL REFERENCES orders (order_id),
  created_at TEXT NOT NULL,
  method TEXT NOT NULL CHECK (method IN ('card', 'paypal', 'bank_transfer', 'gift_card')),
  status TEXT NOT NULL CHECK (status IN ('succeeded', 'failed', 'refunded')),
  amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
  failure_reason TEXT,
  refunded_at TEXT
);
CREATE INDEX payments_order_id_idx ON payments (order_id);
CREATE TABLE support_tickets (
  ticket_id INTEGER PRIMARY KEY,
  customer_id INTEGER NOT NULL REFERENCES customers (customer_id),
  order_id INTEGER REFERENCES orders (order_id),
  opened_at TEXT NOT NULL,
  channel TEXT NOT NULL CHECK (channel IN ('email', 'chat', 'phone')),
  category TEXT NOT NULL CHECK (category IN ('shipping', 'damaged_item', 'refund', 'billing', 'product_question', 'account')),
  priority TEXT NOT NULL CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
  status TEXT NOT NULL CHECK (status IN ('open', 'pending', 'resolved', 'closed')),
  subject TEXT NOT NULL,
  first_response_at TEXT,
  resolved_at TEXT,
  satisfaction_score INTEGER CHECK (satisfaction_score BETWEEN 1 AND 5)
);
CREATE INDEX support_tickets_customer_id_idx ON support_tickets (customer_id);
CREATE VIEW monthly_revenue AS
SELECT substr(ordered_at, 1, 7) AS month,
       count(*) AS orders,
       count(DISTINCT customer_id) AS customers,
       sum(total_cents) AS revenue_cents,
       sum(discount_cents) AS discount_cents,
       CAST(round(avg(total_cents)) AS INTEGER) AS avg_order_cents
FROM orders
WHERE status IN ('paid', 'shipped', 'delivered')
GROUP BY substr(ordered_at, 1, 7);
CREATE VIEW product_sales AS
SELECT p.product_id, p.sku, p.name, p.category,
       coalesce(s.units_sold, 0) AS units_sold,
       coalesce(s.orders, 0) AS orders,
       coalesce(s.gross_sales_cents, 0) AS gross_sales_cents
FROM products p
LEFT JOIN (
  SELECT oi.product_id, sum(oi.quantity) AS units_sold, count(*) AS orders,
         sum(oi.quantity * oi.unit_price_cents) AS gross_sales_cents
  FROM order_items oi JOIN orders o ON o.order_id = oi.order_id
  WHERE o.status IN ('paid', 'shipped', 'delivered')
  GROUP BY oi.product_id
) s ON s.product_id = p.product_id;
`;

/** mulberry32: tiny, and bit-identical on every platform because it uses only 32-bit integer operations. */
class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)] as T;
  }
  normal(): number {
    return Math.sqrt(-2 * Math.log(1 - this.next())) * Math.cos(2 * Math.PI * this.next());
  }
  /** Knuth's method; fine for the small daily rates used here. */
  poisson(lambda: number): number {
    const limit = Math.exp(-lambda);
    let k = 0;
    for (let p = this.next(); p > limit; p *= this.next()) k++;
    return k;
  }
  /** A sampler over `items` proportional to `weights`. */
  weighted<T>(items: readonly T[], weights: readonly number[]): () => T {
    const cumulative: number[] = [];
    let total = 0;
    for (const w of weights) cumulative.push((total += w));
    return () => items[upperBound(cumulative, this.next() * total, cumulative.length)] as T;
  }
}

/** The first index in cumulative[0, end) whose value exceeds x. */
function upperBound(cumulative: readonly number[], x: number, end: number): number {
  let lo = 0;
  let hi = end - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((cumulative[mid] as number) > x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

const isoDate = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
const isoTime = (ms: number): string => `${new Date(ms).toISOString().slice(0, 19)}Z`;
const dayOf = (iso: string): number => Date.parse(`${iso}T00:00:00Z`);
const month = (ms: number): number => new Date(ms).getUTCMonth();

/** Pushes a warehouse hand-over off the weekend (the warehouse ships Monday to Friday). */
function workday(ms: number): number {
  const wd = new Date(ms).getUTCDay();
  return wd === 6 ? ms + 2 * DAY : wd === 0 ? ms + DAY : ms;
}
/** Mid-November to early January: more parcels, slower carriers, a busier support desk. */
const isPeak = (ms: number): boolean => {
  const d = new Date(ms);
  return (d.getUTCMonth() === 10 && d.getUTCDate() >= 15) || d.getUTCMonth() === 11 || (d.getUTCMonth() === 0 && d.getUTCDate() <= 5);
};

interface Campaign {
  id: number;
  channel: string;
  from: number;
  to: number;
  discount: number;
  lift: number;
}
const campaigns: Campaign[] = CAMPAIGNS.map(([, channel, from, to, discount], i) => ({
  id: i + 1,
  channel,
  from: dayOf(from),
  to: dayOf(to),
  discount,
  lift: discount >= 25 ? 2.8 : 1.15 + discount / 100, // Black Friday is the year's biggest weekend
}));
const campaignOn = (day: number): Campaign | undefined => campaigns.find((c) => day >= c.from && day <= c.to);

const MONTH_DEMAND = [0.85, 0.8, 0.9, 0.9, 0.95, 0.85, 0.8, 0.8, 0.95, 1.0, 1.35, 1.6];
const WEEKDAY_DEMAND = [1.1, 1.15, 1.0, 1.0, 0.95, 0.85, 0.95]; // Sunday first: people order coffee on Sunday evening
const HOUR_WEIGHTS = [2, 1, 1, 1, 1, 1, 2, 4, 6, 7, 7, 8, 9, 8, 7, 7, 7, 8, 9, 11, 12, 11, 8, 4];

/** Relative order volume of a day: seasonality, weekday, ~45% growth over the two years, campaigns. */
function demand(day: number): number {
  const d = new Date(day);
  const m = d.getUTCMonth();
  const dom = d.getUTCDate();
  let x = (MONTH_DEMAND[m] as number) * (WEEKDAY_DEMAND[d.getUTCDay()] as number) * (1 + (0.45 * (day - START)) / (SNAPSHOT - START));
  if (m === 11 && dom >= 21) x *= dom <= 26 ? 0.45 : 0.8; // past the holiday shipping cut-off
  return x * (campaignOn(day)?.lift ?? 1);
}

const CATEGORY_POPULARITY: Record<Category, number> = {
  'Coffee Beans': 3, Tea: 1.4, 'Brewing Gear': 0.8, Grinders: 0.35, Drinkware: 0.7, Accessories: 0.9, 'Gift Sets': 0.6,
};
/** How a product's sales move through the year (m = 0 for January). */
function season(category: Category, name: string, m: number): number {
  if (/holiday/i.test(name)) return m >= 10 ? 4 : 0.1;
  if (/cold brew|iced/i.test(name)) return m >= 5 && m <= 7 ? 3.5 : 0.5;
  if (category === 'Gift Sets') return m === 11 ? 5 : m === 10 ? 3 : m === 1 ? 1.5 : 0.4;
  if (category === 'Tea') return m === 11 || m <= 1 ? 1.4 : m >= 5 && m <= 7 ? 0.7 : 1;
  if (category === 'Grinders' || category === 'Drinkware') return m >= 10 ? 1.7 : 1;
  return 1;
}

interface Product {
  id: number;
  category: Category;
  price: number;
  oldPrice: number;
  launched: number;
  discontinued: number | null;
  bulk: boolean;
  name: string;
  /** Relative popularity before seasonality. */
  weight: number;
}
interface Customer {
  id: number;
  country: string;
  signup: number;
  weight: number;
  method: string;
}
interface Payment {
  orderId: number;
  at: number;
  method: string;
  status: 'succeeded' | 'failed' | 'refunded';
  amount: number;
  failure: string | null;
  refundedAt: number | null;
}
interface Ticket {
  customerId: number;
  orderId: number | null;
  at: number;
  category: string;
}

function populate(db: Database.Database, rng: Rng): void {
  const insertCampaign = db.prepare('INSERT INTO marketing_campaigns VALUES (?, ?, ?, ?, ?, ?, ?)');
  CAMPAIGNS.forEach(([name, channel, from, to, discount, budget], i) => insertCampaign.run(i + 1, name, channel, from, to, discount, budget));

  const products = makeProducts(db, rng);
  const customers = makeCustomers(db, rng);

  // Repeat orders come from customers who signed up before the day, in proportion to a heavy-tailed loyalty
  // weight; customers are in signup order, so "signed up before" is a prefix and a cumulative sum suffices.
  const cumulativeWeight: number[] = [];
  let totalWeight = 0;
  for (const c of customers) cumulativeWeight.push((totalWeight += c.weight));
  let totalDemand = 0;
  for (let day = START; day < SNAPSHOT; day += DAY) totalDemand += demand(day);
  const repeatScale = REPEAT_ORDERS / totalDemand;
  const hourOf = rng.weighted(HOUR_WEIGHTS.map((_, h) => h), HOUR_WEIGHTS);
  // Beans and consumables are bought by the bag; gear one at a time.
  const bulkQuantity = rng.weighted([1, 2, 3, 4], [65, 25, 7, 3]);
  const quantity = rng.weighted([1, 2, 3], [88, 10, 2]);
  const pickers = Array.from({ length: 12 }, (_, m) =>
    rng.weighted(
      products,
      products.map((p) => p.weight * season(p.category, p.name, m)),
    ),
  );

  const insertOrder = db.prepare('INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
  const insertItem = db.prepare('INSERT INTO order_items (order_id, product_id, quantity, unit_price_cents) VALUES (?, ?, ?, ?)');
  const payments: Payment[] = [];
  const tickets: Ticket[] = [];
  let orderId = 0;
  let eligible = 0;

  for (let day = START; day < SNAPSHOT; day += DAY) {
    while (eligible < customers.length && (customers[eligible] as Customer).signup < day) eligible++;
    const buyers: Customer[] = [];
    // Most newcomers sign up to place an order (customers[eligible] is the first who signed up today, if any).
    for (let j = eligible; j < customers.length && (customers[j] as Customer).signup === day; j++) {
      if (rng.chance(0.7)) buyers.push(customers[j] as Customer);
    }
    const repeats = eligible === 0 ? 0 : rng.poisson(repeatScale * demand(day));
    for (let i = 0; i < repeats; i++) {
      buyers.push(customers[upperBound(cumulativeWeight, rng.next() * (cumulativeWeight[eligible - 1] as number), eligible)] as Customer);
    }
    const todays = buyers.map((customer) => ({ customer, at: day + hourOf() * HOUR + rng.int(0, 3599) * 1000 })).sort((a, b) => a.at - b.at);

    for (const { customer, at } of todays) {
      const id = ++orderId;
      const picker = pickers[month(at)] as () => Product;
      const lines = new Map<Product, number>();
      for (let n = lineCount(rng); lines.size < n; ) {
        let p = picker();
        for (let tries = 0; tries < 20 && !(p.launched <= at && (p.discontinued === null || at < p.discontinued) && !lines.has(p)); tries++) p = picker();
        if (lines.has(p) || p.launched > at || (p.discontinued !== null && at >= p.discontinued)) break;
        lines.set(p, p.bulk ? bulkQuantity() : quantity());
      }
      const priceAt = (p: Product): number => (at < COFFEE_PRICE_RISE ? p.oldPrice : p.price);
      let subtotal = 0;
      for (const [p, qty] of lines) subtotal += qty * priceAt(p);
      const campaign = campaignOn(day);
      const useCampaign = campaign !== undefined && rng.chance(campaign.discount >= 25 ? 0.7 : 0.35);
      const discount = useCampaign ? Math.round((subtotal * campaign.discount) / 100) : 0;
      const domestic = customer.country === 'US';
      const freeFrom = domestic ? 5000 : 7500;
      const shipping = subtotal - discount >= freeFrom ? 0 : domestic ? 595 : customer.country === 'CA' ? 995 : 1295;
      const total = subtotal - discount + shipping;
      const method = rng.chance(0.85) ? customer.method : rng.pick(['card', 'card', 'paypal', 'gift_card']);

      // The order's life, then its status as seen at SNAPSHOT.
      const orderPayments: Payment[] = [];
      let paidAt: number | null = null;
      let status: string;
      let shippedAt: number | null = null;
      let deliveredAt: number | null = null;
      if (method === 'bank_transfer') {
        if (!rng.chance(0.08)) paidAt = at + rng.int(6, 96) * HOUR; // else never paid: cancelled after a week
      } else {
        paidAt = at + rng.int(20, 180) * 1000;
        if (rng.chance(0.05)) {
          orderPayments.push({ orderId: id, at: paidAt, method, status: 'failed', amount: total, failure: rng.pick(FAILURE_REASONS), refundedAt: null });
          paidAt = rng.chance(0.6) ? paidAt + rng.int(3, 60) * 60_000 : null; // a retry, or the customer gives up
        }
      }
      if (paidAt === null) {
        status = at + 7 * DAY < SNAPSHOT ? 'cancelled' : 'pending';
      } else if (paidAt >= SNAPSHOT) {
        status = 'pending';
      } else {
        const payment: Payment = { orderId: id, at: paidAt, method, status: 'succeeded', amount: total, failure: null, refundedAt: null };
        orderPayments.push(payment);
        const cancelAt = paidAt + rng.int(1, 20) * HOUR;
        shippedAt = workday(paidAt + rng.int(8, 40) * HOUR + (isPeak(paidAt) ? DAY : 0));
        deliveredAt = shippedAt + transitDays(rng, customer.country, isPeak(shippedAt)) * DAY + rng.int(0, 8 * 3600) * 1000;
        const refundAt = deliveredAt + rng.int(2, 25) * DAY;
        if (rng.chance(0.02) && cancelAt < SNAPSHOT && cancelAt < shippedAt) {
          status = 'cancelled';
          [shippedAt, deliveredAt] = [null, null];
          payment.status = 'refunded';
          payment.refundedAt = cancelAt;
        } else if (shippedAt >= SNAPSHOT) {
          status = 'paid';
          [shippedAt, deliveredAt] = [null, null];
        } else if (deliveredAt >= SNAPSHOT) {
          status = 'shipped';
          deliveredAt = null;
        } else if (rng.chance(0.035) && refundAt < SNAPSHOT) {
          status = 'refunded';
          payment.status = 'refunded';
          payment.refundedAt = refundAt;
          tickets.push({ customerId: customer.id, orderId: id, at: deliveredAt + rng.int(1, 40) * HOUR, category: rng.pick(['refund', 'refund', 'damaged_item']) });
        } else {
          status = 'delivered';
        }
      }

      insertOrder.run(id, customer.id, isoTime(at), status, useCampaign ? campaign.id : null, subtotal, discount, shipping, total,
        shippedAt === null ? null : isoTime(shippedAt), deliveredAt === null ? null : isoTime(deliveredAt));
      for (const [p, qty] of lines) insertItem.run(id, p.id, qty, priceAt(p));
      for (const p of orderPayments) if (p.at < SNAPSHOT) payments.push(p);

      // Other reasons to write to support, beyond refunds.
      if (shippedAt !== null && deliveredAt !== null && deliveredAt - shippedAt > 8 * DAY && rng.chance(0.12)) {
        tickets.push({ customerId: customer.id, orderId: id, at: shippedAt + rng.int(6, 8) * DAY, category: 'shipping' });
      } else if (status === 'cancelled' && orderPayments.some((p) => p.status === 'failed') && rng.chance(0.25)) {
        tickets.push({ customerId: customer.id, orderId: id, at: at + rng.int(1, 30) * HOUR, category: 'billing' });
      } else if (status === 'delivered' && deliveredAt !== null && rng.chance(0.04)) {
        tickets.push({ customerId: customer.id, orderId: id, at: deliveredAt + rng.int(2, 240) * HOUR, category: rng.pick(['damaged_item', 'product_question', 'product_question']) });
      }
    }

    // Tickets that are about no particular order.
    if (eligible > 0) {
      for (let n = rng.poisson(0.6); n > 0; n--) {
        const customer = customers[upperBound(cumulativeWeight, rng.next() * (cumulativeWeight[eligible - 1] as number), eligible)] as Customer;
        tickets.push({ customerId: customer.id, orderId: null, at: day + rng.int(7 * 3600, 22 * 3600) * 1000, category: rng.pick(['account', 'product_question', 'product_question', 'billing']) });
      }
    }
  }

  // Payment and ticket ids follow time, as an auto-increment would have.
  const insertPayment = db.prepare('INSERT INTO payments VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  payments.sort((a, b) => a.at - b.at || a.orderId - b.orderId);
  payments.forEach((p, i) =>
    insertPayment.run(i + 1, p.orderId, isoTime(p.at), p.method, p.status, p.amount, p.failure, p.refundedAt === null ? null : isoTime(p.refundedAt)),
  );
  writeTickets(db, rng, tickets.filter((t) => t.at < SNAPSHOT).sort((a, b) => a.at - b.at || (a.orderId ?? 0) - (b.orderId ?? 0)));
}

/** Items per order: mostly one or two, averaging ≈2.5. */
function lineCount(rng: Rng): number {
  const x = rng.next();
  return x < 0.3 ? 1 : x < 0.58 ? 2 : x < 0.78 ? 3 : x < 0.9 ? 4 : x < 0.96 ? 5 : 6;
}

function transitDays(rng: Rng, country: string, peak: boolean): number {
  const base = country === 'US' ? rng.int(2, 5) : country === 'CA' ? rng.int(3, 8) : ['AU', 'NZ', 'JP'].includes(country) ? rng.int(6, 14) : rng.int(3, 9);
  return base + (peak ? rng.int(0, 3) : 0);
}

function makeProducts(db: Database.Database, rng: Rng): Product[] {
  const insert = db.prepare('INSERT INTO products VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  const specs = catalogue();
  // A random popularity rank gives the Zipf-like skew of real catalogues: a few best sellers, a long tail.
  const ranks = specs.map((_, i) => i);
  for (let i = ranks.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [ranks[i], ranks[j]] = [ranks[j] as number, ranks[i] as number];
  }
  const perCategory = new Map<Category, number>();
  return specs.map(([name, category, price], i) => {
    const id = i + 1;
    const n = (perCategory.get(category) ?? 0) + 1;
    perCategory.set(category, n);
    const launched = rng.chance(0.78) ? dayOf('2022-03-01') + rng.int(0, 974) * DAY : START + rng.int(0, 669) * DAY;
    const discontinued = launched < START && rng.chance(0.07) ? START + rng.int(120, 700) * DAY : null;
    const oldPrice = category === 'Coffee Beans' ? Math.round(price / 1.08 / 100) * 100 - 5 : price;
    const cost = Math.round(price * (0.38 + rng.next() * 0.17));
    insert.run(id, `${SKU_PREFIX[category]}-${String(n).padStart(3, '0')}`, name, category, price, cost, isoDate(launched), discontinued === null ? null : isoDate(discontinued));
    const weight = (CATEGORY_POPULARITY[category] * (2000 / price) ** 0.4) / ((ranks[i] as number) + 3) ** 0.8;
    const bulk = category === 'Coffee Beans' || /filter|tablet|syrup|oat/i.test(name);
    return { id, name, category, price, oldPrice, launched, discontinued, bulk, weight };
  });
}

function makeCustomers(db: Database.Database, rng: Rng): Customer[] {
  const country = rng.weighted(COUNTRIES, COUNTRIES.map((c) => c.weight));
  const channel = rng.weighted(['organic', 'search', 'social', 'referral', 'email'], [35, 25, 20, 10, 10]);
  let maxDemand = 0;
  for (let day = START; day < SNAPSHOT; day += DAY) maxDemand = Math.max(maxDemand, demand(day));
  const people = Array.from({ length: CUSTOMERS }, () => {
    let signup: number;
    if (rng.chance(0.22)) signup = dayOf('2023-01-01') + rng.int(0, 669) * DAY; // the early regulars
    else {
      // Signups follow order demand (seasons, growth, campaigns), by rejection sampling.
      do signup = START + rng.int(0, 729) * DAY;
      while (!rng.chance(demand(signup) / maxDemand));
    }
    const where = country();
    const names = NAMES[rng.chance(0.85) ? where.locale : rng.pick(Object.keys(NAMES))] as (typeof NAMES)[string];
    const campaign = campaignOn(signup);
    const acquired = campaign && rng.chance(0.5) ? ({ influencer: 'social', affiliate: 'referral' } as Record<string, string>)[campaign.channel] ?? campaign.channel : channel();
    const europeanBank = ['DE', 'NL', 'CH'].includes(where.code);
    const method = rng.weighted(['card', 'paypal', 'bank_transfer', 'gift_card'], europeanBank ? [50, 22, 25, 3] : [68, 24, 4, 4])();
    // Heavy-tailed loyalty: a few regulars order monthly, many buy once.
    const weight = Math.exp(0.9 * rng.normal()) * (rng.chance(0.18) ? 0.03 : 1);
    return {
      signup, country: where.code, city: rng.pick(where.cities), first: rng.pick(names.first), last: rng.pick(names.last),
      acquired, optIn: rng.chance(0.55) ? 1 : 0, method, weight, style: rng.int(0, 9), domain: rng.pick(EMAIL_DOMAINS),
    };
  });
  people.sort((a, b) => a.signup - b.signup); // stable: ties keep generation order

  const insert = db.prepare('INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
  const taken = new Set<string>();
  return people.map((p, i) => {
    const id = i + 1;
    const [first, last] = [ascii(p.first), ascii(p.last)];
    let local = p.style < 6 ? `${first}.${last}` : p.style < 8 ? `${first}${last}${(id * 7) % 100}` : `${first[0] ?? ''}${last}`;
    for (let n = 2; taken.has(`${local}@${p.domain}`); n++) local = `${local.replace(/\d+$/, '')}${n}`;
    const email = `${local}@${p.domain}`;
    taken.add(email);
    insert.run(id, p.first, p.last, email, p.country, p.city, isoDate(p.signup), p.acquired, p.optIn);
    return { id, country: p.country, signup: p.signup, weight: p.weight, method: p.method };
  });
}

/** "Søren O'Brien" → "soren", "obrien": email local parts. */
function ascii(s: string): string {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/ø/gi, 'o')
    .toLowerCase()
    .replace(/[^a-z]/g, '');
}

const PRIORITIES: Record<string, number[]> = {
  // low, normal, high, urgent
  shipping: [10, 60, 30, 0],
  damaged_item: [0, 35, 50, 15],
  refund: [0, 50, 45, 5],
  billing: [0, 60, 35, 5],
  product_question: [60, 40, 0, 0],
  account: [50, 50, 0, 0],
};

function writeTickets(db: Database.Database, rng: Rng, tickets: Ticket[]): void {
  const insert = db.prepare('INSERT INTO support_tickets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
  const channel = rng.weighted(['email', 'chat', 'phone'], [55, 35, 10]);
  const priorities = new Map(Object.entries(PRIORITIES).map(([category, w]) => [category, rng.weighted(['low', 'normal', 'high', 'urgent'], w)]));
  tickets.forEach((t, i) => {
    const priority = (priorities.get(t.category) as () => string)();
    // Weekends and the holiday peak slow the first answer; urgent tickets jump the queue.
    const weekend = [0, 6].includes(new Date(t.at).getUTCDay());
    let responseHours = rng.int(2, 30) + (weekend ? 24 : 0);
    if (rng.chance(0.08)) responseHours += rng.int(72, 240); // fell through the cracks
    if (isPeak(t.at)) responseHours *= 2;
    if (priority === 'urgent') responseHours = Math.ceil(responseHours / 3);
    const responded = t.at + responseHours * HOUR + rng.int(0, 59) * 60_000;
    // Refunds and damage claims wait for the parcel to come back or the carrier to answer.
    const resolved = responded + (t.category === 'refund' || t.category === 'damaged_item' ? rng.int(24, 240) : rng.int(2, 96)) * HOUR;
    let status: string;
    if (responded >= SNAPSHOT) status = 'open';
    else if (resolved >= SNAPSHOT) status = 'pending';
    else status = resolved < SNAPSHOT - 7 * DAY ? 'closed' : 'resolved'; // resolved tickets auto-close after a week
    const done = status === 'resolved' || status === 'closed';
    // About half answer the survey; slow resolutions and broken or refunded goods score worse.
    const mood = 5.4 - (resolved - t.at) / (96 * HOUR) - (t.category === 'refund' || t.category === 'damaged_item' ? 0.5 : 0);
    const score = done && rng.chance(0.45) ? Math.min(5, Math.max(1, Math.round(mood + 0.7 * rng.normal()))) : null;
    insert.run(i + 1, t.customerId, t.orderId, isoTime(t.at), channel(), t.category, priority, status, rng.pick(TICKET_SUBJECTS[t.category] as string[]),
      status === 'open' ? null : isoTime(responded), done ? isoTime(resolved) : null, score);
  });
}
