// The analyze phase against real SQLite warehouse files (sync-engine.md 5, 6.5): exact fingerprints through the
// SQLite driver's normalization, classification incl. the PK/FK pair, cached list values, user settings that survive,
// and no data query while is_full_sync is false.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { createDriver } from '../../../src/drivers/registry.ts';
import type { Plan } from '../../../src/jobs/types.ts';
import { createHarness, wrapDriver, type DriverFactory, type Harness } from '../support.ts';

const FULL: Plan = { metadata: { database: true }, analyze: { database: true }, field_values: { database: true } };

let h: Harness;
before(async () => {
  h = await createHarness();
});
after(async () => {
  await h.close();
});

let files = 0;
async function warehouse(ddl: string) {
  const file = join(h.dir, `warehouse-${files++}.sqlite`);
  const db = new Database(file);
  db.exec(ddl);
  db.close();
  return { file, dbId: await h.addDatabase('sqlite', { db: file }) };
}

async function field(dbId: number, table: string, name: string) {
  const found = (await h.fields((await h.table(dbId, table)).id)).find((f) => f.name === name);
  if (!found) throw new Error(`no field ${table}.${name}`);
  return found;
}

async function fingerprint(dbId: number, table: string, name: string): Promise<unknown> {
  return JSON.parse((await field(dbId, table, name)).fingerprint ?? 'null');
}

async function valuesOf(fieldId: number): Promise<unknown[] | null> {
  const row = await h.appDb.db
    .selectFrom('metabase_fieldvalues')
    .select('values')
    .where('field_id', '=', fieldId)
    .executeTakeFirst();
  return row === undefined ? null : (JSON.parse(row.values) as unknown[]);
}

const SHOP = `
  CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT, plan TEXT, active BOOLEAN, signup_date DATE,
    created_at DATETIME, score REAL, notes TEXT, big BIGINT);
  WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 40)
  INSERT INTO customers (email, plan, active, signup_date, created_at, score, notes, big)
    SELECT 'c' || i || '@shop.example', CASE i % 4 WHEN 0 THEN 'free' WHEN 1 THEN 'pro' WHEN 2 THEN 'team' ELSE NULL END,
      i % 2, date('2024-01-01', '+' || i || ' days'), datetime('2024-01-01 08:00:00', '+' || i || ' hours'),
      i * 0.5, 'Customer notes that are long enough to be free text, not a category: entry ' || i,
      9007199254740993 + i
    FROM s;
  CREATE TABLE purchases (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers (id), quantity INTEGER);
  WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 10)
  INSERT INTO purchases (customer_id, quantity) SELECT 1 + i % 3, i FROM s;
  CREATE TABLE facts (v INTEGER);
  INSERT INTO facts VALUES (1), (2), (3), (NULL), (3), (2), (NULL), (1);
`;

