// notify-api.md section 7.3, "Health" (rows 157–161) and "Sample database" (rows 162–165, variants fresh and
// fresh-nosample: the service starts on an empty application database).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, realpathSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  A,
  ANY,
  K,
  OBJECT,
  TS,
  assertJson,
  assertText,
  createWarehouses,
  oneOf,
  startFixture,
  waitFor,
  withFixture,
  withFresh,
  type Fixture,
  type Warehouses,
} from '../support/fixture.ts';

const NO_ENDPOINT = 'API endpoint does not exist.';

describe('health', () => {
  let wh: Warehouses;
  let fx: Fixture;
  before(async () => {
    wh = await createWarehouses();
    fx = await startFixture(wh);
  });
  after(async () => {
    await fx?.close();
    await wh?.close();
  });

  test('row 157: GET /api/health without headers: 200 {"status":"ok"}', async () => {
    assertJson(await fx.request({ method: 'GET', url: '/api/health' }), 200, { status: 'ok' });
  });

  test('row 158: unset and admin-unset, wrong key headers: 200, no key is read', async () => {
    await withFixture(wh, { variants: ['unset', 'admin-unset'] }, async (own) => {
      const headers = { 'X-METABASE-APIKEY': 'wrong', 'X-API-KEY': 'wrong' };
      assertJson(await own.request({ method: 'GET', url: '/api/health', headers }), 200, { status: 'ok' });
    });
  });

  test('row 159: POST /api/health: 404', async () => {
    assertText(await fx.request({ method: 'POST', url: '/api/health' }), 404, NO_ENDPOINT);
  });

  test('row 160: GET /api/health/ (trailing slash): 404', async () => {
    assertText(await fx.request({ method: 'GET', url: '/api/health/' }), 404, NO_ENDPOINT);
  });

  test('row 161: HEAD /api/health: 404 without a body', async () => {
    assertText(await fx.request({ method: 'HEAD', url: '/api/health' }), 404, '');
  });
});

interface DatabaseList {
  readonly data: readonly { readonly id: number; readonly details: { readonly db: string } }[];
  readonly total: number;
}

const SAMPLE_TABLES = ['customers', 'order_items', 'orders', 'products', 'reviews'];

function listDatabases(fx: Fixture) {
  return fx.request({ method: 'GET', url: '/api/database', headers: A });
}

/** Polls M(1) until the sample's initial sync has ended. */
async function initialSyncEnded(fx: Fixture) {
  return waitFor(
    'the initial sync of the sample database',
    async () => {
      const m = await fx.metadata(1);
      return m.initial_sync_status === 'incomplete' ? undefined : m;
    },
    30_000,
  );
}

describe('sample database', () => {
  test('row 162: fresh: the sample database is registered, synced, and its file exists', async () => {
    await withFresh({ sample: true }, async (fx) => {
      const body = assertJson<DatabaseList>(await listDatabases(fx), 200, {
        data: [
          {
            id: 1, name: 'Sample Database', engine: 'sqlite', details: OBJECT, is_attached_dwh: false,
            is_full_sync: true, is_on_demand: false, initial_sync_status: oneOf('incomplete', 'complete'),
            metadata_sync_schedule: '0 1 * * * ? *', cache_field_values_schedule: '0 0 1 * * ? *',
            timezone: ANY, dbms_version: ANY, created_at: TS, updated_at: TS,
          },
        ],
        total: 1,
      });
      const expectedFile = join(realpathSync(fx.dir), 'sample.sqlite');
      assert.deepEqual(Object.keys(body.data[0].details), ['db']);
      assert.equal(existsSync(expectedFile), true, 'sample.sqlite exists');
      assert.equal(realpathSync(resolve(body.data[0].details.db)), expectedFile);

      const m = await initialSyncEnded(fx);
      assert.equal(m.initial_sync_status, 'complete');
      assert.ok(m.tables.every((t) => t.schema === null && t.active), 'every table has schema null and is active');
      const names = m.tables.map((t) => t.name);
      const others = names.filter((n) => !SAMPLE_TABLES.includes(n));
      assert.deepEqual(names.filter((n) => SAMPLE_TABLES.includes(n)), SAMPLE_TABLES);
      assert.equal(others.length, 1, `one view besides the five tables: ${names.join(', ')}`);
      const view = (await fx.tableRows(1)).find((t) => t.name === others[0]);
      assert.equal(view?.kind, 'view');
    });
  });

  test('row 163: fresh: attached_datawarehouse: 404 Not found. (the sample is not flagged)', async () => {
    await withFresh({ sample: true }, async (fx) => {
      const res = await fx.request({ url: '/api/notify/db/attached_datawarehouse', headers: K, json: {} });
      assertText(res, 404, 'Not found.');
    });
  });

  test('row 164: fresh-nosample: no database, no sample.sqlite', async () => {
    await withFresh({ sample: false }, async (fx) => {
      assertJson(await listDatabases(fx), 200, { data: [], total: 0 });
      assert.equal(existsSync(join(fx.dir, 'sample.sqlite')), false);
    });
  });

  test('row 165: fresh, stopped and started again: still the one sample database, its file untouched', async () => {
    await withFresh({ sample: true }, async (fx) => {
      await initialSyncEnded(fx);
      const before = assertJson<DatabaseList>(await listDatabases(fx), 200, { data: [OBJECT], total: 1 });
      const file = join(fx.dir, 'sample.sqlite');
      const written = statSync(file).mtimeMs;
      await fx.restart();
      assertJson(await listDatabases(fx), 200, before);
      assert.equal(statSync(file).mtimeMs, written, 'sample.sqlite was not written again');
      const count = await fx.appDb.db
        .selectFrom('metabase_database')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      assert.equal(Number(count.n), 1);
    });
  });
});
