/**
 * The gate language of PromotionPolicy: metric comparisons (`val_auc >= 0.8`,
 * `val_auc >= champion + 0.01`), a minimum age (`1h`) and required tags. Pure: parsing (metric.ts,
 * duration.ts), evaluation against values someone else fetched from MLflow (evaluate.ts), and the
 * numbers a plan prints (numbers.ts).
 */

export type GateOp = '>=' | '<=' | '>' | '<';
export type RelativeOp = '+' | '-' | '*';

export interface MetricGate {
  /** The gate in canonical spacing, e.g. `val_auc >= 0.8`, `val_auc >= champion + 0.01`. */
  text: string;
  /** The MLflow metric key. */
  metric: string;
  op: GateOp;
  /** Threshold of an absolute gate. */
  absolute?: number;
  /** A relative gate: the incumbent's value of the same metric, then `op value` (`+ 0` for the bare alias). */
  relative?: { op: RelativeOp; value: number };
}

export type GateParse = { ok: true; gate: MetricGate } | { ok: false; offset: number; message: string; hint: string };

export type DurationParse = { ok: true; seconds: number } | { ok: false; offset: number; message: string; hint: string };

export interface GateResult {
  /** The gate: the expression, `minAge 1h`, or `tag validation_status = approved`. */
  gate: string;
  type: 'metric' | 'relative' | 'age' | 'tag';
  passed: boolean;
  /** A relative gate with no version at the target alias yet: not evaluated, counts as passed. */
  skipped?: boolean;
  /** The candidate's value (metric value, age in seconds, tag value); null when unknown. */
  measured: number | string | null;
  /** What it was compared with (threshold, minimum age in seconds, required tag value). */
  threshold: number | string | null;
  /** One line for a plan, e.g. `val_auc 0.842 ≥ 0.800`. */
  text: string;
}

export interface GateCandidate {
  version: string;
  /** Creation time of the version, ms since the epoch. */
  createdAt?: number;
  tags: Record<string, string>;
  /** Latest value of every metric of the version's run; null when it has no run or the run is gone. */
  metrics: Record<string, number> | null;
}

export interface GateIncumbent {
  version: string;
  metrics: Record<string, number> | null;
}
