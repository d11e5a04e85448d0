import { parseDuration } from '../../core/gates/duration.js';
import type { JsonObject } from '../../core/types.js';
import { benjaminiHochberg, compare, holm, srmTest, type Comparison, type CompareOptions, type VariantStats } from '../stats/index.js';
import { DEFAULT_SHIP, decide, parseShip, type DecisionRule } from './decision.js';
import type { MetricPlan, PlannedMetric } from './metric-plan.js';
import { summarise } from './summary.js';
import { SRM_THRESHOLD, type AnalysisSettings, type ExperimentResult, type MetricResult, type VariantResult } from './types.js';

/** Per-variant sums as the aggregate query returns them. */
export interface VariantSumsInput {
  units: number;
  sums: Record<string, number>;
}

export interface ReportInput {
  /** The normalised Experiment spec. */
  experiment: { name: string; spec: JsonObject };
  plan: MetricPlan;
  startedAt: Date | null;
  variants: ReadonlyMap<string, VariantSumsInput>;
  now: number;
}

/** The `analysis` block with defaults. */
export function analysisSettings(spec: JsonObject): AnalysisSettings {
  const a = (spec.analysis ?? {}) as Partial<{ alpha: number; difference: 'relative' | 'absolute'; correction: 'holm' | 'bh' | 'none'; sequential: boolean; tuning: number; cuped: boolean; cupedLookback: string }>;
  return {
    alpha: a.alpha ?? 0.05,
    difference: a.difference ?? 'relative',
    correction: a.correction ?? 'holm',
    sequential: a.sequential ?? false,
    tuning: a.tuning ?? 5000,
    cuped: a.cuped ?? false,
    cuped_lookback: a.cupedLookback ?? '14d',
  };
}

/** The `decision` block as a rule, with defaults (the default ship condition, no minimum, no limit). */
export function decisionRule(spec: JsonObject): DecisionRule {
  const d = (spec.decision ?? {}) as { ship?: string; minUnits?: number; maxDuration?: string };
  const text = d.ship ?? DEFAULT_SHIP;
  const parsed = parseShip(text);
  const max = d.maxDuration ? parseDuration(d.maxDuration) : undefined;
  return { text, clauses: parsed.ok ? parsed.clauses : [], minUnits: d.minUnits ?? 0, maxDurationSeconds: max?.ok ? max.seconds : null };
}

function statsOf(m: PlannedMetric, v: VariantSumsInput, cuped: boolean): VariantStats {
  const s = (k: string) => v.sums[k] ?? 0;
  if (m.shape.kind === 'ratio') {
    const { m: a, d: b } = m.shape;
    return { type: 'ratio', n: v.units, mSum: s(`s_${a}`), mSumSquares: s(`q_${a}`), dSum: s(`s_${b}`), dSumSquares: s(`q_${b}`), mdSum: s(`p_${a}_${b}`) };
  }
  const x = m.shape.x;
  if (cuped && m.shape.pre) {
    const p = m.shape.pre;
    return { type: 'cuped', n: v.units, sum: s(`s_${x}`), sumSquares: s(`q_${x}`), covSum: s(`s_${p}`), covSumSquares: s(`q_${p}`), sumProduct: s(`p_${x}_${p}`) };
  }
  return { type: 'mean', n: v.units, sum: s(`s_${x}`), sumSquares: s(`q_${x}`) };
}

const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);

function estimateOf(c: Comparison) {
  return { estimate: finite(c.estimate), ci: [finite(c.ci[0]), finite(c.ci[1])] as [number | null, number | null] };
}

