// Metrics, probes and job log lines of a real service (startService in-process on a temporary application database,
// the sample warehouse): after a known sequence of requests and syncs the counters and histograms hold exactly the
// expected counts, and the exposition text parses with a Prometheus text-format parser.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import SQLite from 'better-sqlite3';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { startService, type Service } from '../../src/main.ts';
import { createTestAppDb, type TestAppDb } from '../support/app-db.ts';
import { freePort } from '../support/postgres.ts';
import { A, harness, K } from '../http/harness.ts';

interface Sample {
  readonly labels?: Record<string, string>;
  readonly value?: string;
  readonly count?: string;
  readonly buckets?: Record<string, string>;
}
interface Family {
  readonly name: string;
  readonly type: string;
  readonly metrics: readonly Sample[];
}
const parsePrometheus = createRequire(import.meta.url)('parse-prometheus-text-format') as (text: string) => Family[];

const NOTIFY_KEY = 'ops-notify-key';
const ADMIN_KEY = 'ops-admin-key';

/** The samples of one family whose labels include `labels`. */
function samples(families: readonly Family[], name: string, labels: Record<string, string> = {}): Sample[] {
  const family = families.find((f) => f.name === name);
  if (!family) return [];
  return family.metrics.filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
}

/**
 * A labelled histogram's `_count`, read from the text: the parser merges the samples of a labelled histogram into one
 * (it keeps labels only for counters, gauges and unlabelled histograms), so it only proves that the text parses.
 */
