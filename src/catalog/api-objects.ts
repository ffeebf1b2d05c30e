// The Database, Table and Field objects of notify-api.md section 6.2, built from rows by pure functions: booleans
// through toBool(), JSON columns parsed, secrets masked, and only the listed keys.
import type { Selectable } from 'kysely';
import { parseJson, toBool, type DatabaseRow, type FieldRow, type TableRow } from '../db/schema.ts';

export const MASKED_PASSWORD = '**MetabasePass**';

export interface DatabaseObject {
  readonly id: number;
  readonly name: string;
  readonly engine: string;
  readonly details: Readonly<Record<string, unknown>>;
  readonly is_attached_dwh: boolean;
  readonly is_full_sync: boolean;
  readonly is_on_demand: boolean;
  readonly initial_sync_status: string;
  readonly metadata_sync_schedule: string | null;
  readonly cache_field_values_schedule: string | null;
  readonly timezone: string | null;
  readonly dbms_version: unknown;
  readonly created_at: string;
  readonly updated_at: string;
}

export interface TableObject {
  readonly id: number;
  readonly db_id: number;
  readonly schema: string | null;
  readonly name: string;
  readonly display_name: string;
  readonly description: string | null;
  readonly entity_type: string | null;
  readonly visibility_type: string | null;
  readonly active: boolean;
  readonly initial_sync_status: string;
  readonly field_order: string;
  readonly created_at: string;
  readonly updated_at: string;
}

export interface FieldObject {
  readonly id: number;
  readonly table_id: number;
  readonly name: string;
  readonly display_name: string;
  readonly description: string | null;
  readonly database_type: string;
  readonly base_type: string;
  readonly effective_type: string;
  readonly semantic_type: string | null;
  readonly database_position: number;
  readonly position: number;
  readonly database_required: boolean;
  readonly database_is_auto_increment: boolean;
  readonly database_indexed: boolean;
  readonly active: boolean;
  readonly visibility_type: string;
  readonly fk_target_field_id: number | null;
  readonly parent_id: number | null;
  readonly nfc_path: unknown;
  readonly fingerprint: unknown;
  readonly last_analyzed: string | null;
  readonly has_field_values: string | null;
  readonly created_at: string;
  readonly updated_at: string;
}

/** Stored details as the API shows them: a stored password (any string, even "") reads as the mask. */
export function publicDetails(details: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const shown: Record<string, unknown> = { ...details };
  if (typeof shown.password === 'string') shown.password = MASKED_PASSWORD;
  else delete shown.password;
  return shown;
}

export function databaseObject(row: Selectable<DatabaseRow>): DatabaseObject {
  return {
    id: row.id,
    name: row.name,
    engine: row.engine,
    details: publicDetails(parseJson<Record<string, unknown>>(row.details, {})),
    is_attached_dwh: toBool(row.is_attached_dwh),
    is_full_sync: toBool(row.is_full_sync),
    is_on_demand: toBool(row.is_on_demand),
    initial_sync_status: row.initial_sync_status,
    metadata_sync_schedule: row.metadata_sync_schedule,
    cache_field_values_schedule: row.cache_field_values_schedule,
    timezone: row.timezone,
    dbms_version: parseJson<unknown>(row.dbms_version, null),
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/** The columns a Table object is built from (reads that only answer Table objects select just these). */
export const TABLE_OBJECT_COLUMNS = [
  'id',
  'db_id',
  'schema',
  'name',
  'display_name',
  'description',
  'entity_type',
  'visibility_type',
  'active',
  'initial_sync_status',
  'field_order',
  'created_at',
  'updated_at',
] as const;

export function tableObject(row: Pick<Selectable<TableRow>, (typeof TABLE_OBJECT_COLUMNS)[number]>): TableObject {
  return {
    id: row.id,
    db_id: row.db_id,
    schema: row.schema,
    name: row.name,
    display_name: row.display_name,
    description: row.description,
    entity_type: row.entity_type,
    visibility_type: row.visibility_type,
    active: toBool(row.active),
    initial_sync_status: row.initial_sync_status,
    field_order: row.field_order,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export function fieldObject(row: Selectable<FieldRow>): FieldObject {
  return {
    id: row.id,
    table_id: row.table_id,
    name: row.name,
    display_name: row.display_name,
    description: row.description,
    database_type: row.database_type,
    base_type: row.base_type,
    effective_type: row.effective_type,
    semantic_type: row.semantic_type,
    database_position: row.database_position,
    position: row.position,
    database_required: toBool(row.database_required),
    database_is_auto_increment: toBool(row.database_is_auto_increment),
    database_indexed: toBool(row.database_indexed),
    active: toBool(row.active),
    visibility_type: row.visibility_type,
    fk_target_field_id: row.fk_target_field_id,
    parent_id: row.parent_id,
    nfc_path: parseJson<unknown>(row.nfc_path, null),
    fingerprint: parseJson<unknown>(row.fingerprint, null),
    last_analyzed: row.last_analyzed,
    has_field_values: row.has_field_values,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/** Compares strings by Unicode code point (not UTF-16 unit), whatever the application database's collation. */
export function compareCodePoints(a: string, b: string): number {
  const left = a[Symbol.iterator]();
  const right = b[Symbol.iterator]();
  for (;;) {
    const x = left.next();
    const y = right.next();
    if (x.done || y.done) return x.done && y.done ? 0 : x.done ? -1 : 1;
    const diff = x.value.codePointAt(0)! - y.value.codePointAt(0)!;
    if (diff !== 0) return diff < 0 ? -1 : 1;
  }
}

/** Section 6.4: by name lower-cased with toLowerCase(), then id. */
export function compareDatabases(a: { name: string; id: number }, b: { name: string; id: number }): number {
  return compareCodePoints(a.name.toLowerCase(), b.name.toLowerCase()) || a.id - b.id;
}

type TableKey = { readonly schema: string | null; readonly name: string; readonly id: number };

/** Section 6.6's order (schema, null first; name; id) with the given string comparison. */
export function tableOrder(compareText: (a: string, b: string) => number): (a: TableKey, b: TableKey) => number {
  return (a, b) => {
    if (a.schema !== b.schema) {
      if (a.schema === null) return -1;
      if (b.schema === null) return 1;
      const bySchema = compareText(a.schema, b.schema);
      if (bySchema !== 0) return bySchema;
    }
    return compareText(a.name, b.name) || a.id - b.id;
  };
}

/** Section 6.6: by schema (null first), then name, then id, strings by code point. */
export const compareTables = tableOrder(compareCodePoints);

/** Section 6.6: by position, then id. */
export function compareFields(a: { position: number; id: number }, b: { position: number; id: number }): number {
  return a.position - b.position || a.id - b.id;
}
