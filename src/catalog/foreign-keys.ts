// Pure rules of sync-engine.md section 3.4: ordinal pairing, target resolution, conflicts, marking and clearing.
import type { ForeignKeyMetadata } from '../drivers/driver.ts';
import { compareBytes, foldedKey } from './names.ts';

/** One element of `metabase_table.database_foreign_keys` (2.4). */
export interface ForeignKeyJson {
  readonly name: string;
  readonly columns: readonly string[];
  readonly target_schema: string | null;
  readonly target_table: string;
  readonly target_columns: readonly string[];
}

export function foreignKeyJson(fk: ForeignKeyMetadata): ForeignKeyJson {
  return {
    name: fk.constraintName,
    columns: [...fk.columns],
    target_schema: fk.targetSchema,
    target_table: fk.targetTable,
    target_columns: [...fk.targetColumns],
  };
}

export interface ColumnPair {
  readonly source: string;
  readonly target: string;
}

/** `FOREIGN KEY (a, b) REFERENCES t (x, y)` gives exactly a → x and b → y, never a cross product. */
export function alignPairs(fk: ForeignKeyMetadata): ColumnPair[] {
  const n = Math.min(fk.columns.length, fk.targetColumns.length);
  return Array.from({ length: n }, (_, i) => ({ source: fk.columns[i], target: fk.targetColumns[i] }));
}

export interface NamedRow {
  readonly id: number;
  readonly schema: string | null;
  readonly name: string;
}

/** Exact (schema, name) first, then, on case-insensitive engines, the only case-insensitive candidate. */
export function resolveTable<T extends NamedRow>(
  candidates: readonly T[],
  schema: string | null,
  name: string,
  caseInsensitive: boolean,
): T | null {
  const exact = candidates.find((t) => t.schema === schema && t.name === name);
  if (exact) return exact;
  if (!caseInsensitive) return null;
  const key = foldedKey(schema, name);
  const folded = candidates.filter((t) => foldedKey(t.schema, t.name) === key);
  return folded.length === 1 ? folded[0] : null;
}

/** Exact name first, then the only case-insensitive candidate. */
export function resolveColumn<F extends { readonly id: number; readonly name: string }>(
  fields: readonly F[],
  name: string,
): F | null {
  const exact = fields.find((f) => f.name === name);
  if (exact) return exact;
  const lower = name.toLowerCase();
  const folded = fields.filter((f) => f.name.toLowerCase() === lower);
  return folded.length === 1 ? folded[0] : null;
}

export interface ResolvedPair {
  readonly constraint: string;
  readonly sourceFieldId: number;
  readonly targetFieldId: number;
}

/** One winner per source field, the constraint whose name sorts first; a field in several constraints is a conflict. */
export function chooseWinners(pairs: readonly ResolvedPair[]): { winners: ResolvedPair[]; conflicts: number } {
  const bySource = new Map<number, ResolvedPair[]>();
  for (const pair of pairs) {
    const list = bySource.get(pair.sourceFieldId);
    if (list) list.push(pair);
    else bySource.set(pair.sourceFieldId, [pair]);
  }
  const winners: ResolvedPair[] = [];
  let conflicts = 0;
  for (const list of bySource.values()) {
    const sorted = [...list].sort((a, b) => compareBytes(a.constraint, b.constraint));
    if (new Set(sorted.map((p) => p.constraint)).size > 1) conflicts++;
    winners.push(sorted[0]);
  }
  return { winners, conflicts };
}

/** The columns of a field that FK marking and clearing read. */
export interface FkField {
  readonly id: number;
  readonly fk_target_field_id: number | null;
  readonly semantic_type: string | null;
  readonly has_field_values: string | null;
  readonly has_fingerprint: boolean;
  readonly fingerprint_version: number;
  readonly last_analyzed: string | null;
  readonly user_set: ReadonlySet<string>;
}

export interface FkChanges {
  fk_target_field_id?: number | null;
  semantic_type?: string | null;
  has_field_values?: string | null;
  fingerprint?: null;
  fingerprint_version?: 0;
  last_analyzed?: null;
}

export type MarkResult =
  | { readonly kind: 'user-set-skipped' }
  | { readonly kind: 'changes'; readonly changes: FkChanges };

/** Marking a source field (empty changes: it already matches). */
export function markField(field: FkField, targetFieldId: number): MarkResult {
  if (field.user_set.has('fk_target_field_id') || field.user_set.has('semantic_type')) {
    return { kind: 'user-set-skipped' };
  }
  const changes: FkChanges = {};
  if (field.fk_target_field_id !== targetFieldId) changes.fk_target_field_id = targetFieldId;
  if (field.semantic_type !== 'type/FK') changes.semantic_type = 'type/FK';
  if (field.has_field_values === 'auto-list' && !field.user_set.has('has_field_values')) {
    changes.has_field_values = null;
  }
  return { kind: 'changes', changes };
}

/** Clearing a vanished FK; null when the field has no sync-owned target to clear. */
export function clearField(field: FkField): FkChanges | null {
  if (field.fk_target_field_id === null || field.user_set.has('fk_target_field_id')) return null;
  const changes: FkChanges = { fk_target_field_id: null };
  if (field.semantic_type === 'type/FK' && !field.user_set.has('semantic_type')) {
    changes.semantic_type = null;
    if (field.has_fingerprint) changes.fingerprint = null;
    if (field.fingerprint_version !== 0) changes.fingerprint_version = 0;
    if (field.last_analyzed !== null) changes.last_analyzed = null;
  }
  return changes;
}
