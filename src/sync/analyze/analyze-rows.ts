// Catalog reads and writes of the analyze phase (sync-engine.md 5): bulk reads per chunk of tables, writes per table
// inside the caller's fenced transaction, rows re-read (and locked on PostgreSQL) before they are changed (2.2).
import type { Kysely, RawBuilder } from 'kysely';
import type { AppSchema } from '../../db/schema.ts';
import { parseJson, toBool } from '../../db/schema.ts';
import { parseUserSet } from '../../catalog/user-set.ts';
import { FINGERPRINT_VERSION, type Fingerprint } from './fingerprint.ts';

type Db = Kysely<AppSchema>;

/** The data-scanning switch (6.5), read again before every sample query. */
export async function readIsFullSync(db: Db, databaseId: number): Promise<boolean> {
  const row = await db
    .selectFrom('metabase_database')
    .select('is_full_sync')
    .where('id', '=', databaseId)
    .executeTakeFirst();
  return row !== undefined && toBool(row.is_full_sync);
}

export interface FingerprintCandidate {
  readonly id: number;
  readonly tableId: number;
  readonly tableSchema: string | null;
  readonly tableName: string;
  readonly name: string;
  readonly baseType: string;
  readonly effectiveType: string;
  readonly coercionStrategy: string | null;
  readonly semanticType: string | null;
}

/**
 * Fields of the given synced tables that need a fingerprint by the SQL-expressible rules of 5.1 (active, not a PK, not
 * retired or sensitive, version below the current one), in table id and position order; the caller applies the
 * base-type rule (4.9).
 */
export async function selectFingerprintCandidates(
  db: Db,
  tableIds: readonly number[],
): Promise<FingerprintCandidate[]> {
  if (tableIds.length === 0) return [];
  const rows = await db
    .selectFrom('metabase_field as f')
    .innerJoin('metabase_table as t', 't.id', 'f.table_id')
    .select([
      'f.id',
      'f.table_id',
      't.schema',
      't.name as table_name',
      'f.name',
      'f.base_type',
      'f.effective_type',
      'f.coercion_strategy',
      'f.semantic_type',
    ])
    .where('f.table_id', 'in', [...tableIds])
    .where('t.active', '=', true)
    .where('t.visibility_type', 'is', null)
    .where('f.active', '=', true)
    .where('f.parent_id', 'is', null)
    .where((eb) => eb.or([eb('f.semantic_type', 'is', null), eb('f.semantic_type', '<>', 'type/PK')]))
    .where('f.visibility_type', 'not in', ['retired', 'sensitive'])
    .where('f.fingerprint_version', '<', FINGERPRINT_VERSION)
    .orderBy('f.table_id')
    .orderBy('f.database_position')
    .orderBy('f.id')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    tableId: r.table_id,
    tableSchema: r.schema,
    tableName: r.table_name,
    name: r.name,
    baseType: r.base_type,
    effectiveType: r.effective_type,
    coercionStrategy: r.coercion_strategy,
    semanticType: r.semantic_type,
  }));
}

/** fingerprint, fingerprint_version = 5 and last_analyzed = NULL, which marks the field for classification (5.3). */
export async function saveFingerprint(
  trx: Db,
  fieldId: number,
  fingerprint: Fingerprint,
  now: RawBuilder<string>,
): Promise<void> {
  await trx
    .updateTable('metabase_field')
    .set({
      fingerprint: JSON.stringify(fingerprint),
      fingerprint_version: FINGERPRINT_VERSION,
      last_analyzed: null,
      updated_at: now,
    })
    .where('id', '=', fieldId)
    .execute();
}

export interface TableToAnalyze {
  readonly id: number;
  readonly schema: string | null;
  readonly name: string;
}

/** Tables among `tableIds` that have fields waiting for classification (version 5, last_analyzed NULL). */
export async function selectTablesToClassify(db: Db, tableIds: readonly number[]): Promise<TableToAnalyze[]> {
  if (tableIds.length === 0) return [];
  return db
    .selectFrom('metabase_table as t')
    .select(['t.id', 't.schema', 't.name'])
    .where('t.id', 'in', [...tableIds])
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('metabase_field as f')
          .select('f.id')
          .whereRef('f.table_id', '=', 't.id')
          .where('f.active', '=', true)
          .where('f.fingerprint_version', '=', FINGERPRINT_VERSION)
          .where('f.last_analyzed', 'is', null),
      ),
    )
    .orderBy('t.id')
    .execute();
}

