// The config file's checks without a database: every problem names the file, the line and the key path, templates
// are checked before and after expansion, and no value (a password, an environment variable) is ever printed.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../../src/cli/program.ts';
import { planOf } from '../../src/config-file/load.ts';
import { ConfigFileError } from '../../src/config-file/parse.ts';

const SECRET = 'Hx7-never-printed-93';

function problems(text: string, env: Record<string, string> = {}): readonly string[] {
  try {
    planOf(text, '/etc/catalog/config.yml', env);
  } catch (error) {
    assert.ok(error instanceof ConfigFileError, String(error));
    for (const line of error.problems) assert.ok(!line.includes(SECRET), line);
    assert.ok(!error.message.includes('\n'));
    return error.problems;
  }
  return assert.fail('the file should have been refused');
}

const GOOD = `version: 1
config:
  settings:
    config-from-file-sync-databases: false
  databases:
    - name: Shop
      engine: sqlite
      details:
        db: data/shop.sqlite
      description: The shop
      metadata_sync_schedule: "0 15 * * * ? *"
      settings:
        auto_cruft_tables: ["^tmp_"]
    - name: Warehouse
      engine: postgres
      is_full_sync: "{{ env FULL }}"
      details:
        host: "{{ env PGHOST }}"
        port: "{{env PGPORT}}"
        dbname: warehouse
        user: etl
        password: "{{ env  pg_password }}"
        ssl: "{{ env PG_SSL }}"
`;

