import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { DriverOptions, WarehouseDriver } from '../../../src/drivers/driver.ts';
import { createPostgresDriver } from '../../../src/drivers/postgres/postgres-driver.ts';
import pg from 'pg';
import {
  boundedDistinctQuery,
  distinctValuesQuery,
  samplePercent,
  sampleQuery,
  sampleStatsOf,
  sampleStatsQuery,
} from '../../../src/drivers/postgres/postgres-sampling.ts';
import {
  normalizeDecimalText,
  normalizeIntegerText,
  normalizeLocalTimestampText,
  normalizeUtcTimestampText,
} from '../../../src/drivers/value-normalization.ts';
import { createTestDatabase, execSql, testPg } from '../../support/postgres.ts';
import { collect } from '../../support/drivers.ts';

const OPTIONS: DriverOptions = {
  connectTimeoutMs: 10_000,
  catalogQueryTimeoutMs: 30_000,
  sampleQueryTimeoutMs: 30_000,
  fieldValuesQueryTimeoutMs: 30_000,
};
const SAMPLE = { limit: 10_000, textTruncate: 1_234 } as const;
const signal = new AbortController().signal;

describe('value normalization (pure)', () => {
  test('integers beyond ±(2^53−1) stay decimal strings', () => {
    assert.equal(normalizeIntegerText('9007199254740991'), 9007199254740991);
    assert.equal(normalizeIntegerText('-9007199254740991'), -9007199254740991);
    assert.equal(normalizeIntegerText('9007199254740992'), '9007199254740992');
    assert.equal(normalizeIntegerText('-9223372036854775808'), '-9223372036854775808');
  });

  test('decimals are numbers only when they round-trip exactly', () => {
    assert.equal(normalizeDecimalText('12.50'), 12.5);
    assert.equal(normalizeDecimalText('0.1'), 0.1);
    assert.equal(normalizeDecimalText('-0.000'), 0);
    assert.equal(normalizeDecimalText('1249.99'), 1249.99);
    assert.equal(normalizeDecimalText('12345678901234567890.5'), '12345678901234567890.5');
    assert.equal(normalizeDecimalText('0.12345678901234567890123'), '0.12345678901234567890123');
    assert.equal(normalizeDecimalText('NaN'), 'NaN');
    assert.equal(normalizeDecimalText('100000000000000000000000'), 1e23);
  });

  test('timestamps take the ISO forms of 4.5', () => {
    assert.equal(normalizeLocalTimestampText('2025-11-25 08:30:00'), '2025-11-25T08:30:00');
    assert.equal(normalizeLocalTimestampText('2025-11-25 08:30:00.123456'), '2025-11-25T08:30:00.123456');
    assert.equal(normalizeLocalTimestampText('infinity'), 'infinity');
    assert.equal(normalizeUtcTimestampText('2025-11-25 08:30:00+00'), '2025-11-25T08:30:00Z');
    assert.equal(normalizeUtcTimestampText('2025-11-25 08:30:00.5+00'), '2025-11-25T08:30:00.5Z');
    assert.equal(normalizeUtcTimestampText('0044-03-15 12:00:00+00 BC'), '0044-03-15 12:00:00+00 BC');
  });

  test('the sample statement selects the fields, cuts text in SQL, and has a LIMIT but no ORDER BY', () => {
    const query = sampleQuery({ schema: 's', name: 't"x' }, [{ name: 'a', truncateText: false }, { name: 'B', truncateText: true }], SAMPLE);
    assert.equal(query.text, 'SELECT "a", substring(CAST("B" AS text), 1, $2) FROM "s"."t""x" LIMIT $1');
    assert.deepEqual(query.values, [10_000, 1_234]);
  });

  test('the distinct-values statement is one UNION ALL with one tagged branch per field', () => {
    const query = distinctValuesQuery({ schema: 's', name: 't' }, ['a', 'b'], { limit: 1001 });
    assert.equal(query.text.match(/UNION ALL/g)?.length, 2);
    assert.match(query.text, /^SELECT NULL::integer AS i, "a" AS v0, "b" AS v1 FROM "s"\."t" WHERE false\n/);
    assert.match(query.text, /\nSELECT 0, d\."a", NULL FROM \(SELECT DISTINCT "a" FROM "s"\."t" WHERE "a" IS NOT NULL ORDER BY "a" LIMIT \$1\) AS d\n/);
    assert.match(query.text, /ORDER BY i, v0, v1$/);
    assert.deepEqual(query.values, [1001]);
  });
});

