// GET /api/database/:id/schemas and GET /api/database/:id/schema/:schema (curation-notes.md section 1.3): the schema
// names of a database's active tables, and the active tables of one schema. `include_hidden=true` adds the tables
// whose visibility_type is set; `/schema/` names the tables without a schema.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppDeps } from '../app.ts';
import { tableObject } from '../catalog/api-objects.ts';
import { listSchemas, schemaTables } from '../catalog/database-edits.ts';
import { getDatabase } from '../catalog/databases.ts';
import { notFound, sendJson } from './replies.ts';
import { ROUTE_ID, routeIdOf } from './validation.ts';

/** A boolean query parameter: "true" in any case is true, anything else (or absence) false. */
function includeHidden(request: FastifyRequest): boolean {
  const value = (request.query as Record<string, unknown> | undefined)?.include_hidden;
  return typeof value === 'string' && value.toLowerCase() === 'true';
}

async function databaseOf(deps: AppDeps, request: FastifyRequest): Promise<number> {
  const database = await getDatabase(deps.appDb, routeIdOf(request.params));
  if (!database) throw notFound();
  return database.id;
}

export function registerDatabaseSchemaRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.get(`/api/database/${ROUTE_ID}/schemas`, async (request, reply) => {
    const id = await databaseOf(deps, request);
    return sendJson(reply, 200, await listSchemas(deps.appDb, id, includeHidden(request)));
  });

  const tablesOf = async (request: FastifyRequest, schema: string) => {
    const id = await databaseOf(deps, request);
    const tables = await schemaTables(deps.appDb, id, schema, includeHidden(request));
    // Metabase: check-404 on the sequence, so an empty schema is "Not found."
    if (tables.length === 0) throw notFound();
    return tables.map(tableObject);
  };
  app.get(`/api/database/${ROUTE_ID}/schema/`, async (request, reply) =>
    sendJson(reply, 200, await tablesOf(request, '')),
  );
  app.get(`/api/database/${ROUTE_ID}/schema/:schema`, async (request, reply) =>
    sendJson(reply, 200, await tablesOf(request, (request.params as { schema: string }).schema)),
  );
}
