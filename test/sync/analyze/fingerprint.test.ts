import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  FieldFingerprinter,
  fingerprintValues,
  hash64,
  quantile,
  readTemporalText,
  readUnixInstant,
} from '../../../src/sync/analyze/fingerprint.ts';
import { isEmail, isJsonLike, isState, isUrl } from '../../../src/sync/analyze/text-predicates.ts';

const target = (effectiveType: string, extra: { coercionStrategy?: string; semanticType?: string } = {}) => ({
  effectiveType,
  coercionStrategy: extra.coercionStrategy ?? null,
  semanticType: extra.semanticType ?? null,
});

describe('global section', () => {
  test('8 rows, 2 nulls, 3 distinct values: distinct-count 3, nil% 0.25', () => {
    const fp = fingerprintValues(target('type/Text'), ['a', 'b', null, 'c', 'a', null, 'b', 'a']);
    assert.deepEqual(fp.global, { 'distinct-count': 3, 'nil%': 0.25 });
  });

  test('values of different JS types stay distinct; only null and undefined count as nil', () => {
    const fp = fingerprintValues(target('type/Boolean'), [1, '1', true, false, false, null]);
    assert.deepEqual(fp, { global: { 'distinct-count': 4, 'nil%': 1 / 6 } });
  });

  test('the 64-bit hash separates near-identical strings and is stable', () => {
    const hashes = new Set(Array.from({ length: 10_000 }, (_, i) => hash64(`string:value-${i}`)));
    assert.equal(hashes.size, 10_000);
    assert.equal(hash64('abc'), hash64('abc'));
    assert.ok(hash64('abc') < 2n ** 64n);
  });

  test('FK fields get the global section only; Boolean and IPAddress fields have no type key', () => {
    assert.deepEqual(fingerprintValues(target('type/Integer', { semanticType: 'type/FK' }), [1, 2, 2]), {
      global: { 'distinct-count': 2, 'nil%': 0 },
    });
    assert.equal(fingerprintValues(target('type/IPAddress'), ['10.0.0.1']).type, undefined);
    assert.equal(fingerprintValues(target('type/Boolean'), [true]).type, undefined);
  });
});

describe('number section', () => {
  test('1, 2, 3 give the spec example exactly', () => {
    assert.deepEqual(fingerprintValues(target('type/BigInteger'), [1, 2, 3]), {
      global: { 'distinct-count': 3, 'nil%': 0 },
      type: { 'type/Number': { min: 1, max: 3, avg: 2, sd: 0.816496580927726, q1: 1.5, q3: 2.5 } },
    });
  });

  test('R-7 quantiles, population sd, nulls and non-finite values ignored', () => {
    const values = [10, null, 4, 7, 1, 'NaN', 12.5, 2, '9007199254740993', Number.POSITIVE_INFINITY];
    const fp = fingerprintValues(target('type/Decimal'), values);
    const numbers = [10, 4, 7, 1, 12.5, 2, 9007199254740993];
    const avg = numbers.reduce((a, b) => a + b, 0) / numbers.length;
    const sd = Math.sqrt(numbers.reduce((a, x) => a + (x - avg) ** 2, 0) / numbers.length);
    // sorted: 1, 2, 4, 7, 10, 12.5, 9.007e15; h = 6 × 0.25 = 1.5 → 2 + 0.5 × (4 − 2); h = 4.5 → 10 + 0.5 × 2.5
    assert.deepEqual(fp.type?.['type/Number'], { min: 1, max: 9007199254740992, avg, sd, q1: 3, q3: 11.25 });
    assert.equal(fp.global['distinct-count'], 9);
  });

  test('one value, and none at all', () => {
    assert.deepEqual(fingerprintValues(target('type/Float'), [4.5]).type?.['type/Number'], {
      min: 4.5, max: 4.5, avg: 4.5, sd: 0, q1: 4.5, q3: 4.5,
    });
    assert.deepEqual(fingerprintValues(target('type/Integer'), [null, null]).type?.['type/Number'], {
      min: null, max: null, avg: null, sd: null, q1: null, q3: null,
    });
  });

  test('quantile follows definition R-7 at the ends', () => {
    const sorted = Float64Array.from([1, 2, 3, 4]);
    assert.equal(quantile(sorted, 0.25), 1.75);
    assert.equal(quantile(sorted, 0.75), 3.25);
    assert.equal(quantile(Float64Array.from([5]), 0.75), 5);
  });

  test('accumulators grow past their first buffer', () => {
    const fingerprinter = new FieldFingerprinter(target('type/Integer'));
    for (let i = 1; i <= 10_000; i++) fingerprinter.add(i);
    const number = fingerprinter.result().type?.['type/Number'];
    assert.equal(number?.avg, 5000.5);
    assert.equal(number?.q1, 2500.75);
    assert.equal(number?.q3, 7500.25);
    assert.equal(fingerprinter.rows, 10_000);
  });
});

