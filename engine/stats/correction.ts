// Multiple-testing corrections over a family of p-values (e.g. primary and secondary metrics ×
// variants). Both return adjusted p-values in the input order, capped at 1, so a caller compares
// each with alpha as if it were alone.

function checkP(pValues: readonly number[]): void {
  for (const [i, p] of pValues.entries()) if (!(p >= 0 && p <= 1)) throw new RangeError(`pValues[${i}] must be in [0, 1], got ${p}`);
}

/** Holm–Bonferroni step-down: controls the family-wise error rate under any dependence. */
export function holm(pValues: number[]): number[] {
  checkP(pValues);
  const m = pValues.length;
  const order = pValues.map((_, i) => i).sort((a, b) => pValues[a]! - pValues[b]!);
  const out = new Array<number>(m);
  let running = 0;
  order.forEach((idx, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * pValues[idx]!));
    out[idx] = running;
  });
  return out;
}

/** Benjamini–Hochberg step-up: controls the false discovery rate for independent or positively dependent tests. */
export function benjaminiHochberg(pValues: number[]): number[] {
  checkP(pValues);
  const m = pValues.length;
  const order = pValues.map((_, i) => i).sort((a, b) => pValues[b]! - pValues[a]!);
  const out = new Array<number>(m);
  let running = 1;
  order.forEach((idx, k) => {
    const rank = m - k; // 1-based rank in ascending order
    running = Math.min(running, Math.min(1, (m * pValues[idx]!) / rank));
    out[idx] = running;
  });
  return out;
}
