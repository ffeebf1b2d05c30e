// After a job's end: one summary log line (counts and duration) and the job, phase, warehouse and catalog-write
// metrics, all read from the job's changeset and its task_history rows with one query.
import type { AppDb } from '../db/connect.ts';
import { parseJson } from '../db/schema.ts';
import type { Completion, JobView } from '../jobs/queue.ts';
import type { ChangeGroup } from '../jobs/types.ts';
import type { JobObserver } from '../jobs/worker-pool.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from './metrics.ts';

/** Step counters that count catalog rows written (created, changed, retired or deleted). */
const WRITE_COUNTERS = new Set([
  'created',
  'updated',
  'reactivated',
  'renamed',
  'retired',
  'type-changed',
  'marked',
  'deleted',
  'fields-marked',
  'fields-unmarked',
  'tables-updated',
  'updated-fingerprints',
  'fields-classified',
  'tables-classified',
]);

export interface JobSummary {
  readonly state: 'succeeded' | 'failed';
  readonly duration_ms: number;
  readonly tables: { readonly added: number; readonly changed: number; readonly retired: number };
  readonly fields: { readonly added: number; readonly changed: number; readonly retired: number };
  readonly warehouse_queries: number;
  readonly catalog_rows_written: number;
  readonly error: string | null;
}

interface TaskRowFacts {
  readonly id: number;
  readonly parent_id: number | null;
  readonly status: string;
  readonly duration: number | null;
  readonly task_details: string | null;
}

interface PhaseFacts {
  readonly phase: string;
  readonly status: string;
  readonly seconds: number;
}

/** What the rows of one job say: its phases, its warehouse queries and failures, and the catalog rows it wrote. */
export function taskFacts(rows: readonly TaskRowFacts[]): {
  phases: PhaseFacts[];
  queries: number;
  errors: number;
  rowsWritten: Map<string, number>;
} {
  const phaseOf = new Map<number, string>();
  const phases: PhaseFacts[] = [];
  let queries = 0;
  let errors = 0;
  const operations = rows.filter((r) => r.parent_id === null);
  for (const row of operations) {
    const details = parseJson<Record<string, unknown>>(row.task_details, {});
    const phase = typeof details.phase === 'string' ? details.phase : 'unknown';
    phaseOf.set(row.id, phase);
    phases.push({ phase, status: row.status, seconds: (row.duration ?? 0) / 1000 });
    queries += typeof details['warehouse-queries'] === 'number' ? details['warehouse-queries'] : 0;
    const abandoned = details.abandoned as { step?: unknown } | null | undefined;
    if (abandoned?.step === 'test-connection') errors++;
  }
  const rowsWritten = new Map<string, number>();
  for (const row of rows) {
    if (row.parent_id === null) continue;
    if (row.status === 'failed') errors++;
    const phase = phaseOf.get(row.parent_id) ?? 'unknown';
    const details = parseJson<Record<string, unknown>>(row.task_details, {});
    for (const [key, value] of Object.entries(details)) {
      if (WRITE_COUNTERS.has(key) && typeof value === 'number') {
        rowsWritten.set(phase, (rowsWritten.get(phase) ?? 0) + value);
      }
    }
  }
  return { phases, queries, errors, rowsWritten };
}

function counts(group: ChangeGroup | undefined): JobSummary['tables'] {
  if (group === undefined) return { added: 0, changed: 0, retired: 0 };
  return {
    added: group.created.length + group.reactivated.length,
    changed: group.renamed.length + group['type-changed'].length,
    retired: group.retired.length,
  };
}

/** The observer the service gives its worker pool: summary lines and metrics of every job that ends. */
export function jobSummaryObserver(
  appDb: AppDb,
  logger: Logger,
  metrics: Metrics,
): Required<Pick<JobObserver, 'ended' | 'leasesTakenOver'>> {
  const summarize = async (job: JobView, completion: Completion, durationMs: number): Promise<void> => {
    const [rows, database] = await Promise.all([
      appDb.db
        .selectFrom('task_history')
        .select(['id', 'parent_id', 'status', 'duration', 'task_details'])
        .where('job_id', '=', job.id)
        .orderBy('id')
        .execute(),
      appDb.db.selectFrom('metabase_database').select('engine').where('id', '=', job.databaseId).executeTakeFirst(),
    ]);
    const facts = taskFacts(rows);
    const engine = database?.engine ?? 'unknown';
    metrics.jobsFinished.inc({ state: completion.state });
    metrics.jobDuration.observe({ state: completion.state }, durationMs / 1000);
    for (const { phase, status, seconds } of facts.phases) metrics.phaseDuration.observe({ phase, status }, seconds);
    if (facts.queries > 0) metrics.warehouseQueries.inc({ engine }, facts.queries);
    if (facts.errors > 0) metrics.warehouseErrors.inc({ engine }, facts.errors);
    let written = 0;
    for (const [phase, n] of facts.rowsWritten) {
      written += n;
      if (n > 0) metrics.catalogRowsWritten.inc({ phase }, n);
    }
    const changes = completion.result?.changes;
    const summary: JobSummary = {
      state: completion.state,
      duration_ms: Math.round(durationMs),
      tables: counts(changes?.tables),
      fields: counts(changes?.fields),
      warehouse_queries: facts.queries,
      catalog_rows_written: written,
      error: completion.error,
    };
    logger.info({ job_id: job.id, database_id: job.databaseId, phase: null, summary }, 'job summary');
  };
  return {
    ended(job, completion, durationMs) {
      summarize(job, completion, durationMs).catch((error: unknown) => {
        logger.warn({ job_id: job.id, err: error instanceof Error ? error.message : String(error) }, 'job summary failed');
      });
    },
    leasesTakenOver(count) {
      metrics.leaseTakeovers.inc(count);
    },
  };
}
