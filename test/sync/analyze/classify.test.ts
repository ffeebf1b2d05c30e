import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  classifyField,
  isListEligible,
  semanticTypeByName,
  type ClassifiableField,
} from '../../../src/sync/analyze/classify-fields.ts';
import { entityTypeFor } from '../../../src/sync/analyze/classify-tables.ts';
import { fieldOutcome } from '../../../src/sync/analyze/classify-steps.ts';
import type { Fingerprint } from '../../../src/sync/analyze/fingerprint.ts';

function text(distinct: number, shares: Partial<Record<string, number>> = {}, nil = 0): Fingerprint {
  return {
    global: { 'distinct-count': distinct, 'nil%': nil },
    type: {
      'type/Text': {
        'percent-json': shares.json ?? 0,
        'percent-url': shares.url ?? 0,
        'percent-email': shares.email ?? 0,
        'percent-state': shares.state ?? 0,
        'average-length': shares.length ?? 8,
      },
    },
  };
}

function field(overrides: Partial<ClassifiableField>): ClassifiableField {
  return {
    name: 'x',
    baseType: 'type/Text',
    semanticType: null,
    hasFieldValues: null,
    previewDisplay: true,
    fingerprint: text(5000),
    userSet: new Set(),
    ...overrides,
  };
}

describe('name rules', () => {
  test('the first rule whose pattern and base type both match wins', () => {
    const cases: [string, string, string | null][] = [
      ['id', 'type/UUID', 'type/PK'],
      ['ID', 'type/Integer', 'type/PK'],
      ['pickup_lat', 'type/Decimal', 'type/Latitude'],
      ['lat', 'type/Text', null],
      ['longitude', 'type/Float', 'type/Longitude'],
      ['user_type', 'type/Integer', 'type/Category'],
      ['status', 'type/PostgresEnum', 'type/Category'],
      ['status', 'type/Float', null],
      ['active', 'type/Boolean', 'type/Category'],
      ['home_url', 'type/Text', 'type/URL'],
      ['country_code', 'type/Text', 'type/Country'],
      ['first_name', 'type/Text', 'type/Name'],
      ['firstname', 'type/Text', 'type/Name'],
      ['zipcode', 'type/Integer', 'type/ZipCode'],
      ['item_count', 'type/BigInteger', 'type/Quantity'],
      ['discount', 'type/Decimal', 'type/Discount'],
      ['joined_on', 'type/Date', 'type/JoinDate'],
      ['created_at', 'type/DateTimeWithLocalTZ', 'type/CreationTimestamp'],
      ['start_time', 'type/Time', 'type/CreationTime'],
      ['cancelled_at', 'type/DateTime', 'type/CancelationTimestamp'],
      ['deleted_on', 'type/Date', 'type/DeletionDate'],
      ['updated_at', 'type/DateTime', 'type/UpdatedTimestamp'],
      ['created_at', 'type/Text', null],
      ['traffic_source', 'type/Text', 'type/Source'],
      ['tax_rate', 'type/Float', 'type/Share'],
      ['created_by', 'type/Integer', 'type/Author'],
      ['rating', 'type/Integer', 'type/Score'],
      ['description', 'type/Text', 'type/Description'],
      ['birthday', 'type/Date', 'type/Birthdate'],
      ['email', 'type/Text', null],
    ];
    for (const [name, baseType, expected] of cases) {
      assert.equal(semanticTypeByName(name, baseType), expected, `${name} ${baseType}`);
    }
  });
});

