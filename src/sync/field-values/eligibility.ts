// Which fields get a `full` values row (sync-engine.md section 6.1) and which of them one run scans (6.2). Pure.
import { allowsFieldValues } from '../../drivers/types.ts';

/** The `has_field_values` settings that ask for a cached list. */
export const LIST_SETTINGS: readonly string[] = ['list', 'auto-list'];

const NO_VALUES_VISIBILITY: ReadonlySet<string> = new Set(['retired', 'sensitive', 'hidden', 'details-only']);

/** The facts of a field and its table that decide eligibility; the database's is_full_sync is the phase's check. */
export interface EligibilityFacts {
  readonly active: boolean;
  /** The table is active and its visibility_type is NULL. */
  readonly tableSynced: boolean;
  readonly hasFieldValues: string | null;
  readonly visibilityType: string;
  readonly previewDisplay: boolean;
  readonly baseType: string;
}

export function isEligible(field: EligibilityFacts): boolean {
  return (
    field.active &&
    field.tableSynced &&
    field.hasFieldValues !== null &&
    LIST_SETTINGS.includes(field.hasFieldValues) &&
    !NO_VALUES_VISIBILITY.has(field.visibilityType) &&
    field.previewDisplay &&
    allowsFieldValues(field.baseType)
  );
}

export interface ScanCandidate {
  readonly fieldId: number;
  readonly tableId: number;
  /** updated_at of the field's values row; null when it has none yet. */
  readonly valuesUpdatedAt: string | null;
}

/** Oldest values row first, fields without a row before every other (6.2); then by field id, for a stable order. */
export function compareCandidates(a: ScanCandidate, b: ScanCandidate): number {
  if (a.valuesUpdatedAt !== b.valuesUpdatedAt) {
    if (a.valuesUpdatedAt === null) return -1;
    if (b.valuesUpdatedAt === null) return 1;
    return a.valuesUpdatedAt < b.valuesUpdatedAt ? -1 : 1;
  }
  return a.fieldId - b.fieldId;
}

export interface TableScan<T extends ScanCandidate> {
  readonly tableId: number;
  /** Ascending field id. */
  readonly fields: readonly T[];
}

export interface ScanPlan<T extends ScanCandidate> {
  /** Ascending table id: the tables are scanned one after another. */
  readonly tables: readonly TableScan<T>[];
  /** Eligible fields left for a later run by MB_SYNC_MAX_FIELD_VALUES_FIELDS. */
  readonly deferred: number;
}

/** At most `max` of the eligible fields, oldest values first, grouped by table. */
export function planScan<T extends ScanCandidate>(eligible: readonly T[], max: number): ScanPlan<T> {
  const chosen = [...eligible].sort(compareCandidates).slice(0, Math.max(0, max));
  const byTable = new Map<number, T[]>();
  for (const field of chosen) {
    const list = byTable.get(field.tableId);
    if (list) list.push(field);
    else byTable.set(field.tableId, [field]);
  }
  const tables = [...byTable]
    .sort(([a], [b]) => a - b)
    .map(([tableId, fields]) => ({ tableId, fields: fields.sort((a, b) => a.fieldId - b.fieldId) }));
  return { tables, deferred: eligible.length - chosen.length };
}
