// The one identifier quoting of the engines that quote with double quotes (PostgreSQL, DuckDB, SQLite): names are
// never put into SQL any other way. MySQL quotes with backticks in its own sampling module.
import type { TableRef } from './driver.ts';

export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** `"schema"."name"`, or `"name"` for a table without schema. */
export function quoteTable(table: TableRef): string {
  const name = quoteIdentifier(table.name);
  return table.schema === null ? name : `${quoteIdentifier(table.schema)}.${name}`;
}
