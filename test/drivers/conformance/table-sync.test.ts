// Conformance cases 2 to 4: a one-table sync after an ALTER, the exact and case-sensitive exists-check, and a new table
// added through POST /api/notify/db/:id/new-table.
import assert from 'node:assert/strict';
import { after, before, describe, test, type TestContext } from 'node:test';
import { createDriver } from '../../../src/drivers/registry.ts';
import type { EngineFixture, ExpectedTable } from './engine-fixture.ts';
import { ENGINE_FIXTURES } from './engines.ts';
import { ConformanceService } from './service.ts';

const OPTIONS = {
  connectTimeoutMs: 10_000,
  catalogQueryTimeoutMs: 10_000,
  sampleQueryTimeoutMs: 10_000,
  fieldValuesQueryTimeoutMs: 10_000,
};

let service: ConformanceService;
before(async () => {
  service = await ConformanceService.start();
});
after(async () => {
  await service.stop();
});

async function registered(t: TestContext, fixture: EngineFixture) {
  const warehouse = await fixture.create();
  t.after(() => warehouse.cleanup());
  await warehouse.exec(...fixture.ddl);
  return { warehouse, dbId: await service.register(fixture, warehouse) };
}

for (const fixture of ENGINE_FIXTURES) {
  describe(`${fixture.engine}: table-level operations`, () => {
    test('a one-table schema sync after an ALTER adds the column and leaves the rest as it was', async (t) => {
      const { warehouse, dbId } = await registered(t, fixture);
      const before = await service.catalog(dbId);
      await warehouse.exec(fixture.addColumn.sql);
      const job = await service.notify(dbId, { table_name: fixture.addColumn.table });
      assert.equal(job.state, 'succeeded', job.error ?? '');
      const expected: ExpectedTable[] = fixture.expected.map((t) =>
        t.name === fixture.addColumn.table ? { ...t, fields: [...t.fields, fixture.addColumn.field] } : t,
      );
      assert.deepEqual(await service.activeCatalog(dbId), expected);
      const afterSync = await service.catalog(dbId);
      assert.deepEqual(afterSync.map((t) => t.id), before.map((t) => t.id), 'no table was created or replaced');
      const scopes = (await service.taskRows(job.id)).filter((r) => r.task === 'sync').map((r) => r.details.scope);
      const target = before.find((t) => t.name === fixture.addColumn.table)?.id;
      assert.deepEqual(scopes.map((scope) => (scope as { tables: number[] }).tables), [[target]], 'a table-level job');
    });

    test('tableExists is exact and case-sensitive, through the driver and through new-table', async (t) => {
      const { dbId, warehouse } = await registered(t, fixture);
      const driver = createDriver(fixture.engine, warehouse.details, OPTIONS);
      try {
        const signal = new AbortController().signal;
        await driver.testConnection(signal);
        const exists = async (name: string) => {
          const before = driver.queryCount;
          const found = await driver.tableExists({ schema: fixture.schema, name }, signal);
          assert.equal(driver.queryCount - before, 1, `tableExists(${name}) is one query`);
          return found === null ? null : { schema: found.schema, name: found.name, kind: found.kind };
        };
        assert.deepEqual(await exists('Customers'), { schema: fixture.schema, name: 'Customers', kind: 'table' });
        const view = { schema: fixture.schema, name: 'customer_names', kind: 'view' };
        assert.deepEqual(await exists('customer_names'), view);
        assert.equal(await exists('customers'), null);
        assert.equal(await exists('CUSTOMERS'), null);
        assert.equal(await exists('Customer'), null);
        assert.equal(await exists('no_such_table'), null);
      } finally {
        await driver.close();
      }
      const res = await service.post(`/api/notify/db/${dbId}/new-table`, {
        schema_name: fixture.schemaName,
        table_name: 'customers',
      });
      assert.equal(res.statusCode, 404, res.body);
      assert.deepEqual(JSON.parse(res.body), {
        message: `Unable to identify table '${fixture.schemaName}.customers'`,
        schema_name: fixture.schemaName,
        table_name: 'customers',
      });
      const names = (await service.catalog(dbId)).map((t) => t.name);
      assert.deepEqual(names, fixture.expected.map((t) => t.name), 'no table was added');
    });

    test('new-table through the API answers 200 with the synced table and its job id', async (t) => {
      const { dbId, warehouse } = await registered(t, fixture);
      await warehouse.exec(fixture.lateTable.create);
      const res = await service.post(`/api/notify/db/${dbId}/new-table`, {
        schema_name: fixture.schemaName,
        table_name: fixture.lateTable.name,
      });
      assert.equal(res.statusCode, 200, res.body);
      const jobId = Number(res.headers['x-job-id']);
      assert.ok(Number.isInteger(jobId) && jobId > 0, `X-Job-Id ${res.headers['x-job-id']}`);
      assert.equal((await service.job(jobId)).state, 'succeeded');
      const body = JSON.parse(res.body) as Record<string, unknown>;
      assert.equal(body.db_id, dbId);
      assert.equal(body.schema, fixture.schema);
      assert.equal(body.name, fixture.lateTable.name);
      assert.equal(body.active, true);
      assert.equal(body.initial_sync_status, 'complete');
      const late = (await service.catalog(dbId)).find((t) => t.name === fixture.lateTable.name);
      assert.equal(late?.id, body.id);
      assert.deepEqual(late?.fields.map((f) => [f.name, f.database_position]), [['id', 0], ['note', 1]]);
      const again = await service.post(`/api/notify/db/${dbId}/new-table`, {
        schema_name: fixture.schemaName,
        table_name: fixture.lateTable.name,
      });
      assert.equal(again.statusCode, 400, 'a second request finds it already there');
    });
  });
}
