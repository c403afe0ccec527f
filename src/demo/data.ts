/**
 * Static vocabulary for the demo shop (Harbor & Pine Coffee Co., a fictional online shop for specialty
 * coffee, tea and brewing gear). Kept apart from the generator so generate.ts reads as logic.
 */

/** Name pools per locale, so a customer in Osaka is more likely a Yuki Tanaka than a Liam Smith. */
export const NAMES: Record<string, { first: readonly string[]; last: readonly string[] }> = {
  en: {
    first: ['Olivia', 'Liam', 'Emma', 'Noah', 'Ava', 'Mason', 'Sophia', 'Ethan', 'Charlotte', 'James', 'Amelia', 'Henry', 'Grace', 'Jack', 'Chloe', 'Samuel', 'Hannah', 'Daniel', 'Aoife', 'Conor', 'Priya', 'Arjun', 'Maya', 'Omar'],
    last: ['Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Miller', 'Davis', 'Wilson', 'Taylor', 'Clarke', 'Evans', 'Hughes', 'Murphy', "O'Brien", 'Kelly', 'Walker', 'Nguyen', 'Patel', 'Singh', 'Cohen', 'Garcia', 'Lee', 'Wright', 'King'],
  },
  de: {
    first: ['Lena', 'Felix', 'Jonas', 'Anna', 'Paul', 'Marie', 'Lukas', 'Sophie', 'Leon', 'Mia', 'Maximilian', 'Clara', 'Niklas', 'Laura'],
    last: ['Müller', 'Schmidt', 'Schneider', 'Fischer', 'Weber', 'Wagner', 'Becker', 'Hoffmann', 'Schäfer', 'Koch', 'Richter', 'Wolf'],
  },
  fr: {
    first: ['Camille', 'Louis', 'Léa', 'Hugo', 'Chloé', 'Gabriel', 'Manon', 'Arthur', 'Inès', 'Jules', 'Zoé', 'Raphaël'],
    last: ['Martin', 'Bernard', 'Dubois', 'Thomas', 'Robert', 'Richard', 'Petit', 'Durand', 'Leroy', 'Moreau', 'Laurent', 'Lefèvre'],
  },
  es: {
    first: ['Lucía', 'Mateo', 'Sofía', 'Javier', 'Carmen', 'Pablo', 'Martina', 'Diego', 'Elena', 'Álvaro', 'Paula', 'Sergio'],
    last: ['García', 'Fernández', 'López', 'Martínez', 'Sánchez', 'Pérez', 'Gómez', 'Ruiz', 'Díaz', 'Moreno', 'Navarro', 'Torres'],
  },
  it: {
    first: ['Giulia', 'Marco', 'Francesca', 'Alessandro', 'Chiara', 'Lorenzo', 'Sara', 'Matteo', 'Martina', 'Andrea', 'Elisa', 'Davide'],
    last: ['Rossi', 'Russo', 'Ferrari', 'Esposito', 'Bianchi', 'Romano', 'Colombo', 'Ricci', 'Marino', 'Greco', 'Bruno', 'Gallo'],
  },
  nl: {
    first: ['Daan', 'Emma', 'Sem', 'Julia', 'Lucas', 'Tess', 'Finn', 'Sanne', 'Bram', 'Lotte', 'Thijs', 'Fleur'],
    last: ['de Jong', 'Jansen', 'de Vries', 'van den Berg', 'Bakker', 'Visser', 'Smit', 'Meijer', 'de Boer', 'Mulder', 'Bos', 'Vos'],
  },
  nordic: {
    first: ['Emil', 'Ingrid', 'Freya', 'Lars', 'Søren', 'Astrid', 'Oskar', 'Elsa', 'Magnus', 'Maja', 'Nils', 'Sigrid'],
    last: ['Andersson', 'Johansson', 'Karlsson', 'Nilsson', 'Eriksson', 'Larsen', 'Nielsen', 'Hansen', 'Jensen', 'Lindqvist', 'Berg', 'Holm'],
  },
  ja: {
    first: ['Yuki', 'Haruto', 'Sakura', 'Ren', 'Aoi', 'Sota', 'Hina', 'Riku', 'Yui', 'Kaito', 'Mei', 'Daiki'],
    last: ['Tanaka', 'Sato', 'Suzuki', 'Takahashi', 'Watanabe', 'Ito', 'Yamamoto', 'Nakamura', 'Kobayashi', 'Kato', 'Yoshida', 'Yamada'],
  },
};

