// The Table and Field objects of the curation routes (curation-notes.md 0, 1.1, 1.2): the objects of notify-api.md
// 6.2 plus the curated columns a user can set, a NULL table schema shown as "" (Metabase's present-table), and the
// hydrations (`db`, `pk_field`, `target`, `dimensions`). Pure.
import type { Selectable } from 'kysely';
import { parseJson, toBool, type FieldRow, type TableRow } from '../db/schema.ts';
import {
  fieldObject,
  TABLE_OBJECT_COLUMNS,
  tableObject,
  type DatabaseObject,
  type FieldObject,
  type TableObject,
} from './api-objects.ts';

/** The columns a curated Table object is built from: GET /api/table reads just these. */
export const CURATED_TABLE_COLUMNS = [...TABLE_OBJECT_COLUMNS, 'caveats', 'points_of_interest'] as const;
export type CuratedTableRow = Pick<Selectable<TableRow>, (typeof CURATED_TABLE_COLUMNS)[number]>;

export type CuratedTable = Omit<TableObject, 'schema'> & {
  readonly schema: string;
  readonly caveats: string | null;
  readonly points_of_interest: string | null;
};

export type CuratedField = FieldObject & {
  readonly caveats: string | null;
  readonly points_of_interest: string | null;
  readonly coercion_strategy: string | null;
  readonly settings: unknown;
  readonly json_unfolding: boolean;
  readonly preview_display: boolean;
  readonly custom_position: number;
};

export function curatedTable(row: CuratedTableRow): CuratedTable {
  return {
    ...tableObject(row),
    schema: row.schema ?? '',
    caveats: row.caveats,
    points_of_interest: row.points_of_interest,
  };
}

export function curatedField(row: Selectable<FieldRow>): CuratedField {
  return {
    ...fieldObject(row),
    caveats: row.caveats,
    points_of_interest: row.points_of_interest,
    coercion_strategy: row.coercion_strategy,
    settings: parseJson<unknown>(row.settings, null),
    json_unfolding: toBool(row.json_unfolding),
    preview_display: toBool(row.preview_display),
    custom_position: row.custom_position,
  };
}

/** The Database of a query_metadata answer: without `details` (QM). */
export function databaseWithoutDetails(database: DatabaseObject): Omit<DatabaseObject, 'details'> {
  const { details: _details, ...rest } = database;
  return rest;
}

/** The field's PK flag as pk_field reads it: an active PK that is neither sensitive nor retired. */
export function isPkField(row: Selectable<FieldRow>): boolean {
  return (
    toBool(row.active) &&
    row.semantic_type === 'type/PK' &&
    row.visibility_type !== 'sensitive' &&
    row.visibility_type !== 'retired'
  );
}

/** query_metadata's field filter: hidden and sensitive fields only when asked for; retired ones never. */
export function shownInQueryMetadata(
  row: Selectable<FieldRow>,
  include: { readonly hidden: boolean; readonly sensitive: boolean },
): boolean {
  if (!toBool(row.active) || row.visibility_type === 'retired') return false;
  if (row.visibility_type === 'hidden') return include.hidden;
  if (row.visibility_type === 'sensitive') return include.sensitive;
  return true;
}

/** A Field with Metabase's hydrations: `target` (the FK target Field or null), `dimensions` (no remappings here). */
export function hydratedField(row: Selectable<FieldRow>, target: Selectable<FieldRow> | undefined) {
  return {
    ...curatedField(row),
    target: target === undefined ? null : curatedField(target),
    dimensions: [] as const,
    name_field: null,
  };
}
