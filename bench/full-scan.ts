// Cost of a full table sync (metadata → analyze → field values) of one PostgreSQL table, at 100,000 and at 10,000,000
// rows (performance.md P6: the large one should cost at most 2× the small one, because sampling bounds analysis).
//
//   node --import tsx bench/full-scan.ts                    # 100,000 and 10,000,000 rows
//   node --import tsx bench/full-scan.ts 100000 1000000     # any sizes; the first is the baseline
//
// Uses TEST_PG_URL when set, otherwise starts an ephemeral PostgreSQL (test/support/postgres.ts). Each table is built
// with generate_series, then VACUUM ANALYZE, so that the first read of freshly loaded pages (hint-bit writes) is not
// billed to the sync. The catalog is set up by a schema sync (not timed); each timed run is a table-level full sync
// enqueued as a notify would enqueue it, claimed by the worker pool (lease, fencing) and waited for. Before each run
// the table's analysis results and values are reset, so every run fingerprints and scans again; after one untimed
// warm-up run, the median of RUNS runs is reported.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config.ts';
import { openAppDb, type AppDb } from '../src/db/connect.ts';
import { migrate } from '../src/db/migrate.ts';
import { parseJson } from '../src/db/schema.ts';
import { enqueue } from '../src/jobs/queue.ts';
import type { Plan } from '../src/jobs/types.ts';
import { waitForJob } from '../src/jobs/wait.ts';
import { WorkerPool } from '../src/jobs/worker-pool.ts';
import { silentLogger } from '../src/logger.ts';
import { createJobRunner } from '../src/sync/run-job.ts';
import { createTestDatabase, execSql, startPostgres, testPg, type PgServer } from '../test/support/postgres.ts';

const RUNS = 5;
const OPERATIONS = ['sync', 'analyze', 'field values scanning'] as const;

interface Run {
  readonly ms: number;
  /** Duration of each operation row, by task. */
  readonly phases: Readonly<Record<string, number>>;
  readonly queries: number;
}

interface Measurement {
  readonly rows: number;
  readonly loadMs: number;
  readonly runs: readonly Run[];
}

const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function loadWarehouse(rows: number): Promise<{ url: string; name: string; details: Record<string, unknown> }> {
  const warehouse = await createTestDatabase('bench_scan');
  await execSql(
    warehouse.url,
    `CREATE TABLE events (
       id bigint PRIMARY KEY,
       category text NOT NULL,
       email text NOT NULL,
       amount numeric(12,2) NOT NULL,
       created_at timestamptz NOT NULL)`,
    `INSERT INTO events
       SELECT i,
              (ARRAY['alpha','beta','gamma','delta','epsilon','zeta','eta','theta'])[1 + i % 8],
              'user' || i || '@example.com',
              (i % 100000) / 100.0,
              timestamptz '2024-01-01' + i * interval '1 second'
       FROM generate_series(1, ${rows}) AS i`,
    'VACUUM ANALYZE events',
  );
  return warehouse;
}

/** Forgets the table's analysis and values, so that the next full sync fingerprints, classifies and scans again. */
async function resetAnalysis(appDb: AppDb, tableId: number): Promise<void> {
  const fields = appDb.db.selectFrom('metabase_field').select('id').where('table_id', '=', tableId);
  await appDb.db.deleteFrom('metabase_fieldvalues').where('field_id', 'in', fields).execute();
  await appDb.db
    .updateTable('metabase_field')
    .set({
      fingerprint: null,
      fingerprint_version: 0,
      last_analyzed: null,
      has_field_values: null,
      semantic_type: null,
    })
    .where('table_id', '=', tableId)
    .execute();
  await appDb.db.updateTable('metabase_table').set({ entity_type: null }).where('id', '=', tableId).execute();
}

