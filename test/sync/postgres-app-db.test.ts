// The same reconciliation on a PostgreSQL application database (row locks, json_build_array, boolean columns).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Plan } from '../../src/jobs/types.ts';
import { createTestDatabase, execSql } from '../support/postgres.ts';
import { createHarness, stampCatalog, writtenSince, type Harness } from './support.ts';

const DATABASE: Plan = { metadata: { database: true } };

let h: Harness;
before(async () => {
  h = await createHarness('postgres');
});
after(async () => {
  await h.close();
});

describe('metadata sync with a PostgreSQL application database', () => {
  test('create, no-op, rename, retype, retire, FKs and a table-level new table', async () => {
    const wh = await createTestDatabase('syncappdb');
    await execSql(
      wh.url,
      `CREATE TABLE users (id serial PRIMARY KEY, email text)`,
      `CREATE TABLE orders (id int PRIMARY KEY, user_id int REFERENCES users (id), status text, legacy text)`,
      `CREATE INDEX orders_status ON orders (status)`,
    );
    const dbId = await h.addDatabase('postgres', wh.details);
    const first = await h.run(dbId, DATABASE);
    assert.equal(first.outcome.state, 'succeeded');
    const orders = await h.table(dbId, 'orders');
    const users = await h.table(dbId, 'users');
    const orderFields = await h.fields(orders.id);
    assert.equal(orderFields.find((f) => f.name === 'user_id')?.fk_target_field_id, (await h.fields(users.id))[0].id);
    assert.equal(orderFields.find((f) => f.name === 'status')?.database_indexed, true);
    assert.equal(orders.initial_sync_status, 'complete');

    const sentinel = await stampCatalog(h.appDb);
    assert.equal((await h.run(dbId, DATABASE)).outcome.state, 'succeeded');
    assert.equal(await writtenSince(h.appDb, sentinel), 0);

    await execSql(
      wh.url,
      `ALTER TABLE orders RENAME COLUMN status TO state`,
      `ALTER TABLE orders ALTER COLUMN legacy TYPE int USING 0`,
      `ALTER TABLE orders DROP CONSTRAINT orders_user_id_fkey`,
      `ALTER TABLE users RENAME TO customers`,
      `CREATE TABLE payments (id int PRIMARY KEY, order_id int REFERENCES orders (id))`,
    );
    const second = await h.run(dbId, DATABASE);
    assert.equal(second.outcome.state, 'succeeded');
    assert.equal((await h.table(dbId, 'customers')).id, users.id);
    const after = await h.fields(orders.id);
    assert.equal(after.find((f) => f.name === 'state')?.id, orderFields.find((f) => f.name === 'status')?.id);
    assert.equal(after.find((f) => f.name === 'legacy')?.base_type, 'type/Integer');
    assert.equal(after.find((f) => f.name === 'user_id')?.fk_target_field_id, null);
    const payments = await h.table(dbId, 'payments');
    assert.equal((await h.fields(payments.id)).find((f) => f.name === 'order_id')?.semantic_type, 'type/FK');

    await execSql(wh.url, `CREATE TABLE refunds (id int)`, `DROP TABLE payments`);
    const tableLevel = await h.run(dbId, {
      metadata: { tables: [payments.id], new_tables: [{ schema: 'public', name: 'refunds' }] },
    });
    assert.equal(tableLevel.outcome.state, 'succeeded');
    assert.equal((await h.table(dbId, 'payments')).active, false);
    assert.equal(tableLevel.outcome.result.new_tables[0].status, 'created');
    const tasks = await h.tasks(tableLevel.jobId);
    assert.deepEqual(tasks.map((t) => t.status), ['success', 'success', 'success', 'success', 'success']);
  });
});
