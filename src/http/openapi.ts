// OpenAPI 3.1 at GET /api/docs/openapi.json and a readable page at /api/docs (issue 8). Every route registered on the
// application is collected by an onRoute hook and becomes a path; its parameters and body are described by the same
// Rule objects (validation.ts) that validate its requests, through routeSchema(). Fastify's own validation stays
// off (a pass-through validator) so that the contract's exact 400 bodies are kept.
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { ENGINES } from '../drivers/driver.ts';
import { scopeOf } from './auth.ts';
import { DATABASE_UPDATE_BODY } from './database-update-route.ts';
import { editRules, requiredIds } from './edit-rules.ts';
import { FIELD_EDIT, remappedValues } from './field-routes.ts';
import { sendJson } from './replies.ts';
import { BULK_EDIT, TABLE_EDIT } from './table-routes.ts';
import { nonNegative, TASK_STATUSES } from './task-routes.ts';
import {
  optionalBoolean,
  optionalEnum,
  optionalId,
  optionalNonBlank,
  optionalString,
  requiredEnum,
  requiredMap,
  requiredNonBlank,
  ROUTE_ID,
  routeId,
  routeSchema,
  type JsonSchema,
  type RouteRules,
} from './validation.ts';

export const DOCS_PREFIX = '/api/docs';
export const OPENAPI_PATH = `${DOCS_PREFIX}/openapi.json`;

const ID = { id: routeId };

/**
 * The rules of the routes whose handlers read more than the route id (the id alone is filled in for any `:id` route),
 * keyed by method and Fastify path; the handlers read their keys with these same Rule objects.
 */
const ROUTE_RULES: Readonly<Record<string, RouteRules>> = {
  [`POST /api/notify/db/${ROUTE_ID}`]: {
    params: ID,
    body: {
      table_id: optionalId,
      table_name: optionalNonBlank,
      schema_name: optionalNonBlank,
      scan: optionalEnum(['full', 'schema']),
      'synchronous?': optionalBoolean,
    },
  },
  [`POST /api/notify/db/${ROUTE_ID}/new-table`]: {
    params: ID,
    body: { schema_name: requiredNonBlank, table_name: requiredNonBlank },
  },
  'POST /api/notify/db/attached_datawarehouse': {
    body: { table_name: optionalNonBlank, schema_name: optionalString, 'synchronous?': optionalBoolean },
  },
  'POST /api/database': {
    body: {
      name: requiredNonBlank,
      engine: requiredEnum(ENGINES),
      details: requiredMap,
      is_attached_dwh: optionalBoolean,
      is_full_sync: optionalBoolean,
    },
  },
  [`PUT /api/database/${ROUTE_ID}`]: { params: ID, body: DATABASE_UPDATE_BODY },
  'PUT /api/table': { body: { ids: requiredIds, ...editRules(BULK_EDIT) } },
  [`PUT /api/table/${ROUTE_ID}`]: { params: ID, body: editRules(TABLE_EDIT) },
  [`PUT /api/field/${ROUTE_ID}`]: { params: ID, body: editRules(FIELD_EDIT) },
  [`POST /api/field/${ROUTE_ID}/values`]: { params: ID, body: { values: remappedValues } },
  'GET /api/task': {
    querystring: { limit: nonNegative, offset: nonNegative, db_id: optionalId, status: optionalEnum(TASK_STATUSES) },
  },
};

interface Operation {
  readonly tags: readonly string[];
  readonly summary: string;
  readonly parameters?: readonly JsonSchema[];
  readonly requestBody?: JsonSchema;
  readonly responses: JsonSchema;
  readonly security?: readonly JsonSchema[];
}

/** `/api/database/:id(^[0-9]+$)/schema/:schema` → `/api/database/{id}/schema/{schema}`; `*` → `{wildcard}`. */
export function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z_][A-Za-z0-9_]*)(\([^)]*\))?/g, '{$1}').replace(/\*$/, '{wildcard}');
}

