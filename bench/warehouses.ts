// The benchmark warehouses on PostgreSQL: n tables t00000… of COLUMNS + 1 columns each (a primary key, one index, and
// from the second table on a foreign key to the table before), shaped like the warehouse of performance.md.

export const COLUMNS = 20;

export function tableName(i: number): string {
  return `t${String(i).padStart(5, '0')}`;
}

/** CREATE statements for n tables of COLUMNS + 1 columns, each with a primary key, an index and a foreign key. */
export function warehouseDdl(tables: number): string[] {
  const batches: string[] = [];
  let batch: string[] = [];
  for (let i = 0; i < tables; i++) {
    const columns = ['id integer PRIMARY KEY'];
    for (let c = 1; c <= COLUMNS; c++) {
      columns.push(c % 4 === 0 ? `c${c} text` : c % 4 === 1 ? `c${c} bigint NOT NULL DEFAULT 0` : c % 4 === 2 ? `c${c} timestamptz` : `c${c} numeric(12,2)`);
    }
    if (i > 0) columns.push(`parent_id integer REFERENCES ${tableName(i - 1)} (id)`);
    const name = tableName(i);
    batch.push(`CREATE TABLE ${name} (${columns.join(', ')}); CREATE INDEX ${name}_c1 ON ${name} (c1);`);
    if (batch.length === 100) {
      batches.push(batch.join('\n'));
      batch = [];
    }
  }
  if (batch.length) batches.push(batch.join('\n'));
  return batches;
}
