// Catalog queries and time of a whole-database schema sync against PostgreSQL and MariaDB warehouses of growing size.
// The count must not depend on the number of tables (performance.md P3). Time is reported as a ratio to the
// floor measured in the same run: the same driver's four catalog listings read to the end, writing nothing.
//
//   npm run bench                          # 100 and 1,000 tables on both engines (quick profile)
//   npm run bench -- 100 1000 10000        # any sizes
//   npm run bench -- mysql 1000            # one engine: postgres or mysql
//   npm run bench -- postgres 1000 app=postgres   # one application database: app=sqlite or app=postgres
//   npm run bench -- compare 1000 10000    # peers side by side on the same PostgreSQL warehouse
//   npm run bench -- postgres 100000 columns=18   # plain columns per table (PostgreSQL; default 20)
//
// Uses BENCH_PG_URL (or TEST_PG_URL) and TEST_MYSQL_URL when set, otherwise starts ephemeral servers
// (test/support/postgres.ts and test/support/mariadb.ts). PostgreSQL warehouses are kept between runs on that server
// (bench/warehouses.ts keptWarehouse); the PostgreSQL application database is a fresh database on it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInspector } from '@directus/schema';
import knex from 'knex';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { loadConfig } from '../src/config.ts';
import type { AppDb, AppDbKind } from '../src/db/connect.ts';
import { migrate } from '../src/db/migrate.ts';
import { createDriver } from '../src/drivers/registry.ts';
import type { WarehouseDriver } from '../src/drivers/driver.ts';
import { silentLogger } from '../src/logger.ts';
import { createJobRunner } from '../src/sync/run-job.ts';
import { enqueue } from '../src/jobs/queue.ts';
import type { Plan } from '../src/jobs/types.ts';
import { waitForJob } from '../src/jobs/wait.ts';
import { WorkerPool } from '../src/jobs/worker-pool.ts';
import {
  createMysqlTestDatabase,
  dropMysqlDatabase,
  execMysql,
  startMariaDb,
  type MariaDbServer,
} from '../test/support/mariadb.ts';
import { createTestAppDb, type TestAppDb } from '../test/support/app-db.ts';
import { startPostgres, type PgServer } from '../test/support/postgres.ts';
import { COLUMNS, keptWarehouse } from './warehouses.ts';


type BenchEngine = 'postgres' | 'mysql';

/** The same warehouse in MariaDB's dialect, one statement each (the test connection runs no multi-statements). */
function mysqlWarehouseDdl(tables: number): string[] {
  const statements: string[] = [];
  for (let i = 0; i < tables; i++) {
    const columns = ['id integer PRIMARY KEY'];
    for (let c = 1; c <= COLUMNS; c++) {
      const type = ['text', 'bigint NOT NULL DEFAULT 0', 'timestamp NULL', 'decimal(12,2)'][c % 4];
      columns.push(`c${c} ${type}`);
    }
    const name = `t${String(i).padStart(5, '0')}`;
    if (i > 0) {
      columns.push('parent_id integer');
      const parent = `t${String(i - 1).padStart(5, '0')}`;
      columns.push(`CONSTRAINT ${name}_parent FOREIGN KEY (parent_id) REFERENCES ${parent} (id)`);
    }
    statements.push(`CREATE TABLE ${name} (${columns.join(', ')})`, `CREATE INDEX ${name}_c1 ON ${name} (c1)`);
  }
  return statements;
}

/** A warehouse of n tables on the engine's test server (PostgreSQL: kept between runs); drop() removes a MariaDB one. */
async function createWarehouse(
  engine: BenchEngine,
  tables: number,
): Promise<{ details: object; drop(): Promise<void> }> {
  if (engine === 'mysql') {
    const warehouse = await createMysqlTestDatabase('bench');
    await execMysql(warehouse.url, ...mysqlWarehouseDdl(tables));
    return { details: warehouse.details, drop: () => dropMysqlDatabase(warehouse.name) };
  }
  const warehouse = await keptWarehouse(process.env.TEST_PG_URL as string, tables, PG_COLUMNS);
  return { details: warehouse.details, drop: async () => undefined };
}

