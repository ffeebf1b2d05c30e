// The only reader of process.env: settings of notify-api.md section 1 and sync-engine.md appendix A, read once,
// validated and frozen. An invalid value throws a ConfigError whose message is one line naming the variable and
// never the value of a key or password.
import { resolve } from 'node:path';
import { ConfigError } from './errors.ts';

export interface Config {
  readonly host: string;
  readonly port: number;
  /** The notify key; null when unset, empty or whitespace-only. */
  readonly apiKey: string | null;
  /** The admin key; null when unset, empty or whitespace-only. */
  readonly adminApiKey: string | null;
  readonly dbType: 'sqlite' | 'postgres';
  /** Absolute path of the SQLite application database. */
  readonly dbFile: string;
  readonly dbConnectionUri: string | null;
  readonly notifyWaitSeconds: number;
  readonly loadSampleContent: boolean;
  readonly syncWorkers: number;
  readonly leaseTtlSeconds: number;
  readonly connectTimeoutSeconds: number;
  readonly catalogQueryTimeoutSeconds: number;
  readonly sampleQueryTimeoutSeconds: number;
  readonly fieldValuesQueryTimeoutSeconds: number;
  readonly jobTimeoutSeconds: number;
  readonly shutdownGraceSeconds: number;
  readonly maxFingerprintFields: number;
  readonly maxFieldValuesFields: number;
  readonly retireGuardFraction: number;
  readonly taskHistoryMaxRows: number;
  /** MB_DISABLE_SCHEDULER: this instance fires no scheduled syncs (notifications and the API work as usual). */
  readonly disableScheduler: boolean;
  /** Settings that are set but not supported yet; start-up logs a warning for each. */
  readonly warnings: readonly string[];
}

type Env = Record<string, string | undefined>;

function read(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value;
}

function positiveInt(env: Env, name: string, fallback: number): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (!/^\s*[0-9]+\s*$/.test(raw) || Number(raw) < 1 || !Number.isSafeInteger(Number(raw))) {
    throw new ConfigError(`${name} must be a positive integer`);
  }
  return Number(raw);
}

export function loadConfig(env: Env = process.env): Config {
  const warnings: string[] = [];
  const portRaw = read(env, 'MB_JETTY_PORT');
  let port = 3000;
  if (portRaw !== undefined) {
    if (!/^\s*[0-9]+\s*$/.test(portRaw) || Number(portRaw) < 1 || Number(portRaw) > 65535) {
      throw new ConfigError('MB_JETTY_PORT must be an integer from 1 to 65535');
    }
    port = Number(portRaw);
  }
  const dbTypeRaw = read(env, 'MB_DB_TYPE') ?? 'sqlite';
  if (dbTypeRaw !== 'sqlite' && dbTypeRaw !== 'postgres') {
    throw new ConfigError('MB_DB_TYPE must be sqlite or postgres');
  }
  const uri = read(env, 'MB_DB_CONNECTION_URI') ?? null;
  if (dbTypeRaw === 'postgres') {
    if (uri === null) throw new ConfigError('MB_DB_CONNECTION_URI is required when MB_DB_TYPE is postgres');
    if (!/^postgres(ql)?:\/\//.test(uri)) {
      throw new ConfigError('MB_DB_CONNECTION_URI must be a postgres:// or postgresql:// URI');
    }
  } else if (uri !== null) {
    warnings.push('MB_DB_CONNECTION_URI is ignored because MB_DB_TYPE is sqlite');
  }
  const sampleRaw = read(env, 'MB_LOAD_SAMPLE_CONTENT') ?? 'true';
  if (sampleRaw !== 'true' && sampleRaw !== 'false') throw new ConfigError('MB_LOAD_SAMPLE_CONTENT must be true or false');
  const schedulerRaw = read(env, 'MB_DISABLE_SCHEDULER') ?? 'false';
  if (schedulerRaw !== 'true' && schedulerRaw !== 'false') throw new ConfigError('MB_DISABLE_SCHEDULER must be true or false');
  const fractionRaw = read(env, 'MB_SYNC_RETIRE_GUARD_FRACTION');
  let retireGuardFraction = 0.5;
  if (fractionRaw !== undefined) {
    const value = Number(fractionRaw);
    if (!Number.isFinite(value) || value <= 0 || value > 1) {
      throw new ConfigError('MB_SYNC_RETIRE_GUARD_FRACTION must be a number greater than 0 and at most 1');
    }
    retireGuardFraction = value;
  }
  if (read(env, 'MB_CONFIG_FILE_PATH') !== undefined) {
    warnings.push('MB_CONFIG_FILE_PATH is set, but declarative configuration is not supported yet; it is ignored');
  }
  if (read(env, 'MB_ENCRYPTION_SECRET_KEY') !== undefined) {
    warnings.push('MB_ENCRYPTION_SECRET_KEY is set, but stored credentials are not encrypted yet');
  }
  return Object.freeze({
    host: read(env, 'MB_JETTY_HOST') ?? 'localhost',
    port,
    apiKey: read(env, 'MB_API_KEY') ?? null,
    adminApiKey: read(env, 'MB_ADMIN_API_KEY') ?? null,
    dbType: dbTypeRaw,
    dbFile: resolve(read(env, 'MB_DB_FILE') ?? './data/catalog-sync.db'),
    dbConnectionUri: dbTypeRaw === 'postgres' ? uri : null,
    notifyWaitSeconds: positiveInt(env, 'MB_NOTIFY_WAIT_SECONDS', 1800),
    loadSampleContent: sampleRaw === 'true',
    syncWorkers: positiveInt(env, 'MB_SYNC_WORKERS', 3),
    leaseTtlSeconds: positiveInt(env, 'MB_SYNC_LEASE_TTL_SECONDS', 60),
    connectTimeoutSeconds: positiveInt(env, 'MB_SYNC_CONNECT_TIMEOUT_SECONDS', 15),
    catalogQueryTimeoutSeconds: positiveInt(env, 'MB_SYNC_CATALOG_QUERY_TIMEOUT_SECONDS', 300),
    sampleQueryTimeoutSeconds: positiveInt(env, 'MB_SYNC_SAMPLE_QUERY_TIMEOUT_SECONDS', 120),
    fieldValuesQueryTimeoutSeconds: positiveInt(env, 'MB_SYNC_FIELD_VALUES_QUERY_TIMEOUT_SECONDS', 60),
    jobTimeoutSeconds: positiveInt(env, 'MB_SYNC_JOB_TIMEOUT_SECONDS', 21600),
    shutdownGraceSeconds: positiveInt(env, 'MB_SYNC_SHUTDOWN_GRACE_SECONDS', 30),
    maxFingerprintFields: positiveInt(env, 'MB_SYNC_MAX_FINGERPRINT_FIELDS', 10000),
    maxFieldValuesFields: positiveInt(env, 'MB_SYNC_MAX_FIELD_VALUES_FIELDS', 10000),
    retireGuardFraction,
    taskHistoryMaxRows: positiveInt(env, 'MB_TASK_HISTORY_MAX_ROWS', 100000),
    disableScheduler: schedulerRaw === 'true',
    warnings: Object.freeze(warnings),
  });
}