describe('analysis on SQLite', () => {
  test('exact fingerprints and classification of a shop, with list values cached', async () => {
    const wh = await warehouse(SHOP);
    const { outcome } = await h.run(wh.dbId, FULL);
    assert.equal(outcome.state, 'succeeded', outcome.error ?? '');

    assert.deepEqual(await fingerprint(wh.dbId, 'facts', 'v'), {
      global: { 'distinct-count': 3, 'nil%': 0.25 },
      type: { 'type/Number': { min: 1, max: 3, avg: 2, sd: Math.sqrt(4 / 6), q1: 1.25, q3: 2.75 } },
    });
    assert.deepEqual(await fingerprint(wh.dbId, 'customers', 'signup_date'), {
      global: { 'distinct-count': 40, 'nil%': 0 },
      type: { 'type/DateTime': { earliest: '2024-01-02', latest: '2024-02-10' } },
    });
    assert.deepEqual(await fingerprint(wh.dbId, 'customers', 'created_at'), {
      global: { 'distinct-count': 40, 'nil%': 0 },
      type: { 'type/DateTime': { earliest: '2024-01-01T09:00:00', latest: '2024-01-03T00:00:00' } },
    });
    assert.deepEqual(await fingerprint(wh.dbId, 'customers', 'active'), { global: { 'distinct-count': 2, 'nil%': 0 } });
    const big = (await fingerprint(wh.dbId, 'customers', 'big')) as { type: { 'type/Number': { min: number } } };
    assert.equal(big.type['type/Number'].min, 9007199254740994, 'big integers arrive as decimal strings, read as numbers');

    const email = await field(wh.dbId, 'customers', 'email');
    assert.equal(email.semantic_type, 'type/Email');
    const plan = await field(wh.dbId, 'customers', 'plan');
    assert.equal(plan.semantic_type, 'type/Category');
    assert.equal(plan.has_field_values, 'auto-list');
    assert.deepEqual(await valuesOf(plan.id), ['free', 'pro', 'team']);
    const active = await field(wh.dbId, 'customers', 'active');
    assert.equal(active.semantic_type, 'type/Category');
    assert.deepEqual(await valuesOf(active.id), [false, true], 'SQLite 0/1 of a BOOLEAN column are booleans');
    assert.equal((await field(wh.dbId, 'customers', 'created_at')).semantic_type, 'type/CreationTimestamp');
    const notes = await field(wh.dbId, 'customers', 'notes');
    assert.equal(notes.semantic_type, null);
    assert.equal(await valuesOf(notes.id), null, 'long free text is not listed');
    assert.equal((await field(wh.dbId, 'customers', 'score')).has_field_values, null, 'floats are not listed');

    const id = await field(wh.dbId, 'customers', 'id');
    assert.equal(id.semantic_type, 'type/PK');
    const customerId = await field(wh.dbId, 'purchases', 'customer_id');
    assert.equal(customerId.semantic_type, 'type/FK');
    assert.equal(customerId.fk_target_field_id, id.id);
    assert.deepEqual(JSON.parse(customerId.fingerprint ?? 'null'), { global: { 'distinct-count': 3, 'nil%': 0 } });
    assert.equal((await field(wh.dbId, 'purchases', 'quantity')).semantic_type, 'type/Quantity');
  });

  test('user-set semantic type and description survive a full re-sync; the re-sync fingerprints nothing', async () => {
    const wh = await warehouse(SHOP);
    await h.run(wh.dbId, FULL);
    const customers = await h.table(wh.dbId, 'customers');
    await h.updateField(customers.id, 'email', {
      semantic_type: 'type/Category',
      description: 'Where we write',
      fingerprint_version: 0,
      user_set: JSON.stringify(['description', 'semantic_type']),
    });
    const again = await h.run(wh.dbId, FULL);
    assert.equal(again.outcome.state, 'succeeded');
    const email = await field(wh.dbId, 'customers', 'email');
    assert.equal(email.semantic_type, 'type/Category');
    assert.equal(email.description, 'Where we write');
    const tasks = await h.tasks(again.jobId);
    assert.equal(tasks.find((t) => t.task === 'fingerprint-fields')?.details['fingerprints-attempted'], 1);
    const third = await h.run(wh.dbId, FULL);
    const details = (await h.tasks(third.jobId)).find((t) => t.task === 'fingerprint-fields')?.details;
    assert.equal(details?.['fingerprints-attempted'], 0);
    assert.equal(details?.['warehouse-queries'], 0);
  });

  test('is_full_sync = false: no sample and no distinct-values call', async () => {
    const wh = await warehouse(SHOP);
    await h.updateDatabase(wh.dbId, { is_full_sync: false });
    const calls: string[] = [];
    const spy: DriverFactory = (engine, details, options) => {
      const real = createDriver(engine, details, options);
      return wrapDriver(real, {
        sampleRows: (table, fields, opts, signal) => {
          calls.push(`sample ${table.name}`);
          return real.sampleRows(table, fields, opts, signal);
        },
        distinctValues: (table, fields, opts, signal) => {
          calls.push(`distinct ${table.name}`);
          return real.distinctValues(table, fields, opts, signal);
        },
      });
    };
    const { outcome } = await h.run(wh.dbId, FULL, { createDriver: spy });
    assert.equal(outcome.state, 'succeeded');
    assert.deepEqual(outcome.result.phases, { metadata: 'success', analyze: 'skipped', field_values: 'skipped' });
    assert.deepEqual(calls, []);
    await h.updateDatabase(wh.dbId, { is_full_sync: true });
    await h.run(wh.dbId, FULL, { createDriver: spy });
    assert.deepEqual(calls, [
      'sample customers',
      'sample facts',
      'sample purchases',
      'distinct customers',
      'distinct facts',
      'distinct purchases',
    ]);
  });
});