interface Measurement {
  readonly engine: BenchEngine;
  readonly appDb: AppDbKind;
  readonly tables: number;
  readonly floorMs: number;
  readonly floorQueries: number;
  readonly coldMs: number;
  readonly coldQueries: number;
  readonly warmMs: number;
  readonly warmQueries: number;
  readonly floorSteps: string;
  readonly coldSteps: string;
  readonly warmSteps: string;
}

/** The job's step rows as `step duration ms`, in order: where a sync's time goes. */
async function stepDurations(appDb: AppDb, jobId: number): Promise<string> {
  const rows = await appDb.db
    .selectFrom('task_history')
    .select(['task', 'duration'])
    .where('job_id', '=', jobId)
    .where('parent_id', 'is not', null)
    .orderBy('id')
    .execute();
  return rows.map((r) => `${r.task.replace(/^sync-/, '')} ${r.duration}`).join(', ');
}

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

/** The run of median time. */
function median<T extends { ms: number }>(runs: readonly T[]): T {
  return [...runs].sort((a, b) => a.ms - b.ms)[Math.floor(runs.length / 2)];
}

async function drain<T>(iterable: AsyncIterable<T>): Promise<number> {
  let n = 0;
  for await (const _ of iterable) n++;
  return n;
}

async function measure(engine: BenchEngine, tables: number, appKind: AppDbKind): Promise<Measurement> {
  const warehouse = await createWarehouse(engine, tables);
  const dir = mkdtempSync(join(tmpdir(), 'catalog-sync-bench-'));
  const testAppDb: TestAppDb = await createTestAppDb(dir, appKind);
  const config = loadConfig({ ...testAppDb.env });
  const options = { connectTimeoutMs: 15_000, catalogQueryTimeoutMs: 300_000, sampleQueryTimeoutMs: 30_000, fieldValuesQueryTimeoutMs: 30_000 };
  try {
    // Floor: the four listings through the same driver, read to the end, nothing written.
    const floorDriver = createDriver(engine, { ...warehouse.details }, options);
    const signal = new AbortController().signal;
    await floorDriver.testConnection(signal);
    const floor = async (): Promise<{ ms: number; queries: number; steps: string }> => {
      const before = floorDriver.queryCount;
      const floorStart = performance.now();
      const scope = { kind: 'database' } as const;
      const listings: string[] = [];
      const timed = async (name: string, listing: AsyncIterable<unknown>) => {
        const start = performance.now();
        await drain(listing);
        listings.push(`${name} ${Math.round(performance.now() - start)}`);
      };
      await timed('tables', floorDriver.describeTables(scope, signal));
      await timed('fields', floorDriver.describeFields(scope, signal));
      await timed('fks', floorDriver.describeForeignKeys(scope, signal));
      await timed('indexes', floorDriver.describeIndexes(scope, signal));
      return { ms: performance.now() - floorStart, queries: floorDriver.queryCount - before, steps: listings.join(', ') };
    };

    const appDb = testAppDb.open();
    await migrate(appDb);
    const newDatabase = async () =>
      (
        await appDb.db
          .insertInto('metabase_database')
          .values({ name: 'bench', engine, details: JSON.stringify(warehouse.details) })
          .returning('id')
          .executeTakeFirstOrThrow()
      ).id;
    // The sync runs as in the service: enqueued, claimed by the worker pool (lease, fencing), waited for.
    const drivers: WarehouseDriver[] = [];
    const logger = silentLogger();
    const runner = createJobRunner({
      appDb,
      config,
      logger,
      createDriver: (engine, details, driverOptions) => {
        const driver = createDriver(engine, details, driverOptions);
        drivers.push(driver);
        return driver;
      },
    });
    const workers = new WorkerPool({ appDb, config, logger, runner });
    workers.start();
    const plan: Plan = { metadata: { database: true } };
    const run = async (databaseId: number): Promise<{ ms: number; queries: number; steps: string }> => {
      const start = performance.now();
      const trigger = { source: 'admin', at: new Date().toISOString() } as const;
      const queued = await enqueue(appDb, { databaseId, plan, priority: 10, trigger });
      if (queued.kind !== 'enqueued') throw new Error('bench job was not enqueued');
      workers.wake();
      const outcome = await waitForJob(appDb, queued.jobId, { timeoutMs: 3_600_000, events: workers.events });
      const ms = performance.now() - start;
      if (outcome.kind !== 'finished' || outcome.status !== 'succeeded') throw new Error('bench sync failed');
      return { ms, queries: drivers.at(-1)?.queryCount ?? -1, steps: await stepDurations(appDb, queued.jobId) };
    };
    // Each round: the floor, a cold sync of a new database row (empty catalog), the same again with nothing
    // changed; the medians of BENCH_ROUNDS rounds (3) are reported, the machine being shared and noisy.
    const floors: { ms: number; queries: number; steps: string }[] = [];
    const colds: { ms: number; queries: number; steps: string }[] = [];
    const warms: { ms: number; queries: number; steps: string }[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      floors.push(await floor());
      const databaseId = await newDatabase();
      colds.push(await run(databaseId));
      warms.push(await run(databaseId));
    }
    await floorDriver.close();
    await workers.stop();
    await appDb.close();
    const [floorRun, cold, warm] = [median(floors), median(colds), median(warms)];
    return {
      engine,
      appDb: appKind,
      tables,
      floorMs: floorRun.ms,
      floorQueries: floorRun.queries,
      floorSteps: floorRun.steps,
      coldMs: cold.ms,
      coldQueries: cold.queries,
      coldSteps: cold.steps,
      warmMs: warm.ms,
      warmQueries: warm.queries,
      warmSteps: warm.steps,
    };
  } finally {
    await testAppDb.drop();
    rmSync(dir, { recursive: true, force: true });
    await warehouse.drop();
  }
}

