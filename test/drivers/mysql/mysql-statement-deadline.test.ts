// A MariaDB catalog statement's client-side timeout counts the warehouse's time only (issue 10), not the consumer's
// time with each row (the sync's own catalog writes): a listing whose consumer pauses past the timeout after its first
// row still ends with every row (a warehouse that does not answer still fails by it: mysql-driver-failures.test.ts).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { DriverOptions } from '../../../src/drivers/driver.ts';
import { createMysqlDriver } from '../../../src/drivers/mysql/mysql-driver.ts';
import { createMysqlTestDatabase, dropMysqlDatabase, execMysql, type MysqlTestDatabase } from '../../support/mariadb.ts';

const OPTIONS: DriverOptions = {
  connectTimeoutMs: 10_000,
  catalogQueryTimeoutMs: 1000,
  sampleQueryTimeoutMs: 1000,
  fieldValuesQueryTimeoutMs: 1000,
};

let wh: MysqlTestDatabase;
before(async () => {
  wh = await createMysqlTestDatabase('deadline');
  await execMysql(wh.url, ...Array.from({ length: 300 }, (_, i) => `CREATE TABLE t${i} (id int PRIMARY KEY, v int)`));
});
after(async () => {
  await dropMysqlDatabase(wh.name);
});

describe('MariaDB catalog statement deadline', () => {
  test("the consumer's time with a row is not the warehouse's", async () => {
    const driver = createMysqlDriver(wh.details, OPTIONS);
    try {
      let rows = 0;
      for await (const _ of driver.describeTables({ kind: 'database' }, AbortSignal.timeout(30_000))) {
        rows += 1;
        if (rows === 1) await new Promise((resolve) => setTimeout(resolve, 2500));
      }
      assert.equal(rows, 300);
    } finally {
      await driver.close();
    }
  });
});
