// PostgreSQL statement of a field's summary (GET /api/field/:id/summary): row count and distinct count. Pure.
import type { TableRef } from '../driver.ts';
import { quoteIdentifier, quoteTable } from '../identifiers.ts';
import type { CatalogQuery } from './postgres-introspector.ts';

export function fieldSummaryQuery(table: TableRef, field: string): CatalogQuery {
  return { text: `SELECT count(*), count(DISTINCT ${quoteIdentifier(field)}) FROM ${quoteTable(table)}`, values: [] };
}
