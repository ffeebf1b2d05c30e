// The MySQL driver under the sync engine (jobs run as the worker runs them) and behind POST /api/database.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Plan } from '../../../src/jobs/types.ts';
import { A, harness } from '../../http/harness.ts';
import {
  createMysqlTestDatabase,
  createMysqlUser,
  dropMysqlDatabase,
  execMysql,
  testMysql,
} from '../../support/mariadb.ts';
import { freePort } from '../../support/postgres.ts';
import { createHarness, stampCatalog, writtenSince, type Harness } from '../../sync/support.ts';

const DATABASE: Plan = { metadata: { database: true } };

const SHOP = [
  `CREATE TABLE users (id int AUTO_INCREMENT PRIMARY KEY, email varchar(100) NOT NULL, active tinyint(1) DEFAULT 1)
    COMMENT 'Shop users'`,
  `CREATE TABLE orders (id int NOT NULL, rev int NOT NULL, user_id int, total decimal(10,2) COMMENT 'Gross total',
    status enum('new','paid'), PRIMARY KEY (id, rev),
    CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id))`,
  `CREATE TABLE line_items (id int PRIMARY KEY, order_id int, order_rev int, note text,
    CONSTRAINT lines_order_fk FOREIGN KEY (order_id, order_rev) REFERENCES orders (id, rev))`,
  'CREATE VIEW paid_orders AS SELECT id, total FROM orders WHERE status = \'paid\'',
  'CREATE TABLE `Coupons` (code varchar(20) PRIMARY KEY)',
];