/** Where customers live: ISO 3166-1 alpha-2 code, share of signups, name locale, cities. */
export const COUNTRIES: ReadonlyArray<{ code: string; weight: number; locale: string; cities: readonly string[] }> = [
  { code: 'US', weight: 32, locale: 'en', cities: ['New York', 'Los Angeles', 'Chicago', 'Seattle', 'Austin', 'Portland', 'Denver', 'Boston', 'San Francisco', 'Minneapolis'] },
  { code: 'GB', weight: 12, locale: 'en', cities: ['London', 'Manchester', 'Bristol', 'Edinburgh', 'Leeds', 'Brighton'] },
  { code: 'DE', weight: 10, locale: 'de', cities: ['Berlin', 'Hamburg', 'Munich', 'Cologne', 'Leipzig', 'Frankfurt'] },
  { code: 'CA', weight: 8, locale: 'en', cities: ['Toronto', 'Vancouver', 'Montreal', 'Calgary', 'Ottawa'] },
  { code: 'FR', weight: 6, locale: 'fr', cities: ['Paris', 'Lyon', 'Marseille', 'Bordeaux', 'Nantes'] },
  { code: 'AU', weight: 6, locale: 'en', cities: ['Sydney', 'Melbourne', 'Brisbane', 'Perth'] },
  { code: 'NL', weight: 5, locale: 'nl', cities: ['Amsterdam', 'Rotterdam', 'Utrecht', 'Eindhoven'] },
  { code: 'SE', weight: 4, locale: 'nordic', cities: ['Stockholm', 'Gothenburg', 'Malmö', 'Uppsala'] },
  { code: 'ES', weight: 4, locale: 'es', cities: ['Madrid', 'Barcelona', 'Valencia', 'Seville'] },
  { code: 'IT', weight: 4, locale: 'it', cities: ['Milan', 'Rome', 'Turin', 'Bologna'] },
  { code: 'JP', weight: 3, locale: 'ja', cities: ['Tokyo', 'Osaka', 'Kyoto', 'Fukuoka'] },
  { code: 'IE', weight: 2, locale: 'en', cities: ['Dublin', 'Cork', 'Galway'] },
  { code: 'DK', weight: 2, locale: 'nordic', cities: ['Copenhagen', 'Aarhus', 'Odense'] },
  { code: 'NZ', weight: 1, locale: 'en', cities: ['Auckland', 'Wellington', 'Christchurch'] },
  { code: 'CH', weight: 1, locale: 'de', cities: ['Zurich', 'Geneva', 'Basel'] },
];

/** Only reserved names (RFC 2606 / RFC 6761), so no demo address can belong to a real person. */
export const EMAIL_DOMAINS = ['example.com', 'example.net', 'example.org', 'mail.example', 'post.example'] as const;

export type Category = 'Coffee Beans' | 'Tea' | 'Brewing Gear' | 'Grinders' | 'Drinkware' | 'Accessories' | 'Gift Sets';

/** A catalogue line: name, category, current price in USD cents. */
export type ProductSpec = readonly [name: string, category: Category, priceCents: number];

