import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import type { DriverOptions, FieldMetadata, Scope, WarehouseDriver } from '../../../src/drivers/driver.ts';
import {
  createPostgresDriver,
  parseServerVersion,
  postgresClientConfig,
  readPostgresDetails,
} from '../../../src/drivers/postgres/postgres-driver.ts';
import { createTestDatabase, execSql, testPg } from '../../support/postgres.ts';
import { collect } from '../../support/drivers.ts';

const OPTIONS: DriverOptions = { connectTimeoutMs: 10_000, catalogQueryTimeoutMs: 30_000, sampleQueryTimeoutMs: 30_000, fieldValuesQueryTimeoutMs: 30_000 };
const DATABASE: Scope = { kind: 'database' };
const signal = new AbortController().signal;

async function dropDatabase(name: string): Promise<void> {
  const { url } = await testPg();
  await execSql(url, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
}

async function available(url: string, extension: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query('SELECT 1 FROM pg_available_extensions WHERE name = $1', [extension]);
    return result.rowCount === 1;
  } finally {
    await client.end();
  }
}

describe('details, session settings and version parsing', () => {
  test('details get their defaults; schema filters are parsed', () => {
    const details = readPostgresDetails({ host: 'db', dbname: 'w', user: 'u', 'schema-filters-type': 'inclusion',
      'schema-filters-patterns': 'a*' });
    assert.deepEqual(details, {
      host: 'db',
      port: 5432,
      dbname: 'w',
      user: 'u',
      password: undefined,
      tls: { level: 'off', ca: undefined },
      schemaFilter: { mode: 'inclusion', likePatterns: ['a%'] },
    });
    assert.equal(readPostgresDetails({ host: 'db', port: '6543', dbname: 'w', user: 'u', ssl: true }).port, 6543);
  });

  test('session settings are startup parameters: read-only, lock_timeout, application_name, statement_timeout', () => {
    const config = postgresClientConfig(readPostgresDetails({ host: 'db', dbname: 'w', user: 'u', ssl: true }), 1234);
    assert.equal(config.options, '-c default_transaction_read_only=on');
    assert.equal(config.application_name, 'catalog-sync');
    assert.equal(config.lock_timeout, 10_000);
    assert.equal(config.statement_timeout, 1234);
    assert.equal(config.password, '');
    assert.deepEqual(config.ssl, { rejectUnauthorized: true });
  });

  test('server_version is reduced to its leading version number', () => {
    assert.equal(parseServerVersion('15.18 (Debian 15.18-0+deb12u1)'), '15.18');
    assert.equal(parseServerVersion('16.4'), '16.4');
    assert.equal(parseServerVersion('17devel'), '17');
    assert.equal(parseServerVersion('12.22 (Ubuntu 12.22-0ubuntu0.20.04.1)'), '12.22');
    assert.equal(parseServerVersion('unknown'), 'unknown');
  });
});

