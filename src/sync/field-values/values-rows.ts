// Application-database reads and writes of the field-values phase (sync-engine.md sections 2.6 and 6): the candidate
// read, one field's facts and `full` values row inside its write transaction, and the writes of 6.3.
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { chunks } from '../../catalog/table-rows.ts';
import { parseUserSet } from '../../catalog/user-set.ts';
import { parseJson, toBool, type AppSchema } from '../../db/schema.ts';
import { LIST_SETTINGS, type EligibilityFacts, type ScanCandidate } from './eligibility.ts';
import type { StoredValues } from './write-rules.ts';

type Db = Kysely<AppSchema>;

/** A field with everything the phase needs to decide about it and to name it. */
export interface FieldFacts extends EligibilityFacts {
  readonly fieldId: number;
  readonly tableId: number;
  readonly name: string;
  readonly tableSchema: string | null;
  readonly tableName: string;
  readonly userSet: ReadonlySet<string>;
}

export interface ValuesCandidate extends FieldFacts, ScanCandidate {
  /** Whether the field has a `full` values row. */
  readonly hasValuesRow: boolean;
  /** database_indexed: a non-partial index leads with the column (a budgeted read may scan it loosely). */
  readonly indexed: boolean;
  /** The table's estimated_row_count (engine statistics stored by the metadata sync). */
  readonly tableEstimate: number | null;
}

export interface StoredValuesRow extends StoredValues {
  readonly id: number;
}

function selectFacts(db: Db) {
  return db
    .selectFrom('metabase_field')
    .innerJoin('metabase_table', 'metabase_table.id', 'metabase_field.table_id')
    .select([
      'metabase_field.id as field_id',
      'metabase_field.table_id',
      'metabase_field.name',
      'metabase_field.base_type',
      'metabase_field.active',
      'metabase_field.visibility_type',
      'metabase_field.preview_display',
      'metabase_field.has_field_values',
      'metabase_field.user_set',
      'metabase_table.schema as table_schema',
      'metabase_table.name as table_name',
      'metabase_table.active as table_active',
      'metabase_table.visibility_type as table_visibility',
    ]);
}

type FactsRow = {
  field_id: number;
  table_id: number;
  name: string;
  base_type: string;
  active: boolean | number;
  visibility_type: string;
  preview_display: boolean | number;
  has_field_values: string | null;
  user_set: string;
  table_schema: string | null;
  table_name: string;
  table_active: boolean | number;
  table_visibility: string | null;
};

function toFacts(row: FactsRow): FieldFacts {
  return {
    fieldId: row.field_id,
    tableId: row.table_id,
    name: row.name,
    tableSchema: row.table_schema,
    tableName: row.table_name,
    active: toBool(row.active),
    tableSynced: toBool(row.table_active) && row.table_visibility === null,
    hasFieldValues: row.has_field_values,
    visibilityType: row.visibility_type,
    previewDisplay: toBool(row.preview_display),
    baseType: row.base_type,
    userSet: parseUserSet(row.user_set),
  };
}

/**
 * The fields of the scope's tables (every table of the database for a database scope) that are set to a list or
 * have a values row: the eligible ones and the ones whose row clean-up may delete.
 */
export async function selectCandidates(
  db: Db,
  dbId: number,
  tableIds: readonly number[] | 'database',
): Promise<ValuesCandidate[]> {
  const read = (ids: readonly number[] | null) =>
    selectFacts(db)
      .leftJoin('metabase_fieldvalues', (join) =>
        join
          .onRef('metabase_fieldvalues.field_id', '=', 'metabase_field.id')
          .on('metabase_fieldvalues.type', '=', 'full')
          .on('metabase_fieldvalues.hash_key', 'is', null),
      )
      .select([
        'metabase_fieldvalues.id as values_id',
        'metabase_fieldvalues.updated_at as values_updated_at',
        'metabase_field.database_indexed',
        'metabase_table.estimated_row_count',
      ])
      .where('metabase_table.db_id', '=', dbId)
      .$if(ids !== null, (qb) => qb.where('metabase_table.id', 'in', [...ids!]))
      .where((eb) =>
        eb.or([
          eb('metabase_field.has_field_values', 'in', [...LIST_SETTINGS]),
          eb('metabase_fieldvalues.id', 'is not', null),
        ]),
      )
      .execute();
  if (tableIds === 'database') return (await read(null)).map(toCandidate);
  const rows: Awaited<ReturnType<typeof read>> = [];
  for (const chunk of chunks(tableIds, 1000)) rows.push(...(await read(chunk)));
  return rows.map(toCandidate);
}