describe('config file validation', () => {
  test('a good file: details normalized, templates expanded, env names matched as Metabase does', () => {
    const plan = planOf(GOOD, 'config.yml', { PGHOST: 'db.internal', PGPORT: '6543', PG_PASSWORD: SECRET, PG_SSL: 'true', FULL: 'false' });
    assert.deepEqual(plan.settings, { 'config-from-file-sync-databases': false });
    assert.deepEqual(plan.databases.map((d) => [d.name, d.engine, d.details, d.columns]), [
      [
        'Shop',
        'sqlite',
        { db: 'data/shop.sqlite' },
        { description: 'The shop', metadata_sync_schedule: '0 15 * * * ? *', settings: { 'auto-cruft-tables': ['^tmp_'] } },
      ],
      [
        'Warehouse',
        'postgres',
        { host: 'db.internal', port: 6543, dbname: 'warehouse', user: 'etl', password: SECRET, ssl: true },
        { is_full_sync: false },
      ],
    ]);
  });

  test('a bad engine: file, line and key path', () => {
    const text = GOOD.replace('engine: postgres', 'engine: postgress');
    assert.deepEqual(problems(text, { PG_PASSWORD: SECRET }), [
      'config.yml:15: config.databases[1].engine must be one of postgres, mysql, sqlite, duckdb',
    ]);
  });

  test('a missing environment variable is named, and checked only once the shape is valid', () => {
    assert.deepEqual(problems(GOOD, { PGHOST: 'h', PGPORT: '5432', PG_SSL: 'false', FULL: 'true' }), [
      'config.yml:22: config.databases[1].details.password uses {{ env pg_password }}, but pg_password is not set',
    ]);
    // A shape problem is reported before any template is expanded: no variable is asked for.
    const broken = GOOD.replace('version: 1', 'version: 2');
    assert.deepEqual(problems(broken), ['config.yml:1: version must be a number from 1.0 to 1.999']);
  });

  test('expanded values are checked again without being printed', () => {
    const env = { PGHOST: 'h', PGPORT: SECRET, PG_PASSWORD: SECRET, PG_SSL: 'yes', FULL: 'true' };
    assert.deepEqual(problems(GOOD, env), [
      'config.yml:19: config.databases[1].details.port must be an integer between 1 and 65535',
      'config.yml:23: config.databases[1].details.ssl must be a boolean',
    ]);
  });

  test('unknown keys, settings, sections and template forms are errors with their lines', () => {
    const text = `version: 1.5
config:
  users: []
  settings:
    site-name: Catalog
  databases:
    - name: A
      engine: sqlite
      details: {db: a.sqlite, pasword: "${SECRET}"}
      is_sample: true
    - name: "{{ file SECRET }}"
      engine: sqlite
      details: {db: b.sqlite}
      cache_field_values_schedule: "0 0 25 * * ? *"
      settings: {auto_cruft_columns: ["("]}
    - name: A
      engine: sqlite
      details: {db: c.sqlite}
`;
    assert.deepEqual(problems(text), [
      'config.yml:3: config.users is a Metabase section that catalog-sync does not have (settings, databases)',
      'config.yml:5: config.settings.site-name is not a setting a file may set (config-from-file-sync-databases)',
      'config.yml:10: config.databases[0].is_sample is not a key catalog-sync stores (name, engine, details, delete, description, caveats, points_of_interest, is_full_sync, is_attached_dwh, metadata_sync_schedule, cache_field_values_schedule, settings)',
      'config.yml:9: config.databases[0].details.pasword is not a details key of sqlite (db)',
      'config.yml:14: config.databases[1].cache_field_values_schedule is not a supported Quartz cron string: hours: 25 is out of range 0-23',
      'config.yml:15: config.databases[1].settings.auto_cruft_columns[0] is not a valid regular expression',
      'config.yml:11: config.databases[1].name holds a template other than {{ env VAR }}, the only form supported',
    ]);
  });

  test('the same engine and name twice, a missing key, not YAML', () => {
    const twice = `version: 1\nconfig:\n  databases:\n    - {name: A, engine: sqlite, details: {db: a}}\n    - {name: A, engine: sqlite, details: {db: b}}\n    - {name: B, engine: sqlite}\n`;
    assert.deepEqual(problems(twice), [
      'config.yml:6: config.databases[2].details is required',
      'config.yml:5: config.databases[1].name repeats config.databases[0] (same engine and name)',
    ]);
    const deletion = `version: 1\nconfig:\n  databases:\n    - {name: A, engine: sqlite, delete: "DELETE_WITH_DEPENDENTS:A"}\n    - {name: B, engine: sqlite, delete: "DELETE_WITH_DEPENDENTS:A"}\n`;
    assert.deepEqual(problems(deletion), [
      "config.yml:5: config.databases[1].delete must be DELETE_WITH_DEPENDENTS:<the entry's name>",
    ]);
    const notYaml = `version: 1\nconfig:\n  databases:\n    - name: A\n      details: {password: "${SECRET}"\n`;
    const [line] = problems(notYaml);
    assert.match(line!, /^config\.yml:\d+: not valid YAML: /);
  });

  test('catalog-sync config validate: exit 0 with one line, exit 2 with one line per problem', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'catalog-sync-cfg-'));
    try {
      const file = join(dir, 'config.yml');
      const run = async (env: Record<string, string>) => {
        const io = { env, stdout: '', stderr: '', out: (s: string) => void (io.stdout += s), err: (s: string) => void (io.stderr += s) };
        return { status: await runCli(['config', 'validate', file], io), stdout: io.stdout, stderr: io.stderr };
      };
      writeFileSync(file, GOOD);
      const ok = await run({ PGHOST: 'h', PGPORT: '5432', PG_PASSWORD: SECRET, PG_SSL: 'false', FULL: 'true' });
      assert.deepEqual(ok, { status: 0, stdout: `OK: ${file} is valid (2 databases, 1 settings)\n`, stderr: '' });
      writeFileSync(file, GOOD.replace('engine: sqlite', 'engine: oracle').replace('version: 1', 'version: one'));
      const bad = await run({});
      assert.equal(bad.status, 2);
      assert.equal(bad.stdout, '');
      assert.deepEqual(bad.stderr.trimEnd().split('\n'), [
        'config.yml:1: version must be a number from 1.0 to 1.999',
        'config.yml:7: config.databases[0].engine must be one of postgres, mysql, sqlite, duckdb',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
