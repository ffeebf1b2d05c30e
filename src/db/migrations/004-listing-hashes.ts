// Listing hashes (issue 11 item 1): metabase_table.fields_hash, fks_hash and indexes_hash are hashes of what
// sync-fields, sync-fks and sync-indexes last reconciled for the table (src/catalog/listing-hashes.ts). A table whose
// listing hashes the same is skipped whole, without reading its stored rows. A hash is only valid while the stored
// rows are what that reconciliation left: triggers clear it whenever any writer (a user's edit through the curation
// routes, analysis, anything) changes a field column whose stored value the reconciliation of an unchanged listing
// could still act on. Each step writes its own changes first and the new hash last, in the same transaction.
// indexes_hash needs no trigger: database_indexed is written by sync-indexes only, and the hash covers the fields
// hash (a created, renamed or reactivated field changes it).
import { sql, type Kysely } from 'kysely';
import type { AppDbKind } from '../connect.ts';

/** Columns compared or rewritten by diffField (src/catalog/fields.ts) for a listing identical to the last one. */
const FIELDS_WATCHED = [
  'table_id',
  'parent_id',
  'name',
  'active',
  'user_set',
  'base_type',
  'effective_type',
  'coercion_strategy',
  'description',
  'position',
  'database_type',
  'database_comment',
  'database_position',
  'database_is_pk',
  'database_is_nullable',
  'database_required',
  'database_is_auto_increment',
  'database_is_generated',
  'database_default',
  'database_object_id',
];

/** Columns compared or rewritten by markField and clearField (src/catalog/foreign-keys.ts). */
const FKS_WATCHED = ['table_id', 'parent_id', 'name', 'active', 'user_set', 'fk_target_field_id', 'semantic_type', 'has_field_values'];

function changed(kind: AppDbKind, watched: readonly string[], extra: readonly string[]): string {
  const differs = kind === 'sqlite' ? 'IS NOT' : 'IS DISTINCT FROM';
  return [...watched.map((c) => `OLD.${c} ${differs} NEW.${c}`), ...extra].join(' OR ');
}

const clear = (column: string) => `UPDATE metabase_table SET ${column} = NULL
  WHERE id IN (OLD.table_id, NEW.table_id) AND ${column} IS NOT NULL`;

/** A trigger that clears `column` of a field's table when one of `watched` changes (or one of `extra` holds). */
function clearingTrigger(kind: AppDbKind, column: string, watched: readonly string[], extra: readonly string[] = []): string[] {
  const name = `metabase_field_clears_${column}`;
  if (kind === 'sqlite') {
    return [
      `CREATE TRIGGER ${name} AFTER UPDATE ON metabase_field FOR EACH ROW
        WHEN ${changed(kind, watched, extra)}
        BEGIN ${clear(column)}; END`,
    ];
  }
  return [
    `CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN ${clear(column)}; RETURN NULL; END $$`,
    `CREATE TRIGGER ${name} AFTER UPDATE ON metabase_field FOR EACH ROW
        WHEN (${changed(kind, watched, extra)})
        EXECUTE FUNCTION ${name}()`,
  ];
}

function statements(kind: AppDbKind): string[] {
  return [
    `ALTER TABLE metabase_table ADD COLUMN fields_hash text`,
    `ALTER TABLE metabase_table ADD COLUMN fks_hash text`,
    `ALTER TABLE metabase_table ADD COLUMN indexes_hash text`,
    // A semantic type set back to NULL: a primary key's type/PK is then written again (3.3.6).
    ...clearingTrigger(kind, 'fields_hash', FIELDS_WATCHED, ['(NEW.semantic_type IS NULL AND OLD.semantic_type IS NOT NULL)']),
    ...clearingTrigger(kind, 'fks_hash', FKS_WATCHED),
    // A notify names a table without its schema: found through this index instead of every table of the database.
    `CREATE INDEX metabase_table_db_name ON metabase_table (db_id, name)`,
  ];
}

export function listingHashesMigration(kind: AppDbKind) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      for (const statement of statements(kind)) await sql.raw(statement).execute(db);
    },
  };
}
