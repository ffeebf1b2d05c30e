// MB_DISABLE_SCHEDULER (Metabase's own setting): a service started with it fires no schedule; the same database and
// schedule fire at start-up without it (the scheduler ticks at once).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../src/config.ts';
import { openAppDb } from '../../src/db/connect.ts';
import { migrate } from '../../src/db/migrate.ts';
import { silentLogger } from '../../src/logger.ts';
import { startService } from '../../src/main.ts';
import { eventually, sleep } from './app-dbs.ts';

test('MB_DISABLE_SCHEDULER=true: no scheduled sync fires; without it the same schedule fires', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'catalog-sync-no-scheduler-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'app.db');
  const seed = openAppDb({ kind: 'sqlite', file });
  await migrate(seed);
  await seed.db
    .insertInto('metabase_database')
    .values({
      name: 'Every second',
      engine: 'sqlite',
      details: JSON.stringify({ db: join(dir, 'missing.sqlite') }),
      metadata_sync_schedule: '* * * * * ? *',
      cache_field_values_schedule: '* * * * * ? *',
    })
    .execute();
  await seed.close();
  const env = { MB_DB_FILE: file, MB_LOAD_SAMPLE_CONTENT: 'false' };
  const firesAndJobs = async (service: Awaited<ReturnType<typeof startService>>) => {
    const database = await service.appDb.db
      .selectFrom('metabase_database')
      .select(['metadata_sync_fired_at', 'field_values_fired_at'])
      .executeTakeFirstOrThrow();
    const jobs = await service.appDb.db.selectFrom('sync_job').select('triggers').execute();
    return { database, jobs };
  };

  const quiet = await startService(loadConfig({ ...env, MB_DISABLE_SCHEDULER: 'true' }), silentLogger());
  try {
    await sleep(1500);
    const { database, jobs } = await firesAndJobs(quiet);
    assert.deepEqual(database, { metadata_sync_fired_at: null, field_values_fired_at: null });
    assert.deepEqual(jobs, []);
  } finally {
    await quiet.stop();
  }

  const scheduling = await startService(loadConfig(env), silentLogger());
  try {
    const jobs = await eventually(async () => {
      const { jobs } = await firesAndJobs(scheduling);
      return jobs.length > 0 ? jobs : undefined;
    }, 5000, 'a scheduled job');
    assert.match(jobs[0].triggers, /"source":"schedule"/);
  } finally {
    await scheduling.stop();
  }
});
