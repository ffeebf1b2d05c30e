// The sync engine's entry point: runs one claimed job (sync-engine.md sections 1.3, 1.4, 8.2, 9.2 and 9.5). One driver
// per job (kept for the database's next job when a DriverCache is given and the job succeeded), a connection test first, then the planned phases in order: metadata, analyze, field values. The data
// phases' tables are resolved after the metadata phase, so tables it created are included; both are dropped, with a
// `skipped` operation row, while is_full_sync is false. An abandoned or timed-out phase stops the job.
import type { Config } from '../config.ts';
import { compilePatterns } from '../catalog/cruft.ts';
import { decodeDetails } from '../catalog/databases.ts';
import { identityKey } from '../catalog/names.ts';
import { chunks, completeTables, selectSyncedTables, selectTablesByIdentity } from '../catalog/table-rows.ts';
import type { AppDb } from '../db/connect.ts';
import { parseJson, toBool } from '../db/schema.ts';
import type { Engine, WarehouseDriver } from '../drivers/driver.ts';
import type { DriverCache } from '../drivers/driver-cache.ts';
import { createDriver, driverOptions, type CreateDriver } from '../drivers/registry.ts';
import { sanitize } from '../errors.ts';
import {
  JobInterrupted,
  PHASES,
  type JobOutcome,
  type JobResult,
  type JobRunner,
  type NewTableOutcome,
  type NewTableRef,
  type PhaseName,
  type PhaseScope,
  type RunningJob,
} from '../jobs/types.ts';
import { JobLog, type Logger } from '../logger.ts';
import { runAnalyzePhase } from './analyze/analyze-phase.ts';
import { ChangesetBuilder } from './changeset.ts';
import { fencedWrite, type SyncContext } from './context.ts';
import { JobProgress } from './progress.ts';
import { SCANNING_DISABLED, scopeDetail, triggerSources, type PhaseOutcome } from './phase.ts';
import { errorInfo, type ErrorInfo } from './errors.ts';
import { runFieldValuesPhase } from './field-values/field-values-phase.ts';
import { metadataSteps, runMetadataPhase, type MetadataOutcome } from './metadata-phase.ts';
import { TaskHistory } from './task-history.ts';

export interface SyncDeps {
  readonly appDb: AppDb;
  readonly config: Config;
  readonly logger: Logger;
  /** Defaults to createDriver of src/drivers/registry.ts; tests may pass a wrapper that counts or fails. */
  readonly createDriver?: CreateDriver;
  /** Keeps a succeeded job's driver for the database's next job (the service passes one; without it, one per job). */
  readonly drivers?: DriverCache;
}

const OPERATION_TASKS: Record<PhaseName, string> = {
  metadata: 'sync',
  analyze: 'analyze',
  field_values: 'field values scanning',
};

const PHASE_STEPS: Record<Exclude<PhaseName, 'metadata'>, readonly string[]> = {
  analyze: ['fingerprint-fields', 'classify-fields', 'classify-tables'],
  field_values: ['update-field-values'],
};

export function createJobRunner(deps: SyncDeps): JobRunner {
  return (job) => runJob(deps, job);
}

interface DatabaseRowForSync {
  readonly engine: string;
  readonly details: string;
  readonly settings: string;
  readonly initial_sync_status: string;
}