describe('classifyField', () => {
  test('an e-mail column becomes type/Email even after the category rule set type/Category in the same run', () => {
    const result = classifyField(field({ name: 'contact', fingerprint: text(12, { email: 1 }) }));
    assert.equal(result.semanticType, 'type/Email');
    assert.equal(result.hasFieldValues, 'auto-list');
  });

  test('a low-cardinality text column is a category with an auto-list', () => {
    const result = classifyField(field({ name: 'tier', fingerprint: text(3) }));
    assert.deepEqual(result, { semanticType: 'type/Category', hasFieldValues: 'auto-list', previewDisplay: true, failures: [] });
  });

  test('thresholds: 30 distinct is a category, 31 is not; 1,000 is listed, 1,001 is not', () => {
    assert.equal(classifyField(field({ fingerprint: text(30) })).semanticType, 'type/Category');
    assert.equal(classifyField(field({ fingerprint: text(31) })).semanticType, null);
    assert.equal(classifyField(field({ fingerprint: text(1000) })).hasFieldValues, 'auto-list');
    assert.equal(classifyField(field({ fingerprint: text(1001) })).hasFieldValues, null);
  });

  test('an all-null column is no category unless Boolean', () => {
    assert.equal(classifyField(field({ fingerprint: text(0, {}, 1) })).semanticType, null);
    const boolean = { global: { 'distinct-count': 0, 'nil%': 1 } };
    assert.equal(classifyField(field({ baseType: 'type/Boolean', fingerprint: boolean })).semanticType, 'type/Category');
  });

  test('long free text is hidden from previews (and so from lists)', () => {
    const result = classifyField(field({ name: 'body', fingerprint: text(400, { length: 50.5 }) }));
    assert.deepEqual(result, { semanticType: null, hasFieldValues: 'auto-list', previewDisplay: false, failures: [] });
    assert.equal(classifyField(field({ fingerprint: text(400, { length: 50 }) })).previewDisplay, true);
  });

  test('floats, temporals, type/* and keys are not list eligible', () => {
    assert.equal(isListEligible('type/Decimal', null), false);
    assert.equal(isListEligible('type/DateTime', null), false);
    assert.equal(isListEligible('type/*', null), false);
    assert.equal(isListEligible('type/Integer', 'type/FK'), false);
    assert.equal(isListEligible('type/UUID', null), true);
    const number = { global: { 'distinct-count': 3, 'nil%': 0 } };
    assert.deepEqual(classifyField(field({ name: 'price', baseType: 'type/Decimal', fingerprint: number })), {
      semanticType: null,
      hasFieldValues: null,
      previewDisplay: true,
      failures: [],
    });
  });

  test('text shares: the first threshold met wins, state at 70%', () => {
    assert.equal(classifyField(field({ fingerprint: text(5000, { json: 0.95, url: 1 }) })).semanticType, 'type/SerializedJSON');
    assert.equal(classifyField(field({ fingerprint: text(5000, { url: 0.96 }) })).semanticType, 'type/URL');
    assert.equal(classifyField(field({ fingerprint: text(5000, { email: 0.94 }) })).semanticType, null);
    assert.equal(classifyField(field({ fingerprint: text(5000, { state: 0.7 }) })).semanticType, 'type/State');
  });

  test('guards: user-set and pre-existing semantic types stay; PK and FK are never replaced', () => {
    const userSet = new Set(['semantic_type', 'has_field_values', 'preview_display']);
    const user = classifyField(field({ semanticType: 'type/Name', userSet, fingerprint: text(3, { email: 1, length: 80 }) }));
    assert.deepEqual(user, { semanticType: 'type/Name', hasFieldValues: null, previewDisplay: true, failures: [] });
    const hinted = classifyField(field({ semanticType: 'type/SerializedJSON', fingerprint: text(3, { email: 1, length: 80 }) }));
    assert.equal(hinted.semanticType, 'type/SerializedJSON');
    assert.equal(hinted.previewDisplay, false);
    assert.equal(classifyField(field({ name: 'id', fingerprint: text(3, { email: 1 }) })).semanticType, 'type/PK');
    assert.equal(classifyField(field({ semanticType: 'type/FK', fingerprint: text(3, { url: 1 }) })).semanticType, 'type/FK');
    const userNull = classifyField(field({ userSet: new Set(['semantic_type']), fingerprint: text(3) }));
    assert.equal(userNull.semanticType, null, 'a deliberate NULL is a user choice');
  });

  test('a failing classifier is recorded and the others still run', () => {
    const broken = { global: { 'distinct-count': 3, 'nil%': 0 }, type: { 'type/Text': null } } as unknown as Fingerprint;
    const result = classifyField(field({ name: 'city', fingerprint: broken }));
    assert.equal(result.semanticType, 'type/City');
    assert.equal(result.hasFieldValues, 'auto-list');
    assert.deepEqual(result.failures.map((f) => f.classifier), ['text-shares']);
  });

  test('fieldOutcome lists only the columns that change', () => {
    const stored = { id: 1, fingerprintError: null, ...field({ name: 'tier', fingerprint: text(3) }) };
    assert.deepEqual(fieldOutcome(stored), {
      changes: { semantic_type: 'type/Category', has_field_values: 'auto-list' },
      failures: [],
    });
    const unreadable = { ...stored, fingerprint: null, fingerprintError: 'unreadable fingerprint: x' };
    assert.deepEqual(fieldOutcome(unreadable), { changes: {}, failures: ['unreadable fingerprint: x'] });
  });
});

describe('table classification', () => {
  test('names that start or end with a word (plural s allowed), first rule wins, generic otherwise', () => {
    const cases: [string, string][] = [
      ['orders', 'entity/TransactionTable'],
      ['order_items', 'entity/TransactionTable'],
      ['daily_sales', 'entity/TransactionTable'],
      ['Products', 'entity/ProductTable'],
      ['users', 'entity/UserTable'],
      ['people', 'entity/UserTable'],
      ['account_events', 'entity/UserTable'],
      ['checkins', 'entity/EventTable'],
      ['audit_log', 'entity/EventTable'],
      ['subscriptions', 'entity/SubscriptionTable'],
      ['companies', 'entity/CompanyTable'],
      ['reviews', 'entity/GenericTable'],
      ['myproductlist', 'entity/GenericTable'],
    ];
    for (const [name, expected] of cases) assert.equal(entityTypeFor(name), expected, name);
  });
});
