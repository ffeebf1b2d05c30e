// POST /api/database/:id/sync_schema and POST /api/database/:id/rescan_values (notify-api.md section 6.7): 200
// {"status":"ok","job_id":J} at once, the plan on the job, joining the queued job, 404s, 400, the body read and
// ignored.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import SQLite from 'better-sqlite3';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { openAppDb } from '../../src/db/connect.ts';
import { migrate } from '../../src/db/migrate.ts';
import { parseJson } from '../../src/db/schema.ts';
import type { Trigger } from '../../src/jobs/types.ts';
import { waitForJob } from '../../src/jobs/wait.ts';
import { WorkerPool } from '../../src/jobs/worker-pool.ts';
import { silentLogger } from '../../src/logger.ts';
import { createJobRunner } from '../../src/sync/run-job.ts';
import {
  A,
  JSON_TYPE,
  K,
  KIND,
  assertJson,
  assertOkJob,
  assertText,
  harness,
  validationBody,
  type Harness,
} from './harness.ts';

const NO_ENDPOINT = 'API endpoint does not exist.';

/** The answer `{"status":"ok","job_id":J}`; returns J. */
function assertStatusOk(res: { statusCode: number; headers: Record<string, unknown>; body: string }): number {
  assert.equal(res.statusCode, 200, `status (body ${res.body})`);
  assert.equal(res.headers['content-type'], JSON_TYPE);
  const body = JSON.parse(res.body) as Record<string, unknown>;
  assert.deepEqual(Object.keys(body), ['status', 'job_id']);
  assert.equal(body.status, 'ok');
  assert.ok(Number.isInteger(body.job_id) && (body.job_id as number) > 0);
  return body.job_id as number;
}

async function triggers(h: Harness, jobId: number): Promise<Trigger[]> {
  return parseJson<Trigger[]>((await h.jobRow(jobId)).triggers, []);
}

