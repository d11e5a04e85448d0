import type { Queryable } from '../../core/db.js';
import type { JsonObject } from '../../core/types.js';
import { parseDuration } from '../../core/gates/duration.js';
import { planMetrics } from '../../engine/results/metric-plan.js';
import { analysisSettings, buildReport } from '../../engine/results/report.js';
import type { ExperimentResult, MetricRole } from '../../engine/results/types.js';
import { experimentTable } from '../../kinds/experiment/table.js';
import { metricTable } from '../../kinds/metric/table.js';
import { aggregateExperiment } from './aggregate.js';
import { saveResult } from './store.js';

/** The experiment's metrics with their roles, primary first (the order of the report). */
export function metricRoles(spec: JsonObject): Array<{ name: string; role: MetricRole }> {
  const m = (spec.metrics ?? {}) as { primary?: string[]; secondary?: string[]; guardrails?: string[] };
  return [
    ...(m.primary ?? []).map((name) => ({ name, role: 'primary' as const })),
    ...(m.secondary ?? []).map((name) => ({ name, role: 'secondary' as const })),
    ...(m.guardrails ?? []).map((name) => ({ name, role: 'guardrail' as const })),
  ];
}

export class UnknownExperimentError extends Error {
  constructor(readonly experiment: string, readonly known: string[]) {
    super(`experiment "${experiment}" is not applied`);
    this.name = 'UnknownExperimentError';
  }
}

export interface ComputeOptions {
  now?: number;
  /** Store the result as the latest of its phase (default true). */
  save?: boolean;
}

/**
 * Compute an applied experiment's result from the database: its spec and metrics as applied, the
 * sums of its exposures and events (one query), then the statistics and decision in TypeScript.
 */
export async function computeResult(q: Queryable, name: string, opts: ComputeOptions = {}): Promise<ExperimentResult> {
  const now = opts.now ?? Date.now();
  const experiments = await experimentTable.read(q);
  const spec = experiments.get(name);
  if (!spec) throw new UnknownExperimentError(name, [...experiments.keys()]);
  const metrics = await metricTable.read(q);
  const settings = analysisSettings(spec);
  const lookback = parseDuration(settings.cuped_lookback);
  const plan = planMetrics(metricRoles(spec), metrics, { cuped: settings.cuped, cupedLookbackSeconds: lookback.ok ? lookback.seconds : 14 * 86400 });
  const phase = (spec.phase as number | undefined) ?? 1;
  const agg = await aggregateExperiment(q, { experiment: name, phase, unit: spec.unit as string, plan, until: new Date(now) });
  const result = buildReport({ experiment: { name, spec }, plan, startedAt: agg.startedAt, variants: agg.variants, now });
  if (opts.save ?? true) await saveResult(q, result);
  return result;
}
