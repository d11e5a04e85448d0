import { canonicalJson, sha256 } from '../../core/hash.js';
import type { Json } from '../../core/types.js';
import type { AssertSpec } from './spec.js';
import type { MetricOutcome } from './types.js';

/** How one row ended: its asserts' verdict, or an error of the target (no answer to grade). */
export interface RowVerdict {
  pass: boolean;
  /** The target failed on this row (a provider error, a timeout); such a row counts as failed. */
  error?: boolean;
}

/** The outcome of a run, as `labctl eval` reports it and `labctl.evaluation_runs` stores it. */
export interface RunSummary {
  rows: number;
  passed: number;
  /** Rows that did not pass, errors included. */
  failed: number;
  errors: number;
  /** passed / rows; 0 for an empty dataset. */
  passRate: number;
  threshold: number;
  metrics: MetricOutcome[];
  /** `passed` when the pass rate reaches the threshold and every metric passes. */
  status: 'passed' | 'failed';
}

/** Sum up a run: the pass rate over rows against the threshold, and the dataset-level metrics. */
export function summariseRun(rows: readonly RowVerdict[], metrics: readonly MetricOutcome[], threshold: { pass_rate: number }): RunSummary {
  const passed = rows.filter((r) => r.pass && !r.error).length;
  const errors = rows.filter((r) => r.error).length;
  const passRate = rows.length === 0 ? 0 : passed / rows.length;
  const ok = rows.length > 0 && passRate >= threshold.pass_rate && metrics.every((m) => m.pass);
  return { rows: rows.length, passed, failed: rows.length - passed, errors, passRate, threshold: threshold.pass_rate, metrics: [...metrics], status: ok ? 'passed' : 'failed' };
}

/**
 * The digest of an assert set: SHA-256 of the canonical JSON of the normalised asserts and the
 * threshold. A gate asks for a run with this digest, so a run graded by other asserts never counts.
 */
export function assertSetDigest(asserts: readonly AssertSpec[], threshold: { pass_rate: number }): string {
  return sha256(canonicalJson({ asserts: asserts as unknown as Json[], threshold }));
}
