// DELETE /api/database/:id (curation-notes.md section 1.3): 204 with an empty body. The database's jobs, task history
// and catalog go in one transaction (jobs/cancel.ts); this instance's run of its job stops at once, another
// instance's at its next heartbeat or fenced write; requests waiting for its jobs answer that the sync was cancelled.
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../app.ts';
import { deleteDatabaseWithJobs } from '../jobs/cancel.ts';
import { JobCancelled } from '../jobs/types.ts';
import { notFound } from './replies.ts';
import { ROUTE_ID, routeIdOf } from './validation.ts';

export function registerDatabaseDeleteRoute(app: FastifyInstance, deps: AppDeps): void {
  app.delete(`/api/database/${ROUTE_ID}`, async (request, reply) => {
    const id = routeIdOf(request.params);
    const deleted = await deleteDatabaseWithJobs(deps.appDb, id);
    if (!deleted) throw notFound();
    deps.workers.cancel?.(deleted.running, new JobCancelled(`database ${id} was deleted`));
    for (const jobId of [...deleted.running, ...deleted.queued]) deps.events?.notify(jobId);
    request.log.info({ databaseId: id, ...deleted }, 'database deleted');
    return reply.code(204).send();
  });
}
