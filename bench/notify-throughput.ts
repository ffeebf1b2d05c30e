// Asynchronous notify throughput (performance.md P5): 10,000 POST /api/notify/db/:id over 100 keep-alive connections
// against a real service process, and how many syncs they caused (coalescing). The baseline, measured in the same run
// over the same 100 connections, is GET /api/health, which touches no database: the figure is the ratio to it.
//
//   node --import tsx bench/notify-throughput.ts                 # both application databases
//   node --import tsx bench/notify-throughput.ts postgres 20000  # one of them, another count
//
// Uses TEST_PG_URL when set, otherwise starts an ephemeral PostgreSQL (test/support/postgres.ts). The service runs as
// `npm start` runs it (log level info, written to /dev/null) with its default settings (bench/service-process.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openAppDb } from '../src/db/connect.ts';
import { dropTestDatabase, unfinishedJobs } from '../test/support/app-db.ts';
import { createTestDatabase, execSql, startPostgres, type PgServer } from '../test/support/postgres.ts';
import { ADMIN_KEY, NOTIFY_KEY, startServiceProcess } from './service-process.ts';

const CONNECTIONS = 100;
const WAREHOUSES = 10;
const TABLES = 20;

type AppDbKind = 'sqlite' | 'postgres';

interface Phase {
  readonly requests: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly connections: number;
}

interface Row {
  readonly appDb: AppDbKind;
  readonly health: Phase;
  readonly notify: Phase;
  readonly syncs: number;
  /** Requests the new jobs counted (their trigger_count), and how many of those jobs did not succeed. */
  readonly recorded: number;
  readonly notSucceeded: number;
  /** From the last accepted notify until no job was queued or running. */
  readonly drainedAfterS: number;
}

/** Sends `count` requests, CONNECTIONS at a time, each lane one after the other on its own kept-alive socket. */
async function drive(
  agent: Agent,
  port: number,
  count: number,
  make: (i: number) => { method: string; path: string; headers?: Record<string, string>; body?: string },
): Promise<Phase> {
  const latencies: number[] = [];
  const sockets = new Set<unknown>();
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const { method, path, headers, body } = make(next++);
      const sent = performance.now();
      const status = await new Promise<number>((resolve, reject) => {
        const req = request({ agent, host: '127.0.0.1', port, method, path, headers }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('socket', (socket) => sockets.add(socket));
        req.on('error', reject);
        req.end(body);
      });
      if (status !== 200) throw new Error(`${method} ${path} answered ${status}`);
      latencies.push(performance.now() - sent);
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: CONNECTIONS }, lane));
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  const perSecond = count / seconds;
  return { requests: count, seconds, perSecond, p50Ms: at(0.5), p99Ms: at(0.99), connections: sockets.size };
}

