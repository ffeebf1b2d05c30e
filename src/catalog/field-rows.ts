// Repository functions for metabase_field rows used by sync (db or transaction first): one SELECT per batch,
// multi-row INSERTs, updates by id. Nested fields do not exist in this version, so every query is parent_id IS NULL.
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { AppDbKind } from '../db/connect.ts';
import { toBool, type AppSchema } from '../db/schema.ts';
import type { FieldChanges, NewFieldValues, StoredField } from './fields.ts';
import type { FkChanges, FkField } from './foreign-keys.ts';
import { insertRows, updateRowsById } from './bulk-write.ts';
import { chunks } from './table-rows.ts';
import { parseUserSet } from './user-set.ts';

type Db = Kysely<AppSchema>;

/** Only whether a fingerprint exists: its JSON can be large and sync never reads it. */
const hasFingerprint = sql<boolean | number>`(fingerprint IS NOT NULL)`.as('has_fingerprint');

const STORED_FIELD_COLUMNS = [
  'id',
  'table_id',
  'name',
  'display_name',
  'description',
  'database_comment',
  'database_type',
  'base_type',
  'effective_type',
  'coercion_strategy',
  'semantic_type',
  'active',
  'visibility_type',
  'preview_display',
  'position',
  'database_position',
  'fingerprint_version',
  'last_analyzed',
  'has_field_values',
  'database_is_pk',
  'database_is_nullable',
  'database_required',
  'database_is_auto_increment',
  'database_is_generated',
  'database_default',
  'database_object_id',
  'user_set',
] as const;

/**
 * All fields (active and retired) of the given tables. Each row comes back packed as one JSON array: building a
 * 28-property object per row in better-sqlite3 costs about 3.5 times as much as parsing the array (416 ms against
 * 117 ms for 66,000 fields), and a whole-database sync reads every stored field. `forUpdate` locks the rows.
 */
export async function selectFieldsByTables(
  db: Db,
  dialect: AppDbKind,
  tableIds: readonly number[],
  forUpdate = dialect === 'postgres',
): Promise<StoredField[]> {
  if (tableIds.length === 0) return [];
  const columns = sql.join([...STORED_FIELD_COLUMNS.map((c) => sql.ref(c)), sql`fingerprint IS NOT NULL`]);
  const packed =
    dialect === 'postgres' ? sql<unknown>`json_build_array(${columns})` : sql<unknown>`json_array(${columns})`;
  const rows = await db
    .selectFrom('metabase_field')
    .select(packed.as('packed'))
    .where('table_id', 'in', [...tableIds])
    .where('parent_id', 'is', null)
    .$if(forUpdate, (qb) => qb.forUpdate())
    .execute();
  return rows.map(({ packed }) => unpackField((typeof packed === 'string' ? JSON.parse(packed) : packed) as unknown[]));
}

/** One literal per row (in the order of STORED_FIELD_COLUMNS), so that every row shares one object shape. */
function unpackField(v: readonly unknown[]): StoredField {
  return {
    id: v[0] as number,
    table_id: v[1] as number,
    name: v[2] as string,
    display_name: v[3] as string,
    description: v[4] as string | null,
    database_comment: v[5] as string | null,
    database_type: v[6] as string,
    base_type: v[7] as string,
    effective_type: v[8] as string,
    coercion_strategy: v[9] as string | null,
    semantic_type: v[10] as string | null,
    active: toBool(v[11] as boolean | number),
    visibility_type: v[12] as string,
    preview_display: toBool(v[13] as boolean | number),
    position: v[14] as number,
    database_position: v[15] as number,
    fingerprint_version: v[16] as number,
    last_analyzed: v[17] as string | null,
    has_field_values: v[18] as string | null,
    database_is_pk: toBool(v[19] as boolean | number),
    database_is_nullable: toBool(v[20] as boolean | number),
    database_required: toBool(v[21] as boolean | number),
    database_is_auto_increment: toBool(v[22] as boolean | number),
    database_is_generated: toBool(v[23] as boolean | number),
    database_default: v[24] as string | null,
    database_object_id: v[25] as string | null,
    user_set: parseUserSet(v[26] as string),
    has_fingerprint: toBool(v[27] as boolean | number),
  };
}

/** Multi-row inserts of at most 500 rows (fewer for wide rows). */
export async function insertFields(db: Db, kind: AppDbKind, rows: readonly NewFieldValues[]): Promise<void> {
  await insertRows(db, kind, 'metabase_field', rows);
}

/** Updates fields by id, each with its own changes, in as few statements as their shapes allow. */
export async function updateFields(
  db: Db,
  kind: AppDbKind,
  updates: readonly { readonly id: number; readonly changes: FieldChanges | FkChanges }[],
): Promise<void> {
  await updateRowsById(db, kind, 'metabase_field', updates);
}

