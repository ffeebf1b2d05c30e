// The PostgreSQL application database's sessions carry a statement timeout and an idle-in-transaction timeout
// (issue 10): a stuck catalog statement or a forgotten transaction cannot hold locks and connections forever.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { openAppDb } from '../../src/db/connect.ts';
import { createTestDatabase } from '../support/postgres.ts';

test('every pooled session has statement_timeout 2 min and idle_in_transaction_session_timeout 5 min', async () => {
  const { url } = await createTestDatabase('apptimeouts');
  const appDb = openAppDb({ kind: 'postgres', connectionUri: url, max: 2 });
  try {
    const read = async () =>
      (
        await sql<{ statement: string; idle: string }>`SELECT current_setting('statement_timeout') AS statement,
          current_setting('idle_in_transaction_session_timeout') AS idle`.execute(appDb.db)
      ).rows[0];
    for (const row of await Promise.all([read(), read(), read()])) {
      assert.deepEqual(row, { statement: '2min', idle: '5min' });
    }
  } finally {
    await appDb.close();
  }
});