export interface FieldToClassify {
  readonly id: number;
  readonly name: string;
  readonly baseType: string;
  readonly semanticType: string | null;
  readonly hasFieldValues: string | null;
  readonly previewDisplay: boolean;
  /** Null when the stored JSON cannot be read. */
  readonly fingerprint: Fingerprint | null;
  readonly fingerprintError: string | null;
  readonly userSet: ReadonlySet<string>;
}

/** One table's fields waiting for classification, locked on PostgreSQL. */
export async function selectFieldsToClassify(trx: Db, tableId: number, forUpdate: boolean): Promise<FieldToClassify[]> {
  const rows = await trx
    .selectFrom('metabase_field')
    .select([
      'id',
      'name',
      'base_type',
      'semantic_type',
      'has_field_values',
      'preview_display',
      'fingerprint',
      'user_set',
    ])
    .where('table_id', '=', tableId)
    .where('active', '=', true)
    .where('fingerprint_version', '=', FINGERPRINT_VERSION)
    .where('last_analyzed', 'is', null)
    .orderBy('id')
    .$if(forUpdate, (qb) => qb.forUpdate())
    .execute();
  return rows.map((r) => {
    let fingerprint: Fingerprint | null = null;
    let fingerprintError: string | null = null;
    try {
      fingerprint = parseJson<Fingerprint | null>(r.fingerprint, null);
    } catch (error) {
      fingerprintError = `unreadable fingerprint: ${error instanceof Error ? error.message : String(error)}`;
    }
    return {
      id: r.id,
      name: r.name,
      baseType: r.base_type,
      semanticType: r.semantic_type,
      hasFieldValues: r.has_field_values,
      previewDisplay: toBool(r.preview_display),
      fingerprint,
      fingerprintError,
      userSet: parseUserSet(r.user_set),
    };
  });
}

export interface ClassificationChanges {
  readonly semantic_type?: string | null;
  readonly has_field_values?: string | null;
  readonly preview_display?: boolean;
}

/** The classifiers' changes and last_analyzed = now, whether or not anything changed (5.4). */
export async function saveClassification(
  trx: Db,
  fieldId: number,
  changes: ClassificationChanges,
  now: RawBuilder<string>,
): Promise<void> {
  await trx
    .updateTable('metabase_field')
    .set({ ...changes, last_analyzed: now, updated_at: now })
    .where('id', '=', fieldId)
    .execute();
}

export interface TableToClassify {
  readonly id: number;
  readonly name: string;
  readonly entityType: string | null;
  readonly userSet: ReadonlySet<string>;
}

/** The given synced tables with their entity types, locked on PostgreSQL. */
export async function selectTablesForEntityTypes(
  trx: Db,
  tableIds: readonly number[],
  forUpdate: boolean,
): Promise<TableToClassify[]> {
  if (tableIds.length === 0) return [];
  const rows = await trx
    .selectFrom('metabase_table')
    .select(['id', 'name', 'entity_type', 'user_set'])
    .where('id', 'in', [...tableIds])
    .where('active', '=', true)
    .where('visibility_type', 'is', null)
    .orderBy('id')
    .$if(forUpdate, (qb) => qb.forUpdate())
    .execute();
  return rows.map((r) => ({ id: r.id, name: r.name, entityType: r.entity_type, userSet: parseUserSet(r.user_set) }));
}

export async function setEntityType(
  trx: Db,
  tableIds: readonly number[],
  entityType: string,
  now: RawBuilder<string>,
): Promise<void> {
  if (tableIds.length === 0) return;
  await trx
    .updateTable('metabase_table')
    .set({ entity_type: entityType, updated_at: now })
    .where('id', 'in', [...tableIds])
    .where('entity_type', 'is', null)
    .execute();
}