const ORIGINS: ReadonlyArray<readonly [string, string, number]> = [
  ['Ethiopia Yirgacheffe', 'light', 1895], ['Ethiopia Guji', 'light', 1995], ['Kenya Nyeri AA', 'light', 2195],
  ['Colombia Huila', 'medium', 1695], ['Colombia Nariño', 'medium', 1795], ['Brazil Cerrado', 'medium', 1495],
  ['Guatemala Antigua', 'medium', 1695], ['Costa Rica Tarrazú', 'medium', 1795], ['Peru Cajamarca', 'medium', 1595],
  ['Rwanda Nyamasheke', 'light', 1895], ['Honduras Marcala', 'medium', 1595], ['Sumatra Gayo', 'dark', 1695],
  ['Mexico Chiapas', 'medium', 1495], ['Burundi Kayanza', 'light', 1895], ['Panama Boquete Geisha', 'light', 3495],
];
const BLENDS: ReadonlyArray<readonly [string, number]> = [
  ['House Espresso', 1595], ['Morning Harbor Blend', 1495], ['Pine Ridge Dark', 1495], ['Decaf Swiss Water', 1695],
  ['Cold Brew Blend', 1595], ['Holiday Spice Blend', 1695], ['Breakfast Blend', 1395], ['Night Shift Espresso', 1695],
];
const TEAS: ReadonlyArray<readonly [string, number]> = [
  ['Darjeeling First Flush', 1495], ['Assam Breakfast', 995], ['Japanese Sencha', 1295], ['Genmaicha', 1095],
  ['Jasmine Pearls', 1595], ['Earl Grey Cream', 1095], ['Chamomile Blossom', 895], ['Rooibos Vanilla', 895],
  ['Masala Chai', 1095], ['Tieguanyin Oolong', 1695], ['Moroccan Mint', 895], ['Hojicha', 1195],
];
const DRINKWARE: ReadonlyArray<readonly [string, number]> = [
  ['Ceramic Mug 350 ml', 1800], ['Ceramic Mug 450 ml', 2200], ['Double-Wall Glass 250 ml', 1600],
  ['Travel Tumbler 470 ml', 2900], ['Espresso Cups, set of 2', 2400], ['Enamel Camp Mug', 1500],
];
const COLOURS = ['Harbor Blue', 'Pine Green', 'Sand', 'Charcoal', 'Terracotta', 'Cream'];

