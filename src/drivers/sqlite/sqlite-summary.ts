// SQLite statement of a field's summary (GET /api/field/:id/summary): row count and distinct count; no schema. Pure.
import type { TableRef } from '../driver.ts';
import { quoteIdentifier } from '../identifiers.ts';
import type { CatalogQuery } from './sqlite-introspector.ts';

export function fieldSummaryQuery(table: TableRef, field: string): CatalogQuery {
  const column = quoteIdentifier(field);
  return { sql: `SELECT count(*), count(DISTINCT ${column}) FROM ${quoteIdentifier(table.name)}`, params: [] };
}
