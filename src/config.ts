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
  /** Connections of the PostgreSQL application database's pool (Metabase's variable and default). */
  readonly appDbPoolSize: number;
  readonly leaseTtlSeconds: number;
  readonly connectTimeoutSeconds: number;
  readonly catalogQueryTimeoutSeconds: number;
  readonly sampleQueryTimeoutSeconds: number;
  readonly fieldValuesQueryTimeoutSeconds: number;
  readonly jobTimeoutSeconds: number;
  readonly shutdownGraceSeconds: number;
  readonly maxFingerprintFields: number;
  readonly maxFieldValuesFields: number;
  /** MB_SYNC_FIELD_VALUES_ROW_BUDGET: tables estimated above this many rows get budgeted field values; 0 = no budget. */
  readonly fieldValuesRowBudget: number;
  readonly retireGuardFraction: number;
  readonly taskHistoryMaxRows: number;
  /** MB_DISABLE_SCHEDULER: this instance fires no scheduled syncs (notifications and the API work as usual). */
  readonly disableScheduler: boolean;
  /** MB_PROMETHEUS_SERVER_PORT: a separate listener serving /metrics without a key; null when unset. */
  readonly prometheusServerPort: number | null;
  /** MB_SYNC_WEBHOOK_URLS: http(s) URLs that receive the changeset of every job that changed something. */
  readonly webhookUrls: readonly string[];
  /** MB_SYNC_WEBHOOK_SECRET: the HMAC-SHA256 key of X-Catalog-Sync-Signature; required with webhook URLs. */
  readonly webhookSecret: string | null;
  /** MB_ENCRYPTION_SECRET_KEY (at least 16 characters): details are stored encrypted; null stores them plain. */
  readonly encryptionSecretKey: string | null;
  /** MB_CONFIG_FILE_PATH as an absolute path; null when unset (start-up then reads ./config.yml if present). */
  readonly configFilePath: string | null;
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

function nonNegativeInt(env: Env, name: string, fallback: number): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (!/^\s*[0-9]+\s*$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
    throw new ConfigError(`${name} must be a non-negative integer`);
  }
  return Number(raw);
}

function optionalPort(env: Env, name: string): number | null {
  const raw = read(env, name);
  if (raw === undefined) return null;
  if (!/^\s*[0-9]+\s*$/.test(raw) || Number(raw) < 1 || Number(raw) > 65535) {
    throw new ConfigError(`${name} must be an integer from 1 to 65535`);
  }
  return Number(raw);
}

/** MB_SYNC_WEBHOOK_URLS (comma list of http(s) URLs, credentials not allowed in them) and its secret. */
function webhookSettings(env: Env): { webhookUrls: readonly string[]; webhookSecret: string | null } {
  const secret = read(env, 'MB_SYNC_WEBHOOK_SECRET') ?? null;
  const items = (read(env, 'MB_SYNC_WEBHOOK_URLS') ?? '').split(',').map((u) => u.trim()).filter((u) => u !== '');
  const urls = items.map((item, i) => {
    let url: URL;
    try {
      url = new URL(item);
    } catch {
      throw new ConfigError(`MB_SYNC_WEBHOOK_URLS: entry ${i + 1} is not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new ConfigError(`MB_SYNC_WEBHOOK_URLS: entry ${i + 1} must be an http or https URL`);
    }
    if (url.username !== '' || url.password !== '') {
      throw new ConfigError(`MB_SYNC_WEBHOOK_URLS: entry ${i + 1} must not carry credentials`);
    }
    return url.toString();
  });
  if (urls.length > 0 && secret === null) {
    throw new ConfigError('MB_SYNC_WEBHOOK_SECRET is required when MB_SYNC_WEBHOOK_URLS is set');
  }
  return { webhookUrls: Object.freeze([...new Set(urls)]), webhookSecret: secret };
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
  const encryptionSecretKey = read(env, 'MB_ENCRYPTION_SECRET_KEY') ?? null;
  if (encryptionSecretKey !== null && encryptionSecretKey.length < 16) {
    throw new ConfigError('MB_ENCRYPTION_SECRET_KEY must be at least 16 characters.');
  }
  const configFilePath = read(env, 'MB_CONFIG_FILE_PATH');
  const webhooks = webhookSettings(env);
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
    appDbPoolSize: positiveInt(env, 'MB_APPLICATION_DB_MAX_CONNECTION_POOL_SIZE', 15),
    leaseTtlSeconds: positiveInt(env, 'MB_SYNC_LEASE_TTL_SECONDS', 60),
    connectTimeoutSeconds: positiveInt(env, 'MB_SYNC_CONNECT_TIMEOUT_SECONDS', 15),
    catalogQueryTimeoutSeconds: positiveInt(env, 'MB_SYNC_CATALOG_QUERY_TIMEOUT_SECONDS', 300),
    sampleQueryTimeoutSeconds: positiveInt(env, 'MB_SYNC_SAMPLE_QUERY_TIMEOUT_SECONDS', 120),
    fieldValuesQueryTimeoutSeconds: positiveInt(env, 'MB_SYNC_FIELD_VALUES_QUERY_TIMEOUT_SECONDS', 60),
    jobTimeoutSeconds: positiveInt(env, 'MB_SYNC_JOB_TIMEOUT_SECONDS', 21600),
    shutdownGraceSeconds: positiveInt(env, 'MB_SYNC_SHUTDOWN_GRACE_SECONDS', 30),
    maxFingerprintFields: positiveInt(env, 'MB_SYNC_MAX_FINGERPRINT_FIELDS', 10000),
    maxFieldValuesFields: positiveInt(env, 'MB_SYNC_MAX_FIELD_VALUES_FIELDS', 10000),
    fieldValuesRowBudget: nonNegativeInt(env, 'MB_SYNC_FIELD_VALUES_ROW_BUDGET', 1_000_000),
    retireGuardFraction,
    taskHistoryMaxRows: positiveInt(env, 'MB_TASK_HISTORY_MAX_ROWS', 100000),
    disableScheduler: schedulerRaw === 'true',
    encryptionSecretKey,
    configFilePath: configFilePath === undefined ? null : resolve(configFilePath),
    prometheusServerPort: optionalPort(env, 'MB_PROMETHEUS_SERVER_PORT'),
    ...webhooks,
    warnings: Object.freeze(warnings),
  });
}
