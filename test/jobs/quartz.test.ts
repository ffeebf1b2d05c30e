import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultSchedules } from '../../src/catalog/databases.ts';
import { QuartzError, QuartzSchedule, toCronerPattern, validateQuartz } from '../../src/jobs/quartz.ts';

const HOURS_9_TO_17 = '9,10,11,12,13,14,15,16,17';

describe('Quartz → croner translation', () => {
  const accepted: readonly [string, string, string, (readonly number[] | null)?][] = [
    ['metadata default of database 1', '0 1 * * * ? *', '0 1 * * * *'],
    ['field-values default of database 1', '0 0 1 * * ? *', '0 0 1 * * *'],
    ['six fields, no year', '0 50 * * * ?', '0 50 * * * *'],
    ['lists', '0 0,30 * * * ?', '0 0,30 * * * *'],
    ['ranges', '0 0 9-17 * * ?', `0 0 ${HOURS_9_TO_17} * * *`],
    ['a step over *', '0 */15 * * * ?', '0 0,15,30,45 * * * *'],
    ['a step from a start to the end of the field', '0 5/20 * * * ?', '0 5,25,45 * * * *'],
    ['a step over a range', '0 0 8-18/5 * * ?', '0 0 8,13,18 * * *'],
    ['a range that wraps around midnight', '0 0 22-2 * * ?', '0 0 0,1,2,22,23 * * *'],
    ['a full range is *', '0-59 0 0 * * ?', '* 0 0 * * *'],
    ['day-of-month values', '0 0 0 1,15 * ?', '0 0 0 1,15 * *'],
    ['L in day-of-month', '0 0 12 L * ?', '0 0 12 L * *'],
    ['month names, any case', '0 0 0 1 JAN,jul ?', '0 0 0 1 1,7 *'],
    ['a month name range', '0 0 0 1 MAR-MAY ?', '0 0 0 1 3,4,5 *'],
    ['day-of-week 1 is Sunday', '0 0 12 ? * 1', '0 0 12 * * 0'],
    ['day-of-week 7 is Saturday', '0 0 12 ? * 7', '0 0 12 * * 6'],
    ['day-of-week ranges', '0 0 12 ? * 2-6', '0 0 12 * * 1,2,3,4,5'],
    ['day-of-week names', '0 0 12 ? * MON-FRI', '0 0 12 * * 1,2,3,4,5'],
    ['day-of-week names in a list, lower case', '0 0 12 ? * sun,sat', '0 0 12 * * 0,6'],
    ['a day-of-week range that wraps around', '0 0 12 ? * FRI-MON', '0 0 12 * * 0,1,5,6'],
    ['a day-of-week step', '0 0 12 ? * 1/2', '0 0 12 * * 0,2,4,6'],
    ['nL: the last Friday', '0 0 12 ? * 6L', '0 0 12 * * 5#L'],
    ['nL with a name', '0 0 12 ? * FRIL', '0 0 12 * * 5#L'],
    ['L alone in day-of-week: Saturday', '0 0 12 ? * L', '0 0 12 * * 6'],
    ['n#k: the first Monday', '0 0 12 ? * 2#1', '0 0 12 * * 1#1'],
    ['n#k with a name', '0 0 12 ? * MON#3', '0 0 12 * * 1#3'],
    ['* in day-of-month with ? in day-of-week', '0 0 12 * * ?', '0 0 12 * * *'],
    ['extra whitespace', '  0   0  12 * *   ?  ', '0 0 12 * * *'],
    ['year *', '0 0 12 * * ? *', '0 0 12 * * *', null],
    ['one year', '0 0 12 * * ? 2030', '0 0 12 * * *', [2030]],
    ['a year range', '0 0 12 * * ? 2025-2027', '0 0 12 * * *', [2025, 2026, 2027]],
    ['a year list', '0 0 12 * * ? 2028,2026', '0 0 12 * * *', [2026, 2028]],
    ['a year step', '0 0 12 * * ? 2090/4', '0 0 12 * * *', [2090, 2094, 2098]],
  ];
  for (const [what, quartz, pattern, years] of accepted) {
    test(`${what}: ${quartz.trim()}`, () => {
      assert.deepEqual(toCronerPattern(quartz), { pattern, years: years ?? null });
      assert.equal(validateQuartz(quartz), null);
      assert.doesNotThrow(() => new QuartzSchedule(quartz));
    });
  }

  test('the default schedules of every id are accepted', () => {
    for (let id = 1; id <= 120; id++) {
      const { metadata_sync_schedule, cache_field_values_schedule } = defaultSchedules(id);
      assert.deepEqual(toCronerPattern(metadata_sync_schedule), { pattern: `0 ${id % 60} * * * *`, years: null });
      assert.deepEqual(toCronerPattern(cache_field_values_schedule), { pattern: `0 0 ${id % 24} * * *`, years: null });
    }
  });

  const rejected: readonly [string, string, RegExp][] = [
    ['W (nearest weekday)', '0 0 12 15W * ?', /W \(nearest weekday\) is not supported/],
    ['LW', '0 0 12 LW * ?', /LW .* is not supported/],
    ['L-n', '0 0 12 L-3 * ?', /L-n .* is not supported/],
    ['L in a list', '0 0 12 1,L * ?', /'L' is allowed only on its own/],
    ['neither day field is ?', '0 0 12 * * *', /exactly one of day-of-month and day-of-week must be '\?'/],
    ['both day fields are set', '0 0 12 1 * 2', /exactly one of/],
    ['both day fields are ?', '0 0 12 ? * ?', /exactly one of/],
    ['? outside the day fields', '0 ? 12 * * ?', /'\?' is allowed only on its own, in day-of-month or day-of-week/],
    ['? in a list', '0 0 12 1,? * ?', /'\?' is allowed only on its own/],
    ['five fields', '0 12 * * ?', /expected 6 or 7 fields, found 5/],
    ['eight fields', '0 0 12 * * ? * *', /expected 6 or 7 fields, found 8/],
    ['an empty string', '', /expected 6 or 7 fields, found 1/],
    ['seconds out of range', '60 0 12 * * ?', /seconds: 60 is out of range 0-59/],
    ['minutes out of range', '0 60 12 * * ?', /minutes: 60 is out of range 0-59/],
    ['hours out of range', '0 0 24 * * ?', /hours: 24 is out of range 0-23/],
    ['day-of-month 0', '0 0 12 0 * ?', /day-of-month: 0 is out of range 1-31/],
    ['day-of-month 32', '0 0 12 32 * ?', /day-of-month: 32 is out of range 1-31/],
    ['month 13', '0 0 12 1 13 ?', /month: 13 is out of range 1-12/],
    ['an unknown month name', '0 0 12 1 FOO ?', /month: 'FOO' is not a number or a name/],
    ['day-of-week 0', '0 0 12 ? * 0', /day-of-week: 0 is out of range 1-7/],
    ['day-of-week 8', '0 0 12 ? * 8', /day-of-week: 8 is out of range 1-7/],
    ['an occurrence beyond 5', '0 0 12 ? * 2#6', /the occurrence in '2#6' must be from 1 to 5/],
    ['nL in a list', '0 0 12 ? * 2,6L', /must be nL or n#k on its own/],
    ['a step of 0', '0 */0 * * * ?', /minutes: the step 0 is out of range/],
    ['a step beyond the field', '0 0 */25 * * ?', /hours: the step 25 is out of range/],
    ['a step without a start', '0 /5 * * * ?', /minutes: '\/5' is not a valid item/],
    ['a range of three bounds', '0 1-2-3 * * * ?', /minutes: '1-2-3' is not a valid range/],
    ['a negative number', '0 -1 * * * ?', /minutes: '' is not a number/],
    ['a name where numbers are expected', '0 0 MON * * ?', /hours: 'MON' is not a number/],
    ['a year before 1970', '0 0 12 * * ? 1969', /year: 1969 is out of range 1970-2099/],
    ['a backwards year range', '0 0 12 * * ? 2030-2025', /year: the range '2030-2025' runs backwards/],
    ['letters', 'every hour', /expected 6 or 7 fields, found 2/],
  ];
  for (const [what, quartz, reason] of rejected) {
    test(`rejected, ${what}: ${JSON.stringify(quartz)}`, () => {
      const message = validateQuartz(quartz);
      assert.ok(message !== null, `${quartz} was accepted`);
      assert.match(message, reason);
      assert.throws(() => toCronerPattern(quartz), QuartzError);
      assert.throws(() => new QuartzSchedule(quartz), QuartzError);
    });
  }
});

/** A local time (the schedules are evaluated in the process's time zone). */
function local(y: number, mo: number, d: number, h = 0, mi = 0, s = 0, ms = 0): Date {
  return new Date(y, mo - 1, d, h, mi, s, ms);
}

describe('fire times', () => {
  const WINDOW = 60_000;

  test('latest fire within the window: an hourly schedule with fixed clocks', () => {
    const hourly = new QuartzSchedule('0 1 * * * ? *');
    assert.deepEqual(hourly.latestFire(local(2025, 1, 15, 10, 1, 30), WINDOW), local(2025, 1, 15, 10, 1, 0));
    assert.deepEqual(hourly.latestFire(local(2025, 1, 15, 10, 1, 0), WINDOW), local(2025, 1, 15, 10, 1, 0));
    assert.deepEqual(hourly.latestFire(local(2025, 1, 15, 10, 1, 59, 999), WINDOW), local(2025, 1, 15, 10, 1, 0));
    assert.equal(hourly.latestFire(local(2025, 1, 15, 10, 0, 59, 999), WINDOW), null, 'before the fire');
    assert.equal(hourly.latestFire(local(2025, 1, 15, 10, 2, 0), WINDOW), null, 'exactly 60 s after the fire');
    assert.equal(hourly.latestFire(local(2025, 1, 15, 10, 30, 0), WINDOW), null, 'a missed fire is not replayed');
    assert.deepEqual(hourly.latestFire(local(2025, 1, 15, 11, 1, 5), WINDOW), local(2025, 1, 15, 11, 1, 0));
  });

  test('the latest of several fires in the window', () => {
    const everySecond = new QuartzSchedule('* * * * * ? *');
    assert.deepEqual(everySecond.latestFire(local(2025, 1, 15, 10, 0, 0, 700), WINDOW), local(2025, 1, 15, 10, 0, 0));
    const everyTwentySeconds = new QuartzSchedule('0/20 * * * * ?');
    assert.deepEqual(
      everyTwentySeconds.latestFire(local(2025, 1, 15, 10, 0, 59), WINDOW),
      local(2025, 1, 15, 10, 0, 40),
    );
  });

  test('a daily default fires once a day at its hour', () => {
    const daily = new QuartzSchedule('0 0 5 * * ? *');
    assert.deepEqual(daily.nextFire(local(2025, 1, 15, 12)), local(2025, 1, 16, 5));
    assert.deepEqual(daily.latestFire(local(2025, 1, 16, 5, 0, 10), WINDOW), local(2025, 1, 16, 5));
    assert.equal(daily.latestFire(local(2025, 1, 16, 6), WINDOW), null);
  });

  test('next fires: L, nL, n#k, day-of-week numbering, month names', () => {
    assert.deepEqual(new QuartzSchedule('0 0 12 L * ?').nextFire(local(2024, 2, 10)), local(2024, 2, 29, 12));
    assert.deepEqual(new QuartzSchedule('0 0 12 ? * 6L').nextFire(local(2025, 1, 1)), local(2025, 1, 31, 12));
    assert.deepEqual(new QuartzSchedule('0 0 12 ? * 2#1').nextFire(local(2025, 1, 15)), local(2025, 2, 3, 12));
    assert.deepEqual(new QuartzSchedule('0 0 12 ? * 1').nextFire(local(2025, 1, 15)), local(2025, 1, 19, 12));
    assert.deepEqual(new QuartzSchedule('0 0 12 ? * SAT').nextFire(local(2025, 1, 15)), local(2025, 1, 18, 12));
    assert.deepEqual(new QuartzSchedule('0 30 6 1 JUL ?').nextFire(local(2025, 1, 15)), local(2025, 7, 1, 6, 30));
    assert.deepEqual(new QuartzSchedule('0 0 12 15 * ?').nextFire(local(2025, 1, 15, 12)), local(2025, 2, 15, 12));
  });

  test('the year field: fires only in the years named, none after the last', () => {
    const once = new QuartzSchedule('0 0 12 1 1 ? 2030');
    assert.deepEqual(once.nextFire(local(2025, 6, 1)), local(2030, 1, 1, 12));
    assert.equal(once.nextFire(local(2030, 1, 1, 12)), null);
    const list = new QuartzSchedule('0 0 0 1 1 ? 2026,2028');
    assert.deepEqual(list.nextFire(local(2026, 6, 1)), local(2028, 1, 1));
    assert.equal(new QuartzSchedule('0 0 12 * * ? 2020').latestFire(local(2025, 1, 1, 12, 0, 5), WINDOW), null);
    assert.deepEqual(
      new QuartzSchedule('0 0 12 * * ? 2025').latestFire(local(2025, 1, 1, 12, 0, 5), WINDOW),
      local(2025, 1, 1, 12),
    );
  });

  test("schedules are evaluated in the process's local time zone", () => {
    const saved = process.env.TZ;
    process.env.TZ = 'Asia/Kolkata';
    try {
      // 01:00 in India (UTC+05:30, no daylight saving) is 19:30 UTC the day before.
      const daily = new QuartzSchedule('0 0 1 * * ? *');
      assert.equal(daily.nextFire(new Date('2025-01-15T12:00:00.000Z'))?.toISOString(), '2025-01-15T19:30:00.000Z');
      const fire = daily.latestFire(new Date('2025-01-15T19:30:20.000Z'), WINDOW);
      assert.equal(fire?.toISOString(), '2025-01-15T19:30:00.000Z');
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  });
});
