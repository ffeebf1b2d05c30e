import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AppDb } from '../../src/db/connect.ts';
import type { JobState } from '../../src/db/schema.ts';
import { readNow } from '../../src/jobs/clock.ts';
import { RetentionTimer, cleanUp } from '../../src/jobs/retention.ts';
import { silentLogger } from '../../src/logger.ts';
import { APP_DB_KINDS, addDatabase, eventually, freshAppDb } from './app-dbs.ts';

const DAY_MS = 86_400_000;

async function addTasks(appDb: AppDb, count: number): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < count; i++) {
    const row = await appDb.db
      .insertInto('task_history')
      .values({ task: 'sync', db_id: 1, job_id: null, parent_id: null, started_at: appDb.now(), status: 'success' })
      .returning('id')
      .executeTakeFirstOrThrow();
    ids.push(row.id);
  }
  return ids;
}

async function taskIds(appDb: AppDb): Promise<number[]> {
  const rows = await appDb.db.selectFrom('task_history').select('id').orderBy('id').execute();
  return rows.map((r) => r.id);
}

interface JobSpec {
  readonly label: string;
  readonly state: JobState;
  /** Age of finished_at (or, for queued and running jobs, of enqueued_at and started_at) in days. */
  readonly ageDays: number;
}

async function addJobs(appDb: AppDb, databaseId: number, specs: readonly JobSpec[]): Promise<Map<number, string>> {
  const now = Date.parse(await readNow(appDb, appDb.db));
  const labels = new Map<number, string>();
  for (const spec of specs) {
    const at = new Date(now - spec.ageDays * DAY_MS).toISOString();
    const terminal = spec.state !== 'queued' && spec.state !== 'running';
    const row = await appDb.db
      .insertInto('sync_job')
      .values({
        database_id: databaseId,
        state: spec.state,
        plan: '{"metadata":{"database":true}}',
        triggers: '[]',
        enqueued_at: at,
        started_at: spec.state === 'queued' ? null : at,
        finished_at: terminal ? at : null,
        lease_owner: spec.state === 'running' ? 'somebody' : null,
        lease_expires_at: spec.state === 'running' ? at : null,
        updated_at: at,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    labels.set(row.id, spec.label);
  }
  return labels;
}

async function remainingLabels(appDb: AppDb, labels: Map<number, string>): Promise<string[]> {
  const rows = await appDb.db.selectFrom('sync_job').select('id').orderBy('id').execute();
  return rows.map((r) => labels.get(r.id) ?? `unknown ${r.id}`);
}

for (const kind of APP_DB_KINDS) {
  describe(`retention on ${kind}`, () => {
    test('task_history keeps exactly the newest MB_TASK_HISTORY_MAX_ROWS rows', async (t) => {
      const appDb = await freshAppDb(t, kind);
      const ids = await addTasks(appDb, 10);
      assert.deepEqual(await cleanUp(appDb, 10), { taskHistoryDeleted: 0, jobsDeleted: 0 });
      assert.deepEqual(await cleanUp(appDb, 25), { taskHistoryDeleted: 0, jobsDeleted: 0 });
      assert.deepEqual(await taskIds(appDb), ids);
      assert.deepEqual(await cleanUp(appDb, 4), { taskHistoryDeleted: 6, jobsDeleted: 0 });
      assert.deepEqual(await taskIds(appDb), ids.slice(6));
      assert.deepEqual(await cleanUp(appDb, 1), { taskHistoryDeleted: 3, jobsDeleted: 0 });
      assert.deepEqual(await taskIds(appDb), ids.slice(9));
    });

    test('terminal jobs that ended more than 30 days ago are deleted; queued and running ones never', async (t) => {
      const appDb = await freshAppDb(t, kind);
      const db = await addDatabase(appDb);
      const other = await addDatabase(appDb, 'other');
      const labels = await addJobs(appDb, db, [
        { label: 'succeeded 31 days ago', state: 'succeeded', ageDays: 31 },
        { label: 'failed 400 days ago', state: 'failed', ageDays: 400 },
        { label: 'interrupted 31 days ago', state: 'interrupted', ageDays: 31 },
        { label: 'skipped 30 days and an hour ago', state: 'skipped', ageDays: 30.05 },
        { label: 'succeeded 29 days ago', state: 'succeeded', ageDays: 29 },
        { label: 'failed 29.9 days ago', state: 'failed', ageDays: 29.9 },
        { label: 'succeeded today', state: 'succeeded', ageDays: 0 },
        { label: 'running since 60 days', state: 'running', ageDays: 60 },
      ]);
      for (const [id, label] of await addJobs(appDb, other, [
        { label: 'queued since 60 days', state: 'queued', ageDays: 60 },
      ])) {
        labels.set(id, label);
      }
      assert.deepEqual(await cleanUp(appDb, 100_000), { taskHistoryDeleted: 0, jobsDeleted: 4 });
      assert.deepEqual(await remainingLabels(appDb, labels), [
        'succeeded 29 days ago',
        'failed 29.9 days ago',
        'succeeded today',
        'running since 60 days',
        'queued since 60 days',
      ]);
      assert.deepEqual(await cleanUp(appDb, 100_000), { taskHistoryDeleted: 0, jobsDeleted: 0 });
    });

    test('the timer cleans up at start, and nothing after stop()', async (t) => {
      const appDb = await freshAppDb(t, kind);
      const ids = await addTasks(appDb, 5);
      const timer = new RetentionTimer({ appDb, logger: silentLogger(), maxTaskHistoryRows: 2 });
      timer.start();
      await eventually(async () => ((await taskIds(appDb)).length === 2 ? true : undefined));
      await timer.stop();
      assert.deepEqual(await taskIds(appDb), ids.slice(3));
      await addTasks(appDb, 3);
      timer.start();
      assert.equal((await taskIds(appDb)).length, 5);
    });
  });
}
