// Two service processes on one PostgreSQL application database, three warehouses, 500 notifications in bursts spread
// over both instances while the warehouses change (sync-engine.md 8.1). From the rows they leave: no two syncs of one
// database ever overlapped, every notification's job ended, each one ran in a sync that started after it was sent,
// none was dropped, and coalescing ran far fewer syncs than notifications.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AppDb } from '../../src/db/connect.ts';
import { execSql } from '../support/postgres.ts';
import {
  createAppDatabase,
  createWarehouse,
  lastFirst,
  notify,
  register,
  startInstance,
  tableName,
  unfinishedJobs,
  until,
  type Instance,
} from './support.ts';

const BURSTS = 10;
const PER_BURST = 50;
const TABLES = 20;
/** Pauses between bursts, in ms: some shorter and some longer than a sync. */
const GAPS = [150, 400, 50, 250, 600, 100, 300, 30, 450, 200];

interface Sent {
  readonly databaseId: number;
  readonly sentAt: string;
  readonly jobId: number;
}

interface JobRow {
  readonly id: number;
  readonly database_id: number;
  readonly state: string;
  readonly started_at: string | null;
  readonly finished_at: string | null;
  readonly retried_as: number | null;
  readonly trigger_count: number;
}

/** The bodies of a burst, in turn: a whole-database full sync, schema only, one table, one table in full. */
function body(i: number, burst: number): Record<string, unknown> {
  const table = tableName(burst % TABLES);
  const bodies = [
    {},
    { scan: 'schema' },
    { table_name: table },
    { schema_name: 'public', table_name: table, scan: 'full' },
  ];
  return i === 0 ? { ...bodies[0], 'synchronous?': true } : bodies[i % bodies.length];
}

/** Pairs of one database's runs whose intervals intersect (sorted by start, each must start after the last end). */
function overlaps(intervals: readonly { id: number; start: string; end: string }[]): string[] {
  const sorted = [...intervals].sort((a, b) => a.start.localeCompare(b.start));
  const found: string[] = [];
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].start < sorted[i - 1].end) found.push(`job ${sorted[i - 1].id} and job ${sorted[i].id}`);
  }
  return found;
}

/** Per job of the database: the span of its task_history rows. */
async function taskSpans(appDb: AppDb, databaseId: number): Promise<{ id: number; start: string; end: string }[]> {
  const rows = await appDb.db
    .selectFrom('task_history')
    .select((eb) => [
      'job_id',
      eb.fn.min<string>('started_at').as('start'),
      eb.fn.max<string>('ended_at').as('end'),
      eb.fn.count<number>('id').as('rows'),
      eb.fn.count<number>('ended_at').as('ended'),
    ])
    .where('db_id', '=', databaseId)
    .groupBy('job_id')
    .execute();
  for (const row of rows) {
    assert.equal(Number(row.ended), Number(row.rows), `every task row of job ${row.job_id} ended`);
  }
  return rows.map((row) => ({ id: row.job_id ?? 0, start: row.start, end: row.end }));
}

