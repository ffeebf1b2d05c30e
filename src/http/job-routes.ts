// GET /api/notify/job/:id (notify-api.md section 4.5, Extension X18): a job's status, plan, timestamps, task history
// rows, changeset and error. Skipped jobs (scheduled fires a running job covered) are never reported.
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../app.ts';
import { getDatabase } from '../catalog/databases.ts';
import { parseJson } from '../db/schema.ts';
import { sanitize } from '../errors.ts';
import type { Changeset, Plan } from '../jobs/types.ts';
import { reportJob, type JobReport, type ReportedStatus } from '../jobs/wait.ts';
import { jobDeliveries } from '../webhooks/outbox.ts';
import { notFound, sendJson } from './replies.ts';
import { jobTasks, type TaskObject } from './task-routes.ts';
import { ROUTE_ID, routeIdOf } from './validation.ts';

/** The Job object of section 4.5, exactly these keys. */
export interface JobObject {
  readonly id: number;
  readonly database_id: number;
  readonly status: ReportedStatus;
  readonly plan: Plan;
  readonly enqueued_at: string;
  readonly started_at: string | null;
  readonly finished_at: string | null;
  readonly steps: readonly TaskObject[];
  readonly changes: Changeset | null;
  readonly error: string | null;
}

/**
 * The Job object of a reported job: its own plan, timestamps and rows; the status and error of the end of its
 * retried_as chain; its changeset once the reported status is terminal (null when it recorded none).
 */
export function jobObject(report: JobReport, steps: readonly TaskObject[], secrets: readonly string[]): JobObject {
  const { job, status } = report;
  const terminal = status === 'succeeded' || status === 'failed';
  return {
    id: job.id,
    database_id: job.databaseId,
    status,
    plan: job.plan,
    enqueued_at: job.enqueuedAt,
    started_at: job.startedAt,
    finished_at: job.finishedAt,
    steps,
    changes: terminal ? (job.result?.changes ?? null) : null,
    error: report.error === null ? null : sanitize(report.error, secrets),
  };
}

export function registerJobRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.get(`/api/notify/job/${ROUTE_ID}`, async (request, reply) => {
    const report = await reportJob(deps.appDb, routeIdOf(request.params));
    if (!report) throw notFound();
    const steps = await jobTasks(deps.appDb, report.job.id);
    const secrets = [deps.config.apiKey, deps.config.adminApiKey].filter((k): k is string => k !== null);
    if (report.error !== null) {
      const database = await getDatabase(deps.appDb, report.job.databaseId);
      const password = parseJson<Record<string, unknown>>(database?.details, {}).password;
      if (typeof password === 'string' && password !== '') secrets.push(password);
    }
    const object = jobObject(report, steps, secrets);
    // Extension: only when change webhooks are configured, the job's deliveries (README, departures from the spec).
    if (deps.config.webhookUrls.length === 0) return sendJson(reply, 200, object);
    return sendJson(reply, 200, { ...object, webhook_deliveries: await jobDeliveries(deps.appDb, report.job.id) });
  });
}
