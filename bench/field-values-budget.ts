// Field values with a cost budget (issue 11, item 3) on PostgreSQL: the field-values scan of one list column of a
// 10,000,000-row table against the same scan of a smaller table, with the default budget of 1,000,000 rows.
//   - no index on the list column: 10,000,000 rows (bounded read, TABLESAMPLE SYSTEM) vs 1,000,000 rows (exact
//     query, a full read): target ≤ 1.3×;
//   - an index leads with the list column: 10,000,000 rows (loose index scan) vs 100,000 rows (exact query): ≤ 2×.
//
//   node --import tsx bench/field-values-budget.ts
//
// Uses TEST_PG_URL when set, otherwise starts an ephemeral PostgreSQL (test/support/postgres.ts). The tables are built
// with generate_series, then VACUUM ANALYZE (so that reltuples is known and hint bits are set before timing). The
// catalog comes from a schema sync (not timed); each timed run is a field-values job of the one table, run as the
// worker runs it, and the duration of its `field values scanning` operation row is taken, with the time of the
// driver's read inside it. After one warm-up job per table, the two tables of a pair take turns, RUNS jobs each, so
// that the load of a shared machine weighs on both alike.
//
// Then the statements alone (the profile): the exact statement of the 1,000,000-row table and the bounded read of the
// 10,000,000-row one, each as the driver sends it (a pg-cursor portal, FETCH 1000, the data session's settings), and
// the bounded read's form before 2026-12-06. Where the server runs on this machine, the backend's own CPU time and
// its time waiting for a CPU are read from /proc/<pid>/schedstat: CPU time is what the statement costs, whatever else
// the machine runs.
import { existsSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import Cursor from 'pg-cursor';
import type { WarehouseDriver } from '../src/drivers/driver.ts';
import {
  boundedDistinctQuery,
  DATA_SESSION_OPTIONS,
  distinctValuesQuery,
  SAMPLE_TYPES,
  samplePercent,
  sampleStatsOf,
  sampleStatsQuery,
} from '../src/drivers/postgres/postgres-sampling.ts';
import { createDriver } from '../src/drivers/registry.ts';
import { createTestDatabase, execSql, startPostgres, testPg, type PgServer } from '../test/support/postgres.ts';
import { createHarness, wrapDriver, type Harness } from '../test/sync/support.ts';

const RUNS = 5;
const PROFILE_RUNS = 7;
const SIZES = [100_000, 1_000_000, 10_000_000];
const BUDGET = 1_000_000;

const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const spread = (values: readonly number[]): string => `${Math.min(...values)}–${Math.max(...values)}`;

/** `events_<rows>`: `category` 8 values and no index, `code` 50 values under an index that leads with it. */
function tableDdl(rows: number): string[] {
  const name = `events_${rows}`;
  return [
    `CREATE TABLE ${name} (id bigint PRIMARY KEY, category text NOT NULL, code integer NOT NULL, note text)`,
    `INSERT INTO ${name} SELECT i, (ARRAY['alpha','beta','gamma','delta','epsilon','zeta','eta','theta'])[1 + i % 8],
       i % 50, 'note ' || i FROM generate_series(1, ${rows}) AS i`,
    `CREATE INDEX ${name}_code ON ${name} (code)`,
    `VACUUM ANALYZE ${name}`,
  ];
}

/** The last driver read's duration (distinctValues or budgetedValues), for the operation's breakdown. */
let lastRead = 0;
const timedDriver: typeof createDriver = (engine, details, options) => {
  const driver: WarehouseDriver = createDriver(engine, details, options);
  const timed = async <T>(work: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      return await work();
    } finally {
      lastRead = performance.now() - started;
    }
  };
  return wrapDriver(driver, {
    distinctValues: (table, fields, opts, signal) => timed(() => driver.distinctValues(table, fields, opts, signal)),
    budgetedValues: (table, field, opts, signal) => timed(() => driver.budgetedValues!(table, field, opts, signal)),
  });
};

