// Conformance cases 1 and 6: a whole-database metadata sync builds exactly the engine's expected catalog, with a
// number of warehouse statements that does not grow with the warehouse.
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
  describe(`${fixture.engine}: whole-database metadata sync`, () => {
    test('the catalog equals the expected catalog', async (t) => {
      const warehouse = await fixture.create();
      t.after(() => warehouse.cleanup());
      await warehouse.exec(...fixture.ddl);
      const dbId = await service.register(fixture, warehouse);
      assert.deepEqual(await service.activeCatalog(dbId), fixture.expected);
      const job = await service.notify(dbId);
      assert.equal(job.state, 'succeeded', job.error ?? '');
      assert.deepEqual(await service.activeCatalog(dbId), fixture.expected, 'a second sync changes nothing');
    });

    test('the number of catalog queries is the same for a small and a larger warehouse', async (t) => {
      const small = await fixture.create();
      const large = await fixture.create();
      t.after(async () => {
        await small.cleanup();
        await large.cleanup();
      });
      await small.exec(...fixture.ddl);
      await large.exec(...fixture.ddl, ...fixture.extraTables(25));
      const smallId = await service.register(fixture, small);
      const largeId = await service.register(fixture, large);
      const smallJob = await service.notify(smallId);
      const largeJob = await service.notify(largeId);
      assert.equal(largeJob.state, 'succeeded', largeJob.error ?? '');
      const catalog = await service.activeCatalog(largeId);
      assert.equal(catalog.length, fixture.expected.length + 25);
      assert.equal(await service.metadataQueries(smallJob.id), fixture.catalogQueries);
      assert.equal(await service.metadataQueries(largeJob.id), fixture.catalogQueries);
    });
  });
}
