// Network faults between a real service process and a PostgreSQL warehouse (a TCP proxy in between): the warehouse
// refuses connections, hangs mid-result, drops the connection mid-listing. Each time the job fails with its reason
// recorded, no table is retired by the failed listing (a table dropped from the warehouse just before stays active),
// nothing is half-written, another database keeps syncing meanwhile, and the next job after the fault catches up.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openAppDb } from '../../src/db/connect.ts';
import {
  createWarehouse,
  lastFirst,
  notify,
  register,
  startInstance,
  tableName,
  unfinishedJobs,
  until,
} from '../multi-instance/support.ts';
import { startFaultProxy, type Fault } from '../support/fault-proxy.ts';
import { execSql } from '../support/postgres.ts';
import { catalogTables, catalogViolations, jobEnd, warehouseTables } from './support.ts';

const TABLES = 150;
const COLUMNS = 8;

const FAULTS: readonly { readonly name: string; readonly fault: Fault; readonly reason: RegExp }[] = [
  { name: 'refuses connections', fault: { kind: 'refuse' }, reason: /connect|refused|closed|terminated|lost/i },
  { name: 'hangs mid-result', fault: { kind: 'hang', afterBytes: 6_000 }, reason: /time|timed out|deadline/i },
  {
    name: 'drops the connection mid-listing',
    fault: { kind: 'drop', afterBytes: 6_000 },
    reason: /connect|lost|terminated|closed|ended/i,
  },
];

test('warehouse faults: the job fails with its reason, nothing retired or half-written, others sync', async (t) => {
  const cleanup = lastFirst(t);
  const dir = mkdtempSync(join(tmpdir(), 'catalog-sync-faults-'));
  cleanup.after(() => rmSync(dir, { recursive: true, force: true }));
  const [faulty, healthy] = await Promise.all([
    createWarehouse(cleanup, TABLES, COLUMNS),
    createWarehouse(cleanup, 4, 3),
  ]);
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
  const faultyId = await register(instance, 'Faulty', behindProxy, { fullSync: false });
  const healthyId = await register(instance, 'Healthy', healthy.details, { fullSync: false });
  await until('the initial syncs', 60, async () => ((await unfinishedJobs(appDb)) === 0 ? true : undefined));
  assert.deepEqual(await catalogViolations(appDb, faultyId, await warehouseTables(faulty.url), true), []);

  let dropped = TABLES;
  for (const { name, fault, reason } of FAULTS) {
    // A table leaves the warehouse: a listing that succeeded would retire it, a failed one must not.
    dropped -= 1;
    const gone = tableName(dropped);
    await execSql(faulty.url, `DROP TABLE ${gone}`);
    const before = await warehouseTables(faulty.url);
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

    const tables = await catalogTables(appDb, faultyId);
    assert.equal(tables.filter((table) => table.active).length, activeBefore, `${name}: no table retired`);
    assert.ok(tables.find((table) => table.name === gone)?.active, `${name}: ${gone} stays active`);
    before.set(gone, COLUMNS);
    assert.deepEqual(await catalogViolations(appDb, faultyId, before, false), [], `${name}: consistent after it`);

    proxy.set({ kind: 'pass' });
    const recovery = await jobEnd(instance, await notify(instance, faultyId, { scan: 'schema' }), 30);
    assert.equal(recovery.status, 'succeeded', `${name}: the next job succeeds (${recovery.error})`);
    const after = await warehouseTables(faulty.url);
    assert.deepEqual(await catalogViolations(appDb, faultyId, after, true), [], `${name}: caught up after the fault`);
    t.diagnostic(`${name}: failed with "${failed.error}"; ${gone} retired only by the next good listing`);
  }
  assert.equal(await instance.stop(), 0);
});
