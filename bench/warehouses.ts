// The benchmark warehouses on PostgreSQL: n tables t00000… of COLUMNS + 1 columns each (a primary key, one index, and
// from the second table on a foreign key to the table before), shaped like the warehouse of performance.md.
import pg from 'pg';

export const COLUMNS = 20;

export function tableName(i: number): string {
  return `t${String(i).padStart(5, '0')}`;
}

/**
 * CREATE statements for n tables of `columns` + 1 columns (+ the foreign key column from the second table on), each
 * with a primary key, an index and a foreign key, 100 tables per statement batch.
 */
export function warehouseDdl(tables: number, columns = COLUMNS): string[] {
  const batches: string[] = [];
  let batch: string[] = [];
  for (let i = 0; i < tables; i++) {
    const list = ['id integer PRIMARY KEY'];
    for (let c = 1; c <= columns; c++) {
      list.push(c % 4 === 0 ? `c${c} text` : c % 4 === 1 ? `c${c} bigint NOT NULL DEFAULT 0` : c % 4 === 2 ? `c${c} timestamptz` : `c${c} numeric(12,2)`);
    }
    if (i > 0) list.push(`parent_id integer REFERENCES ${tableName(i - 1)} (id)`);
    const name = tableName(i);
    batch.push(`CREATE TABLE ${name} (${list.join(', ')}); CREATE INDEX ${name}_c1 ON ${name} (c1);`);
    if (batch.length === 100) {
      batches.push(batch.join('\n'));
      batch = [];
    }
  }
  if (batch.length) batches.push(batch.join('\n'));
  return batches;
}

/**
 * A benchmark warehouse kept between runs: database `bench_wh_<tables>x<columns>` on the server of `adminUrl`, made
 * once (100 tables per transaction, then ANALYZE) and marked complete by its comment; a half-made one is made again.
 */
export async function keptWarehouse(
  adminUrl: string,
  tables: number,
  columns = COLUMNS,
): Promise<{ url: string; name: string; details: Record<string, unknown>; loadSeconds: number }> {
  const name = `bench_wh_${tables}x${columns}`;
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const details = {
    host: url.hostname,
    port: Number(url.port),
    dbname: name,
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    ssl: false,
  };
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const found = await admin.query<{ ready: string | null }>(
      `SELECT shobj_description(oid, 'pg_database') AS ready FROM pg_database WHERE datname = $1`,
      [name],
    );
    if (found.rows[0]?.ready === READY) return { url: url.toString(), name, details, loadSeconds: 0 };
    const start = performance.now();
    await admin.query(`DROP DATABASE IF EXISTS "${name}"`);
    await admin.query(`CREATE DATABASE "${name}"`);
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    try {
      for (const ddl of warehouseDdl(tables, columns)) await client.query(ddl);
      await client.query('ANALYZE');
    } finally {
      await client.end();
    }
    await admin.query(`COMMENT ON DATABASE "${name}" IS '${READY}'`);
    return { url: url.toString(), name, details, loadSeconds: (performance.now() - start) / 1000 };
  } finally {
    await admin.end();
  }
}

const READY = 'catalog-sync benchmark warehouse, complete';