describe('metadata sync of a MariaDB warehouse', () => {
  let h: Harness;
  const databases: string[] = [];
  const users: { drop(): Promise<void> }[] = [];

  before(async () => {
    h = await createHarness();
  });

  after(async () => {
    await h.close();
    for (const name of databases) await dropMysqlDatabase(name);
    for (const user of users) await user.drop();
  });

  /** A warehouse with the shop, reached through a user of its own (so that a test may break its password). */
  async function warehouse() {
    const wh = await createMysqlTestDatabase('mysync');
    databases.push(wh.name);
    await execMysql(wh.url, ...SHOP);
    const owner = await createMysqlUser(wh.name, 'SELECT ON $db.*');
    users.push(owner);
    const details = { ...wh.details, user: owner.user, password: owner.password };
    const dbId = await h.addDatabase('mysql', details);
    return { ...wh, details, owner, dbId };
  }

  test('a whole-database sync: tables, fields, FKs and indexes; a second run writes nothing', async () => {
    const wh = await warehouse();
    const { jobId, outcome } = await h.run(wh.dbId, DATABASE);
    assert.equal(outcome.error, null);
    assert.equal(outcome.state, 'succeeded');

    const tables = await h.tables(wh.dbId);
    assert.deepEqual(tables.map((t) => [t.schema, t.name, t.kind]), [
      [null, 'Coupons', 'table'],
      [null, 'line_items', 'table'],
      [null, 'orders', 'table'],
      [null, 'paid_orders', 'view'],
      [null, 'users', 'table'],
    ]);
    const users = await h.table(wh.dbId, 'users');
    assert.equal(users.description, 'Shop users');
    assert.equal(users.estimated_row_count, null);
    const userFields = await h.fields(users.id);
    assert.deepEqual(userFields.map((f) => [f.name, f.database_type, f.base_type, f.database_is_auto_increment]), [
      ['id', 'INT', 'type/Integer', true],
      ['email', 'VARCHAR', 'type/Text', false],
      ['active', 'BIT', 'type/Boolean', false],
    ]);
    assert.equal(userFields[0].semantic_type, 'type/PK');
    assert.equal(userFields[1].database_required, true);
    assert.equal(userFields[2].database_default, '1');

    const orders = await h.table(wh.dbId, 'orders');
    const orderFields = await h.fields(orders.id);
    const byName = (fields: typeof orderFields, name: string) => fields.find((f) => f.name === name);
    assert.equal(byName(orderFields, 'user_id')?.fk_target_field_id, userFields[0].id);
    assert.equal(byName(orderFields, 'total')?.description, 'Gross total');
    assert.equal(byName(orderFields, 'status')?.base_type, 'type/MySQLEnum');
    const lines = await h.table(wh.dbId, 'line_items');
    const lineFields = await h.fields(lines.id);
    assert.equal(byName(lineFields, 'order_id')?.fk_target_field_id, byName(orderFields, 'id')?.id);
    assert.equal(byName(lineFields, 'order_rev')?.fk_target_field_id, byName(orderFields, 'rev')?.id);
    assert.deepEqual(lines.database_foreign_keys, [
      { name: 'lines_order_fk', columns: ['order_id', 'order_rev'], target_schema: null, target_table: 'orders',
        target_columns: ['id', 'rev'] },
    ]);
    assert.deepEqual(orders.database_indexes, [
      { name: 'PRIMARY', columns: ['id', 'rev'], unique: true, primary: true, partial: false },
      { name: 'orders_user_fk', columns: ['user_id'], unique: false, primary: false, partial: false },
    ]);

    const database = await h.database(wh.dbId);
    assert.equal(database.initial_sync_status, 'complete');
    assert.equal(database.timezone, 'UTC');
    const version = JSON.parse(database.dbms_version ?? 'null');
    assert.equal(version.flavor, 'MariaDB');
    assert.deepEqual(version['semantic-version'], version.version.match(/^[\d.]+/)[0].split('.').map(Number));
    const [operation, ...steps] = await h.tasks(jobId);
    assert.deepEqual(steps.map((step) => [step.task, step.status, step.details['warehouse-queries']]), [
      ['sync-dbms-version', 'success', 0],
      ['sync-timezone', 'success', 0],
      ['sync-tables', 'success', 1],
      ['sync-fields', 'success', 1],
      ['sync-fks', 'success', 1],
      ['sync-indexes', 'success', 1],
    ], 'version and time zone come with the connection test\'s server facts');
    assert.equal(operation.details['warehouse-queries'], 4);

    const sentinel = await stampCatalog(h.appDb);
    const again = await h.run(wh.dbId, DATABASE);
    assert.equal(again.outcome.state, 'succeeded');
    assert.equal(await writtenSince(h.appDb, sentinel), 0);
  });

  test('a full sync: samples fingerprint the fields, distinct values are cached as they normalize', async () => {
    const wh = await warehouse();
    await execMysql(
      wh.url,
      `INSERT INTO users (email, active) VALUES ('a@x', 1), ('b@x', 0), ('c@x', 1), ('d@x', NULL)`,
      `INSERT INTO orders VALUES (1, 1, 1, 12.50, 'paid'), (2, 1, 2, 0.10, 'new'), (3, 1, 1, 7.00, 'paid')`,
    );
    const full: Plan = { metadata: { database: true }, analyze: { database: true }, field_values: { database: true } };
    const { jobId, outcome } = await h.run(wh.dbId, full);
    assert.equal(outcome.error, null);
    assert.deepEqual(outcome.result.phases, { metadata: 'success', analyze: 'success', field_values: 'success' });
    const users = await h.fields((await h.table(wh.dbId, 'users')).id);
    const orders = await h.fields((await h.table(wh.dbId, 'orders')).id);
    const field = (fields: typeof users, name: string) => fields.find((f) => f.name === name)!;
    const fingerprint = (f: (typeof users)[number]) => JSON.parse(f.fingerprint ?? 'null');
    assert.deepEqual(fingerprint(field(users, 'active')), { global: { 'distinct-count': 2, 'nil%': 0.25 } });
    const total = fingerprint(field(orders, 'total')).type['type/Number'];
    assert.deepEqual([total.min, total.max], [0.1, 12.5], 'decimals sampled as numbers');
    const valuesOf = async (fieldId: number) => {
      const row = await h.appDb.db.selectFrom('metabase_fieldvalues').select('values').where('field_id', '=', fieldId)
        .executeTakeFirst();
      return row ? JSON.parse(row.values) : null;
    };
    assert.deepEqual(await valuesOf(field(users, 'active').id), [false, true], 'tinyint(1) values are booleans');
    assert.deepEqual(await valuesOf(field(orders, 'status').id), ['new', 'paid']);
    const steps = Object.fromEntries((await h.tasks(jobId)).map((t) => [t.task, t]));
    assert.equal(steps['update-field-values'].status, 'success');
    // One statement per table, plus the row estimates of the field-values budget (one for up to 500 tables).
    assert.equal(steps['update-field-values'].details['warehouse-queries'], 3, 'one statement per table');
  });

  test('table-level syncs: a new column of one table; a new table found by its exact name', async () => {
    const wh = await warehouse();
    assert.equal((await h.run(wh.dbId, DATABASE)).outcome.state, 'succeeded');
    await execMysql(wh.url, 'ALTER TABLE users ADD COLUMN nickname varchar(30)', 'CREATE TABLE coupons (code int)');
    const users = await h.table(wh.dbId, 'users');
    const scoped = await h.run(wh.dbId, { metadata: { tables: [users.id] } });
    assert.equal(scoped.outcome.state, 'succeeded');
    assert.deepEqual((await h.fields(users.id)).map((f) => f.name), ['id', 'email', 'active', 'nickname']);

    const wrongCase = await h.run(wh.dbId, { metadata: { new_tables: [{ schema: null, name: 'COUPONS' }] } });
    assert.equal(wrongCase.outcome.result.new_tables[0].status, 'absent');
    const found = await h.run(wh.dbId, { metadata: { new_tables: [{ schema: null, name: 'coupons' }] } });
    assert.equal(found.outcome.result.new_tables[0].status, 'created');
    assert.deepEqual((await h.tables(wh.dbId)).map((t) => t.name), [
      'Coupons', 'line_items', 'orders', 'paid_orders', 'users', 'coupons',
    ]);
  });

  test('a warehouse that breaks later: the reason is recorded, and nothing is retired', async () => {
    const wh = await warehouse();
    assert.equal((await h.run(wh.dbId, DATABASE)).outcome.state, 'succeeded');
    const { url } = await testMysql();
    await execMysql(url, `ALTER USER '${wh.owner.user}'@'%' IDENTIFIED BY 'changed-elsewhere'`);
    const denied = await h.run(wh.dbId, DATABASE);
    assert.equal(denied.outcome.state, 'failed');
    assert.match(denied.outcome.error ?? '', /Access denied for user/);
    assert.equal((denied.outcome.error ?? '').includes(wh.owner.password), false);
    const operation = (await h.tasks(denied.jobId))[0];
    assert.equal(operation.status, 'failed');
    assert.deepEqual((operation.details.abandoned as { step: string }).step, 'test-connection');

    await execMysql(url, `ALTER USER '${wh.owner.user}'@'%' IDENTIFIED BY '${wh.owner.password}'`,
      `DROP DATABASE \`${wh.name}\``);
    const missing = await h.run(wh.dbId, DATABASE);
    assert.equal(missing.outcome.state, 'failed');
    assert.match(missing.outcome.error ?? '', new RegExp(`Unknown database '${wh.name}'`));

    const tables = await h.tables(wh.dbId);
    assert.equal(tables.length, 5);
    assert.ok(tables.every((t) => t.active), 'no table is retired');
    assert.equal((await h.database(wh.dbId)).initial_sync_status, 'complete');
  });
});

