// The field-values phase run on its own, as the job runner runs it: a running sync_job row whose lease the fence
// checks, a real driver (optionally wrapped), the synced tables of the scope, and the task history of the job.
import { loadConfig, type Config } from '../../../src/config.ts';
import { selectSyncedTables } from '../../../src/catalog/table-rows.ts';
import { parseJson, toBool } from '../../../src/db/schema.ts';
import type { Engine, WarehouseDriver } from '../../../src/drivers/driver.ts';
import { createDriver, driverOptions } from '../../../src/drivers/registry.ts';
import type { PhaseScope, RunningJob } from '../../../src/jobs/types.ts';
import { silentLogger } from '../../../src/logger.ts';
import { ChangesetBuilder } from '../../../src/sync/changeset.ts';
import type { PhaseOutcome } from '../../../src/sync/phase.ts';
import { runFieldValuesPhase } from '../../../src/sync/field-values/field-values-phase.ts';
import { TaskHistory } from '../../../src/sync/task-history.ts';
import { LEASE_OWNER, leaseFence, type Harness, type TaskView } from '../support.ts';

export interface PhaseRun {
  readonly jobId: number;
  readonly outcome: PhaseOutcome;
  /** The step row's task_details. */
  readonly step: TaskView;
  readonly operation: TaskView;
}

export interface PhaseOptions {
  readonly env?: Record<string, string>;
  readonly wrap?: (driver: WarehouseDriver) => WarehouseDriver;
  readonly signal?: AbortSignal;
}

export async function runValuesPhase(
  h: Harness,
  dbId: number,
  scope: PhaseScope,
  options: PhaseOptions = {},
): Promise<PhaseRun> {
  const database = await h.database(dbId);
  const config: Config = loadConfig({ MB_DB_FILE: `${h.dir}/service/app.db`, ...options.env });
  const plan = { field_values: scope };
  const triggers = [{ source: 'admin', at: new Date().toISOString() }] as const;
  const row = await h.appDb.db
    .insertInto('sync_job')
    .values({
      database_id: dbId,
      state: 'running',
      plan: JSON.stringify(plan),
      triggers: JSON.stringify(triggers),
      lease_owner: LEASE_OWNER,
      lease_expires_at: '9999-12-31T00:00:00.000Z',
      started_at: h.appDb.now(),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const job: RunningJob = {
    id: row.id,
    databaseId: dbId,
    plan,
    triggers,
    signal: options.signal ?? new AbortController().signal,
    fence: leaseFence(h.appDb, row.id),
  };
  const real = createDriver(database.engine as Engine, parseJson(database.details, {}), driverOptions(config));
  const driver = options.wrap ? options.wrap(real) : real;
  try {
    const synced = (await selectSyncedTables(h.appDb.db, dbId)).map((t) => t.id);
    const tableIds = scope.database === true ? synced : synced.filter((id) => (scope.tables ?? []).includes(id));
    const ctx = {
      appDb: h.appDb,
      config,
      logger: silentLogger(),
      job,
      driver,
      capabilities: await driver.capabilities(job.signal),
      databaseId: dbId,
      cruftTablePatterns: [],
      cruftColumnPatterns: [],
      changes: new ChangesetBuilder(),
    };
    const outcome = await runFieldValuesPhase(ctx, scope, tableIds, new TaskHistory(h.appDb, job));
    const tasks = await h.tasks(row.id);
    return {
      jobId: row.id,
      outcome,
      operation: tasks.find((t) => t.task === 'field values scanning')!,
      step: tasks.find((t) => t.task === 'update-field-values')!,
    };
  } finally {
    await driver.close();
    await h.appDb.db.updateTable('sync_job').set({ state: 'succeeded' }).where('id', '=', row.id).execute();
  }
}

export interface ValuesView {
  readonly values: unknown[];
  readonly human_readable_values: unknown[];
  readonly has_more_values: boolean;
}

/** The field's `full` values row, or null. */
export async function valuesOf(h: Harness, fieldId: number): Promise<ValuesView | null> {
  const row = await h.appDb.db
    .selectFrom('metabase_fieldvalues')
    .selectAll()
    .where('field_id', '=', fieldId)
    .executeTakeFirst();
  if (!row) return null;
  return {
    values: parseJson<unknown[]>(row.values, []),
    human_readable_values: parseJson<unknown[]>(row.human_readable_values, []),
    has_more_values: toBool(row.has_more_values),
  };
}

/** A field's id by table and name. */
export async function fieldId(h: Harness, tableId: number, name: string): Promise<number> {
  const field = (await h.fields(tableId)).find((f) => f.name === name);
  if (!field) throw new Error(`no field ${name} in table ${tableId}`);
  return field.id;
}

/** Sets has_field_values on fields by name; `user` also lists it in user_set (an administrator's choice). */
export async function setFieldValues(
  h: Harness,
  tableId: number,
  names: readonly string[],
  setting: string | null,
  user = false,
): Promise<void> {
  for (const name of names) {
    await h.updateField(tableId, name, {
      has_field_values: setting,
      ...(user ? { user_set: JSON.stringify(['has_field_values']) } : {}),
    });
  }
}

/** The counters of the step row that section 7.3 names for update-field-values, and nothing else. */
export function counts(step: TaskView): Record<string, unknown> {
  const keys = [
    'fields-eligible',
    'fields-scanned',
    'created',
    'updated',
    'unchanged',
    'deleted',
    'demoted-auto-list',
    'truncated',
    'errors',
    'deferred',
  ];
  return Object.fromEntries(keys.map((k) => [k, step.details[k]]));
}
