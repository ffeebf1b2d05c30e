// Conformance case 7: a full sync of the seeded fixture fingerprints, classifies and lists values the same way on every
// engine (sync-engine.md 5 and 6), from each driver's sampleRows and distinctValues.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseJson } from '../../../src/db/schema.ts';
import { ENGINE_FIXTURES } from './engines.ts';
import { ConformanceService } from './service.ts';

let service: ConformanceService;
before(async () => {
  service = await ConformanceService.start();
});
after(async () => {
  await service.stop();
});

const NO_SHARES = { 'percent-json': 0, 'percent-url': 0, 'percent-email': 0, 'percent-state': 0 };

/** What every engine's seeded fixture analyzes to: field → [semantic type, has_field_values, fingerprint, values]. */
const EXPECTED: Readonly<Record<string, readonly [string | null, string | null, unknown, unknown]>> = {
  'Customers.id': ['type/PK', null, null, null],
  'Customers.FullName': [
    'type/Name',
    'auto-list',
    { global: { 'distinct-count': 4, 'nil%': 0 }, type: { 'type/Text': { ...NO_SHARES, 'average-length': 12.5 } } },
    ['Ada Lovelace', 'Alan Turing', 'Edsger Dijkstra', 'Grace Hopper'],
  ],
  'Customers.order': [
    'type/Category',
    'auto-list',
    {
      global: { 'distinct-count': 3, 'nil%': 0.25 },
      type: { 'type/Number': { min: 1, max: 3, avg: 2, sd: 0.816496580927726, q1: 1.5, q3: 2.5 } },
    },
    [1, 2, 3],
  ],
  'Customers.status': [
    'type/Category',
    'auto-list',
    { global: { 'distinct-count': 2, 'nil%': 0 }, type: { 'type/Text': { ...NO_SHARES, 'average-length': 4.5 } } },
    ['active', 'new'],
  ],
  'Customers.country_code': ['type/FK', null, { global: { 'distinct-count': 2, 'nil%': 0.25 } }, null],
  'Customers.region_no': ['type/FK', null, { global: { 'distinct-count': 2, 'nil%': 0.25 } }, null],
  'customer_names.id': [
    'type/PK',
    null,
    {
      global: { 'distinct-count': 4, 'nil%': 0 },
      type: { 'type/Number': { min: 1, max: 4, avg: 2.5, sd: 1.118033988749895, q1: 1.75, q3: 3.25 } },
    },
    null,
  ],
  'regions.name': [
    'type/Name',
    'auto-list',
    { global: { 'distinct-count': 3, 'nil%': 0 }, type: { 'type/Text': { ...NO_SHARES, 'average-length': 4 } } },
    ['East', 'Nord', 'West'],
  ],
};

for (const fixture of ENGINE_FIXTURES) {
  describe(`${fixture.engine}: analysis`, () => {
    test('fingerprints, classification and field values of the seeded fixture', async (t) => {
      const warehouse = await fixture.create();
      t.after(() => warehouse.cleanup());
      await warehouse.exec(...fixture.ddl, ...fixture.seed);
      const dbId = await service.register(fixture, warehouse);
      const [initial] = await service.jobs(dbId);
      const steps = Object.fromEntries((await service.taskRows(initial.id)).map((row) => [row.task, row.status]));
      assert.deepEqual(
        [steps['fingerprint-fields'], steps['classify-fields'], steps['classify-tables'], steps['update-field-values']],
        ['success', 'success', 'success', 'success'],
      );

      const analyzed = async () => {
        const tables = await service.appDb.db
          .selectFrom('metabase_table')
          .select(['id', 'name', 'entity_type'])
          .where('db_id', '=', dbId)
          .execute();
        const fields = await service.appDb.db
          .selectFrom('metabase_field as f')
          .leftJoin('metabase_fieldvalues as v', 'v.field_id', 'f.id')
          .select(['f.table_id', 'f.name', 'f.semantic_type', 'f.has_field_values', 'f.fingerprint', 'v.values'])
          .where('f.table_id', 'in', tables.map((row) => row.id))
          .execute();
        const tableName = new Map(tables.map((row) => [row.id, row.name]));
        const actual: Record<string, unknown> = {};
        for (const row of fields) {
          const key = `${tableName.get(row.table_id)}.${row.name}`;
          if (!(key in EXPECTED)) continue;
          actual[key] = [
            row.semantic_type,
            row.has_field_values,
            parseJson(row.fingerprint, null),
            row.values === null ? null : parseJson(row.values, null),
          ];
        }
        const entities = Object.fromEntries(tables.map((row) => [row.name, row.entity_type]));
        return { actual, entities };
      };

      const first = await analyzed();
      assert.deepEqual(first.actual, EXPECTED);
      assert.equal(first.entities.Customers, 'entity/GenericTable');
      assert.equal(first.entities.regions, 'entity/GenericTable');

      const again = await service.notify(dbId, { scan: 'full' });
      assert.equal(again.state, 'succeeded', again.error ?? '');
      assert.deepEqual((await analyzed()).actual, EXPECTED, 'a second full sync changes nothing');
    });
  });
}
