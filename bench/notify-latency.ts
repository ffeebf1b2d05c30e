// Synchronous single-table notify latency (performance.md P4): `{"table_name": …, "scan": "schema",
// "synchronous?": true}` answered after the table's schema sync, on a small and on a large PostgreSQL warehouse. The
// large one's p50 is given as a ratio to the small one's, measured in the same run by the same service process: a
// one-table sync must not cost more because the warehouse has more tables.
//
//   node --import tsx bench/notify-latency.ts              # 10 and 10,000 tables, 200 notifies each
//   node --import tsx bench/notify-latency.ts 10 1000 100  # table counts of the two warehouses, then the count
//
// Uses TEST_PG_URL when set, otherwise starts an ephemeral PostgreSQL. The service runs as `npm start` runs it, on the
// SQLite application database (bench/service-process.ts); the warehouses are registered with is_full_sync false, so
// their initial sync reads the schema only.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openAppDb, type AppDb } from '../src/db/connect.ts';
import { dropTestDatabase, unfinishedJobs } from '../test/support/app-db.ts';
import { createTestDatabase, execSql, startPostgres, type PgServer } from '../test/support/postgres.ts';
import { ADMIN_KEY, NOTIFY_KEY, startServiceProcess, type ServiceProcess } from './service-process.ts';
import { tableName, warehouseDdl } from './warehouses.ts';

const WARM_UP = 20;

interface Latencies {
  readonly tables: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly meanMs: number;
  readonly loadSeconds: number;
  readonly initialSyncSeconds: number;
  /** Medians over the measured notifies' jobs, from their rows: enqueued → started (pick-up) and started → finished. */
  readonly pickUpMs: number;
  readonly runMs: number;
  /** Median duration of each task-history row of the jobs (the sync operation and its steps), in their first order. */
  readonly stepsMs: ReadonlyMap<string, number>;
}

const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Pick-up and run times of the jobs, from the timestamps the service wrote on their rows. */
async function jobTimes(
  appDb: AppDb,
  ids: readonly number[],
): Promise<{ pickUpMs: number; runMs: number; stepsMs: Map<string, number> }> {
  const rows = await appDb.db
    .selectFrom('sync_job')
    .select(['enqueued_at', 'started_at', 'finished_at'])
    .where('id', 'in', ids)
    .execute();
  const ms = (from: string | null, to: string | null) => Date.parse(to ?? '') - Date.parse(from ?? '');
  const tasks = await appDb.db
    .selectFrom('task_history')
    .select(['task', 'duration'])
    .where('job_id', 'in', ids)
    .orderBy('id')
    .execute();
  const byTask = new Map<string, number[]>();
  for (const { task, duration } of tasks) byTask.set(task, [...(byTask.get(task) ?? []), duration ?? 0]);
  return {
    stepsMs: new Map([...byTask].map(([task, durations]) => [task, median(durations)])),
    pickUpMs: median(rows.map((r) => ms(r.enqueued_at, r.started_at))),
    runMs: median(rows.map((r) => ms(r.started_at, r.finished_at))),
  };
}

/** Deterministic table choice (a fixed linear congruential sequence), the same for every run. */
function tables(count: number, of: number): number[] {
  let x = 12345;
  return Array.from({ length: count }, () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x % of;
  });
}

async function measure(
  service: ServiceProcess,
  appDb: AppDb,
  size: number,
  count: number,
  created: string[],
): Promise<Latencies> {
  const warehouse = await createTestDatabase('bench_lat');
  created.push(warehouse.name);
  const loadStart = performance.now();
  for (const ddl of warehouseDdl(size)) await execSql(warehouse.url, ddl);
  await execSql(warehouse.url, 'ANALYZE');
  const loadSeconds = (performance.now() - loadStart) / 1000;

  const syncStart = performance.now();
  const body = { name: `Warehouse of ${size}`, engine: 'postgres', details: warehouse.details, is_full_sync: false };
  const { id } = (await service.post('/api/database', { 'X-API-KEY': ADMIN_KEY }, body)) as { id: number };
  while ((await unfinishedJobs(appDb)) > 0) await sleep(100);
  const initialSyncSeconds = (performance.now() - syncStart) / 1000;

  const latencies: number[] = [];
  const jobIds: number[] = [];
  for (const [i, table] of tables(WARM_UP + count, size).entries()) {
    const start = performance.now();
    const answer = (await service.post(
      `/api/notify/db/${id}`,
      { 'X-METABASE-APIKEY': NOTIFY_KEY },
      { table_name: tableName(table), scan: 'schema', 'synchronous?': true },
    )) as { success?: boolean; job_id?: number };
    if (answer.success !== true) throw new Error(`notify answered ${JSON.stringify(answer)}`);
    if (i >= WARM_UP) {
      latencies.push(performance.now() - start);
      jobIds.push(answer.job_id!);
    }
  }
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  const meanMs = latencies.reduce((a, b) => a + b, 0) / latencies.length;
  const times = await jobTimes(appDb, jobIds);
  return { tables: size, p50Ms: at(0.5), p99Ms: at(0.99), meanMs, loadSeconds, initialSyncSeconds, ...times };
}

const numbers = process.argv.slice(2).map(Number).filter((n) => Number.isInteger(n) && n > 0);
const [small, large, count] = [numbers[0] ?? 10, numbers[1] ?? 10_000, numbers[2] ?? 200];
let server: PgServer | undefined;
if (!process.env.TEST_PG_URL) {
  server = await startPostgres();
  process.env.TEST_PG_URL = server.url;
}
const dir = mkdtempSync(join(tmpdir(), 'catalog-sync-bench-latency-'));
const file = join(dir, 'app.db');
const created: string[] = [];
let service: ServiceProcess | undefined;
try {
  service = await startServiceProcess({ MB_DB_FILE: file });
  const appDb = openAppDb({ kind: 'sqlite', file });
  try {
    const rows = [
      await measure(service, appDb, small, count, created),
      await measure(service, appDb, large, count, created),
    ];
    const f = (n: number, digits = 1) =>
      n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
    console.log(
      `${count} synchronous single-table schema notifies per warehouse, one at a time, after ${WARM_UP} warm-up`,
    );
    console.log(
      '| warehouse tables | p50 | p99 | mean | p50 ratio to the first | job pick-up (median) | job run (median) | ' +
        'initial schema sync | load (not timed) |',
    );
    console.log('|---|---|---|---|---|---|---|---|---|');
    for (const r of rows) {
      console.log(
        `| ${r.tables.toLocaleString('en-US')} | ${f(r.p50Ms)} ms | ${f(r.p99Ms)} ms | ${f(r.meanMs)} ms | ` +
          `${f(r.p50Ms / rows[0].p50Ms, 2)}× | ${f(r.pickUpMs)} ms | ${f(r.runMs)} ms | ` +
          `${f(r.initialSyncSeconds)} s | ${f(r.loadSeconds)} s |`,
      );
    }
    for (const r of rows) {
      const steps = [...r.stepsMs].map(([task, ms]) => `${task} ${f(ms, 0)} ms`).join(', ');
      console.log(`${r.tables.toLocaleString('en-US')} tables, task-history medians: ${steps}`);
    }
  } finally {
    await appDb.close();
  }
} finally {
  await service?.stop();
  for (const name of created) await dropTestDatabase(name);
  rmSync(dir, { recursive: true, force: true });
  server?.stop();
}
