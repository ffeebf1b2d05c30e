// The management API's database routes (notify-api.md sections 6.3 to 6.6). The reserved routes of 6.7 are not
// registered, so they answer 404 "API endpoint does not exist." after authentication.
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../app.ts';
import { compareDatabases, databaseObject } from '../catalog/api-objects.ts';
import { getDatabase, listDatabases, normalizeDetails, registerDatabase } from '../catalog/databases.ts';
import { ENGINES, type Engine } from '../drivers/driver.ts';
import { activeTablesJson } from './catalog-reads.ts';
import { readDetails, testConnection } from './database-details.ts';
import { notFound, sendJson, sendJsonStream } from './replies.ts';
import {
  ValidationErrors,
  bodyObject,
  optionalBoolean,
  read,
  requiredEnum,
  requiredMap,
  requiredNonBlank,
  ROUTE_ID,
  routeIdOf,
  type JsonObject,
} from './validation.ts';

interface DatabaseInput {
  readonly name: string;
  readonly engine: Engine;
  readonly details: Record<string, unknown>;
  readonly isAttachedDwh: boolean;
  readonly isFullSync: boolean;
}

/** Section 6.3: top-level keys, then (engine valid and details a map) the engine's details keys as `details.<key>`. */
function validateDatabaseInput(body: JsonObject): DatabaseInput {
  const errors = new ValidationErrors();
  const name = read(errors, body, 'name', requiredNonBlank);
  const engine = read(errors, body, 'engine', requiredEnum(ENGINES));
  const details = read(errors, body, 'details', requiredMap);
  const isAttachedDwh = read(errors, body, 'is_attached_dwh', optionalBoolean);
  const isFullSync = read(errors, body, 'is_full_sync', optionalBoolean);
  const values = engine !== undefined && details !== undefined ? readDetails(errors, engine, details, 'details.') : {};
  errors.check();
  return {
    name: name!,
    engine: engine!,
    details: normalizeDetails(engine!, values),
    isAttachedDwh: isAttachedDwh ?? false,
    isFullSync: isFullSync ?? true,
  };
}

export function registerDatabaseRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.get('/api/database', async (_request, reply) => {
    const rows = (await listDatabases(deps.appDb)).sort(compareDatabases);
    return sendJson(reply, 200, { data: rows.map(databaseObject), total: rows.length });
  });

  app.post('/api/database', async (request, reply) => {
    const input = validateDatabaseInput(bodyObject(request.body));
    await testConnection(deps, input.engine, input.details);
    const { database } = await registerDatabase(
      deps.appDb,
      input,
      { source: 'creation', at: new Date().toISOString() },
    );
    deps.workers.wake();
    request.log.info({ databaseId: database.id, engine: database.engine }, 'database registered');
    return sendJson(reply, 200, databaseObject(database));
  });

  app.get(`/api/database/${ROUTE_ID}`, async (request, reply) => {
    const database = await getDatabase(deps.appDb, routeIdOf(request.params));
    if (!database) throw notFound();
    return sendJson(reply, 200, databaseObject(database));
  });

  app.get(`/api/database/${ROUTE_ID}/metadata`, async (request, reply) => {
    const database = await getDatabase(deps.appDb, routeIdOf(request.params));
    if (!database) throw notFound();
    return sendJsonStream(reply, 200, databaseObject(database), 'tables', activeTablesJson(deps.appDb, database.id));
  });
}