export async function retireFields(db: Db, ids: readonly number[], now: RawBuilder<string>): Promise<void> {
  for (const chunk of chunks(ids, 1000)) {
    await db.updateTable('metabase_field').set({ active: false, updated_at: now }).where('id', 'in', chunk).execute();
  }
}

export async function setFieldsIndexed(
  db: Db,
  ids: readonly number[],
  indexed: boolean,
  now: RawBuilder<string>,
): Promise<void> {
  for (const chunk of chunks(ids, 1000)) {
    await db
      .updateTable('metabase_field')
      .set({ database_indexed: indexed, updated_at: now })
      .where('id', 'in', chunk)
      .execute();
  }
}

export async function deleteFieldValues(db: Db, fieldIds: readonly number[]): Promise<void> {
  for (const chunk of chunks(fieldIds, 1000)) {
    await db.deleteFrom('metabase_fieldvalues').where('field_id', 'in', chunk).execute();
  }
}

export interface FkFieldRow extends FkField {
  readonly table_id: number;
  readonly name: string;
  readonly active: boolean;
}

function toFkField(row: {
  id: number;
  table_id: number;
  name: string;
  active: boolean | number;
  fk_target_field_id: number | null;
  semantic_type: string | null;
  has_field_values: string | null;
  has_fingerprint: boolean | number;
  fingerprint_version: number;
  last_analyzed: string | null;
  user_set: string;
}): FkFieldRow {
  return {
    ...row,
    active: toBool(row.active),
    has_fingerprint: toBool(row.has_fingerprint),
    user_set: parseUserSet(row.user_set),
  };
}

const FK_FIELD_COLUMNS = [
  'id',
  'table_id',
  'name',
  'active',
  'fk_target_field_id',
  'semantic_type',
  'has_field_values',
  'fingerprint_version',
  'last_analyzed',
  'user_set',
] as const;

/**
 * The active fields of the given tables whose name equals one of `names`, exactly or ignoring case (SQL lower() may
 * be ASCII-only, so exact names are matched separately): the sources and targets of a batch of FK pairs.
 */
export async function selectFkFields(
  db: Db,
  tableIds: readonly number[],
  names: readonly string[],
  forUpdate: boolean,
): Promise<FkFieldRow[]> {
  if (tableIds.length === 0 || names.length === 0) return [];
  const exact = [...new Set(names)];
  const folded = [...new Set(names.map((n) => n.toLowerCase()))];
  const rows = await db
    .selectFrom('metabase_field')
    .select(FK_FIELD_COLUMNS)
    .select(hasFingerprint)
    .where('table_id', 'in', [...tableIds])
    .where('parent_id', 'is', null)
    .where('active', '=', true)
    .where((eb) => eb.or([eb('name', 'in', exact), eb(eb.fn('lower', ['name']), 'in', folded)]))
    .$if(forUpdate, (qb) => qb.forUpdate())
    .execute();
  return rows.map(toFkField);
}

/** Fields of the given tables (active or not) that point at an FK target: the candidates for clearing. */
export async function selectFieldsWithFkTarget(
  db: Db,
  tableIds: readonly number[],
  forUpdate: boolean,
): Promise<FkFieldRow[]> {
  if (tableIds.length === 0) return [];
  const rows = await db
    .selectFrom('metabase_field')
    .select(FK_FIELD_COLUMNS)
    .select(hasFingerprint)
    .where('table_id', 'in', [...tableIds])
    .where('parent_id', 'is', null)
    .where('fk_target_field_id', 'is not', null)
    .$if(forUpdate, (qb) => qb.forUpdate())
    .execute();
  return rows.map(toFkField);
}

/** The fields of the given tables that are indexed now or carry one of `names` (the first index columns). */
export async function selectIndexFields(
  db: Db,
  tableIds: readonly number[],
  names: readonly string[],
  forUpdate: boolean,
): Promise<{ id: number; table_id: number; name: string; database_indexed: boolean }[]> {
  if (tableIds.length === 0) return [];
  const unique = [...new Set(names)];
  const rows = await db
    .selectFrom('metabase_field')
    .select(['id', 'table_id', 'name', 'database_indexed'])
    .where('table_id', 'in', [...tableIds])
    .where('parent_id', 'is', null)
    .where((eb) => {
      const indexed = eb('database_indexed', '=', true);
      return unique.length === 0 ? indexed : eb.or([indexed, eb('name', 'in', unique)]);
    })
    .$if(forUpdate, (qb) => qb.forUpdate())
    .execute();
  return rows.map((r) => ({ ...r, database_indexed: toBool(r.database_indexed) }));
}