describe('text section', () => {
  test('shares and average length are over non-null values', () => {
    const values = ['a@b.co', 'x@example.com', 'http://example.com/a', '{"a":1}', 'CA', null, null, 'New York'];
    assert.deepEqual(fingerprintValues(target('type/Text'), values).type, {
      'type/Text': {
        'percent-json': 1 / 6,
        'percent-url': 1 / 6,
        'percent-email': 2 / 6,
        'percent-state': 2 / 6,
        'average-length': (6 + 13 + 20 + 7 + 2 + 8) / 6,
      },
    });
  });

  test('average length counts UTF-16 code units; an all-null column has null shares', () => {
    assert.equal(fingerprintValues(target('type/Text'), ['😀', 'é']).type?.['type/Text']?.['average-length'], 1.5);
    assert.deepEqual(fingerprintValues(target('type/Text'), [null]).type?.['type/Text'], {
      'percent-json': null,
      'percent-url': null,
      'percent-email': null,
      'percent-state': null,
      'average-length': null,
    });
  });

  test('the status example of the spec', () => {
    const values = Array.from({ length: 100 }, (_, i) => (i < 79 ? 'open' : i < 95 ? 'closed' : 'pending'));
    const fp = fingerprintValues(target('type/Text'), values);
    assert.equal(JSON.stringify(fp.global), '{"distinct-count":3,"nil%":0}');
    assert.equal(fp.type?.['type/Text']?.['average-length'], (79 * 4 + 16 * 6 + 5 * 7) / 100);
  });

  test('JSON-like is a prefix heuristic', () => {
    for (const yes of ['{', '{"a":1}', '[1,2]', '[{"a":1}]', '[true]', '[ false, 1]', '[]', '[ "x"', '[-1]']) {
      assert.ok(isJsonLike(yes), yes);
    }
    for (const no of ['[bob]', '[ truex ]', 'x{', ' {"a":1}', '', 'null']) assert.ok(!isJsonLike(no), no);
  });

  test('URLs need http, https or ftp and a plausible host', () => {
    for (const yes of ['http://example.com', 'https://a.b.io/x?y=1', 'ftp://files.example.org', 'http://localhost:8080',
      'http://127.0.0.1/', 'http://[::1]/']) {
      assert.ok(isUrl(yes), yes);
    }
    for (const no of ['example.com', 'mailto:a@b.co', 'http://example', 'http://example.c', 'file:///etc/passwd',
      'http://', 'https://exa mple.com', 'http:example.com']) {
      assert.ok(!isUrl(no), no);
    }
  });

  test('e-mail addresses: atoms, single dots, two or more labels, no whitespace', () => {
    for (const yes of ['a@b.co', "o'hara+tag@mail.example.org", 'x.y.z@a-b.c-d.io', 'a!#$%&*/=?^_`{|}~@x.io']) {
      assert.ok(isEmail(yes), yes);
    }
    for (const no of ['a@b', 'a..b@c.io', '.a@c.io', 'a.@c.io', 'a b@c.io', 'a@-b.io', 'a@b-.io', 'a@b..io', '@b.io',
      'a@b.io ']) {
      assert.ok(!isEmail(no), no);
    }
  });

  test('states: names, District of Columbia and USPS codes, trimmed, any case', () => {
    for (const yes of ['California', ' new york ', 'DC', 'district of columbia', 'tx']) assert.ok(isState(yes), yes);
    for (const no of ['Cali', 'XX', 'Puerto Rico', '']) assert.ok(!isState(no), no);
  });
});