async function runJob(deps: SyncDeps, job: RunningJob): Promise<JobOutcome> {
  const { appDb, config, logger } = deps;
  const changes = new ChangesetBuilder();
  const planned = PHASES.filter((p) => job.plan[p] !== undefined);
  const plannedNewTables = job.plan.metadata?.new_tables ?? [];
  const failedNewTables = (): NewTableOutcome[] =>
    plannedNewTables.map((t) => ({ schema: t.schema, name: t.name, status: 'failed', table_id: null }));
  const outcome = (
    state: JobOutcome['state'],
    error: string | null,
    result: Omit<JobResult, 'changes'>,
  ): JobOutcome => {
    logger.info({ job_id: job.id, db_id: job.databaseId, state, error }, `sync job ${state}`);
    return { state, error: error === null ? null : sanitize(error), result: { ...result, changes: changes.build() } };
  };

  const database: DatabaseRowForSync | undefined = await appDb.db
    .selectFrom('metabase_database')
    .select(['engine', 'details', 'settings', 'initial_sync_status'])
    .where('id', '=', job.databaseId)
    .executeTakeFirst();
  if (!database) {
    return outcome('failed', `Sync failed: database ${job.databaseId} no longer exists`, {
      phases: {},
      operations: [],
      new_tables: failedNewTables(),
    });
  }
  const firstPhase = planned[0];
  if (firstPhase === undefined) return outcome('succeeded', null, { phases: {}, operations: [], new_tables: [] });

  const history = new TaskHistory(appDb, job);
  const settings = parseJson<Record<string, unknown>>(database.settings, {});
  const cruftTables = compilePatterns(settings['auto-cruft-tables']);
  const cruftColumns = compilePatterns(settings['auto-cruft-columns']);
  for (const source of [...cruftTables.invalid, ...cruftColumns.invalid]) {
    logger.warn({ job_id: job.id, db_id: job.databaseId, pattern: source }, 'invalid cruft pattern ignored');
  }
  const options = driverOptions(config);

  let driver: WarehouseDriver | null = null;
  /** The driver's query count when this job got it (a kept driver counted its earlier jobs' queries too). */
  let queriesBefore = 0;
  let reusable = false;
  // The job's log keys and phase: the worker pool's JobLog, or one of its own when run without a pool.
  const jobLog = job.log ?? new JobLog(logger, { job_id: job.id, database_id: job.databaseId });
  const progress = new JobProgress(appDb, job.id, (phase) => jobLog.setPhase(phase));
  try {
    let ctx: SyncContext;
    try {
      const engine = database.engine as Engine;
      const details = decodeDetails(appDb, database.details);
      const create = deps.createDriver ?? createDriver;
      driver = deps.drivers
        ? deps.drivers.acquire(job.databaseId, engine, details, options, create)
        : create(engine, details, options);
      queriesBefore = driver.queryCount;
      await driver.testConnection(job.signal);
      const capabilities = await driver.capabilities(job.signal);
      ctx = {
        appDb,
        config,
        get logger() {
          return jobLog.logger;
        },
        job,
        driver,
        capabilities,
        databaseId: job.databaseId,
        cruftTablePatterns: cruftTables.patterns,
        cruftColumnPatterns: cruftColumns.patterns,
        changes,
        progress,
      };
    } catch (thrown) {
      if (thrown instanceof JobInterrupted) throw thrown;
      if (job.signal.aborted && job.signal.reason instanceof JobInterrupted) throw job.signal.reason;
      const error = job.signal.aborted ? errorInfo(job.signal.reason) : errorInfo(thrown);
      const queries = (driver?.queryCount ?? 0) - queriesBefore;
      const operationId = await recordConnectionFailure(history, job, firstPhase, error, queries);
      const metadata = job.plan.metadata;
      if (metadata?.database === true && database.initial_sync_status === 'incomplete') {
        await fencedWrite(appDb, job, (trx) =>
          trx
            .updateTable('metabase_database')
            .set({ initial_sync_status: 'aborted', updated_at: appDb.now() })
            .where('id', '=', job.databaseId)
            .where('initial_sync_status', '=', 'incomplete')
            .execute(),
        );
      }
      return outcome('failed', `Sync failed: could not connect to the warehouse: ${error.message}`, {
        phases: { [firstPhase]: 'failed' },
        operations: [operationId],
        new_tables: failedNewTables(),
      });
    }

    const phases: { [P in PhaseName]?: 'success' | 'failed' | 'skipped' } = {};
    const operations: number[] = [];
    let error: string | null = null;
    let stopped = false;
    let metadata: MetadataOutcome | null = null;
    if (job.plan.metadata) {
      metadata = await runMetadataPhase(ctx, job.plan.metadata, history);
      phases.metadata = metadata.status;
      operations.push(metadata.operationId);
      error = failureSummary(metadata);
      stopped = metadata.stop !== null;
    }
    const newTables = metadata?.newTables ?? [];
    for (const phase of DATA_PHASES) {
      const scope = job.plan[phase];
      if (scope === undefined || stopped) continue;
      const data = await runDataPhase(ctx, phase, scope, newTables, history);
      phases[phase] = data.status;
      operations.push(data.operationId);
      error ??= failureSummary(data);
      stopped = data.stop !== null;
    }
    if (error === null) await completeFullTableSync(ctx, newTables);
    reusable = error === null && !job.signal.aborted;
    return outcome(error === null ? 'succeeded' : 'failed', error, { phases, operations, new_tables: newTables });
  } finally {
    progress.close();
    const closing = driver && deps.drivers ? deps.drivers.release(job.databaseId, driver, reusable) : driver?.close();
    await closing?.catch((closeError: unknown) => {
      logger.warn({ job_id: job.id, err: errorInfo(closeError) }, 'closing the warehouse driver failed');
    });
  }
}

