// Metabase's expanded schedule maps (`metabase.util.cron` ScheduleMap, curation-notes.md section 1.3) to Quartz
// strings and back, as Metabase converts them; pure functions.
import { validateQuartz } from './quartz.ts';

export const SCHEDULE_TYPES = ['hourly', 'daily', 'weekly', 'monthly'] as const;
export const SCHEDULE_DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export const SCHEDULE_FRAMES = ['first', 'mid', 'last'] as const;

export type ScheduleType = (typeof SCHEDULE_TYPES)[number];
export type ScheduleDay = (typeof SCHEDULE_DAYS)[number];
export type ScheduleFrame = (typeof SCHEDULE_FRAMES)[number];

export interface ScheduleMap {
  readonly schedule_type: ScheduleType;
  readonly schedule_day?: ScheduleDay | null;
  readonly schedule_frame?: ScheduleFrame | null;
  readonly schedule_hour?: number | null;
  readonly schedule_minute?: number | null;
}

/** The two schedules of a database, keyed as in Metabase's `schedules` body key. */
export const SCHEDULE_KEYS = { metadata_sync: 'metadata_sync_schedule', cache_field_values: 'cache_field_values_schedule' } as const;

/** Quartz numbers the days 1 (Sunday) to 7 (Saturday). */
const dayNumber = (day: ScheduleDay): number => SCHEDULE_DAYS.indexOf(day) + 1;

function cronString(parts: { minutes?: unknown; hours?: unknown; dayOfMonth?: string; dayOfWeek?: string }): string {
  const field = (value: unknown, fallback: string) => (value === undefined || value === null ? fallback : String(value));
  return ['0', field(parts.minutes, '0'), field(parts.hours, '*'), field(parts.dayOfMonth, '*'), '*', field(parts.dayOfWeek, '?'), '*'].join(' ');
}

/**
 * Metabase's `schedule-map->cron-string`: hourly at the minute, daily at the hour (the minute is ignored, as there),
 * weekly on the day at the hour (every hour of that day without one), monthly on the frame's day. Null for the
 * combinations Metabase cannot build either (weekly without a day, monthly without a frame, `mid` with a day).
 */
export function scheduleMapToQuartz(map: ScheduleMap): string | null {
  const day = map.schedule_day ?? null;
  const hour = map.schedule_hour ?? null;
  let expression: string;
  switch (map.schedule_type) {
    case 'hourly':
      expression = cronString({ minutes: map.schedule_minute });
      break;
    case 'daily':
      expression = cronString({ hours: hour ?? 0 });
      break;
    case 'weekly':
      if (day === null) return null;
      expression = cronString({ hours: hour, dayOfMonth: '?', dayOfWeek: String(dayNumber(day)) });
      break;
    case 'monthly': {
      const frame = map.schedule_frame ?? null;
      if (frame === null) return null;
      if (day !== null) {
        if (frame === 'mid') return null;
        const dayOfWeek = `${dayNumber(day)}${frame === 'first' ? '#1' : 'L'}`;
        expression = cronString({ hours: hour, dayOfMonth: '?', dayOfWeek });
      } else {
        expression = cronString({ hours: hour, dayOfMonth: { first: '1', mid: '15', last: 'L' }[frame], dayOfWeek: '?' });
      }
      break;
    }
  }
  return validateQuartz(expression) === null ? expression : null;
}

const digit = (field: string | undefined): number | null =>
  field !== undefined && /^[0-9]+$/.test(field) ? Number(field) : null;

/** Metabase's `cron-string->schedule-map`, for the `schedules` key of the answer; null for a null schedule. */
export function quartzToScheduleMap(expression: string | null): Required<ScheduleMap> | null {
  if (expression === null) return null;
  const [, minutes, hours, dayOfMonth = '*', , dayOfWeek = '?'] = expression.trim().split(/\s+/);
  const dayMatch = /^([1-7])/.exec(dayOfWeek);
  let frame: ScheduleFrame | null = null;
  if (/^[1-7]#1$/.test(dayOfWeek) || dayOfMonth === '1') frame = 'first';
  else if (/^[1-7]L$/.test(dayOfWeek) || dayOfMonth === 'L') frame = 'last';
  else if (dayOfMonth === '15') frame = 'mid';
  let type: ScheduleType = 'hourly';
  if (dayOfMonth !== '*' && (dayOfWeek === '?' || /^[1-7](#1|L)$/.test(dayOfWeek))) type = 'monthly';
  else if (dayOfWeek !== '?') type = 'weekly';
  else if (hours !== undefined && hours !== '*') type = 'daily';
  return {
    schedule_type: type,
    schedule_day: dayMatch ? SCHEDULE_DAYS[Number(dayMatch[1]) - 1]! : null,
    schedule_frame: frame,
    schedule_hour: digit(hours),
    schedule_minute: digit(minutes),
  };
}