/** Build the whole result from the sums: comparisons, correction, SRM, decision and summary. */
export function buildReport(input: ReportInput): ExperimentResult {
  const spec = input.experiment.spec;
  const settings = analysisSettings(spec);
  const declared = spec.variants as Array<{ key: string; weight: number }>;
  const totalWeight = declared.reduce((a, v) => a + v.weight, 0);
  const variants = declared.map((v) => ({ key: v.key, units: input.variants.get(v.key)?.units ?? 0, expected_share: v.weight / totalWeight }));
  const units = variants.reduce((a, v) => a + v.units, 0);
  const srm = units > 0 ? srmTest(variants.map((v) => v.units), variants.map((v) => v.expected_share)) : undefined;
  const base = declared[0]!.key;
  const empty: VariantSumsInput = { units: 0, sums: {} };
  const baseSums = input.variants.get(base) ?? empty;
  const sequential: CompareOptions['sequential'] = settings.sequential ? { tuning: settings.tuning } : false;
  const metrics: MetricResult[] = input.plan.metrics.map((m) => {
    const control = statsOf(m, baseSums, settings.cuped);
    const results = declared.slice(1).map((v): VariantResult => {
      const sums = input.variants.get(v.key) ?? empty;
      const treatment = statsOf(m, sums, settings.cuped);
      const common = { alpha: settings.alpha, sequential };
      const rel = compare(control, treatment, { ...common, difference: 'relative' });
      const abs = compare(control, treatment, { ...common, difference: 'absolute' });
      const chosen = settings.difference === 'relative' ? rel : abs;
      // Guardrails: a one-sided test for harm (a drop when more is better, a rise when less is).
      const harm = m.role === 'guardrail' ? compare(control, treatment, { ...common, difference: settings.difference, alternative: m.direction === 'increase' ? 'less' : 'greater' }) : undefined;
      const p = harm ? harm.pValue : chosen.pValue;
      return {
        variant: v.key,
        baseline: base,
        units: sums.units,
        baseline_units: baseSums.units,
        mean: finite(chosen.treatmentMean),
        baseline_mean: finite(chosen.controlMean),
        absolute: estimateOf(abs),
        relative: estimateOf(rel),
        p_value: finite(p),
        p_value_adjusted: finite(p),
        significant: false,
        better: false,
        worse: false,
        ...(chosen.error ? { error: chosen.error } : {}),
      };
    });
    return { name: m.name, role: m.role, type: m.type, direction: m.direction, results };
  });
  adjust(metrics, settings);
  for (const m of metrics) {
    for (const r of m.results) {
      const est = settings.difference === 'relative' ? r.relative.estimate : r.absolute.estimate;
      const good = est !== null && (m.direction === 'increase' ? est > 0 : est < 0);
      r.significant = !r.error && r.p_value_adjusted !== null && r.p_value_adjusted < settings.alpha;
      if (m.role === 'guardrail') {
        r.worse = r.significant;
        r.better = false;
      } else {
        r.better = r.significant && good;
        r.worse = r.significant && !good;
      }
    }
  }
  const undecided = {
    experiment: input.experiment.name,
    phase: (spec.phase as number | undefined) ?? 1,
    computed_at: new Date(input.now).toISOString(),
    started_at: input.startedAt ? input.startedAt.toISOString() : null,
    units,
    srm: { p_value: srm ? finite(srm.pValue) : null, ok: !srm || !(srm.pValue < SRM_THRESHOLD), chi_square: srm ? finite(srm.chiSquare) : null },
    variants,
    metrics,
    analysis: settings,
  };
  const decision = decide(undecided, decisionRule(spec), input.now);
  return { ...undecided, decision, summary: summarise(undecided, decision) };
}

/** Apply the experiment's correction over primary and secondary metrics × variants (guardrails stay raw). */
function adjust(metrics: MetricResult[], settings: AnalysisSettings): void {
  const family = metrics.filter((m) => m.role !== 'guardrail').flatMap((m) => m.results.filter((r) => r.p_value !== null && !r.error));
  if (settings.correction === 'none' || family.length < 2) return;
  const raw = family.map((r) => r.p_value!);
  const adjusted = settings.correction === 'holm' ? holm(raw) : benjaminiHochberg(raw);
  family.forEach((r, i) => (r.p_value_adjusted = adjusted[i]!));
}
