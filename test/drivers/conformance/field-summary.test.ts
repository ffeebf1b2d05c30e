// The fieldSummary driver method (GET /api/field/:id/summary) on every engine: the table's row count and the field's
// count of distinct non-null values, from one statement, on the seeded fixture (quoted mixed-case names included).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig } from '../../../src/config.ts';
import { createDriver, driverOptions } from '../../../src/drivers/registry.ts';
import { ENGINE_FIXTURES } from './engines.ts';

const options = driverOptions(loadConfig({ MB_DB_FILE: '/nonexistent/app.db' }));

for (const fixture of ENGINE_FIXTURES) {
  describe(`${fixture.engine}: fieldSummary`, () => {
    test('count and distincts of the seeded Customers columns, one statement each', async (t) => {
      const warehouse = await fixture.create();
      t.after(() => warehouse.cleanup());
      await warehouse.exec(...fixture.ddl, ...fixture.seed);
      const driver = createDriver(fixture.engine, warehouse.details, options);
      t.after(() => driver.close());
      const signal = AbortSignal.timeout(30_000);
      const table = { schema: fixture.schema, name: 'Customers' };
      const before = driver.queryCount;
      assert.deepEqual(await driver.fieldSummary(table, 'status', signal), { count: 4, distincts: 2 });
      assert.deepEqual(await driver.fieldSummary(table, 'order', signal), { count: 4, distincts: 3 });
      assert.deepEqual(await driver.fieldSummary(table, 'FullName', signal), { count: 4, distincts: 4 });
      assert.ok(driver.queryCount - before <= 6, `at most one statement per summary besides session set-up`);
    });
  });
}
