// Conformance case 5: a table dropped from the warehouse is retired by the next database sync, and the same row comes
// back when the table is created again.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ENGINE_FIXTURES } from './engines.ts';
import { ConformanceService } from './service.ts';

let service: ConformanceService;
before(async () => {
  service = await ConformanceService.start();
});
after(async () => {
  await service.stop();
});

for (const fixture of ENGINE_FIXTURES) {
  describe(`${fixture.engine}: retire and reactivate`, () => {
    test('drop → inactive after a database sync; re-create → the same row, active again', async (t) => {
      const warehouse = await fixture.create();
      t.after(() => warehouse.cleanup());
      await warehouse.exec(...fixture.ddl, fixture.lateTable.create);
      const dbId = await service.register(fixture, warehouse);
      const late = async () => {
        const tables = (await service.catalog(dbId)).filter((table) => table.name === fixture.lateTable.name);
        assert.equal(tables.length, 1, `one row for ${fixture.lateTable.name}`);
        return tables[0];
      };
      const created = await late();
      assert.equal(created.active, true);
      assert.equal(created.schema, fixture.schema);

      await warehouse.exec(fixture.lateTable.drop);
      const retiring = await service.notify(dbId);
      assert.equal(retiring.state, 'succeeded', retiring.error ?? '');
      const retired = await late();
      assert.equal(retired.id, created.id);
      assert.equal(retired.active, false);
      assert.deepEqual(await service.activeCatalog(dbId), fixture.expected, 'the other tables are untouched');

      await warehouse.exec(fixture.lateTable.create);
      const reactivating = await service.notify(dbId);
      assert.equal(reactivating.state, 'succeeded', reactivating.error ?? '');
      const reactivated = await late();
      assert.equal(reactivated.id, created.id);
      assert.equal(reactivated.active, true);
      assert.deepEqual(reactivated.fields, created.fields);
    });
  });
}
