// The HTTP application: Fastify configured for the contract of notify-api.md (exact paths, digit-only ids, HEAD as a
// method of its own, the gate before routing and body reading, the contract's error bodies). It never listens.
import Fastify, { type FastifyInstance } from 'fastify';
import type { Config } from './config.ts';
import type { AppDb } from './db/connect.ts';
import { installBodyHandling, BODY_LIMIT } from './http/body.ts';
import { registerDatabaseActionRoutes } from './http/database-action-routes.ts';
import { registerDatabaseDeleteRoute } from './http/database-delete-route.ts';
import { registerDatabaseRoutes } from './http/database-routes.ts';
import { registerDatabaseSchemaRoutes } from './http/database-schema-routes.ts';
import { registerDatabaseUpdateRoute } from './http/database-update-route.ts';
import { registerDatabaseValidateRoute } from './http/database-validate-route.ts';
import { registerDatabaseValuesRoute } from './http/database-values-route.ts';
import { errorHandler } from './http/error-handler.ts';
import { registerFieldRoutes } from './http/field-routes.ts';
import { createGate } from './http/gate.ts';
import { registerHealthRoutes } from './http/health-routes.ts';
import { registerJobProgressRoutes } from './http/job-progress-routes.ts';
import { registerJobRoutes } from './http/job-routes.ts';
import { registerMetricsRoutes } from './http/metrics-routes.ts';
import { registerNotifyRoutes } from './http/notify-routes.ts';
import { installOpenApi } from './http/openapi.ts';
import { registerProbeRoutes } from './http/probe-routes.ts';
import { ROUTE_NOT_FOUND, sendText } from './http/replies.ts';
import { registerTableRoutes } from './http/table-routes.ts';
import { registerTaskRoutes } from './http/task-routes.ts';
import { registerUiApiRoutes } from './http/ui-api-routes.ts';
import { registerUiRoutes } from './http/ui-routes.ts';
import type { JobCancelled } from './jobs/types.ts';
import type { JobEvents } from './jobs/wait.ts';
import type { Logger } from './logger.ts';
import { Metrics } from './metrics/metrics.ts';

export interface AppDeps {
  readonly config: Config;
  readonly appDb: AppDb;
  readonly logger: Logger;
  /** The worker pool, woken after every enqueue; `cancel` stops its runs of a deleted database's jobs at once. */
  readonly workers: { wake(): void; cancel?(jobIds: readonly number[], reason: JobCancelled): void };
  /** Prompt wake-ups of waiting requests when a job of this process ends. */
  readonly events?: JobEvents;
  /** /api/health answers 503 until this is true (default: always true). */
  readonly isReady?: () => boolean;
  /** The instance's metrics (the service passes one with process metrics; default: a fresh one without). */
  readonly metrics?: Metrics;
}

// The longest id Node lets through in a request line; longer ids must still reach the handler (404 "Not found.").
const MAX_PARAM_LENGTH = 16_384;

export function buildApp(deps: AppDeps): FastifyInstance {
  const app = Fastify({
    loggerInstance: deps.logger,
    exposeHeadRoutes: false,
    bodyLimit: BODY_LIMIT,
    routerOptions: {
      ignoreTrailingSlash: false,
      ignoreDuplicateSlashes: false,
      caseSensitive: true,
      maxParamLength: MAX_PARAM_LENGTH,
    },
    // A path the router cannot decode is no route, but only after the gate has had its say.
    frameworkErrors: (_error, request, reply) => gate(request, reply) ?? sendText(reply, 404, ROUTE_NOT_FOUND),
  }) as unknown as FastifyInstance;
  const gate = createGate(deps.config);
  // First: every route registered after this is collected into the OpenAPI document.
  installOpenApi(app);

  app.addHook('onRequest', async (request, reply) => gate(request, reply) ?? undefined);
  installBodyHandling(app);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(async (request, reply) => gate(request, reply) ?? sendText(reply, 404, ROUTE_NOT_FOUND));

  registerHealthRoutes(app, deps.isReady ?? (() => true));
  registerProbeRoutes(app, deps.appDb, deps.isReady ?? (() => true));
  registerMetricsRoutes(app, deps.metrics ?? new Metrics(deps.appDb, { defaultMetrics: false }));
  registerNotifyRoutes(app, deps);
  registerDatabaseRoutes(app, deps);
  registerDatabaseActionRoutes(app, deps);
  registerDatabaseUpdateRoute(app, deps);
  registerDatabaseDeleteRoute(app, deps);
  registerDatabaseValuesRoute(app, deps);
  registerDatabaseSchemaRoutes(app, deps);
  registerDatabaseValidateRoute(app, deps);
  registerFieldRoutes(app, deps);
  registerTableRoutes(app, deps);
  registerJobRoutes(app, deps);
  registerJobProgressRoutes(app, deps);
  registerTaskRoutes(app, deps);
  registerUiApiRoutes(app, deps);
  registerUiRoutes(app);
  return app;
}
