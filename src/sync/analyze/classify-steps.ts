// The classify-fields and classify-tables steps (sync-engine.md 5.4, 5.5): no warehouse query; one transaction per
// table's classifications, rows re-read and locked inside it so that a concurrent user edit is never overwritten.
import { qualifiedName } from '../../catalog/names.ts';
import { chunks } from '../../catalog/table-rows.ts';
import { catalogWrite, lockRows, type SyncContext } from '../context.ts';
import { errorInfo, rethrowIfFatal, throwIfAborted } from '../errors.ts';
import type { StepReport } from '../step-report.ts';
import {
  saveClassification,
  selectFieldsToClassify,
  selectTablesForEntityTypes,
  selectTablesToClassify,
  setEntityType,
  type ClassificationChanges,
  type FieldToClassify,
  type TableToAnalyze,
} from './analyze-rows.ts';
import { classifyField } from './classify-fields.ts';
import { entityTypeFor } from './classify-tables.ts';

export const CLASSIFY_FIELDS_KEYS = [
  'fields-classified',
  'fields-failed',
  'semantic-types-set',
  'auto-list-set',
  'preview-display-off',
] as const;

export const CLASSIFY_TABLES_KEYS = ['total-tables', 'tables-classified'] as const;

type TableRow = TableToAnalyze;

interface FieldOutcome {
  readonly changes: ClassificationChanges;
  readonly failures: readonly string[];
}

/** The classifiers' result as column changes, failures as messages (an unreadable fingerprint fails them all). */
export function fieldOutcome(field: FieldToClassify): FieldOutcome {
  const result = classifyField(field);
  const failures = [
    ...(field.fingerprintError === null ? [] : [field.fingerprintError]),
    ...result.failures.map((f) => `${f.classifier} classifier: ${f.message}`),
  ];
  const changes: { -readonly [K in keyof ClassificationChanges]: ClassificationChanges[K] } = {};
  if (result.semanticType !== field.semanticType) changes.semantic_type = result.semanticType;
  if (result.hasFieldValues !== field.hasFieldValues) changes.has_field_values = result.hasFieldValues;
  if (result.previewDisplay !== field.previewDisplay) changes.preview_display = result.previewDisplay;
  return { changes, failures };
}

export async function classifyFields(ctx: SyncContext, report: StepReport, tableIds: readonly number[]): Promise<void> {
  report.init(CLASSIFY_FIELDS_KEYS);
  throwIfAborted(ctx.job.signal);
  for (const chunk of chunks([...tableIds].sort((a, b) => a - b), 1000)) {
    throwIfAborted(ctx.job.signal);
    for (const table of await selectTablesToClassify(ctx.appDb.db, chunk)) {
      try {
        await classifyTableFields(ctx, report, table);
      } catch (error) {
        rethrowIfFatal(error, ctx.job.signal);
        report.failure(qualifiedName(table.schema, table.name), errorInfo(error));
      }
    }
  }
}

async function classifyTableFields(ctx: SyncContext, report: StepReport, table: TableRow): Promise<void> {
  const counts = { classified: 0, failed: 0, semantic: 0, list: 0, preview: 0 };
  const failures: { object: string; message: string }[] = [];
  await catalogWrite(ctx, async (trx) => {
    const now = ctx.appDb.now();
    for (const field of await selectFieldsToClassify(trx, table.id, lockRows(ctx))) {
      const { changes, failures: failed } = fieldOutcome(field);
      await saveClassification(trx, field.id, changes, now);
      counts.classified++;
      if (failed.length > 0) counts.failed++;
      const object = qualifiedName(table.schema, table.name, field.name);
      for (const message of failed) failures.push({ object, message });
      if ('semantic_type' in changes) counts.semantic++;
      if (changes.has_field_values === 'auto-list') counts.list++;
      if (changes.preview_display === false) counts.preview++;
    }
  });
  report.add('fields-classified', counts.classified);
  report.add('fields-failed', counts.failed);
  report.add('semantic-types-set', counts.semantic);
  report.add('auto-list-set', counts.list);
  report.add('preview-display-off', counts.preview);
  for (const { object, message } of failures) report.failure(object, { code: 'CLASSIFIER_FAILED', message });
}

export async function classifyTables(ctx: SyncContext, report: StepReport, tableIds: readonly number[]): Promise<void> {
  report.init(CLASSIFY_TABLES_KEYS);
  throwIfAborted(ctx.job.signal);
  for (const chunk of chunks([...tableIds].sort((a, b) => a - b), 1000)) {
    throwIfAborted(ctx.job.signal);
    try {
      const counts = await catalogWrite(ctx, async (trx) => {
        const tables = await selectTablesForEntityTypes(trx, chunk, lockRows(ctx));
        const byType = new Map<string, number[]>();
        for (const table of tables) {
          if (table.entityType !== null || table.userSet.has('entity_type')) continue;
          const entityType = entityTypeFor(table.name);
          byType.set(entityType, [...(byType.get(entityType) ?? []), table.id]);
        }
        const now = ctx.appDb.now();
        for (const [entityType, ids] of byType) await setEntityType(trx, ids, entityType, now);
        return { total: tables.length, classified: [...byType.values()].reduce((n, ids) => n + ids.length, 0) };
      });
      report.add('total-tables', counts.total);
      report.add('tables-classified', counts.classified);
    } catch (error) {
      rethrowIfFatal(error, ctx.job.signal);
      report.failure(`tables ${chunk[0]}–${chunk[chunk.length - 1]}`, errorInfo(error));
    }
  }
}
