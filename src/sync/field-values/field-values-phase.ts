// The field-values phase (sync-engine.md sections 1.2, 6 and 7): one `field values scanning` operation row with its
// one step, `update-field-values`. Eligible fields of the synced tables in scope, oldest values first and at most
// MB_SYNC_MAX_FIELD_VALUES_FIELDS of them, are read table by table with bounded distinct-values queries, capped, and
// written one transaction per field; values rows of fields that are no longer eligible are deleted. A failing field
// or table is recorded and the rest go on; a connection or authentication error abandons the job.
import { qualifiedName } from '../../catalog/names.ts';
import { MAX_SCOPE_TABLES, type TableRef } from '../../drivers/driver.ts';
import { JobDeadlineExceeded, JobInterrupted, type PhaseScope } from '../../jobs/types.ts';
import { catalogWrite, lockRows, type SyncContext } from '../context.ts';
import { abandonsJob, errorInfo, rethrowIfFatal, throwIfAborted, type ErrorInfo } from '../errors.ts';
import { runPhase, SCANNING_DISABLED, type PhaseOutcome } from '../phase.ts';
import { StepReport } from '../step-report.ts';
import type { TaskHistory } from '../task-history.ts';
import { boundedValues, capValues, VALUES_QUERY_LIMIT, type CappedValues } from './caps.ts';
import { isEligible, planScan } from './eligibility.ts';
import {
  clearHasFieldValues,
  deleteValuesRows,
  fullSyncEnabled,
  insertValues,
  lockFieldFacts,
  lockValuesRow,
  selectCandidates,
  updateValues,
  type FieldFacts,
  type ValuesCandidate,
} from './values-rows.ts';
import { decideValues } from './write-rules.ts';

export const FIELD_VALUES_OPERATION = 'field values scanning';
export const FIELD_VALUES_STEP = 'update-field-values';

/** The counters of the step row, in this order (7.3). */
export const FIELD_VALUES_COUNTERS = [
  'fields-eligible',
  'fields-scanned',
  'created',
  'updated',
  'unchanged',
  'deleted',
  'demoted-auto-list',
  'truncated',
  'errors',
  'deferred',
  'budgeted',
] as const;

/** Rows of clean-up deleted per transaction. */
const CLEANUP_CHUNK = 1000;

export async function runFieldValuesPhase(
  ctx: SyncContext,
  scope: PhaseScope,
  tableIds: readonly number[],
  history: TaskHistory,
): Promise<PhaseOutcome> {
  return runPhase(ctx, history, {
    task: FIELD_VALUES_OPERATION,
    phase: 'field-values',
    scope,
    steps: [FIELD_VALUES_STEP],
    essential: new Set([FIELD_VALUES_STEP]),
    run: { [FIELD_VALUES_STEP]: (report: StepReport) => updateFieldValues(ctx, report, scope, tableIds) },
    report: () => new StepReport().init(FIELD_VALUES_COUNTERS),
  });
}

/** The `update-field-values` step: clean-up of rows no longer eligible, then the scan, table after table. */
async function updateFieldValues(
  ctx: SyncContext,
  report: StepReport,
  scope: PhaseScope,
  tableIds: readonly number[],
): Promise<void> {
  const synced = new Set(tableIds);
  const inScope = scope.database === true ? 'database' : [...new Set([...(scope.tables ?? []), ...tableIds])];
  const eligibleHere = (field: FieldFacts) => synced.has(field.tableId) && isEligible(field);
  const candidates = await selectCandidates(ctx.appDb.db, ctx.databaseId, inScope);
  const eligible = candidates.filter(eligibleHere);
  report.set('fields-eligible', eligible.length);

  const stale = candidates.filter((c) => c.hasValuesRow && !eligibleHere(c));
  for (let i = 0; i < stale.length; i += CLEANUP_CHUNK) {
    await deleteStale(ctx, report, stale.slice(i, i + CLEANUP_CHUNK), eligibleHere);
  }

  const plan = planScan(eligible, ctx.config.maxFieldValuesFields);
  report.set('deferred', plan.deferred);
  const estimates = await tableEstimates(ctx, report, plan.tables.map((t) => t.fields));
  for (const [index, table] of plan.tables.entries()) {
    throwIfAborted(ctx.job.signal);
    ctx.progress?.tables(index, plan.tables.length);
    const [first] = table.fields;
    const ref: TableRef = { schema: first.tableSchema, name: first.tableName };
    const estimate = estimates.get(first.tableId) ?? null;
    const read =
      (await readBudgeted(ctx, report, ref, table.fields, estimate)) ?? (await readDistinct(ctx, report, ref, table.fields));
    for (const [field, values] of read.lists) {
      const scanned = read.bounded?.has(field) ? boundedValues(values) : capValues(values);
      await writeValues(ctx, report, field, scanned, eligibleHere);
    }
    if (read.unread > 0) {
      // is_full_sync was turned off meanwhile (6.5): the fields not read yet wait for a later run.
      const later = plan.tables.slice(index + 1).reduce((n, t) => n + t.fields.length, 0);
      report.add('deferred', read.unread + later);
      report.set('skipped', SCANNING_DISABLED);
      report.log('warn', `${SCANNING_DISABLED}: the scan stopped at ${qualifiedName(ref.schema, ref.name)}`);
      return;
    }
  }
}

