// A running job's progress (issue 9): GET /api/notify/job/:id/progress with the notify key (what `catalog-sync notify
// --wait` polls, so an ETL script needs no admin key) and GET /api/ui/job/:id/progress with the admin key (the admin
// page). The Job object of section 4.5 gets no extra key: its body is an exact contract.
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../app.ts';
import { parseJson } from '../db/schema.ts';
import { reportJob } from '../jobs/wait.ts';
import type { ProgressSnapshot } from '../sync/progress.ts';
import { notFound, sendJson } from './replies.ts';
import { ROUTE_ID, routeIdOf } from './validation.ts';

export interface JobProgressObject {
  readonly id: number;
  readonly status: 'queued' | 'running' | 'succeeded' | 'failed';
  /** The job carrying the work on (the end of its retried_as chain). */
  readonly running_job_id: number;
  /** Phase, step and tables done of the running job, as last recorded (about once per second); null otherwise. */
  readonly progress: ProgressSnapshot | null;
}

export function registerJobProgressRoutes(app: FastifyInstance, deps: AppDeps): void {
  for (const root of ['/api/notify/job', '/api/ui/job']) {
    app.get(`${root}/${ROUTE_ID}/progress`, async (request, reply) => {
      const report = await reportJob(deps.appDb, routeIdOf(request.params));
      if (!report) throw notFound();
      let progress: ProgressSnapshot | null = null;
      if (report.status === 'running') {
        const row = await deps.appDb.db
          .selectFrom('sync_job')
          .select(['state', 'progress'])
          .where('id', '=', report.end.id)
          .executeTakeFirst();
        if (row?.state === 'running') progress = parseJson<ProgressSnapshot | null>(row.progress, null);
      }
      const body: JobProgressObject = { id: report.job.id, status: report.status, running_job_id: report.end.id, progress };
      return sendJson(reply, 200, body);
    });
  }
}
