// Field rows as sync sees them, the matching passes and the pure create/update rules of sync-engine.md section 3.3.
import type { FieldMetadata } from '../drivers/driver.ts';
import { humanize } from './humanize.ts';
import { matchUnambiguous } from './match.ts';
import { normalizeComment } from './tables.ts';
import { serializeUserSet } from './user-set.ts';

/** The columns of a stored field that reconciliation reads. */
export interface StoredField {
  readonly id: number;
  readonly table_id: number;
  readonly name: string;
  readonly display_name: string;
  readonly description: string | null;
  readonly database_comment: string | null;
  readonly database_type: string;
  readonly base_type: string;
  readonly effective_type: string;
  readonly coercion_strategy: string | null;
  readonly semantic_type: string | null;
  readonly active: boolean;
  readonly visibility_type: string;
  readonly preview_display: boolean;
  readonly position: number;
  readonly database_position: number;
  /** Whether a fingerprint is stored (its text is never needed by sync, and can be large). */
  readonly has_fingerprint: boolean;
  readonly fingerprint_version: number;
  readonly last_analyzed: string | null;
  readonly has_field_values: string | null;
  readonly database_is_pk: boolean;
  readonly database_is_nullable: boolean;
  readonly database_required: boolean;
  readonly database_is_auto_increment: boolean;
  readonly database_is_generated: boolean;
  readonly database_default: string | null;
  readonly database_object_id: string | null;
  readonly user_set: ReadonlySet<string>;
}

/** The columns a field update may write. */
export interface FieldChanges {
  name?: string;
  display_name?: string;
  description?: string | null;
  database_comment?: string | null;
  database_type?: string;
  base_type?: string;
  effective_type?: string;
  coercion_strategy?: string | null;
  semantic_type?: string | null;
  active?: boolean;
  visibility_type?: string;
  preview_display?: boolean;
  position?: number;
  database_position?: number;
  fingerprint?: null;
  fingerprint_version?: number;
  last_analyzed?: string | null;
  has_field_values?: string | null;
  database_is_pk?: boolean;
  database_is_nullable?: boolean;
  database_required?: boolean;
  database_is_auto_increment?: boolean;
  database_is_generated?: boolean;
  database_default?: string | null;
  database_object_id?: string | null;
  user_set?: string;
}

export interface FieldRules {
  /** The table's field_order is 'database': position follows database_position. */
  readonly positionFollowsDatabase: boolean;
  readonly cruftColumnPatterns: readonly RegExp[];
}

/** The strings `NULL` and `null` are stored as NULL. */
export function normalizeDefault(value: string | null): string | null {
  return value === null || value === 'NULL' || value === 'null' ? null : value;
}

function isCruftyColumn(name: string, patterns: readonly RegExp[]): boolean {
  const lower = name.toLowerCase();
  return patterns.some((p) => p.test(lower));
}

/** Semantic type at creation and after a base-type change: PK first, then the driver's hint. */
export function initialSemanticType(field: FieldMetadata): string | null {
  return field.isPk ? 'type/PK' : field.semanticHint;
}

export function newFieldValues(tableId: number, field: FieldMetadata, rules: FieldRules) {
  const comment = normalizeComment(field.comment);
  const crufty = isCruftyColumn(field.name, rules.cruftColumnPatterns);
  return {
    table_id: tableId,
    name: field.name,
    display_name: humanize(field.name),
    description: comment,
    database_comment: comment,
    database_type: field.databaseType,
    base_type: field.baseType,
    effective_type: field.baseType,
    semantic_type: initialSemanticType(field),
    active: true,
    visibility_type: crufty ? 'details-only' : 'normal',
    preview_display: !crufty,
    position: field.position,
    database_position: field.position,
    database_is_pk: field.isPk,
    database_is_nullable: field.isNullable,
    database_required: field.isRequired,
    database_is_auto_increment: field.isAutoIncrement,
    database_is_generated: field.isGenerated,
    database_default: normalizeDefault(field.default),
    database_object_id: field.objectId,
    user_set: '[]',
  };
}

export type NewFieldValues = ReturnType<typeof newFieldValues>;

export interface FieldMatch {
  readonly reported: FieldMetadata;
  readonly stored: StoredField;
}

export interface FieldMatching {
  readonly matched: readonly FieldMatch[];
  readonly created: readonly FieldMetadata[];
  /** Active stored fields no reported column matched. */
  readonly retired: readonly StoredField[];
}

/**
 * The passes of 3.3.2 for one table: exact name, stable column id (only when `byObjectId`), case-insensitive name
 * (unambiguous both ways); the rest is created or retired.
 */
