// One phase of a job (sync-engine.md sections 1.2, 7 and 9): its steps in order, one task_history row per executed
// step under one operation row, and the stop rules shared by every phase: a connection or authentication error
// abandons the job and the deadline stops it; any other step failure is recorded and the next step runs.
import { JobDeadlineExceeded, JobInterrupted, type PhaseScope } from '../jobs/types.ts';
import type { SyncContext } from './context.ts';
import { abandonsJob, errorInfo, type ErrorInfo } from './errors.ts';
import { StepReport } from './step-report.ts';
import type { TaskHistory } from './task-history.ts';

/** Why a job stops before its end: a connection or authentication error (9.2), or the job deadline (8.7). */
export interface JobStop {
  readonly kind: 'abandoned' | 'deadline';
  readonly step: string;
  readonly error: ErrorInfo;
}

export type StepStatus = 'success' | 'failed';

/** What a phase reports to the job runner (7.4, 8.2). */
export interface PhaseOutcome {
  readonly status: StepStatus;
  readonly operationId: number;
  /** A connection or authentication error abandoned the job, or the deadline passed. */
  readonly stop: JobStop | null;
  /** The first essential step that failed as a whole. */
  readonly failedEssential: { readonly step: string; readonly error: ErrorInfo } | null;
}

/** The `skipped` reason of a data phase, or of its remaining work, while is_full_sync is false (1.3, 6.5). */
export const SCANNING_DISABLED = 'data scanning disabled for this database';

/** `scope` of task_details (7.3): "database", or the tables and new tables of a table-level run. */
export function scopeDetail(scope: PhaseScope): unknown {
  if (scope.database === true) return 'database';
  return { tables: [...(scope.tables ?? [])], 'new-tables': [...(scope.new_tables ?? [])] };
}

/** Trigger sources of the job, each once, in order (7.4). */
export function triggerSources(ctx: Pick<SyncContext, 'job'>): string[] {
  return [...new Set(ctx.job.triggers.map((t) => t.source))];
}

export interface PhaseSpec<S extends string> {
  /** The operation row's task: `sync`, `analyze` or `field values scanning`. */
  readonly task: string;
  /** task_details.phase of the operation row. */
  readonly phase: 'metadata' | 'analyze' | 'field-values';
  readonly scope: PhaseScope;
  readonly steps: readonly S[];
  readonly essential: ReadonlySet<string>;
  readonly run: Readonly<Record<S, (report: StepReport) => Promise<void>>>;
  /** The step's report, when its counters must appear even at zero (defaults to an empty report). */
  readonly report?: (step: S) => StepReport;
  /** Runs after the last step and before the operation row is finished (metadata: initial sync status). */
  readonly afterSteps?: (statuses: Readonly<Record<string, StepStatus>>, stop: JobStop | null) => Promise<void>;
}

export async function runPhase<S extends string>(
  ctx: SyncContext,
  history: TaskHistory,
  spec: PhaseSpec<S>,
): Promise<PhaseOutcome> {
  const signal = ctx.job.signal;
  const detailScope = scopeDetail(spec.scope);
  const operation = await history.start(spec.task, null);
  const statuses: Record<string, StepStatus> = {};
  const failedSteps: string[] = [];
  const notRun: string[] = [];
  let stop: JobStop | null = null;
  let failedEssential: PhaseOutcome['failedEssential'] = null;
  let queries = 0;
  for (const step of spec.steps) {
    if (stop !== null) {
      notRun.push(step);
      continue;
    }
    ctx.progress?.step(spec.phase, step);
    const row = await history.start(step, operation.id);
    ctx.logger.info({ step }, `${step} started`);
    const report = spec.report?.(step) ?? new StepReport();
    const before = ctx.driver.queryCount;
    let error: ErrorInfo | null = null;
    try {
      await spec.run[step](report);
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
      if (spec.essential.has(step)) failedEssential ??= { step, error };
      failedSteps.push(step);
      report.log('error', `${step} failed: ${error.code}: ${error.message}`);
    }
    const stepQueries = ctx.driver.queryCount - before;
    queries += stepQueries;
    const status: StepStatus = error === null ? 'success' : 'failed';
    statuses[step] = status;
    const details = {
      scope: detailScope,
      ...report.details(),
      'warehouse-queries': stepQueries,
      ...(error === null ? {} : { error }),
    };
    await history.finish(row, status, details, report.logs());
    ctx.logger.info(
      { step, status, duration_ms: row.elapsed(), details },
      `${step} ${status}`,
    );
  }

  await spec.afterSteps?.(statuses, stop);
  const status: StepStatus = stop !== null || failedEssential !== null ? 'failed' : 'success';
  await history.finish(
    operation,
    status,
    {
      phase: spec.phase,
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
  return { status, operationId: operation.id, stop, failedEssential };
}
