// POST /api/database/:id/discard_values (curation-notes.md section 1.3): deletes the cached field values of every
// field of the database; {"status":"ok"}. The body is read and ignored. The next field-values run fills them again.
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../app.ts';
import { discardDatabaseValues } from '../catalog/database-edits.ts';
import { getDatabase } from '../catalog/databases.ts';
import { notFound, sendJson } from './replies.ts';
import { ROUTE_ID, routeIdOf } from './validation.ts';

export function registerDatabaseValuesRoute(app: FastifyInstance, deps: AppDeps): void {
  app.post(`/api/database/${ROUTE_ID}/discard_values`, async (request, reply) => {
    const database = await getDatabase(deps.appDb, routeIdOf(request.params));
    if (!database) throw notFound();
    const deleted = await discardDatabaseValues(deps.appDb, database.id);
    request.log.info({ databaseId: database.id, deleted }, 'field values discarded');
    return sendJson(reply, 200, { status: 'ok' });
  });
}
