import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { AppDb, AppDbKind } from '../../src/db/connect.ts';
import { migrate } from '../../src/db/migrate.ts';
import { readNow } from '../../src/jobs/clock.ts';
import { Scheduler, claimFire, scheduledPlan } from '../../src/jobs/scheduler.ts';
import { createLogger, silentLogger, type Logger } from '../../src/logger.ts';
import { createTestAppDb } from '../support/app-db.ts';
import { APP_DB_KINDS, eventually, sleep } from './app-dbs.ts';

const EVERY_MINUTE = '0 * * * * ? *';

/** Two instances' connections to one application database (one SQLite file, or one PostgreSQL database). */
async function twoInstances(t: TestContext, kind: AppDbKind): Promise<[AppDb, AppDb]> {
  const dir = mkdtempSync(join(tmpdir(), 'catalog-sync-scheduler-'));
  const testDb = await createTestAppDb(dir, kind);
  const first = testDb.open();
  const second = testDb.open();
  t.after(async () => {
    await first.close();
    await second.close();
    await testDb.drop();
    rmSync(dir, { recursive: true, force: true });
  });
  await migrate(first);
  return [first, second];
}

interface DatabaseSetup {
  readonly metadata?: string | null;
  readonly fieldValues?: string | null;
  readonly isFullSync?: boolean;
  readonly isOnDemand?: boolean;
}

