// The PostgreSQL application database crashes and restarts while a sync runs (a server of its own, stopped with
// `pg_ctl -m immediate`): the service process survives and answers /api/health again, the running job is retried or
// fails cleanly with its reason, the notify queued behind it (answered 200 before the crash) leads to a sync that
// succeeds after the restart, and the catalog ends consistent with the warehouse.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { openAppDb } from '../../src/db/connect.ts';
import {
  createWarehouse,
  lastFirst,
  notify,
  register,
  startCatalogGate,
  startInstance,
  through,
  unfinishedJobs,
  until,
} from '../multi-instance/support.ts';
import { execSql, startPostgres } from '../support/postgres.ts';
import { catalogViolations, jobEnd, jobView, pgServerControl, warehouseTables } from './support.ts';

test('the PostgreSQL app database restarted mid-job: the service survives, no queued notify is lost', async (t) => {
  const cleanup = lastFirst(t);
  const server = await startPostgres();
  cleanup.after(() => server.stop());
  // The test servers run with synchronous_commit off, which loses the last commits in a crash; a real one does not.
  await execSql(server.url, 'CREATE DATABASE app', 'ALTER DATABASE app SET synchronous_commit = on');
  const appUrl = server.url.replace(/\/postgres$/, '/app');
  const control = await pgServerControl(server.url);
  const warehouse = await createWarehouse(cleanup, 300, 6);
  const gate = await startCatalogGate(cleanup, warehouse, 'pg_catalog.pg_class');
  const instance = await startInstance(cleanup, 'app-db-restart', {
    MB_DB_TYPE: 'postgres',
    MB_DB_CONNECTION_URI: appUrl,
    MB_SYNC_LEASE_TTL_SECONDS: '2',
  });
  const appDb = openAppDb({ kind: 'postgres', connectionUri: appUrl, max: 2 });
  cleanup.after(() => appDb.close());
  const databaseId = await register(instance, 'Restarted', through(gate, warehouse), { fullSync: false });
  await until('the initial sync', 60, async () => ((await unfinishedJobs(appDb)) === 0 ? true : undefined));

  // A sync that lasts a few seconds, and a notify queued behind it.
  await execSql(warehouse.url, 'CREATE TABLE added_before_crash (id integer PRIMARY KEY, v text)');
  gate.set({ delayMs: 60 });
  const running = await notify(instance, databaseId, { scan: 'schema' });
  await until('the job to run', 20, async () =>
    (await jobView(instance, running)).status === 'running' ? true : undefined);
  const queued = await notify(instance, databaseId, { scan: 'schema' });
  assert.equal((await jobView(instance, queued)).status, 'queued');

  control.crash();
  // While the application database is down the service answers, and never with a crash.
  await sleep(1_500);
  const downHealth = (await fetch(`${instance.url}/api/health`, { signal: AbortSignal.timeout(10_000) })).status;
  t.diagnostic(`/api/health while the application database is down: ${downHealth}`);
  control.start();
  gate.set('pass');

  await until('/api/health to answer 200 again', 30, async () =>
    (await fetch(`${instance.url}/api/health`).then((r) => r.status, () => 0)) === 200 ? true : undefined);
  const first = await jobEnd(instance, running, 60);
  const second = await jobEnd(instance, queued, 60);
  t.diagnostic(`the running job: ${first.status} ${first.error ?? ''}; the queued notify: ${second.status}`);
  const clean = first.status === 'succeeded' || (first.status === 'failed' && (first.error ?? '') !== '');
  assert.ok(clean, 'the running job is retried, or fails with a reason');
  assert.equal(second.status, 'succeeded', `the queued notify is not lost (${second.error})`);
  assert.deepEqual(await catalogViolations(appDb, databaseId, await warehouseTables(warehouse.url), true), []);
  // A notify after the restart works as before.
  const later = await notify(instance, databaseId, { scan: 'schema' });
  assert.equal((await jobEnd(instance, later, 30)).status, 'succeeded');
  assert.equal(await instance.stop(), 0, 'the process survived the restart and stops cleanly');
});
