// Network faults between a real service process and a PostgreSQL or MariaDB warehouse (a TCP proxy in between): it
// refuses connections, hangs mid-result, drops the connection mid-listing. Each time the job fails with its reason
// recorded, no table is retired by a failed listing (a table dropped from the warehouse just before stays active unless
// the listing itself ended before the fault), nothing is half-written, another database keeps syncing meanwhile, and
// the next job after the fault catches up.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import mysql from 'mysql2/promise';
import { openAppDb } from '../../src/db/connect.ts';
import {
  createWarehouse,
  lastFirst,
  notify,
  register,
  startInstance,
  type Cleanup,
  tableName,
  unfinishedJobs,
  until,
} from '../multi-instance/support.ts';
import { startFaultProxy, type Fault } from '../support/fault-proxy.ts';
import { createMysqlTestDatabase, dropMysqlDatabase, execMysql } from '../support/mariadb.ts';
import { execSql } from '../support/postgres.ts';
import { catalogTables, catalogViolations, jobEnd, registerWarehouse, warehouseTables } from './support.ts';

const TABLES = 150;
const COLUMNS = 8;

/** The faults; `afterBytes` of answers pass first (set per engine so that the cut falls inside the table listing). */
interface FaultCase {
  readonly name: string;
  readonly fault: Fault;
  readonly reason: RegExp;
}

function faults(afterBytes: number): readonly FaultCase[] {
  return [
    { name: 'refuses connections', fault: { kind: 'refuse' }, reason: /connect|refused|closed|terminated|lost/i },
    { name: 'hangs mid-result', fault: { kind: 'hang', afterBytes }, reason: /time|timed out|deadline/i },
    {
      name: 'drops the connection mid-listing',
      fault: { kind: 'drop', afterBytes },
      reason: /connect|lost|terminated|closed|ended|reset/i,
    },
  ];
}

/** A warehouse of TABLES tables t0000… with COLUMNS columns each on the engine's test server. */
interface FaultWarehouse {
  readonly engine: 'postgres' | 'mysql';
  readonly details: { host: string; port: number; dbname: string; user: string; password: string; ssl: boolean };
  exec(statement: string): Promise<void>;
  tables(): Promise<Map<string, number>>;
}

async function postgresWarehouse(cleanup: Cleanup): Promise<FaultWarehouse> {
  const warehouse = await createWarehouse(cleanup, TABLES, COLUMNS);
  return {
    engine: 'postgres',
    details: warehouse.details,
    exec: (statement) => execSql(warehouse.url, statement),
    tables: () => warehouseTables(warehouse.url),
  };
}

async function mysqlWarehouse(cleanup: Cleanup): Promise<FaultWarehouse> {
  const { url, name, details } = await createMysqlTestDatabase('fault_wh');
  cleanup.after(() => dropMysqlDatabase(name));
  const columns = Array.from({ length: COLUMNS }, (_, c) => `c${c + 1} ${c === 0 ? 'int PRIMARY KEY' : 'text'}`);
  const ddl = Array.from({ length: TABLES }, (_, i) => `CREATE TABLE ${tableName(i)} (${columns.join(', ')})`);
  await execMysql(url, ...ddl);
  return {
    engine: 'mysql',
    details,
    exec: (statement) => execMysql(url, statement),
    async tables() {
      const connection = await mysql.createConnection(url);
      try {
        const [rows] = await connection.query(
          'SELECT table_name AS name, count(*) AS columns FROM information_schema.columns ' +
            'WHERE table_schema = DATABASE() GROUP BY table_name',
        );
        return new Map((rows as { name: string; columns: number }[]).map((row) => [row.name, Number(row.columns)]));
      } finally {
        await connection.end();
      }
    },
  };
}

for (const create of [postgresWarehouse, mysqlWarehouse]) {
  const engine = create === postgresWarehouse ? 'PostgreSQL' : 'MariaDB';
  test(`${engine} warehouse faults: the job fails with its reason, nothing retired or half-written`, async (t) => {
    await faultRun(t, create);
  });
}

