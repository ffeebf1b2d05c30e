// Metabase's schedule maps to Quartz strings and back (src/jobs/schedule-map.ts), against the cases of Metabase's
// metabase.util.cron tests; pure functions, no database.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { quartzToScheduleMap, scheduleMapToQuartz } from '../../src/jobs/schedule-map.ts';

test('schedule maps become the Quartz strings Metabase builds', () => {
  const cases: [Parameters<typeof scheduleMapToQuartz>[0], string | null][] = [
    [{ schedule_type: 'hourly' }, '0 0 * * * ? *'],
    [{ schedule_type: 'hourly', schedule_minute: 15 }, '0 15 * * * ? *'],
    [{ schedule_type: 'daily' }, '0 0 0 * * ? *'],
    [{ schedule_type: 'daily', schedule_hour: 4, schedule_minute: 30 }, '0 0 4 * * ? *'],
    [{ schedule_type: 'weekly', schedule_day: 'mon', schedule_hour: 4 }, '0 0 4 ? * 2 *'],
    [{ schedule_type: 'weekly', schedule_day: 'sun' }, '0 0 * ? * 1 *'],
    [{ schedule_type: 'monthly', schedule_frame: 'first', schedule_hour: 1 }, '0 0 1 1 * ? *'],
    [{ schedule_type: 'monthly', schedule_frame: 'mid', schedule_hour: 1 }, '0 0 1 15 * ? *'],
    [{ schedule_type: 'monthly', schedule_frame: 'last', schedule_hour: 1 }, '0 0 1 L * ? *'],
    [{ schedule_type: 'monthly', schedule_frame: 'first', schedule_day: 'fri', schedule_hour: 2 }, '0 0 2 ? * 6#1 *'],
    [{ schedule_type: 'monthly', schedule_frame: 'last', schedule_day: 'sat', schedule_hour: 2 }, '0 0 2 ? * 7L *'],
    [{ schedule_type: 'weekly' }, null],
    [{ schedule_type: 'monthly' }, null],
    [{ schedule_type: 'monthly', schedule_frame: 'mid', schedule_day: 'mon' }, null],
  ];
  for (const [map, expected] of cases) assert.equal(scheduleMapToQuartz(map), expected, JSON.stringify(map));
});

test('Quartz strings read back as schedule maps', () => {
  assert.equal(quartzToScheduleMap(null), null);
  const map = (type: string, day: string | null, frame: string | null, hour: number | null, minute: number | null) => ({
    schedule_type: type,
    schedule_day: day,
    schedule_frame: frame,
    schedule_hour: hour,
    schedule_minute: minute,
  });
  assert.deepEqual(quartzToScheduleMap('0 7 * * * ? *'), map('hourly', null, null, null, 7));
  assert.deepEqual(quartzToScheduleMap('0 0 4 * * ? *'), map('daily', null, null, 4, 0));
  assert.deepEqual(quartzToScheduleMap('0 0 4 ? * 2 *'), map('weekly', 'mon', null, 4, 0));
  assert.deepEqual(quartzToScheduleMap('0 0 1 15 * ? *'), map('monthly', null, 'mid', 1, 0));
  assert.deepEqual(quartzToScheduleMap('0 0 2 ? * 6#1 *'), map('monthly', 'fri', 'first', 2, 0));
  assert.deepEqual(quartzToScheduleMap('0 0 2 ? * 7L *'), map('monthly', 'sat', 'last', 2, 0));
});