function parametersOf(url: string, schema: Record<string, JsonSchema> | undefined): JsonSchema[] {
  const parameters: JsonSchema[] = [];
  const params = (schema?.params?.properties ?? {}) as Record<string, JsonSchema>;
  for (const match of openApiPath(url).matchAll(/\{([^}]+)\}/g)) {
    const name = match[1]!;
    const { description, ...rest } = params[name] ?? { type: 'string' };
    parameters.push({ name, in: 'path', required: true, schema: rest, ...(description ? { description } : {}) });
  }
  const query = (schema?.querystring?.properties ?? {}) as Record<string, JsonSchema>;
  for (const [name, { description, ...rest }] of Object.entries(query)) {
    parameters.push({ name, in: 'query', required: false, schema: rest, ...(description ? { description } : {}) });
  }
  return parameters;
}

/** `/api/database/…` → `database`; `/livez` → `livez`; `/` → `ui`. */
function tagOf(url: string): string {
  const segments = url.split('/').filter((s) => s !== '');
  return (segments[0] === 'api' ? segments[1] : segments[0])?.replace(/[:*(].*$/, '') || 'ui';
}

function operationOf(url: string, schema: Record<string, JsonSchema> | undefined): Operation {
  const scope = scopeOf(url);
  const security =
    scope === 'notify' ? [{ notifyKey: [] }] : scope === 'management' ? [{ adminKey: [] }] : undefined;
  const parameters = parametersOf(url, schema);
  return {
    tags: [tagOf(url)],
    summary: url,
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(schema?.body ? { requestBody: { content: { 'application/json': { schema: schema.body } } } } : {}),
    responses: {
      '200': { description: 'Success, in the shape of notify-api.md or curation-notes.md for this route.' },
      default: {
        description:
          'An error of the contract: 400 `{"errors": …, "specific-errors": …}` naming each invalid key, 403 without the ' +
          'key, 404 "Not found." or "API endpoint does not exist.", and so on.',
      },
    },
    ...(security ? { security } : {}),
  };
}

/** The OpenAPI document of the collected routes (hidden ones left out); pure. */
export function openApiDocument(routes: readonly Pick<RouteOptions, 'method' | 'url' | 'schema'>[]): JsonSchema {
  const paths: Record<string, Record<string, Operation>> = {};
  for (const route of routes) {
    const schema = route.schema as (Record<string, JsonSchema> & { hide?: boolean }) | undefined;
    if (schema?.hide) continue;
    const path = openApiPath(route.url);
    for (const method of [route.method].flat()) {
      (paths[path] ??= {})[method.toLowerCase()] = operationOf(route.url, schema);
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'catalog-sync',
      version: '1',
      description: "Metabase's /api/notify and the management API of a metadata catalog (notify-api.md).",
    },
    components: {
      securitySchemes: {
        notifyKey: { type: 'apiKey', in: 'header', name: 'X-METABASE-APIKEY' },
        adminKey: { type: 'apiKey', in: 'header', name: 'X-API-KEY' },
      },
    },
    paths: Object.fromEntries(Object.entries(paths).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
  };
}

/**
 * Call first in buildApp: collects every route registered after it (giving each its rules' schema), turns Fastify's
 * schema validation into a pass-through, and serves the document and the page. Returns the collected routes.
 */
export function installOpenApi(app: FastifyInstance): readonly RouteOptions[] {
  const routes: RouteOptions[] = [];
  app.setValidatorCompiler(() => () => true);
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  app.addHook('onRoute', (route) => {
    const methods = [route.method].flat();
    const rules = ROUTE_RULES[`${methods[0]} ${route.url}`] ?? (route.url.includes(ROUTE_ID) ? { params: ID } : null);
    if (route.schema === undefined && rules !== null) route.schema = routeSchema(rules);
    routes.push(route);
  });
  // Filled once every route is known; @fastify/swagger serves this same object to the page.
  const document: Record<string, unknown> = {};
  app.addHook('onReady', async () => void Object.assign(document, openApiDocument(routes)));
  app.register(swagger, { mode: 'static', specification: { document: document as never } });
  app.register(swaggerUi, { routePrefix: DOCS_PREFIX });
  app.get(OPENAPI_PATH, { schema: { hide: true } }, async (_request, reply) => sendJson(reply, 200, document));
  return routes;
}