export function matchFields(
  reported: readonly FieldMetadata[],
  stored: readonly StoredField[],
  byObjectId: boolean,
): FieldMatching {
  const matched: FieldMatch[] = [];
  const exact = matchUnambiguous(reported, stored, (r) => r.name, (s) => s.name);
  for (const [r, s] of exact.pairs) matched.push({ reported: r, stored: s });
  let restReported = exact.reported;
  let restStored = exact.stored;
  if (byObjectId) {
    const byId = matchUnambiguous(
      restReported,
      restStored,
      (r) => r.objectId,
      (s) => (s.active ? s.database_object_id : null),
    );
    for (const [r, s] of byId.pairs) matched.push({ reported: r, stored: s });
    restReported = byId.reported;
    restStored = byId.stored;
  }
  const folded = matchUnambiguous(restReported, restStored, (r) => r.name.toLowerCase(), (s) => s.name.toLowerCase());
  for (const [r, s] of folded.pairs) matched.push({ reported: r, stored: s });
  return { matched, created: folded.reported, retired: folded.stored.filter((s) => s.active) };
}

export interface FieldDiff {
  readonly changes: FieldChanges;
  readonly reactivated: boolean;
  readonly renamed: boolean;
  readonly typeChanged: boolean;
  /** effective_type or coercion_strategy was user-set and had to be reset (3.3.6 step 2). */
  readonly userOverridesReset: boolean;
  /** The field's values row must be deleted (auto-list cleared by a base-type change). */
  readonly deleteFieldValues: boolean;
}

/** Reactivation, rename, base-type change, PK flag and the update rule (3.3.4–3.3.7) for one matched field. */
export function diffField(stored: StoredField, reported: FieldMetadata, rules: FieldRules): FieldDiff {
  const changes: FieldChanges = {};
  const userSet = stored.user_set;
  // A column written by an earlier rule and set back to its stored value by a later one is not a change.
  const put = <K extends Exclude<keyof FieldChanges, 'user_set' | 'fingerprint'>>(key: K, value: FieldChanges[K]) => {
    if ((stored as unknown as Record<string, unknown>)[key] === value) delete changes[key];
    else (changes as Record<string, unknown>)[key] = value;
  };
  const semanticType = () => ('semantic_type' in changes ? (changes.semantic_type ?? null) : stored.semantic_type);
  const resetAnalysis = () => {
    if (stored.has_fingerprint) changes.fingerprint = null;
    put('fingerprint_version', 0);
    put('last_analyzed', null);
  };

  const reactivated = !stored.active;
  if (reactivated) put('active', true);

  const renamed = stored.name !== reported.name;
  if (renamed) {
    put('name', reported.name);
    if (!userSet.has('display_name')) put('display_name', humanize(reported.name));
    const semantic = stored.semantic_type;
    if (!userSet.has('semantic_type') && semantic !== 'type/PK' && semantic !== 'type/FK') {
      put('semantic_type', null);
      put('last_analyzed', null);
    }
  }

  const typeChanged = stored.base_type !== reported.baseType;
  let userOverridesReset = false;
  let deleteFieldValues = false;
  put('database_type', reported.databaseType);
  if (typeChanged) {
    put('base_type', reported.baseType);
    put('effective_type', reported.baseType);
    put('coercion_strategy', null);
    if (userSet.has('effective_type') || userSet.has('coercion_strategy')) {
      userOverridesReset = true;
      const kept = [...userSet].filter((c) => c !== 'effective_type' && c !== 'coercion_strategy');
      changes.user_set = serializeUserSet(kept);
    }
    if (!userSet.has('semantic_type')) put('semantic_type', initialSemanticType(reported));
    resetAnalysis();
    if (stored.has_field_values === 'auto-list' && !userSet.has('has_field_values')) {
      put('has_field_values', null);
      deleteFieldValues = true;
    }
  } else if (!(userSet.has('effective_type') && stored.coercion_strategy !== null)) {
    put('effective_type', reported.baseType);
  }

  if (!userSet.has('semantic_type')) {
    if (reported.isPk && semanticType() === null) {
      put('semantic_type', 'type/PK');
    } else if (stored.database_is_pk && !reported.isPk && semanticType() === 'type/PK') {
      put('semantic_type', null);
      resetAnalysis();
    }
  }

  const comment = normalizeComment(reported.comment);
  put('database_comment', comment);
  if (!userSet.has('description')) put('description', comment);
  put('database_position', reported.position);
  if (rules.positionFollowsDatabase) put('position', reported.position);
  put('database_is_pk', reported.isPk);
  put('database_is_nullable', reported.isNullable);
  put('database_required', reported.isRequired);
  put('database_is_auto_increment', reported.isAutoIncrement);
  put('database_is_generated', reported.isGenerated);
  put('database_default', normalizeDefault(reported.default));
  put('database_object_id', reported.objectId);

  if (
    stored.visibility_type === 'normal' &&
    !userSet.has('visibility_type') &&
    isCruftyColumn(reported.name, rules.cruftColumnPatterns)
  ) {
    put('visibility_type', 'details-only');
    if (!userSet.has('preview_display')) put('preview_display', false);
  }
  return { changes, reactivated, renamed, typeChanged, userOverridesReset, deleteFieldValues };
}