async function measure(kind: AppDbKind, count: number): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), 'catalog-sync-bench-notify-'));
  const app = kind === 'postgres' ? await createTestDatabase('bench_app') : null;
  const databases = app ? [app.name] : [];
  const appEnv: Record<string, string> = app
    ? { MB_DB_TYPE: 'postgres', MB_DB_CONNECTION_URI: app.url }
    : { MB_DB_FILE: join(dir, 'app.db') };
  const service = await startServiceProcess(appEnv);
  const port = service.port;
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const appDb = openAppDb(
    app ? { kind: 'postgres', connectionUri: app.url, max: 2 } : { kind: 'sqlite', file: appEnv.MB_DB_FILE },
  );
  try {
    const ids: number[] = [];
    for (let w = 0; w < WAREHOUSES; w++) {
      const warehouse = await createTestDatabase('bench_wh');
      databases.push(warehouse.name);
      const ddl = Array.from({ length: TABLES }, (_, i) => `CREATE TABLE t${i} (id integer PRIMARY KEY, v text)`);
      await execSql(warehouse.url, ddl.join(';'));
      const body = { name: `Warehouse ${w}`, engine: 'postgres', details: warehouse.details };
      ids.push(((await service.post('/api/database', { 'X-API-KEY': ADMIN_KEY }, body)) as { id: number }).id);
    }
    while ((await unfinishedJobs(appDb)) > 0) await sleep(100);

    // Warm-up of both paths, then the baseline and the notifications over the same 100 sockets.
    const health = () => ({ method: 'GET', path: '/api/health' });
    const notify = (i: number) => {
      const body = i % 2 === 0 ? {} : { table_name: `t${i % TABLES}`, scan: 'schema' };
      return {
        method: 'POST',
        path: `/api/notify/db/${ids[i % ids.length]}`,
        headers: { 'X-METABASE-APIKEY': NOTIFY_KEY, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      };
    };
    await drive(agent, port, 2000, health);
    await drive(agent, port, 500, notify);
    while ((await unfinishedJobs(appDb)) > 0) await sleep(100);
    const { n: before, last } = await appDb.db
      .selectFrom('sync_job')
      .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.max<number>('id').as('last')])
      .executeTakeFirstOrThrow();
    const healthPhase = await drive(agent, port, count, health);
    const notifyPhase = await drive(agent, port, count, notify);
    const sent = performance.now();
    while ((await unfinishedJobs(appDb)) > 0) await sleep(50);
    const waited = (performance.now() - sent) / 1000;
    const { n: after } = await appDb.db
      .selectFrom('sync_job')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    const syncs = Number(after) - Number(before);
    // No notify lost: every accepted one is counted by a job of this phase, and every such job succeeded.
    const jobs = await appDb.db
      .selectFrom('sync_job')
      .select(['trigger_count', 'state'])
      .where('id', '>', last)
      .execute();
    const recorded = jobs.reduce((sum, job) => sum + Number(job.trigger_count), 0);
    const notSucceeded = jobs.filter((job) => job.state !== 'succeeded').length;
    const row = { health: healthPhase, notify: notifyPhase, syncs, recorded, notSucceeded, drainedAfterS: waited };
    return { appDb: kind, ...row };
  } finally {
    agent.destroy();
    await service.stop();
    await appDb.close();
    for (const name of databases) await dropTestDatabase(name);
    rmSync(dir, { recursive: true, force: true });
  }
}

const args = process.argv.slice(2);
const count = Number(args.find((a) => /^\d+$/.test(a)) ?? 10_000);
const kinds = args.filter((a): a is AppDbKind => a === 'sqlite' || a === 'postgres');
let server: PgServer | undefined;
if (!process.env.TEST_PG_URL) {
  server = await startPostgres();
  process.env.TEST_PG_URL = server.url;
}
try {
  const rows: Row[] = [];
  for (const kind of kinds.length ? kinds : (['sqlite', 'postgres'] as const)) {
    rows.push(await measure(kind, count));
  }
  const f = (n: number, digits = 0) =>
    n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  console.log(
    `${f(count)} requests per phase over ${CONNECTIONS} keep-alive connections; ` +
      `${WAREHOUSES} warehouses of ${TABLES} tables`,
  );
  console.log(
    '| application database | GET /api/health (baseline) | async notify accepted | ratio to baseline | ' +
      'notify p50 / p99 | syncs caused | notifies per sync | notifies the jobs counted | queue drained after |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const ratio = f(r.notify.perSecond / r.health.perSecond, 2);
    const perSync = f(r.notify.requests / Math.max(1, r.syncs), 1);
    console.log(
      `| ${r.appDb} | ${f(r.health.perSecond)}/s | ${f(r.notify.perSecond)}/s | ${ratio} | ` +
        `${f(r.notify.p50Ms, 1)} / ${f(r.notify.p99Ms, 1)} ms | ${f(r.syncs)} | ${perSync} | ` +
        `${f(r.recorded)} | ${f(r.drainedAfterS, 1)} s |`,
    );
  }
  for (const r of rows) {
    if (r.recorded !== r.notify.requests || r.notSucceeded > 0) {
      console.log(`warning (${r.appDb}): ${r.recorded} notifies counted, ${r.notSucceeded} jobs did not succeed`);
    }
    if (r.health.connections !== CONNECTIONS || r.notify.connections !== CONNECTIONS) {
      console.log(`warning (${r.appDb}): ${r.health.connections} and ${r.notify.connections} connections were used`);
    }
  }
} finally {
  server?.stop();
}
