// Listing hashes (migration 004): what sync-fields, sync-fks and sync-indexes compare before reading a table's
// stored rows. Each covers everything its step's reconciliation reads besides the stored rows that the triggers of
// migration 004 watch, so that an equal hash means: the same reconciliation as last time, whose writes are stored.
import { createHash } from 'node:crypto';
import type { FieldMetadata } from '../drivers/driver.ts';

/** Every property of FieldMetadata but the table's identity (a rename of the table does not touch its fields). */
export const HASHED_FIELD_KEYS = [
  'name',
  'databaseType',
  'baseType',
  'semanticHint',
  'position',
  'isNullable',
  'isPk',
  'isAutoIncrement',
  'isGenerated',
  'isRequired',
  'default',
  'comment',
  'objectId',
] as const satisfies readonly Exclude<keyof FieldMetadata, 'tableSchema' | 'tableName'>[];

/** Compile-time check that the list above names every property: a new one must be hashed too. */
type Unhashed = Exclude<Exclude<keyof FieldMetadata, 'tableSchema' | 'tableName'>, (typeof HASHED_FIELD_KEYS)[number]>;
const everyKeyHashed: [Unhashed] extends [never] ? true : Unhashed = true;
void everyKeyHashed;

export interface HashedRules {
  /** The table's field_order (position follows database_position when it is 'database'). */
  readonly fieldOrder: string;
  /** Whether the fields are matched by their stable column id too (3.3.2). */
  readonly byObjectId: boolean;
}

/** Version of what is hashed: a change of the rules or of this list gives every table a new hash. */
const VERSION = 'v1';

function sha1(text: string): string {
  return createHash('sha1').update(text).digest('base64');
}

/**
 * sync-indexes: the table's index JSON (what `database_indexes` holds) and its fields hash after sync-fields, which
 * changes whenever a field is created, renamed or reactivated (the fields `database_indexed` is decided for).
 */
export function indexesHash(json: string, fieldsHash: string): string {
  return sha1(`${VERSION}\u0001${part(json)}${part(fieldsHash)}`);
}

/**
 * sync-fks: the source table's constraints (what `database_foreign_keys` holds), its fields hash, and the id and
 * fields hash of each target table (the target fields' ids are resolved among them).
 */
export function foreignKeysHash(
  json: string,
  fieldsHash: string,
  targets: readonly { readonly id: number; readonly fieldsHash: string }[],
): string {
  let text = `${VERSION}\u0001${part(json)}${part(fieldsHash)}`;
  for (const target of targets) text += `\u0002${part(target.id)}${part(target.fieldsHash)}`;
  return sha1(text);
}

/** A value's text that cannot be mistaken for another value's: null, booleans and numbers are tagged. */
function part(value: string | number | boolean | null): string {
  if (value === null) return '\u0000n';
  if (typeof value === 'string') return `s${value.length}:${value}`;
  return typeof value === 'number' ? `d${value}` : value ? 't' : 'f';
}

/** The hashed values of one column, in the order of HASHED_FIELD_KEYS (a literal array: built for every column). */
export function hashedValues(f: FieldMetadata): unknown[] {
  return [
    f.name,
    f.databaseType,
    f.baseType,
    f.semanticHint,
    f.position,
    f.isNullable,
    f.isPk,
    f.isAutoIncrement,
    f.isGenerated,
    f.isRequired,
    f.default,
    f.comment,
    f.objectId,
  ];
}

export function fieldsListingHash(fields: readonly FieldMetadata[], rules: HashedRules): string {
  // JSON is an unambiguous encoding of the values (strings quoted and escaped, null, numbers and booleans apart).
  const values: unknown[] = [VERSION, rules.fieldOrder, rules.byObjectId];
  for (const field of fields) values.push(hashedValues(field));
  return sha1(JSON.stringify(values));
}

/**
 * The fields hash of a table the driver digests (driver.ts FieldDigest): its digest in place of its listing. Tagged,
 * so that it never equals a listing hash; the driver's mapping of catalog rows to fields is part of VERSION.
 */
export function fieldsDigestHash(engine: string, digest: { fields: number; digest: string }, rules: HashedRules): string {
  return sha1(JSON.stringify([VERSION, 'digest', engine, digest.fields, digest.digest, rules.fieldOrder, rules.byObjectId]));
}