describe('PostgreSQL sampleRows and distinctValues', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let driver: WarehouseDriver;

  before(async () => {
    await testPg();
    database = await createTestDatabase('sampling');
    await execSql(
      database.url,
      `CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')`,
      `CREATE TABLE public.kinds (
         id integer PRIMARY KEY, big bigint, small smallint, num numeric(40, 10), money_like numeric, f8 double precision,
         f4 real, flag boolean, d date, t time, tz timestamptz, ts timestamp, txt text, v varchar(20), m mood, u uuid,
         j jsonb, arr integer[], ip inet)`,
      `INSERT INTO public.kinds VALUES
         (1, 9223372036854775807, -3, 12.5, 0.1, 1.5, 0.25, true, '2025-11-25', '08:30:00', '2025-11-25 10:30:00+02',
          '2025-11-25 08:30:00.25', 'héllo', 'x', 'happy', '00000000-0000-0000-0000-000000000001', '{"a": 1}',
          '{1,2}', '10.0.0.1'),
         (2, 42, NULL, 123456789012345678901.0000000001, NULL, 'NaN', NULL, false, NULL, NULL, NULL, NULL, NULL, NULL,
          'sad', NULL, NULL, NULL, NULL)`,
      `CREATE TABLE public."Long Text" ("Body" text, n integer)`,
      `INSERT INTO public."Long Text" SELECT repeat('é', 5000), g FROM generate_series(1, 12000) AS g`,
      `CREATE TABLE public.letters (c text, k integer, b boolean)`,
      `INSERT INTO public.letters VALUES ('b', 2, true), ('a', 1, NULL), ('b', 2, false), (NULL, 3, true), ('c', NULL, NULL)`,
      `CREATE TABLE public.many (n integer)`,
      `INSERT INTO public.many SELECT g % 1500 FROM generate_series(1, 3000) AS g`,
      `CREATE VIEW public.slow AS SELECT n FROM public.many WHERE pg_sleep(0.01 + n * 0)::text = ''`,
    );
    driver = createPostgresDriver(database.details, OPTIONS);
  });

  after(async () => {
    await driver?.close();
    if (database) await execSql((await testPg()).url, `DROP DATABASE IF EXISTS "${database.name}" WITH (FORCE)`);
  });

  test('capabilities declare batched distinct values', async () => {
    assert.equal((await driver.capabilities(signal)).batchedDistinctValues, true);
  });

  test('sampled values are normalized by type as 4.5 says', async () => {
    const names = ['id', 'big', 'small', 'num', 'money_like', 'f8', 'f4', 'flag', 'd', 't', 'tz', 'ts', 'txt', 'v', 'm', 'u', 'ip'];
    const truncated = new Set(['txt', 'v', 'm', 'u']);
    const fields = names.map((name) => ({ name, truncateText: truncated.has(name) }));
    const before = driver.queryCount;
    const rows = await collect(driver.sampleRows({ schema: 'public', name: 'kinds' }, fields, SAMPLE, signal));
    assert.equal(driver.queryCount - before, 1);
    const byId = new Map(rows.map((row) => [row[0], Object.fromEntries(names.map((n, i) => [n, row[i]]))]));
    assert.deepEqual(byId.get(1), {
      id: 1, big: '9223372036854775807', small: -3, num: 12.5, money_like: 0.1, f8: 1.5, f4: 0.25, flag: true,
      d: '2025-11-25', t: '08:30:00', tz: '2025-11-25T08:30:00Z', ts: '2025-11-25T08:30:00.25', txt: 'héllo', v: 'x',
      m: 'happy', u: '00000000-0000-0000-0000-000000000001', ip: '10.0.0.1',
    });
    const second = byId.get(2)!;
    assert.equal(second.big, 42);
    assert.equal(second.num, '123456789012345678901.0000000001');
    assert.ok(Number.isNaN(second.f8));
    assert.equal(second.flag, false);
    assert.equal(second.small, null);
  });

  test('the sample is capped at 10,000 rows and long text is cut to 1,234 characters in SQL', async () => {
    const fields = [{ name: 'Body', truncateText: true }, { name: 'n', truncateText: false }];
    const rows = await collect(driver.sampleRows({ schema: 'public', name: 'Long Text' }, fields, SAMPLE, signal));
    assert.equal(rows.length, 10_000);
    assert.equal((rows[0][0] as string).length, 1_234);
    assert.equal(typeof rows[0][1], 'number');
  });

  test('distinct values: one statement for every field, ascending, non-null, capped per field', async () => {
    const before = driver.queryCount;
    const lists = await driver.distinctValues({ schema: 'public', name: 'letters' }, ['c', 'k', 'b'], { limit: 1001 }, signal);
    assert.equal(driver.queryCount - before, 1);
    assert.deepEqual(lists, [['a', 'b', 'c'], [1, 2, 3], [false, true]]);
    const many = await driver.distinctValues({ schema: 'public', name: 'many' }, ['n'], { limit: 1001 }, signal);
    assert.equal(many[0].length, 1001);
    assert.deepEqual(many[0].slice(0, 3), [0, 1, 2]);
    assert.deepEqual(await driver.distinctValues({ schema: 'public', name: 'many' }, [], { limit: 1001 }, signal), []);
  });

  test('distinct values keep each field type: enums in enum order, numerics and big integers normalized', async () => {
    const lists = await driver.distinctValues({ schema: 'public', name: 'kinds' }, ['m', 'big', 'num', 'd'], { limit: 1001 }, signal);
    assert.deepEqual(lists, [['sad', 'happy'], [42, '9223372036854775807'], [12.5, '123456789012345678901.0000000001'], ['2025-11-25']]);
  });

  test('a missing column fails the whole batched query with QUERY_FAILED; a missing table names nothing else', async () => {
    await assert.rejects(
      driver.distinctValues({ schema: 'public', name: 'letters' }, ['c', 'nope'], { limit: 1001 }, signal),
      (error: Error & { code?: string }) => error.name === 'DriverError' && error.code === 'QUERY_FAILED',
    );
    await assert.rejects(collect(driver.sampleRows({ schema: 'public', name: 'gone' }, [{ name: 'x', truncateText: false }], SAMPLE, signal)),
      (error: Error & { code?: string }) => error.code === 'QUERY_FAILED');
  });

  test('a denied table is PERMISSION_DENIED', async () => {
    const role = `${database.name}_reader`;
    await execSql(database.url, `CREATE ROLE ${role} LOGIN PASSWORD 'pw'`, `REVOKE ALL ON public.letters FROM PUBLIC`,
      `GRANT SELECT ON public.many TO ${role}`);
    const reader = createPostgresDriver({ ...database.details, user: role, password: 'pw' }, OPTIONS);
    try {
      await assert.rejects(
        collect(reader.sampleRows({ schema: 'public', name: 'letters' }, [{ name: 'c', truncateText: true }], SAMPLE, signal)),
        (error: Error & { code?: string }) => error.code === 'PERMISSION_DENIED',
      );
      assert.equal((await reader.distinctValues({ schema: 'public', name: 'many' }, ['n'], { limit: 5 }, signal))[0].length, 5);
    } finally {
      await reader.close();
      await execSql(database.url, `DROP OWNED BY ${role}`, `DROP ROLE ${role}`);
    }
  });

  test('the sample timeout cancels the statement with TIMEOUT, and the driver keeps working', async () => {
    const quick = createPostgresDriver(database.details, { ...OPTIONS, sampleQueryTimeoutMs: 1000, fieldValuesQueryTimeoutMs: 1000 });
    try {
      const started = performance.now();
      await assert.rejects(
        collect(quick.sampleRows({ schema: 'public', name: 'slow' }, [{ name: 'n', truncateText: false }], SAMPLE, signal)),
        (error: Error & { code?: string }) => error.code === 'TIMEOUT',
      );
      assert.ok(performance.now() - started < 8_000);
      await assert.rejects(quick.distinctValues({ schema: 'public', name: 'slow' }, ['n'], { limit: 1001 }, signal),
        (error: Error & { code?: string }) => error.code === 'TIMEOUT');
      const lists = await quick.distinctValues({ schema: 'public', name: 'letters' }, ['c'], { limit: 1001 }, signal);
      assert.deepEqual(lists, [['a', 'b', 'c']]);
    } finally {
      await quick.close();
    }
  });

  test('an aborted signal stops a sample at once with TIMEOUT', async () => {
    const controller = new AbortController();
    const rows = driver.sampleRows({ schema: 'public', name: 'slow' }, [{ name: 'n', truncateText: false }], SAMPLE, controller.signal);
    setTimeout(() => controller.abort(new Error('deadline')), 100);
    await assert.rejects(collect(rows), (error: Error & { code?: string }) => error.code === 'TIMEOUT');
  });
});

