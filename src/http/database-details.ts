// Connection details as the database routes take them (notify-api.md section 6.3): the engine's keys validated as
// `<prefix><key>`, and the connection test within the connect timeout whose failure reason never holds the password.
import type { AppDeps } from '../app.ts';
import { DETAIL_KEYS, SCHEMA_FILTER_TYPES, type DetailKind } from '../catalog/databases.ts';
import { DriverError, type Engine } from '../drivers/driver.ts';
import { createDriver, driverOptions } from '../drivers/registry.ts';
import { HttpError, sanitize } from '../errors.ts';
import {
  optionalBoolean,
  optionalEnum,
  optionalPort,
  optionalString,
  read,
  requiredNonBlank,
  type JsonObject,
  type Rule,
  type ValidationErrors,
} from './validation.ts';

const DETAIL_RULES: Readonly<Record<DetailKind, Rule<unknown>>> = {
  'non-blank': requiredNonBlank,
  port: optionalPort,
  string: optionalString,
  boolean: optionalBoolean,
  'schema-filters-type': optionalEnum(SCHEMA_FILTER_TYPES),
};

/** The engine's details keys read from `details` (failures under `<prefix><key>`), for normalizeDetails. */
export function readDetails(
  errors: ValidationErrors,
  engine: Engine,
  details: JsonObject,
  prefix: string,
): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const { key, kind } of DETAIL_KEYS[engine]) {
    values[key] = read(errors, details, key, DETAIL_RULES[kind], `${prefix}${key}`);
  }
  return values;
}

/**
 * Connects, authenticates and runs one trivial query within MB_SYNC_CONNECT_TIMEOUT_SECONDS. Null when it worked,
 * else the reason (what failed: host, authentication, database, file, timeout), with the password masked.
 */
export async function connectionFailure(
  deps: AppDeps,
  engine: Engine,
  details: Readonly<Record<string, unknown>>,
): Promise<string | null> {
  const password = details.password;
  const secrets = typeof password === 'string' && password !== '' ? [password] : [];
  const reason = (text: string) => sanitize(text, secrets);
  let driver;
  try {
    driver = createDriver(engine, details, driverOptions(deps.config));
  } catch (error) {
    if (error instanceof DriverError) return reason(error.message);
    throw error;
  }
  const signal = AbortSignal.timeout(deps.config.connectTimeoutSeconds * 1000);
  try {
    await driver.testConnection(signal);
    return null;
  } catch (error) {
    if (error instanceof DriverError) return reason(error.message);
    if (signal.aborted) return `The connection test timed out after ${deps.config.connectTimeoutSeconds} seconds.`;
    throw error;
  } finally {
    await driver.close();
  }
}

/** The connection test before details are stored: a failure is the 400 answer `{"message": <reason>}`. */
export async function testConnection(
  deps: AppDeps,
  engine: Engine,
  details: Readonly<Record<string, unknown>>,
): Promise<void> {
  const failure = await connectionFailure(deps, engine, details);
  if (failure !== null) throw new HttpError(400, { message: failure }, 'json');
}
