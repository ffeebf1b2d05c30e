// MySQL/MariaDB statement of a field's summary (GET /api/field/:id/summary): row count and distinct count; no schema.
// Pure.
import type { TableRef } from '../driver.ts';
import type { CatalogQuery } from './mysql-introspector.ts';
import { quoteIdentifier } from './mysql-sampling.ts';

export function fieldSummaryQuery(table: TableRef, field: string): CatalogQuery {
  const column = quoteIdentifier(field);
  return { text: `SELECT COUNT(*), COUNT(DISTINCT ${column}) FROM ${quoteIdentifier(table.name)}`, values: [] };
}
