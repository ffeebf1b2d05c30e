// The analyze phase and the data phases of a job against real PostgreSQL warehouses (sync-engine.md 1.3, 1.4, 5, 6.5,
// 7.3, 8.7, 9.2): exact fingerprints, classification, user settings that survive, re-runs that fingerprint nothing
// new, the per-run cap, one sample query per table, failures isolated per table, the switch, abandonment, the deadline.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DriverError, type WarehouseDriver } from '../../../src/drivers/driver.ts';
import { createDriver } from '../../../src/drivers/registry.ts';
import { JobDeadlineExceeded, type Plan } from '../../../src/jobs/types.ts';
import { createTestDatabase, execSql, testPg } from '../../support/postgres.ts';
import { createHarness, wrapDriver, type DriverFactory, type Harness, type TaskView } from '../support.ts';

const FULL: Plan = { metadata: { database: true }, analyze: { database: true }, field_values: { database: true } };
const SCHEMA: Plan = { metadata: { database: true } };

let h: Harness;
before(async () => {
  await testPg();
  h = await createHarness();
});
after(async () => {
  await h.close();
});

async function warehouse(...ddl: string[]) {
  const wh = await createTestDatabase('analyze');
  if (ddl.length > 0) await execSql(wh.url, ...ddl);
  const dbId = await h.addDatabase('postgres', wh.details);
  return { ...wh, dbId };
}

/** A real driver that records every data call (sampleRows, distinctValues: the only methods that read table data). */
function counting(): { factory: DriverFactory; samples: string[]; distincts: string[] } {
  const samples: string[] = [];
  const distincts: string[] = [];
  const factory: DriverFactory = (engine, details, options) => {
    const real = createDriver(engine, details, options);
    return wrapDriver(real, {
      sampleRows: (table, fields, opts, signal) => {
        samples.push(table.name);
        return real.sampleRows(table, fields, opts, signal);
      },
      distinctValues: (table, fields, opts, signal) => {
        distincts.push(table.name);
        return real.distinctValues(table, fields, opts, signal);
      },
    });
  };
  return { factory, samples, distincts };
}

function wrapping(overrides: (real: WarehouseDriver) => Partial<WarehouseDriver>): DriverFactory {
  return (engine, details, options) => {
    const real = createDriver(engine, details, options);
    return wrapDriver(real, overrides(real));
  };
}

async function field(dbId: number, table: string, name: string) {
  const found = (await h.fields((await h.table(dbId, table)).id)).find((f) => f.name === name);
  if (!found) throw new Error(`no field ${table}.${name}`);
  return found;
}

async function fingerprint(dbId: number, table: string, name: string): Promise<unknown> {
  return JSON.parse((await field(dbId, table, name)).fingerprint ?? 'null');
}

function step(tasks: readonly TaskView[], task: string): TaskView {
  const found = tasks.find((t) => t.task === task);
  if (!found) throw new Error(`no ${task} row`);
  return found;
}

async function valuesOf(fieldId: number): Promise<unknown[] | null> {
  const row = await h.appDb.db
    .selectFrom('metabase_fieldvalues')
    .select('values')
    .where('field_id', '=', fieldId)
    .executeTakeFirst();
  return row === undefined ? null : (JSON.parse(row.values) as unknown[]);
}

