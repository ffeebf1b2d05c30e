// A DuckDB warehouse cannot make a sync read other files (issue 10): a view over read_csv of a file outside the
// warehouse is listed, but sampling it fails and is recorded while the rest of the database syncs; the file's content
// reaches no catalog row. `enable-external-access: true` in the details opts back in.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Plan } from '../../src/jobs/types.ts';
import { createHarness, type Harness } from './support.ts';

const FULL: Plan = { metadata: { database: true }, analyze: { database: true }, field_values: { database: true } };
const CSV_SECRET = 'outside-file-content';

let h: Harness;
before(async () => {
  h = await createHarness();
});
after(async () => {
  await h.close();
});

let files = 0;
async function warehouse(): Promise<string> {
  const csv = join(h.dir, `other-${files}.csv`);
  writeFileSync(csv, `code\n${CSV_SECRET}\n${CSV_SECRET}-2\n`);
  const file = join(h.dir, `warehouse-${files++}.duckdb`);
  const instance = await DuckDBInstance.create(file);
  const connection = await instance.connect();
  await connection.run(`CREATE TABLE orders AS SELECT i AS id, CASE WHEN i % 2 = 0 THEN 'paid' ELSE 'new' END AS status
    FROM range(20) t(i)`);
  await connection.run(`CREATE VIEW leak AS SELECT code FROM read_csv('${csv}')`);
  connection.closeSync();
  instance.closeSync();
  return file;
}

async function catalogText(): Promise<string> {
  const values = await h.appDb.db.selectFrom('metabase_fieldvalues').select('values').execute();
  const fields = await h.appDb.db.selectFrom('metabase_field').select('fingerprint').execute();
  return JSON.stringify([values, fields]);
}

describe('DuckDB external access', () => {
  test('off by default: the view over another file fails to sample, the sync records it and goes on', async () => {
    const dbId = await h.addDatabase('duckdb', { db: await warehouse() });
    const { jobId, outcome } = await h.run(dbId, FULL);
    assert.deepEqual((await h.tables(dbId)).map((t) => t.name).sort(), ['leak', 'orders']);
    const status = (await h.fields((await h.table(dbId, 'orders')).id)).find((f) => f.name === 'status');
    assert.equal(status?.has_field_values, 'auto-list');
    assert.ok(!(await catalogText()).includes(CSV_SECRET));
    const tasks = JSON.stringify(await h.tasks(jobId));
    assert.match(tasks, /file system operations are disabled by configuration/);
    assert.ok(!tasks.includes(CSV_SECRET));
    assert.ok(outcome.state === 'succeeded' || outcome.state === 'failed');
  });

  test('enable-external-access: true reads the view', async () => {
    const dbId = await h.addDatabase('duckdb', { db: await warehouse(), 'enable-external-access': true });
    await h.run(dbId, FULL);
    const code = (await h.fields((await h.table(dbId, 'leak')).id)).find((f) => f.name === 'code');
    assert.ok(code?.fingerprint?.includes('"distinct-count":2'), code?.fingerprint ?? 'no fingerprint');
  });
});
