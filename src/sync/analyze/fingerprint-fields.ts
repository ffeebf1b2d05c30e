// The fingerprint-fields step (sync-engine.md 5.1–5.3, 6.5): one bounded sample query per table for the fields that
// need a fingerprint, folded into per-field accumulators as rows arrive, one transaction per table's fingerprints.
// A failing table is counted and the next one goes on; is_full_sync is read again before every sample query.
import { qualifiedName } from '../../catalog/names.ts';
import { chunks } from '../../catalog/table-rows.ts';
import { SAMPLE_ROW_LIMIT, SAMPLE_TEXT_TRUNCATE, type SampleField } from '../../drivers/driver.ts';
import { isa, isFingerprintable } from '../../drivers/types.ts';
import { catalogWrite, type SyncContext } from '../context.ts';
import { SCANNING_DISABLED } from '../phase.ts';
import { abandonsJob, errorInfo, rethrowIfFatal, throwIfAborted } from '../errors.ts';
import type { StepReport } from '../step-report.ts';
import {
  readIsFullSync,
  saveFingerprint,
  selectFingerprintCandidates,
  type FingerprintCandidate,
} from './analyze-rows.ts';
import { FieldFingerprinter } from './fingerprint.ts';

export const FINGERPRINT_KEYS = [
  'fingerprints-attempted',
  'updated-fingerprints',
  'no-data-fingerprints',
  'failed-fingerprints',
  'tables-sampled',
  'tables-failed',
  'rows-sampled',
  'deferred-fields',
] as const;

/** Candidates that need a fingerprint (5.1: the base type must be fingerprintable), grouped by table in id order. */
export function groupByTable(candidates: readonly FingerprintCandidate[]): FingerprintCandidate[][] {
  const groups: FingerprintCandidate[][] = [];
  for (const candidate of candidates) {
    if (!isFingerprintable(candidate.baseType)) continue;
    const last = groups[groups.length - 1];
    if (last !== undefined && last[0].tableId === candidate.tableId) last.push(candidate);
    else groups.push([candidate]);
  }
  return groups;
}

/** Fingerprints fields of the given synced tables, at most MB_SYNC_MAX_FINGERPRINT_FIELDS of them (the rest wait). */
export async function fingerprintFields(
  ctx: SyncContext,
  report: StepReport,
  tableIds: readonly number[],
): Promise<void> {
  report.init(FINGERPRINT_KEYS);
  throwIfAborted(ctx.job.signal);
  let budget = ctx.config.maxFingerprintFields;
  let disabled = false;
  for (const chunk of chunks([...tableIds].sort((a, b) => a - b), 1000)) {
    throwIfAborted(ctx.job.signal);
    for (const fields of groupByTable(await selectFingerprintCandidates(ctx.appDb.db, chunk))) {
      const attempted = disabled ? [] : fields.slice(0, budget);
      report.add('deferred-fields', fields.length - attempted.length);
      if (attempted.length === 0) continue;
      throwIfAborted(ctx.job.signal);
      if (!(await readIsFullSync(ctx.appDb.db, ctx.databaseId))) {
        disabled = true;
        report.log('warn', `${SCANNING_DISABLED}: fingerprinting stopped`);
        report.add('deferred-fields', attempted.length);
        continue;
      }
      budget -= attempted.length;
      await fingerprintTable(ctx, report, attempted);
    }
  }
}

async function fingerprintTable(ctx: SyncContext, report: StepReport, fields: readonly FingerprintCandidate[]) {
  const signal = ctx.job.signal;
  const { tableSchema, tableName } = fields[0];
  const sampleFields: SampleField[] = fields.map((f) => ({ name: f.name, truncateText: isa(f.baseType, 'type/Text') }));
  const fingerprinters = fields.map((f) => new FieldFingerprinter(f));
  report.add('fingerprints-attempted', fields.length);
  let rows = 0;
  try {
    const sample = ctx.driver.sampleRows(
      { schema: tableSchema, name: tableName },
      sampleFields,
      { limit: SAMPLE_ROW_LIMIT, textTruncate: SAMPLE_TEXT_TRUNCATE },
      signal,
    );
    for await (const row of sample) {
      rows++;
      for (let i = 0; i < fingerprinters.length; i++) fingerprinters[i].add(row[i]);
    }
  } catch (error) {
    rethrowIfFatal(error, signal);
    if (abandonsJob(error)) throw error;
    report.add('tables-failed');
    report.add('failed-fingerprints', fields.length);
    report.failure(qualifiedName(tableSchema, tableName), errorInfo(error));
    return;
  }
  report.add('tables-sampled');
  report.add('rows-sampled', rows);
  if (rows === 0) {
    report.add('no-data-fingerprints', fields.length);
    return;
  }
  try {
    await catalogWrite(ctx, async (trx) => {
      const now = ctx.appDb.now();
      for (let i = 0; i < fields.length; i++) await saveFingerprint(trx, fields[i].id, fingerprinters[i].result(), now);
    });
  } catch (error) {
    rethrowIfFatal(error, signal);
    report.add('failed-fingerprints', fields.length);
    report.failure(qualifiedName(tableSchema, tableName), errorInfo(error));
    return;
  }
  report.add('updated-fingerprints', fields.length);
}
