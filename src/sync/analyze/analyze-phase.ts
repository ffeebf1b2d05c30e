// The analyze phase (sync-engine.md 1.2, 5, 7 and 9): fingerprint-fields, classify-fields and classify-tables over
// the phase's synced tables, under one `analyze` operation row (the step loop and stop rules of phase.ts).
// fingerprint-fields is essential: its failure fails the operation.
import type { PhaseScope } from '../../jobs/types.ts';
import type { SyncContext } from '../context.ts';
import { runPhase, type PhaseOutcome } from '../phase.ts';
import type { TaskHistory } from '../task-history.ts';
import { classifyFields, classifyTables } from './classify-steps.ts';
import { fingerprintFields } from './fingerprint-fields.ts';

export const ANALYZE_STEPS = ['fingerprint-fields', 'classify-fields', 'classify-tables'] as const;
const ESSENTIAL_STEPS: ReadonlySet<string> = new Set(['fingerprint-fields']);

type StepName = (typeof ANALYZE_STEPS)[number];

/** Runs the phase on `tableIds`, the synced tables of its scope as resolved after the metadata phase (1.4). */
export async function runAnalyzePhase(
  ctx: SyncContext,
  scope: PhaseScope,
  tableIds: readonly number[],
  history: TaskHistory,
): Promise<PhaseOutcome> {
  return runPhase<StepName>(ctx, history, {
    task: 'analyze',
    phase: 'analyze',
    scope,
    steps: ANALYZE_STEPS,
    essential: ESSENTIAL_STEPS,
    run: {
      'fingerprint-fields': (r) => fingerprintFields(ctx, r, tableIds),
      'classify-fields': (r) => classifyFields(ctx, r, tableIds),
      'classify-tables': (r) => classifyTables(ctx, r, tableIds),
    },
  });
}