interface Times {
  readonly op: number[];
  readonly read: number[];
}

/** One field-values job of one table: its operation's duration and the driver read's. */
async function job(h: Harness, dbId: number, tableId: number, label: string, log: boolean): Promise<[number, number]> {
  const { jobId, outcome } = await h.run(dbId, { field_values: { tables: [tableId] } }, { createDriver: timedDriver });
  if (outcome.state !== 'succeeded') throw new Error(`the field-values job failed: ${outcome.error}`);
  const tasks = await h.tasks(jobId);
  const operation = tasks.find((t) => t.task === 'field values scanning');
  if (log) console.error(`  ${label}: ${JSON.stringify(tasks.find((t) => t.task === 'update-field-values')?.details)}`);
  return [Number(operation?.duration), Math.round(lastRead)];
}

/** The small and the large table of a pair, list column `column`, taking turns after a warm-up each. */
async function pair(h: Harness, dbId: number, sizes: [number, number], column: 'category' | 'code'): Promise<Times[]> {
  const tables = await Promise.all(sizes.map((rows) => h.table(dbId, `events_${rows}`)));
  for (const table of tables) {
    for (const name of ['category', 'code']) {
      await h.updateField(table.id, name, { has_field_values: name === column ? 'auto-list' : null });
    }
  }
  const times: Times[] = tables.map(() => ({ op: [], read: [] }));
  for (let run = 0; run <= RUNS; run++) {
    for (const [i, table] of tables.entries()) {
      const [op, read] = await job(h, dbId, table.id, `events_${sizes[i]}.${column}`, run === 0);
      if (run === 0) continue;
      times[i].op.push(op);
      times[i].read.push(read);
    }
  }
  return times;
}

/** Wall time, backend CPU and run-queue wait (ms) of each statement (with what builds it), PROFILE_RUNS times in turn after a warm-up. */
type Build = (client: pg.Client) => Promise<{ readonly text: string; readonly values: readonly unknown[] }>;

