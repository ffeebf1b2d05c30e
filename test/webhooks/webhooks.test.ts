// Change webhooks of a real service (startService in-process, the sample warehouse): a receiver that fails the first
// two attempts of each delivery gets the third, with one delivery id and identical signed bodies; a change-less sync
// sends nothing; the job route reports the deliveries only while webhooks are configured.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import SQLite from 'better-sqlite3';
import { loadConfig } from '../../src/config.ts';
import { ConfigError } from '../../src/errors.ts';
import { silentLogger } from '../../src/logger.ts';
import { startService, type Service } from '../../src/main.ts';
import { verifySignature } from '../../src/webhooks/signature.ts';
import { createTestAppDb, type TestAppDb } from '../support/app-db.ts';
import { eventually, startReceiver, type Receiver } from './receiver.ts';

const NOTIFY_KEY = 'hook-notify-key';
const SECRET = 'hook-secret-of-the-test';

describe('change webhooks', () => {
  let dir: string;
  let appDb: TestAppDb;
  let receiver: Receiver;
  let service: Service;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'catalog-sync-hooks-'));
    appDb = await createTestAppDb(join(dir, 'app'));
    receiver = await startReceiver(2);
    const env = {
      ...(appDb.kind === 'postgres' ? appDb.env : { MB_DB_FILE: join(dir, 'app', 'app.db') }),
      MB_LOAD_SAMPLE_CONTENT: 'true',
      MB_DISABLE_SCHEDULER: 'true',
      MB_API_KEY: NOTIFY_KEY,
      MB_SYNC_WEBHOOK_URLS: receiver.url,
      MB_SYNC_WEBHOOK_SECRET: SECRET,
    };
    service = await startService(loadConfig(env), silentLogger());
  });

  after(async () => {
    await service?.stop();
    await receiver?.close();
    await appDb?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const job = async (id: number) => {
    const response = await service.app.inject({
      method: 'GET',
      url: `/api/notify/job/${id}`,
      headers: { 'X-METABASE-APIKEY': NOTIFY_KEY },
    });
    assert.equal(response.statusCode, 200);
    return response.json() as Record<string, unknown> & { webhook_deliveries: Record<string, unknown>[] };
  };

  const deliveriesOf = (jobId: number) =>
    receiver.received.filter((r) => (JSON.parse(r.body) as { job_id: number }).job_id === jobId);

  test('the initial sync is delivered on the third attempt, signed, with one delivery id', async () => {
    const attempts = await eventually(() => {
      const list = deliveriesOf(1);
      return list.length >= 3 ? list : undefined;
    });
    assert.deepEqual(attempts.map((a) => a.status), [500, 500, 204]);
    const ids = new Set(attempts.map((a) => a.headers['x-catalog-sync-delivery']));
    assert.equal(ids.size, 1);
    assert.equal(new Set(attempts.map((a) => a.body)).size, 1, 'a retry sends the same bytes');
    for (const attempt of attempts) {
      assert.equal(attempt.headers['content-type'], 'application/json');
      assert.ok(verifySignature(SECRET, attempt.body, attempt.headers['x-catalog-sync-signature'] as string));
      assert.ok(!verifySignature('another-secret', attempt.body, attempt.headers['x-catalog-sync-signature'] as string));
    }
    const payload = JSON.parse(attempts[0].body) as Record<string, unknown>;
    assert.equal(payload.delivery_id, [...ids][0]);
    assert.equal(payload.event, 'catalog.changed');
    assert.equal(payload.job_id, 1);
    assert.equal(payload.database_id, 1);
    assert.equal(payload.status, 'succeeded');
    const changes = payload.changes as { tables: { created: string[] } };
    for (const name of ['customers', 'order_items', 'orders', 'products', 'reviews']) {
      assert.ok(changes.tables.created.includes(name), name);
    }
    const report = await eventually(async () => {
      const body = await job(1);
      return body.webhook_deliveries[0]?.state === 'delivered' ? body : undefined;
    });
    const [delivery] = report.webhook_deliveries;
    assert.equal(delivery.delivery_id, payload.delivery_id);
    assert.equal(delivery.target, new URL(receiver.url).origin);
    assert.equal(delivery.attempts, 3);
    assert.equal(delivery.last_status, 500);
    assert.equal(delivery.next_attempt_at, null);
    assert.equal(typeof delivery.delivered_at, 'string');
  });

  test('a sync that changes a column is delivered; a change-less sync sends nothing', async () => {
    const details = (await service.appDb.db.selectFrom('metabase_database').select('details').executeTakeFirstOrThrow())
      .details;
    const warehouse = new SQLite(JSON.parse(details).db as string);
    warehouse.exec('ALTER TABLE reviews ADD COLUMN helpful INTEGER');
    warehouse.close();
    const post = (body: unknown) =>
      service.app.inject({
        method: 'POST',
        url: '/api/notify/db/1',
        headers: { 'X-METABASE-APIKEY': NOTIFY_KEY },
        payload: body as object,
      });
    const changed = (await post({ table_name: 'reviews', scan: 'schema', 'synchronous?': true })).json() as { job_id: number };
    const unchanged = (await post({ table_name: 'reviews', scan: 'schema', 'synchronous?': true })).json() as {
      job_id: number;
    };
    const attempts = await eventually(() => {
      const list = deliveriesOf(changed.job_id);
      return list.length >= 3 ? list : undefined;
    });
    const payload = JSON.parse(attempts[2].body) as { changes: { fields: { created: string[] } } };
    assert.deepEqual(payload.changes.fields.created, ['reviews.helpful']);
    assert.deepEqual((await job(unchanged.job_id)).webhook_deliveries, []);
    assert.equal(deliveriesOf(unchanged.job_id).length, 0);
    const count = await service.appDb.db
      .selectFrom('webhook_delivery')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('job_id', '=', unchanged.job_id)
      .executeTakeFirstOrThrow();
    assert.equal(Number(count.n), 0);
  });
});

describe('webhook settings', () => {
  test('URLs are validated and need the secret; without URLs the job route has no extra key', () => {
    const bad = (env: Record<string, string>, message: RegExp) =>
      assert.throws(() => loadConfig({ MB_SYNC_WEBHOOK_SECRET: 's', ...env }), (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.match(e.message, message);
        return true;
      });
    bad({ MB_SYNC_WEBHOOK_URLS: 'ftp://example.com/x' }, /entry 1 must be an http or https URL/);
    bad({ MB_SYNC_WEBHOOK_URLS: 'https://ok.example/a, not a url' }, /entry 2 is not a URL/);
    bad({ MB_SYNC_WEBHOOK_URLS: 'https://user:pw@example.com/' }, /must not carry credentials/);
    assert.throws(() => loadConfig({ MB_SYNC_WEBHOOK_URLS: 'https://example.com/' }), /MB_SYNC_WEBHOOK_SECRET is required/);
    const config = loadConfig({ MB_SYNC_WEBHOOK_URLS: ' https://a.example/h , http://b.example:8080/x ', MB_SYNC_WEBHOOK_SECRET: 's' });
    assert.deepEqual(config.webhookUrls, ['https://a.example/h', 'http://b.example:8080/x']);
    assert.deepEqual(loadConfig({}).webhookUrls, []);
  });
});
