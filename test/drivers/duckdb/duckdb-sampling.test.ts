import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBInstance,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  type DuckDBValue,
} from '@duckdb/node-api';
import {
  distinctValuesQuery,
  groupDistinctRows,
  normalizeDuckdbValue,
  sampleQuery,
  utcTimestampFromMicros,
  utcTimestampFromText,
  valueFromText,
} from '../../../src/drivers/duckdb/duckdb-sampling.ts';
import { quoteTable } from '../../../src/drivers/identifiers.ts';

describe('DuckDB sample and distinct-values statements (sync-engine.md 4.5)', () => {
  test('one SELECT with a bound LIMIT, text fields cut in SQL, identifiers quoted, no ORDER BY', () => {
    const query = sampleQuery(
      { schema: 'Sales', name: 'or"ders' },
      [
        { name: 'id', truncateText: false },
        { name: 'note', truncateText: true },
        { name: 'Order', truncateText: true },
      ],
      { limit: 10_000, textTruncate: 1234 },
    );
    assert.equal(
      query.text,
      'SELECT "id", substring(CAST("note" AS VARCHAR), 1, $2), substring(CAST("Order" AS VARCHAR), 1, $2) ' +
        'FROM "Sales"."or""ders" LIMIT $1',
    );
    assert.deepEqual(query.values, [10_000, 1234]);
    assert.deepEqual(sampleQuery({ schema: 'main', name: 't' }, [{ name: 'x', truncateText: false }], {
      limit: 5,
      textTruncate: 9,
    }).values, [5]);
  });

  test('one field: the plain bounded statement; several: one UNION ALL cast to VARCHAR, tagged and ranked', () => {
    const single = distinctValuesQuery({ schema: 'main', name: 't' }, ['a'], { limit: 1001 });
    assert.equal(single.text, 'SELECT DISTINCT "a" AS v FROM "main"."t" WHERE "a" IS NOT NULL ORDER BY "a" LIMIT $1');
    assert.deepEqual(single.values, [1001]);
    const batched = distinctValuesQuery({ schema: 'main', name: 't' }, ['a', 'B c'], { limit: 1001 });
    assert.equal(batched.text.match(/UNION ALL/g)?.length, 1);
    assert.match(batched.text, /SELECT 0 AS field_index, row_number\(\) OVER \(ORDER BY d\.v\) AS rank/);
    assert.match(batched.text, /SELECT 1 AS field_index/);
    assert.match(batched.text, /CAST\(d\.v AS VARCHAR\) AS value/);
    assert.match(batched.text, /WHERE "B c" IS NOT NULL ORDER BY "B c" LIMIT \$1/);
    assert.match(batched.text, /ORDER BY field_index, rank$/);
    assert.deepEqual(batched.values, [1001]);
  });

  test('a table without a schema is named alone', () => {
    assert.equal(quoteTable({ schema: null, name: 'x' }), '"x"');
  });
});

