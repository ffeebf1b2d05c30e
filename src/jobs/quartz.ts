// Quartz cron strings as Metabase stores them (sync-engine.md section 8.8): `sec min hour dom month dow [year]`,
// validated here and translated to croner's pattern syntax; fires are evaluated in the process's local time zone.
import { Cron } from 'croner';

/** A schedule that cannot be parsed; the message is the reason, fit for a validation error. */
export class QuartzError extends Error {
  override readonly name = 'QuartzError';
}

interface FieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
}

const SECONDS: FieldSpec = { name: 'seconds', min: 0, max: 59 };
const MINUTES: FieldSpec = { name: 'minutes', min: 0, max: 59 };
const HOURS: FieldSpec = { name: 'hours', min: 0, max: 23 };
const DAY_OF_MONTH: FieldSpec = { name: 'day-of-month', min: 1, max: 31 };
const MONTH: FieldSpec = {
  name: 'month',
  min: 1,
  max: 12,
  names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'],
};
/** Quartz numbers the days 1 (Sunday) to 7 (Saturday); croner 0 (Sunday) to 6. */
const DAY_OF_WEEK: FieldSpec = {
  name: 'day-of-week',
  min: 1,
  max: 7,
  names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'],
};
/** Quartz's own year range. */
const YEAR: FieldSpec = { name: 'year', min: 1970, max: 2099 };

function fail(reason: string): never {
  throw new QuartzError(reason);
}

/** A number or (where the field has them) a three-letter name. */
function value(token: string, spec: FieldSpec): number {
  const named = spec.names?.indexOf(token) ?? -1;
  if (named !== -1) return spec.min + named;
  if (!/^[0-9]+$/.test(token)) fail(`${spec.name}: '${token}' is not a number${spec.names ? ' or a name' : ''}`);
  const n = Number(token);
  if (n < spec.min || n > spec.max) fail(`${spec.name}: ${n} is out of range ${spec.min}-${spec.max}`);
  return n;
}

/**
 * The values of one list item: `*`, `a`, `a-b`, `a/n`, `a-b/n` or `* /n`. A range whose end is below its start wraps
 * around the field's end, as in Quartz (`22-2` in hours); `a/n` runs from a to the field's end.
 */
function itemValues(item: string, spec: FieldSpec): number[] {
  const [range, stepText, extra] = item.split('/');
  if (extra !== undefined || range === '') fail(`${spec.name}: '${item}' is not a valid item`);
  let step = 1;
  if (stepText !== undefined) {
    if (!/^[0-9]+$/.test(stepText)) fail(`${spec.name}: '${stepText}' is not a valid step`);
    step = Number(stepText);
    if (step < 1 || step > spec.max - spec.min + 1) fail(`${spec.name}: the step ${step} is out of range`);
  }
  let from: number;
  let to: number;
  if (range === '*') {
    from = spec.min;
    to = spec.max;
  } else {
    const bounds = range.split('-');
    if (bounds.length > 2) fail(`${spec.name}: '${item}' is not a valid range`);
    from = value(bounds[0], spec);
    to = bounds.length === 2 ? value(bounds[1], spec) : stepText !== undefined ? spec.max : from;
  }
  const size = spec.max - spec.min + 1;
  if (to < from && spec === YEAR) fail(`year: the range '${range}' runs backwards`);
  const span = to >= from ? to - from : to - from + size;
  const out: number[] = [];
  for (let offset = 0; offset <= span; offset += step) out.push(((from - spec.min + offset) % size) + spec.min);
  return out;
}

/** The sorted values of a list field (numbers, names, `*`, ranges, steps). */
function listValues(field: string, spec: FieldSpec): number[] {
  const values = new Set<number>();
  for (const item of field.split(',')) for (const v of itemValues(item, spec)) values.add(v);
  return [...values].sort((a, b) => a - b);
}

/** croner's form of a value set: `*` when it holds every value of the field, else the explicit list. */
function cronList(values: readonly number[], spec: FieldSpec, shift = 0): string {
  return values.length === spec.max - spec.min + 1 ? '*' : values.map((v) => v + shift).join(',');
}

function dayOfMonth(field: string): string {
  if (field === '?') return '*';
  if (field === 'L') return 'L';
  if (field === 'LW') fail('day-of-month: LW (last weekday of the month) is not supported');
  if (/^L-/.test(field)) fail('day-of-month: L-n (days before the last day of the month) is not supported');
  if (field.includes('W')) fail('day-of-month: W (nearest weekday) is not supported');
  if (field.includes('L')) fail("day-of-month: 'L' is allowed only on its own");
  return cronList(listValues(field, DAY_OF_MONTH), DAY_OF_MONTH);
}