describe('POST /api/database/:id/sync_schema and rescan_values', () => {
  test('sync_schema queues metadata then analysis for the whole database, on demand, from the admin', async (t) => {
    const h = await harness(t);
    const jobId = assertStatusOk(await h.post('/api/database/1/sync_schema', undefined, A));
    const row = await h.jobRow(jobId);
    assert.equal(row.database_id, 1);
    assert.equal(row.state, 'queued', 'the answer does not wait');
    assert.equal(row.priority, 10);
    assert.deepEqual(await h.jobPlan(jobId), { metadata: { database: true }, analyze: { database: true } });
    const [trigger] = await triggers(h, jobId);
    assert.equal(trigger?.source, 'admin');
    assert.deepEqual(trigger?.detail, { route: 'sync_schema' });
    assert.equal(h.wakes(), 1, 'the workers are woken');
  });

  test('rescan_values queues field values for the whole database', async (t) => {
    const h = await harness(t);
    const jobId = assertStatusOk(await h.post('/api/database/2/rescan_values', undefined, A));
    const row = await h.jobRow(jobId);
    assert.equal(row.database_id, 2);
    assert.equal(row.priority, 10);
    assert.deepEqual(await h.jobPlan(jobId), { field_values: { database: true } });
    assert.equal((await triggers(h, jobId))[0]?.source, 'admin');
  });

  test('requests join the database\'s queued job: plans merge, triggers are appended', async (t) => {
    const h = await harness(t);
    const notified = assertOkJob(await h.post('/api/notify/db/1', { table_id: 10, scan: 'schema' }));
    const first = assertStatusOk(await h.post('/api/database/1/rescan_values', undefined, A));
    const second = assertStatusOk(await h.post('/api/database/1/sync_schema', undefined, A));
    assert.equal(first, notified);
    assert.equal(second, notified);
    assert.deepEqual(await h.jobPlan(notified), KIND.fullDatabase);
    const row = await h.jobRow(notified);
    assert.equal(row.trigger_count, 3);
    assert.deepEqual(
      (await triggers(h, notified)).map((tr) => tr.source),
      ['notify', 'admin', 'admin'],
    );
    assert.equal(await h.jobCount(), 1);
    const other = assertStatusOk(await h.post('/api/database/2/rescan_values', undefined, A));
    assert.notEqual(other, notified, 'another database has its own job');
  });

  test('a database with is_full_sync = false still gets its job (it records the skip when it runs)', async (t) => {
    const h = await harness(t);
    await h.appDb.db.updateTable('metabase_database').set({ is_full_sync: false }).where('id', '=', 1).execute();
    const jobId = assertStatusOk(await h.post('/api/database/1/rescan_values', undefined, A));
    assert.deepEqual(await h.jobPlan(jobId), { field_values: { database: true } });
  });

  test('unknown database 404 Not found., non-digit id no route, 0 a validation error; nothing queued', async (t) => {
    const h = await harness(t);
    for (const route of ['sync_schema', 'rescan_values']) {
      assertText(await h.post(`/api/database/999/${route}`, undefined, A), 404, 'Not found.');
      assertText(await h.post(`/api/database/123456789012345678901/${route}`, undefined, A), 404, 'Not found.');
      assertText(await h.post(`/api/database/abc/${route}`, undefined, A), 404, NO_ENDPOINT);
      assertText(await h.post(`/api/database/1/${route}/`, undefined, A), 404, NO_ENDPOINT);
      assertJson(
        await h.post(`/api/database/0/${route}`, undefined, A),
        400,
        validationBody({ id: ['value must be an integer greater than zero.', '0'] }),
      );
      assertText(await h.inject({ method: 'GET', url: `/api/database/1/${route}`, headers: A }), 404, NO_ENDPOINT);
    }
    assert.equal(await h.jobCount(), 0);
  });

  test('the body is read and ignored: any JSON, no content type; malformed JSON 400; over the limit 413', async (t) => {
    const h = await harness(t);
    assertStatusOk(await h.post('/api/database/1/sync_schema', { table_id: 10, scan: 'schema' }, A));
    assertStatusOk(await h.post('/api/database/1/sync_schema', [1, 2], A));
    assertStatusOk(await h.send('POST', '/api/database/1/rescan_values', A, 'not json at all'));
    assert.deepEqual(await h.jobPlan(1), KIND.fullDatabase, 'body keys change nothing');
    assertText(await h.post('/api/database/1/sync_schema', '{"a":', A), 400, 'Malformed JSON in request body.');
    const huge = `{}${' '.repeat(1_048_577)}`;
    assertText(await h.post('/api/database/1/rescan_values', huge, A), 413, 'Request body too large.');
    assert.equal(await h.jobCount(), 1);
  });

  test('management authentication, checked before the body is read', async (t) => {
    const h = await harness(t);
    assertText(await h.post('/api/database/1/sync_schema', undefined, {}), 403, 'Forbidden');
    assertText(await h.post('/api/database/1/rescan_values', undefined, K), 403, 'Forbidden');
    assertText(await h.post('/api/database/1/rescan_values', '{"a":', { 'X-API-KEY': 'wrong' }), 403, 'Forbidden');
    assert.equal(await h.jobCount(), 0);
  });
});

