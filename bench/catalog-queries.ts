// Catalog queries and time of a whole-database schema sync against PostgreSQL and MariaDB warehouses of growing size.
// The count must not depend on the number of tables (performance.md P3). Time is reported as a ratio to the
// floor measured in the same run: the same driver's four catalog listings read to the end, writing nothing.
//
//   npm run bench                          # 100 and 1,000 tables on both engines (quick profile)
//   npm run bench -- 100 1000 10000        # any sizes
//   npm run bench -- mysql 1000            # one engine: postgres or mysql
//
// Uses TEST_PG_URL and TEST_MYSQL_URL when set, otherwise starts ephemeral servers (test/support/postgres.ts and
// test/support/mariadb.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config.ts';
import { openAppDb } from '../src/db/connect.ts';
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
import { createTestDatabase, execSql, startPostgres, type PgServer } from '../test/support/postgres.ts';
import { COLUMNS, warehouseDdl } from './warehouses.ts';


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

/** A fresh warehouse database of n tables on the engine's test server; drop() removes it. */
async function createWarehouse(
  engine: BenchEngine,
  tables: number,
): Promise<{ details: object; drop(): Promise<void> }> {
  if (engine === 'mysql') {
    const warehouse = await createMysqlTestDatabase('bench');
    await execMysql(warehouse.url, ...mysqlWarehouseDdl(tables));
    return { details: warehouse.details, drop: () => dropMysqlDatabase(warehouse.name) };
  }
  const warehouse = await createTestDatabase('bench');
  for (const ddl of warehouseDdl(tables)) await execSql(warehouse.url, ddl);
  await execSql(warehouse.url, 'ANALYZE');
  return { details: warehouse.details, drop: async () => undefined };
}

interface Measurement {
  readonly engine: BenchEngine;
  readonly tables: number;
  readonly floorMs: number;
  readonly floorQueries: number;
  readonly coldMs: number;
  readonly coldQueries: number;
  readonly warmMs: number;
  readonly warmQueries: number;
}

async function drain<T>(iterable: AsyncIterable<T>): Promise<number> {
  let n = 0;
  for await (const _ of iterable) n++;
  return n;
}

async function measure(engine: BenchEngine, tables: number): Promise<Measurement> {
  const warehouse = await createWarehouse(engine, tables);
  const dir = mkdtempSync(join(tmpdir(), 'catalog-sync-bench-'));
  const config = loadConfig({ MB_DB_FILE: join(dir, 'app.db') });
  const options = { connectTimeoutMs: 15_000, catalogQueryTimeoutMs: 300_000, sampleQueryTimeoutMs: 30_000, fieldValuesQueryTimeoutMs: 30_000 };
  try {
    // Floor: the four listings through the same driver, read to the end, nothing written.
    const floorDriver = createDriver(engine, { ...warehouse.details }, options);
    const signal = new AbortController().signal;
    await floorDriver.testConnection(signal);
    const connectQueries = floorDriver.queryCount;
    const floorStart = performance.now();
    const scope = { kind: 'database' } as const;
    await drain(floorDriver.describeTables(scope, signal));
    await drain(floorDriver.describeFields(scope, signal));
    await drain(floorDriver.describeForeignKeys(scope, signal));
    await drain(floorDriver.describeIndexes(scope, signal));
    const floorMs = performance.now() - floorStart;
    const floorQueries = floorDriver.queryCount - connectQueries;
    await floorDriver.close();

    const appDb = openAppDb({ kind: 'sqlite', file: config.dbFile });
    await migrate(appDb);
    const database = await appDb.db
      .insertInto('metabase_database')
      .values({ name: 'bench', engine, details: JSON.stringify(warehouse.details) })
      .returning('id')
      .executeTakeFirstOrThrow();
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
    const run = async (): Promise<{ ms: number; queries: number }> => {
      const start = performance.now();
      const trigger = { source: 'admin', at: new Date().toISOString() } as const;
      const queued = await enqueue(appDb, { databaseId: database.id, plan, priority: 10, trigger });
      if (queued.kind !== 'enqueued') throw new Error('bench job was not enqueued');
      workers.wake();
      const outcome = await waitForJob(appDb, queued.jobId, { timeoutMs: 3_600_000, events: workers.events });
      const ms = performance.now() - start;
      if (outcome.kind !== 'finished' || outcome.status !== 'succeeded') throw new Error('bench sync failed');
      return { ms, queries: drivers.at(-1)?.queryCount ?? -1 };
    };
    const cold = await run();
    const warm = await run();
    await workers.stop();
    await appDb.close();
    return { engine, tables, floorMs, floorQueries, coldMs: cold.ms, coldQueries: cold.queries, warmMs: warm.ms, warmQueries: warm.queries };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await warehouse.drop();
  }
}

const args = process.argv.slice(2);
const sizes = args.map(Number).filter((n) => Number.isInteger(n) && n > 0);
const chosen = args.filter((a): a is BenchEngine => a === 'postgres' || a === 'mysql');
const engines: BenchEngine[] = chosen.length ? chosen : ['postgres', 'mysql'];
let server: PgServer | undefined;
let mariadb: MariaDbServer | undefined;
if (engines.includes('postgres') && !process.env.TEST_PG_URL) {
  server = await startPostgres();
  process.env.TEST_PG_URL = server.url;
}
if (engines.includes('mysql') && !process.env.TEST_MYSQL_URL) {
  mariadb = await startMariaDb();
  process.env.TEST_MYSQL_URL = mariadb.url;
}
try {
  const rows: Measurement[] = [];
  for (const engine of engines) {
    for (const tables of sizes.length ? sizes : [100, 1000]) rows.push(await measure(engine, tables));
  }
  const names: Record<BenchEngine, string> = { postgres: 'PostgreSQL', mysql: 'MariaDB' };
  console.log(`${COLUMNS + 1}-22 columns per table, one PK, one index and one FK per table`);
  console.log('| warehouse | tables | warehouse queries (cold sync) | (no-change sync) | floor (4 listings) | cold sync | ratio to floor | no-change sync | ratio to floor |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const f = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    console.log(`| ${names[r.engine]} | ${r.tables} | ${r.coldQueries} | ${r.warmQueries} | ${f(r.floorMs)} (${r.floorQueries} queries) | ${f(r.coldMs)} | ${(r.coldMs / r.floorMs).toFixed(2)}× | ${f(r.warmMs)} | ${(r.warmMs / r.floorMs).toFixed(2)}× |`);
  }
} finally {
  server?.stop();
  mariadb?.stop();
}