async function measure(rows: number): Promise<Measurement> {
  const loadStart = performance.now();
  const warehouse = await loadWarehouse(rows);
  const loadMs = performance.now() - loadStart;
  const dir = mkdtempSync(join(tmpdir(), 'catalog-sync-bench-'));
  const config = loadConfig({ MB_DB_FILE: join(dir, 'app.db'), MB_SYNC_WORKERS: '1' });
  const appDb = openAppDb({ kind: 'sqlite', file: config.dbFile });
  const logger = silentLogger();
  const workers = new WorkerPool({ appDb, config, logger, runner: createJobRunner({ appDb, config, logger }) });
  try {
    await migrate(appDb);
    const database = await appDb.db
      .insertInto('metabase_database')
      .values({ name: 'bench', engine: 'postgres', details: JSON.stringify(warehouse.details) })
      .returning('id')
      .executeTakeFirstOrThrow();
    workers.start();
    const sync = async (plan: Plan) => {
      const trigger = { source: 'notify', at: new Date().toISOString() } as const;
      const queued = await enqueue(appDb, { databaseId: database.id, plan, priority: 10, trigger });
      if (queued.kind !== 'enqueued') throw new Error('the bench job was not enqueued');
      workers.wake();
      const outcome = await waitForJob(appDb, queued.jobId, { timeoutMs: 3_600_000, events: workers.events });
      if (outcome.kind !== 'finished' || outcome.status !== 'succeeded') throw new Error('the bench sync failed');
      return queued.jobId;
    };
    await sync({ metadata: { database: true } });
    const table = await appDb.db
      .selectFrom('metabase_table')
      .select('id')
      .where('name', '=', 'events')
      .executeTakeFirstOrThrow();
    const scope = { tables: [table.id] };
    const runs: Run[] = [];
    for (let i = -1; i < RUNS; i++) {
      await resetAnalysis(appDb, table.id);
      const start = performance.now();
      const jobId = await sync({ metadata: scope, analyze: scope, field_values: scope });
      const ms = performance.now() - start;
      const tasks = await appDb.db
        .selectFrom('task_history')
        .select(['task', 'duration', 'task_details'])
        .where('job_id', '=', jobId)
        .where('parent_id', 'is', null)
        .execute();
      const phases = Object.fromEntries(tasks.map((t) => [t.task, t.duration ?? 0]));
      const queries = tasks.reduce(
        (sum, t) => sum + Number(parseJson<Record<string, unknown>>(t.task_details, {})['warehouse-queries'] ?? 0),
        0,
      );
      const values = await appDb.db
        .selectFrom('metabase_fieldvalues')
        .innerJoin('metabase_field', 'metabase_field.id', 'metabase_fieldvalues.field_id')
        .select('metabase_fieldvalues.values')
        .where('metabase_field.name', '=', 'category')
        .executeTakeFirst();
      if (parseJson<unknown[]>(values?.values, []).length !== 8) throw new Error('the category values were not cached');
      if (i >= 0) runs.push({ ms, phases, queries });
    }
    return { rows, loadMs, runs };
  } finally {
    await workers.stop();
    await appDb.close();
    rmSync(dir, { recursive: true, force: true });
    await execSql((await testPg()).url, `DROP DATABASE "${warehouse.name}"`);
  }
}

const sizes = process.argv.slice(2).map(Number).filter((n) => Number.isInteger(n) && n > 0);
let server: PgServer | undefined;
if (!process.env.TEST_PG_URL) {
  server = await startPostgres();
  process.env.TEST_PG_URL = server.url;
}
try {
  const results: Measurement[] = [];
  for (const rows of sizes.length > 0 ? sizes : [100_000, 10_000_000]) results.push(await measure(rows));
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const baseline = median(results[0].runs.map((r) => r.ms));
  console.log('PostgreSQL table events (id bigint PK, category text (8 values), email text, amount numeric,');
  console.log(`created_at timestamptz); table-level full sync, median of ${RUNS} runs`);
  console.log(
    '| rows | full table sync | ratio to the first | metadata | analyze | field values | warehouse queries | ' +
      'load (not timed) |',
  );
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    const total = median(r.runs.map((run) => run.ms));
    const phase = (task: string) => s(median(r.runs.map((run) => run.phases[task] ?? 0)));
    const queries = median(r.runs.map((run) => run.queries));
    console.log(
      `| ${r.rows.toLocaleString('en-US')} | ${s(total)} | ${(total / baseline).toFixed(2)}× | ` +
        `${OPERATIONS.map(phase).join(' | ')} | ${queries} | ${s(r.loadMs)} |`,
    );
  }
} finally {
  server?.stop();
}
