/**
 * What the demo source says about itself: the source description shown by list_sources, and org-written
 * descriptions that Sequel seeds into its store so describe_table and search_schema explain the data
 * (units, status meanings, how money is stored) as a real organization would.
 */

export const DEMO_SOURCE = {
  name: 'demo',
  description:
    'Demo data: Harbor & Pine Coffee Co., a fictional online shop for specialty coffee, tea and brewing gear ' +
    '(SQLite, bundled with Sequel). Two years of history, 2024-11-01 to 2026-10-31: ~2,000 customers in 15 countries, ' +
    '~180 products, ~10,000 orders with ~25,000 order lines, payments, support tickets and marketing campaigns. ' +
    'All money is integer US-dollar cents (divide by 100); all timestamps are ISO 8601 UTC text. ' +
    'Views monthly_revenue and product_sales hold ready-made aggregates.',
} as const;

export interface DemoDescription {
  schema: 'main';
  table: string;
  column: string | null;
  description: string;
}

const t = (table: string, description: string): DemoDescription => ({ schema: 'main', table, column: null, description });
const c = (table: string, column: string, description: string): DemoDescription => ({ schema: 'main', table, column, description });

const CENTS = 'Integer US-dollar cents (1895 = $18.95).';
const REVENUE_STATUSES = "Counts only orders with status 'paid', 'shipped' or 'delivered' (not pending, cancelled or refunded).";