/** The operation row of the first planned phase when the connection test fails (9.2). */
async function recordConnectionFailure(
  history: TaskHistory,
  job: RunningJob,
  phase: PhaseName,
  error: ErrorInfo,
  queries: number,
): Promise<number> {
  const scope = job.plan[phase] as PhaseScope;
  const row = await history.start(OPERATION_TASKS[phase], null);
  await history.finish(
    row,
    'failed',
    {
      phase: phase === 'field_values' ? 'field-values' : phase,
      scope: scopeDetail(scope),
      triggers: triggerSources({ job }),
      steps: {},
      'failed-steps': [],
      'not-run': [...(phase === 'metadata' ? metadataSteps(scope) : PHASE_STEPS[phase])],
      abandoned: { step: 'test-connection', error },
      skipped: null,
      'warehouse-queries': queries,
    },
    [
      {
        level: 'error',
        at: new Date().toISOString(),
        message: `test-connection failed: ${error.code}: ${error.message}`,
      },
    ],
  );
  return row.id;
}

/** The job's one-line error (sanitized by the caller), or null when the phase lets the job succeed. */
function failureSummary(phase: Pick<MetadataOutcome, 'stop' | 'failedEssential'>): string | null {
  const { stop, failedEssential } = phase;
  if (stop?.kind === 'deadline') return `Sync failed: the job deadline passed during ${stop.step}`;
  if (stop?.kind === 'abandoned') {
    return `Sync failed: lost the warehouse during ${stop.step}: ${stop.error.message}`;
  }
  if (failedEssential !== null) return `Sync failed: ${failedEssential.step} failed: ${failedEssential.error.message}`;
  return null;
}

const DATA_PHASES = ['analyze', 'field_values'] as const;
type DataPhase = (typeof DATA_PHASES)[number];

type DataPhaseResult = Omit<PhaseOutcome, 'status'> & { readonly status: 'success' | 'failed' | 'skipped' };

/** One data phase on its resolved tables, or its `skipped` operation row while is_full_sync is false (1.3). */
async function runDataPhase(
  ctx: SyncContext,
  phase: DataPhase,
  scope: PhaseScope,
  newTables: readonly NewTableOutcome[],
  history: TaskHistory,
): Promise<DataPhaseResult> {
  const database = await ctx.appDb.db
    .selectFrom('metabase_database')
    .select('is_full_sync')
    .where('id', '=', ctx.databaseId)
    .executeTakeFirst();
  if (database === undefined || !toBool(database.is_full_sync)) {
    const operationId = await recordSkippedPhase(ctx, history, phase, scope);
    return { status: 'skipped', operationId, stop: null, failedEssential: null };
  }
  const tableIds = await resolveDataTables(ctx, scope, newTables);
  return phase === 'analyze'
    ? runAnalyzePhase(ctx, scope, tableIds, history)
    : runFieldValuesPhase(ctx, scope, tableIds, history);
}