const GEAR: readonly ProductSpec[] = [
  ['Ceramic Pour-Over Dripper', 'Brewing Gear', 2800], ['Glass Pour-Over Dripper', 'Brewing Gear', 2400],
  ['Steel Pour-Over Dripper', 'Brewing Gear', 3200], ['Flat-Bottom Dripper', 'Brewing Gear', 3600],
  ['French Press 350 ml', 'Brewing Gear', 2900], ['French Press 1 l', 'Brewing Gear', 4200],
  ['Hand Press Brewer', 'Brewing Gear', 3995], ['Moka Pot 3-Cup', 'Brewing Gear', 3400], ['Moka Pot 6-Cup', 'Brewing Gear', 4200],
  ['Cold Brew Jar 1 l', 'Brewing Gear', 3200], ['Cold Brew Tower', 'Brewing Gear', 14900], ['Iced Coffee Carafe', 'Brewing Gear', 2800],
  ['Gooseneck Kettle, stovetop', 'Brewing Gear', 4900], ['Gooseneck Kettle, electric', 'Brewing Gear', 8900],
  ['Brewing Scale with Timer', 'Brewing Gear', 5400], ['Glass Server 600 ml', 'Brewing Gear', 2600],
  ['Siphon Brewer', 'Brewing Gear', 9900], ['Chemex-Style Carafe 6-Cup', 'Brewing Gear', 4800],
  ['Espresso Tamper 58 mm', 'Brewing Gear', 3900], ['Milk Frothing Pitcher', 'Brewing Gear', 2200],
  ['Handheld Milk Frother', 'Brewing Gear', 1900], ['Stovetop Milk Steamer', 'Brewing Gear', 6900],
  ['Paper Filters #2, 100 pack', 'Brewing Gear', 700], ['Paper Filters #4, 100 pack', 'Brewing Gear', 800],
  ['Cone Filters, 100 pack', 'Brewing Gear', 900], ['Reusable Steel Filter', 'Brewing Gear', 2400],
  ['Cold Brew Filter Bags, 20 pack', 'Brewing Gear', 1200], ['Tea Kettle 1.2 l', 'Brewing Gear', 5900],
  ['Glass Teapot with Infuser', 'Brewing Gear', 3400], ['Cast Iron Teapot', 'Brewing Gear', 6900],
];
const GRINDERS: readonly ProductSpec[] = [
  ['Hand Grinder Classic', 'Grinders', 5900], ['Hand Grinder Pro', 'Grinders', 14900], ['Travel Hand Grinder', 'Grinders', 4400],
  ['Conical Burr Grinder', 'Grinders', 12900], ['Flat Burr Grinder', 'Grinders', 24900], ['Espresso Grinder', 'Grinders', 39900],
  ['Compact Electric Grinder', 'Grinders', 7900], ['Blade Grinder', 'Grinders', 2900], ['Grinder Cleaning Tablets', 'Grinders', 1400],
  ['Single-Dose Hopper', 'Grinders', 3400],
];
const ACCESSORIES: readonly ProductSpec[] = [
  ['Airtight Coffee Canister 250 g', 'Accessories', 2400], ['Airtight Coffee Canister 500 g', 'Accessories', 2900],
  ['Tea Tin, set of 3', 'Accessories', 1900], ['Measuring Scoop', 'Accessories', 900], ['Wooden Coffee Spoon', 'Accessories', 700],
  ['Tea Infuser Ball', 'Accessories', 800], ['Bamboo Tea Tray', 'Accessories', 3900], ['Knock Box', 'Accessories', 2900],
  ['Descaling Solution', 'Accessories', 1200], ['Cleaning Brush Set', 'Accessories', 1100], ['Coffee Journal', 'Accessories', 1600],
  ['Barista Apron', 'Accessories', 3400], ['Linen Tea Towel', 'Accessories', 1200], ['Cork Coasters, set of 4', 'Accessories', 1400],
  ['Honey Dipper', 'Accessories', 600], ['Raw Cane Sugar Cubes', 'Accessories', 700], ['Vanilla Syrup 250 ml', 'Accessories', 1100],
  ['Caramel Syrup 250 ml', 'Accessories', 1100], ['Oat Barista Drink 1 l', 'Accessories', 450], ['Water Filter Cartridge', 'Accessories', 1500],
];
const GIFT_SETS: readonly ProductSpec[] = [
  ['Pour-Over Starter Set', 'Gift Sets', 6900], ['Espresso Lover Gift Box', 'Gift Sets', 7900], ['Single-Origin Tasting Flight', 'Gift Sets', 4900],
  ['Tea Discovery Box', 'Gift Sets', 3900], ['Cold Brew Summer Kit', 'Gift Sets', 5400], ['Holiday Coffee Sampler', 'Gift Sets', 4400],
  ['Mug & Beans Gift Set', 'Gift Sets', 3900], ['Barista at Home Bundle', 'Gift Sets', 19900], ['Tea Ceremony Set', 'Gift Sets', 8900],
  ['Gift Card Box, $50', 'Gift Sets', 5000],
];

/** The catalogue, in SKU order. */
export function catalogue(): ProductSpec[] {
  const out: ProductSpec[] = [];
  for (const [origin, roast, price] of ORIGINS) {
    out.push([`${origin} (${roast} roast), 250 g`, 'Coffee Beans', price]);
    // A kilo is priced at 3.3 bags of 250 g instead of 4: the usual bulk discount.
    out.push([`${origin} (${roast} roast), 1 kg`, 'Coffee Beans', Math.round((price * 3.3) / 100) * 100 - 5]);
  }
  for (const [blend, price] of BLENDS) {
    out.push([`${blend}, 250 g`, 'Coffee Beans', price]);
    out.push([`${blend}, 1 kg`, 'Coffee Beans', Math.round((price * 3.3) / 100) * 100 - 5]);
  }
  for (const [origin, , price] of ORIGINS.slice(0, 6)) out.push([`${origin} Drip Bags, 10 pack`, 'Coffee Beans', price - 200]);
  for (const [tea, price] of TEAS) {
    out.push([`${tea}, 50 g`, 'Tea', price]);
    out.push([`${tea}, 200 g`, 'Tea', Math.round((price * 3.2) / 100) * 100 - 5]);
  }
  out.push(...GEAR, ...GRINDERS);
  for (const [item, price] of DRINKWARE) for (const colour of COLOURS) out.push([`${item}, ${colour}`, 'Drinkware', price]);
  out.push(...ACCESSORIES, ...GIFT_SETS);
  return out;
}

