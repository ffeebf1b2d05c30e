// One matching pass of the reconciliation (sync-engine.md sections 3.2.2 and 3.3.2): reported objects meet stored
// rows by a key, and a pair counts only when it is unambiguous both ways (exactly one candidate on each side).

export interface MatchResult<R, S> {
  readonly pairs: readonly (readonly [R, S])[];
  readonly reported: readonly R[];
  readonly stored: readonly S[];
}

/** Objects whose key is null take no part in the pass and stay unmatched. */
export function matchUnambiguous<R, S>(
  reported: readonly R[],
  stored: readonly S[],
  reportedKey: (r: R) => string | null,
  storedKey: (s: S) => string | null,
): MatchResult<R, S> {
  const storedByKey = new Map<string, S[]>();
  for (const s of stored) {
    const key = storedKey(s);
    if (key === null) continue;
    const list = storedByKey.get(key);
    if (list) list.push(s);
    else storedByKey.set(key, [s]);
  }
  const reportedCount = new Map<string, number>();
  for (const r of reported) {
    const key = reportedKey(r);
    if (key !== null) reportedCount.set(key, (reportedCount.get(key) ?? 0) + 1);
  }
  const pairs: (readonly [R, S])[] = [];
  const matchedStored = new Set<S>();
  const unmatchedReported: R[] = [];
  for (const r of reported) {
    const key = reportedKey(r);
    const candidates = key === null ? undefined : storedByKey.get(key);
    if (key !== null && candidates?.length === 1 && reportedCount.get(key) === 1) {
      pairs.push([r, candidates[0]]);
      matchedStored.add(candidates[0]);
    } else {
      unmatchedReported.push(r);
    }
  }
  return { pairs, reported: unmatchedReported, stored: stored.filter((s) => !matchedStored.has(s)) };
}