export const DEMO_DESCRIPTIONS: DemoDescription[] = [
  t('customers', 'One row per registered customer account. customer_id increases with signup date.'),
  c('customers', 'email', 'Login e-mail, unique. Demo addresses use reserved example domains only.'),
  c('customers', 'country', 'ISO 3166-1 alpha-2 country code of the shipping address (US, GB, DE, …).'),
  c('customers', 'signup_date', 'Day the account was created, YYYY-MM-DD (UTC). Early regulars date back to 2023.'),
  c('customers', 'acquisition_channel', 'How the customer first found the shop: organic, search, social, referral or email.'),
  c('customers', 'marketing_opt_in', '1 if the customer agreed to receive marketing e-mail, else 0.'),

  t('products', 'The catalogue: coffee beans, tea, brewing gear, grinders, drinkware, accessories and gift sets.'),
  c('products', 'sku', 'Stock-keeping unit: category prefix (COF, TEA, BRW, GRD, DRK, ACC, GFT) and a number.'),
  c('products', 'category', "One of 'Coffee Beans', 'Tea', 'Brewing Gear', 'Grinders', 'Drinkware', 'Accessories', 'Gift Sets'."),
  c('products', 'unit_price_cents', `Current list price. ${CENTS} Coffee beans rose about 8% on 2025-09-01; order_items keeps the price actually paid.`),
  c('products', 'unit_cost_cents', `What one unit costs the shop to buy in. ${CENTS} Margin = price - cost.`),
  c('products', 'launched_on', 'Day the product went on sale, YYYY-MM-DD; it has no sales before this day.'),
  c('products', 'discontinued_on', 'Day the product was withdrawn, YYYY-MM-DD; NULL while it is still on sale.'),

  t('orders', 'One row per checkout. Totals are stored on the order: total_cents = subtotal_cents - discount_cents + shipping_cents.'),
  c('orders', 'ordered_at', 'When the customer checked out, ISO 8601 UTC (e.g. 2025-11-28T19:04:11Z). Group by month with substr(ordered_at, 1, 7).'),
  c(
    'orders',
    'status',
    "Status as of 2026-11-01: pending = awaiting payment; paid = paid, not yet shipped; shipped = with the carrier; " +
      'delivered = received; cancelled = never paid or cancelled before shipping (any payment refunded); ' +
      'refunded = delivered, then returned and refunded. Revenue normally counts paid, shipped and delivered only.',
  ),
  c('orders', 'campaign_id', 'The marketing campaign whose discount or link the order used; NULL for most orders.'),
  c('orders', 'subtotal_cents', `Sum of quantity × unit_price_cents over the order's order_items. ${CENTS}`),
  c('orders', 'discount_cents', `Campaign discount taken off the subtotal. ${CENTS}`),
  c('orders', 'shipping_cents', `Shipping charged: free from $50 in the US and $75 elsewhere, else $5.95 (US), $9.95 (CA) or $12.95. ${CENTS}`),
  c('orders', 'total_cents', `What the customer paid: subtotal - discount + shipping. ${CENTS}`),
  c('orders', 'shipped_at', 'When the warehouse handed the parcel to the carrier (weekdays only), ISO 8601 UTC; NULL if not shipped.'),
  c('orders', 'delivered_at', 'When the carrier delivered, ISO 8601 UTC; NULL if not delivered yet (or never shipped).'),

  t('order_items', 'Order lines: one row per product in an order (a product appears at most once per order).'),
  c('order_items', 'quantity', 'Units of the product in this order.'),
  c('order_items', 'unit_price_cents', `Price per unit actually charged, before the order-level discount. ${CENTS} Line amount = quantity × unit_price_cents.`),

  t('payments', 'Payment attempts. A paid order has one succeeded (or later refunded) payment, sometimes after a failed attempt.'),
  c('payments', 'method', "card, paypal, bank_transfer (slower: paid 6 hours to 4 days after checkout, popular in DE, NL, CH) or gift_card."),
  c('payments', 'status', "succeeded; failed (see failure_reason, no money moved); refunded (money returned, see refunded_at)."),
  c('payments', 'amount_cents', `Amount attempted, equal to the order's total_cents. ${CENTS}`),
  c('payments', 'failure_reason', 'Why a failed attempt failed (card_declined, insufficient_funds, expired_card, authentication_failed); NULL otherwise.'),
  c('payments', 'refunded_at', 'When the money was returned, ISO 8601 UTC; NULL unless status is refunded.'),

  t('support_tickets', 'Customer-support requests, optionally about one order. Response times grow at weekends and during the November–December peak.'),
  c('support_tickets', 'category', 'shipping, damaged_item, refund, billing, product_question or account.'),
  c('support_tickets', 'status', 'As of 2026-11-01: open = no reply yet; pending = replied, not resolved; resolved = solved in the last 7 days; closed = solved and auto-closed after 7 days.'),
  c('support_tickets', 'first_response_at', 'First reply by the support team, ISO 8601 UTC; NULL while open.'),
  c('support_tickets', 'resolved_at', 'When the ticket was solved, ISO 8601 UTC; NULL while open or pending.'),
  c('support_tickets', 'satisfaction_score', 'Post-resolution survey, 1 (very unhappy) to 5 (very happy); NULL when the customer did not answer.'),

  t('marketing_campaigns', 'Promotions such as Black Friday and the holiday gift guides; orders.campaign_id links orders to them.'),
  c('marketing_campaigns', 'starts_on', 'First day of the campaign, YYYY-MM-DD (inclusive).'),
  c('marketing_campaigns', 'ends_on', 'Last day of the campaign, YYYY-MM-DD (inclusive).'),
  c('marketing_campaigns', 'discount_percent', 'Percent taken off the subtotal of orders that used the campaign; 0 for awareness-only campaigns.'),
  c('marketing_campaigns', 'budget_cents', `Marketing spend on the campaign. ${CENTS}`),

  t('monthly_revenue', `View: orders and revenue per calendar month (month = YYYY-MM, UTC). ${REVENUE_STATUSES}`),
  c('monthly_revenue', 'revenue_cents', `Sum of total_cents (after discounts, including shipping). ${CENTS}`),
  c('monthly_revenue', 'discount_cents', `Sum of campaign discounts given on those orders. ${CENTS}`),
  c('monthly_revenue', 'avg_order_cents', `Average total_cents per order, rounded. ${CENTS}`),

  t('product_sales', `View: lifetime units and sales per product, including products that never sold (zeros). ${REVENUE_STATUSES}`),
  c('product_sales', 'gross_sales_cents', `Sum of quantity × unit_price_cents, before order-level discounts and without shipping. ${CENTS}`),
];
