// The metadata phase (sync-engine.md sections 1.2, 1.4, 3.2.8, 7 and 9): its steps in order, one task_history row
// per executed step under one `sync` operation row, and the stop rules: a connection or authentication error
// abandons the job and the deadline stops it; any other step failure is recorded and the next step runs.
import { selectSyncedTables, chunks, completeTables } from '../catalog/table-rows.ts';
import { JobDeadlineExceeded, JobInterrupted, type NewTableOutcome, type PhaseScope } from '../jobs/types.ts';
import { fencedWrite, type SyncContext } from './context.ts';
import { abandonsJob, errorInfo, type ErrorInfo } from './errors.ts';
import { MetadataState, type PhaseTable } from './metadata-state.ts';
import { StepReport } from './step-report.ts';
import { syncDbmsVersion, syncTimezone } from './sync-database-facts.ts';
import { syncFields } from './sync-fields.ts';
import { syncForeignKeys } from './sync-fks.ts';
import { syncIndexes } from './sync-indexes.ts';
import { syncTables } from './sync-tables.ts';
import { syncTablesScoped } from './sync-tables-scoped.ts';
import type { TaskHistory } from './task-history.ts';

export const DATABASE_STEPS = [
  'sync-dbms-version',
  'sync-timezone',
  'sync-tables',
  'sync-fields',
  'sync-fks',
  'sync-indexes',
] as const;
export const TABLE_STEPS = ['sync-tables', 'sync-fields', 'sync-fks', 'sync-indexes'] as const;
const ESSENTIAL_STEPS: ReadonlySet<string> = new Set(['sync-tables', 'sync-fields']);

type StepName = (typeof DATABASE_STEPS)[number];

/** Why a job stops before its end: a connection or authentication error (9.2), or the job deadline (8.7). */
export interface JobStop {
  readonly kind: 'abandoned' | 'deadline';
  readonly step: string;
  readonly error: ErrorInfo;
}

export interface MetadataOutcome {
  readonly status: 'success' | 'failed';
  readonly operationId: number;
  readonly stop: JobStop | null;
  /** The first essential step that failed. */
  readonly failedEssential: { readonly step: string; readonly error: ErrorInfo } | null;
  readonly newTables: readonly NewTableOutcome[];
}

/** `scope` of task_details (7.3): "database", or the tables and new tables of a table-level run. */
export function scopeDetail(scope: PhaseScope): unknown {
  if (scope.database === true) return 'database';
  return { tables: [...(scope.tables ?? [])], 'new-tables': [...(scope.new_tables ?? [])] };
}

/** Trigger sources of the job, each once, in order (7.4). */
export function triggerSources(ctx: Pick<SyncContext, 'job'>): string[] {
  return [...new Set(ctx.job.triggers.map((t) => t.source))];
}

export function metadataSteps(scope: PhaseScope): readonly string[] {
  return scope.database === true ? DATABASE_STEPS : TABLE_STEPS;
}

