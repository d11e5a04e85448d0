import { meanArm, standardEffect, welchDof, type Arm, type Effect } from './arms.js';
import { cupedArms, cupedRelativeVariance } from './cuped.js';
import { meanOf } from './moments.js';
import { ratioArm } from './ratio.js';
import { sequentialTest } from './sequential.js';
import { welchTest } from './ttest.js';
import type { Alternative, CompareOptions, Comparison, ComparisonError, VariantStats } from './types.js';

export const DEFAULT_ALPHA = 0.05;
export const DEFAULT_TUNING = 5000;

const ALTERNATIVES: readonly Alternative[] = ['two-sided', 'greater', 'less'];

/** Every number of the sufficient statistics must be finite: a NULL read as NaN is a bug upstream. */
function checkStats(label: string, s: VariantStats): void {
  for (const [k, v] of Object.entries(s)) {
    if (k !== 'type' && !Number.isFinite(v)) throw new RangeError(`${label}.${k} must be a finite number, got ${String(v)}`);
  }
  if (s.n < 0) throw new RangeError(`${label}.n must not be negative, got ${s.n}`);
}

interface Settings {
  relative: boolean;
  alpha: number;
  alternative: Alternative;
  tuning: number | null;
}

function settings(opts: CompareOptions): Settings {
  const difference = opts.difference ?? 'relative';
  if (difference !== 'relative' && difference !== 'absolute') throw new RangeError(`difference must be 'relative' or 'absolute', got ${String(difference)}`);
  const alpha = opts.alpha ?? DEFAULT_ALPHA;
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${alpha}`);
  const alternative = opts.alternative ?? 'two-sided';
  if (!ALTERNATIVES.includes(alternative)) throw new RangeError(`alternative must be one of ${ALTERNATIVES.join(', ')}, got ${String(alternative)}`);
  const tuning = opts.sequential ? (opts.sequential.tuning ?? DEFAULT_TUNING) : null;
  if (tuning !== null && !(tuning > 0 && Number.isFinite(tuning))) throw new RangeError(`sequential.tuning must be a positive number, got ${tuning}`);
  return { relative: difference === 'relative', alpha, alternative, tuning };
}

/** The two arms and the lift with its sampling variance, by metric type. */
function armsAndEffect(control: VariantStats, treatment: VariantStats, relative: boolean): { c: Arm; t: Arm; effect: () => Effect } {
  if (control.type === 'cuped' && treatment.type === 'cuped') {
    const arms = cupedArms(control, treatment);
    const { control: c, treatment: t } = arms;
    if (arms.theta !== 0 && relative) {
      // The adjusted relative lift has its own delta-method variance (the denominator is unadjusted).
      const effect = () => ({ estimate: (t.mean - c.mean) / Math.abs(c.unadjustedMean), variance: cupedRelativeVariance(control, treatment, arms.theta) });
      return { c, t, effect };
    }
    return { c, t, effect: () => standardEffect(c, t, relative) };
  }
  if (control.type === 'ratio' && treatment.type === 'ratio') {
    const c = ratioArm(control);
    const t = ratioArm(treatment);
    return { c, t, effect: () => standardEffect(c, t, relative) };
  }
  if (control.type === 'mean' && treatment.type === 'mean') {
    const c = meanArm(control);
    const t = meanArm(treatment);
    return { c, t, effect: () => standardEffect(c, t, relative) };
  }
  throw new TypeError(`control and treatment must be the same type, got ${control.type} and ${treatment.type}`);
}

/**
 * Treatment against control: the lift (relative by default, delta method), its standard error, a
 * confidence interval and a p-value — a Welch t test (Welch–Satterthwaite df), or with `sequential`
 * a confidence sequence. When no test is possible, `error` says why and the result is neutral.
 */
export function compare(control: VariantStats, treatment: VariantStats, opts: CompareOptions = {}): Comparison {
  checkStats('control', control);
  checkStats('treatment', treatment);
  const { relative, alpha, alternative, tuning } = settings(opts);
  const means = { controlMean: meanOf(control), treatmentMean: meanOf(treatment) };
  const neutral = (error: ComparisonError): Comparison => ({ ...means, estimate: Number.NaN, se: Number.NaN, ci: [Number.NaN, Number.NaN], pValue: 1, error });

  if (control.type !== treatment.type) throw new TypeError(`control and treatment must be the same type, got ${control.type} and ${treatment.type}`);
  if (control.n < 2 || treatment.n < 2) return neutral('too_few_units');
  const { c, t, effect } = armsAndEffect(control, treatment, relative);
  if (!(c.variance > 0) || !(t.variance > 0)) return neutral('zero_variance');
  // Only a relative lift divides by the control mean; an absolute one is fine around 0.
  if (relative && (c.unadjustedMean === 0 || !Number.isFinite(c.unadjustedMean))) return neutral('zero_control_mean');
  const { estimate, variance } = effect();
  if (!(variance > 0) || !Number.isFinite(estimate)) return neutral('zero_variance');

  const se = Math.sqrt(variance);
  const test = tuning !== null ? sequentialTest(estimate, se, c.n + t.n, alpha, tuning, alternative) : welchTest(estimate, se, welchDof(c, t), alpha, alternative);
  return { ...means, estimate, se, ci: test.ci, pValue: test.pValue };
}
