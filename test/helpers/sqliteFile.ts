/** Small SQLite files for MCP-level tests (engine-level fixtures live in test/connectors/fixtures). */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';

/** customers ← orders (FK), a view, and `numbers` with `rows` rows; returns the file path. */
export function makeShopFile(rows = 200_000, dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sequel-shop-'))): string {
  const file = path.join(dir, 'shop.sqlite');
  const db = new Database(file);
  db.exec(`
    create table customers (id integer primary key, name text not null, email text unique, country text not null);
    create table orders (
      id integer primary key,
      customer_id integer not null references customers(id),
      total_cents integer not null,
      status text not null check (status in ('paid', 'refunded', 'pending')),
      placed_at text not null
    );
    create index orders_customer_idx on orders(customer_id);
    create view order_totals as select customer_id, count(*) as n, sum(total_cents) as total_cents from orders group by customer_id;
    create table numbers (n integer not null);
    insert into customers values (1, 'Ada', 'ada@example.com', 'UK'), (2, 'Grace', 'grace@example.com', 'US'), (3, 'Linus', null, 'FI');
    insert into orders values
      (1, 1, 1250, 'paid', '2026-01-05T10:00:00Z'), (2, 1, 990, 'paid', '2026-02-11T09:30:00Z'),
      (3, 2, 15000, 'refunded', '2026-02-12T16:45:00Z'), (4, 3, 4200, 'paid', '2026-03-01T08:00:00Z'),
      (5, 2, 780, 'pending', '2026-03-02T12:00:00Z');
  `);
  db.prepare(`with recursive s(n) as (select 1 union all select n + 1 from s where n < ?) insert into numbers select n from s`).run(rows);
  db.close();
  return file;
}
