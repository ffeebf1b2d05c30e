import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  diffField,
  matchFields,
  newFieldValues,
  normalizeDefault,
  type StoredField,
} from '../../src/catalog/fields.ts';
import { fieldMetadata } from '../support/field-metadata.ts';

const rules = { positionFollowsDatabase: true, cruftColumnPatterns: [] };

function stored(overrides: Partial<StoredField> = {}): StoredField {
  return {
    id: 41,
    table_id: 7,
    name: 'status',
    display_name: 'Status',
    description: null,
    database_comment: null,
    database_type: 'varchar',
    base_type: 'type/Text',
    effective_type: 'type/Text',
    coercion_strategy: null,
    semantic_type: null,
    active: true,
    visibility_type: 'normal',
    preview_display: true,
    position: 2,
    database_position: 2,
    has_fingerprint: true,
    fingerprint_version: 5,
    last_analyzed: '2025-11-26T10:00:00.000Z',
    has_field_values: null,
    database_is_pk: false,
    database_is_nullable: true,
    database_required: false,
    database_is_auto_increment: false,
    database_is_generated: false,
    database_default: null,
    database_object_id: '3',
    user_set: new Set(),
    ...overrides,
  };
}

const reported = fieldMetadata;

describe('matchFields (3.3.2)', () => {
  const byName = (names: string[]) =>
    names.map((name, i) => stored({ id: 100 + i, name, database_object_id: String(i + 1) }));

  test('exact names first: "Id" and "id" stay apart', () => {
    const result = matchFields([reported({ name: 'Id' }), reported({ name: 'id' })], byName(['id', 'Id']), true);
    assert.deepEqual(result.matched.map((m) => [m.reported.name, m.stored.name]), [['Id', 'Id'], ['id', 'id']]);
  });

  test('attnum matching carries a rename, only when enabled', () => {
    const storedFields = byName(['id', 'created_at']);
    const fields = [reported({ name: 'id', objectId: '1' }), reported({ name: 'placed_at', objectId: '2' })];
    const on = matchFields(fields, storedFields, true);
    assert.deepEqual(on.matched.map((m) => [m.reported.name, m.stored.id]), [['id', 100], ['placed_at', 101]]);
    assert.deepEqual(on.retired, []);
    const off = matchFields(fields, storedFields, false);
    assert.deepEqual(off.created.map((f) => f.name), ['placed_at']);
    assert.deepEqual(off.retired.map((f) => f.name), ['created_at']);
  });

  test('attnum matching ignores retired fields', () => {
    const storedFields = [stored({ id: 1, name: 'old', database_object_id: '2', active: false })];
    const result = matchFields([reported({ name: 'new', objectId: '2' })], storedFields, true);
    assert.equal(result.created.length, 1);
    assert.equal(result.retired.length, 0);
  });

  test('case-insensitive matching only when unambiguous', () => {
    const one = matchFields([reported({ name: 'STATUS', objectId: null })], byName(['status']), false);
    assert.equal(one.matched.length, 1);
    const two = matchFields([reported({ name: 'STATUS', objectId: null })], byName(['status', 'Status']), false);
    assert.equal(two.matched.length, 0);
    assert.equal(two.created.length, 1);
    assert.equal(two.retired.length, 2);
  });
});

describe('newFieldValues (3.3.3)', () => {
  test('PK first, then the driver hint', () => {
    const json = { semanticHint: 'type/SerializedJSON' };
    assert.equal(newFieldValues(7, reported({ ...json, isPk: true }), rules).semantic_type, 'type/PK');
    assert.equal(newFieldValues(7, reported(json), rules).semantic_type, 'type/SerializedJSON');
  });
  test('cruft columns are details-only without preview; "NULL" defaults are NULL', () => {
    const crufty = { ...rules, cruftColumnPatterns: [/^etl_/] };
    const values = newFieldValues(7, reported({ name: 'etl_batch', default: 'NULL' }), crufty);
    assert.equal(values.visibility_type, 'details-only');
    assert.equal(values.preview_display, false);
    assert.equal(values.database_default, null);
    assert.equal(normalizeDefault('null'), null);
    assert.equal(normalizeDefault("'NULL'::text"), "'NULL'::text");
  });
});

