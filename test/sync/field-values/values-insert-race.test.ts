// A field-values batch that inserts a values row which a user's POST /api/field/:id/values wrote after the batch read
// (PostgreSQL's FOR UPDATE cannot lock a row that does not exist yet): no duplicate-key error, and the user's row stays.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import SQLite from 'better-sqlite3';
import { storeFieldValues } from '../../../src/catalog/field-edits.ts';
import { insertValues } from '../../../src/sync/field-values/values-rows.ts';
import { createHarness } from '../support.ts';
import { fieldId, valuesOf } from './support.ts';

for (const kind of ['sqlite', 'postgres'] as const) {
  test(`insertValues after a concurrent user write of the row, ${kind} application database`, async (t) => {
    const h = await createHarness(kind);
    t.after(() => h.close());
    const file = join(h.dir, 'warehouse.sqlite');
    const db = new SQLite(file);
    db.exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, category TEXT); INSERT INTO t (category) VALUES ('a'), ('b')`);
    db.close();
    const dbId = await h.addDatabase('sqlite', { db: file });
    assert.equal((await h.run(dbId, { metadata: { database: true } })).outcome.state, 'succeeded');
    const category = await fieldId(h, (await h.table(dbId, 't')).id, 'category');

    await storeFieldValues(h.appDb, category, ['a', 'b'], ['Alpha', 'Beta']);
    const scanned = { values: ['a', 'b', 'c'], humanReadableValues: [], hasMoreValues: false };
    await h.appDb.db.transaction().execute((trx) => insertValues(trx, category, scanned, h.appDb.now()));

    assert.deepEqual(await valuesOf(h, category), {
      values: ['a', 'b'],
      human_readable_values: ['Alpha', 'Beta'],
      has_more_values: false,
    });
  });
}