async function profile(url: string, statements: Record<string, Build>) {
  const client = new pg.Client({ connectionString: url, options: DATA_SESSION_OPTIONS });
  await client.connect();
  try {
    const pid = Number((await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);
    const schedstat = `/proc/${pid}/schedstat`;
    const local = existsSync(schedstat);
    const sched = () => (local ? readFileSync(schedstat, 'utf8').split(' ').map((n) => Number(n) / 1e6) : [0, 0]);
    const results: Record<string, { wall: number[]; cpu: number[]; wait: number[] }> = {};
    for (let run = 0; run <= PROFILE_RUNS; run++) {
      for (const [name, build] of Object.entries(statements)) {
        const before = sched();
        const started = performance.now();
        const query = await build(client);
        const cursor = client.query(new Cursor(query.text, [...query.values], { rowMode: 'array', types: SAMPLE_TYPES }));
        while ((await cursor.read(1000)).length === 1000);
        await cursor.close();
        const wall = performance.now() - started;
        const after = sched();
        if (run === 0) continue;
        const entry = (results[name] ??= { wall: [], cpu: [], wait: [] });
        entry.wall.push(Math.round(wall));
        entry.cpu.push(Math.round(after[0] - before[0]));
        entry.wait.push(Math.round(after[1] - before[1]));
      }
    }
    return { local, results };
  } finally {
    await client.end();
  }
}

let server: PgServer | undefined;
if (!process.env.TEST_PG_URL) {
  server = await startPostgres();
  process.env.TEST_PG_URL = server.url;
}
const h = await createHarness('sqlite');
try {
  const warehouse = await createTestDatabase('bench_budget');
  for (const rows of SIZES) {
    const started = performance.now();
    await execSql(warehouse.url, ...tableDdl(rows));
    console.error(`built events_${rows} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  const dbId = await h.addDatabase('postgres', warehouse.details);
  const schema = await h.run(dbId, { metadata: { database: true } });
  if (schema.outcome.state !== 'succeeded') throw new Error(`the schema sync failed: ${schema.outcome.error}`);

  const [noIndexSmall, noIndexLarge] = await pair(h, dbId, [1_000_000, 10_000_000], 'category');
  const [indexedSmall, indexedLarge] = await pair(h, dbId, [100_000, 10_000_000], 'code');
  const line = (label: string, small: string, times: { small: Times; large: Times }, target: number) => {
    const ratio = median(times.large.op) / median(times.small.op);
    const verdict = ratio <= target ? 'met' : 'NOT met';
    return `| ${label} | ${small} | ${median(times.small.op)} ms | ${median(times.large.op)} ms | ${ratio.toFixed(2)}× | ≤ ${target}× (${verdict}) |`;
  };
  console.log('| List column | Smaller table | Its scan (median) | 10,000,000 rows (median) | Ratio | Target |');
  console.log('|---|---|---|---|---|---|');
  console.log(line('`category`, no index (bounded read)', '1,000,000 rows', { small: noIndexSmall, large: noIndexLarge }, 1.3));
  console.log(line('`code`, indexed (loose index scan)', '100,000 rows', { small: indexedSmall, large: indexedLarge }, 2));
  const runs = { noIndex: { small: noIndexSmall, large: noIndexLarge }, indexed: { small: indexedSmall, large: indexedLarge } };
  console.log(`\nruns (ms; op = the operation row, read = the driver's read inside it): ${JSON.stringify(runs)}`);
  console.log('\n| Job | Operation (median, spread) | Driver read (median) | Rest of the operation (median) |');
  console.log('|---|---|---|---|');
  for (const [label, times] of [['1,000,000 rows, exact', noIndexSmall], ['10,000,000 rows, bounded', noIndexLarge]] as const) {
    const rest = median(times.op.map((op, i) => op - times.read[i]));
    console.log(`| ${label} | ${median(times.op)} ms (${spread(times.op)}) | ${median(times.read)} ms | ${rest} ms |`);
  }

  const large = { schema: 'public', name: 'events_10000000' };
  const estimate = 10_000_000;
  const statements = {
    'exact, 1,000,000 rows': async () => distinctValuesQuery({ schema: 'public', name: 'events_1000000' }, ['category'], { limit: 1001 }),
    'bounded, 10,000,000 rows (stats, then the read)': async (client: pg.Client) => {
      const stats = sampleStatsQuery(large);
      const [row] = (await client.query({ text: stats.text, values: [...stats.values], rowMode: 'array', types: SAMPLE_TYPES })).rows;
      const percent = samplePercent(sampleStatsOf(row, estimate), BUDGET, estimate);
      return boundedDistinctQuery(large, 'category', { limit: 1001, rowBudget: BUDGET, percent });
    },
    'bounded before 2026-12-06': async () => ({
      text: `SELECT DISTINCT "category" FROM (SELECT "category" FROM "public"."events_10000000" TABLESAMPLE SYSTEM ($1) LIMIT $2) AS s
        WHERE "category" IS NOT NULL ORDER BY "category" LIMIT $3`,
      values: [(BUDGET / estimate) * 100, BUDGET, 1001],
    }),
  };
  const measured = await profile(warehouse.url, statements);
  console.log(`\n| Statement (as the driver sends it) | Wall (median) | Backend CPU (median, spread) | Waiting for a CPU (median) |`);
  console.log('|---|---|---|---|');
  for (const [name, m] of Object.entries(measured.results)) {
    const cpu = measured.local ? `${median(m.cpu)} ms (${spread(m.cpu)})` : 'n/a (remote server)';
    const wait = measured.local ? `${median(m.wait)} ms` : 'n/a';
    console.log(`| ${name} | ${median(m.wall)} ms | ${cpu} | ${wait} |`);
  }
  await execSql((await testPg()).url, `DROP DATABASE "${warehouse.name}"`);
} finally {
  await h.close();
  server?.stop();
}
