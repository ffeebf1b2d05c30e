// Peak resident memory of a cold whole-database schema sync in a real service process (performance.md M1 and P7,
// issue 10 item 4): a fresh `catalog-sync serve` process per warehouse size, one PostgreSQL warehouse registered
// with is_full_sync false (its initial sync reads the schema only), and the process's peak RSS (VmHWM of
// /proc/<pid>/status) once that sync has ended. The idle RSS before the registration is the baseline.
//
//   node --import tsx bench/peak-memory.ts                      # 1,000 and 10,000 tables × 22 fields, both app dbs
//   node --import tsx bench/peak-memory.ts 100000x20 postgres   # tables x fields per table; one application database
//   node --import tsx bench/peak-memory.ts floor 100000x20      # only the floor (four listings) of that warehouse
//
// Warehouses are kept between runs (bench/warehouses.ts keptWarehouse) on the server of BENCH_PG_URL, else
// TEST_PG_URL, else an ephemeral PostgreSQL started for the run. The PostgreSQL application database is a fresh
// database on the same server.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openAppDb } from '../src/db/connect.ts';
import type { AppDbKind } from '../src/db/connect.ts';
import { createDriver } from '../src/drivers/registry.ts';
import { dropTestDatabase, unfinishedJobs } from '../test/support/app-db.ts';
import { createTestDatabase, startPostgres, type PgServer } from '../test/support/postgres.ts';
import { ADMIN_KEY, startServiceProcess } from './service-process.ts';
import { COLUMNS, keptWarehouse } from './warehouses.ts';

interface Size {
  readonly tables: number;
  /** Fields per table: the id, the plain columns and the foreign-key column. */
  readonly fields: number;
}

/** The floor: the PostgreSQL driver's four catalog listings of the warehouse read to the end, in this process. */
async function floorSeconds(details: Record<string, unknown>): Promise<number> {
  const driver = createDriver('postgres', details, {
    connectTimeoutMs: 15_000,
    catalogQueryTimeoutMs: 3_600_000,
    sampleQueryTimeoutMs: 30_000,
    fieldValuesQueryTimeoutMs: 30_000,
  });
  const signal = new AbortController().signal;
  try {
    await driver.testConnection(signal);
    const start = performance.now();
    const scope = { kind: 'database' } as const;
    for (const listing of [
      driver.describeTables(scope, signal),
      driver.describeFields(scope, signal),
      driver.describeForeignKeys(scope, signal),
      driver.describeIndexes(scope, signal),
    ] as AsyncIterable<unknown>[]) {
      for await (const _ of listing);
    }
    return (performance.now() - start) / 1000;
  } finally {
    await driver.close();
  }
}

interface PeakMemory extends Size {
  readonly appDb: AppDbKind;
  readonly idleMb: number;
  readonly peakMb: number;
  readonly syncSeconds: number;
  readonly loadSeconds: number;
}

/** A kB figure of /proc/<pid>/status (VmRSS, VmHWM) in MB. */
function statusMb(pid: number, key: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no ${key} in /proc/${pid}/status`);
  return Number(match[1]) / 1024;
}

async function measure(adminUrl: string, size: Size, kind: AppDbKind): Promise<PeakMemory> {
  const warehouse = await keptWarehouse(adminUrl, size.tables, size.fields - 2);
  const dir = mkdtempSync(join(tmpdir(), 'catalog-sync-bench-memory-'));
  const appName = kind === 'postgres' ? (await createTestDatabase('bench_app')).name : null;
  const appUrl = new URL(adminUrl);
  appUrl.pathname = `/${appName}`;
  const env: Record<string, string> =
    kind === 'postgres'
      ? { MB_DB_TYPE: 'postgres', MB_DB_CONNECTION_URI: appUrl.toString() }
      : { MB_DB_FILE: join(dir, 'app.db') };
  const service = await startServiceProcess(env);
  const appDb = openAppDb(
    kind === 'postgres' ? { kind, connectionUri: appUrl.toString(), max: 1 } : { kind, file: env.MB_DB_FILE },
  );
  try {
    await sleep(1000);
    const idleMb = statusMb(service.pid, 'VmRSS');
    const start = performance.now();
    const body = { name: `Warehouse of ${size.tables}`, engine: 'postgres', details: warehouse.details, is_full_sync: false };
    const { id } = (await service.post('/api/database', { 'X-API-KEY': ADMIN_KEY }, body)) as { id: number };
    while ((await unfinishedJobs(appDb)) > 0) await sleep(100);
    const syncSeconds = (performance.now() - start) / 1000;
    const peakMb = statusMb(service.pid, 'VmHWM');
    const row = await appDb.db
      .selectFrom('metabase_database')
      .select('initial_sync_status')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    if (row.initial_sync_status !== 'complete') throw new Error(`the initial sync ended ${row.initial_sync_status}`);
    return { ...size, appDb: kind, idleMb, peakMb, syncSeconds, loadSeconds: warehouse.loadSeconds };
  } finally {
    await appDb.close();
    await service.stop();
    if (appName !== null) await dropTestDatabase(appName);
    rmSync(dir, { recursive: true, force: true });
  }
}

const args = process.argv.slice(2);
const sizes: Size[] = args
  .map((a) => /^(\d+)(?:x(\d+))?$/.exec(a))
  .filter((m): m is RegExpExecArray => m !== null)
  .map((m) => ({ tables: Number(m[1]), fields: m[2] ? Number(m[2]) : COLUMNS + 2 }));
const kinds = args.filter((a): a is AppDbKind => a === 'sqlite' || a === 'postgres');
let server: PgServer | undefined;
let adminUrl = process.env.BENCH_PG_URL ?? process.env.TEST_PG_URL;
if (!adminUrl) {
  server = await startPostgres();
  adminUrl = server.url;
}
process.env.TEST_PG_URL = adminUrl;
try {
  if (args.includes('floor')) {
    for (const size of sizes) {
      const warehouse = await keptWarehouse(adminUrl, size.tables, size.fields - 2);
      console.log(`floor of ${size.tables} tables × ${size.fields} fields: ${(await floorSeconds(warehouse.details)).toFixed(1)} s`);
    }
  }
  const rows: PeakMemory[] = [];
  for (const size of args.includes('floor') ? [] : sizes.length ? sizes : [{ tables: 1000, fields: COLUMNS + 2 }, { tables: 10_000, fields: COLUMNS + 2 }]) {
    for (const kind of kinds.length ? kinds : (['sqlite', 'postgres'] as const)) rows.push(await measure(adminUrl, size, kind));
  }
  const n = (v: number, digits = 0) =>
    v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  if (rows.length) console.log('| application database | tables | fields | idle RSS | peak RSS (VmHWM) | peak − idle | cold sync | load (not timed) |');
  if (rows.length) console.log('|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(
      `| ${r.appDb === 'sqlite' ? 'SQLite' : 'PostgreSQL'} | ${n(r.tables)} | ${n(r.tables * r.fields - 1)} | ` +
        `${n(r.idleMb)} MB | ${n(r.peakMb)} MB | ${n(r.peakMb - r.idleMb)} MB | ${n(r.syncSeconds, 1)} s | ` +
        `${n(r.loadSeconds, 1)} s |`,
    );
  }
} finally {
  server?.stop();
}