export async function runMetadataPhase(
  ctx: SyncContext,
  scope: PhaseScope,
  history: TaskHistory,
): Promise<MetadataOutcome> {
  const signal = ctx.job.signal;
  const databaseLevel = scope.database === true;
  const state = new MetadataState(scope.new_tables ?? []);
  const operation = await history.start('sync', null);
  const detailScope = scopeDetail(scope);

  let synced: PhaseTable[] | null = null;
  const phaseTables = async (): Promise<PhaseTable[]> => {
    if (!databaseLevel) return state.targets ?? [];
    synced ??= (await selectSyncedTables(ctx.appDb.db, ctx.databaseId)).map((t) => ({
      id: t.id,
      schema: t.schema,
      name: t.name,
      fieldOrder: t.field_order,
    }));
    return synced;
  };
  const level = databaseLevel ? 'database' : 'tables';
  const run: Record<StepName, (report: StepReport) => Promise<void>> = {
    'sync-dbms-version': (r) => syncDbmsVersion(ctx, r),
    'sync-timezone': (r) => syncTimezone(ctx, r),
    'sync-tables': (r) =>
      databaseLevel
        ? syncTables(ctx, r, state)
        : syncTablesScoped(ctx, r, state, scope.tables ?? [], scope.new_tables ?? []),
    'sync-fields': async (r) => syncFields(ctx, r, state, await phaseTables(), level),
    'sync-fks': async (r) => syncForeignKeys(ctx, r, await phaseTables(), level),
    'sync-indexes': async (r) => syncIndexes(ctx, r, await phaseTables(), level),
  };

  const statuses: Record<string, 'success' | 'failed'> = {};
  const failedSteps: string[] = [];
  const notRun: string[] = [];
  let stop: JobStop | null = null;
  let failedEssential: MetadataOutcome['failedEssential'] = null;
  let queries = 0;
  for (const step of metadataSteps(scope) as readonly StepName[]) {
    if (stop !== null) {
      notRun.push(step);
      continue;
    }
    const row = await history.start(step, operation.id);
    ctx.logger.info({ job_id: ctx.job.id, db_id: ctx.databaseId, step }, `${step} started`);
    const report = new StepReport();
    const before = ctx.driver.queryCount;
    let error: ErrorInfo | null = null;
    try {
      await run[step](report);
    } catch (thrown) {
      if (thrown instanceof JobInterrupted) throw thrown;
      if (signal.aborted && signal.reason instanceof JobInterrupted) throw signal.reason;
      if (signal.aborted || thrown instanceof JobDeadlineExceeded) {
        error = errorInfo(new JobDeadlineExceeded('job deadline exceeded'));
        stop = { kind: 'deadline', step, error };
      } else {
        error = errorInfo(thrown);
        if (abandonsJob(thrown)) stop = { kind: 'abandoned', step, error };
      }
      if (ESSENTIAL_STEPS.has(step)) failedEssential ??= { step, error };
      failedSteps.push(step);
      report.log('error', `${step} failed: ${error.code}: ${error.message}`);
    }
    const stepQueries = ctx.driver.queryCount - before;
    queries += stepQueries;
    statuses[step] = error === null ? 'success' : 'failed';
    const details = {
      scope: detailScope,
      ...report.details(),
      'warehouse-queries': stepQueries,
      ...(error === null ? {} : { error }),
    };
    await history.finish(row, statuses[step], details, report.logs());
    ctx.logger.info(
      { job_id: ctx.job.id, db_id: ctx.databaseId, step, status: statuses[step], duration_ms: row.elapsed(), details },
      `${step} ${statuses[step]}`,
    );
  }

  if (databaseLevel) await recordInitialSyncStatus(ctx, state, statuses, stop);
  const status = stop !== null || failedEssential !== null ? 'failed' : 'success';
  await history.finish(
    operation,
    status,
    {
      phase: 'metadata',
      scope: detailScope,
      triggers: triggerSources(ctx),
      steps: statuses,
      'failed-steps': failedSteps,
      'not-run': notRun,
      abandoned: stop === null ? null : { step: stop.step, error: stop.error },
      skipped: null,
      'warehouse-queries': queries,
    },
    null,
  );
  return { status, operationId: operation.id, stop, failedEssential, newTables: state.newTableOutcomes('failed') };
}

/** 3.2.8 and 9.5: tables whose fields were synced become complete; the database complete or aborted. */
async function recordInitialSyncStatus(
  ctx: SyncContext,
  state: MetadataState,
  statuses: Readonly<Record<string, string>>,
  stop: JobStop | null,
): Promise<void> {
  const now = ctx.appDb.now();
  for (const chunk of chunks([...state.fieldsSynced], 1000)) {
    await fencedWrite(ctx.appDb, ctx.job, (trx) => completeTables(trx, ctx.databaseId, chunk, now, false));
  }
  const complete = statuses['sync-tables'] === 'success' && statuses['sync-fields'] === 'success' && stop === null;
  const value = complete ? 'complete' : 'aborted';
  await fencedWrite(ctx.appDb, ctx.job, (trx) =>
    trx
      .updateTable('metabase_database')
      .set({ initial_sync_status: value, updated_at: now })
      .where('id', '=', ctx.databaseId)
      .where('initial_sync_status', '<>', value)
      .execute(),
  );
}
