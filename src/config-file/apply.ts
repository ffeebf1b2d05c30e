// Applies a validated config file at start-up, idempotently: the settings, then each database matched by engine +
// name (the lowest id when several share them), created with its initial full sync as POST /api/database registers
// one, or updated in the keys the file sets that differ from the row. Databases absent from the file are left
// alone; `delete` entries remove every database of that engine and name with its catalog and jobs (as DELETE
// /api/database/:id does). A second run over an unchanged file writes nothing and queues nothing. Several instances applying the same
// file at once take turns under one PostgreSQL advisory lock, so none creates a duplicate.
import { sql } from 'kysely';
import { updateDatabase, type DatabaseUpdate } from '../catalog/database-edits.ts';
import { FULL_DATABASE_PLAN, insertDatabase, listDatabases, type DatabaseRecord } from '../catalog/databases.ts';
import type { AppDb } from '../db/connect.ts';
import { parseJson, toBool } from '../db/schema.ts';
import { deleteDatabaseWithJobs } from '../jobs/cancel.ts';
import { enqueue } from '../jobs/queue.ts';
import type { ConfigFilePlan, DatabaseColumns, DatabaseEntry, FileSettingName } from './validate.ts';

export interface ApplyResult {
  readonly created: readonly number[];
  readonly updated: readonly number[];
  readonly unchanged: readonly number[];
  /** Databases removed by `delete` entries. */
  readonly deleted: readonly number[];
  /** Initial syncs queued for the created databases (none when config-from-file-sync-databases is false). */
  readonly jobs: readonly number[];
}

const LOCK = 'catalog-sync:config-file';

/** SQLite: one process per file, so the applies of this process take turns. */
let sqliteTurn: Promise<unknown> = Promise.resolve();

export async function applyConfigPlan(appDb: AppDb, plan: ConfigFilePlan): Promise<ApplyResult> {
  if (appDb.kind === 'sqlite') {
    const run = sqliteTurn.then(() => applyLocked(appDb, plan));
    sqliteTurn = run.catch(() => undefined);
    return await run;
  }
  // PostgreSQL: every apply, of this process or another instance, under one advisory lock.
  return await appDb.db.connection().execute(async (session) => {
    await sql`SELECT pg_advisory_lock(hashtext(${LOCK}))`.execute(session);
    try {
      return await applyLocked(appDb, plan);
    } finally {
      await sql`SELECT pg_advisory_unlock(hashtext(${LOCK}))`.execute(session);
    }
  });
}

async function applyLocked(appDb: AppDb, plan: ConfigFilePlan): Promise<ApplyResult> {
  for (const [key, value] of Object.entries(plan.settings)) await writeSetting(appDb, key, JSON.stringify(value));
  const syncNew = (await readBooleanSetting(appDb, 'config-from-file-sync-databases')) ?? true;
  const existing = (await listDatabases(appDb)).sort((a, b) => a.id - b.id);
  const result = {
    created: [] as number[],
    updated: [] as number[],
    unchanged: [] as number[],
    deleted: [] as number[],
    jobs: [] as number[],
  };
  for (const entry of plan.databases) {
    if (entry.delete) {
      for (const row of existing.filter((r) => r.engine === entry.engine && r.name === entry.name)) {
        // Before the workers start: another instance's run of its job stops at its next heartbeat or fenced write.
        if (await deleteDatabaseWithJobs(appDb, row.id)) result.deleted.push(row.id);
      }
      continue;
    }
    const row = existing.find((r) => r.engine === entry.engine && r.name === entry.name);
    if (row === undefined) {
      const { id, jobId } = await createDatabase(appDb, entry, syncNew);
      result.created.push(id);
      if (jobId !== null) result.jobs.push(jobId);
      continue;
    }
    const changes = changesOf(row, entry);
    if (Object.keys(changes).length === 0) {
      result.unchanged.push(row.id);
    } else {
      await updateDatabase(appDb, row.id, changes);
      result.updated.push(row.id);
    }
  }
  return result;
}

async function createDatabase(
  appDb: AppDb,
  entry: DatabaseEntry,
  syncNew: boolean,
): Promise<{ id: number; jobId: number | null }> {
  const { is_full_sync: isFullSync, is_attached_dwh: isAttachedDwh, ...rest } = entry.columns;
  const database = await insertDatabase(appDb, { name: entry.name, engine: entry.engine, details: entry.details, isFullSync, isAttachedDwh });
  // Set before the initial sync is queued, so that it already sees the file's settings and schedules.
  if (Object.keys(rest).length > 0) await updateDatabase(appDb, database.id, rest);
  if (!syncNew) return { id: database.id, jobId: null };
  const trigger = { source: 'creation', at: new Date().toISOString(), detail: 'config file' } as const;
  const queued = await enqueue(appDb, { databaseId: database.id, plan: FULL_DATABASE_PLAN, priority: 10, trigger });
  return { id: database.id, jobId: queued.kind === 'enqueued' ? queued.jobId : null };
}

/** Stable JSON: object keys sorted, so that details stored in another key order compare equal. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The keys of the entry whose values differ from the row; pure. */
export function changesOf(row: DatabaseRecord, entry: DatabaseEntry): DatabaseUpdate {
  const changes: Record<string, unknown> = {};
  if (canonical(parseJson(row.details, {})) !== canonical(entry.details)) changes.details = entry.details;
  const columns: DatabaseColumns = entry.columns;
  for (const [key, value] of Object.entries(columns)) {
    if (key === 'settings') {
      const current = parseJson<Record<string, unknown>>(row.settings, {});
      const merged = { ...current, ...(value as Record<string, unknown>) };
      if (canonical(merged) !== canonical(current)) changes.settings = merged;
      continue;
    }
    const stored = (row as unknown as Record<string, unknown>)[key];
    const current = typeof value === 'boolean' ? toBool(stored as boolean | number) : stored;
    if (current !== value) changes[key] = value;
  }
  return changes as DatabaseUpdate;
}

async function writeSetting(appDb: AppDb, key: string, value: string): Promise<void> {
  await appDb.db
    .insertInto('setting')
    .values({ key, value })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value }).where('setting.value', '<>', value))
    .execute();
}

export async function readBooleanSetting(appDb: AppDb, key: FileSettingName): Promise<boolean | undefined> {
  const row = await appDb.db.selectFrom('setting').select('value').where('key', '=', key).executeTakeFirst();
  return row === undefined ? undefined : row.value === 'true';
}