describe('PostgreSQL driver against a fixture warehouse', () => {
  let name: string;
  let url: string;
  let details: Record<string, unknown>;
  let driver: WarehouseDriver;
  let hasCitext: boolean;
  let hasFdw: boolean;
  let customersOid: string;

  before(async () => {
    ({ name, url, details } = await createTestDatabase('pgdrv'));
    hasCitext = await available(url, 'citext');
    hasFdw = await available(url, 'postgres_fdw');
    await execSql(
      url,
      'CREATE SCHEMA sales',
      'CREATE SCHEMA ext',
      ...(hasCitext ? ['CREATE EXTENSION citext SCHEMA ext'] : []),
      "CREATE TYPE sales.order_status AS ENUM ('new', 'paid', 'shipped')",
      "CREATE TYPE public.mood AS ENUM ('ok', 'sad')",
      'CREATE DOMAIN public.positive_int AS integer CHECK (VALUE > 0)',
      'CREATE DOMAIN public.small_positive AS positive_int CHECK (VALUE < 100)',
      `CREATE TABLE public.all_types (
        c_bigint bigint, c_bigserial bigserial, c_smallint smallint, c_integer integer, c_smallserial smallserial,
        c_decimal decimal(10, 2), c_money money, c_real real, c_double double precision, c_bool boolean,
        c_text text, c_varchar varchar(255), c_char char(3), c_pg_lsn pg_lsn, c_date date, c_time time(3),
        c_timetz timetz, c_timestamp timestamp(3), c_timestamptz timestamptz, c_json json, c_jsonb jsonb, c_uuid uuid,
        c_inet inet, c_cidr cidr, c_macaddr macaddr, c_xml xml, c_bit bit(3), c_varbit varbit, c_box box,
        c_bytea bytea, c_circle circle, c_interval interval, c_line line, c_lseg lseg, c_path path, c_point point,
        c_tsquery tsquery, c_tsvector tsvector, c_txid_snapshot txid_snapshot, c_enum sales.order_status,
        c_mood mood, c_int_array integer[], c_text_matrix text[][], c_enum_array sales.order_status[],
        c_domain small_positive
      )`,
      ...(hasCitext ? ['ALTER TABLE public.all_types ADD COLUMN c_citext ext.citext'] : []),
      `CREATE TABLE public.customers (
        id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        email text NOT NULL,
        name text NOT NULL DEFAULT 'anonymous',
        created_at timestamptz DEFAULT now(),
        name_upper text GENERATED ALWAYS AS (upper(name)) STORED,
        legacy_id serial,
        status sales.order_status,
        age small_positive,
        dropped_col integer
      )`,
      'ALTER TABLE public.customers DROP COLUMN dropped_col',
      'ALTER TABLE public.customers ADD COLUMN note text',
      "COMMENT ON TABLE public.customers IS 'People who buy things'",
      "COMMENT ON COLUMN public.customers.email IS 'Where receipts go'",
      'CREATE UNIQUE INDEX customers_email_key ON public.customers (email)',
      "CREATE INDEX customers_recent_idx ON public.customers (created_at) WHERE created_at > '2020-01-01'",
      'CREATE INDEX customers_lower_name_idx ON public.customers (lower(name), id) INCLUDE (email)',
      "INSERT INTO public.customers (email) VALUES ('a@x'), ('b@x'), ('c@x')",
      'ANALYZE public.customers',
      `CREATE TABLE sales.orders (
        region text, order_no integer, customer_id integer REFERENCES public.customers (id),
        PRIMARY KEY (region, order_no)
      )`,
      `CREATE TABLE sales.order_lines (
        ol_region text NOT NULL, ol_order_no integer NOT NULL, line_no integer NOT NULL,
        CONSTRAINT order_lines_order_fk FOREIGN KEY (ol_order_no, ol_region) REFERENCES sales.orders (order_no, region)
      )`,
      'CREATE VIEW public.customer_emails AS SELECT id, email FROM public.customers',
      'CREATE MATERIALIZED VIEW public.customer_counts AS SELECT count(*) AS n FROM public.customers',
      `CREATE TABLE public.events (
        id bigint, at date, customer_id integer REFERENCES public.customers (id), PRIMARY KEY (id, at)
      ) PARTITION BY RANGE (at)`,
      "CREATE TABLE public.events_2024 PARTITION OF public.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
      `CREATE TABLE sales.event_refs (
        event_id bigint, at date, FOREIGN KEY (event_id, at) REFERENCES public.events (id, at)
      )`,
      'CREATE TABLE public."MixedCase" ("Id" integer, id integer)',
      'CREATE TABLE public."select" ("from" integer)',
      'CREATE TABLE public."B" (x integer)',
      'CREATE TABLE public.a (x integer)',
      ...(hasFdw
        ? [
            'CREATE EXTENSION postgres_fdw',
            'CREATE SERVER loopback FOREIGN DATA WRAPPER postgres_fdw',
            'CREATE FOREIGN TABLE public.remote_things (id integer) SERVER loopback',
          ]
        : []),
    );
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    customersOid = (await client.query("SELECT 'public.customers'::regclass::oid::text AS oid")).rows[0].oid;
    await client.end();
    driver = createPostgresDriver(details, OPTIONS);
  });

  after(async () => {
    await driver?.close();
    if (name) await dropDatabase(name);
  });

  test('capabilities, version, time zone and the connection test', async () => {
    assert.deepEqual(await driver.capabilities(signal), {
      schemas: true,
      foreignKeys: true,
      indexes: true,
      comments: true,
      rowCountEstimates: true,
      stableObjectIds: true,
      caseInsensitiveIdentifiers: false,
      batchedDistinctValues: true,
    });
    await driver.testConnection(signal);
    const version = await driver.dbmsVersion(signal);
    assert.equal(version.flavor, 'PostgreSQL');
    assert.match(version.version, /^\d+(\.\d+)*$/);
    assert.equal(typeof (await driver.timezone(signal)), 'string');
  });

  test('describeTables lists every readable relation, partitions left out, in byte order', async () => {
    const tables = await collect(driver.describeTables(DATABASE, signal));
    const listed = tables.map((t) => `${t.schema}.${t.name}:${t.kind}`);
    assert.deepEqual(listed, [
      'public.B:table',
      'public.MixedCase:table',
      'public.a:table',
      'public.all_types:table',
      'public.customer_counts:materialized_view',
      'public.customer_emails:view',
      'public.customers:table',
      'public.events:partitioned_table',
      ...(hasFdw ? ['public.remote_things:foreign_table'] : []),
      'public.select:table',
      'sales.event_refs:table',
      'sales.order_lines:table',
      'sales.orders:table',
    ]);
    assert.deepEqual(
      tables.find((t) => t.name === 'customers'),
      {
        schema: 'public',
        name: 'customers',
        kind: 'table',
        comment: 'People who buy things',
        estimatedRowCount: 3,
        objectId: customersOid,
      },
    );
    assert.equal(tables.find((t) => t.name === 'customer_emails')?.estimatedRowCount, null);
    assert.equal(tables.find((t) => t.name === 'B')?.estimatedRowCount, null);
    assert.equal(tables.find((t) => t.name === 'B')?.comment, null);
  });

  test('describeFields reports exact metadata, dense positions and mapped types', async () => {
    const fields = await collect(driver.describeFields(DATABASE, signal));
    const customers = fields.filter((f) => f.tableName === 'customers');
    const base = {
      tableSchema: 'public',
      tableName: 'customers',
      semanticHint: null,
      isPk: false,
      isAutoIncrement: false,
      isGenerated: false,
      isRequired: false,
      default: null,
      comment: null,
    };
    const expected: FieldMetadata[] = [
      { ...base, name: 'id', databaseType: 'int4', baseType: 'type/Integer', position: 0, isNullable: false,
        isPk: true, isAutoIncrement: true, objectId: '1' },
      { ...base, name: 'email', databaseType: 'text', baseType: 'type/Text', position: 1, isNullable: false,
        isRequired: true, comment: 'Where receipts go', objectId: '2' },
      { ...base, name: 'name', databaseType: 'text', baseType: 'type/Text', position: 2, isNullable: false,
        default: "'anonymous'::text", objectId: '3' },
      { ...base, name: 'created_at', databaseType: 'timestamptz', baseType: 'type/DateTimeWithLocalTZ', position: 3,
        isNullable: true, default: 'now()', objectId: '4' },
      { ...base, name: 'name_upper', databaseType: 'text', baseType: 'type/Text', position: 4, isNullable: true,
        isGenerated: true, objectId: '5' },
      { ...base, name: 'legacy_id', databaseType: 'int4', baseType: 'type/Integer', position: 5, isNullable: false,
        isAutoIncrement: true, default: "nextval('customers_legacy_id_seq'::regclass)", objectId: '6' },
      { ...base, name: 'status', databaseType: '"sales"."order_status"', baseType: 'type/PostgresEnum', position: 6,
        isNullable: true, objectId: '7' },
      { ...base, name: 'age', databaseType: 'int4', baseType: 'type/Integer', position: 7, isNullable: true,
        objectId: '8' },
      { ...base, name: 'note', databaseType: 'text', baseType: 'type/Text', position: 8, isNullable: true,
        objectId: '10' },
    ];
    assert.deepEqual(customers, expected);

    const order = fields.map((f) => `${f.tableSchema}.${f.tableName}`);
    assert.deepEqual(order, [...order].sort((a, b) => (Buffer.compare(Buffer.from(a), Buffer.from(b)))));
    assert.deepEqual(
      fields.filter((f) => f.tableName === 'MixedCase').map((f) => [f.name, f.position]),
      [['Id', 0], ['id', 1]],
    );
    assert.deepEqual(fields.filter((f) => f.tableName === 'select').map((f) => f.name), ['from']);
    assert.deepEqual(
      fields.filter((f) => f.tableName === 'customer_emails').map((f) => [f.name, f.databaseType, f.isNullable]),
      [['id', 'int4', true], ['email', 'text', true]],
    );
    assert.deepEqual(fields.filter((f) => f.tableName === 'events').map((f) => [f.name, f.isPk]), [
      ['id', true],
      ['at', true],
      ['customer_id', false],
    ]);
    assert.equal(fields.some((f) => f.tableName === 'events_2024'), false);
  });

  test('every mapped type PostgreSQL has maps as 4.10 says', async () => {
    const scope: Scope = { kind: 'tables', tables: [{ schema: 'public', name: 'all_types' }] };
    const fields = await collect(driver.describeFields(scope, signal));
    const types = Object.fromEntries(fields.map((f) => [f.name, [f.databaseType, f.baseType, f.semanticHint]]));
    const expected: Record<string, [string, string, string | null]> = {
      c_bigint: ['int8', 'type/BigInteger', null],
      c_bigserial: ['int8', 'type/BigInteger', null],
      c_smallint: ['int2', 'type/Integer', null],
      c_integer: ['int4', 'type/Integer', null],
      c_smallserial: ['int2', 'type/Integer', null],
      c_decimal: ['numeric', 'type/Decimal', null],
      c_money: ['money', 'type/Decimal', null],
      c_real: ['float4', 'type/Float', null],
      c_double: ['float8', 'type/Float', null],
      c_bool: ['bool', 'type/Boolean', null],
      c_text: ['text', 'type/Text', null],
      c_varchar: ['varchar', 'type/Text', null],
      c_char: ['bpchar', 'type/Text', null],
      c_pg_lsn: ['pg_lsn', 'type/Text', null],
      c_date: ['date', 'type/Date', null],
      c_time: ['time', 'type/Time', null],
      c_timetz: ['timetz', 'type/TimeWithLocalTZ', null],
      c_timestamp: ['timestamp', 'type/DateTime', null],
      c_timestamptz: ['timestamptz', 'type/DateTimeWithLocalTZ', null],
      c_json: ['json', 'type/JSON', 'type/SerializedJSON'],
      c_jsonb: ['jsonb', 'type/JSON', 'type/SerializedJSON'],
      c_uuid: ['uuid', 'type/UUID', null],
      c_inet: ['inet', 'type/IPAddress', 'type/IPAddress'],
      c_cidr: ['cidr', 'type/Structured', null],
      c_macaddr: ['macaddr', 'type/Structured', null],
      c_xml: ['xml', 'type/Structured', 'type/XML'],
      c_bit: ['bit', 'type/*', null],
      c_varbit: ['varbit', 'type/*', null],
      c_box: ['box', 'type/*', null],
      c_bytea: ['bytea', 'type/*', null],
      c_circle: ['circle', 'type/*', null],
      c_interval: ['interval', 'type/*', null],
      c_line: ['line', 'type/*', null],
      c_lseg: ['lseg', 'type/*', null],
      c_path: ['path', 'type/*', null],
      c_point: ['point', 'type/*', null],
      c_tsquery: ['tsquery', 'type/*', null],
      c_tsvector: ['tsvector', 'type/*', null],
      c_txid_snapshot: ['txid_snapshot', 'type/*', null],
      c_enum: ['"sales"."order_status"', 'type/PostgresEnum', null],
      c_mood: ['mood', 'type/PostgresEnum', null],
      c_int_array: ['_int4', 'type/Array', null],
      c_text_matrix: ['_text', 'type/Array', null],
      c_enum_array: ['"sales"."_order_status"', 'type/Array', null],
      c_domain: ['int4', 'type/Integer', null],
      ...(hasCitext ? { c_citext: ['"ext"."citext"', 'type/Text', null] as [string, string, null] } : {}),
    };
    assert.deepEqual(types, expected);
    assert.deepEqual(fields.map((f) => f.position), fields.map((_, i) => i));
  });

  test('describeForeignKeys: one object per constraint, composite pairs aligned by ordinal', async () => {
    const before = driver.queryCount;
    const fks = await collect(driver.describeForeignKeys(DATABASE, signal));
    assert.equal(driver.queryCount - before, 1);
    assert.deepEqual(fks, [
      { constraintName: 'events_customer_id_fkey', tableSchema: 'public', tableName: 'events',
        columns: ['customer_id'], targetSchema: 'public', targetTable: 'customers', targetColumns: ['id'] },
      { constraintName: 'event_refs_event_id_at_fkey', tableSchema: 'sales', tableName: 'event_refs',
        columns: ['event_id', 'at'], targetSchema: 'public', targetTable: 'events', targetColumns: ['id', 'at'] },
      { constraintName: 'order_lines_order_fk', tableSchema: 'sales', tableName: 'order_lines',
        columns: ['ol_order_no', 'ol_region'], targetSchema: 'sales', targetTable: 'orders',
        targetColumns: ['order_no', 'region'] },
      { constraintName: 'orders_customer_id_fkey', tableSchema: 'sales', tableName: 'orders',
        columns: ['customer_id'], targetSchema: 'public', targetTable: 'customers', targetColumns: ['id'] },
    ]);
  });

  test('describeIndexes: unique, partial, expression and primary keys; partitions left out', async () => {
    const indexes = await collect(driver.describeIndexes(DATABASE, signal));
    const index = (indexName: string, columns: (string | null)[], flags: Partial<Record<string, boolean>> = {}) => ({
      tableSchema: 'public', tableName: 'customers', indexName, columns,
      isUnique: false, isPrimary: false, isPartial: false, ...flags,
    });
    assert.deepEqual(indexes.filter((i) => i.tableName === 'customers'), [
      index('customers_email_key', ['email'], { isUnique: true }),
      index('customers_lower_name_idx', [null, 'id']),
      index('customers_pkey', ['id'], { isUnique: true, isPrimary: true }),
      index('customers_recent_idx', ['created_at'], { isPartial: true }),
    ]);
    assert.deepEqual(
      indexes
        .filter((i) => i.tableName !== 'customers')
        .map((i) => [i.tableSchema, i.tableName, i.indexName, i.columns]),
      [
        ['public', 'events', 'events_pkey', ['id', 'at']],
        ['sales', 'orders', 'orders_pkey', ['region', 'order_no']],
      ],
    );
  });

  test('a database-scope describe costs exactly one statement', async () => {
    const counted = createPostgresDriver(details, OPTIONS);
    try {
      await collect(counted.describeTables(DATABASE, signal));
      assert.equal(counted.queryCount, 1);
      await collect(counted.describeFields(DATABASE, signal));
      assert.equal(counted.queryCount, 2);
      await collect(counted.describeForeignKeys(DATABASE, signal));
      await collect(counted.describeIndexes(DATABASE, signal));
      assert.equal(counted.queryCount, 4);
    } finally {
      await counted.close();
    }
  });

  test('scoped describes report only the scoped tables, in one statement each', async () => {
    const scope: Scope = {
      kind: 'tables',
      tables: [
        { schema: 'sales', name: 'orders' },
        { schema: 'public', name: 'MixedCase' },
        { schema: 'public', name: 'mixedcase' },
        { schema: null, name: 'customers' },
      ],
    };
    const before = driver.queryCount;
    const tables = await collect(driver.describeTables(scope, signal));
    assert.deepEqual(tables.map((t) => `${t.schema}.${t.name}`), ['public.MixedCase', 'sales.orders']);
    const fields = await collect(driver.describeFields(scope, signal));
    assert.deepEqual(fields.map((f) => `${f.tableName}.${f.name}:${f.position}`), [
      'MixedCase.Id:0',
      'MixedCase.id:1',
      'orders.region:0',
      'orders.order_no:1',
      'orders.customer_id:2',
    ]);
    const indexes = await collect(driver.describeIndexes(scope, signal));
    assert.deepEqual(indexes.map((i) => i.indexName), ['orders_pkey']);
    assert.equal(driver.queryCount - before, 3);
  });

  test('a scoped FK query matches constraints whose source or target is in scope', async () => {
    const names = async (tables: { schema: string; name: string }[]) =>
      (await collect(driver.describeForeignKeys({ kind: 'tables', tables }, signal))).map((fk) => fk.constraintName);
    assert.deepEqual(await names([{ schema: 'public', name: 'customers' }]), [
      'events_customer_id_fkey',
      'orders_customer_id_fkey',
    ]);
    assert.deepEqual(await names([{ schema: 'sales', name: 'order_lines' }]), ['order_lines_order_fk']);
    assert.deepEqual(await names([{ schema: 'sales', name: 'orders' }]), [
      'order_lines_order_fk',
      'orders_customer_id_fkey',
    ]);
    assert.deepEqual(await names([{ schema: 'public', name: 'a' }]), []);
  });

  test('a scope of null-schema refs only asks nothing', async () => {
    const before = driver.queryCount;
    const scope: Scope = { kind: 'tables', tables: [{ schema: null, name: 'customers' }] };
    assert.deepEqual(await collect(driver.describeTables(scope, signal)), []);
    assert.deepEqual(await collect(driver.describeFields(scope, signal)), []);
    assert.equal(await driver.tableExists({ schema: null, name: 'customers' }, signal), null);
    assert.equal(driver.queryCount, before);
  });

  test('tableExists is exact and case-sensitive, one statement per call', async () => {
    const before = driver.queryCount;
    const mixed = await driver.tableExists({ schema: 'public', name: 'MixedCase' }, signal);
    assert.equal(mixed?.name, 'MixedCase');
    assert.equal(await driver.tableExists({ schema: 'public', name: 'mixedcase' }, signal), null);
    assert.equal(await driver.tableExists({ schema: 'PUBLIC', name: 'MixedCase' }, signal), null);
    assert.deepEqual(await driver.tableExists({ schema: 'public', name: 'customers' }, signal), {
      schema: 'public',
      name: 'customers',
      kind: 'table',
      comment: 'People who buy things',
      estimatedRowCount: 3,
      objectId: customersOid,
    });
    assert.equal((await driver.tableExists({ schema: 'public', name: 'select' }, signal))?.name, 'select');
    assert.equal(await driver.tableExists({ schema: 'public', name: 'events_2024' }, signal), null);
    assert.equal(await driver.tableExists({ schema: 'public', name: 'nothing_here' }, signal), null);
    assert.equal(driver.queryCount - before, 7);
  });

  test('a consumer that stops early leaves a usable connection', async () => {
    for await (const field of driver.describeFields(DATABASE, signal)) {
      assert.equal(field.tableName, 'B');
      break;
    }
    const tables = await collect(driver.describeTables(DATABASE, signal));
    assert.ok(tables.length > 10);
  });
});

