// Curation end to end through the HTTP routes with real jobs (the sync engine runs each queued job) on a real SQLite
// warehouse: edits made with PUT survive a table sync_schema and a full notify sync after the warehouse changed; a
// hidden table un-hidden by PUT is synced again; rescan_values through the queue caches the values.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import SQLite from 'better-sqlite3';
import { loadConfig } from '../../src/config.ts';
import { silentLogger } from '../../src/logger.ts';
import { createJobRunner } from '../../src/sync/run-job.ts';
import { waitForJob } from '../../src/jobs/wait.ts';
import { A, K, harness, type Harness } from './harness.ts';

const json = (res: { body: string }) => JSON.parse(res.body) as Record<string, unknown>;
const put = (h: Harness, url: string, body: unknown) =>
  h.inject({ method: 'PUT', url, headers: { ...A, 'content-type': 'application/json' }, payload: JSON.stringify(body) });

test('PUT edits survive sync_schema and a full sync of a changed SQLite warehouse; un-hiding syncs the table', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'catalog-sync-curation-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'wh.sqlite');
  const wh = new SQLite(file);
  wh.exec(`CREATE TABLE orders (id INTEGER PRIMARY KEY, status TEXT);
    INSERT INTO orders (status) VALUES ('new'), ('paid'), ('paid')`);
  // The runner's own settings: an application-database path apart from the warehouse (a warehouse inside the service's
  // data folder is refused).
  const appDir = mkdtempSync(join(tmpdir(), 'catalog-sync-app-'));
  t.after(() => rmSync(appDir, { recursive: true, force: true }));
  const config = loadConfig({ MB_DB_FILE: join(appDir, 'app.db') });
  const h: Harness = await harness(t, {
    script: async (job, appDb) => {
      const run = createJobRunner({ appDb, config, logger: silentLogger() });
      const outcome = await run({ ...job, signal: new AbortController().signal, fence: async () => {} });
      return { state: outcome.state, ...(outcome.error ? { error: outcome.error } : {}), result: outcome.result };
    },
  });
  const done = async (jobId: number) => {
    const outcome = await waitForJob(h.appDb, jobId, { timeoutMs: 60_000 });
    assert.equal(outcome.kind === 'finished' && outcome.status, 'succeeded', JSON.stringify(outcome));
  };
  const created = await h.post('/api/database', { name: 'Shop', engine: 'sqlite', details: { db: file } }, A);
  assert.equal(created.statusCode, 200, created.body);
  const dbId = json(created).id as number;
  const [initial] = await h.appDb.db.selectFrom('sync_job').select('id').where('database_id', '=', dbId).execute();
  await done(initial.id);

  const tables = JSON.parse((await h.inject({ method: 'GET', url: '/api/table?term=orders', headers: A })).body) as {
    id: number;
    db_id: number;
  }[];
  const orders = tables.find((t) => t.db_id === dbId)!;
  const fields = json(await h.inject({ method: 'GET', url: `/api/table/${orders.id}/query_metadata`, headers: A }))
    .fields as { id: number; name: string }[];
  const status = fields.find((f) => f.name === 'status')!;
  assert.equal((await put(h, `/api/table/${orders.id}`, { display_name: 'Shop Orders', visibility_type: 'hidden' })).statusCode, 200);
  assert.equal((await put(h, `/api/field/${status.id}`, { semantic_type: 'type/Name', has_field_values: 'none' })).statusCode, 200);

  wh.exec(`ALTER TABLE orders ADD COLUMN coupon TEXT`);
  const unhidden = await put(h, `/api/table/${orders.id}`, { visibility_type: null });
  const [unhideJob] = await h.appDb.db.selectFrom('sync_job').select('id').where('state', '!=', 'succeeded').execute();
  await done(unhideJob.id);
  assert.equal(json(unhidden).visibility_type, null);

  const synced = await h.post(`/api/table/${orders.id}/sync_schema`, undefined, A);
  assert.equal(synced.statusCode, 200, synced.body);
  await done(Number(synced.headers['x-job-id']));
  const full = await h.post(`/api/notify/db/${dbId}`, { scan: 'full', 'synchronous?': true }, K);
  assert.equal(full.statusCode, 200, full.body);
  wh.close();

  const table = json(await h.inject({ method: 'GET', url: `/api/table/${orders.id}/query_metadata`, headers: A }));
  assert.equal(table.display_name, 'Shop Orders');
  assert.equal(table.visibility_type, null);
  const after = table.fields as { id: number; name: string; semantic_type: string | null; has_field_values: string | null }[];
  assert.deepEqual(after.map((f) => f.name), ['id', 'status', 'coupon'], 'the un-hide sync found the new column');
  const statusAfter = after.find((f) => f.name === 'status')!;
  assert.equal(statusAfter.semantic_type, 'type/Name');
  assert.equal(statusAfter.has_field_values, 'none');
  const values = json(await h.inject({ method: 'GET', url: `/api/field/${status.id}/values`, headers: A }));
  assert.deepEqual(values.values, [], 'has_field_values none: no values cached');

  assert.equal((await put(h, `/api/field/${status.id}`, { has_field_values: 'list' })).statusCode, 200);
  const rescan = await h.post(`/api/table/${orders.id}/rescan_values`, undefined, A);
  await done(Number(rescan.headers['x-job-id']));
  assert.deepEqual(json(await h.inject({ method: 'GET', url: `/api/field/${status.id}/values`, headers: A })).values, [
    ['new'],
    ['paid'],
  ]);
});
