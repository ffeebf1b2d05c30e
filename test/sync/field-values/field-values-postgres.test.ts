// The field-values phase against real PostgreSQL warehouses (sync-engine.md section 6): values cached ascending in one
// batched query per table, the caps, demotion of an overflowing auto-list, clean-up of rows no longer eligible, labels
// that follow their values, per-field failures and timeouts that stop nothing else, abandonment, the deadline, the
// per-run cap and the data-scanning switch read before every query.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import type { WarehouseDriver } from '../../../src/drivers/driver.ts';
import { JobDeadlineExceeded } from '../../../src/jobs/types.ts';
import { createTestDatabase, execSql, testPg } from '../../support/postgres.ts';
import { createHarness, stampCatalog, wrapDriver, writtenSince, type Harness } from '../support.ts';
import { counts, fieldId, runValuesPhase, setFieldValues, valuesOf } from './support.ts';

const METADATA = { metadata: { database: true } } as const;

let h: Harness;
before(async () => {
  h = await createHarness();
});
after(async () => {
  await h.close();
});

async function warehouse(...ddl: string[]) {
  const wh = await createTestDatabase('fvalues');
  await execSql(wh.url, ...ddl);
  const dbId = await h.addDatabase('postgres', wh.details);
  const synced = await h.run(dbId, METADATA);
  assert.equal(synced.outcome.state, 'succeeded');
  return { ...wh, dbId, tableId: async (name: string) => (await h.table(dbId, name)).id };
}

const ORDERS = [
  `CREATE TABLE orders (id serial PRIMARY KEY, status text, qty int, paid boolean, created_at timestamptz, note text,
     amount numeric(10,2), code int, payload jsonb)`,
  `INSERT INTO orders (status, qty, paid, created_at, note, amount, code)
     SELECT (ARRAY['shipped', 'new', 'paid', NULL])[1 + i % 4], i % 5, i % 2 = 0, now(), 'n', i, i
     FROM generate_series(1, 2000) AS i`,
];

