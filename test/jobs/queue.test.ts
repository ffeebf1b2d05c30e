import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import type { AppDb } from '../../src/db/connect.ts';
import { nowPlusSeconds } from '../../src/jobs/clock.ts';
import {
  claimJob,
  completeJob,
  enqueue,
  enqueueBatch,
  enqueueBatches,
  getJob,
  renewLease,
  type EnqueueRequest,
  type NotifyRequest,
  type TableSelection,
} from '../../src/jobs/queue.ts';
import { EnqueueBatcher } from '../../src/jobs/enqueue-batcher.ts';
import type { Plan } from '../../src/jobs/types.ts';
import { APP_DB_KINDS, addDatabase, emptyResult, freshAppDb, sleep, trigger, warmPool } from './app-dbs.ts';

const TTL = 60;

function tablePlan(...ids: number[]): Plan {
  return { metadata: { tables: ids }, analyze: { tables: ids }, field_values: { tables: ids } };
}

function request(databaseId: number, plan: Plan, extra: Partial<EnqueueRequest> = {}): EnqueueRequest {
  return { databaseId, plan, priority: 10, trigger: trigger('notify'), ...extra };
}

function notify(databaseId: number, selection: TableSelection): NotifyRequest {
  return { databaseId, selection, phases: ['metadata'], priority: 10, trigger: trigger('notify') };
}

async function tableIds(appDb: AppDb, dbId: number): Promise<Map<string, number>> {
  const rows = await appDb.db
    .selectFrom('metabase_table')
    .select(['id', 'schema', 'name'])
    .where('db_id', '=', dbId)
    .execute();
  return new Map(rows.map((r) => [`${r.schema ?? ''}.${r.name}`, r.id]));
}

async function enqueued(appDb: AppDb, req: EnqueueRequest): Promise<number> {
  const result = await enqueue(appDb, req);
  assert.equal(result.kind, 'enqueued');
  return result.kind === 'enqueued' ? result.jobId : 0;
}

async function jobsOf(appDb: AppDb, databaseId: number) {
  return await appDb.db
    .selectFrom('sync_job')
    .selectAll()
    .where('database_id', '=', databaseId)
    .orderBy('id')
    .execute();
}

async function addTable(appDb: AppDb, dbId: number, schema: string | null, name: string, active = true) {
  await appDb.db
    .insertInto('metabase_table')
    .values({ db_id: dbId, schema, name, display_name: name, active })
    .execute();
}

