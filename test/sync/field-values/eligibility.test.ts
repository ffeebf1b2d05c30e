// Eligibility for cached values (sync-engine.md section 6.1) and the choice of fields one run scans (6.2).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isEligible, planScan, type EligibilityFacts } from '../../../src/sync/field-values/eligibility.ts';

const FIELD: EligibilityFacts = {
  active: true,
  tableSynced: true,
  hasFieldValues: 'auto-list',
  visibilityType: 'normal',
  previewDisplay: true,
  baseType: 'type/Text',
};

describe('isEligible', () => {
  test('an active list or auto-list field of a synced table, shown, of a type that allows values', () => {
    assert.equal(isEligible(FIELD), true);
    assert.equal(isEligible({ ...FIELD, hasFieldValues: 'list' }), true);
    assert.equal(isEligible({ ...FIELD, baseType: 'type/Integer' }), true);
    assert.equal(isEligible({ ...FIELD, baseType: 'type/Boolean' }), true);
    assert.equal(isEligible({ ...FIELD, baseType: 'type/PostgresEnum' }), true);
    assert.equal(isEligible({ ...FIELD, baseType: 'type/Decimal' }), true, 'Decimal allows values (4.9)');
  });

  test('has_field_values must ask for a list', () => {
    for (const setting of [null, 'search', 'none']) {
      assert.equal(isEligible({ ...FIELD, hasFieldValues: setting }), false, String(setting));
    }
  });

  test('retired fields and fields of tables that are not synced are not eligible', () => {
    assert.equal(isEligible({ ...FIELD, active: false }), false);
    assert.equal(isEligible({ ...FIELD, tableSynced: false }), false);
  });

  test('retired, sensitive, hidden and details-only fields are not eligible', () => {
    for (const visibility of ['retired', 'sensitive', 'hidden', 'details-only']) {
      assert.equal(isEligible({ ...FIELD, visibilityType: visibility }), false, visibility);
    }
  });

  test('preview_display false is not eligible', () => {
    assert.equal(isEligible({ ...FIELD, previewDisplay: false }), false);
  });

  test('type/*, temporal, structured and collection types are not eligible', () => {
    const types = ['type/*', 'type/Date', 'type/DateTimeWithLocalTZ', 'type/Time', 'type/JSON', 'type/Array'];
    for (const baseType of types) assert.equal(isEligible({ ...FIELD, baseType }), false, baseType);
  });
});

describe('planScan', () => {
  const field = (fieldId: number, tableId: number, valuesUpdatedAt: string | null) => ({
    fieldId,
    tableId,
    valuesUpdatedAt,
  });

  test('groups by table in id order, fields in id order, none deferred under the cap', () => {
    const plan = planScan([field(5, 2, null), field(3, 1, null), field(4, 2, null), field(1, 1, null)], 10);
    assert.deepEqual(
      plan.tables.map((t) => [t.tableId, t.fields.map((f) => f.fieldId)]),
      [
        [1, [1, 3]],
        [2, [4, 5]],
      ],
    );
    assert.equal(plan.deferred, 0);
  });

  test('over the cap: fields without a values row first, then the oldest rows; the rest deferred', () => {
    const eligible = [
      field(1, 1, '2025-01-03T00:00:00.000Z'),
      field(2, 1, '2025-01-01T00:00:00.000Z'),
      field(3, 2, null),
      field(4, 2, '2025-01-02T00:00:00.000Z'),
      field(5, 3, null),
    ];
    const plan = planScan(eligible, 3);
    assert.deepEqual(
      plan.tables.map((t) => [t.tableId, t.fields.map((f) => f.fieldId)]),
      [
        [1, [2]],
        [2, [3]],
        [3, [5]],
      ],
    );
    assert.equal(plan.deferred, 2);
  });

  test('an empty list plans nothing', () => {
    assert.deepEqual(planScan([], 10), { tables: [], deferred: 0 });
  });
});
