// The dispatcher on its own, on the suite's application database: two dispatchers (two pools, as two instances) share
// one outbox and deliver every row exactly once; a receiver that never answers 2xx uses up the attempts with growing
// delays and the row ends failed; a receiver that hangs is cut off by the request timeout.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import type { AppDb } from '../../src/db/connect.ts';
import { migrate } from '../../src/db/migrate.ts';
import { silentLogger } from '../../src/logger.ts';
import { backoffMs, WebhookDispatcher } from '../../src/webhooks/dispatcher.ts';
import { verifySignature } from '../../src/webhooks/signature.ts';
import { createTestAppDb } from '../support/app-db.ts';
import { eventually, startReceiver } from './receiver.ts';

const SECRET = 'dispatcher-secret';

async function outbox(t: TestContext): Promise<{ open: () => AppDb; rows: (n: number, url: string) => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'catalog-sync-dispatch-'));
  const testDb = await createTestAppDb(dir);
  const pools: AppDb[] = [];
  t.after(async () => {
    await Promise.all(pools.map((p) => p.close()));
    await testDb.drop();
    rmSync(dir, { recursive: true, force: true });
  });
  const open = () => {
    const appDb = testDb.open();
    pools.push(appDb);
    return appDb;
  };
  const main = open();
  await migrate(main);
  const rows = async (n: number, url: string) => {
    await main.db.insertInto('metabase_database').values({ id: 1, name: 'w', engine: 'sqlite', details: '{}' }).execute();
    const job = await main.db
      .insertInto('sync_job')
      .values({ database_id: 1, state: 'succeeded', plan: '{}', triggers: '[]' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const values = Array.from({ length: n }, (_, i) => {
      const id = randomUUID();
      return { delivery_id: id, job_id: job.id, url, payload: JSON.stringify({ delivery_id: id, n: i }) };
    });
    await main.db.insertInto('webhook_delivery').values(values).execute();
  };
  return { open, rows };
}

test('two dispatchers on one outbox deliver every row exactly once', async (t) => {
  const { open, rows } = await outbox(t);
  const receiver = await startReceiver(0);
  t.after(() => receiver.close());
  await rows(40, receiver.url);
  const dispatchers = [0, 1].map(
    (i) => new WebhookDispatcher({ appDb: open(), logger: silentLogger(), secret: SECRET, instanceId: `d${i}`, pollMs: 20 }),
  );
  for (const d of dispatchers) d.start();
  t.after(() => Promise.all(dispatchers.map((d) => d.stop())));
  // Stopped only once every answer is recorded: the receiver counts a request before its sender has read the answer.
  const watcher = open();
  await eventually(async () => {
    const pending = await watcher.db
      .selectFrom('webhook_delivery')
      .select('id')
      .where('state', '!=', 'delivered')
      .execute();
    return receiver.received.length >= 40 && pending.length === 0 ? true : undefined;
  });
  await Promise.all(dispatchers.map((d) => d.stop()));
  const ids = receiver.received.map((r) => r.headers['x-catalog-sync-delivery']);
  assert.equal(ids.length, 40);
  assert.equal(new Set(ids).size, 40);
  for (const r of receiver.received) {
    assert.ok(verifySignature(SECRET, r.body, r.headers['x-catalog-sync-signature'] as string));
    assert.equal(JSON.parse(r.body).delivery_id, r.headers['x-catalog-sync-delivery']);
  }
  const states = await open().db.selectFrom('webhook_delivery').select(['state', 'attempts', 'lease_owner']).execute();
  assert.ok(states.every((s) => s.state === 'delivered' && s.attempts === 1 && s.lease_owner === null));
});

test('a receiver that keeps failing uses up the attempts and the delivery ends failed', async (t) => {
  const { open, rows } = await outbox(t);
  const receiver = await startReceiver(1000);
  t.after(() => receiver.close());
  await rows(1, receiver.url);
  const appDb = open();
  const outcomes: string[] = [];
  const dispatcher = new WebhookDispatcher({
    appDb,
    logger: silentLogger(),
    secret: SECRET,
    baseDelayMs: 200,
    maxAttempts: 3,
    pollMs: 20,
    onAttempt: (o) => outcomes.push(o),
  });
  dispatcher.start();
  t.after(() => dispatcher.stop());
  await eventually(() => (outcomes.length >= 3 ? true : undefined));
  assert.deepEqual(outcomes, ['retry', 'retry', 'failed']);
  const row = await appDb.db.selectFrom('webhook_delivery').selectAll().executeTakeFirstOrThrow();
  assert.equal(row.state, 'failed');
  assert.equal(row.attempts, 3);
  assert.equal(row.last_status, 500);
  assert.equal(row.last_error, 'HTTP 500');
  assert.equal(receiver.received.length, 3);
  assert.ok(backoffMs(1, 1000, 3_600_000) >= 1000 && backoffMs(1, 1000, 3_600_000) <= 1100);
  assert.ok(backoffMs(3, 1000, 3_600_000) >= 4000 && backoffMs(3, 1000, 3_600_000) <= 4400);
  assert.ok(backoffMs(40, 1000, 3_600_000) <= 3_960_000);
});

test('a receiver that does not answer is cut off by the request timeout and retried later', async (t) => {
  const { open, rows } = await outbox(t);
  const server = createServer(() => undefined);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  await rows(1, `http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  const appDb = open();
  const dispatcher = new WebhookDispatcher({ appDb, logger: silentLogger(), secret: SECRET, requestTimeoutMs: 300, pollMs: 20 });
  dispatcher.start();
  t.after(() => dispatcher.stop());
  const row = await eventually(async () => {
    const r = await appDb.db.selectFrom('webhook_delivery').selectAll().executeTakeFirstOrThrow();
    return r.attempts >= 1 ? r : undefined;
  });
  assert.equal(row.state, 'pending');
  assert.equal(row.last_status, null);
  assert.equal(row.last_error, 'no answer within 0.3 s');
  assert.equal(row.lease_owner, null);
});
