// DuckDB data queries of analysis (sync-engine.md 4.5): the sample statement, the batched distinct-values statement
// and the normalization of DuckDB values, native or read back from the text of a batched query. Pure.
import {
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  type DuckDBValue,
} from '@duckdb/node-api';
import type { SampleField, TableRef } from '../driver.ts';
import { quoteIdentifier, quoteTable } from '../identifiers.ts';
import {
  normalizeBigInt,
  normalizeDecimalText,
  normalizeIntegerText,
  normalizeLocalTimestampText,
} from '../value-normalization.ts';
import type { CatalogQuery } from './duckdb-introspector.ts';
import { duckdbTypeKey } from './duckdb-types.ts';

/** `SELECT <fields> FROM <table> LIMIT $1`, text fields cut with substring(CAST(c AS VARCHAR), 1, $2), no ORDER BY. */
export function sampleQuery(
  table: TableRef,
  fields: readonly SampleField[],
  opts: { readonly limit: number; readonly textTruncate: number },
): CatalogQuery {
  const values: number[] = [opts.limit];
  const columns = fields.map((field) => {
    const column = quoteIdentifier(field.name);
    if (!field.truncateText) return column;
    if (values.length === 1) values.push(opts.textTruncate);
    return `substring(CAST(${column} AS VARCHAR), 1, $2)`;
  });
  return { text: `SELECT ${columns.join(', ')} FROM ${quoteTable(table)} LIMIT $1`, values };
}

/**
 * Distinct values of one field: the plain bounded statement of 4.5, whose values keep their type. For several fields,
 * one UNION ALL of those statements: a UNION needs one column type, so each branch casts its values to VARCHAR, tags
 * them with the field's index and their rank, and reports their type (typeof) so the reader converts them back.
 */
export function distinctValuesQuery(
  table: TableRef,
  fields: readonly string[],
  opts: { readonly limit: number },
): CatalogQuery {
  const from = quoteTable(table);
  const select = (column: string) =>
    `SELECT DISTINCT ${column} AS v FROM ${from} WHERE ${column} IS NOT NULL ORDER BY ${column} LIMIT $1`;
  if (fields.length === 1) return { text: select(quoteIdentifier(fields[0])), values: [opts.limit] };
  const branches = fields.map(
    (field, i) =>
      `  SELECT ${i} AS field_index, row_number() OVER (ORDER BY d.v) AS rank, typeof(d.v) AS value_type,\n` +
      `    CAST(d.v AS VARCHAR) AS value\n  FROM (${select(quoteIdentifier(field))}) AS d`,
  );
  const union = branches.join('\n  UNION ALL\n');
  const text = `SELECT field_index, value_type, value FROM (\n${union}\n)\nORDER BY field_index, rank`;
  return { text, values: [opts.limit] };
}

const MICROS_PER_SECOND = 1_000_000n;
const MAX_DATE_MS = 8.64e15;

function fraction(digits: string): string {
  const trimmed = digits.replace(/0+$/, '');
  return trimmed === '' ? '' : `.${trimmed}`;
}

/** Microseconds since the epoch → `2025-11-25T08:30:00.25Z`; null beyond the range of a JS Date. */
export function utcTimestampFromMicros(micros: bigint): string | null {
  let seconds = micros / MICROS_PER_SECOND;
  let rest = micros % MICROS_PER_SECOND;
  if (rest < 0n) {
    rest += MICROS_PER_SECOND;
    seconds -= 1n;
  }
  const ms = Number(seconds) * 1000;
  if (Math.abs(ms) > MAX_DATE_MS) return null;
  const iso = new Date(ms).toISOString();
  if (!/^\d{4}-/.test(iso)) return null;
  return `${iso.slice(0, 19)}${fraction(rest.toString().padStart(6, '0'))}Z`;
}

const ZONED_TEXT = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d+))?([+-])(\d\d)(?::(\d\d))?(?::(\d\d))?$/;

/** The text of a TIMESTAMPTZ in the session's time zone (`2025-11-25 09:30:00.25+01`) → `2025-11-25T08:30:00.25Z`. */
export function utcTimestampFromText(text: string): string {
  const match = ZONED_TEXT.exec(text);
  if (!match) return text;
  const [, year, month, day, hour, minute, second, digits = '', sign, zoneHours, zoneMinutes = '0', zoneSeconds = '0'] =
    match;
  const offset = (sign === '-' ? -1 : 1) * (Number(zoneHours) * 3600 + Number(zoneMinutes) * 60 + Number(zoneSeconds));
  const date = new Date(0);
  date.setUTCFullYear(Number(year), Number(month) - 1, Number(day));
  date.setUTCHours(Number(hour), Number(minute), Number(second) - offset, 0);
  const iso = date.toISOString();
  return /^\d{4}-/.test(iso) ? `${iso.slice(0, 19)}${fraction(digits)}Z` : text;
}

