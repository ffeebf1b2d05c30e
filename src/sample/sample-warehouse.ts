// The bundled sample warehouse (sync-engine.md section 8.9): an SQLite file of a small shop, generated from a seeded
// PRNG so that every start writes the same schema and the same rows.
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import Database from 'better-sqlite3';

const SCHEMA = `
CREATE TABLE customers (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  city TEXT NOT NULL,
  created_at TIMESTAMP NOT NULL
);
CREATE TABLE products (
  id INTEGER PRIMARY KEY,
  title TEXT NOT NULL,
  category TEXT NOT NULL,
  price DECIMAL(10,2) NOT NULL,
  created_at TIMESTAMP NOT NULL
);
CREATE TABLE orders (
  id INTEGER PRIMARY KEY,
  customer_id INTEGER NOT NULL REFERENCES customers (id),
  status TEXT NOT NULL,
  created_at TIMESTAMP NOT NULL
);
CREATE TABLE order_items (
  id INTEGER PRIMARY KEY,
  order_id INTEGER NOT NULL REFERENCES orders (id),
  product_id INTEGER NOT NULL REFERENCES products (id),
  quantity INTEGER NOT NULL,
  unit_price DECIMAL(10,2) NOT NULL
);
CREATE TABLE reviews (
  id INTEGER PRIMARY KEY,
  product_id INTEGER NOT NULL REFERENCES products (id),
  customer_id INTEGER NOT NULL REFERENCES customers (id),
  rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
  body TEXT,
  created_at TIMESTAMP NOT NULL
);
CREATE INDEX orders_customer_id ON orders (customer_id);
CREATE INDEX order_items_order_id ON order_items (order_id);
CREATE INDEX order_items_product_id ON order_items (product_id);
CREATE INDEX reviews_product_id ON reviews (product_id);
CREATE VIEW order_totals AS
SELECT o.id AS order_id,
  o.customer_id,
  o.status,
  o.created_at,
  count(i.id) AS item_count,
  round(sum(i.quantity * i.unit_price), 2) AS total
FROM orders AS o
JOIN order_items AS i ON i.order_id = o.id
GROUP BY o.id;
`;

const CUSTOMERS = 500;
const PRODUCTS = 120;
const ORDERS = 1600;
const REVIEWS = 900;
const SEED = 20240517;
const EPOCH = Date.UTC(2023, 0, 1);
const DAY = 86_400_000;

const FIRST_NAMES = [
  'Ada', 'Alan', 'Amara', 'Ben', 'Carla', 'Chen', 'Dario', 'Diana', 'Elif', 'Emil', 'Fatima', 'Felix', 'Grace', 'Hugo',
  'Ines', 'Ivan', 'Jana', 'Jonas', 'Keiko', 'Leo', 'Lina', 'Marco', 'Maya', 'Nia', 'Noah', 'Olga', 'Omar', 'Paula',
  'Priya', 'Quinn', 'Rosa', 'Sam', 'Sofia', 'Tariq', 'Uma', 'Victor', 'Wen', 'Yara', 'Yusuf', 'Zoe',
];
const LAST_NAMES = [
  'Abara', 'Berg', 'Castro', 'Dubois', 'Eriksen', 'Fischer', 'Garcia', 'Haddad', 'Ito', 'Jansen', 'Kowalski', 'Laine',
  'Moreau', 'Nakamura', 'Okafor', 'Petrov', 'Quintero', 'Rossi', 'Schmidt', 'Tanaka', 'Usman', 'Varga', 'Weber', 'Xu',
  'Yilmaz', 'Zhang', 'Novak', 'Silva', 'Murphy', 'Lindqvist',
];
const CITIES = [
  'Amsterdam', 'Austin', 'Barcelona', 'Berlin', 'Bogotá', 'Cape Town', 'Chicago', 'Dublin', 'Helsinki', 'Istanbul',
  'Lagos', 'Lisbon', 'London', 'Lyon', 'Melbourne', 'Mexico City', 'Montréal', 'Nairobi', 'Osaka', 'Oslo', 'Portland',
  'Prague', 'São Paulo', 'Seoul', 'Toronto', 'Vienna', 'Warsaw', 'Zürich',
];
const EMAIL_DOMAINS = ['example.com', 'example.org', 'example.net'];
const CATEGORIES: readonly (readonly [string, readonly string[]])[] = [
  ['Kitchen', ['Kettle', 'Knife Set', 'Cutting Board', 'Teapot', 'Mixing Bowl', 'Coffee Grinder']],
  ['Outdoor', ['Tent', 'Backpack', 'Water Bottle', 'Camping Stove', 'Hammock', 'Headlamp']],
  ['Office', ['Desk Lamp', 'Notebook', 'Fountain Pen', 'Monitor Stand', 'Desk Organizer', 'Stapler']],
  ['Home', ['Throw Blanket', 'Candle', 'Vase', 'Wall Clock', 'Cushion', 'Picture Frame']],
  ['Electronics', ['Headphones', 'Speaker', 'Charger', 'Keyboard', 'Webcam', 'Power Bank']],
];
const ADJECTIVES = [
  'Classic', 'Compact', 'Deluxe', 'Ergonomic', 'Handmade', 'Lightweight', 'Rustic', 'Sleek', 'Sturdy',
];
const MATERIALS = ['Bamboo', 'Ceramic', 'Copper', 'Cotton', 'Leather', 'Linen', 'Oak', 'Steel', 'Wool'];
const STATUSES: readonly (readonly [string, number])[] = [
  ['delivered', 70],
  ['shipped', 12],
  ['processing', 8],
  ['cancelled', 6],
  ['returned', 4],
];
const RATINGS: readonly (readonly [number, number])[] = [
  [5, 35],
  [4, 30],
  [3, 15],
  [2, 10],
  [1, 10],
];
/** Openings by rating − 1. */
const REVIEW_OPENINGS: readonly (readonly string[])[] = [
  ['Very disappointed.', 'Would not buy again.', 'Broke within a week.'],
  ['Not great.', 'Below my expectations.', 'It does the job, barely.'],
  ['It is okay.', 'Decent for the price.', 'Mixed feelings about this one.'],
  ['Really good.', 'Happy with this purchase.', 'Solid and well made.'],
  ['Absolutely love it!', 'Exceeded my expectations.', 'Best purchase this year.'],
];
const REVIEW_DETAILS = [
  'Shipping was fast.',
  'The packaging could be better.',
  'Looks exactly like the photos.',
  'A bit smaller than I expected.',
  'Feels sturdy in the hand.',
  'The colour is slightly different in person.',
  'Bought a second one as a gift.',
  'Customer service answered within a day.',
];