/** Seconds of a peer's read-only introspection of the warehouse, its connection opened before the clock starts. */
async function peerSeconds(details: Record<string, unknown>): Promise<{ directus: number; kysely: number }> {
  const connection = {
    host: details.host as string,
    port: details.port as number,
    database: details.dbname as string,
    user: details.user as string,
    password: details.password as string,
  };
  const knexDb = knex({ client: 'pg', connection: { ...connection }, pool: { min: 1, max: 1 } });
  let directus: number;
  try {
    await knexDb.raw('SELECT 1');
    const inspector = createInspector(knexDb);
    const start = performance.now();
    await inspector.overview();
    await inspector.foreignKeys();
    directus = (performance.now() - start) / 1000;
  } finally {
    await knexDb.destroy();
  }
  const kyselyDb = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: new pg.Pool({ ...connection, max: 1 }) }) });
  try {
    await sql`SELECT 1`.execute(kyselyDb);
    const start = performance.now();
    await kyselyDb.introspection.getTables();
    return { directus, kysely: (performance.now() - start) / 1000 };
  } finally {
    await kyselyDb.destroy();
  }
}

/**
 * `npm run bench -- compare [sizes]`: on the same PostgreSQL warehouse in one run, the floor, this service's cold
 * and no-change sync (SQLite application database), Directus' `@directus/schema` overview plus foreign keys, and
 * Kysely's introspector (tables and columns).
 */
