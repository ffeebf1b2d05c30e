// Field values with a cost budget (issue 11, item 3) on PostgreSQL: the field-values scan of one list column of a
// 10,000,000-row table against the same scan of a smaller table, with the default budget of 1,000,000 rows.
//   - no index on the list column: 10,000,000 rows (bounded read, TABLESAMPLE SYSTEM 10%) vs 1,000,000 rows (exact
//     query, a full read): target ≤ 1.3×;
//   - an index leads with the list column: 10,000,000 rows (loose index scan) vs 100,000 rows (exact query): ≤ 2×.
//
//   node --import tsx bench/field-values-budget.ts
//
// Uses TEST_PG_URL when set, otherwise starts an ephemeral PostgreSQL (test/support/postgres.ts). The tables are built
// with generate_series, then VACUUM ANALYZE (so that reltuples is known and hint bits are set before timing). The
// catalog comes from a schema sync (not timed); each timed run is a field-values job of the one table, run as the
// worker runs it, and the duration of its `field values scanning` operation row is taken: median of RUNS after one
// warm-up run.
import { performance } from 'node:perf_hooks';
import { createTestDatabase, execSql, startPostgres, testPg, type PgServer } from '../test/support/postgres.ts';
import { createHarness, type Harness } from '../test/sync/support.ts';

const RUNS = 3;
const SIZES = [100_000, 1_000_000, 10_000_000];

const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** `events_<rows>`: `category` 8 values and no index, `code` 50 values under an index that leads with it. */
function tableDdl(rows: number): string[] {
  const name = `events_${rows}`;
  return [
    `CREATE TABLE ${name} (id bigint PRIMARY KEY, category text NOT NULL, code integer NOT NULL, note text)`,
    `INSERT INTO ${name} SELECT i, (ARRAY['alpha','beta','gamma','delta','epsilon','zeta','eta','theta'])[1 + i % 8],
       i % 50, 'note ' || i FROM generate_series(1, ${rows}) AS i`,
    `CREATE INDEX ${name}_code ON ${name} (code)`,
    `VACUUM ANALYZE ${name}`,
  ];
}

async function scan(h: Harness, dbId: number, rows: number, column: 'category' | 'code'): Promise<number[]> {
  const table = await h.table(dbId, `events_${rows}`);
  for (const name of ['category', 'code']) {
    await h.updateField(table.id, name, { has_field_values: name === column ? 'auto-list' : null });
  }
  const times: number[] = [];
  for (let run = 0; run <= RUNS; run++) {
    const { jobId, outcome } = await h.run(dbId, { field_values: { tables: [table.id] } });
    if (outcome.state !== 'succeeded') throw new Error(`the field-values job failed: ${outcome.error}`);
    const operation = (await h.tasks(jobId)).find((t) => t.task === 'field values scanning');
    const step = (await h.tasks(jobId)).find((t) => t.task === 'update-field-values');
    if (run === 0) console.error(`  events_${rows}.${column}: ${JSON.stringify(step?.details)}`);
    else times.push(Number(operation?.duration));
  }
  return times;
}

let server: PgServer | undefined;
if (!process.env.TEST_PG_URL) {
  server = await startPostgres();
  process.env.TEST_PG_URL = server.url;
}
const h = await createHarness('sqlite');
try {
  const warehouse = await createTestDatabase('bench_budget');
  for (const rows of SIZES) {
    const started = performance.now();
    await execSql(warehouse.url, ...tableDdl(rows));
    console.error(`built events_${rows} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  const dbId = await h.addDatabase('postgres', warehouse.details);
  const schema = await h.run(dbId, { metadata: { database: true } });
  if (schema.outcome.state !== 'succeeded') throw new Error(`the schema sync failed: ${schema.outcome.error}`);

  const result = {
    noIndex: { small: await scan(h, dbId, 1_000_000, 'category'), large: await scan(h, dbId, 10_000_000, 'category') },
    indexed: { small: await scan(h, dbId, 100_000, 'code'), large: await scan(h, dbId, 10_000_000, 'code') },
  };
  const line = (label: string, small: string, times: { small: number[]; large: number[] }, target: number) => {
    const ratio = median(times.large) / median(times.small);
    const verdict = ratio <= target ? 'met' : 'NOT met';
    return `| ${label} | ${small} | ${median(times.small)} ms | ${median(times.large)} ms | ${ratio.toFixed(2)}× | ≤ ${target}× (${verdict}) |`;
  };
  console.log('| List column | Smaller table | Its scan (median) | 10,000,000 rows (median) | Ratio | Target |');
  console.log('|---|---|---|---|---|---|');
  console.log(line('`category`, no index (bounded read)', '1,000,000 rows', result.noIndex, 1.3));
  console.log(line('`code`, indexed (loose index scan)', '100,000 rows', result.indexed, 2));
  console.log(`\nruns (ms): ${JSON.stringify(result)}`);
  await execSql((await testPg()).url, `DROP DATABASE "${warehouse.name}"`);
} finally {
  await h.close();
  server?.stop();
}
