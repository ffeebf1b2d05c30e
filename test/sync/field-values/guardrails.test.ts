// The cost guardrails of sync-engine.md section 6.5, proved on a real PostgreSQL warehouse by two measurements taken
// outside the service:
// * on the wire: the warehouse is reached through a proxy that reads the PostgreSQL protocol and records every
//   statement the server receives (each simple Query and each Parse of the extended protocol: one per statement,
//   the Execute fetches of a cursor are not statements) together with the connection's startup parameters, where the
//   driver sets the server-side statement_timeout;
// * in the server: pg_stat_user_tables counts every scan of each warehouse table (seq_scan + idx_scan). The sync's
//   sessions end with each job (their statistics are flushed before the backend closes its socket), and autovacuum
//   is off for these tables, so the counters move only when the sync reads table data.
import assert from 'node:assert/strict';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { Plan } from '../../../src/jobs/types.ts';
import { createTestDatabase, execSql } from '../../support/postgres.ts';
import { createHarness, type Harness } from '../support.ts';

interface Statement {
  readonly connection: number;
  readonly sql: string;
  readonly startup: Readonly<Record<string, string>>;
}

interface Recorder {
  readonly port: number;
  readonly statements: Statement[];
  close(): Promise<void>;
}

const PROTOCOL_3 = 196_608;

/** A TCP proxy in front of PostgreSQL that records the statements the server receives. */
async function startRecorder(target: { host: string; port: number }): Promise<Recorder> {
  const statements: Statement[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  const server: Server = createServer((client) => {
    const connection = ++connections;
    const upstream = connect({ host: target.host, port: target.port });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => socket.destroy());
      socket.on('close', () => {
        sockets.delete(socket);
        (socket === client ? upstream : client).destroy();
      });
    }
    let startup: Record<string, string> | null = null;
    let pending = Buffer.alloc(0);
    client.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        if (startup === null) {
          if (pending.length < 8 || pending.length < pending.readInt32BE(0)) break;
          const length = pending.readInt32BE(0);
          if (pending.readInt32BE(4) === PROTOCOL_3) {
            const fields = pending.subarray(8, length - 1).toString('utf8').split('\0');
            startup = {};
            for (let i = 0; i + 1 < fields.length; i += 2) startup[fields[i]] = fields[i + 1];
          }
          pending = pending.subarray(length);
          continue;
        }
        if (pending.length < 5 || pending.length < 1 + pending.readInt32BE(1)) break;
        const type = String.fromCharCode(pending[0]);
        const payload = pending.subarray(5, 1 + pending.readInt32BE(1));
        if (type === 'Q') statements.push({ connection, sql: cString(payload, 0), startup });
        if (type === 'P') statements.push({ connection, sql: cString(payload, payload.indexOf(0) + 1), startup });
        pending = pending.subarray(1 + pending.readInt32BE(1));
      }
    });
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    statements,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function cString(buffer: Buffer, start: number): string {
  return buffer.toString('utf8', start, buffer.indexOf(0, start));
}

/** Statements that read a warehouse table: they name one, quoted; catalog queries bind names as parameters. */
const dataStatement = (s: Statement) => /FROM "public"\./.test(s.sql);
const isSample = (s: Statement) => dataStatement(s) && !/SELECT DISTINCT/.test(s.sql);
const isDistinct = (s: Statement) => dataStatement(s) && /SELECT DISTINCT/.test(s.sql);

const TABLES = ['orders', 'tags', 'empty'];

const WAREHOUSE = [
  `CREATE TABLE orders (id serial PRIMARY KEY, status text, qty int, email text, created_at timestamptz)
     WITH (autovacuum_enabled = false)`,
  `INSERT INTO orders (status, qty, email, created_at)
     SELECT (ARRAY['new', 'paid', 'shipped'])[1 + i % 3], i % 7, 'u' || i || '@example.com', now()
     FROM generate_series(1, 3000) AS i`,
  `CREATE TABLE tags (tag text, weight int) WITH (autovacuum_enabled = false)`,
  `INSERT INTO tags SELECT 'tag' || (i % 4), i % 2 FROM generate_series(1, 50) AS i`,
  `CREATE TABLE empty (kind text) WITH (autovacuum_enabled = false)`,
];

const FULL_DATABASE: Plan = {
  metadata: { database: true },
  analyze: { database: true },
  field_values: { database: true },
};
const SCHEMA_DATABASE: Plan = { metadata: { database: true } };
const fullTable = (id: number): Plan => ({
  metadata: { tables: [id] },
  analyze: { tables: [id] },
  field_values: { tables: [id] },
});

let h: Harness;
before(async () => {
  h = await createHarness();
});
after(async () => {
  await h.close();
});

interface Warehouse {
  readonly dbId: number;
  readonly recorder: Recorder;
  /** seq_scan + idx_scan of each warehouse table, read by the server itself. */
  scans(): Promise<Record<string, number>>;
  /** Runs a job for the plan; returns the statements the warehouse received during it. */
  run(plan: Plan): Promise<Statement[]>;
}