describe('the bounded read of a budgeted field (pure)', () => {
  const spread = (stats: { blocks: number; rowsPerBlock: number }, budget: number) => {
    const f = samplePercent(stats, budget, stats.blocks * stats.rowsPerBlock) / 100;
    const rows = stats.blocks * stats.rowsPerBlock;
    return { f, mean: f * rows, sd: stats.rowsPerBlock * Math.sqrt(stats.blocks * f * (1 - f)) };
  };

  test('the SYSTEM percentage puts the budget 3 standard deviations above the expected sample', () => {
    for (const blocks of [81_646, 8_164_600, 9_000]) {
      const { f, mean, sd } = spread({ blocks, rowsPerBlock: 122.5 }, 1_000_000);
      assert.ok(Math.abs(mean + 3 * sd - 1_000_000) < 1, `${blocks} blocks: ${mean} + 3 × ${sd}`);
      assert.ok(f > 0 && f < 1_000_000 / (blocks * 122.5));
    }
    const tenMillion = spread({ blocks: 81_646, rowsPerBlock: 122.5 }, 1_000_000);
    assert.ok(tenMillion.mean > 965_000 && tenMillion.mean < 975_000, String(tenMillion.mean));
  });

  test('a table within the budget is read whole; a tiny budget keeps 90% of it as the expected sample', () => {
    assert.equal(samplePercent({ blocks: 8_000, rowsPerBlock: 120 }, 1_000_000, 2_000_000), 100);
    // No blocks of its own (a foreign table): budget ÷ estimate, as far as 100%.
    assert.equal(samplePercent({ blocks: 0, rowsPerBlock: 0 }, 1_000_000, 4_000_000), 25);
    assert.equal(samplePercent({ blocks: 0, rowsPerBlock: 0 }, 1_000_000, 0), 100);
    const tiny = spread({ blocks: 163, rowsPerBlock: 185 }, 3_000);
    assert.ok(Math.abs(tiny.mean - 2_700) < 1e-6, String(tiny.mean));
  });

  test('block statistics: density from relpages and reltuples, else the estimate over the blocks there are', () => {
    assert.deepEqual(sampleStatsOf([81_646, 81_000, 9_922_500], 5), { blocks: 81_646, rowsPerBlock: 122.5 });
    assert.deepEqual(sampleStatsOf([100, 0, -1], 5_000), { blocks: 100, rowsPerBlock: 50 });
    assert.deepEqual(sampleStatsOf(undefined, 5_000), { blocks: 0, rowsPerBlock: 5_000 });
  });

  test('the bounded statement: one column, SYSTEM sample, LIMIT budget, then DISTINCT with room for the NULL', () => {
    const query = boundedDistinctQuery({ schema: 's', name: 't' }, 'c"x', { limit: 1001, rowBudget: 1_000_000, percent: 9.5 });
    assert.equal(query.text, 'SELECT DISTINCT "c""x" FROM (SELECT "c""x" FROM "s"."t" TABLESAMPLE SYSTEM ($1) LIMIT $2) AS s ' +
      'ORDER BY "c""x" LIMIT $3');
    assert.deepEqual(query.values, [9.5, 1_000_000, 1002]);
  });
});