describe('field values on PostgreSQL', () => {
  test('eligible fields cached ascending, one query per table; caps; demotion; a rerun writes nothing', async () => {
    const wh = await warehouse(...ORDERS);
    const orders = await wh.tableId('orders');
    await setFieldValues(h, orders, ['status', 'qty', 'paid', 'code', 'created_at', 'payload', 'note'], 'auto-list');
    await setFieldValues(h, orders, ['amount'], 'list', true);
    await h.updateField(orders, 'note', { preview_display: false });

    const first = await runValuesPhase(h, wh.dbId, { database: true });
    assert.equal(first.outcome.status, 'success');
    assert.equal(first.step.status, 'success');
    assert.deepEqual(counts(first.step), {
      'fields-eligible': 5,
      'fields-scanned': 5,
      created: 4,
      updated: 0,
      unchanged: 0,
      deleted: 0,
      'demoted-auto-list': 1,
      truncated: 1,
      errors: 0,
      deferred: 0,
    });
    assert.equal(first.step.details['warehouse-queries'], 1, 'one batched statement for the table');
    assert.equal(first.step.details.scope, 'database');
    assert.deepEqual(first.step.details.failures, []);

    assert.deepEqual(await valuesOf(h, await fieldId(h, orders, 'status')), {
      values: ['new', 'paid', 'shipped'],
      human_readable_values: [],
      has_more_values: false,
    });
    assert.deepEqual((await valuesOf(h, await fieldId(h, orders, 'qty')))?.values, [0, 1, 2, 3, 4]);
    assert.deepEqual((await valuesOf(h, await fieldId(h, orders, 'paid')))?.values, [false, true]);
    const amount = await valuesOf(h, await fieldId(h, orders, 'amount'));
    assert.deepEqual(amount?.values, Array.from({ length: 1000 }, (_, i) => i + 1), 'an admin list keeps 1,000');
    assert.equal(amount?.has_more_values, true);
    for (const name of ['code', 'created_at', 'payload', 'note']) {
      assert.equal(await valuesOf(h, await fieldId(h, orders, name)), null, name);
    }
    const fields = await h.fields(orders);
    assert.equal(fields.find((f) => f.name === 'code')?.has_field_values, null, 'the overflowing auto-list is demoted');
    assert.equal(fields.find((f) => f.name === 'amount')?.has_field_values, 'list');

    const operation = first.operation;
    assert.equal(operation.status, 'success');
    assert.equal(operation.parent_id, null);
    assert.equal(first.step.parent_id, operation.id);
    assert.deepEqual(operation.details, {
      phase: 'field-values',
      scope: 'database',
      triggers: ['admin'],
      steps: { 'update-field-values': 'success' },
      'failed-steps': [],
      'not-run': [],
      abandoned: null,
      skipped: null,
      'warehouse-queries': 1,
    });

    const sentinel = await stampCatalog(h.appDb);
    const second = await runValuesPhase(h, wh.dbId, { database: true });
    assert.deepEqual(counts(second.step), {
      'fields-eligible': 4,
      'fields-scanned': 4,
      created: 0,
      updated: 0,
      unchanged: 4,
      deleted: 0,
      'demoted-auto-list': 0,
      truncated: 1,
      errors: 0,
      deferred: 0,
    });
    assert.equal(await writtenSince(h.appDb, sentinel), 0, 'unchanged values write nothing');
  });

  test('exactly 1,000 values are complete, 1,001 are not; the character cap', async () => {
    const wh = await warehouse(
      `CREATE TABLE caps (k1000 int, k1001 int, words text, big text)`,
      `INSERT INTO caps (k1000, k1001) SELECT least(i, 1000), i FROM generate_series(1, 1001) AS i`,
      `INSERT INTO caps (words, big) SELECT repeat(chr(96 + i), 40000), repeat(chr(96 + i), 40000)
         FROM generate_series(1, 3) AS i`,
    );
    const caps = await wh.tableId('caps');
    await setFieldValues(h, caps, ['k1000', 'k1001', 'big'], 'auto-list');
    await setFieldValues(h, caps, ['words'], 'list', true);
    const run = await runValuesPhase(h, wh.dbId, { database: true });
    assert.equal(run.step.details['demoted-auto-list'], 2);
    assert.equal(run.step.details.truncated, 1);
    const k1000 = await valuesOf(h, await fieldId(h, caps, 'k1000'));
    assert.equal(k1000?.values.length, 1000);
    assert.equal(k1000?.has_more_values, false, 'no false positive at exactly 1,000 (Beyond Metabase)');
    assert.equal(await valuesOf(h, await fieldId(h, caps, 'k1001')), null);
    assert.equal(await valuesOf(h, await fieldId(h, caps, 'big')), null, 'the character cap demotes an auto-list');
    const words = await valuesOf(h, await fieldId(h, caps, 'words'));
    assert.deepEqual(words?.values, ['a'.repeat(40000), 'b'.repeat(40000)]);
    assert.equal(words?.has_more_values, true);
  });

  test('rows of fields no longer eligible are deleted; labels follow their values; table scopes', async () => {
    const wh = await warehouse(
      ...ORDERS,
      `CREATE TABLE tags (tag text)`,
      `INSERT INTO tags VALUES ('x'), ('y')`,
      `CREATE TABLE notes (kind text)`,
      `INSERT INTO notes VALUES ('memo')`,
    );
    const orders = await wh.tableId('orders');
    const tags = await wh.tableId('tags');
    const notes = await wh.tableId('notes');
    await setFieldValues(h, orders, ['status', 'qty', 'paid'], 'auto-list');
    await setFieldValues(h, tags, ['tag'], 'auto-list');
    await setFieldValues(h, notes, ['kind'], 'auto-list');
    assert.equal((await runValuesPhase(h, wh.dbId, { database: true })).step.details.created, 5);
    const status = await fieldId(h, orders, 'status');
    const qty = await fieldId(h, orders, 'qty');
    await h.appDb.db
      .updateTable('metabase_fieldvalues')
      .set({ human_readable_values: JSON.stringify(['New', 'Paid', 'Shipped']) })
      .where('field_id', '=', status)
      .execute();

    await execSql(wh.url, `UPDATE orders SET status = 'returned' WHERE status = 'paid'`, `ALTER TABLE orders DROP qty`);
    assert.equal((await h.run(wh.dbId, METADATA)).outcome.state, 'succeeded');
    assert.equal((await h.fields(orders)).find((f) => f.name === 'qty')?.active, false, 'qty is retired');
    assert.ok(await valuesOf(h, qty), 'the metadata phase leaves the values row to clean-up');
    await setFieldValues(h, orders, ['paid'], 'search', true);
    await h.updateTable(notes, { visibility_type: 'hidden' });

    const scoped = await runValuesPhase(h, wh.dbId, { tables: [tags] });
    assert.equal(scoped.step.details['fields-eligible'], 1);
    assert.equal(scoped.step.details.deleted, 0, 'a table scope cleans up only its own tables');
    assert.deepEqual(scoped.step.details.scope, { tables: [tags], 'new-tables': [] });
    assert.ok(await valuesOf(h, qty));

    const run = await runValuesPhase(h, wh.dbId, { database: true });
    assert.equal(run.step.details.deleted, 3, 'retired qty, paid set to search, the hidden table\'s kind');
    assert.equal(run.step.details.updated, 1);
    assert.equal(run.step.details.unchanged, 1);
    assert.equal(await valuesOf(h, qty), null);
    assert.equal(await valuesOf(h, await fieldId(h, orders, 'paid')), null);
    assert.equal(await valuesOf(h, await fieldId(h, notes, 'kind')), null);
    assert.deepEqual(await valuesOf(h, status), {
      values: ['new', 'returned', 'shipped'],
      human_readable_values: ['New', 'returned', 'Shipped'],
      has_more_values: false,
    });
  });

  test('MB_SYNC_MAX_FIELD_VALUES_FIELDS: fields without values first, the rest deferred to the next run', async () => {
    const wh = await warehouse(`CREATE TABLE r (a text, b text, c text)`, `INSERT INTO r VALUES ('1', '2', '3')`);
    const r = await wh.tableId('r');
    await setFieldValues(h, r, ['a', 'b', 'c'], 'auto-list');
    const env = { MB_SYNC_MAX_FIELD_VALUES_FIELDS: '2' };
    const first = await runValuesPhase(h, wh.dbId, { database: true }, { env });
    assert.equal(first.step.details['fields-eligible'], 3);
    assert.equal(first.step.details['fields-scanned'], 2);
    assert.equal(first.step.details.deferred, 1);
    assert.equal(await valuesOf(h, await fieldId(h, r, 'c')), null);
    const second = await runValuesPhase(h, wh.dbId, { database: true }, { env });
    assert.equal(second.step.details.created, 1, 'the field without values comes first');
    assert.deepEqual((await valuesOf(h, await fieldId(h, r, 'c')))?.values, ['3']);
  });

  test('a field the warehouse refuses fails alone: the batch is asked again field by field', async (t) => {
    const { url } = await testPg();
    const role = `fv_reader_${process.pid}_${Date.now().toString(36)}`;
    const wh = await createTestDatabase('fvalues');
    await execSql(
      wh.url,
      `CREATE TABLE a_orders (id int PRIMARY KEY, status text, secret text)`,
      `INSERT INTO a_orders VALUES (1, 'new', 's1'), (2, 'paid', 's2')`,
      `CREATE TABLE b_tags (tag text)`,
      `INSERT INTO b_tags VALUES ('x')`,
      `CREATE ROLE ${role} LOGIN PASSWORD 'pw'`,
      `GRANT SELECT (id, status) ON a_orders TO ${role}`,
      `GRANT SELECT ON b_tags TO ${role}`,
    );
    t.after(async () => {
      await execSql(wh.url, `DROP OWNED BY ${role}`);
      await execSql(url, `DROP ROLE ${role}`);
    });
    const dbId = await h.addDatabase('postgres', { ...wh.details, user: role, password: 'pw' });
    assert.equal((await h.run(dbId, METADATA)).outcome.state, 'succeeded');
    const orders = (await h.table(dbId, 'a_orders')).id;
    const tags = (await h.table(dbId, 'b_tags')).id;
    await setFieldValues(h, orders, ['status', 'secret'], 'auto-list');
    await setFieldValues(h, tags, ['tag'], 'auto-list');

    const run = await runValuesPhase(h, dbId, { database: true });
    assert.equal(run.outcome.status, 'success');
    assert.equal(run.step.status, 'success', 'a field failure does not fail the step');
    assert.equal(run.step.details.errors, 1);
    assert.equal(run.step.details.created, 2);
    assert.equal(run.step.details['fields-scanned'], 3);
    assert.equal(run.step.details['warehouse-queries'], 4, 'the batch, then one query per field, then b_tags');
    const [failure] = run.step.details.failures as { object: string; code: string; message: string }[];
    assert.deepEqual([failure?.object, failure?.code], ['public.a_orders.secret', 'PERMISSION_DENIED']);
    assert.equal(run.step.details['failures-total'], 1);
    assert.deepEqual((await valuesOf(h, await fieldId(h, orders, 'status')))?.values, ['new', 'paid']);
    assert.deepEqual((await valuesOf(h, await fieldId(h, tags, 'tag')))?.values, ['x']);
    assert.equal(await valuesOf(h, await fieldId(h, orders, 'secret')), null);
    assert.ok(
      (run.step.logs as { message: string }[]).some((l) => l.message.includes('a_orders: the batched query failed')),
    );
  });

  test('a query over its timeout fails its field with TIMEOUT; the other tables go on', async () => {
    const wh = await warehouse(
      `CREATE VIEW a_slow AS SELECT s FROM (VALUES ('a'), ('b')) AS v (s) WHERE pg_sleep(1.5) IS NOT NULL`,
      `CREATE TABLE b_fast (f text)`,
      `INSERT INTO b_fast VALUES ('z')`,
    );
    await setFieldValues(h, await wh.tableId('a_slow'), ['s'], 'auto-list');
    await setFieldValues(h, await wh.tableId('b_fast'), ['f'], 'auto-list');
    const started = performance.now();
    const run = await runValuesPhase(h, wh.dbId, { database: true }, {
      env: { MB_SYNC_FIELD_VALUES_QUERY_TIMEOUT_SECONDS: '1' },
    });
    assert.ok(performance.now() - started < 2900, 'the 3-second query was cut at its 1-second timeout');
    assert.equal(run.outcome.status, 'success');
    assert.equal(run.step.details.errors, 1);
    const [failure] = run.step.details.failures as { object: string; code: string }[];
    assert.deepEqual([failure?.object, failure?.code], ['public.a_slow.s', 'TIMEOUT']);
    assert.deepEqual((await valuesOf(h, await fieldId(h, await wh.tableId('b_fast'), 'f')))?.values, ['z']);
  });

  test('a lost connection abandons the job: the step fails, later tables are not scanned', async () => {
    const wh = await warehouse(
      `CREATE VIEW a_slow AS SELECT s FROM (VALUES ('a')) AS v (s) WHERE pg_sleep(5) IS NOT NULL`,
      `CREATE TABLE b_fast (f text)`,
      `INSERT INTO b_fast VALUES ('z')`,
    );
    await setFieldValues(h, await wh.tableId('a_slow'), ['s'], 'auto-list');
    await setFieldValues(h, await wh.tableId('b_fast'), ['f'], 'auto-list');
    const killer = terminateWhenRunning(wh.url, 'a_slow');
    const run = await runValuesPhase(h, wh.dbId, { database: true });
    assert.equal(await killer, true, 'the running distinct-values query was terminated');
    assert.equal(run.outcome.status, 'failed');
    assert.equal(run.outcome.stop?.kind, 'abandoned');
    assert.equal(run.outcome.failedEssential?.step, 'update-field-values');
    assert.equal(run.step.status, 'failed');
    assert.equal((run.step.details.error as { code: string }).code, 'CONNECTION_FAILED');
    assert.equal(run.operation.status, 'failed');
    assert.deepEqual(run.operation.details['failed-steps'], ['update-field-values']);
    assert.equal((run.operation.details.abandoned as { step: string }).step, 'update-field-values');
    assert.equal(await valuesOf(h, await fieldId(h, await wh.tableId('b_fast'), 'f')), null);
  });

  test('the job deadline stops the phase with TIMEOUT', async () => {
    const wh = await warehouse(
      `CREATE VIEW a_slow AS SELECT s FROM (VALUES ('a')) AS v (s) WHERE pg_sleep(5) IS NOT NULL`,
    );
    await setFieldValues(h, await wh.tableId('a_slow'), ['s'], 'auto-list');
    const deadline = new AbortController();
    setTimeout(() => deadline.abort(new JobDeadlineExceeded('job deadline exceeded')), 300);
    const started = performance.now();
    const run = await runValuesPhase(h, wh.dbId, { database: true }, { signal: deadline.signal });
    assert.ok(performance.now() - started < 4000);
    assert.equal(run.outcome.status, 'failed');
    assert.equal(run.outcome.stop?.kind, 'deadline');
    assert.deepEqual(run.step.details.error, { code: 'TIMEOUT', message: 'the job deadline passed' });
  });

  test('is_full_sync is read again before every query: turning it off stops the scan at the next table', async () => {
    const wh = await warehouse(
      `CREATE TABLE a (x text)`,
      `CREATE TABLE b (y text)`,
      `INSERT INTO a VALUES ('1')`,
      `INSERT INTO b VALUES ('2')`,
    );
    await setFieldValues(h, await wh.tableId('a'), ['x'], 'auto-list');
    await setFieldValues(h, await wh.tableId('b'), ['y'], 'auto-list');
    const wrap = (driver: WarehouseDriver) =>
      wrapDriver(driver, {
        async distinctValues(table, fields, opts, signal) {
          const lists = await driver.distinctValues(table, fields, opts, signal);
          await h.updateDatabase(wh.dbId, { is_full_sync: false });
          return lists;
        },
      });
    const run = await runValuesPhase(h, wh.dbId, { database: true }, { wrap });
    assert.equal(run.outcome.status, 'success');
    assert.equal(run.step.details.skipped, 'data scanning disabled for this database');
    assert.equal(run.step.details['warehouse-queries'], 1, 'no query after the switch was turned off');
    assert.equal(run.step.details.created, 1);
    assert.equal(run.step.details.deferred, 1, 'the field not read waits for a later run');
    assert.equal(await valuesOf(h, await fieldId(h, await wh.tableId('b'), 'y')), null);
  });
});

/** Terminates the backend running a statement that mentions `marker`, once it runs; true when it did. */
async function terminateWhenRunning(url: string, marker: string): Promise<boolean> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const result = await client.query(
        `SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity
          WHERE state = 'active' AND query LIKE $1 AND pid <> pg_backend_pid()`,
        [`%${marker}%`],
      );
      if (result.rows.length > 0) return true;
    } finally {
      await client.end();
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}
