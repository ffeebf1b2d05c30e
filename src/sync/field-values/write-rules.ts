// What a scan does to one field's values row (sync-engine.md section 6.3): demote an auto-list that overflowed, leave
// an equal row alone, or write values with their labels rebuilt. Pure.
import { stringForm, type CappedValues } from './caps.ts';

export interface StoredValues {
  readonly values: readonly unknown[];
  readonly humanReadableValues: readonly unknown[];
  readonly hasMoreValues: boolean;
}

export interface ValuesField {
  /** `list` or `auto-list`. */
  readonly hasFieldValues: string;
  readonly userSet: ReadonlySet<string>;
}

export type ValuesAction =
  /** has_field_values becomes NULL and the values row (if any) is deleted. */
  | { readonly kind: 'demote' }
  | { readonly kind: 'unchanged' }
  | {
      readonly kind: 'create' | 'update';
      readonly values: readonly unknown[];
      readonly humanReadableValues: readonly unknown[];
      readonly hasMoreValues: boolean;
    };

/**
 * An auto-list set by classification falls back to search when its values do not fit; an admin's list never does,
 * and values of a bounded read under the row budget are never the reason (issue 11).
 */
export function demotes(field: ValuesField, scanned: CappedValues): boolean {
  return (
    field.hasFieldValues === 'auto-list' &&
    !field.userSet.has('has_field_values') &&
    scanned.hasMoreValues &&
    scanned.bounded !== true
  );
}

export function decideValues(field: ValuesField, stored: StoredValues | null, scanned: CappedValues): ValuesAction {
  if (demotes(field, scanned)) return { kind: 'demote' };
  if (
    stored !== null &&
    stored.hasMoreValues === scanned.hasMoreValues &&
    JSON.stringify(stored.values) === JSON.stringify(scanned.values)
  ) {
    return { kind: 'unchanged' };
  }
  return {
    kind: stored === null ? 'create' : 'update',
    values: scanned.values,
    humanReadableValues: stored === null ? [] : rebuildLabels(stored, scanned.values),
    hasMoreValues: scanned.hasMoreValues,
  };
}

/**
 * Labels follow their values: a value still present keeps its label, a new value gets its string form, labels of
 * values that are gone are dropped. No labels stay no labels.
 */
export function rebuildLabels(stored: StoredValues, values: readonly unknown[]): unknown[] {
  if (stored.humanReadableValues.length === 0) return [];
  const labels = new Map<string, unknown>();
  const known = Math.min(stored.values.length, stored.humanReadableValues.length);
  for (let i = 0; i < known; i++) labels.set(JSON.stringify(stored.values[i]), stored.humanReadableValues[i]);
  return values.map((value) => {
    const key = JSON.stringify(value);
    return labels.has(key) ? labels.get(key) : stringForm(value);
  });
}
