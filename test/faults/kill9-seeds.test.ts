// kill -9 of the service at a random point of a sync, 20 fixed seeds (FAULT_KILL_SEEDS=n runs n), each followed by a
// restart on the same SQLite application database and a consistency check of the catalog against the PostgreSQL
// warehouse of a few hundred tables: right after the kill no half-written table, no table retired that the warehouse
// still has and no duplicate row; after the restart every notify that got a 200 before the kill leads to a job that
// succeeds, and the catalog equals the warehouse.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import fc from 'fast-check';
import { openAppDb } from '../../src/db/connect.ts';
import {
  createWarehouse,
  lastFirst,
  notify,
  register,
  startCatalogGate,
  startInstance,
  tableName,
  through,
  unfinishedJobs,
  until,
  type Instance,
} from '../multi-instance/support.ts';
import { execSql } from '../support/postgres.ts';
import { catalogViolations, jobEnd, jobView, warehouseTables } from './support.ts';

const TABLES = 300;
const COLUMNS = 6;
const SEEDS = Array.from({ length: Number(process.env.FAULT_KILL_SEEDS ?? 20) }, (_, i) => 9_001 + i);
/** The kill comes this fraction (‰) of a measured sync's duration after the notify was accepted, at the most. */
const WINDOW_PERMILLE = 900;

/** The seed's choices: the kill point, the table dropped, whether a follow-up notify is queued; fixed per seed. */
function choices(seed: number): { killAtPermille: number; drop: number; followUp: boolean } {
  // Without fast-check's bias towards the bounds, so that the kill points spread over the window.
  const arbitrary = fc.noBias(
    fc.record({
      killAtPermille: fc.integer({ min: 0, max: WINDOW_PERMILLE }),
      drop: fc.integer({ min: 1, max: TABLES - 1 }),
      followUp: fc.boolean(),
    }),
  );
  return fc.sample(arbitrary, { seed, numRuns: 1 })[0]!;
}

test(`kill -9 at random points of a sync (${SEEDS.length} seeds): consistent catalog, no lost notify`, async (t) => {
  const cleanup = lastFirst(t);
  const dir = mkdtempSync(join(tmpdir(), 'catalog-sync-kill9-'));
  cleanup.after(() => rmSync(dir, { recursive: true, force: true }));
  const warehouse = await createWarehouse(cleanup, TABLES, COLUMNS);
  // Every cursor fetch of the catalog listings waits a little, so that a sync spans the kill window.
  const gate = await startCatalogGate(cleanup, warehouse, 'pg_catalog.pg_class');
  gate.set({ delayMs: 25 });
  const file = join(dir, 'app.db');
  const env = { MB_DB_FILE: file, MB_SYNC_LEASE_TTL_SECONDS: '1', LOG_LEVEL: 'warn' };
  const appDb = openAppDb({ kind: 'sqlite', file });
  cleanup.after(() => appDb.close());
  let instance: Instance = await startInstance(cleanup, 'kill9-0', env);
  const databaseId = await register(instance, 'Killed', through(gate, warehouse), { fullSync: false });
  await until('the initial sync', 60, async () => ((await unfinishedJobs(appDb)) === 0 ? true : undefined));
  // One sync of a changed warehouse, timed, so that the kill points fall inside syncs on fast and slow machines alike.
  await execSql(warehouse.url, 'CREATE TABLE timed (c1 text)');
  const timedStart = Date.now();
  await jobEnd(instance, await notify(instance, databaseId, { scan: 'schema' }), 60);
  const syncMs = Date.now() - timedStart;
  t.diagnostic(`a sync of the ${TABLES}-table warehouse takes about ${syncMs} ms here`);

  const outcomes: string[] = [];
  let midSync = 0;
  for (const seed of SEEDS) {
    const { killAtPermille, drop, followUp } = choices(seed);
    const killAt = Math.round((killAtPermille / 1000) * syncMs);
    // The warehouse changes: one table more, one existing table less.
    const columns = Array.from({ length: COLUMNS }, (_, c) => `c${c + 1} text`);
    await execSql(warehouse.url, `CREATE TABLE s${seed} (${columns.join(', ')})`);
    await execSql(warehouse.url, `DROP TABLE IF EXISTS ${tableName(drop)}`);
    const accepted = [await notify(instance, databaseId, { scan: 'schema' })];
    // Half the seeds queue a follow-up while the first job runs.
    if (followUp) {
      await sleep(killAt / 2);
      accepted.push(await notify(instance, databaseId, { scan: 'schema', table_name: tableName(0) }));
      await sleep(killAt / 2);
    } else {
      await sleep(killAt);
    }
    const states = await Promise.all(accepted.map((id) => jobView(instance, id).then((job) => job.status)));
    await instance.kill9();
    const present = await warehouseTables(warehouse.url);
    const atKill = await catalogViolations(appDb, databaseId, present, false);
    if (states.includes('running')) midSync += 1;

    const restartedAt = Date.now();
    instance = await startInstance(cleanup, `kill9-${seed}`, env);
    const startMs = Date.now() - restartedAt;
    const ends = await Promise.all(accepted.map((id) => jobEnd(instance, id, 60)));
    const recoveryMs = Date.now() - restartedAt - startMs;
    const afterRestart = await catalogViolations(appDb, databaseId, present, true);
    const statuses = ends.map((end) => end.status);
    const line =
      `seed ${seed}: kill at ${killAt} ms, jobs ${states.join('/')} → ${statuses.join('/')}, ` +
      `violations at kill ${atKill.length}, after restart ${afterRestart.length} ` +
      `(restart ${startMs} ms, jobs done ${recoveryMs} ms later)`;
    t.diagnostic(line);
    outcomes.push(line);
    assert.deepEqual(atKill, [], `seed ${seed}: consistent right after the kill`);
    const errors = ends.map((end) => end.error).join('; ');
    assert.deepEqual(statuses, accepted.map(() => 'succeeded'), `seed ${seed}: no lost notify (${errors})`);
    assert.deepEqual(afterRestart, [], `seed ${seed}: the catalog equals the warehouse after the restart`);
  }
  t.diagnostic(`kill -9 seeds: ${SEEDS.length}, killed mid-sync: ${midSync}, all consistent, no notify lost`);
  // Most kills must hit a running sync, or the test would prove little.
  assert.ok(midSync >= SEEDS.length / 2, `${midSync} of ${SEEDS.length} kills came mid-sync`);
  assert.equal(await instance.stop(), 0);
});