describe('statement count does not grow with the warehouse', () => {
  const names: string[] = [];

  after(async () => {
    for (const name of names) await dropDatabase(name);
  });

  async function countFor(tables: number): Promise<{ queries: number; fields: number }> {
    const db = await createTestDatabase('pgcount');
    names.push(db.name);
    await execSql(
      db.url,
      `DO $$ BEGIN FOR i IN 1..${tables} LOOP
        EXECUTE format('CREATE TABLE t%s (id serial PRIMARY KEY, parent_id integer REFERENCES t%s (id), label text)',
          i, CASE WHEN i > 1 THEN i - 1 ELSE i END);
      END LOOP; END $$`,
    );
    const driver = createPostgresDriver(db.details, OPTIONS);
    try {
      await collect(driver.describeTables(DATABASE, signal));
      const fields = await collect(driver.describeFields(DATABASE, signal));
      const fks = await collect(driver.describeForeignKeys(DATABASE, signal));
      const indexes = await collect(driver.describeIndexes(DATABASE, signal));
      assert.equal(fks.length, tables);
      assert.equal(indexes.length, tables);
      const queries = driver.queryCount;
      const refs = Array.from({ length: 500 }, (_, i) => ({ schema: 'public', name: `t${i + 1}` }));
      const scope: Scope = { kind: 'tables', tables: refs };
      assert.equal((await collect(driver.describeFields(scope, signal))).length, fields.length);
      assert.equal((await collect(driver.describeForeignKeys(scope, signal))).length, tables);
      assert.equal(driver.queryCount - queries, 2, 'a 500-ref scope is one statement per call');
      return { queries, fields: fields.length };
    } finally {
      await driver.close();
    }
  }

  test('10 and 200 tables cost the same four statements', async () => {
    const small = await countFor(10);
    const large = await countFor(200);
    assert.deepEqual(small, { queries: 4, fields: 30 });
    assert.deepEqual(large, { queries: 4, fields: 600 });
  });
});
