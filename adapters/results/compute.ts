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
  /**
   * Where the aggregate query runs, when not on q: a read replica (LABCTL_RESULTS_DATABASE_URL),
   * so the one heavy scan of a report stays off the primary. The spec is read from q, and the
   * result saved there.
   */
  aggregateOn?: Queryable;
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
  const agg = await aggregateExperiment(opts.aggregateOn ?? q, { experiment: name, phase, unit: spec.unit as string, plan, until: new Date(now) });
  const result = buildReport({ experiment: { name, spec }, plan, startedAt: agg.startedAt, variants: agg.variants, now });
  if (opts.save ?? true) await saveResult(q, result);
  return result;
}

export interface ExperimentDecision {
  experiment: string;
  status: ExperimentResult['decision']['status'];
  variant: string | null;
  units: number;
  reasons: string[];
  summary: string;
}

/**
 * Decisions of the applied, running experiments that declare `decision` (plan and status show
 * them). Each is one aggregate query; one that fails is reported with its message, not thrown.
 */
export async function computeDecisions(q: Queryable, opts: ComputeOptions = {}): Promise<{ decisions: ExperimentDecision[]; errors: Array<{ experiment: string; message: string }> }> {
  const rows = await q.query<{ name: string }>(
    `SELECT e.name FROM labctl.experiments e JOIN labctl.resources r ON r.kind = 'Experiment' AND r.name = e.name
      WHERE r.archived_at IS NULL AND e.status = 'running' AND e.decision IS NOT NULL ORDER BY e.name`,
  );
  const decisions: ExperimentDecision[] = [];
  const errors: Array<{ experiment: string; message: string }> = [];
  for (const { name } of rows) {
    try {
      const r = await computeResult(q, name, opts);
      decisions.push({ experiment: name, status: r.decision.status, variant: r.decision.variant, units: r.units, reasons: r.decision.reasons, summary: r.summary });
    } catch (e) {
      errors.push({ experiment: name, message: (e as Error).message });
    }
  }
  return { decisions, errors };
}