describe('temporal section', () => {
  test('dates, timestamps and instants keep their 4.5 forms; earliest and latest by time', () => {
    const dates = fingerprintValues(target('type/Date'), ['2025-11-25', '2021-03-01', null, '2024-02-29']);
    assert.deepEqual(dates.type, { 'type/DateTime': { earliest: '2021-03-01', latest: '2025-11-25' } });
    const local = fingerprintValues(target('type/DateTime'), ['2025-11-25T08:30:00', '2025-11-25 08:29:59.5']);
    assert.deepEqual(local.type, {
      'type/DateTime': { earliest: '2025-11-25T08:29:59.5', latest: '2025-11-25T08:30:00' },
    });
    const instants = fingerprintValues(target('type/DateTimeWithLocalTZ'), [
      '2021-03-01T09:12:44Z',
      '2025-11-25T23:58:02Z',
      '2025-11-26T00:30:00+02:00',
    ]);
    assert.deepEqual(instants.type, {
      'type/DateTime': { earliest: '2021-03-01T09:12:44Z', latest: '2025-11-25T23:58:02Z' },
    });
  });

  test('times order by time of day; unreadable values are ignored; none readable gives nulls', () => {
    const times = fingerprintValues(target('type/Time'), ['08:30:00', '23:59:59.999', '00:00:01', 'noon']);
    assert.deepEqual(times.type, { 'type/DateTime': { earliest: '00:00:01', latest: '23:59:59.999' } });
    assert.deepEqual(fingerprintValues(target('type/Date'), ['soon']).type, {
      'type/DateTime': { earliest: null, latest: null },
    });
  });

  test('UNIX coercions read numbers as seconds, milliseconds, microseconds or nanoseconds', () => {
    const seconds = fingerprintValues(target('type/DateTime', { coercionStrategy: 'Coercion/UNIXSeconds->DateTime' }), [
      1_700_000_000,
      0,
      '1700000001',
    ]);
    assert.deepEqual(seconds.type, {
      'type/DateTime': { earliest: '1970-01-01T00:00:00Z', latest: '2023-11-14T22:13:21Z' },
    });
    assert.deepEqual(readUnixInstant(1_700_000_000_123, 1)?.text, '2023-11-14T22:13:20.123Z');
    assert.deepEqual(readUnixInstant(1_700_000_000_000_000, 1e-3)?.text, '2023-11-14T22:13:20Z');
    assert.deepEqual(readUnixInstant(1_700_000_000_000_000_000, 1e-6)?.text, '2023-11-14T22:13:20Z');
  });

  test('ISO reading: offsets move instants to UTC, fractions are kept, early years stay', () => {
    assert.equal(readTemporalText('2025-01-01T00:30:00.123456-01:30')?.text, '2025-01-01T02:00:00.123456Z');
    assert.equal(readTemporalText('0044-03-15')?.text, '0044-03-15');
    assert.ok(readTemporalText('0044-03-15')!.key < readTemporalText('1970-01-01')!.key);
    assert.equal(readTemporalText('2025-11-25T08:30')?.text, '2025-11-25T08:30:00');
    assert.equal(readTemporalText('25/11/2025'), null);
  });
});