function dayOfWeek(field: string): string {
  if (field === '?') return '*';
  // `L` alone is the last day of the week (Saturday); `nL` the last day n of the month; `n#k` the k-th day n.
  if (field === 'L') return '6';
  const last = /^([0-9]+|[A-Z]{3})L$/.exec(field);
  if (last) return `${value(last[1], DAY_OF_WEEK) - 1}#L`;
  const nth = /^([0-9]+|[A-Z]{3})#([0-9]+)$/.exec(field);
  if (nth) {
    const k = Number(nth[2]);
    if (k < 1 || k > 5) fail(`day-of-week: the occurrence in '${field}' must be from 1 to 5`);
    return `${value(nth[1], DAY_OF_WEEK) - 1}#${k}`;
  }
  if (field.includes('L') || field.includes('#')) fail(`day-of-week: '${field}' must be nL or n#k on its own`);
  return cronList(listValues(field, DAY_OF_WEEK), DAY_OF_WEEK, -1);
}

export interface Translation {
  /** croner's six-field pattern (seconds first), for the local time zone. */
  readonly pattern: string;
  /** The years the schedule fires in, ascending; null for every year. */
  readonly years: readonly number[] | null;
}

/** Pure translation of a Quartz string to croner's syntax; throws QuartzError with the reason it cannot. */
export function toCronerPattern(expression: string): Translation {
  const fields = expression.trim().toUpperCase().split(/\s+/);
  if (fields.length < 6 || fields.length > 7) fail(`expected 6 or 7 fields, found ${fields.length}`);
  const [sec, min, hour, dom, month, dow, year] = fields;
  fields.forEach((field, i) => {
    if (field.includes('?') && ((i !== 3 && i !== 5) || field !== '?')) {
      fail("'?' is allowed only on its own, in day-of-month or day-of-week");
    }
  });
  if ((dom === '?') === (dow === '?')) fail("exactly one of day-of-month and day-of-week must be '?'");
  const pattern = [
    cronList(listValues(sec, SECONDS), SECONDS),
    cronList(listValues(min, MINUTES), MINUTES),
    cronList(listValues(hour, HOURS), HOURS),
    dayOfMonth(dom),
    cronList(listValues(month, MONTH), MONTH),
    dayOfWeek(dow),
  ].join(' ');
  const years = year === undefined || year === '*' ? null : listValues(year, YEAR);
  return { pattern, years };
}

/** The reason a Quartz string is not accepted, or null when it is (for the API's validation). */
export function validateQuartz(expression: string): string | null {
  try {
    toCronerPattern(expression);
    return null;
  } catch (error) {
    if (error instanceof QuartzError) return error.message;
    throw error;
  }
}

/** A parsed schedule, evaluated in the process's local time zone. */
export class QuartzSchedule {
  readonly expression: string;
  readonly #cron: Cron;
  readonly #years: ReadonlySet<number> | null;

  /** Throws QuartzError when the expression cannot be parsed. */
  constructor(expression: string) {
    const { pattern, years } = toCronerPattern(expression);
    this.expression = expression;
    try {
      this.#cron = new Cron(pattern, { paused: true, legacyMode: true });
    } catch (error) {
      throw new QuartzError(error instanceof Error ? error.message : String(error));
    }
    this.#years = years === null ? null : new Set(years);
  }

  /** The first fire strictly after `after` (whole seconds), or null when there is none. */
  nextFire(after: Date): Date | null {
    let from = after;
    for (;;) {
      const next = this.#cron.nextRun(from);
      if (next === null) return null;
      if (this.#years === null || this.#years.has(next.getFullYear())) return next;
      // Skip to the start of the next year, or give up past the last one the schedule names.
      const year = next.getFullYear();
      const later = [...this.#years].filter((y) => y > year);
      if (later.length === 0) return null;
      from = new Date(Math.min(...later), 0, 1, 0, 0, 0, -1000);
    }
  }

  /** The latest fire F with now − window < F ≤ now, or null when there was none in that window. */
  latestFire(now: Date, windowMs: number): Date | null {
    let latest: Date | null = null;
    let next = this.nextFire(new Date(now.getTime() - windowMs));
    while (next !== null && next <= now) {
      latest = next;
      next = this.nextFire(next);
    }
    return latest;
  }
}