describe('diffField (3.3.4–3.3.7)', () => {
  test('an unchanged column writes nothing', () => {
    assert.deepEqual(diffField(stored(), reported(), rules).changes, {});
  });

  test('PK flag set: semantic type/PK when NULL and not user-set', () => {
    assert.equal(diffField(stored(), reported({ isPk: true }), rules).changes.semantic_type, 'type/PK');
    const userSet = stored({ user_set: new Set(['semantic_type']) });
    assert.equal(diffField(userSet, reported({ isPk: true }), rules).changes.semantic_type, undefined);
  });

  test('PK flag dropped: type/PK and the analysis are released', () => {
    const diff = diffField(stored({ database_is_pk: true, semantic_type: 'type/PK' }), reported(), rules);
    assert.deepEqual(diff.changes, {
      semantic_type: null,
      fingerprint: null,
      fingerprint_version: 0,
      last_analyzed: null,
      database_is_pk: false,
    });
  });

  test('a type/PK that was not from the flag is left alone', () => {
    assert.deepEqual(diffField(stored({ semantic_type: 'type/PK' }), reported(), rules).changes, {});
  });

  test('base-type change: analysis reset, auto-list cleared, values deleted, user overrides reset', () => {
    const before = stored({
      semantic_type: 'type/Category',
      has_field_values: 'auto-list',
      effective_type: 'type/DateTime',
      coercion_strategy: 'Coercion/ISO8601->DateTime',
      user_set: new Set(['coercion_strategy', 'description', 'effective_type']),
    });
    const diff = diffField(before, reported({ databaseType: 'order_status', baseType: 'type/PostgresEnum' }), rules);
    assert.equal(diff.typeChanged, true);
    assert.equal(diff.userOverridesReset, true);
    assert.equal(diff.deleteFieldValues, true);
    assert.deepEqual(diff.changes, {
      database_type: 'order_status',
      base_type: 'type/PostgresEnum',
      effective_type: 'type/PostgresEnum',
      coercion_strategy: null,
      user_set: '["description"]',
      semantic_type: null,
      fingerprint: null,
      fingerprint_version: 0,
      last_analyzed: null,
      has_field_values: null,
    });
  });

  test('base-type change keeps a user-set semantic type and a user-set list', () => {
    const before = stored({
      semantic_type: 'type/Email',
      has_field_values: 'auto-list',
      user_set: new Set(['has_field_values', 'semantic_type']),
    });
    const diff = diffField(before, reported({ databaseType: 'citext', baseType: 'type/UUID' }), rules);
    assert.equal(diff.changes.semantic_type, undefined);
    assert.equal(diff.changes.has_field_values, undefined);
    assert.equal(diff.deleteFieldValues, false);
    assert.equal(diff.userOverridesReset, false);
  });

  test('base-type change applies the creation rule again (hint, PK)', () => {
    const jsonb = reported({ databaseType: 'jsonb', baseType: 'type/JSON', semanticHint: 'type/SerializedJSON' });
    const toJson = diffField(stored({ semantic_type: 'type/Category' }), jsonb, rules);
    assert.equal(toJson.changes.semantic_type, 'type/SerializedJSON');
    const pk = stored({ database_is_pk: true, semantic_type: 'type/PK', base_type: 'type/Integer' });
    const toPk = diffField(pk, reported({ isPk: true, baseType: 'type/BigInteger' }), rules);
    assert.equal(toPk.changes.semantic_type, undefined);
  });

  test('database_type alone changes without a base-type change', () => {
    const diff = diffField(stored(), reported({ databaseType: 'text' }), rules);
    assert.equal(diff.typeChanged, false);
    assert.deepEqual(diff.changes, { database_type: 'text' });
  });

  test('rename: display name re-humanized, name-derived semantic type cleared, fingerprint kept', () => {
    const before = stored({ name: 'created_at', display_name: 'Created At', semantic_type: 'type/CreationTimestamp' });
    const diff = diffField(before, reported({ name: 'placed_at' }), rules);
    assert.equal(diff.renamed, true);
    assert.deepEqual(diff.changes, {
      name: 'placed_at',
      display_name: 'Placed At',
      semantic_type: null,
      last_analyzed: null,
    });
  });

  test('rename keeps PK, FK and user-set semantic types and a user-set display name', () => {
    for (const semantic of ['type/PK', 'type/FK']) {
      const diff = diffField(stored({ name: 'a', semantic_type: semantic }), reported({ name: 'b' }), rules);
      assert.equal(diff.changes.semantic_type, undefined);
      assert.equal(diff.changes.last_analyzed, undefined);
    }
    const userSet = stored({
      name: 'a',
      display_name: 'Mine',
      semantic_type: 'type/Email',
      user_set: new Set(['display_name', 'semantic_type']),
    });
    assert.deepEqual(diffField(userSet, reported({ name: 'b' }), rules).changes, { name: 'b' });
  });

  test('description follows the comment unless user-set', () => {
    assert.deepEqual(diffField(stored(), reported({ comment: 'State' }), rules).changes, {
      database_comment: 'State',
      description: 'State',
    });
    const userSet = stored({ description: 'Lifecycle state', user_set: new Set(['description']) });
    assert.deepEqual(diffField(userSet, reported({ comment: 'State' }), rules).changes, { database_comment: 'State' });
  });

  test('position follows database_position only for database field order', () => {
    const moved = reported({ position: 4 });
    assert.deepEqual(diffField(stored(), moved, rules).changes, { database_position: 4, position: 4 });
    const custom = { ...rules, positionFollowsDatabase: false };
    assert.deepEqual(diffField(stored(), moved, custom).changes, { database_position: 4 });
  });

  test('reactivation and database facts', () => {
    const facts = reported({ isNullable: false, isRequired: true, default: 'null' });
    const diff = diffField(stored({ active: false }), facts, rules);
    assert.equal(diff.reactivated, true);
    assert.deepEqual(diff.changes, { active: true, database_is_nullable: false, database_required: true });
  });

  test('effective_type follows base_type unless user-set with a coercion', () => {
    const drifted = stored({ effective_type: 'type/Integer' });
    assert.deepEqual(diffField(drifted, reported(), rules).changes, { effective_type: 'type/Text' });
    const coerced = stored({
      effective_type: 'type/DateTime',
      coercion_strategy: 'Coercion/ISO8601->DateTime',
      user_set: new Set(['coercion_strategy', 'effective_type']),
    });
    assert.deepEqual(diffField(coerced, reported(), rules).changes, {});
  });

  test('cruft column patterns hide a normal field on update, never un-hide', () => {
    const crufty = { ...rules, cruftColumnPatterns: [/^status$/] };
    const hidden = { visibility_type: 'details-only', preview_display: false };
    assert.deepEqual(diffField(stored(), reported(), crufty).changes, hidden);
    assert.deepEqual(diffField(stored({ visibility_type: 'sensitive' }), reported(), crufty).changes, {});
    assert.deepEqual(diffField(stored({ user_set: new Set(['visibility_type']) }), reported(), crufty).changes, {});
  });
});