test('two instances, three warehouses, 500 notifications in bursts: no overlap, nothing lost, coalesced', async (t) => {
  const cleanup = lastFirst(t);
  const [app, ...warehouses] = await Promise.all([
    createAppDatabase(cleanup),
    ...[1, 2, 3].map(() => createWarehouse(cleanup, TABLES, 4)),
  ]);
  const env = { MB_DB_TYPE: 'postgres', MB_DB_CONNECTION_URI: app.uri };
  const instances: Instance[] = await Promise.all(['A', 'B'].map((name) => startInstance(cleanup, name, env)));
  const databaseIds: number[] = [];
  for (const [i, warehouse] of warehouses.entries()) {
    databaseIds.push(await register(instances[i % 2], `Warehouse ${i + 1}`, warehouse.details));
  }
  await until('the initial syncs', 30, async () => ((await unfinishedJobs(app.appDb)) === 0 ? true : undefined));

  const sent: Sent[] = [];
  for (let burst = 0; burst < BURSTS; burst++) {
    // An ETL run changed every warehouse, then says so, many times, to either instance.
    const column = `burst_${burst}`;
    const alter = `ALTER TABLE ${tableName(burst % TABLES)} ADD ${column} int`;
    await Promise.all(warehouses.map((w) => execSql(w.url, alter)));
    await Promise.all(
      Array.from({ length: PER_BURST }, async (_, i) => {
        const databaseId = databaseIds[(i + burst) % databaseIds.length];
        const sentAt = new Date().toISOString();
        const jobId = await notify(instances[i % 2], databaseId, body(i, burst));
        sent.push({ databaseId, sentAt, jobId });
      }),
    );
    await sleep(GAPS[burst]);
  }
  await until('every job to end', 60, async () => ((await unfinishedJobs(app.appDb)) === 0 ? true : undefined));

  const jobs = new Map<number, JobRow>();
  for (const row of await app.appDb.db.selectFrom('sync_job').selectAll().execute()) jobs.set(row.id, row);
  const endOf = (id: number): JobRow => {
    let job = jobs.get(id) as JobRow;
    while (job.state === 'interrupted' && job.retried_as !== null) job = jobs.get(job.retried_as) as JobRow;
    return job;
  };

  // Nothing lost: every notification's job (through retried_as) ended, and every request is counted by one job.
  const lost = sent.filter((n) => !['succeeded', 'failed'].includes(endOf(n.jobId).state));
  assert.deepEqual(lost, []);
  assert.deepEqual(sent.filter((n) => endOf(n.jobId).state !== 'succeeded'), [], 'every sync succeeded');
  const retries = [...jobs.values()].filter((job) => job.state === 'interrupted').length;
  const requests = [...jobs.values()].reduce((sum, job) => sum + job.trigger_count, 0);
  assert.equal(requests, sent.length + databaseIds.length + retries, 'each request is carried by exactly one job');

  // Each notification ran in a sync that started after it was sent (I3), so the last one of each target did too.
  const early = sent.filter((n) => (endOf(n.jobId).started_at ?? '') < n.sentAt);
  assert.deepEqual(early, []);
  for (const databaseId of databaseIds) {
    const last = sent.filter((n) => n.databaseId === databaseId).reduce((a, b) => (a.sentAt > b.sentAt ? a : b));
    const after = [...jobs.values()].filter((job) => job.database_id === databaseId && job.started_at! >= last.sentAt);
    assert.ok(after.some((job) => job.state === 'succeeded'), `a sync of database ${databaseId} after its last notice`);
  }

  // Never two running syncs of one database, by the task history and by the jobs' own start and end.
  let overlapsFound = 0;
  for (const databaseId of databaseIds) {
    const byTasks = overlaps(await taskSpans(app.appDb, databaseId));
    const ran = [...jobs.values()].filter((job) => job.database_id === databaseId && job.started_at !== null);
    const byJobs = overlaps(ran.map((job) => ({ id: job.id, start: job.started_at!, end: job.finished_at! })));
    overlapsFound += byTasks.length + byJobs.length;
    assert.deepEqual(byTasks, [], `task history of database ${databaseId}`);
    assert.deepEqual(byJobs, [], `jobs of database ${databaseId}`);
  }

  // Coalescing: far fewer syncs than notifications, run by both instances.
  const syncs = [...jobs.values()].filter((job) => job.started_at !== null).length - databaseIds.length;
  assert.ok(syncs * 5 <= sent.length, `${syncs} syncs for ${sent.length} notifications`);
  for (const instance of instances) {
    assert.match(instance.output(), /"msg":"job finished"/, `${instance.name} ran syncs`);
  }

  // The catalog converged on the warehouses: every column the bursts added is there.
  const fields = await app.appDb.db
    .selectFrom('metabase_field')
    .innerJoin('metabase_table', 'metabase_table.id', 'metabase_field.table_id')
    .select(['metabase_table.db_id', 'metabase_field.name'])
    .where('metabase_field.name', 'like', 'burst_%')
    .where('metabase_field.active', '=', true)
    .execute();
  for (const databaseId of databaseIds) {
    assert.equal(fields.filter((f) => f.db_id === databaseId).length, BURSTS, `database ${databaseId}`);
  }

  t.diagnostic(
    `notifications sent: ${sent.length}, syncs run: ${syncs}, overlaps found: ${overlapsFound}, jobs lost: ` +
      `${lost.length}, retries: ${retries}`,
  );
  assert.deepEqual(await Promise.all(instances.map((instance) => instance.stop())), [0, 0]);
});
