// The sync engine's entry point: runs one claimed job (sync-engine.md sections 8.2, 9.2 and 9.5). One driver per
// job, a connection test first, then the metadata phase. Analysis and field values are not built yet: their phases
// are skipped without rows (notify-api section 4.1, "earlier builds").
import type { Config } from '../config.ts';
import { compilePatterns } from '../catalog/cruft.ts';
import { identityKey } from '../catalog/names.ts';
import { chunks, completeTables } from '../catalog/table-rows.ts';
import type { AppDb } from '../db/connect.ts';
import { parseJson } from '../db/schema.ts';
import type { DriverOptions, Engine, WarehouseDriver } from '../drivers/driver.ts';
import { createDriver, driverOptions } from '../drivers/registry.ts';
import { sanitize } from '../errors.ts';
import {
  JobInterrupted,
  PHASES,
  type JobOutcome,
  type JobResult,
  type JobRunner,
  type NewTableOutcome,
  type PhaseName,
  type PhaseScope,
  type RunningJob,
} from '../jobs/types.ts';
import type { Logger } from '../logger.ts';
import { ChangesetBuilder } from './changeset.ts';
import { fencedWrite, type SyncContext } from './context.ts';
import { errorInfo, type ErrorInfo } from './errors.ts';
import {
  metadataSteps,
  runMetadataPhase,
  scopeDetail,
  triggerSources,
  type MetadataOutcome,
} from './metadata-phase.ts';
import { TaskHistory } from './task-history.ts';

export interface SyncDeps {
  readonly appDb: AppDb;
  readonly config: Config;
  readonly logger: Logger;
  /** Defaults to createDriver of src/drivers/registry.ts; tests may pass a wrapper that counts or fails. */
  readonly createDriver?: (
    engine: Engine,
    details: Readonly<Record<string, unknown>>,
    options: DriverOptions,
  ) => WarehouseDriver;
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
  try {
    let ctx: SyncContext;
    try {
      driver = (deps.createDriver ?? createDriver)(
        database.engine as Engine,
        parseJson<Record<string, unknown>>(database.details, {}),
        options,
      );
      await driver.testConnection(job.signal);
      const capabilities = await driver.capabilities(job.signal);
      ctx = {
        appDb,
        config,
        logger,
        job,
        driver,
        capabilities,
        databaseId: job.databaseId,
        cruftTablePatterns: cruftTables.patterns,
        cruftColumnPatterns: cruftColumns.patterns,
        changes,
      };
    } catch (thrown) {
      if (thrown instanceof JobInterrupted) throw thrown;
      if (job.signal.aborted && job.signal.reason instanceof JobInterrupted) throw job.signal.reason;
      const error = job.signal.aborted ? errorInfo(job.signal.reason) : errorInfo(thrown);
      const operationId = await recordConnectionFailure(history, job, firstPhase, error, driver?.queryCount ?? 0);
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

    let metadata: MetadataOutcome | null = null;
    if (job.plan.metadata) metadata = await runMetadataPhase(ctx, job.plan.metadata, history);
    const error = metadata === null ? null : failureSummary(metadata);
    const newTables = metadata?.newTables ?? [];
    if (error === null) await completeFullTableSync(ctx, newTables);
    return outcome(error === null ? 'succeeded' : 'failed', error, {
      phases: metadata === null ? {} : { metadata: metadata.status },
      operations: metadata === null ? [] : [metadata.operationId],
      new_tables: newTables,
    });
  } finally {
    await driver?.close().catch((closeError: unknown) => {
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

/** The job's one-line error (sanitized by the caller), or null when the metadata phase lets the job succeed. */
function failureSummary(metadata: MetadataOutcome): string | null {
  const { stop, failedEssential } = metadata;
  if (stop?.kind === 'deadline') return `Sync failed: the job deadline passed during ${stop.step}`;
  if (stop?.kind === 'abandoned') {
    return `Sync failed: lost the warehouse during ${stop.step}: ${stop.error.message}`;
  }
  if (failedEssential !== null) return `Sync failed: ${failedEssential.step} failed: ${failedEssential.error.message}`;
  return null;
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
