// The curation routes that reach a warehouse (table sync_schema, field rescan_values and summary): a driver for the
// stored details, one deadline for the whole call, always closed, and a driver failure answered 422 with the driver's
// sanitized message (curation-notes.md 1.1), never a password.
import type { AppDeps } from '../app.ts';
import type { DatabaseRecord } from '../catalog/databases.ts';
import { parseJson } from '../db/schema.ts';
import { DriverError, type Engine, type WarehouseDriver } from '../drivers/driver.ts';
import { createDriver, driverOptions } from '../drivers/registry.ts';
import { HttpError, sanitize } from '../errors.ts';
import { connectionFailure } from './database-details.ts';

/** The call's deadline: the connect timeout plus one field-values query timeout. */
export async function withWarehouse<T>(
  deps: AppDeps,
  database: DatabaseRecord,
  fn: (driver: WarehouseDriver, signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const queryTimeoutSeconds = deps.config.fieldValuesQueryTimeoutSeconds;
  const details = parseJson<Record<string, unknown>>(database.details, {});
  const password = details.password;
  const secrets = typeof password === 'string' && password !== '' ? [password] : [];
  const seconds = deps.config.connectTimeoutSeconds + queryTimeoutSeconds;
  const refuse = (message: string) => new HttpError(422, sanitize(message, secrets), 'text');
  const signal = AbortSignal.timeout(seconds * 1000);
  let driver: WarehouseDriver | undefined;
  try {
    driver = createDriver(database.engine as Engine, details, driverOptions(deps.config));
    return await fn(driver, signal);
  } catch (error) {
    if (error instanceof DriverError) throw refuse(error.message);
    if (signal.aborted) throw refuse(`The warehouse did not answer within ${seconds} seconds.`);
    throw error;
  } finally {
    await driver?.close();
  }
}

/** The connection test of POST /api/database (connect timeout); a failure is 422 with its sanitized reason. */
export async function testWarehouse(deps: AppDeps, database: DatabaseRecord): Promise<void> {
  const details = parseJson<Record<string, unknown>>(database.details, {});
  const failure = await connectionFailure(deps, database.engine as Engine, details);
  if (failure !== null) throw new HttpError(422, failure, 'text');
}
