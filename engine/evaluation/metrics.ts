import type { Json } from '../../core/types.js';
import type { MetricAssertType } from './catalog.js';
import type { AssertSpec } from './spec.js';
import type { MetricOutcome, Prediction } from './types.js';

// Dataset-level metrics over a model's predictions and the rows' `expected`. They pass at or above
// the threshold (accuracy, auc) or at or below it (rmse). Rows whose prediction or expected value
// cannot be read as the metric needs are left out and counted apart.

/** A number from a prediction or an expected value: numbers, numeric text (CSV cells), and booleans as 1/0. */
function numberOf(v: Json): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(v)) return Number(v);
  return undefined;
}

/** A score: a number, or the last entry of a list of class probabilities ([p(0), p(1)], as predict_proba gives). */
function scoreOf(v: Json): number | undefined {
  if (Array.isArray(v)) return v.length > 0 ? numberOf(v[v.length - 1]!) : undefined;
  return numberOf(v);
}

/** A binary label: 1, 0, true, false (or their text). */
function labelOf(v: Json): 0 | 1 | undefined {
  const n = numberOf(v);
  return n === 0 || n === 1 ? n : undefined;
}

/** Whether a prediction is the expected class: numbers compared as numbers, anything else as JSON. */
function sameClass(prediction: Json, expected: Json, cutoff: number | undefined): boolean | undefined {
  if (cutoff !== undefined) {
    const s = scoreOf(prediction);
    const l = labelOf(expected);
    return s === undefined || l === undefined ? undefined : (s >= cutoff ? 1 : 0) === l;
  }
  const p = numberOf(prediction);
  const e = numberOf(expected);
  if (p !== undefined && e !== undefined) return p === e;
  return JSON.stringify(prediction) === JSON.stringify(expected);
}

/** Share of rows predicted right. */
export function accuracy(pairs: readonly Prediction[], cutoff?: number): { value: number | null; rows: number } {
  let right = 0;
  let rows = 0;
  for (const p of pairs) {
    const same = sameClass(p.prediction, p.expected, cutoff);
    if (same === undefined) continue;
    rows++;
    if (same) right++;
  }
  return { value: rows === 0 ? null : right / rows, rows };
}

/**
 * Area under the ROC curve: the probability that a random positive row scores above a random
 * negative one, ties counting half (the Mann–Whitney U statistic over average ranks). It depends
 * only on the order of the scores, so any strictly increasing transform leaves it unchanged.
 */
export function auc(pairs: readonly Prediction[]): { value: number | null; rows: number } {
  const scored: Array<{ s: number; l: 0 | 1 }> = [];
  for (const p of pairs) {
    const s = scoreOf(p.prediction);
    const l = labelOf(p.expected);
    if (s !== undefined && l !== undefined) scored.push({ s, l });
  }
  const positives = scored.filter((x) => x.l === 1).length;
  const negatives = scored.length - positives;
  if (positives === 0 || negatives === 0) return { value: null, rows: scored.length };
  scored.sort((a, b) => a.s - b.s);
  let rankSum = 0;
  for (let i = 0; i < scored.length; ) {
    let j = i;
    while (j < scored.length && scored[j]!.s === scored[i]!.s) j++;
    // Ranks i+1 … j share their average.
    const rank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) if (scored[k]!.l === 1) rankSum += rank;
    i = j;
  }
  return { value: (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives), rows: scored.length };
}

/** Root mean squared error of numeric predictions. */
export function rmse(pairs: readonly Prediction[]): { value: number | null; rows: number } {
  let sum = 0;
  let rows = 0;
  for (const p of pairs) {
    const x = scoreOf(p.prediction);
    const y = numberOf(p.expected);
    if (x === undefined || y === undefined) continue;
    sum += (x - y) ** 2;
    rows++;
  }
  return { value: rows === 0 ? null : Math.sqrt(sum / rows), rows };
}

const WHY_NULL: Record<MetricAssertType, string> = {
  accuracy: 'no row has a prediction and an expected value that can be compared',
  auc: 'auc needs numeric scores and both classes (1 and 0) among the expected values',
  rmse: 'no row has a numeric prediction and a numeric expected value',
};

/** A metric assert over every row's prediction: its value, and whether it reaches the threshold. */
export function computeMetric(a: AssertSpec & { type: MetricAssertType }, pairs: readonly Prediction[]): MetricOutcome {
  const { value, rows } = a.type === 'accuracy' ? accuracy(pairs, a.cutoff) : a.type === 'auc' ? auc(pairs) : rmse(pairs);
  const threshold = a.threshold!;
  const skipped = pairs.length - rows;
  const note = skipped > 0 ? ` (${skipped} row${skipped === 1 ? '' : 's'} left out: prediction or expected unusable)` : '';
  if (value === null) return { type: a.type, value, threshold, pass: false, rows, reason: WHY_NULL[a.type] + note };
  const lowerIsBetter = a.type === 'rmse';
  const pass = lowerIsBetter ? value <= threshold : value >= threshold;
  const shown = Number(value.toPrecision(6));
  return { type: a.type, value, threshold, pass, rows, reason: `${a.type} ${shown} is ${pass ? (lowerIsBetter ? 'at most' : 'at least') : lowerIsBetter ? 'above' : 'below'} ${threshold}${note}` };
}