function histogramCount(text: string, name: string, labels: Record<string, string>): number {
  let total = 0;
  for (const line of text.split('\n')) {
    const match = new RegExp(`^${name}_count\\{(.*)\\} (\\S+)$`).exec(line);
    if (!match) continue;
    const found = Object.fromEntries([...match[1].matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) total += Number(match[2]);
  }
  return total;
}

function value(families: readonly Family[], name: string, labels: Record<string, string> = {}): number {
  return samples(families, name, labels).reduce((sum, m) => sum + Number(m.value ?? m.count ?? 0), 0);
}

describe('metrics, probes and job logs of a running service', () => {
  let dir: string;
  let appDb: TestAppDb;
  let service: Service;
  let metricsPort: number;
  const logs: string[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'catalog-sync-ops-'));
    appDb = await createTestAppDb(join(dir, 'app'));
    metricsPort = await freePort();
    const env = {
      ...appDb.env,
      MB_DB_FILE: join(dir, 'app', 'app.db'),
      ...(appDb.kind === 'postgres' ? appDb.env : {}),
      MB_LOAD_SAMPLE_CONTENT: 'true',
      MB_DISABLE_SCHEDULER: 'true',
      MB_JETTY_HOST: '127.0.0.1',
      MB_API_KEY: NOTIFY_KEY,
      MB_ADMIN_API_KEY: ADMIN_KEY,
      MB_PROMETHEUS_SERVER_PORT: String(metricsPort),
    };
    const sink = new Writable({
      write(chunk, _encoding, done) {
        logs.push(...String(chunk).split('\n').filter((l) => l !== ''));
        done();
      },
    });
    service = await startService(loadConfig(env), createLogger({ level: 'info', destination: sink }));
  });

  after(async () => {
    await service?.stop();
    await appDb?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  let text = '';
  const scrape = async (): Promise<Family[]> => {
    const response = await service.app.inject({ method: 'GET', url: '/api/metrics', headers: { 'X-API-KEY': ADMIN_KEY } });
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    text = response.body;
    return parsePrometheus(text);
  };

  /** Scrapes until `jobs` jobs have been summarized (the summary follows the recorded end asynchronously). */
  const scrapeAfterJobs = async (jobs: number): Promise<Family[]> => {
    for (let i = 0; i < 200; i++) {
      const families = await scrape();
      if (value(families, 'catalog_sync_jobs_finished_total') >= jobs) return families;
      await sleep(50);
    }
    throw new Error(`fewer than ${jobs} jobs finished`);
  };

  test('counters and histograms after a known sequence of notifies', async () => {
    await scrapeAfterJobs(1); // the sample database's initial full sync
    const notify = (url: string, body: unknown, key: string | null = NOTIFY_KEY) =>
      service.app.inject({
        method: 'POST',
        url,
        headers: key === null ? {} : { 'X-METABASE-APIKEY': key },
        payload: body as object,
      });
    const sampleFile = (
      await service.appDb.db.selectFrom('metabase_database').select('details').executeTakeFirstOrThrow()
    ).details;
    const warehouse = new SQLite(JSON.parse(sampleFile).db as string);
    warehouse.exec('ALTER TABLE orders ADD COLUMN coupon_code TEXT');
    warehouse.close();
    const changed = await notify('/api/notify/db/1', { table_name: 'orders', scan: 'schema', 'synchronous?': true });
    assert.equal(changed.statusCode, 200, changed.body);
    const unchanged = await notify('/api/notify/db/1', { table_name: 'orders', scan: 'schema', 'synchronous?': true });
    assert.equal(unchanged.statusCode, 200);
    assert.equal((await notify('/api/notify/db/999', {})).statusCode, 404);
    assert.equal((await notify('/api/notify/db/1', {}, null)).statusCode, 403);
    assert.equal((await service.app.inject({ method: 'GET', url: '/nowhere' })).statusCode, 404);

    const families = await scrapeAfterJobs(3);
    const route = '/api/notify/db/:id';
    assert.equal(value(families, 'catalog_sync_http_requests_total', { method: 'POST', route, status: '200' }), 2);
    assert.equal(value(families, 'catalog_sync_http_requests_total', { method: 'POST', route, status: '404' }), 1);
    assert.equal(value(families, 'catalog_sync_http_requests_total', { method: 'POST', route, status: '403' }), 1);
    assert.equal(value(families, 'catalog_sync_http_requests_total', { route: 'unmatched', status: '404' }), 1);
    // Scrapes count themselves only once answered: every earlier scrape is in this one's counter.
    assert.ok(value(families, 'catalog_sync_http_requests_total', { route: '/api/metrics', status: '200' }) >= 1);

    assert.equal(value(families, 'catalog_sync_jobs_finished_total', { state: 'succeeded' }), 3);
    assert.equal(value(families, 'catalog_sync_jobs_finished_total', { state: 'failed' }), 0);
    assert.equal(families.find((f) => f.name === 'catalog_sync_job_duration_seconds')?.type, 'HISTOGRAM');
    assert.equal(histogramCount(text, 'catalog_sync_job_duration_seconds', { state: 'succeeded' }), 3);
    assert.match(text, /^catalog_sync_job_duration_seconds_bucket\{le="\+Inf",state="succeeded"\} 3$/m);
    const phase = (name: string) =>
      histogramCount(text, 'catalog_sync_job_phase_duration_seconds', { phase: name, status: 'success' });
    assert.equal(phase('metadata'), 3);
    assert.equal(phase('analyze'), 1);
    assert.equal(phase('field-values'), 1);

    // Warehouse queries: exactly what the operation rows of the three jobs recorded.
    const db = appDb.open();
    try {
      const rows = await db.db.selectFrom('task_history').select('task_details').where('parent_id', 'is', null).execute();
      const recorded = rows.reduce((n, r) => n + (JSON.parse(r.task_details ?? '{}')['warehouse-queries'] as number), 0);
      assert.ok(recorded > 0);
      assert.equal(value(families, 'catalog_sync_warehouse_queries_total', { engine: 'sqlite' }), recorded);
    } finally {
      await db.close();
    }
    assert.equal(value(families, 'catalog_sync_warehouse_errors_total'), 0);
    assert.ok(value(families, 'catalog_sync_catalog_rows_written_total', { phase: 'metadata' }) >= 6);
    assert.equal(value(families, 'catalog_sync_lease_takeovers_total'), 0);
    assert.equal(value(families, 'catalog_sync_jobs'), 0);
    // Process defaults and event-loop lag.
    assert.ok(samples(families, 'process_cpu_user_seconds_total').length === 1);
    assert.ok(samples(families, 'nodejs_eventloop_lag_seconds').length === 1);
    if (appDb.kind === 'postgres') {
      assert.ok(value(families, 'catalog_sync_app_db_pool_connections', { state: 'max' }) === 15, 'MB_APPLICATION_DB_MAX_CONNECTION_POOL_SIZE');
    }

    // The separate listener serves the same registry without a key.
    const listener = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    assert.equal(listener.status, 200);
    const separate = parsePrometheus(await listener.text());
    assert.equal(value(separate, 'catalog_sync_jobs_finished_total', { state: 'succeeded' }), 3);
    assert.equal((await fetch(`http://127.0.0.1:${metricsPort}/api/metrics`)).status, 404);
  });

  test('job log lines carry job_id, database_id and phase; one summary line per job', async () => {
    await scrapeAfterJobs(3);
    const lines = logs.map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const raw of logs) assert.ok((raw.match(/"job_id":/g) ?? []).length <= 1, `one job_id key: ${raw}`);
    const steps = lines.filter((l) => typeof l.msg === 'string' && / (started|success|failed)$/.test(l.msg) && 'step' in l);
    assert.ok(steps.length > 10);
    for (const line of steps) {
      assert.equal(typeof line.job_id, 'number', JSON.stringify(line));
      assert.equal(line.database_id, 1);
      assert.ok(['metadata', 'analyze', 'field-values'].includes(String(line.phase)), JSON.stringify(line));
    }
    const started = lines.filter((l) => l.msg === 'job started');
    assert.ok(started.every((l) => typeof l.job_id === 'number' && l.database_id === 1));
    const summaries = lines.filter((l) => l.msg === 'job summary');
    assert.deepEqual(summaries.map((l) => l.job_id).sort(), [1, 2, 3]);
    const second = summaries.find((l) => l.job_id === 2)!.summary as Record<string, unknown>;
    assert.equal(second.state, 'succeeded');
    assert.deepEqual(second.fields, { added: 1, changed: 0, retired: 0 });
    assert.deepEqual(second.tables, { added: 0, changed: 0, retired: 0 });
    assert.ok((second.warehouse_queries as number) > 0);
    assert.equal(typeof second.duration_ms, 'number');
    const third = summaries.find((l) => l.job_id === 3)!.summary as Record<string, unknown>;
    assert.deepEqual(third.fields, { added: 0, changed: 0, retired: 0 });
  });

  test('the admin key guards /api/metrics', async () => {
    const response = await service.app.inject({ method: 'GET', url: '/api/metrics' });
    assert.equal(response.statusCode, 403);
  });
});

