// Durable jobs on the SQLite application database (sync-engine.md 8.9): kill -9 of the one process while one job
// runs and others wait; after a restart on the same file the queued jobs run, and the job that was running is handed
// on by the sweeper once its lease expired, into the follow-up a notification had queued during the run.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import SQLite from 'better-sqlite3';
import {
  createWarehouse,
  lastFirst,
  notify,
  register,
  startCatalogGate,
  startInstance,
  through,
  until,
} from './support.ts';

const TTL_SECONDS = 4;

interface Job {
  readonly id: number;
  readonly database_id: number;
  readonly state: string;
  readonly started_at: string | null;
  readonly retried_as: number | null;
  readonly attempt: number;
  readonly trigger_count: number;
  readonly error: string | null;
}

test('SQLite: jobs queued before a kill -9 run after the restart; the running one is handed on', async (t) => {
  const cleanup = lastFirst(t);
  const dir = mkdtempSync(join(tmpdir(), 'catalog-sync-durable-'));
  cleanup.after(() => rmSync(dir, { recursive: true, force: true }));
  const [big, small1, small2] = await Promise.all([
    createWarehouse(cleanup, 200, 8),
    createWarehouse(cleanup, 5, 3),
    createWarehouse(cleanup, 5, 3),
  ]);
  const gate = await startCatalogGate(cleanup, big, 'pg_catalog.pg_class');
  const env = {
    MB_DB_FILE: join(dir, 'app.db'),
    MB_SYNC_WORKERS: '1',
    MB_SYNC_LEASE_TTL_SECONDS: String(TTL_SECONDS),
  };
  const reader = () => {
    const db = new SQLite(env.MB_DB_FILE, { readonly: true });
    try {
      return db.prepare('SELECT * FROM sync_job ORDER BY id').all() as Job[];
    } finally {
      db.close();
    }
  };

  const first = await startInstance(cleanup, 'first', env);
  // The big warehouse stops answering its catalog listing: its sync runs until the kill.
  gate.set('hang');
  const bigId = await register(first, 'Big', through(gate, big), { fullSync: false });
  await until('the big sync to run', 10, async () => (reader().some((j) => j.state === 'running') ? true : undefined));
  // The one worker is busy: these wait in the queue, as does the follow-up of a notification during the run.
  const smallIds = [await register(first, 'Small 1', small1.details), await register(first, 'Small 2', small2.details)];
  const followUp = await notify(first, bigId, { scan: 'schema' });
  const beforeKill = reader();
  const running = beforeKill.find((j) => j.state === 'running');
  assert.equal(running?.database_id, bigId);
  const queued = beforeKill.filter((j) => j.state === 'queued');
  assert.deepEqual(queued.map((j) => j.database_id).sort(), [bigId, ...smallIds].sort());
  assert.equal(queued.find((j) => j.database_id === bigId)?.id, followUp);
  await first.kill9();

  gate.set('pass');
  const restartedAt = new Date().toISOString();
  const second = await startInstance(cleanup, 'second', env);
  const ended = (job: Job | undefined) => job !== undefined && !['queued', 'running'].includes(job.state);
  const jobs = await until('every job to end', 40, async () => {
    const all = reader();
    const ids = [running.id, ...queued.map((j) => j.id)];
    return ids.every((id) => ended(all.find((j) => j.id === id))) ? all : undefined;
  });
  const byId = (id: number) => jobs.find((j) => j.id === id) as Job;

  for (const job of queued) {
    assert.equal(byId(job.id).state, 'succeeded', `queued job ${job.id}: ${byId(job.id).error}`);
    assert.ok((byId(job.id).started_at ?? '') >= restartedAt, `queued job ${job.id} ran after the restart`);
  }
  const handedOn = byId(running.id);
  assert.equal(handedOn.state, 'interrupted');
  assert.equal(handedOn.error, 'lease expired');
  assert.equal(handedOn.retried_as, followUp, 'the retry joined the queued follow-up');
  assert.equal(byId(followUp).attempt, 2);
  assert.equal(byId(followUp).trigger_count, 2);
  assert.equal(jobs.length, 4, 'no other job was created');

  const catalog = new SQLite(env.MB_DB_FILE, { readonly: true });
  try {
    const counts = catalog
      .prepare(
        `SELECT t.name, count(f.id) AS fields FROM metabase_table t LEFT JOIN metabase_field f ON f.table_id = t.id
         WHERE t.db_id = ? GROUP BY t.id`,
      )
      .all(bigId) as { name: string; fields: number }[];
    assert.equal(counts.length, 200);
    assert.deepEqual(counts.filter((c) => c.fields !== 8), []);
  } finally {
    catalog.close();
  }
  assert.equal(await second.stop(), 0);
});
