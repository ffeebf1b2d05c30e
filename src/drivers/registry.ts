// One line per engine: engine name → driver factory, plus the static facts of each engine.
import type { Config } from '../config.ts';
import type { DriverOptions, Engine, WarehouseDriver } from './driver.ts';
import { createDuckdbDriver } from './duckdb/duckdb-driver.ts';
import { createMysqlDriver } from './mysql/mysql-driver.ts';
import { createPostgresDriver } from './postgres/postgres-driver.ts';
import { protectedPathsOf } from './protected-paths.ts';
import { sampleWarehousePath } from '../sample/register-sample.ts';
import { createSqliteDriver } from './sqlite/sqlite-driver.ts';

type DriverFactory = (details: Readonly<Record<string, unknown>>, options: DriverOptions) => WarehouseDriver;

const FACTORIES: Readonly<Record<Engine, DriverFactory>> = {
  postgres: createPostgresDriver,
  mysql: createMysqlDriver,
  sqlite: createSqliteDriver,
  duckdb: createDuckdbDriver,
};

/** Creates a driver for stored, validated details. Connections open lazily on the first call. */
export function createDriver(engine: Engine, details: Readonly<Record<string, unknown>>, options: DriverOptions): WarehouseDriver {
  return FACTORIES[engine](details, options);
}

/** The shape of createDriver, for callers that take a factory (the sync engine, the driver cache, tests). */
export type CreateDriver = typeof createDriver;

/**
 * Static engine facts needed before any connection: whether tables have schemas (capabilities.schemas; notify-api X20
 * looks new tables up with schema NULL on engines without them).
 */
export const ENGINE_HAS_SCHEMAS: Readonly<Record<Engine, boolean>> = { postgres: true, mysql: false, sqlite: false, duckdb: true };

/** The warehouse timeouts of sync-engine.md section 8.7, from the settings. */
export function driverOptions(config: Config): DriverOptions {
  return {
    connectTimeoutMs: config.connectTimeoutSeconds * 1000,
    catalogQueryTimeoutMs: config.catalogQueryTimeoutSeconds * 1000,
    sampleQueryTimeoutMs: config.sampleQueryTimeoutSeconds * 1000,
    fieldValuesQueryTimeoutMs: config.fieldValuesQueryTimeoutSeconds * 1000,
    protectedPaths: protectedPathsOf(config.dbFile, sampleWarehousePath(config)),
  };
}