const FACTS = [
  `CREATE TABLE facts (id serial PRIMARY KEY, status text, amount numeric(10, 2), happened date, seen_at timestamptz,
     contact text, site text, payload text, state text, flag boolean, tags integer[], doc jsonb)`,
  `INSERT INTO facts (status, amount, happened, seen_at, contact, site, payload, state, flag, tags) VALUES
     ('open', 10.5, '2024-01-05', '2025-11-25 10:30:00+02', 'a@example.com', 'https://example.com/a', '{"a":1}', 'CA', true, '{1}'),
     ('closed', 20, '2023-12-31', '2021-03-01 09:12:44+00', 'b@example.com', 'http://localhost:3000', '[1,2]', 'Texas', false, NULL),
     ('open', NULL, '2024-06-30', NULL, 'c@example.org', 'ftp://files.example.org', '[bob]', 'ny', true, NULL),
     (NULL, 30, NULL, '2025-11-25 23:58:02+00', 'd@example.org', 'example.com', 'plain', 'Narnia', NULL, NULL),
     ('pending', 40.25, '2024-02-29', '2022-01-01 00:00:00+00', 'e@x.io', 'https://a.b.io/x', '{', 'DC', false, NULL),
     (NULL, NULL, '2024-02-29', '2023-05-05 05:05:05+00', 'not an email', NULL, NULL, NULL, NULL, NULL),
     ('open', 50, '2024-03-01', '2024-04-04 04:04:04+00', 'f@example.com', 'https://example.com/b', '[true]', 'tx', true, NULL),
     ('closed', 60, '2024-03-02', '2024-04-04 04:04:04+00', NULL, 'https://example.com/c', '[ ]', 'Ohio', true, NULL)`,
  `CREATE TABLE foo (val bigint NOT NULL)`,
  `INSERT INTO foo VALUES (1), (2), (3)`,
];