describe('probes and the job gauges', () => {
  test('/livez and /readyz answer 200 without a key; /readyz 503 before migrations and without the app database', async (t) => {
    const h = await harness(t);
    const live = await h.inject({ method: 'GET', url: '/livez' });
    assert.equal(live.statusCode, 200);
    assert.deepEqual(live.json(), { status: 'ok' });
    const ready = await h.inject({ method: 'GET', url: '/readyz' });
    assert.equal(ready.statusCode, 200);
    assert.deepEqual(ready.json(), { status: 'ok' });
    await h.appDb.close();
    const down = await h.inject({ method: 'GET', url: '/readyz' });
    assert.equal(down.statusCode, 503);
    assert.deepEqual(down.json(), { status: 'unavailable', reason: 'the application database does not answer' });
    assert.equal((await h.inject({ method: 'GET', url: '/livez' })).statusCode, 200);
  });

  test('/readyz is 503 until migrations ran', async (t) => {
    const h = await harness(t, { isReady: () => false });
    const response = await h.inject({ method: 'GET', url: '/readyz' });
    assert.equal(response.statusCode, 503);
    assert.deepEqual(response.json(), { status: 'unavailable', reason: 'migrations have not run yet' });
  });

  test('queued jobs by database, from sync_job when scraped', async (t) => {
    const h = await harness(t);
    assert.equal((await h.post('/api/notify/db/1', {}, K)).statusCode, 200);
    assert.equal((await h.post('/api/notify/db/2', {}, K)).statusCode, 200);
    const families = parsePrometheus((await h.inject({ method: 'GET', url: '/api/metrics', headers: A })).body);
    assert.equal(value(families, 'catalog_sync_jobs', { database_id: '1', state: 'queued' }), 1);
    assert.equal(value(families, 'catalog_sync_jobs', { database_id: '2', state: 'queued' }), 1);
    assert.equal(samples(families, 'catalog_sync_jobs', { state: 'running' }).length, 0);
  });
});
