// Table rows as sync sees them, and the pure create/update rules of sync-engine.md sections 3.2.3 and 3.2.4.
import type { TableKind, TableMetadata } from '../drivers/driver.ts';
import { isCruftyByUserPatterns, isCruftyNewTable } from './cruft.ts';
import { humanize } from './humanize.ts';

/** The columns of a stored table that reconciliation reads. */
export interface StoredTable {
  readonly id: number;
  readonly schema: string | null;
  readonly name: string;
  readonly display_name: string;
  readonly description: string | null;
  readonly database_comment: string | null;
  readonly kind: string;
  readonly active: boolean;
  readonly visibility_type: string | null;
  readonly field_order: string;
  readonly initial_sync_status: string;
  readonly estimated_row_count: number | null;
  readonly database_object_id: string | null;
  readonly user_set: ReadonlySet<string>;
  /** The fields listing hash of the last reconciliation, null when cleared (migration 004). */
  readonly fields_hash: string | null;
  readonly fks_hash: string | null;
  readonly indexes_hash: string | null;
}

/** The sync-owned columns a table update may write. */
export interface TableChanges {
  schema?: string | null;
  name?: string;
  display_name?: string;
  description?: string | null;
  database_comment?: string | null;
  kind?: TableKind;
  active?: boolean;
  deactivated_at?: null;
  visibility_type?: string | null;
  estimated_row_count?: number | null;
  database_object_id?: string | null;
}

export interface NewTableValues {
  readonly db_id: number;
  readonly schema: string | null;
  readonly name: string;
  readonly display_name: string;
  readonly description: string | null;
  readonly database_comment: string | null;
  readonly kind: TableKind;
  readonly active: true;
  readonly visibility_type: string | null;
  readonly field_order: 'database';
  readonly initial_sync_status: 'incomplete' | 'complete';
  readonly estimated_row_count: number | null;
  readonly database_object_id: string | null;
  readonly user_set: '[]';
}

/** An empty comment is stored as NULL. */
export function normalizeComment(comment: string | null | undefined): string | null {
  return comment == null || comment === '' ? null : comment;
}

/** The 10% rule: rewrite only on a move of more than 10%, or a change to or from NULL or 0. */
export function rowCountChanged(stored: number | null, reported: number | null): boolean {
  if (stored === reported) return false;
  if (stored === null || reported === null || stored === 0 || reported === 0) return true;
  return Math.abs(reported - stored) > Math.abs(stored) * 0.1;
}

export function newTableValues(
  dbId: number,
  table: TableMetadata,
  userCruftPatterns: readonly RegExp[],
): NewTableValues {
  const comment = normalizeComment(table.comment);
  const crufty = isCruftyNewTable(table.name, userCruftPatterns);
  return {
    db_id: dbId,
    schema: table.schema,
    name: table.name,
    display_name: humanize(table.name),
    description: comment,
    database_comment: comment,
    kind: table.kind,
    active: true,
    visibility_type: crufty ? 'cruft' : null,
    field_order: 'database',
    initial_sync_status: crufty ? 'complete' : 'incomplete',
    estimated_row_count: table.estimatedRowCount,
    database_object_id: table.objectId,
    user_set: '[]',
  };
}

export interface TableDiff {
  readonly changes: TableChanges;
  readonly reactivated: boolean;
  readonly renamed: boolean;
  readonly kindChanged: boolean;
  readonly objectIdChanged: boolean;
}

/**
 * Reactivation, rename and the update rule for a matched table. `changes` is empty when nothing sync-owned differs.
 * A rename is applied when the reported identity differs from the stored one (passes 2 and 3).
 */
export function diffTable(
  stored: StoredTable,
  reported: TableMetadata,
  userCruftPatterns: readonly RegExp[],
): TableDiff {
  const changes: TableChanges = {};
  const reactivated = !stored.active;
  if (reactivated) {
    changes.active = true;
    changes.deactivated_at = null;
  }
  const renamed = stored.schema !== reported.schema || stored.name !== reported.name;
  if (renamed) {
    changes.schema = reported.schema;
    changes.name = reported.name;
    const display = humanize(reported.name);
    if (!stored.user_set.has('display_name') && stored.display_name !== display) changes.display_name = display;
  }
  const kindChanged = stored.kind !== reported.kind;
  if (kindChanged) changes.kind = reported.kind;
  const comment = normalizeComment(reported.comment);
  if (stored.database_comment !== comment) changes.database_comment = comment;
  if (!stored.user_set.has('description') && stored.description !== comment) changes.description = comment;
  if (rowCountChanged(stored.estimated_row_count, reported.estimatedRowCount)) {
    changes.estimated_row_count = reported.estimatedRowCount;
  }
  const objectIdChanged = stored.database_object_id !== reported.objectId;
  if (objectIdChanged) changes.database_object_id = reported.objectId;
  if (
    stored.visibility_type === null &&
    !stored.user_set.has('visibility_type') &&
    isCruftyByUserPatterns(reported.name, userCruftPatterns)
  ) {
    changes.visibility_type = 'cruft';
  }
  return { changes, reactivated, renamed, kindChanged, objectIdChanged };
}

export function hasChanges(changes: object): boolean {
  return Object.keys(changes).length > 0;
}
