import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mergePlans, normalizePlan, planCovers, planNewTables, sameNewTable } from '../../src/jobs/plan.ts';
import type { Plan } from '../../src/jobs/types.ts';

const events = { schema: 'public', name: 'events' };
const orders = { schema: 'public', name: 'orders' };
const audit = { schema: 'audit', name: 'log' };
const bare = { schema: null, name: 'zeta' };

describe('normalizePlan', () => {
  test('sorts ids ascending and removes duplicates', () => {
    assert.deepEqual(normalizePlan({ metadata: { tables: [9, 7, 9, 1] } }), { metadata: { tables: [1, 7, 9] } });
  });

  test('sorts numerically, not as text', () => {
    assert.deepEqual(normalizePlan({ analyze: { tables: [10, 9, 100] } }), { analyze: { tables: [9, 10, 100] } });
  });

  test('orders new tables by schema with null first, then by name, and removes duplicates', () => {
    const alpha = { schema: null, name: 'alpha' };
    const plan: Plan = { metadata: { new_tables: [orders, bare, events, audit, orders, alpha] } };
    assert.deepEqual(normalizePlan(plan), {
      metadata: { new_tables: [alpha, bare, audit, events, orders] },
    });
  });

  test('compares names by code unit, so case orders before lower case', () => {
    const plan: Plan = { metadata: { new_tables: [{ schema: 'a', name: 'b' }, { schema: 'a', name: 'B' }] } };
    assert.deepEqual(normalizePlan(plan).metadata?.new_tables, [
      { schema: 'a', name: 'B' },
      { schema: 'a', name: 'b' },
    ]);
  });

  test('leaves empty lists out but keeps the requested phase', () => {
    assert.deepEqual(normalizePlan({ metadata: { tables: [], new_tables: [] } }), { metadata: {} });
  });

  test('a database scope drops table ids but keeps new tables', () => {
    const plan = { metadata: { database: true, tables: [3], new_tables: [orders, events] } } as unknown as Plan;
    assert.deepEqual(normalizePlan(plan), { metadata: { database: true, new_tables: [events, orders] } });
    assert.deepEqual(normalizePlan({ metadata: { database: true, new_tables: [] } }), { metadata: { database: true } });
  });

  test('writes phases in their order and leaves absent phases out', () => {
    const plan: Plan = { field_values: { tables: [2] }, metadata: { database: true } };
    assert.deepEqual(Object.keys(normalizePlan(plan)), ['metadata', 'field_values']);
    assert.equal(JSON.stringify(normalizePlan(plan)), '{"metadata":{"database":true},"field_values":{"tables":[2]}}');
  });

  test('is idempotent', () => {
    const plan: Plan = { metadata: { tables: [5, 1] }, analyze: { database: true, new_tables: [events, bare] } };
    assert.deepEqual(normalizePlan(normalizePlan(plan)), normalizePlan(plan));
  });
});

describe('mergePlans', () => {
  test('the example of 8.3: notifies for tables 7 and 9 merge into one plan', () => {
    const seven: Plan = { metadata: { tables: [7] }, analyze: { tables: [7] }, field_values: { tables: [7] } };
    const nine: Plan = { metadata: { tables: [9] }, analyze: { tables: [9] }, field_values: { tables: [9] } };
    assert.deepEqual(mergePlans(seven, nine), {
      metadata: { tables: [7, 9] },
      analyze: { tables: [7, 9] },
      field_values: { tables: [7, 9] },
    });
  });

  test('two table scopes merge by the union of ids and of new tables', () => {
    const a: Plan = { metadata: { tables: [9, 3], new_tables: [orders] } };
    const b: Plan = { metadata: { tables: [3, 4], new_tables: [events, orders] } };
    assert.deepEqual(mergePlans(a, b), { metadata: { tables: [3, 4, 9], new_tables: [events, orders] } });
  });

  test('a database scope absorbs table ids of the same phase but keeps absorbed new tables', () => {
    const tables: Plan = { metadata: { tables: [7, 9], new_tables: [events] } };
    const database: Plan = { metadata: { database: true } };
    const expected = { metadata: { database: true, new_tables: [events] } };
    assert.deepEqual(mergePlans(tables, database), expected);
    assert.deepEqual(mergePlans(database, tables), expected);
  });

  test('two database scopes keep the new tables of both', () => {
    const a: Plan = { analyze: { database: true, new_tables: [orders] } };
    const b: Plan = { analyze: { database: true, new_tables: [bare] } };
    assert.deepEqual(mergePlans(a, b), { analyze: { database: true, new_tables: [bare, orders] } });
  });

  test('works per phase: a database scope in one phase does not absorb another phase', () => {
    const a: Plan = { metadata: { database: true } };
    const b: Plan = { metadata: { tables: [1] }, analyze: { tables: [1] } };
    assert.deepEqual(mergePlans(a, b), { metadata: { database: true }, analyze: { tables: [1] } });
  });

  test('a phase present in either plan is present in the result, normalized', () => {
    const a: Plan = { field_values: { tables: [2, 1, 2] } };
    const b: Plan = { metadata: {} };
    assert.deepEqual(mergePlans(a, b), { metadata: {}, field_values: { tables: [1, 2] } });
    assert.deepEqual(mergePlans({}, {}), {});
  });

  test('is commutative and associative on normalized results', () => {
    const a: Plan = { metadata: { tables: [3] }, analyze: { new_tables: [events] } };
    const b: Plan = { metadata: { database: true }, field_values: { tables: [8] } };
    const c: Plan = { analyze: { tables: [1], new_tables: [audit] }, field_values: { new_tables: [bare] } };
    assert.deepEqual(mergePlans(a, b), mergePlans(b, a));
    assert.deepEqual(mergePlans(mergePlans(a, b), c), mergePlans(a, mergePlans(b, c)));
  });
});

describe('planNewTables', () => {
  test('collects the new tables of every phase, sorted and unique', () => {
    const plan: Plan = {
      metadata: { database: true, new_tables: [orders] },
      analyze: { tables: [1], new_tables: [events, orders] },
      field_values: { new_tables: [bare] },
    };
    assert.deepEqual(planNewTables(plan), [bare, events, orders]);
    assert.deepEqual(planNewTables({ metadata: { database: true } }), []);
  });
});

describe('planCovers', () => {
  test('covers when every requested phase has a database scope in the running plan', () => {
    const running: Plan = { metadata: { database: true }, analyze: { database: true, new_tables: [events] } };
    assert.equal(planCovers(running, { metadata: { database: true } }), true);
    assert.equal(planCovers(running, { metadata: { database: true }, analyze: { database: true } }), true);
    assert.equal(planCovers(running, {}), true);
  });

  test('does not cover a phase the running plan lacks or scopes to tables', () => {
    assert.equal(planCovers({ metadata: { database: true } }, { field_values: { database: true } }), false);
    assert.equal(planCovers({ metadata: { tables: [1, 2] } }, { metadata: { database: true } }), false);
    assert.equal(planCovers({ metadata: { database: true } }, { metadata: { database: true }, analyze: {} }), false);
  });
});

describe('sameNewTable', () => {
  test('compares the schema as COALESCE(schema, ""), the name exactly', () => {
    assert.equal(sameNewTable({ schema: null, name: 't' }, { schema: '', name: 't' }), true);
    assert.equal(sameNewTable({ schema: 'public', name: 't' }, { schema: 'public', name: 'T' }), false);
    assert.equal(sameNewTable({ schema: 'public', name: 't' }, { schema: null, name: 't' }), false);
  });
});
