// Listing rows that belong together (the columns of one constraint or one index) arrive next to each other, in order.

/** Groups consecutive rows that share a key. */
export async function* consecutive<Row>(rows: AsyncIterable<Row>, key: (row: Row) => string): AsyncGenerator<Row[]> {
  let group: Row[] = [];
  let current: string | null = null;
  for await (const row of rows) {
    const next = key(row);
    if (current !== null && next !== current) {
      yield group;
      group = [];
    }
    current = next;
    group.push(row);
  }
  if (group.length > 0) yield group;
}
