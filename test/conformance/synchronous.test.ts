// notify-api.md section 7.3, "`synchronous?` and lenient spellings" (rows 82–95a): POST /api/notify/db/1 with the
// base body {"table_id":10,"scan":"schema"}; the effect is field newly_added on table 10.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  K,
  OK_JOB,
  PLAN,
  assertJson,
  assertKind,
  assertNoWait,
  createWarehouses,
  fieldsOf,
  withFixture,
  type Fixture,
  type Warehouses,
} from '../support/fixture.ts';

let wh: Warehouses;
before(async () => {
  wh = await createWarehouses();
});
after(async () => {
  await wh?.close();
});

const BASE = '"table_id":10,"scan":"schema"';

interface Row {
  readonly row: string;
  readonly what: string;
  /** Added keys as JSON text (so that a key can appear twice), or none. */
  readonly added?: string;
  readonly query?: string;
}

function send(fx: Fixture, r: Row) {
  const payload = r.added === undefined ? `{${BASE}}` : `{${BASE},${r.added}}`;
  return fx.request({ url: `/api/notify/db/1${r.query ?? ''}`, headers: K, payload });
}

async function hasNewlyAdded(fx: Fixture): Promise<boolean> {
  return fieldsOf(await fx.metadata(1), 10).includes('newly_added');
}

describe('waits', () => {
  const rows: readonly Row[] = [
    { row: '82', what: '"synchronous?":true', added: '"synchronous?":true' },
    { row: '83', what: '"synchronous?":"true"', added: '"synchronous?":"true"' },
    { row: '84', what: '"synchronous":true (X15)', added: '"synchronous":true' },
    { row: '85', what: '"synchronous":"true" (X15)', added: '"synchronous":"true"' },
    { row: '86', what: 'query ?synchronous=true (X15)', query: '?synchronous=true' },
    { row: '87', what: '"synchronous?":false,"synchronous":true', added: '"synchronous?":false,"synchronous":true' },
    { row: '87a', what: 'query ?synchronous=1&synchronous=true', query: '?synchronous=1&synchronous=true' },
  ];
  for (const r of rows) {
    test(`row ${r.row}: ${r.what}: 200 OK_JOB, waits`, async () => {
      await withFixture(wh, {}, async (fx) => {
        const res = await send(fx, r);
        assertJson(res, 200, OK_JOB);
        assert.deepEqual(fieldsOf(await fx.metadata(1), 10), ['val', 'newly_added']);
        await assertKind(fx, res, PLAN.metadataTables(10));
      });
    });
  }
});

describe('no wait (blocked1)', () => {
  const rows: readonly Row[] = [
    { row: '88', what: 'no added key (default)' },
    { row: '89', what: '"synchronous?":false', added: '"synchronous?":false' },
    { row: '90', what: '"synchronous?":"false"', added: '"synchronous?":"false"' },
    { row: '91', what: '"synchronous?":"TRUE", no validation error', added: '"synchronous?":"TRUE"' },
    { row: '92', what: '"synchronous?":1, no validation error', added: '"synchronous?":1' },
    { row: '93', what: '"synchronous?":"yes", no validation error', added: '"synchronous?":"yes"' },
    { row: '94', what: '"synchronous":1 (the PHP client)', added: '"synchronous":1' },
    { row: '95', what: 'query ?synchronous=1', query: '?synchronous=1' },
    { row: '95a', what: 'the key twice, the last (false) wins', added: '"synchronous?":true,"synchronous?":false' },
  ];
  for (const r of rows) {
    test(`row ${r.row}: ${r.what}: 200 OK_JOB, no wait`, async () => {
      await withFixture(wh, { variants: ['blocked1'] }, async (fx) => {
        const res = await assertNoWait(fx, () => send(fx, r), () => hasNewlyAdded(fx));
        assertJson(res, 200, OK_JOB);
        await assertKind(fx, res, PLAN.metadataTables(10));
      });
    });
  }
});
