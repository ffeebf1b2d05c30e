import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { humanize } from '../../src/catalog/humanize.ts';

describe('humanize (3.6.1)', () => {
  const examples: [string, string][] = [
    ['user_id', 'User ID'],
    ['num_toucans', 'Num Toucans'],
    ['CUSTOMER_NAME', 'Customer Name'],
    ['api-url', 'Api URL'],
    ['ip_address', 'IP Address'],
    ['order__items', 'Order Items'],
    ['createdAt', 'CreatedAt'],
    ['guid_Value', 'GUID Value'],
    ['2fa_code', '2fa Code'],
    ['___', '___'],
    ['order_items', 'Order Items'],
  ];
  for (const [name, expected] of examples) {
    test(`${name} → ${expected}`, () => assert.equal(humanize(name), expected));
  }

  test('whitespace runs split like underscores and acronyms ignore case', () => {
    assert.equal(humanize('  uuid \t Uid - url'), 'UUID UID URL');
  });

  test('an all-upper part with digits is title-cased after its first character', () => {
    assert.equal(humanize('SKU2_X'), 'Sku2 X');
  });
});