type CandidateRow = FactsRow & {
  values_id: number | null;
  values_updated_at: string | null;
  database_indexed: boolean | number;
  estimated_row_count: number | string | null;
};

function toCandidate(row: CandidateRow): ValuesCandidate {
  return {
    ...toFacts(row),
    hasValuesRow: row.values_id !== null,
    valuesUpdatedAt: row.values_updated_at,
    indexed: toBool(row.database_indexed),
    tableEstimate: row.estimated_row_count === null ? null : Number(row.estimated_row_count),
  };
}

/** The given fields' facts, read (and on PostgreSQL locked) inside a write transaction. */
export async function lockFieldFacts(trx: Db, fieldIds: readonly number[], forUpdate: boolean): Promise<FieldFacts[]> {
  if (fieldIds.length === 0) return [];
  const rows = await selectFacts(trx)
    .where('metabase_field.id', 'in', [...fieldIds])
    .$if(forUpdate, (qb) => qb.forUpdate(['metabase_field']))
    .execute();
  return rows.map(toFacts);
}

/** The field's `full` values row, read (and on PostgreSQL locked) inside its write transaction. */
export async function lockValuesRow(
  trx: Db,
  fieldId: number,
  forUpdate: boolean,
): Promise<StoredValuesRow | null> {
  const row = await trx
    .selectFrom('metabase_fieldvalues')
    .select(['id', 'values', 'human_readable_values', 'has_more_values'])
    .where('field_id', '=', fieldId)
    .where('type', '=', 'full')
    .where('hash_key', 'is', null)
    .$if(forUpdate, (qb) => qb.forUpdate())
    .executeTakeFirst();
  if (!row) return null;
  return {
    id: row.id,
    values: parseJson<unknown[]>(row.values, []),
    humanReadableValues: parseJson<unknown[]>(row.human_readable_values, []),
    hasMoreValues: toBool(row.has_more_values),
  };
}

export interface ValuesWrite {
  readonly values: readonly unknown[];
  readonly humanReadableValues: readonly unknown[];
  readonly hasMoreValues: boolean;
}

export async function insertValues(
  trx: Db,
  fieldId: number,
  write: ValuesWrite,
  now: RawBuilder<string>,
): Promise<void> {
  await trx
    .insertInto('metabase_fieldvalues')
    .values({
      field_id: fieldId,
      values: JSON.stringify(write.values),
      human_readable_values: JSON.stringify(write.humanReadableValues),
      has_more_values: write.hasMoreValues,
      type: 'full',
      created_at: now,
      updated_at: now,
    })
    // A row written since the batch read (a user's POST /api/field/:id/values) wins; the next refresh updates it.
    .onConflict((oc) => oc.expression(sql`field_id, type, (COALESCE(hash_key, ''))`).doNothing())
    .execute();
}

export async function updateValues(trx: Db, id: number, write: ValuesWrite, now: RawBuilder<string>): Promise<void> {
  await trx
    .updateTable('metabase_fieldvalues')
    .set({
      values: JSON.stringify(write.values),
      human_readable_values: JSON.stringify(write.humanReadableValues),
      has_more_values: write.hasMoreValues,
      updated_at: now,
    })
    .where('id', '=', id)
    .execute();
}

/** Deletes the `full` values rows of the given fields; returns how many went. */
export async function deleteValuesRows(trx: Db, fieldIds: readonly number[]): Promise<number> {
  if (fieldIds.length === 0) return 0;
  const result = await trx
    .deleteFrom('metabase_fieldvalues')
    .where('field_id', 'in', [...fieldIds])
    .where('type', '=', 'full')
    .where('hash_key', 'is', null)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Auto-list demotion: the field falls back to a search widget. */
export async function clearHasFieldValues(trx: Db, fieldId: number, now: RawBuilder<string>): Promise<void> {
  await trx
    .updateTable('metabase_field')
    .set({ has_field_values: null, updated_at: now })
    .where('id', '=', fieldId)
    .execute();
}

/** The data-scanning switch (6.5), read again before every distinct-values query; false when the row is gone. */
export async function fullSyncEnabled(db: Db, dbId: number): Promise<boolean> {
  const row = await db
    .selectFrom('metabase_database')
    .select('is_full_sync')
    .where('id', '=', dbId)
    .executeTakeFirst();
  return row !== undefined && toBool(row.is_full_sync);
}
