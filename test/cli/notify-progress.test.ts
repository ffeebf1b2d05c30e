// `catalog-sync notify --wait`, `jobs` and `tasks` against a real service process (`catalog-sync serve`, spawned) on
// the suite's application database: progress lines (in place on a terminal, plain otherwise), exit statuses 0, 2 and
// 3, and the tables of jobs and task history. A TCP gate holds the warehouse's field listing to keep a job running.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { progressLine } from '../../src/cli/job-follow.ts';
import { runCli } from '../../src/cli/program.ts';
import { collector } from './collector.ts';
import {
  createWarehouse,
  lastFirst,
  register,
  startCatalogGate,
  startInstance,
  through,
  until,
} from '../multi-instance/support.ts';
import { createTestAppDb } from '../support/app-db.ts';

/** The field listing's statement (postgres-introspector.ts), held by the gate. */
const FIELDS_MARKER = 'a.attnum > 0 AND NOT a.attisdropped';

test('progress lines, exit statuses, jobs and tasks against a service process', async (t) => {
  const cleanup = lastFirst(t);
  const dir = mkdtempSync(join(tmpdir(), 'catalog-sync-cli-progress-'));
  cleanup.after(() => rmSync(dir, { recursive: true, force: true }));
  const testDb = await createTestAppDb(dir);
  cleanup.after(() => testDb.drop());
  const warehouse = await createWarehouse(cleanup, 40, 3);
  const gate = await startCatalogGate(cleanup, warehouse, FIELDS_MARKER);
  const instance = await startInstance(cleanup, 'cli', { ...testDb.env });
  const env = { MB_API_KEY: 'mi-notify-key', MB_ADMIN_API_KEY: 'mi-admin-key' };
  const id = String(await register(instance, 'Gated', through(gate, warehouse), { fullSync: false }));
  const cli = (args: string[], tty = false) => {
    const io = collector(env, tty);
    return runCli([...args, '--url', instance.url], io).then((status) => ({ status, ...io }));
  };

  // Plain lines when stderr is not a terminal; the answer on stdout once the job succeeded.
  const done = await cli(['notify', id, '--scan', 'schema', '--wait']);
  assert.equal(done.status, 0, done.stderr);
  const answer = JSON.parse(done.stdout) as { success: boolean; job_id: number };
  assert.equal(answer.success, true);
  const lines = done.stderr.trimEnd().split('\n');
  assert.equal(lines.at(-1), `job ${answer.job_id} succeeded`);
  assert.ok(!done.stderr.includes('\r'), 'no carriage returns off a terminal');
  assert.equal(new Set(lines).size, lines.length, 'a line is printed only when it changes');

  // A job held in sync-fields: the terminal line is rewritten in place, and the wait ends with status 3.
  gate.set('hang');
  const held = await cli(['notify', id, '--scan', 'schema', '--wait', '--timeout', '4'], true);
  assert.equal(held.status, 3, held.stderr);
  assert.equal(held.stdout, '');
  const frames = held.stderr.split('\r\x1b[2K').filter((f) => f !== '');
  const jobId = Number(/^job (\d+) /.exec(frames[0])?.[1]);
  assert.ok(frames.includes(`job ${jobId} running · metadata · sync-fields`), JSON.stringify(frames));
  assert.match(frames.at(-1)!, new RegExp(`^timed out after [0-9.]+ s waiting for job ${jobId}; the job goes on\\n$`));
  gate.set('pass');
  await until('the held job to end', 30, async () => {
    const response = await fetch(`${instance.url}/api/notify/job/${jobId}`, { headers: { 'X-METABASE-APIKEY': env.MB_API_KEY } });
    return ((await response.json()) as { status: string }).status === 'succeeded' ? true : undefined;
  });

  // Bad input: 2.
  assert.equal((await cli(['notify', 'orders'])).status, 2);
  assert.equal((await cli(['notify', '999', '--wait'])).status, 2);
  assert.equal((await cli(['notify', id, '--scan', 'everything'])).status, 2);

  // jobs and tasks print tables.
  const jobs = await cli(['jobs', '--db-id', id]);
  assert.equal(jobs.status, 0, jobs.stderr);
  const jobLines = jobs.stdout.trimEnd().split('\n');
  assert.match(jobLines[0], /^id\s+database\s+state\s+enqueued_at\s+duration\s+triggers\s+error$/);
  assert.equal(jobLines.length, 4, jobs.stdout);
  assert.match(jobLines[1], new RegExp(`^${jobId}\\s+${id} Gated\\s+succeeded\\s`));
  const tasks = await cli(['tasks', '--db-id', id, '--limit', '3']);
  assert.equal(tasks.status, 0, tasks.stderr);
  const taskLines = tasks.stdout.trimEnd().split('\n');
  assert.match(taskLines[0], /^id\s+task\s+db_id\s+job_id\s+started_at\s+duration\s+status$/);
  assert.equal(taskLines.length, 5);
  assert.match(taskLines[4], /^3 of \d+ rows$/);
  const noKey = collector({ MB_API_KEY: env.MB_API_KEY });
  assert.equal(await runCli(['jobs', '--url', instance.url], noKey), 1);
  assert.match(noKey.stderr, /MB_ADMIN_API_KEY is not set/);
});

test('the progress line names the phase, the step and tables done of total', () => {
  const progress = { phase: 'metadata', step: 'sync-fields', tables_done: 120, tables_total: 500 };
  assert.equal(progressLine({ id: 7, status: 'running', progress }), 'job 7 running · metadata · sync-fields · 120/500 tables');
  assert.equal(
    progressLine({ id: 7, status: 'running', progress: { ...progress, tables_done: null, tables_total: null } }),
    'job 7 running · metadata · sync-fields',
  );
  assert.equal(progressLine({ id: 7, status: 'queued', progress: null }), 'job 7 queued');
});
