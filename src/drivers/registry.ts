// One line per engine: engine name → driver factory. Engines listed in ENGINES without a factory here are not
// supported by this build (MySQL/MariaDB and DuckDB arrive with their own issue).
import type { Config } from '../config.ts';
import { DriverError, type DriverOptions, type Engine, type WarehouseDriver } from './driver.ts';
import { createPostgresDriver } from './postgres/postgres-driver.ts';
import { createSqliteDriver } from './sqlite/sqlite-driver.ts';

type DriverFactory = (details: Readonly<Record<string, unknown>>, options: DriverOptions) => WarehouseDriver;

const FACTORIES: Partial<Record<Engine, DriverFactory>> = {
  postgres: createPostgresDriver,
  sqlite: createSqliteDriver,
};

export function isSupportedEngine(engine: string): engine is Engine {
  return Object.hasOwn(FACTORIES, engine);
}

/** Creates a driver for stored, validated details. Connections open lazily on the first call. */
export function createDriver(engine: Engine, details: Readonly<Record<string, unknown>>, options: DriverOptions): WarehouseDriver {
  const factory = FACTORIES[engine];
  if (!factory) throw new DriverError('CONNECTION_FAILED', engine, `The ${engine} engine is not supported by this build.`);
  return factory(details, options);
}

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
  };
}