async function warehouse(isFullSync: boolean): Promise<Warehouse> {
  const wh = await createTestDatabase('guard');
  await execSql(wh.url, ...WAREHOUSE);
  const recorder = await startRecorder({ host: wh.details.host, port: wh.details.port });
  const dbId = await h.addDatabase('postgres', { ...wh.details, port: recorder.port }, { isFullSync });
  return {
    dbId,
    recorder,
    async scans() {
      // A backend reports its counters when it ends, a moment after its driver closed it: wait until the drivers'
      // sessions are gone and two reads agree, so that a read never misses scans that did happen.
      const client = new pg.Client({ connectionString: wh.url });
      await client.connect();
      const read = async () => {
        const result = await client.query<{ relname: string; scans: string }>(
          `SELECT relname, coalesce(seq_scan, 0) + coalesce(idx_scan, 0) AS scans FROM pg_stat_user_tables`,
        );
        return Object.fromEntries(result.rows.map((r) => [r.relname, Number(r.scans)]));
      };
      try {
        for (let tries = 0; tries < 100; tries++) {
          const { rows } = await client.query<{ n: string }>(
            `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
          );
          if (Number(rows[0].n) === 0) break;
          await sleep(50);
        }
        let last = await read();
        for (let tries = 0; tries < 20; tries++) {
          await sleep(100);
          const next = await read();
          if (JSON.stringify(next) === JSON.stringify(last)) return next;
          last = next;
        }
        return last;
      } finally {
        await client.end();
      }
    },
    async run(plan) {
      const from = recorder.statements.length;
      const { outcome } = await h.run(dbId, plan);
      assert.equal(outcome.state, 'succeeded', outcome.error ?? '');
      return recorder.statements.slice(from);
    },
  };
}

describe('cost guardrails on a PostgreSQL warehouse', () => {
  test('is_full_sync = false: full syncs, table syncs and rescans send no statement that reads data', async (t) => {
    const wh = await warehouse(false);
    t.after(() => wh.recorder.close());
    const before = await wh.scans();
    assert.deepEqual(Object.keys(before).sort(), ['empty', 'orders', 'tags']);

    // The first sync lists every field; the later ones compare field digests and list none (README Departures), so
    // the runs compared below all follow a first one.
    await wh.run(SCHEMA_DATABASE);
    const schemaOnly = await wh.run(SCHEMA_DATABASE);
    const full = await wh.run(FULL_DATABASE);
    const orders = (await h.table(wh.dbId, 'orders')).id;
    const table = await wh.run(fullTable(orders));
    const rescan = await wh.run({ field_values: { database: true } });
    const analyze = await wh.run({ metadata: { database: true }, analyze: { database: true } });

    for (const statements of [schemaOnly, full, table, rescan, analyze]) {
      assert.deepEqual(statements.filter(dataStatement), []);
    }
    assert.equal(full.length, schemaOnly.length, 'the data phases add no statement to the metadata phase');
    assert.equal(analyze.length, schemaOnly.length);
    assert.equal(rescan.length, 1, 'a rescan of a database that scans no data only tests the connection');
    assert.deepEqual(await wh.scans(), before, 'no warehouse table was scanned');
    assert.equal(await valuesRows(), 0);

    // The control: the same measurements see the reads once scanning is allowed.
    await h.updateDatabase(wh.dbId, { is_full_sync: true });
    const allowed = await wh.run(FULL_DATABASE);
    assert.ok(allowed.filter(dataStatement).length > 0);
    const afterAllowed = await wh.scans();
    assert.ok(afterAllowed.orders > before.orders && afterAllowed.tags > before.tags);
    assert.ok((await valuesRows()) > 0);
  });

  test('scan "schema" runs no data statement, also with data scanning allowed', async (t) => {
    const wh = await warehouse(true);
    t.after(() => wh.recorder.close());
    const before = await wh.scans();
    const database = await wh.run(SCHEMA_DATABASE);
    const table = await wh.run({ metadata: { tables: [(await h.table(wh.dbId, 'orders')).id] } });
    assert.ok(database.length > 0 && table.length > 0);
    assert.deepEqual([...database, ...table].filter(dataStatement), []);
    assert.deepEqual(await wh.scans(), before);
  });

  test('scan "full": at most one sample query per table plus one distinct-values query per table', async (t) => {
    const wh = await warehouse(true);
    t.after(() => wh.recorder.close());
    await wh.run(SCHEMA_DATABASE);
    const schemaOnly = await wh.run(SCHEMA_DATABASE);
    const before = await wh.scans();
    const full = await wh.run(FULL_DATABASE);
    const after = await wh.scans();

    const samples = full.filter(isSample);
    const distinct = full.filter(isDistinct);
    assert.equal(full.length, schemaOnly.length + samples.length + distinct.length, 'nothing else was sent');
    for (const name of TABLES) {
      const from = new RegExp(`FROM "public"\\."${name}"`);
      assert.ok(samples.filter((s) => from.test(s.sql)).length <= 1, `at most one sample of ${name}`);
      assert.ok(distinct.filter((s) => from.test(s.sql)).length <= 1, `at most one distinct-values query of ${name}`);
    }
    assert.equal(samples.length, 3, 'every table was sampled');
    assert.equal(distinct.length, 2, 'orders and tags have list fields; the empty table has no fingerprint yet');

    for (const statement of [...samples, ...distinct]) {
      assert.match(statement.sql, /LIMIT \$1/, 'every data statement is bounded');
      const timeout = Number(statement.startup.statement_timeout);
      assert.ok(timeout > 0, 'every data statement runs under a server-side statement_timeout');
      const branches = statement.sql.split('SELECT DISTINCT').length - 1;
      assert.equal(timeout, branches === 0 ? 120_000 : 60_000 * branches, statement.sql);
    }

    // In the server: each table was scanned once by its sample and once per distinct-values branch, nothing more.
    for (const name of TABLES) {
      const from = new RegExp(`FROM "public"\\."${name}"`);
      const sampled = samples.filter((s) => from.test(s.sql)).length;
      const branches = distinct
        .filter((s) => from.test(s.sql))
        .reduce((n, s) => n + s.sql.split('SELECT DISTINCT').length - 1, 0);
      assert.equal(after[name] - before[name], sampled + branches, name);
    }
  });
});

async function valuesRows(): Promise<number> {
  return (await h.appDb.db.selectFrom('metabase_fieldvalues').select('id').execute()).length;
}