/** Deletes the values rows of fields that are still ineligible when the transaction reads them (6.3 rule 5). */
async function deleteStale(
  ctx: SyncContext,
  report: StepReport,
  fields: readonly ValuesCandidate[],
  eligibleHere: (field: FieldFacts) => boolean,
): Promise<void> {
  const remove = (ids: readonly number[]) =>
    catalogWrite(ctx, async (trx) => {
      const facts = await lockFieldFacts(trx, ids, lockRows(ctx));
      return deleteValuesRows(trx, facts.filter((f) => !eligibleHere(f)).map((f) => f.fieldId));
    });
  try {
    report.add('deleted', await remove(fields.map((f) => f.fieldId)));
  } catch (thrown) {
    rethrowIfFatal(thrown, ctx.job.signal);
    for (const field of fields) {
      try {
        report.add('deleted', await remove([field.fieldId]));
      } catch (single) {
        rethrowIfFatal(single, ctx.job.signal);
        fieldFailed(report, field, single);
      }
    }
  }
}

interface TableRead {
  readonly lists: ReadonlyMap<ValuesCandidate, readonly unknown[]>;
  /** Fields left unread because is_full_sync was turned off before their query. */
  readonly unread: number;
  /** Fields whose values come from a bounded read under the row budget. */
  readonly bounded?: ReadonlySet<ValuesCandidate>;
}

/**
 * Each planned table's row estimate, by table id, when a budget applies: the catalog's estimated_row_count where the
 * engine's listing has statistics, else one driver call per 500 tables (MySQL's TABLE_ROWS). A failure costs the
 * budget, not the scan: the tables it covers keep the exact query.
 */
async function tableEstimates(
  ctx: SyncContext,
  report: StepReport,
  tables: readonly (readonly ValuesCandidate[])[],
): Promise<ReadonlyMap<number, number | null>> {
  const estimates = new Map<number, number | null>();
  if (ctx.config.fieldValuesRowBudget === 0 || !ctx.driver.budgetedValues) return estimates;
  if (ctx.capabilities.rowCountEstimates) {
    for (const [first] of tables) estimates.set(first.tableId, first.tableEstimate);
    return estimates;
  }
  if (!ctx.driver.rowEstimates) return estimates;
  for (let i = 0; i < tables.length; i += MAX_SCOPE_TABLES) {
    const firsts = tables.slice(i, i + MAX_SCOPE_TABLES).map(([first]) => first);
    try {
      const refs = firsts.map((f) => ({ schema: f.tableSchema, name: f.tableName }));
      const found = await ctx.driver.rowEstimates(refs, ctx.job.signal);
      firsts.forEach((first, k) => estimates.set(first.tableId, found[k] ?? null));
    } catch (thrown) {
      rethrowIfFatal(thrown, ctx.job.signal);
      if (abandonsJob(thrown)) throw thrown;
      const { code, message } = errorInfo(thrown);
      report.log('warn', `no row estimates (${code}: ${message}); those tables get the exact query`);
    }
  }
  return estimates;
}

/**
 * Field values with a cost budget (issue 11, in place of 4.5's single query for large tables): null when there is no
 * budget, the driver keeps no statistics, or the table's estimate is within the budget (the exact query then runs).
 * Otherwise one query per field: an exact loose index scan where an index leads with the column, else a bounded read
 * of at most MB_SYNC_FIELD_VALUES_ROW_BUDGET rows, counted as `budgeted`.
 */
