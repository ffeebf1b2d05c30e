// One line per engine: engine name → driver factory. Engines listed in ENGINES without a factory here are not
// supported by this build (MySQL/MariaDB and DuckDB arrive with their own issue).
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