describe('fingerprints on PostgreSQL', () => {
  test('a table with known data gives exact fingerprints, version 5, and last_analyzed once classified', async () => {
    const wh = await warehouse(...FACTS);
    const { jobId, outcome } = await h.run(wh.dbId, FULL);
    assert.equal(outcome.state, 'succeeded', outcome.error ?? '');
    assert.deepEqual(outcome.result.phases, { metadata: 'success', analyze: 'success', field_values: 'success' });

    assert.deepEqual(await fingerprint(wh.dbId, 'facts', 'status'), {
      global: { 'distinct-count': 3, 'nil%': 0.25 },
      type: {
        'type/Text': {
          'percent-json': 0,
          'percent-url': 0,
          'percent-email': 0,
          'percent-state': 0,
          'average-length': 31 / 6,
        },
      },
    });
    const amounts = [10.5, 20, 30, 40.25, 50, 60];
    const avg = 210.75 / 6;
    const sd = Math.sqrt(amounts.reduce((sum, x) => sum + (x - avg) ** 2, 0) / 6);
    assert.deepEqual(await fingerprint(wh.dbId, 'facts', 'amount'), {
      global: { 'distinct-count': 6, 'nil%': 0.25 },
      type: { 'type/Number': { min: 10.5, max: 60, avg: 35.125, sd, q1: 22.5, q3: 47.5625 } },
    });
    assert.deepEqual(await fingerprint(wh.dbId, 'facts', 'happened'), {
      global: { 'distinct-count': 6, 'nil%': 0.125 },
      type: { 'type/DateTime': { earliest: '2023-12-31', latest: '2024-06-30' } },
    });
    assert.deepEqual(await fingerprint(wh.dbId, 'facts', 'seen_at'), {
      global: { 'distinct-count': 6, 'nil%': 0.125 },
      type: { 'type/DateTime': { earliest: '2021-03-01T09:12:44Z', latest: '2025-11-25T23:58:02Z' } },
    });
    const contact = (await fingerprint(wh.dbId, 'facts', 'contact')) as { type: { 'type/Text': Record<string, number> } };
    assert.equal(contact.type['type/Text']['percent-email'], 6 / 7);
    const site = (await fingerprint(wh.dbId, 'facts', 'site')) as { type: { 'type/Text': Record<string, number> } };
    assert.equal(site.type['type/Text']['percent-url'], 6 / 7);
    const payload = (await fingerprint(wh.dbId, 'facts', 'payload')) as { type: { 'type/Text': Record<string, number> } };
    assert.equal(payload.type['type/Text']['percent-json'], 5 / 7);
    const state = (await fingerprint(wh.dbId, 'facts', 'state')) as { type: { 'type/Text': Record<string, number> } };
    assert.equal(state.type['type/Text']['percent-state'], 6 / 7);
    assert.deepEqual(await fingerprint(wh.dbId, 'facts', 'flag'), { global: { 'distinct-count': 2, 'nil%': 0.25 } });
    assert.deepEqual(await fingerprint(wh.dbId, 'foo', 'val'), {
      global: { 'distinct-count': 3, 'nil%': 0 },
      type: { 'type/Number': { min: 1, max: 3, avg: 2, sd: 0.816496580927726, q1: 1.5, q3: 2.5 } },
    });

    for (const name of ['id', 'tags', 'doc']) {
      const f = await field(wh.dbId, 'facts', name);
      assert.equal(f.fingerprint, null, `${name} is not fingerprinted`);
      assert.equal(f.fingerprint_version, 0);
    }
    const status = await field(wh.dbId, 'facts', 'status');
    assert.equal(status.fingerprint_version, 5);
    assert.match(status.last_analyzed ?? '', /^\d{4}-\d\d-\d\dT/);

    const tasks = await h.tasks(jobId);
    const fingerprints = step(tasks, 'fingerprint-fields');
    assert.equal(fingerprints.status, 'success');
    assert.deepEqual(fingerprints.details, {
      scope: 'database',
      'fingerprints-attempted': 10,
      'updated-fingerprints': 10,
      'no-data-fingerprints': 0,
      'failed-fingerprints': 0,
      'tables-sampled': 2,
      'tables-failed': 0,
      'rows-sampled': 11,
      'deferred-fields': 0,
      failures: [],
      'failures-total': 0,
      'warehouse-queries': 2,
    });
    assert.equal(step(tasks, 'classify-fields').details['fields-classified'], 10);
    assert.equal(step(tasks, 'classify-fields').details['warehouse-queries'], 0);
    assert.deepEqual(step(tasks, 'classify-tables').details['tables-classified'], 2);
    const operation = tasks.find((t) => t.task === 'analyze');
    assert.equal(operation?.status, 'success');
    assert.deepEqual(operation?.details.steps, {
      'fingerprint-fields': 'success',
      'classify-fields': 'success',
      'classify-tables': 'success',
    });
    assert.equal(operation?.details['warehouse-queries'], 2);
    assert.equal(operation?.details.skipped, null);
    assert.deepEqual(
      tasks.filter((t) => t.parent_id === null).map((t) => t.task),
      ['sync', 'analyze', 'field values scanning'],
    );
  });

  test('an empty table gives no fingerprint and is tried again at the next analyze', async () => {
    const wh = await warehouse(`CREATE TABLE empty (v text)`);
    const { jobId } = await h.run(wh.dbId, FULL);
    const details = step(await h.tasks(jobId), 'fingerprint-fields').details;
    assert.equal(details['no-data-fingerprints'], 1);
    assert.equal(details['updated-fingerprints'], 0);
    assert.equal((await field(wh.dbId, 'empty', 'v')).fingerprint_version, 0);
    await execSql(wh.url, `INSERT INTO empty VALUES ('x')`);
    const again = await h.run(wh.dbId, FULL);
    assert.equal(step(await h.tasks(again.jobId), 'fingerprint-fields').details['updated-fingerprints'], 1);
  });
});

