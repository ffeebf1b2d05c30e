// Shared steps of the fault suite: jobs followed through GET /api/notify/job/:id (which follows retried_as), and the
// consistency check of a database's catalog against its PostgreSQL warehouse (sync-engine.md 9: nothing half-written,
// nothing retired by a failed listing, no duplicate rows).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import type { AppDb } from '../../src/db/connect.ts';
import { until, type Instance } from '../multi-instance/support.ts';

const NOTIFY_KEY = 'mi-notify-key';
const ADMIN_KEY = 'mi-admin-key';

export interface JobView {
  readonly id: number;
  readonly status: 'queued' | 'running' | 'succeeded' | 'failed';
  readonly error: string | null;
  /** The job's task_history rows (operations and steps). */
  readonly steps: readonly { readonly task: string; readonly status: string }[];
}

/** GET /api/notify/job/:id: the status and error at the end of the job's retried_as chain. */
export async function jobView(instance: Instance, jobId: number): Promise<JobView> {
  const response = await fetch(`${instance.url}/api/notify/job/${jobId}`, {
    headers: { 'X-METABASE-APIKEY': NOTIFY_KEY },
    signal: AbortSignal.timeout(10_000),
  });
  if (response.status !== 200) throw new Error(`GET job ${jobId}: ${response.status} ${await response.text()}`);
  return (await response.json()) as JobView;
}

/** POST /api/database for a warehouse of `engine`, metadata only; its id (its initial sync is queued). */
export async function registerWarehouse(
  instance: Instance,
  name: string,
  engine: string,
  details: Record<string, unknown>,
): Promise<number> {
  const response = await fetch(`${instance.url}/api/database`, {
    method: 'POST',
    headers: { 'X-API-KEY': ADMIN_KEY, 'content-type': 'application/json' },
    body: JSON.stringify({ name, engine, details, is_full_sync: false }),
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`POST /api/database ${name}: ${response.status} ${text}`);
  return (JSON.parse(text) as { id: number }).id;
}

/** Waits until the job (or the job that carries its plan on) has ended. */
export function jobEnd(instance: Instance, jobId: number, seconds: number): Promise<JobView> {
  return until(`job ${jobId} to end`, seconds, async () => {
    const view = await jobView(instance, jobId).catch(() => undefined);
    return view && (view.status === 'succeeded' || view.status === 'failed') ? view : undefined;
  });
}

/** The warehouse's tables of schema public with their column counts. */
export async function warehouseTables(url: string): Promise<Map<string, number>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string; columns: number }>(`
      SELECT c.relname AS name, count(a.attnum)::integer AS columns
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      WHERE n.nspname = 'public' AND c.relkind = 'r' GROUP BY c.relname`);
    return new Map(rows.map((row) => [row.name, row.columns]));
  } finally {
    await client.end();
  }
}

interface CatalogTable {
  readonly id: number;
  readonly name: string;
  readonly active: boolean;
  readonly fields: number;
  readonly activeFields: number;
}

export async function catalogTables(appDb: AppDb, databaseId: number): Promise<CatalogTable[]> {
  const { rows } = await sql<{ id: number; name: string; active: unknown; fields: unknown; active_fields: unknown }>`
    SELECT t.id, t.name, t.active, count(f.id) AS fields,
           sum(CASE WHEN f.active THEN 1 ELSE 0 END) AS active_fields
    FROM metabase_table t LEFT JOIN metabase_field f ON f.table_id = t.id
    WHERE t.db_id = ${databaseId}
    GROUP BY t.id, t.name, t.active`.execute(appDb.db);
  return rows.map((row) => ({
    id: Number(row.id),
    name: row.name,
    active: row.active === true || row.active === 1,
    fields: Number(row.fields),
    activeFields: Number(row.active_fields ?? 0),
  }));
}

/**
 * The violations of the catalog of `databaseId` against the warehouse's tables `present` (name → columns): a table
 * with some but not all of its fields, a table the warehouse has that is marked inactive (retired by a failed or
 * partial listing), duplicate table or field rows. With `complete`, also: every warehouse table is active with all of
 * its fields, and no table the warehouse lacks is active.
 */
export async function catalogViolations(
  appDb: AppDb,
  databaseId: number,
  present: ReadonlyMap<string, number>,
  complete: boolean,
): Promise<string[]> {
  const out: string[] = [];
  const tables = await catalogTables(appDb, databaseId);
  for (const table of tables) {
    const columns = present.get(table.name);
    if (columns !== undefined && !table.active) out.push(`${table.name} is in the warehouse but retired`);
    if (columns !== undefined && table.fields !== 0 && table.fields !== columns) {
      out.push(`${table.name} is half-written: ${table.fields} of ${columns} fields`);
    }
    if (complete && columns !== undefined && table.activeFields !== columns) {
      out.push(`${table.name} has ${table.activeFields} active fields, the warehouse ${columns}`);
    }
    if (complete && columns === undefined && table.active) out.push(`${table.name} is gone but active`);
  }
  if (complete) {
    const names = new Set(tables.map((table) => table.name));
    for (const name of present.keys()) if (!names.has(name)) out.push(`${name} is missing from the catalog`);
  }
  const { rows: tableDuplicates } = await sql<{ name: string }>`
    SELECT name FROM metabase_table WHERE db_id = ${databaseId}
    GROUP BY schema, name HAVING count(*) > 1`.execute(appDb.db);
  for (const row of tableDuplicates) out.push(`duplicate table rows for ${row.name}`);
  const { rows: fieldDuplicates } = await sql<{ name: string }>`
    SELECT f.name FROM metabase_field f JOIN metabase_table t ON t.id = f.table_id
    WHERE t.db_id = ${databaseId}
    GROUP BY f.table_id, f.name, f.parent_id HAVING count(*) > 1`.execute(appDb.db);
  for (const row of fieldDuplicates) out.push(`duplicate field rows for ${row.name}`);
  return out;
}

/**
 * Crash and start again the PostgreSQL server behind `url` (a server of test/support/postgres.ts, run by this machine):
 * `pg_ctl stop -m immediate`, then `pg_ctl restart`, which starts it with the options it last ran with.
 */
export async function pgServerControl(url: string): Promise<{ crash(): void; start(): void }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const { rows } = await client.query<{ data_directory: string }>(`SHOW data_directory`);
  await client.end();
  const dataDir = rows[0]!.data_directory;
  const bin = ['/usr/lib/postgresql/17/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/15/bin']
    .map((dir) => join(dir, 'pg_ctl'))
    .find((path) => existsSync(path)) ?? 'pg_ctl';
  const pgCtl = (args: string[]) => {
    const argv = [bin, '-D', dataDir, '-w', ...args];
    if (process.getuid?.() === 0) execFileSync('runuser', ['-u', 'postgres', '--', ...argv], { stdio: 'pipe' });
    else execFileSync(argv[0]!, argv.slice(1), { stdio: 'pipe' });
  };
  return {
    crash: () => pgCtl(['-m', 'immediate', 'stop']),
    start: () => pgCtl(['-l', join(dataDir, '..', 'log'), 'restart']),
  };
}