/** The operation row of a data phase dropped because data scanning is disabled: success, no steps run. */
async function recordSkippedPhase(
  ctx: SyncContext,
  history: TaskHistory,
  phase: DataPhase,
  scope: PhaseScope,
): Promise<number> {
  const row = await history.start(OPERATION_TASKS[phase], null);
  await history.finish(
    row,
    'success',
    {
      phase: phase === 'field_values' ? 'field-values' : phase,
      scope: scopeDetail(scope),
      triggers: triggerSources(ctx),
      steps: {},
      'failed-steps': [],
      'not-run': [...PHASE_STEPS[phase]],
      abandoned: null,
      skipped: SCANNING_DISABLED,
      'warehouse-queries': 0,
    },
    null,
  );
  ctx.logger.info(`${phase} skipped: ${SCANNING_DISABLED}`);
  return row.id;
}

/**
 * The synced tables a data phase works on (1.4): every synced table for a database scope; for a table scope its ids
 * plus its new tables as the metadata phase created or found them (looked up by identity when no metadata phase ran),
 * then only those that are synced.
 */
async function resolveDataTables(
  ctx: SyncContext,
  scope: PhaseScope,
  newTables: readonly NewTableOutcome[],
): Promise<number[]> {
  const { db } = ctx.appDb;
  if (scope.database === true) return (await selectSyncedTables(db, ctx.databaseId)).map((t) => t.id);
  const ids = new Set(scope.tables ?? []);
  const outcomes = new Map(newTables.map((o) => [identityKey(o.schema, o.name), o]));
  const unresolved: NewTableRef[] = [];
  for (const ref of scope.new_tables ?? []) {
    const found = outcomes.get(identityKey(ref.schema, ref.name));
    if (found === undefined) unresolved.push(ref);
    else if (found.table_id !== null && (found.status === 'created' || found.status === 'existing')) {
      ids.add(found.table_id);
    }
  }
  const wanted = new Set(unresolved.map((ref) => identityKey(ref.schema, ref.name)));
  for (const table of await selectTablesByIdentity(db, ctx.databaseId, unresolved, false)) {
    if (wanted.has(identityKey(table.schema, table.name))) ids.add(table.id);
  }
  const synced: number[] = [];
  for (const chunk of chunks([...ids].sort((a, b) => a - b), 1000)) {
    const rows = await db
      .selectFrom('metabase_table')
      .select('id')
      .where('db_id', '=', ctx.databaseId)
      .where('id', 'in', chunk)
      .where('active', '=', true)
      .where('visibility_type', 'is', null)
      .orderBy('id')
      .execute();
    synced.push(...rows.map((r) => r.id));
  }
  return synced;
}

/**
 * A table-level full sync (analysis or field values requested for tables) sets initial_sync_status = 'complete' on
 * its tables when the job ends, also when is_full_sync = false left only the metadata phase (1.3, 3.2.8).
 */
async function completeFullTableSync(ctx: SyncContext, newTables: readonly NewTableOutcome[]): Promise<void> {
  const ids = new Set<number>();
  const wanted = new Set<string>();
  for (const phase of ['analyze', 'field_values'] as const) {
    const scope = ctx.job.plan[phase];
    if (scope === undefined || scope.database === true) continue;
    for (const id of scope.tables ?? []) ids.add(id);
    for (const ref of scope.new_tables ?? []) wanted.add(identityKey(ref.schema, ref.name));
  }
  for (const outcome of newTables) {
    const created = outcome.status === 'created' || outcome.status === 'existing';
    if (created && outcome.table_id !== null && wanted.has(identityKey(outcome.schema, outcome.name))) {
      ids.add(outcome.table_id);
    }
  }
  for (const chunk of chunks([...ids].sort((a, b) => a - b), 1000)) {
    await fencedWrite(ctx.appDb, ctx.job, (trx) => completeTables(trx, ctx.databaseId, chunk, ctx.appDb.now(), true));
  }
}