describe('classification on PostgreSQL', () => {
  const SHOP = [
    `CREATE TABLE users (id serial PRIMARY KEY, email text, tier text, bio text, created_at timestamptz)`,
    `INSERT INTO users (email, tier, bio, created_at)
       SELECT 'user' || i || '@example.com', (ARRAY['gold', 'silver', 'bronze'])[1 + i % 3],
              'A long free-text biography that keeps going well past fifty characters, number ' || i,
              timestamptz '2024-01-01 00:00:00+00' + i * interval '1 day'
       FROM generate_series(1, 40) AS i`,
    `CREATE TABLE orders (id serial PRIMARY KEY, user_id int REFERENCES users (id), total numeric(10, 2))`,
    `INSERT INTO orders (user_id, total) SELECT 1 + i % 40, i FROM generate_series(1, 100) AS i`,
  ];

  test('email, category with cached values, long text not listed, created_at, PK/FK, entity types', async () => {
    const wh = await warehouse(...SHOP);
    const { outcome } = await h.run(wh.dbId, FULL);
    assert.equal(outcome.state, 'succeeded', outcome.error ?? '');

    const email = await field(wh.dbId, 'users', 'email');
    assert.equal(email.semantic_type, 'type/Email');
    assert.equal(email.has_field_values, 'auto-list');

    const tier = await field(wh.dbId, 'users', 'tier');
    assert.equal(tier.semantic_type, 'type/Category');
    assert.equal(tier.has_field_values, 'auto-list');
    assert.deepEqual(await valuesOf(tier.id), ['bronze', 'gold', 'silver']);

    const bio = await field(wh.dbId, 'users', 'bio');
    assert.equal(bio.semantic_type, null);
    const bioRow = await h.appDb.db.selectFrom('metabase_field').select('preview_display').where('id', '=', bio.id)
      .executeTakeFirstOrThrow();
    assert.equal(Boolean(bioRow.preview_display), false);
    assert.equal(await valuesOf(bio.id), null, 'long free text is not listed');

    assert.equal((await field(wh.dbId, 'users', 'created_at')).semantic_type, 'type/CreationTimestamp');
    const usersId = await field(wh.dbId, 'users', 'id');
    assert.equal(usersId.semantic_type, 'type/PK');
    assert.equal(usersId.fingerprint, null, 'PKs are not fingerprinted');
    const userId = await field(wh.dbId, 'orders', 'user_id');
    assert.equal(userId.semantic_type, 'type/FK');
    assert.equal(userId.fk_target_field_id, usersId.id);
    assert.deepEqual(JSON.parse(userId.fingerprint ?? 'null'), { global: { 'distinct-count': 40, 'nil%': 0 } });
    assert.equal(userId.has_field_values, null, 'FKs are not listed');
    assert.equal((await field(wh.dbId, 'orders', 'total')).has_field_values, null, 'decimals are not listed');

    const entity = async (name: string) =>
      (await h.appDb.db.selectFrom('metabase_table').select('entity_type').where('db_id', '=', wh.dbId)
        .where('name', '=', name).executeTakeFirstOrThrow()).entity_type;
    assert.equal(await entity('users'), 'entity/UserTable');
    assert.equal(await entity('orders'), 'entity/TransactionTable');
  });

  test('user-set semantic type, description and entity type survive a full re-sync; reruns fingerprint nothing new', async () => {
    const wh = await warehouse(...SHOP);
    await h.run(wh.dbId, FULL);
    const users = await h.table(wh.dbId, 'users');
    await h.updateField(users.id, 'tier', {
      semantic_type: 'type/Name',
      description: 'Loyalty tier',
      user_set: JSON.stringify(['description', 'semantic_type']),
    });
    await h.updateTable(users.id, { entity_type: 'entity/GenericTable', user_set: JSON.stringify(['entity_type']) });
    // Force a re-classification of tier too: as if its fingerprint had an older version.
    await h.updateField(users.id, 'tier', { fingerprint_version: 4 });

    const again = await h.run(wh.dbId, FULL);
    assert.equal(again.outcome.state, 'succeeded');
    const tier = await field(wh.dbId, 'users', 'tier');
    assert.equal(tier.semantic_type, 'type/Name');
    assert.equal(tier.description, 'Loyalty tier');
    assert.equal(tier.fingerprint_version, 5);
    assert.equal((await h.table(wh.dbId, 'users')).user_set.includes('entity_type'), true);
    const entity = await h.appDb.db.selectFrom('metabase_table').select('entity_type').where('id', '=', users.id)
      .executeTakeFirstOrThrow();
    assert.equal(entity.entity_type, 'entity/GenericTable');
    const fingerprints = step(await h.tasks(again.jobId), 'fingerprint-fields').details;
    assert.equal(fingerprints['fingerprints-attempted'], 1, 'only the field whose version was lowered');
    assert.equal(step(await h.tasks(again.jobId), 'classify-fields').details['fields-classified'], 1);

    await execSql(wh.url, `ALTER TABLE users ADD COLUMN nickname text`, `ALTER TABLE orders ALTER COLUMN total TYPE text`);
    const third = await h.run(wh.dbId, FULL);
    const details = step(await h.tasks(third.jobId), 'fingerprint-fields').details;
    assert.equal(details['fingerprints-attempted'], 2, 'the new field and the one whose base type changed');
    assert.equal(details['tables-sampled'], 2);
    const total = await field(wh.dbId, 'orders', 'total');
    assert.ok(JSON.parse(total.fingerprint ?? '{}').type['type/Text'], 'fingerprinted again as text');

    const fourth = await h.run(wh.dbId, FULL);
    const last = step(await h.tasks(fourth.jobId), 'fingerprint-fields').details;
    assert.equal(last['fingerprints-attempted'], 0);
    assert.equal(last['warehouse-queries'], 0, 'nothing to fingerprint, no sample query');
  });
});

