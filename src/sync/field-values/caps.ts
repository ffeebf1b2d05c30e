// The caps of one field's distinct values (sync-engine.md section 6.2). Pure.

/** Values kept per field. */
export const MAX_VALUES = 1_000;
/** Total characters of the kept values' string forms. */
export const MAX_TOTAL_CHARS = 100_000;
/** Rows asked of the warehouse: one beyond the cap, so that a 1,001st value proves there are more. */
export const VALUES_QUERY_LIMIT = MAX_VALUES + 1;

export interface CappedValues {
  readonly values: readonly unknown[];
  readonly hasMoreValues: boolean;
  /** From a bounded read under the row budget (issue 11): more values may exist, and that demotes nothing. */
  readonly bounded?: boolean;
}

/** Values of a bounded read: capped as any, stored with has_more_values = true. */
export function boundedValues(distinct: readonly unknown[]): CappedValues {
  return { values: capValues(distinct).values, hasMoreValues: true, bounded: true };
}

/** A value's string form: text as it is, anything else as JSON would print it (numbers, booleans). */
export function stringForm(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
}

/**
 * At most 1,000 values, then values in order while the running total of their lengths stays at or below 100,000
 * characters. More values exist when the query returned a 1,001st row or the character cap dropped one; exactly
 * 1,000 values are no sign of more (Beyond Metabase).
 */
export function capValues(distinct: readonly unknown[]): CappedValues {
  const values: unknown[] = [];
  let total = 0;
  let cutByCharacters = false;
  for (const value of distinct.slice(0, MAX_VALUES)) {
    total += stringForm(value).length;
    if (total > MAX_TOTAL_CHARS) {
      cutByCharacters = true;
      break;
    }
    values.push(value);
  }
  return { values, hasMoreValues: distinct.length > MAX_VALUES || cutByCharacters };
}
