// The management API's database routes (notify-api.md sections 6.3 to 6.6). The reserved routes of 6.7 are not
// registered, so they answer 404 "API endpoint does not exist." after authentication.
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../app.ts';
import { compareDatabases, databaseObject } from '../catalog/api-objects.ts';
import {
  DETAIL_KEYS,
  SCHEMA_FILTER_TYPES,
  getDatabase,
  listDatabases,
  normalizeDetails,
  registerDatabase,
  type DetailKind,
} from '../catalog/databases.ts';
import { DriverError, ENGINES, type Engine } from '../drivers/driver.ts';
import { createDriver, driverOptions } from '../drivers/registry.ts';
import { HttpError, sanitize } from '../errors.ts';
import { activeTablesWithFields } from './catalog-reads.ts';
import { notFound, sendJson } from './replies.ts';
import {
  ValidationErrors,
  bodyObject,
  optionalBoolean,
  optionalEnum,
  optionalPort,
  optionalString,
  read,
  requiredEnum,
  requiredMap,
  requiredNonBlank,
  ROUTE_ID,
  routeIdOf,
  type JsonObject,
  type Rule,
} from './validation.ts';

const DETAIL_RULES: Readonly<Record<DetailKind, Rule<unknown>>> = {
  'non-blank': requiredNonBlank,
  port: optionalPort,
  string: optionalString,
  boolean: optionalBoolean,
  'schema-filters-type': optionalEnum(SCHEMA_FILTER_TYPES),
};

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
  const values: Record<string, unknown> = {};
  if (engine !== undefined && details !== undefined) {
    for (const { key, kind } of DETAIL_KEYS[engine]) {
      values[key] = read(errors, details, key, DETAIL_RULES[kind], `details.${key}`);
    }
  }
  errors.check();
  return {
    name: name!,
    engine: engine!,
    details: normalizeDetails(engine!, values),
    isAttachedDwh: isAttachedDwh ?? false,
    isFullSync: isFullSync ?? true,
  };
}

/** Connect, authenticate and run one trivial query within the connect timeout; a failure is the 400 answer. */
async function testConnection(deps: AppDeps, input: DatabaseInput): Promise<void> {
  const password = input.details.password;
  const secrets = typeof password === 'string' && password !== '' ? [password] : [];
  const timeoutMs = deps.config.connectTimeoutSeconds * 1000;
  const refuse = (reason: string) => new HttpError(400, { message: sanitize(reason, secrets) }, 'json');
  let driver;
  try {
    driver = createDriver(input.engine, input.details, driverOptions(deps.config));
  } catch (error) {
    if (error instanceof DriverError) throw refuse(error.message);
    throw error;
  }
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    await driver.testConnection(signal);
  } catch (error) {
    if (error instanceof DriverError) throw refuse(error.message);
    if (signal.aborted) {
      throw refuse(`The connection test timed out after ${deps.config.connectTimeoutSeconds} seconds.`);
    }
    throw error;
  } finally {
    await driver.close();
  }
}

export function registerDatabaseRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.get('/api/database', async (_request, reply) => {
    const rows = (await listDatabases(deps.appDb)).sort(compareDatabases);
    return sendJson(reply, 200, { data: rows.map(databaseObject), total: rows.length });
  });

  app.post('/api/database', async (request, reply) => {
    const input = validateDatabaseInput(bodyObject(request.body));
    await testConnection(deps, input);
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
    const tables = await activeTablesWithFields(deps.appDb, database.id);
    return sendJson(reply, 200, { ...databaseObject(database), tables });
  });
}