function infinity(positive: boolean): string {
  return positive ? 'infinity' : '-infinity';
}

type LocalTimestamp =
  | DuckDBTimestampValue
  | DuckDBTimestampSecondsValue
  | DuckDBTimestampMillisecondsValue
  | DuckDBTimestampNanosecondsValue;

/** A TIMESTAMP of any precision with its signed count (which tells +infinity from -infinity), else null. */
function localTimestamp(value: unknown): { readonly timestamp: LocalTimestamp; readonly count: bigint } | null {
  if (value instanceof DuckDBTimestampValue) return { timestamp: value, count: value.micros };
  if (value instanceof DuckDBTimestampSecondsValue) return { timestamp: value, count: value.seconds };
  if (value instanceof DuckDBTimestampMillisecondsValue) return { timestamp: value, count: value.millis };
  if (value instanceof DuckDBTimestampNanosecondsValue) return { timestamp: value, count: value.nanos };
  return null;
}

/**
 * A value as @duckdb/node-api reads it → 4.5's form: numbers, booleans and text as they are; BIGINT, HUGEINT and the
 * unsigned kinds as numbers within ±(2^53−1), otherwise decimal strings; DECIMAL as a number when exact; DATE as
 * `2025-11-25`, TIMESTAMP as `2025-11-25T08:30:00`, TIMESTAMPTZ as `2025-11-25T08:30:00Z`; anything else (UUID,
 * INTERVAL, TIME, LIST, STRUCT, MAP, UNION, BLOB, …) as its string form.
 */
export function normalizeDuckdbValue(value: DuckDBValue): unknown {
  if (value === null || typeof value === 'boolean' || typeof value === 'number' || typeof value === 'string') {
    return value;
  }
  if (typeof value === 'bigint') return normalizeBigInt(value);
  if (value instanceof DuckDBDecimalValue) return normalizeDecimalText(value.toString());
  if (value instanceof DuckDBDateValue) return value.isFinite ? value.toString() : infinity(value.days > 0);
  const local = localTimestamp(value);
  if (local !== null) {
    const { timestamp, count } = local;
    return timestamp.isFinite ? normalizeLocalTimestampText(timestamp.toString()) : infinity(count > 0n);
  }
  if (value instanceof DuckDBTimestampTZValue) {
    if (!value.isFinite) return infinity(value.micros > 0n);
    return utcTimestampFromMicros(value.micros) ?? value.toString();
  }
  return value.toString();
}

/**
 * The VARCHAR text of a value of DuckDB type `type` (as typeof() names it) → the form normalizeDuckdbValue gives the
 * native value: the inverse of the casts in the batched distinctValuesQuery.
 */
export function valueFromText(text: string, type: string): unknown {
  const key = duckdbTypeKey(type);
  switch (key) {
    case 'boolean':
      return text === 'true';
    case 'tinyint':
    case 'smallint':
    case 'integer':
    case 'utinyint':
    case 'usmallint':
    case 'uinteger':
    case 'float':
    case 'double':
      return text === 'inf' ? Infinity : text === '-inf' ? -Infinity : text === 'nan' ? NaN : Number(text);
    case 'bigint':
    case 'ubigint':
    case 'hugeint':
    case 'uhugeint':
    case 'bignum':
    case 'varint':
      return normalizeIntegerText(text);
    case 'decimal':
      return normalizeDecimalText(text);
    case 'timestamp':
    case 'timestamp_s':
    case 'timestamp_ms':
    case 'timestamp_ns':
      return normalizeLocalTimestampText(text);
    case 'timestamp with time zone':
      return utcTimestampFromText(text);
    default:
      return text;
  }
}

/** Rows of the batched distinctValuesQuery (field_index, value_type, value) → one list per field. */
export function groupDistinctRows(
  rows: readonly (readonly [number, string, string])[],
  fieldCount: number,
): unknown[][] {
  const lists: unknown[][] = Array.from({ length: fieldCount }, () => []);
  for (const [fieldIndex, type, text] of rows) lists[fieldIndex].push(valueFromText(text, type));
  return lists;
}