describe('guardrails on PostgreSQL', () => {
  const THREE = [
    `CREATE TABLE a (x int, y text)`,
    `INSERT INTO a VALUES (1, 'p'), (2, 'q')`,
    `CREATE TABLE b (x int, y text)`,
    `INSERT INTO b VALUES (1, 'p'), (2, 'q')`,
    `CREATE TABLE c (x int, y text)`,
    `INSERT INTO c VALUES (1, 'p'), (2, 'q')`,
  ];

  test('scan schema runs no data query; scan full at most one sample query per table plus field-value queries', async () => {
    const wh = await warehouse(...THREE);
    const schema = counting();
    const { jobId } = await h.run(wh.dbId, SCHEMA, { createDriver: schema.factory });
    assert.deepEqual([schema.samples, schema.distincts], [[], []]);
    assert.deepEqual((await h.tasks(jobId)).filter((t) => t.parent_id === null).map((t) => t.task), ['sync']);

    const full = counting();
    const run = await h.run(wh.dbId, FULL, { createDriver: full.factory });
    assert.equal(run.outcome.state, 'succeeded');
    assert.deepEqual(full.samples, ['a', 'b', 'c']);
    assert.deepEqual(full.distincts, ['a', 'b', 'c']);
    const tasks = await h.tasks(run.jobId);
    assert.equal(step(tasks, 'fingerprint-fields').details['warehouse-queries'], 3);
    assert.equal(step(tasks, 'update-field-values').details['warehouse-queries'], 3);
  });

  test('is_full_sync = false: no data query from any plan, skipped operation rows, new tables still complete', async () => {
    const wh = await warehouse(...THREE);
    await h.updateDatabase(wh.dbId, { is_full_sync: false });
    const spy = counting();
    const { jobId, outcome } = await h.run(wh.dbId, FULL, { createDriver: spy.factory });
    assert.equal(outcome.state, 'succeeded');
    assert.deepEqual(outcome.result.phases, { metadata: 'success', analyze: 'skipped', field_values: 'skipped' });
    const operations = (await h.tasks(jobId)).filter((t) => t.parent_id === null);
    assert.deepEqual(operations.map((t) => [t.task, t.status, t.details.skipped]), [
      ['sync', 'success', null],
      ['analyze', 'success', 'data scanning disabled for this database'],
      ['field values scanning', 'success', 'data scanning disabled for this database'],
    ]);
    assert.deepEqual(operations[1].details['not-run'], ['fingerprint-fields', 'classify-fields', 'classify-tables']);
    assert.equal(outcome.result.operations.length, 3);

    await execSql(wh.url, `CREATE TABLE events (x int)`, `INSERT INTO events VALUES (1)`);
    const events = [{ schema: 'public', name: 'events' }];
    const table: Plan = { metadata: { new_tables: events }, analyze: { new_tables: events }, field_values: { new_tables: events } };
    const created = await h.run(wh.dbId, table, { createDriver: spy.factory });
    assert.equal(created.outcome.state, 'succeeded');
    assert.equal((await h.table(wh.dbId, 'events')).initial_sync_status, 'complete');
    assert.deepEqual([spy.samples, spy.distincts], [[], []]);
    assert.equal((await field(wh.dbId, 'a', 'x')).fingerprint, null);
  });

  test('turning is_full_sync off during analysis stops sampling at the next table', async () => {
    const wh = await warehouse(...THREE);
    const samples: string[] = [];
    const switching = wrapping((real) => ({
      async *sampleRows(table, fields, opts, signal) {
        samples.push(table.name);
        if (samples.length === 1) await h.updateDatabase(wh.dbId, { is_full_sync: false });
        yield* real.sampleRows(table, fields, opts, signal);
      },
    }));
    const { jobId, outcome } = await h.run(wh.dbId, FULL, { createDriver: switching });
    assert.equal(outcome.state, 'succeeded');
    assert.deepEqual(samples, ['a']);
    const details = step(await h.tasks(jobId), 'fingerprint-fields').details;
    assert.equal(details['updated-fingerprints'], 2);
    assert.equal(details['deferred-fields'], 4);
    assert.equal(outcome.result.phases.field_values, 'skipped');
  });

  test('MB_SYNC_MAX_FINGERPRINT_FIELDS defers the rest to the next run', async () => {
    const wh = await warehouse(...THREE);
    const first = await h.run(wh.dbId, FULL, { config: { maxFingerprintFields: 3 } });
    const details = step(await h.tasks(first.jobId), 'fingerprint-fields').details;
    assert.equal(details['fingerprints-attempted'], 3);
    assert.equal(details['deferred-fields'], 3);
    assert.equal(details['tables-sampled'], 2, 'the cap splits table b: one of its fields waits');
    assert.equal((await field(wh.dbId, 'b', 'y')).fingerprint_version, 0);
    const second = await h.run(wh.dbId, FULL, { config: { maxFingerprintFields: 3 } });
    const next = step(await h.tasks(second.jobId), 'fingerprint-fields').details;
    assert.equal(next['fingerprints-attempted'], 3);
    assert.equal(next['deferred-fields'], 0);
    assert.equal((await field(wh.dbId, 'c', 'y')).fingerprint_version, 5);
  });

  test('one failing table does not stop the others (SELECT revoked on a column for the warehouse user)', async () => {
    const wh = await warehouse(...THREE);
    const role = `${wh.name}_reader`;
    await execSql(wh.url, `CREATE ROLE ${role} LOGIN PASSWORD 'pw'`, `GRANT SELECT ON a, c TO ${role}`,
      `GRANT SELECT (x) ON b TO ${role}`);
    try {
      await h.updateDatabase(wh.dbId, { details: JSON.stringify({ ...wh.details, user: role, password: 'pw' }) });
      const { jobId, outcome } = await h.run(wh.dbId, FULL);
      assert.equal(outcome.state, 'succeeded', outcome.error ?? '');
      const details = step(await h.tasks(jobId), 'fingerprint-fields').details;
      assert.equal(details['tables-sampled'], 2);
      assert.equal(details['tables-failed'], 1);
      assert.equal(details['failed-fingerprints'], 2);
      assert.equal(details['updated-fingerprints'], 4);
      assert.deepEqual((details.failures as { object: string; code: string }[]).map((f) => [f.object, f.code]), [
        ['public.b', 'PERMISSION_DENIED'],
      ]);
      assert.equal((await field(wh.dbId, 'c', 'y')).fingerprint_version, 5);
    } finally {
      await execSql(wh.url, `DROP OWNED BY ${role}`, `DROP ROLE ${role}`);
    }
  });

  test('a lost connection while sampling abandons the job: the remaining steps and phases do not run', async () => {
    const wh = await warehouse(...THREE);
    const lost = wrapping(() => ({
      async *sampleRows() {
        throw new DriverError('CONNECTION_FAILED', 'postgres', 'connection to 127.0.0.1:1 closed unexpectedly');
      },
    }));
    const { jobId, outcome } = await h.run(wh.dbId, FULL, { createDriver: lost });
    assert.equal(outcome.state, 'failed');
    assert.match(outcome.error ?? '', /lost the warehouse during fingerprint-fields/);
    assert.deepEqual(outcome.result.phases, { metadata: 'success', analyze: 'failed' });
    const tasks = await h.tasks(jobId);
    const operation = tasks.find((t) => t.task === 'analyze');
    assert.equal(operation?.status, 'failed');
    assert.deepEqual(operation?.details['not-run'], ['classify-fields', 'classify-tables']);
    assert.equal((operation?.details.abandoned as { step: string }).step, 'fingerprint-fields');
    assert.equal(tasks.some((t) => t.task === 'field values scanning'), false);
  });

  test('the job deadline cancels the running sample query and fails the job', async () => {
    const wh = await warehouse(...THREE, `CREATE VIEW slow AS SELECT x FROM generate_series(1, 100000) AS x WHERE pg_sleep(0.01 + x * 0)::text = ''`);
    const controller = new AbortController();
    const deadline = wrapping((real) => ({
      sampleRows: (table, fields, opts, signal) => {
        if (table.name === 'slow') setTimeout(() => controller.abort(new JobDeadlineExceeded('job deadline exceeded')), 200);
        return real.sampleRows(table, fields, opts, signal);
      },
    }));
    const started = performance.now();
    const { jobId, outcome } = await h.run(wh.dbId, FULL, { createDriver: deadline, signal: controller.signal });
    assert.ok(performance.now() - started < 10_000);
    assert.equal(outcome.state, 'failed');
    assert.equal(outcome.error, 'Sync failed: the job deadline passed during fingerprint-fields');
    const tasks = await h.tasks(jobId);
    const fingerprints = step(tasks, 'fingerprint-fields');
    assert.equal(fingerprints.status, 'failed');
    assert.deepEqual(fingerprints.details.error, { code: 'TIMEOUT', message: 'the job deadline passed' });
    assert.equal(fingerprints.details['updated-fingerprints'], 6, 'tables before the deadline kept their work');
    assert.equal(tasks.some((t) => t.task === 'classify-fields'), false);
    assert.equal(tasks.some((t) => t.task === 'field values scanning'), false);
  });
});