export const SKU_PREFIX: Record<Category, string> = {
  'Coffee Beans': 'COF', Tea: 'TEA', 'Brewing Gear': 'BRW', Grinders: 'GRD', Drinkware: 'DRK', Accessories: 'ACC', 'Gift Sets': 'GFT',
};

/** Marketing campaigns: name, channel, first and last day (inclusive, UTC), discount %, budget in USD cents. */
export const CAMPAIGNS: ReadonlyArray<readonly [string, string, string, string, number, number]> = [
  ['Black Friday 2024', 'email', '2024-11-29', '2024-12-02', 25, 1_500_000],
  ['Holiday Gift Guide 2024', 'social', '2024-12-03', '2024-12-18', 10, 900_000],
  ['New Year Fresh Start', 'email', '2025-01-02', '2025-01-15', 15, 250_000],
  ["Valentine's Pour-Over for Two", 'social', '2025-02-03', '2025-02-13', 10, 300_000],
  ['Spring Single-Origin Launch', 'influencer', '2025-03-17', '2025-03-31', 0, 600_000],
  ['Mother’s Day Tea Edit', 'search', '2025-04-28', '2025-05-11', 10, 350_000],
  ['Summer Cold Brew', 'social', '2025-06-16', '2025-07-13', 15, 700_000],
  ['Back to Routine', 'email', '2025-09-01', '2025-09-14', 10, 250_000],
  ['Grinder Week', 'search', '2025-10-06', '2025-10-12', 20, 400_000],
  ['Black Friday 2025', 'email', '2025-11-28', '2025-12-01', 25, 2_000_000],
  ['Holiday Gift Guide 2025', 'social', '2025-12-02', '2025-12-18', 10, 1_100_000],
  ['New Year Fresh Start 2026', 'email', '2026-01-02', '2026-01-15', 15, 300_000],
  ['Partner Podcast Spring 2026', 'affiliate', '2026-03-02', '2026-04-12', 10, 450_000],
  ['Summer Cold Brew 2026', 'social', '2026-06-15', '2026-07-12', 15, 800_000],
  ['Grinder Week 2026', 'search', '2026-10-05', '2026-10-11', 20, 450_000],
];

export const FAILURE_REASONS = ['card_declined', 'insufficient_funds', 'expired_card', 'authentication_failed'] as const;

export const TICKET_SUBJECTS: Record<string, readonly string[]> = {
  shipping: ['Where is my order?', 'Tracking has not updated in days', 'Parcel stuck in customs', 'Delivery marked as delivered but not received'],
  damaged_item: ['Mug arrived cracked', 'Bag of beans split open in transit', 'Grinder arrived with a broken handle', 'Glass carafe shattered in the box'],
  refund: ['Requesting a refund', 'Wrong item received, want my money back', 'Refund not showing on my statement yet', 'Return request'],
  billing: ['Payment declined but card is fine', 'Charged but order shows cancelled', 'Need an invoice with VAT number'],
  product_question: ['Which grind size for a moka pot?', 'Is the decaf chemical-free?', 'Best beans for cold brew?', 'Is the kettle compatible with induction?', 'How long do beans stay fresh?'],
  account: ['Cannot reset my password', 'Please update my email address', 'Unsubscribe me from marketing emails', 'Delete my account'],
};
