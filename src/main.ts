// The service: config → application database (SQLite: lock file) → migrations → sample database (empty catalog
// only) → workers, scheduler, retention → HTTP, and the graceful stop that undoes it in reverse (sync-engine.md 8.9).
import { setTimeout as delay } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.ts';
import { bindDetailsCodec, codecForSecret } from './catalog/details-codec.ts';
import { verifyEncryptionKey } from './catalog/encryption-check.ts';
import type { Config } from './config.ts';
import { applyConfigPlan } from './config-file/apply.ts';
import { configFileToApply, readConfigFile } from './config-file/load.ts';
import { openAppDb, type AppDb } from './db/connect.ts';
import { migrate } from './db/migrate.ts';
import { acquireSqliteLock, type SqliteLock } from './db/sqlite-lock.ts';
import { DriverCache } from './drivers/driver-cache.ts';
import { RetentionTimer } from './jobs/retention.ts';
import { Scheduler } from './jobs/scheduler.ts';
import { WorkerPool } from './jobs/worker-pool.ts';
import type { Logger } from './logger.ts';
import { createOperations, type Operations } from './ops/operations.ts';
import { registerSampleDatabase } from './sample/register-sample.ts';
import { createJobRunner } from './sync/run-job.ts';

export interface Service {
  readonly app: FastifyInstance;
  readonly appDb: AppDb;
  readonly workers: WorkerPool;
  /** `http://host:port` once listening, null when started without listening (tests use app.inject()). */
  readonly url: string | null;
  /** Stops accepting requests, stops the workers within the shutdown grace, closes the database, frees the lock. */
  stop(): Promise<void>;
}

/** Time answers of requests that waited for a job get to go out after the workers stopped. */
const RESPONSE_FLUSH_MS = 1000;

export async function startService(
  config: Config,
  logger: Logger,
  options: { listen?: boolean; env?: Readonly<Record<string, string | undefined>> } = {},
): Promise<Service> {
  for (const warning of config.warnings) logger.warn(warning);
  // The config file is read, validated and expanded (with the caller's environment) before the database is opened.
  const configFile = configFileToApply(config.configFilePath);
  const filePlan = configFile === null ? null : readConfigFile(configFile, options.env ?? {});
  const lock = config.dbType === 'sqlite' ? acquireSqliteLock(config.dbFile) : null;
  let appDb: AppDb | null = null;
  let workers: WorkerPool | null = null;
  let drivers: DriverCache | null = null;
  let timers: readonly (Scheduler | RetentionTimer | Operations)[] = [];
  let app: FastifyInstance | null = null;
  try {
    appDb = openAppDb(
      config.dbType === 'sqlite'
        ? { kind: 'sqlite', file: config.dbFile }
        : { kind: 'postgres', connectionUri: config.dbConnectionUri ?? '', max: config.appDbPoolSize },
    );
    await migrate(appDb);
    const codec = codecForSecret(config.encryptionSecretKey);
    bindDetailsCodec(appDb, codec);
    await verifyEncryptionKey(appDb, codec);
    if (filePlan !== null) {
      const applied = await applyConfigPlan(appDb, filePlan);
      logger.info(
        {
          file: configFile,
          created: applied.created,
          updated: applied.updated,
          deleted: applied.deleted,
          unchanged: applied.unchanged.length,
        },
        'config file applied',
      );
    }
    await registerSampleDatabase({ appDb, config, logger });
    drivers = new DriverCache();
    const operations = createOperations({ appDb, config, logger });
    const runner = createJobRunner({ appDb, config, logger, drivers });
    workers = new WorkerPool({ appDb, config, logger, runner, observer: operations.observer });
    workers.start();
    const pool = workers;
    const retention = new RetentionTimer({ appDb, logger, maxTaskHistoryRows: config.taskHistoryMaxRows });
    if (config.disableScheduler) logger.info('MB_DISABLE_SCHEDULER is true: this instance fires no scheduled syncs');
    timers = config.disableScheduler
      ? [retention]
      : [new Scheduler({ appDb, logger, wake: () => pool.wake() }), retention];
    timers = [...timers, operations];
    for (const timer of timers) timer.start();
    // Built once migrations ran: this process never serves /api/health's 503 "initializing" (notify-api 6.0).
    app = buildApp({ config, appDb, logger, workers, events: workers.events, metrics: operations.metrics });
    let url: string | null = null;
    if (options.listen) {
      await app.listen({ host: config.host, port: config.port });
      url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}`;
      logger.info(`catalog-sync listening on ${url}`);
    } else {
      await app.ready();
    }
    await operations.listen();
    return createService(app, appDb, workers, drivers, timers, url, lock, logger);
  } catch (error) {
    await app?.close().catch(() => undefined);
    await Promise.all(timers.map((timer) => timer.stop().catch(() => undefined)));
    await workers?.stop().catch(() => undefined);
    await drivers?.closeAll().catch(() => undefined);
    await appDb?.close().catch(() => undefined);
    lock?.release();
    throw error;
  }
}

function createService(
  app: FastifyInstance,
  appDb: AppDb,
  workers: WorkerPool,
  drivers: DriverCache,
  timers: readonly (Scheduler | RetentionTimer | Operations)[],
  url: string | null,
  lock: SqliteLock | null,
  logger: Logger,
): Service {
  let stopping: Promise<void> | null = null;
  const stop = async (): Promise<void> => {
    logger.info('catalog-sync stopping');
    // New connections are refused at once; requests in flight may be waiting for a job, so the server is closed
    // for good only after the workers stopped and those answers had a moment to go out.
    const closed = app.close();
    try {
      // No scheduled fire or cleanup starts once the stop began (sync-engine.md section 8.9).
      await Promise.all(timers.map((timer) => timer.stop()));
      await workers.stop();
      await drivers.closeAll();
    } finally {
      try {
        await Promise.race([closed, delay(RESPONSE_FLUSH_MS, undefined, { ref: false })]);
        app.server.closeAllConnections();
        await closed;
      } finally {
        await appDb.close();
        lock?.release();
        logger.info('catalog-sync stopped');
      }
    }
  };
  return {
    app,
    appDb,
    workers,
    url,
    stop() {
      stopping ??= stop();
      return stopping;
    },
  };
}
