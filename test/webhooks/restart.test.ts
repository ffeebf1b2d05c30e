// A delivery survives a kill -9 of the service between its failed attempts: real `catalog-sync serve` processes on
// one application database (SQLite or PostgreSQL, test/support/app-db.ts); the receiver fails the first two attempts, the process is killed after the
// second, and the restarted process delivers the third with the same delivery id and body.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { verifySignature } from '../../src/webhooks/signature.ts';
import { createTestAppDb } from '../support/app-db.ts';
import { lastFirst, startInstance } from '../multi-instance/support.ts';
import { eventually, startReceiver } from './receiver.ts';

const SECRET = 'restart-hook-secret';

test('kill -9 between failed attempts loses no delivery', async (t) => {
  const cleanup = lastFirst(t);
  const dir = mkdtempSync(join(tmpdir(), 'catalog-sync-hook-restart-'));
  cleanup.after(() => rmSync(dir, { recursive: true, force: true }));
  const receiver = await startReceiver(2);
  cleanup.after(() => receiver.close());
  const testDb = await createTestAppDb(dir);
  cleanup.after(() => testDb.drop());
  const appDb = testDb.open();
  cleanup.after(() => appDb.close());
  const env = {
    ...testDb.env,
    MB_LOAD_SAMPLE_CONTENT: 'true',
    MB_SYNC_WEBHOOK_URLS: receiver.url,
    MB_SYNC_WEBHOOK_SECRET: SECRET,
  };
  const first = await startInstance(cleanup, 'first', env);
  // The sample database's initial sync changes the catalog: its delivery fails twice on this process.
  await eventually(() => (receiver.received.length >= 2 ? true : undefined));
  await sleep(300); // the second failure is recorded
  await first.kill9();
  assert.equal(receiver.received.length, 2);
  const row = () => appDb.db.selectFrom('webhook_delivery').select(['state', 'attempts']).execute();
  assert.deepEqual(await row(), [{ state: 'pending', attempts: 2 }]);

  await startInstance(cleanup, 'second', env);
  await eventually(() => (receiver.received.length >= 3 ? true : undefined));
  const attempts = receiver.received;
  assert.deepEqual(attempts.map((a) => a.status), [500, 500, 204]);
  assert.equal(new Set(attempts.map((a) => a.headers['x-catalog-sync-delivery'])).size, 1);
  assert.equal(new Set(attempts.map((a) => a.body)).size, 1);
  for (const a of attempts) assert.ok(verifySignature(SECRET, a.body, a.headers['x-catalog-sync-signature'] as string));
  await eventually(async () => ((await row())[0]?.state === 'delivered' ? true : undefined));
  assert.deepEqual(await row(), [{ state: 'delivered', attempts: 3 }]);
  await sleep(1500);
  assert.equal(receiver.received.length, 3, 'nothing is sent again once delivered');
});
