// The field-values phase against real SQLite warehouse files, on a SQLite and on a PostgreSQL application database
// (where every write transaction locks the field and values rows it reads with FOR UPDATE).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import SQLite from 'better-sqlite3';
import { createHarness, stampCatalog, wrapDriver, writtenSince, type Harness } from '../support.ts';
import { counts, fieldId, runValuesPhase, setFieldValues, valuesOf } from './support.ts';

const METADATA = { metadata: { database: true } } as const;

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`field values of a SQLite warehouse, ${kind} application database`, () => {
    let h: Harness;
    let counter = 0;
    before(async () => {
      h = await createHarness(kind);
    });
    after(async () => {
      await h.close();
    });

    async function warehouse(...sql: string[]) {
      const file = join(h.dir, `warehouse-${counter++}.sqlite`);
      const db = new SQLite(file);
      try {
        for (const statement of sql) db.exec(statement);
      } finally {
        db.close();
      }
      const dbId = await h.addDatabase('sqlite', { db: file });
      assert.equal((await h.run(dbId, METADATA)).outcome.state, 'succeeded');
      return { file, dbId, tableId: async (name: string) => (await h.table(dbId, name)).id };
    }

    test('values ascending (byte order, numbers, booleans) in one statement; a rerun writes nothing', async () => {
      const wh = await warehouse(
        `CREATE TABLE products (id INTEGER PRIMARY KEY, category TEXT, rating INTEGER, price REAL, active BOOLEAN,
           added DATE, code INTEGER)`,
        `INSERT INTO products (category, rating, price, active, added, code) VALUES
           ('toys', 5, 9.5, 1, '2025-01-01', 1), ('books', 3, 12.25, 0, '2025-01-02', 2),
           (NULL, NULL, NULL, NULL, NULL, 3), ('Art', 3, 9.5, 1, '2025-01-03', 4), (42, 1, 0.5, 1, NULL, 5)`,
        `WITH RECURSIVE n(i) AS (SELECT 6 UNION ALL SELECT i + 1 FROM n WHERE i < 1010)
           INSERT INTO products (code) SELECT i FROM n`,
      );
      const products = await wh.tableId('products');
      await setFieldValues(h, products, ['category', 'rating', 'active', 'added', 'code'], 'auto-list');
      await setFieldValues(h, products, ['price'], 'list', true);
      const run = await runValuesPhase(h, wh.dbId, { database: true });
      assert.deepEqual(counts(run.step), {
        'fields-eligible': 5,
        'fields-scanned': 5,
        created: 4,
        updated: 0,
        unchanged: 0,
        deleted: 0,
        'demoted-auto-list': 1,
        truncated: 0,
        errors: 0,
        deferred: 0,
      });
      assert.equal(run.step.details['warehouse-queries'], 1);
      const category = await valuesOf(h, await fieldId(h, products, 'category'));
      assert.deepEqual(category?.values, ['42', 'Art', 'books', 'toys']);
      assert.deepEqual((await valuesOf(h, await fieldId(h, products, 'rating')))?.values, [1, 3, 5]);
      assert.deepEqual((await valuesOf(h, await fieldId(h, products, 'price')))?.values, [0.5, 9.5, 12.25]);
      assert.deepEqual((await valuesOf(h, await fieldId(h, products, 'active')))?.values, [false, true]);
      assert.equal(await valuesOf(h, await fieldId(h, products, 'added')), null, 'dates have no field values');
      assert.equal(await valuesOf(h, await fieldId(h, products, 'code')), null, '1,010 codes demote the auto-list');
      assert.equal((await h.fields(products)).find((f) => f.name === 'code')?.has_field_values, null);

      const sentinel = await stampCatalog(h.appDb);
      const again = await runValuesPhase(h, wh.dbId, { database: true });
      assert.equal(again.step.details.unchanged, 4);
      assert.equal(await writtenSince(h.appDb, sentinel), 0);
    });

    test('new values update the row; a field set to search loses its row; scopes touch their tables only', async () => {
      const wh = await warehouse(
        `CREATE TABLE a (x TEXT)`,
        `CREATE TABLE b (y TEXT, z TEXT)`,
        `INSERT INTO a VALUES ('1'), ('2')`,
        `INSERT INTO b VALUES ('3', 'q')`,
      );
      const a = await wh.tableId('a');
      const b = await wh.tableId('b');
      await setFieldValues(h, a, ['x'], 'auto-list');
      await setFieldValues(h, b, ['y', 'z'], 'auto-list');
      assert.equal((await runValuesPhase(h, wh.dbId, { database: true })).step.details.created, 3);

      const db = new SQLite(wh.file);
      db.exec(`INSERT INTO a VALUES ('0'); INSERT INTO b VALUES ('4', 'q')`);
      db.close();
      await setFieldValues(h, b, ['z'], 'search', true);
      const scoped = await runValuesPhase(h, wh.dbId, { tables: [a] });
      assert.deepEqual([scoped.step.details.updated, scoped.step.details.deleted], [1, 0]);
      assert.deepEqual((await valuesOf(h, await fieldId(h, a, 'x')))?.values, ['0', '1', '2']);
      assert.deepEqual((await valuesOf(h, await fieldId(h, b, 'y')))?.values, ['3'], 'table b is outside the scope');
      assert.ok(await valuesOf(h, await fieldId(h, b, 'z')));

      const scopedB = await runValuesPhase(h, wh.dbId, { tables: [b] });
      assert.deepEqual([scopedB.step.details.updated, scopedB.step.details.deleted], [1, 1]);
      assert.deepEqual((await valuesOf(h, await fieldId(h, b, 'y')))?.values, ['3', '4']);
      assert.equal(await valuesOf(h, await fieldId(h, b, 'z')), null);
    });

    test('a field that stops being eligible while its values are read loses its row instead', async () => {
      const wh = await warehouse(`CREATE TABLE c (x TEXT, y TEXT)`, `INSERT INTO c VALUES ('1', '2')`);
      const c = await wh.tableId('c');
      await setFieldValues(h, c, ['x', 'y'], 'auto-list');
      assert.equal((await runValuesPhase(h, wh.dbId, { database: true })).step.details.created, 2);
      const db = new SQLite(wh.file);
      db.exec(`INSERT INTO c VALUES ('3', '4')`);
      db.close();
      const run = await runValuesPhase(h, wh.dbId, { database: true }, {
        wrap: (driver) =>
          wrapDriver(driver, {
            async distinctValues(table, fields, opts, signal) {
              const lists = await driver.distinctValues(table, fields, opts, signal);
              await setFieldValues(h, c, ['x'], 'search', true);
              return lists;
            },
          }),
      });
      assert.deepEqual([run.step.details.updated, run.step.details.deleted], [1, 1]);
      assert.equal(await valuesOf(h, await fieldId(h, c, 'x')), null);
      assert.deepEqual((await valuesOf(h, await fieldId(h, c, 'y')))?.values, ['2', '4']);
    });
  });
}
