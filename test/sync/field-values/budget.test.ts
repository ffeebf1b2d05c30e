// Field values with a cost budget (issue 11) against real PostgreSQL and MariaDB warehouses, with a budget of 1,000
// rows over a 20,000-row table: an indexed column is read exactly by a loose index scan (a rare value a bounded read
// would miss is there), other columns by a bounded read stored with has_more_values = true, never demoted, counted as
// `budgeted`; a 500-row table keeps the exact query. MB_SYNC_FIELD_VALUES_ROW_BUDGET is validated in config.ts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../../src/config.ts';
import { createMysqlTestDatabase, dropMysqlDatabase, execMysql } from '../../support/mariadb.ts';
import { createTestDatabase, execSql } from '../../support/postgres.ts';
import { createHarness, type Harness } from '../support.ts';
import { fieldId, runValuesPhase, setFieldValues, valuesOf } from './support.ts';

const BUDGET = { MB_SYNC_FIELD_VALUES_ROW_BUDGET: '1000' };
const RARE = 999;
const LIST_FIELDS = ['code', 'status', 'serial'];

let h: Harness;
before(async () => {
  h = await createHarness();
});
after(async () => {
  await h.close();
});

/** big: 20,000 rows, `code` indexed (50 values and one rare), `status` 7 values, `serial` 20,000; small: 500 rows. */
function tables(series: (n: number) => string, indexed: string): string[] {
  const create = (name: string) => `CREATE TABLE ${name} (id integer PRIMARY KEY, code integer, status varchar(20),
    serial integer)`;
  const fill = (name: string, n: number) => `INSERT INTO ${name} (id, code, status, serial)
    SELECT i, CASE WHEN i = ${n} THEN ${RARE} ELSE i % 50 END, CONCAT('s', i % 7), i FROM ${series(n)}`;
  return [create('big'), create('small'), fill('big', 20_000), fill('small', 500), indexed];
}

async function check(dbId: number): Promise<void> {
  const big = (await h.table(dbId, 'big')).id;
  const small = (await h.table(dbId, 'small')).id;
  await setFieldValues(h, big, LIST_FIELDS, 'auto-list');
  await setFieldValues(h, small, LIST_FIELDS, 'auto-list');
  const run = await runValuesPhase(h, dbId, { database: true }, { env: BUDGET });
  assert.equal(run.step.status, 'success', JSON.stringify(run.step.details));
  assert.equal(run.step.details.budgeted, 2, 'status and serial of big');
  assert.equal(run.step.details['demoted-auto-list'], 0, 'a bounded read demotes nothing');

  const values = async (table: number, name: string) => valuesOf(h, await fieldId(h, table, name));
  const code = await values(big, 'code');
  assert.deepEqual(code?.values, [...Array.from({ length: 50 }, (_, i) => i), RARE], 'loose index scan: exact');
  assert.equal(code?.has_more_values, false);

  const status = await values(big, 'status');
  assert.equal(status?.has_more_values, true);
  assert.ok(status!.values.length >= 1 && status!.values.every((v) => /^s[0-6]$/.test(String(v))));
  const serial = await values(big, 'serial');
  assert.equal(serial?.has_more_values, true);
  assert.ok(serial!.values.length <= 1000);
  for (const name of ['status', 'serial']) {
    const field = (await h.fields(big)).find((f) => f.name === name);
    assert.equal(field?.has_field_values, 'auto-list', `big.${name} is not demoted by a bounded read`);
  }

  // Within the budget: today's exact query, exact values.
  const smallStatus = await values(small, 'status');
  assert.deepEqual(smallStatus, { values: ['s0', 's1', 's2', 's3', 's4', 's5', 's6'], human_readable_values: [],
    has_more_values: false });
  assert.equal((await values(small, 'serial'))?.values.length, 500);

  // No budget (0): the big table is read exactly too, and its overflowing serial demotes.
  const exact = await runValuesPhase(h, dbId, { database: true }, { env: { MB_SYNC_FIELD_VALUES_ROW_BUDGET: '0' } });
  assert.equal(exact.step.details.budgeted, 0);
  assert.equal(exact.step.details['demoted-auto-list'], 1);
  assert.deepEqual((await values(big, 'status'))?.values, ['s0', 's1', 's2', 's3', 's4', 's5', 's6']);
  assert.equal((await h.fields(big)).find((f) => f.name === 'serial')?.has_field_values, null);
}

describe('field values with a row budget', () => {
  test('PostgreSQL: recursive-CTE loose scan, TABLESAMPLE SYSTEM bounded read', async () => {
    const wh = await createTestDatabase('fvbudget');
    await execSql(wh.url, ...tables((n) => `generate_series(1, ${n}) AS i`, 'CREATE INDEX big_code ON big (code)'),
      'ANALYZE big', 'ANALYZE small');
    const dbId = await h.addDatabase('postgres', wh.details);
    assert.equal((await h.run(dbId, { metadata: { database: true } })).outcome.state, 'succeeded');
    await check(dbId);
  });

  test('MariaDB: GROUP BY loose index scan, LIMIT-bounded read', async () => {
    const wh = await createMysqlTestDatabase('fvbudget');
    try {
      await execMysql(wh.url, ...tables((n) => `(SELECT seq AS i FROM seq_1_to_${n}) AS s`, 'CREATE INDEX big_code ON big (code)'),
        'ANALYZE TABLE big', 'ANALYZE TABLE small');
      const dbId = await h.addDatabase('mysql', wh.details);
      assert.equal((await h.run(dbId, { metadata: { database: true } })).outcome.state, 'succeeded');
      await check(dbId);
    } finally {
      await dropMysqlDatabase(wh.name);
    }
  });

  test('MB_SYNC_FIELD_VALUES_ROW_BUDGET: default 1,000,000, 0 allowed, anything else not a count refused', () => {
    assert.equal(loadConfig({}).fieldValuesRowBudget, 1_000_000);
    assert.equal(loadConfig({ MB_SYNC_FIELD_VALUES_ROW_BUDGET: '0' }).fieldValuesRowBudget, 0);
    assert.equal(loadConfig({ MB_SYNC_FIELD_VALUES_ROW_BUDGET: ' 5000 ' }).fieldValuesRowBudget, 5000);
    for (const bad of ['-1', '1e6', 'lots', '1.5']) {
      assert.throws(() => loadConfig({ MB_SYNC_FIELD_VALUES_ROW_BUDGET: bad }), /MB_SYNC_FIELD_VALUES_ROW_BUDGET/);
    }
  });
});