describe('POST /api/database with engine mysql', () => {
  let name: string;
  let details: Record<string, unknown>;

  before(async () => {
    ({ name, details } = await createMysqlTestDatabase('myapi'));
  });

  after(async () => {
    if (name) await dropMysqlDatabase(name);
  });

  test('bad credentials, an unknown host, a missing database, nothing listening: 400 with the reason', async (t) => {
    const h = await harness(t);
    const count = async () => (await h.appDb.db.selectFrom('metabase_database').select('id').execute()).length;
    const before = await count();
    const port = await freePort();
    const cases: [Record<string, unknown>, string][] = [
      [{ password: 'Wr0ng-Pw' }, `Access denied for user '${details.user}'@'127.0.0.1' (using a password)`],
      [{ host: 'no-such-host.invalid' }, 'could not connect to no-such-host.invalid:'],
      [{ dbname: `${name}_missing` }, `Unknown database '${name}_missing'`],
      [{ port }, `could not connect to 127.0.0.1:${port}: connection refused`],
    ];
    for (const [change, reason] of cases) {
      const res = await h.post('/api/database', { name: 'Shop', engine: 'mysql', details: { ...details, ...change } }, A);
      assert.equal(res.statusCode, 400, res.body);
      const body = res.json() as { message: string };
      assert.ok(body.message.startsWith(reason), body.message);
      assert.equal(res.body.includes('Wr0ng-Pw'), false);
      assert.equal(res.body.includes(String(details.password)), false);
    }
    assert.equal(await count(), before, 'nothing is inserted');
  });

  test('good details: the database is registered, its details stored', async (t) => {
    const h = await harness(t);
    const { host, port, dbname, user, password } = details;
    const res = await h.post('/api/database', { name: 'Shop', engine: 'mysql',
      details: { host, port: String(port), dbname, user, password, 'additional-options': 'tinyInt1isBit=false' } }, A);
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json() as { engine: string; details: Record<string, unknown> };
    assert.equal(body.engine, 'mysql');
    assert.equal(body.details.port, port);
    assert.equal(body.details.ssl, false);
    assert.equal(body.details['additional-options'], 'tinyInt1isBit=false');
  });
});
