// POST /api/database/:id/sync_schema and POST /api/database/:id/rescan_values (notify-api.md section 6.7): each queues
// an on-demand job for the whole database (or joins its queued job) and answers at once with the job id.
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../app.ts';
import { getDatabase } from '../catalog/databases.ts';
import type { Plan } from '../jobs/types.ts';
import { queueJob } from './job-requests.ts';
import { notFound, sendJson } from './replies.ts';
import { ROUTE_ID, routeIdOf } from './validation.ts';

/** Metadata then analysis, as Metabase does despite the route's name (sync-engine.md section 1.3). */
export const SYNC_SCHEMA_PLAN: Plan = { metadata: { database: true }, analyze: { database: true } };
export const RESCAN_VALUES_PLAN: Plan = { field_values: { database: true } };

const ACTIONS: readonly { readonly route: 'sync_schema' | 'rescan_values'; readonly plan: Plan }[] = [
  { route: 'sync_schema', plan: SYNC_SCHEMA_PLAN },
  { route: 'rescan_values', plan: RESCAN_VALUES_PLAN },
];

export function registerDatabaseActionRoutes(app: FastifyInstance, deps: AppDeps): void {
  for (const { route, plan } of ACTIONS) {
    // The body is read (size limit, JSON syntax) by the body handling and ignored: these routes take no parameters.
    app.post(`/api/database/${ROUTE_ID}/${route}`, async (request, reply) => {
      const database = await getDatabase(deps.appDb, routeIdOf(request.params));
      if (!database) throw notFound();
      const queued = await queueJob(deps, {
        databaseId: database.id,
        plan,
        priority: 10,
        trigger: { source: 'admin', at: new Date().toISOString(), detail: { route } },
      });
      if (queued.kind !== 'enqueued') throw new Error(`the ${route} request was refused by the queue`);
      return sendJson(reply, 200, { status: 'ok', job_id: queued.jobId });
    });
  }
}