describe('PostgreSQL budgetedValues', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let driver: WarehouseDriver;
  const big = { schema: 'public', name: 'big' };

  before(async () => {
    await testPg();
    database = await createTestDatabase('budgeted');
    await execSql(
      database.url,
      // serial: unique, NULL on every tenth row; code: 40 values under an index; nothing: always NULL.
      `CREATE TABLE public.big (id integer PRIMARY KEY, serial integer, code integer, nothing integer)`,
      `INSERT INTO public.big SELECT i, CASE WHEN i % 10 = 0 THEN NULL ELSE i END, i % 40, NULL
         FROM generate_series(1, 30000) AS i`,
      `CREATE INDEX big_code ON public.big (code)`,
      `VACUUM ANALYZE public.big`,
      `CREATE TABLE public.parted (id integer, v integer) PARTITION BY RANGE (id)`,
      `CREATE TABLE public.parted_a PARTITION OF public.parted FOR VALUES FROM (0) TO (10000)`,
      `CREATE TABLE public.parted_b PARTITION OF public.parted FOR VALUES FROM (10000) TO (30000)`,
      `INSERT INTO public.parted SELECT i, i FROM generate_series(0, 29999) AS i`,
      `ANALYZE public.parted`,
      `CREATE TABLE public.fresh (n integer) WITH (autovacuum_enabled = false)`,
      `INSERT INTO public.fresh SELECT i FROM generate_series(1, 5000) AS i`,
    );
    driver = createPostgresDriver(database.details, OPTIONS);
  });

  after(async () => {
    await driver?.close();
    if (database) await execSql((await testPg()).url, `DROP DATABASE IF EXISTS "${database.name}" WITH (FORCE)`);
  });

  async function rowsOf(query: { text: string; values: readonly unknown[] }): Promise<unknown[][]> {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      return (await client.query({ text: query.text, values: [...query.values], rowMode: 'array' })).rows;
    } finally {
      await client.end();
    }
  }

  test('the LIMIT caps the read at the budget even when the sample is the whole table', async () => {
    // A 100% sample reads the fresh heap in order: the first 1,000 rows, 900 serials and the NULL, which sorts last.
    const rows = await rowsOf(boundedDistinctQuery(big, 'serial', { limit: 5000, rowBudget: 1000, percent: 100 }));
    assert.equal(rows.length, 901);
    assert.equal(rows.at(-1)![0], null);
    assert.deepEqual(rows.slice(0, 3).map(([v]) => v), [1, 2, 3]);
    assert.ok(rows.slice(0, 900).every(([v]) => Number(v) <= 1000));
  });

  test('block statistics come from pg_class and the relation size; a never-analysed table has only its size', async () => {
    const [[blocks, relpages, reltuples]] = await rowsOf(sampleStatsQuery(big));
    assert.ok(Number(blocks) > 100 && Number(blocks) === Number(relpages), `${blocks} blocks, ${relpages} pages`);
    assert.equal(Number(reltuples), 30000);
    const [raw] = await rowsOf(sampleStatsQuery({ schema: 'public', name: 'fresh' }));
    assert.deepEqual(raw.slice(1), [null, null], 'no statistics yet (reltuples −1)');
    const fresh = sampleStatsOf(raw, 5000);
    assert.ok(fresh.blocks > 0);
    assert.equal(fresh.rowsPerBlock, 5000 / fresh.blocks);
  });

  test('a partitioned table: blocks and statistics summed over its partitions, the read within the budget', async () => {
    const parted = { schema: 'public', name: 'parted' };
    const [[blocks, relpages, reltuples]] = await rowsOf(sampleStatsQuery(parted));
    const [[leafPages]] = await rowsOf({ text: `SELECT sum(relpages) FROM pg_class WHERE relname IN ('parted_a', 'parted_b')`, values: [] });
    assert.ok(Number(blocks) > 0 && Number(blocks) === Number(leafPages) && Number(relpages) === Number(leafPages));
    assert.equal(Number(reltuples), 30000);
    const read = await driver.budgetedValues!(parted, { name: 'v', indexed: false }, { limit: 5000, rowBudget: 3000, estimate: 30000 }, signal);
    assert.ok(read.values.length > 0 && read.values.length <= 3000, String(read.values.length));
    assert.ok(read.values.some((v) => Number(v) >= 10000), 'both partitions are sampled');
  });

  test('a bounded read: two statements, ascending non-null values from at most the budget of rows, not exact', async () => {
    const before = driver.queryCount;
    const opts = { limit: 5000, rowBudget: 3000, estimate: 30000 };
    const read = await driver.budgetedValues!(big, { name: 'serial', indexed: false }, opts, signal);
    assert.equal(driver.queryCount - before, 2);
    assert.equal(read.exact, false);
    // serial is unique: its values are the rows read, less the NULLs (every tenth row).
    assert.ok(read.values.length > 0 && read.values.length <= 3000 * 0.95, String(read.values.length));
    assert.ok(read.values.every((v, i) => typeof v === 'number' && (i === 0 || v > Number(read.values[i - 1]))));
    const few = await driver.budgetedValues!(big, { name: 'serial', indexed: false }, { ...opts, limit: 5 }, signal);
    assert.equal(few.values.length, 5);
    const none = await driver.budgetedValues!(big, { name: 'nothing', indexed: false }, opts, signal);
    assert.deepEqual(none, { values: [], exact: false });
  });

  test('an indexed field is read exactly by the loose index scan, in one statement', async () => {
    const before = driver.queryCount;
    const read = await driver.budgetedValues!(big, { name: 'code', indexed: true }, { limit: 1001, rowBudget: 10, estimate: 30000 }, signal);
    assert.equal(driver.queryCount - before, 1);
    assert.deepEqual(read, { values: Array.from({ length: 40 }, (_, i) => i), exact: true });
  });
});
