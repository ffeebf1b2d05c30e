// Plans, triggers and results of sync jobs (sync-engine.md sections 8.3 and 8.6), shared by jobs/, sync/ and http/.
import type { JobLog } from '../logger.ts';
import type { Transaction } from 'kysely';
import type { AppSchema } from '../db/schema.ts';

export interface NewTableRef {
  /** Null on engines without schemas (notify-api X20). */
  readonly schema: string | null;
  readonly name: string;
}

/** `{database: true}` (maybe with absorbed new tables) or a set of tables; empty lists are left out. */
export type PhaseScope =
  | { readonly database: true; readonly new_tables?: readonly NewTableRef[] }
  | { readonly database?: undefined; readonly tables?: readonly number[]; readonly new_tables?: readonly NewTableRef[] };

export type PhaseName = 'metadata' | 'analyze' | 'field_values';
export const PHASES: readonly PhaseName[] = ['metadata', 'analyze', 'field_values'];

export type Plan = { readonly [P in PhaseName]?: PhaseScope };

export type TriggerSource = 'notify' | 'admin' | 'schedule' | 'creation' | 'sample' | 'retry';

export interface Trigger {
  readonly source: TriggerSource;
  readonly at: string;
  readonly detail?: unknown;
}

export type NewTableStatus = 'created' | 'existing' | 'absent' | 'failed';

export interface NewTableOutcome {
  readonly schema: string | null;
  readonly name: string;
  readonly status: NewTableStatus;
  readonly table_id: number | null;
}

type ChangeList = readonly (string | { readonly from: string; readonly to: string })[];

export interface ChangeGroup {
  readonly created: ChangeList;
  readonly reactivated: ChangeList;
  readonly retired: ChangeList;
  readonly renamed: ChangeList;
  readonly 'type-changed': ChangeList;
}

export interface Changeset {
  readonly tables: ChangeGroup;
  readonly fields: ChangeGroup;
}

/** sync_job.result. */
export interface JobResult {
  readonly phases: { readonly [P in PhaseName]?: 'success' | 'failed' | 'skipped' };
  readonly operations: readonly number[];
  readonly new_tables: readonly NewTableOutcome[];
  readonly changes: Changeset;
}

/** A job as the worker hands it to the sync engine. */
export interface RunningJob {
  readonly id: number;
  readonly databaseId: number;
  readonly plan: Plan;
  readonly triggers: readonly Trigger[];
  /** Aborted on deadline, shutdown or lost lease. */
  readonly signal: AbortSignal;
  /**
   * The lease check that begins every catalog write transaction of the job (sync-engine.md section 8.5). Throws
   * (and so rolls the transaction back) when the job no longer holds its lease.
   */
  fence(trx: Transaction<AppSchema>): Promise<void>;
  /** The job's logger (its keys and current phase); the runner makes its own when absent. */
  readonly log?: JobLog;
}

export interface JobOutcome {
  readonly state: 'succeeded' | 'failed';
  /** Sanitized failure summary, null on success. */
  readonly error: string | null;
  readonly result: JobResult;
}

/** What the worker pool runs for each claimed job: the sync engine's entry point. */
export type JobRunner = (job: RunningJob) => Promise<JobOutcome>;

/**
 * The abort reason of a job's signal when the job must stop without failing: its lease was lost or the service is
 * shutting down. The worker then marks the job interrupted and hands its plan on (sync-engine.md sections 8.5, 8.9).
 * A job deadline (MB_SYNC_JOB_TIMEOUT_SECONDS) aborts with a JobDeadlineExceeded instead, and the job fails.
 */
export class JobInterrupted extends Error {
  override readonly name = 'JobInterrupted';
}

export class JobDeadlineExceeded extends Error {
  override readonly name = 'JobDeadlineExceeded';
}

/**
 * The abort reason of a job whose database was deleted (DELETE /api/database/:id): its row is gone, so nothing is
 * handed on; it stops at once on the deleting instance, and at its next heartbeat or fenced write on any other.
 */
export class JobCancelled extends JobInterrupted {}
