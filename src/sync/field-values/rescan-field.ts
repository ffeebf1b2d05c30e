// POST /api/field/:id/rescan_values (curation-notes.md 1.2): one field's values refreshed at once, outside any job, by
// the rules of the field-values phase (sync-engine.md 6): the same bounded distinct-values query, caps and write
// rules, the data-scanning switch read first, the rows read and locked inside the write transaction.
import type { AppDb } from '../../db/connect.ts';
import type { WarehouseDriver } from '../../drivers/driver.ts';
import { capValues, VALUES_QUERY_LIMIT } from './caps.ts';
import { isEligible } from './eligibility.ts';
import {
  clearHasFieldValues,
  deleteValuesRows,
  fullSyncEnabled,
  insertValues,
  lockFieldFacts,
  lockValuesRow,
  updateValues,
} from './values-rows.ts';
import { decideValues } from './write-rules.ts';

/** `cleared`: the field may not have values (its row, if any, was deleted); `disabled`: is_full_sync is false. */
export type RescanOutcome = 'scanned' | 'cleared' | 'disabled';

export async function rescanFieldValues(
  appDb: AppDb,
  driver: WarehouseDriver,
  databaseId: number,
  fieldId: number,
  signal: AbortSignal,
): Promise<RescanOutcome> {
  const forUpdate = appDb.kind === 'postgres';
  const clear = () =>
    appDb.db.transaction().execute(async (trx) => {
      await deleteValuesRows(trx, [fieldId]);
      return 'cleared' as const;
    });
  const [facts] = await lockFieldFacts(appDb.db, [fieldId], false);
  if (facts === undefined || !isEligible(facts)) return await clear();
  if (!(await fullSyncEnabled(appDb.db, databaseId))) return 'disabled';
  const ref = { schema: facts.tableSchema, name: facts.tableName };
  const [distinct] = await driver.distinctValues(ref, [facts.name], { limit: VALUES_QUERY_LIMIT }, signal);
  const scanned = capValues(distinct ?? []);
  return await appDb.db.transaction().execute(async (trx) => {
    const [now] = await lockFieldFacts(trx, [fieldId], forUpdate);
    const stored = await lockValuesRow(trx, fieldId, forUpdate);
    if (now === undefined || !isEligible(now)) {
      await deleteValuesRows(trx, [fieldId]);
      return 'cleared';
    }
    const action = decideValues({ hasFieldValues: now.hasFieldValues!, userSet: now.userSet }, stored, scanned);
    const at = appDb.now();
    if (action.kind === 'demote') {
      await clearHasFieldValues(trx, fieldId, at);
      await deleteValuesRows(trx, [fieldId]);
    } else if (action.kind !== 'unchanged') {
      if (stored === null) await insertValues(trx, fieldId, action, at);
      else await updateValues(trx, stored.id, action, at);
    }
    return 'scanned';
  });
}