async function faultRun(t: TestContext, create: (cleanup: Cleanup) => Promise<FaultWarehouse>): Promise<void> {
  const cleanup = lastFirst(t);
  const dir = mkdtempSync(join(tmpdir(), 'catalog-sync-faults-'));
  cleanup.after(() => rmSync(dir, { recursive: true, force: true }));
  const [faulty, healthy] = await Promise.all([create(cleanup), createWarehouse(cleanup, 4, 3)]);
  const proxy = await startFaultProxy(faulty.details);
  cleanup.after(() => proxy.close());
  const file = join(dir, 'app.db');
  const instance = await startInstance(cleanup, 'faults', {
    MB_DB_FILE: file,
    MB_SYNC_CATALOG_QUERY_TIMEOUT_SECONDS: '2',
    MB_SYNC_CONNECT_TIMEOUT_SECONDS: '2',
  });
  const appDb = openAppDb({ kind: 'sqlite', file });
  cleanup.after(() => appDb.close());

  const behindProxy = { ...faulty.details, host: proxy.host, port: proxy.port };
  const faultyId = await registerWarehouse(instance, 'Faulty', faulty.engine, behindProxy);
  const healthyId = await register(instance, 'Healthy', healthy.details, { fullSync: false });
  await until('the initial syncs', 60, async () => ((await unfinishedJobs(appDb)) === 0 ? true : undefined));
  assert.deepEqual(await catalogViolations(appDb, faultyId, await faulty.tables(), true), []);

  let dropped = TABLES;
  // MariaDB's text protocol answers in fewer bytes: 300 fall inside its listings, where 6,000 pass them.
  for (const { name, fault, reason } of faults(faulty.engine === 'postgres' ? 6_000 : 300)) {
    // A table leaves the warehouse: a listing that succeeded would retire it, a failed one must not.
    dropped -= 1;
    const gone = tableName(dropped);
    await faulty.exec(`DROP TABLE ${gone}`);
    const before = await faulty.tables();
    const activeBefore = (await catalogTables(appDb, faultyId)).filter((table) => table.active).length;

    proxy.set(fault);
    const failing = await notify(instance, faultyId, { scan: 'schema' });
    const other = await notify(instance, healthyId, { scan: 'schema' });
    const [failed, succeeded] = await Promise.all([jobEnd(instance, failing, 30), jobEnd(instance, other, 30)]);
    assert.equal(failed.status, 'failed', `${name}: the job fails`);
    assert.match(failed.error ?? '', reason, `${name}: the reason is recorded (${failed.error})`);
    assert.doesNotMatch(failed.error ?? '', new RegExp(faulty.details.password), `${name}: no password in the error`);
    assert.equal(succeeded.status, 'succeeded', `${name}: the other database keeps syncing`);
    if (fault.kind !== 'refuse') assert.ok(proxy.fired, `${name}: the fault came mid-result`);

    // The fault may come after the table listing ended well: its retirement of the dropped table then stands.
    const listed = failed.steps.some((step) => step.task === 'sync-tables' && step.status === 'success');
    const tables = await catalogTables(appDb, faultyId);
    const active = tables.filter((table) => table.active).length;
    assert.equal(active, listed ? activeBefore - 1 : activeBefore, `${name}: no table retired by a failed listing`);
    assert.equal(tables.find((table) => table.name === gone)?.active, !listed, `${name}: ${gone} retired iff listed`);
    if (!listed) before.set(gone, COLUMNS);
    assert.deepEqual(await catalogViolations(appDb, faultyId, before, false), [], `${name}: consistent after it`);

    proxy.set({ kind: 'pass' });
    const recovery = await jobEnd(instance, await notify(instance, faultyId, { scan: 'schema' }), 30);
    assert.equal(recovery.status, 'succeeded', `${name}: the next job succeeds (${recovery.error})`);
    const after = await faulty.tables();
    assert.deepEqual(await catalogViolations(appDb, faultyId, after, true), [], `${name}: caught up after the fault`);
    const retiredBy = listed ? 'the listing, which ended before the fault' : 'the next good listing only';
    t.diagnostic(`${name}: failed with "${failed.error}"; ${gone} retired by ${retiredBy}`);
  }
  assert.equal(await instance.stop(), 0);
}
