import { resolve } from 'node:path';
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../src/config.ts';
import { ConfigError } from '../src/errors.ts';

/** Asserts that loading `env` fails with a one-line ConfigError naming `variable` and leaking none of `secrets`. */
function assertInvalid(env: Record<string, string>, variable: string, secrets: readonly string[] = []): void {
  assert.throws(
    () => loadConfig(env),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
      assert.ok(error.message.includes(variable), `"${error.message}" does not name ${variable}`);
      assert.ok(!error.message.includes('\n'), 'the message is one line');
      for (const secret of secrets) assert.ok(!error.message.includes(secret), `"${error.message}" leaks a secret`);
      return true;
    },
  );
}

const NUMERIC_SETTINGS = [
  ['MB_NOTIFY_WAIT_SECONDS', 'notifyWaitSeconds', 1800],
  ['MB_SYNC_WORKERS', 'syncWorkers', 3],
  ['MB_APPLICATION_DB_MAX_CONNECTION_POOL_SIZE', 'appDbPoolSize', 15],
  ['MB_SYNC_LEASE_TTL_SECONDS', 'leaseTtlSeconds', 60],
  ['MB_SYNC_CONNECT_TIMEOUT_SECONDS', 'connectTimeoutSeconds', 15],
  ['MB_SYNC_CATALOG_QUERY_TIMEOUT_SECONDS', 'catalogQueryTimeoutSeconds', 300],
  ['MB_SYNC_SAMPLE_QUERY_TIMEOUT_SECONDS', 'sampleQueryTimeoutSeconds', 120],
  ['MB_SYNC_FIELD_VALUES_QUERY_TIMEOUT_SECONDS', 'fieldValuesQueryTimeoutSeconds', 60],
  ['MB_SYNC_JOB_TIMEOUT_SECONDS', 'jobTimeoutSeconds', 21600],
  ['MB_SYNC_SHUTDOWN_GRACE_SECONDS', 'shutdownGraceSeconds', 30],
  ['MB_SYNC_MAX_FINGERPRINT_FIELDS', 'maxFingerprintFields', 10000],
  ['MB_SYNC_MAX_FIELD_VALUES_FIELDS', 'maxFieldValuesFields', 10000],
  ['MB_TASK_HISTORY_MAX_ROWS', 'taskHistoryMaxRows', 100000],
] as const;

