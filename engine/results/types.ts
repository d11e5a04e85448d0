// The result of an experiment, as `labctl report --format json` and GET /v1/experiments/{name}/results
// serve it (docs/experiments.md#the-result-json). Field names are snake_case: this is a wire format.

export type MetricRole = 'primary' | 'secondary' | 'guardrail';
export type MetricType = 'conversion' | 'count' | 'sum' | 'mean' | 'ratio';
export type DecisionStatus = 'ship' | 'keep_running' | 'stop' | 'inconclusive';

/** An estimate and its confidence interval; an open side of a one-sided interval is null. */
export interface Estimate {
  estimate: number | null;
  ci: [number | null, number | null];
}

/** One variant against the baseline (the first variant) on one metric. */
export interface VariantResult {
  variant: string;
  baseline: string;
  units: number;
  baseline_units: number;
  mean: number | null;
  baseline_mean: number | null;
  absolute: Estimate;
  relative: Estimate;
  /** Two-sided for primary and secondary metrics; one-sided for harm on guardrails. */
  p_value: number | null;
  /** After the experiment's correction over primary and secondary metrics × variants (guardrails: as p_value). */
  p_value_adjusted: number | null;
  /** Adjusted p below alpha (guardrails: harmed). */
  significant: boolean;
  /** significant and in the metric's good direction. */
  better: boolean;
  /** significant and in the bad direction (guardrails: harmed). */
  worse: boolean;
  /** Why no test was possible: too_few_units, zero_variance, zero_control_mean. */
  error?: string;
}

export interface MetricResult {
  name: string;
  role: MetricRole;
  type: MetricType;
  direction: 'increase' | 'decrease';
  results: VariantResult[];
}

export interface Decision {
  status: DecisionStatus;
  variant: string | null;
  reasons: string[];
}

export interface ExperimentResult {
  experiment: string;
  phase: number;
  computed_at: string;
  /** First exposure in this phase (null before any). */
  started_at: string | null;
  units: number;
  srm: { p_value: number | null; ok: boolean; chi_square: number | null };
  variants: Array<{ key: string; units: number; expected_share: number }>;
  metrics: MetricResult[];
  analysis: AnalysisSettings;
  decision: Decision;
  /** One plain sentence for the top of a report. */
  summary: string;
}

/** An experiment's `analysis` block with defaults filled in. */
export interface AnalysisSettings {
  alpha: number;
  difference: 'relative' | 'absolute';
  correction: 'holm' | 'bh' | 'none';
  sequential: boolean;
  tuning: number;
  cuped: boolean;
  cuped_lookback: string;
}

/** SRM is flagged below this p-value (the usual threshold: one false alarm in a thousand checks). */
export const SRM_THRESHOLD = 0.001;