async function addDatabase(appDb: AppDb, setup: DatabaseSetup = {}): Promise<number> {
  const row = await appDb.db
    .insertInto('metabase_database')
    .values({
      name: 'warehouse',
      engine: 'sqlite',
      details: '{}',
      is_full_sync: setup.isFullSync ?? true,
      is_on_demand: setup.isOnDemand ?? false,
      metadata_sync_schedule: setup.metadata === undefined ? EVERY_MINUTE : setup.metadata,
      cache_field_values_schedule: setup.fieldValues === undefined ? null : setup.fieldValues,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

async function jobsOf(appDb: AppDb, databaseId: number) {
  const rows = await appDb.db
    .selectFrom('sync_job')
    .selectAll()
    .where('database_id', '=', databaseId)
    .orderBy('id')
    .execute();
  return rows.map((r) => ({ ...r, plan: JSON.parse(r.plan) as unknown, triggers: JSON.parse(r.triggers) as unknown }));
}

async function firedAt(appDb: AppDb, databaseId: number) {
  return await appDb.db
    .selectFrom('metabase_database')
    .select(['metadata_sync_fired_at', 'field_values_fired_at'])
    .where('id', '=', databaseId)
    .executeTakeFirstOrThrow();
}

/** The database clock's time, once it is at least 2 s clear of a minute boundary (so every tick sees one fire). */
async function clearOfMinuteBoundary(appDb: AppDb): Promise<Date> {
  for (;;) {
    const now = new Date(await readNow(appDb, appDb.db));
    const second = now.getSeconds();
    if (second >= 2 && second <= 55) return now;
    await sleep(second > 55 ? (61 - second) * 1000 - now.getMilliseconds() : 500);
  }
}

/** The last whole minute at or before `now`: the latest fire of EVERY_MINUTE. */
function minuteOf(now: Date): string {
  const start = new Date(now);
  start.setSeconds(0, 0);
  return start.toISOString();
}

function scheduler(appDb: AppDb, options: { logger?: Logger; wake?: () => void } = {}): Scheduler {
  const logger = options.logger ?? silentLogger();
  return new Scheduler({ appDb, logger, ...(options.wake ? { wake: options.wake } : {}) });
}

async function insertRunningJob(appDb: AppDb, databaseId: number, plan: unknown): Promise<number> {
  const row = await appDb.db
    .insertInto('sync_job')
    .values({
      database_id: databaseId,
      state: 'running',
      plan: JSON.stringify(plan),
      triggers: '[]',
      priority: 10,
      started_at: appDb.now(),
      lease_owner: 'another-instance',
      lease_expires_at: '2999-01-01T00:00:00.000Z',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

test('what a fire requests', () => {
  assert.deepEqual(scheduledPlan('metadata', true), { metadata: { database: true }, analyze: { database: true } });
  assert.deepEqual(scheduledPlan('metadata', false), { metadata: { database: true } });
  assert.deepEqual(scheduledPlan('field_values', true), { field_values: { database: true } });
});

for (const kind of APP_DB_KINDS) {
  describe(`scheduler on ${kind}`, () => {
    test('the fire claim: of many concurrent claims of one fire time exactly one wins', async (t) => {
      const [a, b] = await twoInstances(t, kind);
      const db = await addDatabase(a);
      const fire = '2025-01-15T10:01:00.000Z';
      const wins = await Promise.all(
        Array.from({ length: 8 }, (_, i) => claimFire(i % 2 === 0 ? a : b, db, 'metadata', fire)),
      );
      assert.equal(wins.filter(Boolean).length, 1);
      assert.equal((await firedAt(a, db)).metadata_sync_fired_at, fire);
      assert.equal(await claimFire(b, db, 'metadata', '2025-01-15T10:00:00.000Z'), false, 'an earlier fire');
      assert.equal(await claimFire(b, db, 'metadata', '2025-01-15T11:01:00.000Z'), true, 'the next fire');
      assert.equal(await claimFire(a, db, 'field_values', fire), true, 'the other schedule is claimed apart');
      assert.equal(await claimFire(a, db, 'metadata', '2025-01-15T12:01:00.000Z'), true);
      assert.deepEqual(await firedAt(a, db), {
        metadata_sync_fired_at: '2025-01-15T12:01:00.000Z',
        field_values_fired_at: fire,
      });
    });

    test('two instances tick at the same fire: exactly one enqueues one job', async (t) => {
      const [a, b] = await twoInstances(t, kind);
      const db = await addDatabase(a);
      let wakes = 0;
      const first = scheduler(a, { wake: () => wakes++ });
      const second = scheduler(b, { wake: () => wakes++ });
      const now = await clearOfMinuteBoundary(a);
      const [one, two] = await Promise.all([first.tick(), second.tick()]);
      const fires = [...one, ...two];
      assert.equal(fires.length, 1, JSON.stringify(fires));
      const fireTime = minuteOf(now);
      assert.deepEqual(fires[0], {
        databaseId: db,
        schedule: 'metadata',
        fireTime,
        outcome: 'enqueued',
        jobId: fires[0].jobId,
      });
      const jobs = await jobsOf(a, db);
      assert.equal(jobs.length, 1);
      const [job] = jobs;
      assert.equal(job.id, fires[0].jobId);
      assert.equal(job.state, 'queued');
      assert.equal(job.priority, 0);
      assert.equal(job.trigger_count, 1);
      assert.deepEqual(job.plan, { metadata: { database: true }, analyze: { database: true } });
      const [trigger] = job.triggers as { source: string; at: string; detail: unknown }[];
      assert.equal(trigger.source, 'schedule');
      assert.deepEqual(trigger.detail, { schedule: 'metadata', fire_time: fireTime });
      assert.ok(Date.parse(trigger.at) >= Date.parse(fireTime));
      assert.equal(wakes, 1);
      assert.equal((await firedAt(b, db)).metadata_sync_fired_at, fireTime);
      // Later ticks inside the same window find the fire claimed.
      assert.deepEqual([...(await first.tick()), ...(await second.tick())], []);
      assert.equal((await jobsOf(a, db)).length, 1);
    });

    test('a fire more than 60 s in the past is skipped, not replayed', async (t) => {
      const [appDb] = await twoInstances(t, kind);
      const now = await clearOfMinuteBoundary(appDb);
      // Hourly, two minutes ago: its last fire is between 120 and 180 seconds old.
      const db = await addDatabase(appDb, { metadata: `0 ${(now.getMinutes() + 58) % 60} * * * ? *` });
      assert.deepEqual(await scheduler(appDb).tick(), []);
      assert.deepEqual(await jobsOf(appDb, db), []);
      assert.deepEqual(await firedAt(appDb, db), { metadata_sync_fired_at: null, field_values_fired_at: null });
    });

    test('a fire the running job covers is recorded as skipped and nothing is queued', async (t) => {
      const [appDb] = await twoInstances(t, kind);
      const db = await addDatabase(appDb, { fieldValues: EVERY_MINUTE });
      const full = { metadata: { database: true }, analyze: { database: true }, field_values: { database: true } };
      const running = await insertRunningJob(appDb, db, full);
      const now = await clearOfMinuteBoundary(appDb);
      const fires = await scheduler(appDb).tick();
      assert.deepEqual(
        fires.map((f) => [f.schedule, f.outcome]),
        [
          ['metadata', 'skipped'],
          ['field_values', 'skipped'],
        ],
      );
      const jobs = await jobsOf(appDb, db);
      assert.deepEqual(
        jobs.map((j) => [j.state, j.error, j.priority, j.plan]),
        [
          ['running', null, 10, full],
          ['skipped', `covered by running job ${running}`, 0, scheduledPlan('metadata', true)],
          ['skipped', `covered by running job ${running}`, 0, scheduledPlan('field_values', true)],
        ],
      );
      assert.ok(jobs[1].finished_at !== null);
      assert.deepEqual((jobs[2].triggers as { detail: unknown }[])[0].detail, {
        schedule: 'field_values',
        fire_time: minuteOf(now),
      });
    });

    test('a running job that does not cover the fire: the fire is queued as its follow-up', async (t) => {
      const [appDb] = await twoInstances(t, kind);
      const db = await addDatabase(appDb);
      await insertRunningJob(appDb, db, { metadata: { tables: [7] } });
      await clearOfMinuteBoundary(appDb);
      const [fire] = await scheduler(appDb).tick();
      assert.equal(fire.outcome, 'enqueued');
      const jobs = await jobsOf(appDb, db);
      assert.deepEqual(
        jobs.map((j) => [j.state, j.plan]),
        [
          ['running', { metadata: { tables: [7] } }],
          ['queued', { metadata: { database: true }, analyze: { database: true } }],
        ],
      );
    });

    test('is_full_sync false: metadata only, and the field-values schedule does not fire', async (t) => {
      const [appDb] = await twoInstances(t, kind);
      const db = await addDatabase(appDb, { isFullSync: false, fieldValues: EVERY_MINUTE });
      await clearOfMinuteBoundary(appDb);
      const fires = await scheduler(appDb).tick();
      assert.deepEqual(
        fires.map((f) => f.schedule),
        ['metadata'],
      );
      const jobs = await jobsOf(appDb, db);
      assert.deepEqual(
        jobs.map((j) => j.plan),
        [{ metadata: { database: true } }],
      );
      assert.equal((await firedAt(appDb, db)).field_values_fired_at, null);
    });

    test('is_on_demand: the field-values schedule does not fire; the metadata one does', async (t) => {
      const [appDb] = await twoInstances(t, kind);
      const db = await addDatabase(appDb, { isOnDemand: true, fieldValues: EVERY_MINUTE });
      await clearOfMinuteBoundary(appDb);
      assert.deepEqual(
        (await scheduler(appDb).tick()).map((f) => f.schedule),
        ['metadata'],
      );
      assert.equal((await firedAt(appDb, db)).field_values_fired_at, null);
    });

    test('both schedules firing at once share one queued job', async (t) => {
      const [appDb] = await twoInstances(t, kind);
      const db = await addDatabase(appDb, { fieldValues: EVERY_MINUTE });
      await clearOfMinuteBoundary(appDb);
      const fires = await scheduler(appDb).tick();
      assert.deepEqual(
        fires.map((f) => f.schedule),
        ['metadata', 'field_values'],
      );
      assert.equal(fires[0].jobId, fires[1].jobId);
      const [job] = await jobsOf(appDb, db);
      assert.equal(job.trigger_count, 2);
      assert.deepEqual(job.plan, {
        metadata: { database: true },
        analyze: { database: true },
        field_values: { database: true },
      });
    });

    test('NULL schedules never fire; an unparsable one fires nothing and is warned about once', async (t) => {
      const [appDb] = await twoInstances(t, kind);
      const never = await addDatabase(appDb, { metadata: null, fieldValues: null });
      const broken = await addDatabase(appDb, { metadata: '0 0 12 15W * ?' });
      const lines: string[] = [];
      const logger = createLogger({
        level: 'warn',
        destination: new Writable({
          write(chunk: Buffer, _encoding, callback) {
            lines.push(chunk.toString('utf8'));
            callback();
          },
        }),
      });
      const instance = scheduler(appDb, { logger });
      await clearOfMinuteBoundary(appDb);
      assert.deepEqual(await instance.tick(), []);
      assert.deepEqual(await instance.tick(), []);
      assert.deepEqual(await jobsOf(appDb, never), []);
      assert.deepEqual(await jobsOf(appDb, broken), []);
      assert.equal(lines.length, 1, lines.join(''));
      const warning = JSON.parse(lines[0]) as Record<string, unknown>;
      assert.equal(warning.db_id, broken);
      assert.equal(warning.expression, '0 0 12 15W * ?');
      assert.match(String(warning.reason), /W \(nearest weekday\) is not supported/);
    });

    test('start() ticks at once; after stop() no tick runs', async (t) => {
      const [appDb] = await twoInstances(t, kind);
      const db = await addDatabase(appDb);
      await clearOfMinuteBoundary(appDb);
      const instance = scheduler(appDb);
      instance.start();
      await eventually(async () => ((await jobsOf(appDb, db)).length === 1 ? true : undefined));
      await instance.stop();
      await appDb.db.deleteFrom('sync_job').execute();
      await appDb.db.updateTable('metabase_database').set({ metadata_sync_fired_at: null }).execute();
      assert.deepEqual(await instance.tick(), []);
      assert.deepEqual(await jobsOf(appDb, db), []);
    });
  });
}