for (const kind of APP_DB_KINDS) {
  describe(`enqueue on ${kind}`, () => {
    test('two requests before the job starts coalesce into one job', async (t) => {
      const appDb = await freshAppDb(t, kind);
      const db = await addDatabase(appDb);
      const first = await enqueue(appDb, request(db, tablePlan(9), { priority: 0, trigger: trigger('schedule') }));
      const second = await enqueue(appDb, request(db, tablePlan(7), { trigger: trigger('notify', { table_id: 7 }) }));
      assert.equal(first.kind, 'enqueued');
      assert.equal(second.kind, 'enqueued');
      assert.ok(first.kind === 'enqueued' && second.kind === 'enqueued');
      assert.equal(first.joined, false);
      assert.equal(second.joined, true);
      assert.equal(second.jobId, first.jobId);
      const rows = await jobsOf(appDb, db);
      assert.equal(rows.length, 1);
      const job = await getJob(appDb, first.jobId);
      assert.ok(job);
      assert.equal(job.state, 'queued');
      assert.deepEqual(job.plan, tablePlan(7, 9));
      assert.equal(rows[0].plan, JSON.stringify(tablePlan(7, 9)), 'stored normalized');
      assert.equal(job.triggerCount, 2);
      assert.equal(job.priority, 10, 'the maximum priority');
      assert.deepEqual(
        job.triggers.map((tr) => tr.source),
        ['schedule', 'notify'],
      );
      assert.deepEqual(job.triggers[1].detail, { table_id: 7 });
      assert.equal(job.attempt, 1);
      assert.equal(job.startedAt, null);
    });

    test('the merged job keeps the earliest enqueued_at', async (t) => {
      const appDb = await freshAppDb(t, kind);
      const db = await addDatabase(appDb);
      const id = await enqueued(appDb, request(db, tablePlan(1)));
      const before = (await getJob(appDb, id))!.enqueuedAt;
      await new Promise((resolve) => setTimeout(resolve, 20));
      await enqueued(appDb, request(db, tablePlan(2)));
      const after = await getJob(appDb, id);
      assert.equal(after!.enqueuedAt, before);
      assert.ok(Date.parse(after!.enqueuedAt) <= Date.now());
    });

    test('a database scope absorbs table scopes of the same phase and keeps new tables', async (t) => {
      const appDb = await freshAppDb(t, kind);
      const db = await addDatabase(appDb);
      const newTable = { schema: 'public', name: 'events' };
      const id = await enqueued(
        appDb,
        request(db, { metadata: { tables: [3], new_tables: [newTable] } }, { newTable }),
      );
      await enqueued(appDb, request(db, { metadata: { database: true } }));
      assert.deepEqual((await getJob(appDb, id))!.plan, { metadata: { database: true, new_tables: [newTable] } });
    });

    test('only the 20 most recent triggers are kept; trigger_count counts every request', async (t) => {
      const appDb = await freshAppDb(t, kind);
      const db = await addDatabase(appDb);
      let id = 0;
      for (let i = 1; i <= 25; i++) {
        id = await enqueued(appDb, request(db, tablePlan(i), { trigger: trigger('notify', { n: i }) }));
      }
      const job = await getJob(appDb, id);
      assert.equal(job!.triggerCount, 25);
      assert.equal(job!.triggers.length, 20);
      assert.deepEqual(job!.triggers[0].detail, { n: 6 });
      assert.deepEqual(job!.triggers[19].detail, { n: 25 });
      assert.equal(job!.plan.metadata && 'tables' in job!.plan.metadata ? job!.plan.metadata.tables?.length : 0, 25);
    });

    test('a request while the job is running creates a follow-up and never touches the running job', async (t) => {
      const appDb = await freshAppDb(t, kind);
      const db = await addDatabase(appDb);
      const runningId = await enqueued(appDb, request(db, { metadata: { database: true } }));
      const claimed = await claimJob(appDb, 'me:1:a', TTL);
      assert.equal(claimed?.id, runningId);
      const runningBefore = (await jobsOf(appDb, db))[0];

      const followUps = new Set<number>();
      for (let i = 1; i <= 6; i++) followUps.add(await enqueued(appDb, request(db, tablePlan(i))));
      assert.equal(followUps.size, 1, 'exactly one follow-up');
      const [followUp] = [...followUps];
      assert.notEqual(followUp, runningId);

      const rows = await jobsOf(appDb, db);
      assert.equal(rows.length, 2);
      assert.deepEqual(rows[0], runningBefore, 'the running row is unchanged');
      const job = await getJob(appDb, followUp);
      assert.equal(job!.state, 'queued');
      assert.equal(job!.triggerCount, 6);
      assert.deepEqual(job!.plan, tablePlan(1, 2, 3, 4, 5, 6));
    });

    test('concurrent enqueues for one database end in one job that records each of them', async (t) => {
      const appDb = await freshAppDb(t, kind);
      const db = await addDatabase(appDb);
      await warmPool(appDb, 10);
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => enqueue(appDb, request(db, tablePlan(i + 1)))),
      );
      const ids = new Set(results.map((r) => (r.kind === 'enqueued' ? r.jobId : 0)));
      assert.equal(ids.size, 1);
      assert.equal(results.filter((r) => r.kind === 'enqueued' && !r.joined).length, 1);
      const rows = await jobsOf(appDb, db);
      assert.equal(rows.length, 1);
      assert.equal(rows[0].trigger_count, 8);
      assert.deepEqual(JSON.parse(rows[0].plan), tablePlan(1, 2, 3, 4, 5, 6, 7, 8));
    });

    if (kind === 'postgres') {
      test("a notify batch takes the database's queue slot: it waits while another transaction holds it", async (t) => {
        const appDb = await freshAppDb(t, kind);
        const db = await addDatabase(appDb);
        await addTable(appDb, db, 'public', 'orders');
        let release!: () => void;
        const released = new Promise<void>((resolve) => (release = resolve));
        let slotHeld!: () => void;
        const held = new Promise<void>((resolve) => (slotHeld = resolve));
        const holder = appDb.db.transaction().execute(async (trx) => {
          await sql`SELECT pg_advisory_xact_lock(hashtext('catalog-sync:queued-job'), ${db}::integer)`.execute(trx);
          slotHeld();
          await released;
        });
        await held;
        let answered = false;
        const batch = enqueueBatch(appDb, [
          notify(db, { by: 'name', name: 'orders' }),
          notify(db, { by: 'database' }),
        ]).then((results) => ((answered = true), results));
        await sleep(300);
        assert.equal(answered, false, 'the batch waits for the slot');
        assert.equal((await jobsOf(appDb, db)).length, 0);
        release();
        await holder;
        assert.deepEqual((await batch).map((r) => r.kind), ['enqueued', 'enqueued']);
        assert.equal((await jobsOf(appDb, db))[0].trigger_count, 2);
      });
    }

    test('jobs of different databases are separate', async (t) => {
      const appDb = await freshAppDb(t, kind);
      const a = await addDatabase(appDb, 'a');
      const b = await addDatabase(appDb, 'b');
      const ja = await enqueued(appDb, request(a, tablePlan(1)));
      const jb = await enqueued(appDb, request(b, tablePlan(1)));
      assert.notEqual(ja, jb);
    });
  });

  describe(`new-table check on ${kind}`, () => {
    const events = { schema: 'public', name: 'events' };
    const newTablePlan: Plan = { metadata: { new_tables: [events] }, analyze: { new_tables: [events] } };

    test('refused when a table row of the database has the identity, active or not', async (t) => {
      const appDb = await freshAppDb(t, kind);
      const db = await addDatabase(appDb);
      await addTable(appDb, db, 'public', 'events', false);
      const result = await enqueue(appDb, request(db, newTablePlan, { newTable: events }));
      assert.deepEqual(result, { kind: 'already-exists' });
      assert.equal((await jobsOf(appDb, db)).length, 0, 'nothing is enqueued');
    });

    test('the identity is exact: another schema, another case or another database do not count', async (t) => {
      const appDb = await freshAppDb(t, kind);
      const db = await addDatabase(appDb, 'a');
      const other = await addDatabase(appDb, 'b');
      await addTable(appDb, db, 'audit', 'events');
      await addTable(appDb, db, 'public', 'Events');
      await addTable(appDb, other, 'public', 'events');
      const result = await enqueue(appDb, request(db, newTablePlan, { newTable: events }));
      assert.equal(result.kind, 'enqueued');
    });

    test('a null schema matches a table row without schema (COALESCE(schema, ""))', async (t) => {
      const appDb = await freshAppDb(t, kind);
      const db = await addDatabase(appDb);
      await addTable(appDb, db, null, 'events');
      const bare = { schema: null, name: 'events' };
      const result = await enqueue(appDb, request(db, { metadata: { new_tables: [bare] } }, { newTable: bare }));
      assert.deepEqual(result, { kind: 'already-exists' });
    });

    test('refused when the queued job names the table, and the queued job is left as it was', async (t) => {
      const appDb = await freshAppDb(t, kind);
      const db = await addDatabase(appDb);
      const id = await enqueued(appDb, request(db, newTablePlan, { newTable: events }));
      const before = await jobsOf(appDb, db);
      const result = await enqueue(appDb, request(db, newTablePlan, { newTable: events }));
      assert.deepEqual(result, { kind: 'already-exists' });
      assert.deepEqual(await jobsOf(appDb, db), before);
      assert.equal((await getJob(appDb, id))!.triggerCount, 1);
    });

    test('refused when the running job names the table in any phase', async (t) => {
      const appDb = await freshAppDb(t, kind);
      const db = await addDatabase(appDb);
      await enqueued(appDb, request(db, { metadata: { database: true }, field_values: { new_tables: [events] } }));
      assert.ok(await claimJob(appDb, 'me:1:a', TTL));
      const result = await enqueue(appDb, request(db, newTablePlan, { newTable: events }));
      assert.deepEqual(result, { kind: 'already-exists' });
      assert.equal((await jobsOf(appDb, db)).length, 1, 'no follow-up was created');
    });

    test('a new-table request joins a queued job that does not name it', async (t) => {
      const appDb = await freshAppDb(t, kind);
      const db = await addDatabase(appDb);
      const id = await enqueued(appDb, request(db, { metadata: { database: true } }));
      const result = await enqueue(appDb, request(db, newTablePlan, { newTable: events }));
      assert.deepEqual(result, { kind: 'enqueued', jobId: id, joined: true });
      assert.deepEqual((await getJob(appDb, id))!.plan, {
        metadata: { database: true, new_tables: [events] },
        analyze: { new_tables: [events] },
      });
    });

    test('of concurrent new-table requests for one table exactly one is accepted', async (t) => {
      const appDb = await freshAppDb(t, kind);
      const db = await addDatabase(appDb);
      await warmPool(appDb, 10);
      const results = await Promise.all(
        Array.from({ length: 6 }, () => enqueue(appDb, request(db, newTablePlan, { newTable: events }))),
      );
      assert.equal(results.filter((r) => r.kind === 'enqueued').length, 1);
      assert.equal(results.filter((r) => r.kind === 'already-exists').length, 5);
      const rows = await jobsOf(appDb, db);
      assert.equal(rows.length, 1);
      assert.equal(rows[0].trigger_count, 1);
    });

    test('concurrent requests while a queued job exists: exactly one is accepted', async (t) => {
      const appDb = await freshAppDb(t, kind);
      const db = await addDatabase(appDb);
      const id = await enqueued(appDb, request(db, { metadata: { database: true } }));
      await warmPool(appDb, 10);
      const results = await Promise.all(
        Array.from({ length: 6 }, () => enqueue(appDb, request(db, newTablePlan, { newTable: events }))),
      );
      assert.deepEqual(
        results.filter((r) => r.kind === 'enqueued'),
        [{ kind: 'enqueued', jobId: id, joined: true }],
      );
      assert.equal((await getJob(appDb, id))!.triggerCount, 2);
    });
  });

  describe(`batched enqueue on ${kind}`, () => {
    const events = { schema: 'public', name: 'events' };
    const newTablePlan: Plan = { metadata: { new_tables: [events] } };

    test('one transaction, the results of enqueuing each alone in order', async (t) => {
      const appDb = await freshAppDb(t, kind);
      const db = await addDatabase(appDb);
      await addTable(appDb, db, 'public', 'orders');
      const orders = { schema: 'public', name: 'orders' };
      const results = await enqueueBatch(appDb, [
        request(db, tablePlan(2)),
        request(db, newTablePlan, { newTable: events }),
        request(db, { metadata: { new_tables: [orders] } }, { newTable: orders }),
        request(db, newTablePlan, { newTable: events }),
        request(db, tablePlan(1), { priority: 0 }),
      ]);
      const [first] = results;
      assert.equal(first.kind, 'enqueued');
      const id = first.kind === 'enqueued' ? first.jobId : 0;
      assert.deepEqual(results, [
        { kind: 'enqueued', jobId: id, joined: false },
        { kind: 'enqueued', jobId: id, joined: true },
        { kind: 'already-exists' },
        { kind: 'already-exists' },
        { kind: 'enqueued', jobId: id, joined: true },
      ]);
      const job = (await getJob(appDb, id))!;
      assert.equal(job.triggerCount, 3, 'each accepted request is counted once');
      assert.equal(job.triggers.length, 3);
      assert.equal(job.priority, 10);
      assert.deepEqual(job.plan, {
        metadata: { tables: [1, 2], new_tables: [events] },
        analyze: { tables: [1, 2] },
        field_values: { tables: [1, 2] },
      });
    });

    test('a batch joins the queued job, keeping the 20 newest triggers', async (t) => {
      const appDb = await freshAppDb(t, kind);
      const db = await addDatabase(appDb);
      const id = await enqueued(appDb, request(db, tablePlan(1)));
      const results = await enqueueBatch(
        appDb,
        Array.from({ length: 25 }, (_, i) => request(db, tablePlan(i + 2))),
      );
      assert.ok(results.every((r) => r.kind === 'enqueued' && r.jobId === id && r.joined));
      const job = (await getJob(appDb, id))!;
      assert.equal(job.triggerCount, 26);
      assert.equal(job.triggers.length, 20);
      assert.deepEqual(job.plan.metadata, { tables: Array.from({ length: 26 }, (_, i) => i + 1) });
    });

    test('a batch of new-table requests only is refused as a whole without writing', async (t) => {
      const appDb = await freshAppDb(t, kind);
      const db = await addDatabase(appDb);
      await addTable(appDb, db, 'public', 'events');
      const results = await enqueueBatch(appDb, [request(db, newTablePlan, { newTable: events })]);
      assert.deepEqual(results, [{ kind: 'already-exists' }]);
      assert.equal((await jobsOf(appDb, db)).length, 0);
    });

    test('requests of several databases at once: a batcher answers each with its own database\'s job', async (t) => {
      const appDb = await freshAppDb(t, kind);
      const dbs = [await addDatabase(appDb, 'a'), await addDatabase(appDb, 'b'), await addDatabase(appDb, 'c')];
      await warmPool(appDb, 10);
      const batcher = new EnqueueBatcher(appDb);
      const sent = Array.from({ length: 90 }, (_, i) => ({ db: dbs[i % 3], table: i + 1 }));
      const results = await Promise.all(sent.map((s) => batcher.enqueue(request(s.db, tablePlan(s.table)))));
      for (const db of dbs) {
        const mine = results.filter((_, i) => sent[i].db === db);
        const ids = new Set(mine.map((r) => (r.kind === 'enqueued' ? r.jobId : 0)));
        assert.equal(ids.size, 1, `one queued job for database ${db}`);
        assert.equal(mine.filter((r) => r.kind === 'enqueued' && !r.joined).length, 1, 'one request created it');
        const job = (await getJob(appDb, [...ids][0]))!;
        assert.equal(job.databaseId, db);
        assert.equal(job.triggerCount, 30);
        assert.deepEqual(job.plan.metadata, { tables: sent.filter((s) => s.db === db).map((s) => s.table) });
      }
    });

    test('a failing transaction rejects every request of its batch, and the next batch still runs', async (t) => {
      const appDb = await freshAppDb(t, kind);
      const db = await addDatabase(appDb);
      const batcher = new EnqueueBatcher(appDb);
      const missing = 999_999;
      const failed = await Promise.allSettled([1, 2].map((i) => batcher.enqueue(request(missing, tablePlan(i)))));
      assert.deepEqual(failed.map((r) => r.status), ['rejected', 'rejected'], 'no database 999999: foreign key');
      const ok = await batcher.enqueue(request(db, tablePlan(1)));
      assert.equal(ok.kind, 'enqueued');
    });

    test("one database's failure in a batch of several answers its own requests only", async (t) => {
      const appDb = await freshAppDb(t, kind);
      const a = await addDatabase(appDb, 'a');
      const b = await addDatabase(appDb, 'b');
      await addTable(appDb, b, 'public', 'orders');
      const batcher = new EnqueueBatcher(appDb);
      const settled = await Promise.allSettled([
        batcher.enqueue(request(a, tablePlan(1))),
        batcher.enqueue(request(999_999, tablePlan(1))),
        batcher.enqueue(notify(b, { by: 'name', name: 'orders' })),
        batcher.enqueue(request(a, tablePlan(2))),
      ]);
      assert.deepEqual(
        settled.map((r) => (r.status === 'fulfilled' ? r.value.kind : 'rejected')),
        ['enqueued', 'rejected', 'enqueued', 'enqueued'],
      );
      assert.equal((await jobsOf(appDb, a))[0].trigger_count, 2, 'written once, after the retry of each database');
      assert.equal((await jobsOf(appDb, b))[0].trigger_count, 1);
    });

    test('a batch of several databases is one transaction', async (t) => {
      const appDb = await freshAppDb(t, kind);
      const dbs = [await addDatabase(appDb, 'a'), await addDatabase(appDb, 'b'), await addDatabase(appDb, 'c')];
      for (const db of dbs) await addTable(appDb, db, 'public', 'orders');
      const results = await enqueueBatches(
        appDb,
        dbs.map((db) => [notify(db, { by: 'name', name: 'orders' }), notify(db, { by: 'database' })]),
      );
      assert.deepEqual(results.map((group) => group.map((r) => r.kind)), dbs.map(() => ['enqueued', 'enqueued']));
      const jobs = await appDb.db.selectFrom('sync_job').select(['database_id', 'trigger_count']).execute();
      assert.deepEqual(jobs.map((j) => j.database_id).sort(), [...dbs].sort());
      assert.ok(jobs.every((j) => j.trigger_count === 2));
      if (appDb.kind === 'postgres') {
        const { rows } = await sql<{ xmin: string }>`SELECT xmin::text AS xmin FROM sync_job`.execute(appDb.db);
        assert.equal(new Set(rows.map((r) => r.xmin)).size, 1, 'written by one transaction');
      }
    });
  });

  describe(`notify lookups in the enqueue transaction on ${kind}`, () => {
    test('a batch mixing known and unknown tables answers each request with its own result', async (t) => {
      const appDb = await freshAppDb(t, kind);
      const db = await addDatabase(appDb);
      const other = await addDatabase(appDb, 'other');
      await addTable(appDb, db, 'public', 'orders');
      await addTable(appDb, db, 'sales', 'orders');
      await addTable(appDb, db, 'data', 'aapl_stocks');
      await addTable(appDb, db, null, 'flat', false);
      await addTable(appDb, other, 'public', 'elsewhere');
      const ids = await tableIds(appDb, db);
      const [elsewhere] = (await tableIds(appDb, other)).values();
      const results = await enqueueBatch(appDb, [
        notify(db, { by: 'name', name: 'orders' }),
        notify(db, { by: 'name', name: 'missing' }),
        notify(db, { by: 'name', name: 'orders', schema: 'sales' }),
        notify(db, { by: 'name', name: 'orders', schema: 'nope' }),
        notify(db, { by: 'name', name: 'data.aapl_stocks' }),
        notify(db, { by: 'name', name: 'data.aapl_stocks', schema: 'data' }),
        notify(db, { by: 'id', id: ids.get('.flat')! }),
        notify(db, { by: 'id', id: elsewhere }),
        notify(db, { by: 'id', id: 99_999_999_999 }),
        notify(db, { by: 'name', name: 'ORDERS' }),
        request(db, tablePlan(7)),
      ]);
      const id = results[0].kind === 'enqueued' ? results[0].jobId : 0;
      assert.deepEqual(results, [
        { kind: 'enqueued', jobId: id, joined: false },
        { kind: 'no-table' },
        { kind: 'enqueued', jobId: id, joined: true },
        { kind: 'no-table' },
        { kind: 'enqueued', jobId: id, joined: true },
        { kind: 'no-table' },
        { kind: 'enqueued', jobId: id, joined: true },
        { kind: 'no-table' },
        { kind: 'no-table' },
        { kind: 'no-table' },
        { kind: 'enqueued', jobId: id, joined: true },
      ]);
      const job = (await getJob(appDb, id))!;
      assert.equal(job.triggerCount, 5, 'only the accepted requests are counted');
      const named = ['public.orders', 'sales.orders', 'data.aapl_stocks', '.flat'].map((key) => ids.get(key)!);
      const want = [...named, 7];
      assert.deepEqual(job.plan.metadata, { tables: want.sort((a, b) => a - b) });
      assert.deepEqual(job.plan.analyze, { tables: [7] }, 'a schema-only notify adds no analysis');
    });

    test('a name in several schemas selects them all; the dotted split only when the name is absent', async (t) => {
      const appDb = await freshAppDb(t, kind);
      const db = await addDatabase(appDb);
      await addTable(appDb, db, 'a', 'x.y');
      await addTable(appDb, db, 'x', 'y');
      await addTable(appDb, db, 'b', 'x.y');
      const ids = await tableIds(appDb, db);
      const [exact] = await enqueueBatch(appDb, [notify(db, { by: 'name', name: 'x.y' })]);
      assert.equal(exact.kind, 'enqueued');
      const job = (await getJob(appDb, exact.kind === 'enqueued' ? exact.jobId : 0))!;
      assert.deepEqual(job.plan.metadata, { tables: [ids.get('a.x.y')!, ids.get('b.x.y')!] });
    });

    test('an unknown database answers no-database without writing, beside another database', async (t) => {
      const appDb = await freshAppDb(t, kind);
      const db = await addDatabase(appDb);
      await addTable(appDb, db, 'public', 'orders');
      const batcher = new EnqueueBatcher(appDb);
      const results = await Promise.all([
        batcher.enqueue(notify(999_999, { by: 'database' })),
        batcher.enqueue(notify(db, { by: 'name', name: 'orders' })),
        batcher.enqueue(notify(999_999, { by: 'name', name: 'orders' })),
        batcher.enqueue(notify(3_000_000_000, { by: 'database' })),
        batcher.enqueue(notify(db, { by: 'database' })),
      ]);
      assert.deepEqual(
        results.map((r) => r.kind),
        ['no-database', 'enqueued', 'no-database', 'no-database', 'enqueued'],
      );
      const jobs = await appDb.db.selectFrom('sync_job').select('database_id').execute();
      assert.deepEqual(jobs, [{ database_id: db }]);
    });

    test('a batch whose notifies all name nothing writes nothing', async (t) => {
      const appDb = await freshAppDb(t, kind);
      const db = await addDatabase(appDb);
      const results = await enqueueBatch(appDb, [
        notify(db, { by: 'name', name: 'missing' }),
        notify(db, { by: 'id', id: 12345 }),
      ]);
      assert.deepEqual(results, [{ kind: 'no-table' }, { kind: 'no-table' }]);
      assert.equal((await jobsOf(appDb, db)).length, 0);
    });
  });

  describe(`claim on ${kind}`, () => {
    test('sets running, started_at and the lease on the database clock', async (t) => {
      const appDb = await freshAppDb(t, kind);
      const db = await addDatabase(appDb);
      const id = await enqueued(appDb, request(db, tablePlan(1)));
      const job = await claimJob(appDb, 'host:1:abc', TTL);
      assert.equal(job?.id, id);
      assert.equal(job?.state, 'running');
      const row = (await jobsOf(appDb, db))[0];
      assert.equal(row.lease_owner, 'host:1:abc');
      assert.ok(row.started_at && row.heartbeat_at && row.lease_expires_at);
      const ttlMs = Date.parse(row.lease_expires_at) - Date.parse(row.heartbeat_at);
      assert.ok(Math.abs(ttlMs - TTL * 1000) < 1000, `lease of ${ttlMs} ms`);
      assert.equal(await claimJob(appDb, 'host:1:abc', TTL), null, 'nothing left to claim');
    });

    test('never claims a queued job whose database has a running job', async (t) => {
      const appDb = await freshAppDb(t, kind);
      const a = await addDatabase(appDb, 'a');
      const b = await addDatabase(appDb, 'b');
      const first = await enqueued(appDb, request(a, tablePlan(1)));
      assert.equal((await claimJob(appDb, 'x', TTL))?.id, first);
      await enqueued(appDb, request(a, tablePlan(2)));
      const other = await enqueued(appDb, request(b, tablePlan(1), { priority: 0 }));
      assert.equal((await claimJob(appDb, 'x', TTL))?.id, other, 'skips database a, takes b');
      assert.equal(await claimJob(appDb, 'x', TTL), null);
      assert.ok(await completeJob(appDb, first, 'x', { state: 'succeeded', error: null, result: emptyResult() }));
      const followUp = await claimJob(appDb, 'x', TTL);
      assert.equal(followUp?.databaseId, a);
      assert.deepEqual(followUp?.plan, tablePlan(2));
    });

    test('orders by effective priority, enqueued_at and id; after 10 minutes a job counts as on-demand', async (t) => {
      const appDb = await freshAppDb(t, kind);
      const dbs = [];
      for (let i = 0; i < 5; i++) dbs.push(await addDatabase(appDb, `db${i}`));
      const setAge = async (id: number, seconds: number) => {
        await appDb.db
          .updateTable('sync_job')
          .set({ enqueued_at: nowPlusSeconds(appDb, -seconds) })
          .where('id', '=', id)
          .execute();
      };
      const fiveMinutesAgo = new Date(Date.now() - 300_000).toISOString();
      const scheduledRecent = await enqueued(appDb, request(dbs[0], tablePlan(1), { priority: 0 }));
      const onDemandNew = await enqueued(appDb, request(dbs[1], tablePlan(1), { priority: 10 }));
      await setAge(onDemandNew, 60);
      const scheduledAged = await enqueued(appDb, request(dbs[2], tablePlan(1), { priority: 0 }));
      await setAge(scheduledAged, 700);
      const onDemandOld = await enqueued(appDb, request(dbs[3], tablePlan(1), { priority: 10 }));
      await setAge(onDemandOld, 120);
      const sameAge = await enqueued(appDb, request(dbs[4], tablePlan(1), { priority: 0 }));
      await appDb.db
        .updateTable('sync_job')
        .set({ enqueued_at: fiveMinutesAgo })
        .where('id', 'in', [scheduledRecent, sameAge])
        .execute();

      const order: number[] = [];
      for (let job = await claimJob(appDb, 'x', TTL); job; job = await claimJob(appDb, 'x', TTL)) order.push(job.id);
      assert.deepEqual(order, [scheduledAged, onDemandOld, onDemandNew, scheduledRecent, sameAge]);
    });

    test('concurrent claimers never run two jobs of one database and claim each job once', async (t) => {
      const appDb = await freshAppDb(t, kind);
      const ids: number[] = [];
      for (let i = 0; i < 6; i++) {
        ids.push(await enqueued(appDb, request(await addDatabase(appDb, `db${i}`), tablePlan(1))));
      }
      await warmPool(appDb, 10);
      const claims = await Promise.all(Array.from({ length: 10 }, (_, i) => claimJob(appDb, `w${i}`, TTL)));
      const claimed = claims.filter((c) => c !== null).map((c) => c!.id).sort((x, y) => x - y);
      assert.deepEqual(claimed, ids);
    });
  });

  describe(`lease and completion on ${kind}`, () => {
    test('renewLease and completeJob act only for the owner of a running job', async (t) => {
      const appDb = await freshAppDb(t, kind);
      const db = await addDatabase(appDb);
      const id = await enqueued(appDb, request(db, tablePlan(1)));
      assert.equal(await renewLease(appDb, appDb.db, id, 'me', TTL), false, 'not running yet');
      await claimJob(appDb, 'me', 1);
      const before = (await jobsOf(appDb, db))[0].lease_expires_at!;
      assert.equal(await renewLease(appDb, appDb.db, id, 'someone-else', TTL), false);
      assert.equal(await renewLease(appDb, appDb.db, id, 'me', TTL), true);
      const after = (await jobsOf(appDb, db))[0].lease_expires_at!;
      assert.ok(Date.parse(after) > Date.parse(before) + 30_000, 'the lease was extended by the TTL');

      const outcome = { state: 'failed' as const, error: 'boom', result: emptyResult() };
      assert.equal(await completeJob(appDb, id, 'someone-else', outcome), false);
      assert.equal((await getJob(appDb, id))!.state, 'running');
      assert.equal(await completeJob(appDb, id, 'me', outcome), true);
      const row = (await jobsOf(appDb, db))[0];
      assert.equal(row.state, 'failed');
      assert.equal(row.error, 'boom');
      assert.deepEqual(JSON.parse(row.result!), emptyResult());
      assert.ok(row.finished_at);
      assert.equal(row.lease_owner, null);
      assert.equal(row.lease_expires_at, null);
      assert.equal(row.heartbeat_at, null);
      assert.equal(await completeJob(appDb, id, 'me', outcome), false, 'a terminal job is not written again');
      assert.equal(await renewLease(appDb, appDb.db, id, 'me', TTL), false);
    });
  });

  describe(`getJob on ${kind}`, () => {
    test('returns null for unknown, zero, negative, fractional, unsafe and too large ids', async (t) => {
      const appDb = await freshAppDb(t, kind);
      const db = await addDatabase(appDb);
      const id = await enqueued(appDb, request(db, tablePlan(1)));
      assert.equal((await getJob(appDb, id))?.id, id);
      assert.equal(await getJob(appDb, id + 1), null);
      for (const bad of [0, -1, 1.5, 2_147_483_648, Number.MAX_SAFE_INTEGER + 2, Number.NaN, Infinity]) {
        assert.equal(await getJob(appDb, bad), null, String(bad));
      }
    });
  });
}