/** mulberry32: a small, fast, seeded PRNG; the same seed yields the same sequence on every platform. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function timestamp(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

function fill(db: Database.Database): void {
  const random = prng(SEED);
  const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const weighted = <T>(items: readonly (readonly [T, number])[]): T => {
    let roll = random() * items.reduce((sum, [, weight]) => sum + weight, 0);
    for (const [item, weight] of items) if ((roll -= weight) < 0) return item;
    return (items[items.length - 1] as readonly [T, number])[0];
  };

  const customerSince: number[] = [];
  const insertCustomer = db.prepare('INSERT INTO customers (id, email, name, city, created_at) VALUES (?, ?, ?, ?, ?)');
  for (let id = 1; id <= CUSTOMERS; id++) {
    const first = pick(FIRST_NAMES);
    const last = pick(LAST_NAMES);
    const email = `${first}.${last}${id}@${pick(EMAIL_DOMAINS)}`.toLowerCase();
    const since = EPOCH + int(0, 364) * DAY + int(0, DAY / 1000 - 1) * 1000;
    customerSince[id] = since;
    insertCustomer.run(id, email, `${first} ${last}`, pick(CITIES), timestamp(since));
  }

  const prices: number[] = [];
  const insertProduct = db.prepare(
    'INSERT INTO products (id, title, category, price, created_at) VALUES (?, ?, ?, ?, ?)',
  );
  for (let id = 1; id <= PRODUCTS; id++) {
    const [category, nouns] = pick(CATEGORIES);
    const price = int(499, 14999) / 100;
    prices[id] = price;
    const title = `${pick(ADJECTIVES)} ${pick(MATERIALS)} ${pick(nouns)}`;
    insertProduct.run(id, title, category, price, timestamp(EPOCH - int(1, 180) * DAY));
  }

  const insertOrder = db.prepare('INSERT INTO orders (id, customer_id, status, created_at) VALUES (?, ?, ?, ?)');
  const insertItem = db.prepare(
    'INSERT INTO order_items (id, order_id, product_id, quantity, unit_price) VALUES (?, ?, ?, ?, ?)',
  );
  let itemId = 0;
  for (let id = 1; id <= ORDERS; id++) {
    const customer = int(1, CUSTOMERS);
    const placed = (customerSince[customer] as number) + int(0, 364) * DAY + int(0, DAY / 1000 - 1) * 1000;
    insertOrder.run(id, customer, weighted(STATUSES), timestamp(placed));
    const lines = int(1, 4);
    for (let line = 0; line < lines; line++) {
      const product = int(1, PRODUCTS);
      insertItem.run(++itemId, id, product, int(1, 3), prices[product]);
    }
  }

  const insertReview = db.prepare(
    'INSERT INTO reviews (id, product_id, customer_id, rating, body, created_at) VALUES (?, ?, ?, ?, ?, ?)',
  );
  for (let id = 1; id <= REVIEWS; id++) {
    const customer = int(1, CUSTOMERS);
    const rating = weighted(RATINGS);
    const openings = REVIEW_OPENINGS[rating - 1] as readonly string[];
    const body = random() < 0.15 ? null : `${pick(openings)} ${pick(REVIEW_DETAILS)}`;
    const written = (customerSince[customer] as number) + int(7, 400) * DAY + int(0, DAY / 1000 - 1) * 1000;
    insertReview.run(id, int(1, PRODUCTS), customer, rating, body, timestamp(written));
  }
}

/**
 * Writes the sample warehouse to `path`, synchronously (about 7,000 rows; it runs once at start-up, before the
 * workers). Parent folders are created; the file is built next to `path` under a temporary name and renamed over
 * it, so a file already there is replaced whole and readers never see a half-written one.
 */
export function generateSampleWarehouse(path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  rmSync(temp, { force: true });
  try {
    const db = new Database(temp);
    try {
      db.pragma('journal_mode = OFF');
      db.pragma('foreign_keys = ON');
      db.exec(SCHEMA);
      db.transaction(() => fill(db))();
    } finally {
      db.close();
    }
    // A journal or WAL left next to the old file would be applied to the new one.
    for (const suffix of ['-journal', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}