describe('sync_schema and rescan_values end to end (real worker pool, SQLite warehouse)', () => {
  async function service(t: TestContext, isFullSync: boolean) {
    const dir = mkdtempSync(join(tmpdir(), 'catalog-sync-actions-'));
    const warehouse = join(dir, 'shop.sqlite');
    const db = new SQLite(warehouse);
    db.exec(`CREATE TABLE orders (id INTEGER PRIMARY KEY, status TEXT, note TEXT);
      INSERT INTO orders (status, note) VALUES ('paid', 'a'), ('new', 'b'), ('paid', NULL), (NULL, 'c')`);
    db.close();
    const config = loadConfig({ MB_ADMIN_API_KEY: 'admin-key', MB_DB_FILE: join(dir, 'service', 'app.db') });
    mkdirSync(dirname(config.dbFile));
    const appDb = openAppDb({ kind: 'sqlite', file: config.dbFile });
    await migrate(appDb);
    const logger = silentLogger();
    const workers = new WorkerPool({ appDb, config, logger, runner: createJobRunner({ appDb, config, logger }) });
    workers.start();
    const app = buildApp({ config, appDb, logger, workers, events: workers.events });
    t.after(async () => {
      await app.close();
      await workers.stop();
      await appDb.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const { id } = await appDb.db
      .insertInto('metabase_database')
      .values({ name: 'shop', engine: 'sqlite', details: JSON.stringify({ db: warehouse }), is_full_sync: isFullSync })
      .returning('id')
      .executeTakeFirstOrThrow();
    const post = (url: string) => app.inject({ method: 'POST', url, headers: A });
    const get = (url: string) => app.inject({ method: 'GET', url, headers: A });
    const finished = async (jobId: number) => {
      const outcome = await waitForJob(appDb, jobId, { timeoutMs: 20_000, events: workers.events });
      assert.equal(outcome.kind, 'finished');
      return outcome;
    };
    const tasks = (jobId: number) =>
      appDb.db.selectFrom('task_history').selectAll().where('job_id', '=', jobId).orderBy('id').execute();
    return { appDb, id, post, get, finished, tasks };
  }

  test('sync_schema analyses, rescan_values caches; GET /api/field/:id/values shows the values', async (t) => {
    const s = await service(t, true);
    const synced = await s.finished(assertStatusOk(await s.post(`/api/database/${s.id}/sync_schema`)));
    assert.equal(synced.kind === 'finished' && synced.status, 'succeeded');
    const status = await s.appDb.db
      .selectFrom('metabase_field')
      .select(['id', 'has_field_values'])
      .where('name', '=', 'status')
      .executeTakeFirstOrThrow();
    assert.equal(status.has_field_values, 'auto-list', 'sync_schema ran the analysis');
    assertJson(await s.get(`/api/field/${status.id}/values`), 200, {
      field_id: status.id,
      values: [],
      has_more_values: false,
    });

    const rescan = assertStatusOk(await s.post(`/api/database/${s.id}/rescan_values`));
    await s.finished(rescan);
    assert.deepEqual(
      (await s.tasks(rescan)).map((r) => [r.task, r.status]),
      [
        ['field values scanning', 'success'],
        ['update-field-values', 'success'],
      ],
    );
    assertJson(await s.get(`/api/field/${status.id}/values`), 200, {
      field_id: status.id,
      values: [['new'], ['paid']],
      has_more_values: false,
    });
    const field = JSON.parse((await s.get(`/api/field/${status.id}`)).body) as Record<string, unknown>;
    assert.equal(field.has_field_values, 'auto-list');
    assert.equal(field.semantic_type, 'type/Category');
  });

  test('is_full_sync = false: the rescan_values job does nothing but record the skip', async (t) => {
    const s = await service(t, false);
    const jobId = assertStatusOk(await s.post(`/api/database/${s.id}/rescan_values`));
    const outcome = await s.finished(jobId);
    assert.equal(outcome.kind === 'finished' && outcome.status, 'succeeded');
    const rows = await s.tasks(jobId);
    assert.deepEqual(
      rows.map((r) => [r.task, r.status]),
      [['field values scanning', 'success']],
    );
    const details = JSON.parse(rows[0].task_details ?? '{}') as Record<string, unknown>;
    assert.equal(details.skipped, 'data scanning disabled for this database');
    assert.deepEqual(details['not-run'], ['update-field-values']);
    assert.equal(details['warehouse-queries'], 0);
    assert.equal((await s.appDb.db.selectFrom('metabase_fieldvalues').select('id').execute()).length, 0);
    assert.equal((await s.appDb.db.selectFrom('metabase_table').select('id').execute()).length, 0);
  });
});