async function readBudgeted(
  ctx: SyncContext,
  report: StepReport,
  table: TableRef,
  fields: readonly ValuesCandidate[],
  estimate: number | null,
): Promise<TableRead | null> {
  const { driver } = ctx;
  const rowBudget = ctx.config.fieldValuesRowBudget;
  const signal = ctx.job.signal;
  if (rowBudget === 0 || !driver.budgetedValues) return null;
  if (estimate === null || estimate <= rowBudget) return null;
  const lists = new Map<ValuesCandidate, readonly unknown[]>();
  const bounded = new Set<ValuesCandidate>();
  const opts = { limit: VALUES_QUERY_LIMIT, rowBudget, estimate };
  for (const [i, field] of fields.entries()) {
    if (!(await fullSyncEnabled(ctx.appDb.db, ctx.databaseId))) return { lists, unread: fields.length - i, bounded };
    report.add('fields-scanned');
    try {
      const read = await driver.budgetedValues(table, { name: field.name, indexed: field.indexed }, opts, signal);
      lists.set(field, read.values);
      if (!read.exact) {
        bounded.add(field);
        report.add('budgeted');
      }
    } catch (thrown) {
      rethrowIfFatal(thrown, signal);
      if (abandonsJob(thrown)) throw thrown;
      fieldFailed(report, field, thrown);
    }
  }
  return { lists, unread: 0, bounded };
}

/**
 * The distinct values of one table's fields: one batched query where the driver can batch, otherwise one query per
 * field. A batch that fails is asked again field by field, so that a failure is recorded against its own field. The
 * data-scanning switch is read again before every query (6.5).
 */
async function readDistinct(
  ctx: SyncContext,
  report: StepReport,
  table: TableRef,
  fields: readonly ValuesCandidate[],
): Promise<TableRead> {
  const signal = ctx.job.signal;
  const opts = { limit: VALUES_QUERY_LIMIT };
  const lists = new Map<ValuesCandidate, readonly unknown[]>();
  if (ctx.capabilities.batchedDistinctValues && fields.length > 1) {
    if (!(await fullSyncEnabled(ctx.appDb.db, ctx.databaseId))) return { lists, unread: fields.length };
    try {
      const values = await ctx.driver.distinctValues(table, fields.map((f) => f.name), opts, signal);
      report.add('fields-scanned', fields.length);
      fields.forEach((field, i) => lists.set(field, values[i]));
      return { lists, unread: 0 };
    } catch (thrown) {
      rethrowIfFatal(thrown, signal);
      if (abandonsJob(thrown)) throw thrown;
      const { code, message } = errorInfo(thrown);
      const name = qualifiedName(table.schema, table.name);
      report.log('warn', `${name}: the batched query failed (${code}: ${message}); asking field by field`);
    }
  }
  for (const [i, field] of fields.entries()) {
    if (!(await fullSyncEnabled(ctx.appDb.db, ctx.databaseId))) return { lists, unread: fields.length - i };
    report.add('fields-scanned');
    try {
      const [values] = await ctx.driver.distinctValues(table, [field.name], opts, signal);
      lists.set(field, values);
    } catch (thrown) {
      rethrowIfFatal(thrown, signal);
      if (abandonsJob(thrown)) throw thrown;
      fieldFailed(report, field, thrown);
    }
  }
  return { lists, unread: 0 };
}

/** One field's values in one transaction, decided on the rows as the transaction reads them (6.3). */
async function writeValues(
  ctx: SyncContext,
  report: StepReport,
  field: ValuesCandidate,
  scanned: CappedValues,
  eligibleHere: (field: FieldFacts) => boolean,
): Promise<void> {
  try {
    const counter = await catalogWrite(ctx, async (trx) => {
      const [facts] = await lockFieldFacts(trx, [field.fieldId], lockRows(ctx));
      const stored = await lockValuesRow(trx, field.fieldId, lockRows(ctx));
      if (facts === undefined || !eligibleHere(facts)) {
        // It stopped being eligible while its values were read: the clean-up rule applies (6.3 rule 5).
        if (stored === null) return null;
        await deleteValuesRows(trx, [field.fieldId]);
        return 'deleted';
      }
      const now = ctx.appDb.now();
      const action = decideValues({ hasFieldValues: facts.hasFieldValues!, userSet: facts.userSet }, stored, scanned);
      switch (action.kind) {
        case 'demote':
          await clearHasFieldValues(trx, field.fieldId, now);
          await deleteValuesRows(trx, [field.fieldId]);
          return 'demoted-auto-list';
        case 'unchanged':
          return 'unchanged';
        case 'create':
        case 'update':
          if (stored === null) await insertValues(trx, field.fieldId, action, now);
          else await updateValues(trx, stored.id, action, now);
          return action.kind === 'create' ? 'created' : 'updated';
      }
    });
    if (counter !== null) report.add(counter);
    const kept = counter === 'created' || counter === 'updated' || counter === 'unchanged';
    if (kept && scanned.hasMoreValues && scanned.bounded !== true) report.add('truncated');
  } catch (thrown) {
    rethrowIfFatal(thrown, ctx.job.signal);
    fieldFailed(report, field, thrown);
  }
}

function fieldFailed(report: StepReport, field: FieldFacts, error: unknown): void {
  report.add('errors');
  report.failure(qualifiedName(field.tableSchema, field.tableName, field.name), errorInfo(error));
}