describe('loadConfig', () => {
  test('defaults of every setting (notify-api section 1, sync-engine appendix A)', () => {
    const config = loadConfig({});
    assert.deepEqual(
      { ...config },
      {
        host: 'localhost',
        port: 3000,
        apiKey: null,
        adminApiKey: null,
        dbType: 'sqlite',
        dbFile: resolve('./data/catalog-sync.db'),
        dbConnectionUri: null,
        notifyWaitSeconds: 1800,
        loadSampleContent: true,
        syncWorkers: 3,
        appDbPoolSize: 15,
        leaseTtlSeconds: 60,
        connectTimeoutSeconds: 15,
        catalogQueryTimeoutSeconds: 300,
        sampleQueryTimeoutSeconds: 120,
        fieldValuesQueryTimeoutSeconds: 60,
        fieldValuesRowBudget: 1000000,
        jobTimeoutSeconds: 21600,
        shutdownGraceSeconds: 30,
        maxFingerprintFields: 10000,
        maxFieldValuesFields: 10000,
        retireGuardFraction: 0.5,
        taskHistoryMaxRows: 100000,
        disableScheduler: false,
        encryptionSecretKey: null,
        configFilePath: null,
        prometheusServerPort: null,
        webhookUrls: [],
        webhookSecret: null,
        warnings: [],
      },
    );
  });

  test('the result and its warnings are frozen', () => {
    const config = loadConfig({ MB_CONFIG_FILE_PATH: '/etc/x.yml' });
    assert.ok(Object.isFrozen(config));
    assert.ok(Object.isFrozen(config.warnings));
  });

  test('reads every setting when set', () => {
    const env: Record<string, string> = {
      MB_JETTY_HOST: '0.0.0.0',
      MB_JETTY_PORT: '8080',
      MB_API_KEY: 'notify-key',
      MB_ADMIN_API_KEY: 'admin-key',
      MB_DB_TYPE: 'postgres',
      MB_DB_CONNECTION_URI: 'postgresql://u:p@db:5432/catalog',
      MB_LOAD_SAMPLE_CONTENT: 'false',
      MB_SYNC_RETIRE_GUARD_FRACTION: '1',
      MB_DISABLE_SCHEDULER: 'true',
    };
    for (const [name, , fallback] of NUMERIC_SETTINGS) env[name] = String(fallback + 7);
    const config = loadConfig(env);
    assert.equal(config.host, '0.0.0.0');
    assert.equal(config.port, 8080);
    assert.equal(config.apiKey, 'notify-key');
    assert.equal(config.adminApiKey, 'admin-key');
    assert.equal(config.dbType, 'postgres');
    assert.equal(config.dbConnectionUri, 'postgresql://u:p@db:5432/catalog');
    assert.equal(config.loadSampleContent, false);
    assert.equal(config.retireGuardFraction, 1);
    assert.equal(config.disableScheduler, true);
    for (const [name, key, fallback] of NUMERIC_SETTINGS) assert.equal(config[key], fallback + 7, name);
    assert.deepEqual(config.warnings, []);
  });

  test('MB_PROMETHEUS_SERVER_PORT is a port, or unset', () => {
    assert.equal(loadConfig({ MB_PROMETHEUS_SERVER_PORT: '9191' }).prometheusServerPort, 9191);
    for (const value of ['0', '65536', 'abc']) {
      assert.throws(() => loadConfig({ MB_PROMETHEUS_SERVER_PORT: value }), /MB_PROMETHEUS_SERVER_PORT must be an integer/);
    }
  });

  test('MB_DB_FILE is resolved against the working directory', () => {
    assert.equal(loadConfig({ MB_DB_FILE: 'var/app.db' }).dbFile, resolve('var/app.db'));
    assert.equal(loadConfig({ MB_DB_FILE: '/srv/app.db' }).dbFile, '/srv/app.db');
  });

  test('an empty or whitespace-only value counts as unset', () => {
    const blank: Record<string, string> = {};
    for (const name of [
      'MB_JETTY_HOST',
      'MB_JETTY_PORT',
      'MB_API_KEY',
      'MB_ADMIN_API_KEY',
      'MB_DB_TYPE',
      'MB_DB_FILE',
      'MB_DB_CONNECTION_URI',
      'MB_LOAD_SAMPLE_CONTENT',
      'MB_DISABLE_SCHEDULER',
      'MB_CONFIG_FILE_PATH',
      'MB_ENCRYPTION_SECRET_KEY',
      'MB_SYNC_RETIRE_GUARD_FRACTION',
      ...NUMERIC_SETTINGS.map(([name]) => name),
    ]) {
      blank[name] = name.length % 2 === 0 ? '' : ' \t ';
    }
    assert.deepEqual({ ...loadConfig(blank) }, { ...loadConfig({}) });
  });

  test('keys are used exactly as given: no trimming, no case folding', () => {
    const config = loadConfig({ MB_API_KEY: ' Notify Key ', MB_ADMIN_API_KEY: 'ADMIN\t' });
    assert.equal(config.apiKey, ' Notify Key ');
    assert.equal(config.adminApiKey, 'ADMIN\t');
  });

  test('MB_JETTY_PORT must be a decimal integer from 1 to 65535', () => {
    assert.equal(loadConfig({ MB_JETTY_PORT: '1' }).port, 1);
    assert.equal(loadConfig({ MB_JETTY_PORT: '65535' }).port, 65535);
    for (const value of ['abc', '0', '65536', '-1', '80.5', '1e3', '0x50', '8080abc']) {
      assertInvalid({ MB_JETTY_PORT: value }, 'MB_JETTY_PORT');
    }
  });

  test('MB_DB_TYPE is sqlite or postgres, lower case', () => {
    assert.equal(loadConfig({ MB_DB_TYPE: 'sqlite' }).dbType, 'sqlite');
    for (const value of ['h2', 'mysql', 'SQLITE', 'Postgres']) assertInvalid({ MB_DB_TYPE: value }, 'MB_DB_TYPE');
  });

  test('MB_DB_TYPE=postgres requires a postgres:// or postgresql:// MB_DB_CONNECTION_URI', () => {
    assertInvalid({ MB_DB_TYPE: 'postgres' }, 'MB_DB_CONNECTION_URI');
    assertInvalid({ MB_DB_TYPE: 'postgres', MB_DB_CONNECTION_URI: '   ' }, 'MB_DB_CONNECTION_URI');
    assertInvalid(
      { MB_DB_TYPE: 'postgres', MB_DB_CONNECTION_URI: 'mysql://user:hunter2@db/catalog' },
      'MB_DB_CONNECTION_URI',
      ['hunter2'],
    );
    assert.equal(
      loadConfig({ MB_DB_TYPE: 'postgres', MB_DB_CONNECTION_URI: 'postgres://db/catalog' }).dbConnectionUri,
      'postgres://db/catalog',
    );
  });

  test('MB_DB_CONNECTION_URI is ignored with a warning when MB_DB_TYPE is sqlite', () => {
    const config = loadConfig({ MB_DB_CONNECTION_URI: 'postgres://u:hunter2@db/catalog' });
    assert.equal(config.dbType, 'sqlite');
    assert.equal(config.dbConnectionUri, null);
    assert.equal(config.warnings.length, 1);
    assert.match(config.warnings[0], /MB_DB_CONNECTION_URI/);
    assert.ok(!config.warnings[0].includes('hunter2'));
  });

  test('MB_LOAD_SAMPLE_CONTENT is true or false', () => {
    assert.equal(loadConfig({ MB_LOAD_SAMPLE_CONTENT: 'true' }).loadSampleContent, true);
    for (const value of ['TRUE', 'False', 'yes', '1', '0']) {
      assertInvalid({ MB_LOAD_SAMPLE_CONTENT: value }, 'MB_LOAD_SAMPLE_CONTENT');
    }
  });

  test('MB_DISABLE_SCHEDULER is true or false', () => {
    assert.equal(loadConfig({ MB_DISABLE_SCHEDULER: 'true' }).disableScheduler, true);
    assert.equal(loadConfig({ MB_DISABLE_SCHEDULER: 'false' }).disableScheduler, false);
    for (const value of ['TRUE', 'yes', '1', 'on']) {
      assertInvalid({ MB_DISABLE_SCHEDULER: value }, 'MB_DISABLE_SCHEDULER');
    }
  });

  test('every numeric setting must be a positive integer', () => {
    for (const [name, key] of NUMERIC_SETTINGS) {
      assert.equal(loadConfig({ [name]: '1' })[key], 1, name);
      for (const value of ['0', '-5', '2.5', 'ten', '1e3', '99999999999999999999']) {
        assertInvalid({ [name]: value }, name);
      }
    }
  });

  test('MB_SYNC_RETIRE_GUARD_FRACTION is a number greater than 0 and at most 1', () => {
    assert.equal(loadConfig({ MB_SYNC_RETIRE_GUARD_FRACTION: '0.25' }).retireGuardFraction, 0.25);
    assert.equal(loadConfig({ MB_SYNC_RETIRE_GUARD_FRACTION: '1' }).retireGuardFraction, 1);
    for (const value of ['0', '-0.5', '1.01', 'half', 'Infinity']) {
      assertInvalid({ MB_SYNC_RETIRE_GUARD_FRACTION: value }, 'MB_SYNC_RETIRE_GUARD_FRACTION');
    }
  });

  test('an invalid setting never puts a key or password in the message', () => {
    const secrets = { MB_API_KEY: 'notify-secret-1', MB_ADMIN_API_KEY: 'admin-secret-2' };
    assertInvalid({ ...secrets, MB_JETTY_PORT: 'notify-secret-1' }, 'MB_JETTY_PORT', Object.values(secrets));
    assertInvalid({ ...secrets, MB_SYNC_WORKERS: 'admin-secret-2' }, 'MB_SYNC_WORKERS', Object.values(secrets));
    assertInvalid(
      { ...secrets, MB_DB_TYPE: 'postgres', MB_DB_CONNECTION_URI: 'http://catalog:pw-secret-3@db/x' },
      'MB_DB_CONNECTION_URI',
      [...Object.values(secrets), 'pw-secret-3'],
    );
  });

  test('the config file path and the encryption key are read; a key under 16 characters stops start-up', () => {
    const config = loadConfig({ MB_CONFIG_FILE_PATH: '/etc/catalog.yml', MB_ENCRYPTION_SECRET_KEY: 'enc-secret-16-chars' });
    assert.equal(config.configFilePath, '/etc/catalog.yml');
    assert.equal(config.encryptionSecretKey, 'enc-secret-16-chars');
    assert.deepEqual(config.warnings, []);
    assert.throws(
      () => loadConfig({ MB_ENCRYPTION_SECRET_KEY: 'short-secret' }),
      (error: Error) =>
        error.message === 'MB_ENCRYPTION_SECRET_KEY must be at least 16 characters.' && !error.message.includes('short-secret'),
    );
  });
});