describe('table-level full sync on PostgreSQL', () => {
  test('a new table is created, analyzed and its values cached; only synced tables of the scope are analyzed', async () => {
    const wh = await warehouse(`CREATE TABLE old (kind text)`, `INSERT INTO old VALUES ('a')`);
    await h.run(wh.dbId, SCHEMA);
    await execSql(wh.url, `CREATE TABLE events (kind text)`, `INSERT INTO events VALUES ('x'), ('y'), ('x')`);
    const spy = counting();
    const events = [{ schema: 'public', name: 'events' }];
    const plan: Plan = { metadata: { new_tables: events }, analyze: { new_tables: events }, field_values: { new_tables: events } };
    const { outcome } = await h.run(wh.dbId, plan, { createDriver: spy.factory });
    assert.equal(outcome.state, 'succeeded', outcome.error ?? '');
    assert.deepEqual(spy.samples, ['events']);
    const kind = await field(wh.dbId, 'events', 'kind');
    assert.equal(kind.semantic_type, 'type/Category');
    assert.deepEqual(await valuesOf(kind.id), ['x', 'y']);
    assert.equal((await h.table(wh.dbId, 'events')).initial_sync_status, 'complete');
    assert.equal((await field(wh.dbId, 'old', 'kind')).fingerprint, null);

    const old = await h.table(wh.dbId, 'old');
    await h.updateTable(old.id, { visibility_type: 'hidden' });
    const hidden = counting();
    const byId: Plan = { metadata: { tables: [old.id] }, analyze: { tables: [old.id] }, field_values: { tables: [old.id] } };
    assert.equal((await h.run(wh.dbId, byId, { createDriver: hidden.factory })).outcome.state, 'succeeded');
    assert.deepEqual(hidden.samples, [], 'a hidden table is not analyzed even when named');
  });
});