async function compare(sizes: readonly number[]): Promise<void> {
  const rows: string[] = [];
  for (const tables of sizes) {
    const own = await measure('postgres', tables, 'sqlite');
    const warehouse = await keptWarehouse(process.env.TEST_PG_URL as string, tables);
    const peers = await peerSeconds(warehouse.details);
    const floor = own.floorMs / 1000;
    const cell = (seconds: number) => `${seconds.toFixed(2)} s (${(seconds / floor).toFixed(2)}×)`;
    rows.push(
      `| ${tables.toLocaleString('en-US')} | ${floor.toFixed(2)} s | ${cell(own.coldMs / 1000)} | ${cell(own.warmMs / 1000)} | ` +
        `${cell(peers.directus)} | ${cell(peers.kysely)} |`,
    );
  }
  console.log('PostgreSQL warehouse; in brackets the ratio to the floor of the same run');
  console.log('| tables | floor (4 listings) | this service: cold sync | no-change sync | @directus/schema overview + foreign keys | Kysely introspector getTables |');
  console.log('|---|---|---|---|---|---|');
  for (const row of rows) console.log(row);
}

const args = process.argv.slice(2);
/** `columns=18`: plain columns per PostgreSQL table (the P7 warehouse of bench/peak-memory.ts has 18: 20 fields). */
const PG_COLUMNS = Number(args.find((a) => a.startsWith('columns='))?.slice('columns='.length) ?? COLUMNS);
const sizes = args.map(Number).filter((n) => Number.isInteger(n) && n > 0);
const chosen = args.filter((a): a is BenchEngine => a === 'postgres' || a === 'mysql');
const engines: BenchEngine[] = chosen.length ? chosen : args.includes('compare') ? ['postgres'] : ['postgres', 'mysql'];
const chosenApps = args.flatMap((a) => (a === 'app=sqlite' ? ['sqlite' as const] : a === 'app=postgres' ? ['postgres' as const] : []));
const appKinds: AppDbKind[] = chosenApps.length ? chosenApps : ['sqlite', 'postgres'];
let server: PgServer | undefined;
let mariadb: MariaDbServer | undefined;
if (process.env.BENCH_PG_URL) process.env.TEST_PG_URL ??= process.env.BENCH_PG_URL;
if ((engines.includes('postgres') || appKinds.includes('postgres')) && !process.env.TEST_PG_URL) {
  server = await startPostgres();
  process.env.TEST_PG_URL = server.url;
}
if (engines.includes('mysql') && !process.env.TEST_MYSQL_URL) {
  mariadb = await startMariaDb();
  process.env.TEST_MYSQL_URL = mariadb.url;
}
async function measureAll(): Promise<void> {
  const rows: Measurement[] = [];
  for (const engine of engines) {
    for (const tables of sizes.length ? sizes : [100, 1000]) {
      for (const appKind of appKinds) rows.push(await measure(engine, tables, appKind));
    }
  }
  const names: Record<BenchEngine | AppDbKind, string> = { postgres: 'PostgreSQL', mysql: 'MariaDB', sqlite: 'SQLite' };
  console.log(`${COLUMNS + 1}-22 columns per table, one PK, one index and one FK per table`);
  console.log('| warehouse | application database | tables | warehouse queries (cold sync) | (no-change sync) | floor (4 listings) | cold sync | ratio to floor | no-change sync | ratio to floor |');
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  const f = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  for (const r of rows) {
    console.log(`| ${names[r.engine]} | ${names[r.appDb]} | ${r.tables} | ${r.coldQueries} | ${r.warmQueries} | ${f(r.floorMs)} (${r.floorQueries} queries) | ${f(r.coldMs)} | ${(r.coldMs / r.floorMs).toFixed(2)}× | ${f(r.warmMs)} | ${(r.warmMs / r.floorMs).toFixed(2)}× |`);
  }
  console.log('\nlisting durations of the floor / step durations of the cold sync / of the no-change sync (ms):');
  for (const r of rows) {
    console.log(`${names[r.engine]} ${names[r.appDb]} ${r.tables}: ${r.floorSteps} / ${r.coldSteps} / ${r.warmSteps}`);
  }
}

try {
  if (args.includes('compare')) await compare(sizes.length ? sizes : [1000, 10_000]);
  else await measureAll();
} finally {
  server?.stop();
  mariadb?.stop();
}