describe('DuckDB value normalization', () => {
  test('native values: numbers, big integers, decimals, temporal values and the rest', () => {
    const cases: readonly (readonly [DuckDBValue, unknown])[] = [
      [null, null],
      [true, true],
      [42, 42],
      [1.5, 1.5],
      ['text', 'text'],
      [12n, 12],
      [9007199254740991n, 9007199254740991],
      [9007199254740992n, '9007199254740992'],
      [-170141183460469231731687303715884105728n, '-170141183460469231731687303715884105728'],
      [new DuckDBDecimalValue(123450n, 10, 3), 123.45],
      [new DuckDBDecimalValue(12345678901234567890n, 38, 2), '123456789012345678.90'],
      [new DuckDBDateValue(20417), '2025-11-25'],
      [DuckDBDateValue.PosInf, 'infinity'],
      [new DuckDBTimestampValue(1764059400000000n), '2025-11-25T08:30:00'],
      [new DuckDBTimestampValue(1764059400123000n), '2025-11-25T08:30:00.123'],
      [DuckDBTimestampValue.NegInf, '-infinity'],
      [DuckDBTimestampValue.PosInf, 'infinity'],
      [new DuckDBTimestampTZValue(1764059400250000n), '2025-11-25T08:30:00.25Z'],
      [new DuckDBTimestampTZValue(-1n), '1969-12-31T23:59:59.999999Z'],
      [DuckDBTimestampTZValue.NegInf, '-infinity'],
    ];
    for (const [value, expected] of cases) assert.deepEqual(normalizeDuckdbValue(value), expected, String(value));
  });

  test('text read back by type gives what the native value gives', () => {
    assert.equal(valueFromText('true', 'BOOLEAN'), true);
    assert.equal(valueFromText('-7', 'INTEGER'), -7);
    assert.equal(valueFromText('2.5', 'DOUBLE'), 2.5);
    assert.equal(valueFromText('inf', 'DOUBLE'), Infinity);
    const huge = '170141183460469231731687303715884105727';
    assert.equal(valueFromText(huge, 'HUGEINT'), huge);
    assert.equal(valueFromText('12', 'UBIGINT'), 12);
    assert.equal(valueFromText('123.450', 'DECIMAL(10,3)'), 123.45);
    assert.equal(valueFromText('2025-11-25 08:30:00', 'TIMESTAMP'), '2025-11-25T08:30:00');
    assert.equal(valueFromText('2025-11-25 09:30:00.25+01', 'TIMESTAMP WITH TIME ZONE'), '2025-11-25T08:30:00.25Z');
    assert.equal(valueFromText('x', "ENUM('x', 'y')"), 'x');
    assert.equal(valueFromText('123e4567-e89b-12d3-a456-426614174000', 'UUID'), '123e4567-e89b-12d3-a456-426614174000');
  });

  test('instants in UTC, from microseconds and from zoned text', () => {
    assert.equal(utcTimestampFromMicros(0n), '1970-01-01T00:00:00Z');
    assert.equal(utcTimestampFromMicros(9_223_372_036_854_775_806n), null, 'beyond a JS Date');
    assert.equal(utcTimestampFromText('2025-01-01 01:00:00+05:30'), '2024-12-31T19:30:00Z');
    assert.equal(utcTimestampFromText('2025-11-25 08:30:00-03'), '2025-11-25T11:30:00Z');
    assert.equal(utcTimestampFromText('0044-03-15 12:00:00+00'), '0044-03-15T12:00:00Z');
    assert.equal(utcTimestampFromText('infinity'), 'infinity');
  });

  test('batched rows become one list per field, in the order given', () => {
    const rows: [number, string, string][] = [
      [0, 'INTEGER', '1'],
      [0, 'INTEGER', '2'],
      [2, 'VARCHAR', 'a'],
    ];
    assert.deepEqual(groupDistinctRows(rows, 3), [[1, 2], [], ['a']]);
  });

  test('on a real DuckDB, the batched text path and the native path agree for every type', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      await connection.run(`SET TimeZone = 'America/New_York'`);
      const columns = [
        ['b', 'BOOLEAN', 'true'],
        ['i', 'INTEGER', '-5'],
        ['bi', 'BIGINT', '9007199254740993'],
        ['h', 'HUGEINT', '170141183460469231731687303715884105727'],
        ['ub', 'UBIGINT', '18446744073709551615'],
        ['f', 'FLOAT', '1.5'],
        ['d', 'DOUBLE', '0.1'],
        ['dec', 'DECIMAL(18,3)', '123.450'],
        ['big_dec', 'DECIMAL(38,10)', '12345678901234567890.0123456789'],
        ['v', 'VARCHAR', `'héllo'`],
        ['e', `ENUM('x', 'y')`, `'y'`],
        ['u', 'UUID', `'123e4567-e89b-12d3-a456-426614174000'`],
        ['dt', 'DATE', `'2025-11-25'`],
        ['t', 'TIME', `'08:30:00.5'`],
        ['ts', 'TIMESTAMP', `'2025-11-25 08:30:00.123456'`],
        ['tsz', 'TIMESTAMPTZ', `'2025-11-25 08:30:00.25+00'`],
        ['iv', 'INTERVAL', `INTERVAL 3 DAY`],
        ['j', 'JSON', `'{"a": 1}'`],
      ] as const;
      const select = columns.map(([name, type, literal]) => `CAST(${literal} AS ${type}) AS ${name}`).join(', ');
      await connection.run(`CREATE TABLE t AS SELECT ${select}`);
      const native = (await connection.runAndReadAll('SELECT * FROM t')).getRows()[0].map(normalizeDuckdbValue);
      const query = distinctValuesQuery({ schema: 'main', name: 't' }, columns.map(([name]) => name), { limit: 1001 });
      const reader = await connection.runAndReadAll(query.text, [1001]);
      const rows = reader
        .getRows()
        .map(([i, type, text]): [number, string, string] => [Number(i), String(type), String(text)]);
      const batched = groupDistinctRows(rows, columns.length).map((list) => list[0]);
      assert.deepEqual(batched, native);
      assert.deepEqual(native.slice(0, 8), [
        true,
        -5,
        '9007199254740993',
        '170141183460469231731687303715884105727',
        '18446744073709551615',
        1.5,
        0.1,
        123.45,
      ]);
      assert.equal(native[15], '2025-11-25T08:30:00.25Z');
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });
});
