import type { Queryable } from '../../core/db.js';
import type { ExperimentResult } from '../../engine/results/types.js';

/** Keep a result as the latest of its experiment phase (labctl.results; read by status and BI tools). */
export async function saveResult(q: Queryable, r: ExperimentResult): Promise<void> {
  await q.query(
    `INSERT INTO labctl.results (experiment, phase, computed_at, units, srm_p_value, decision, variant, result)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)
     ON CONFLICT (experiment, phase) DO UPDATE SET computed_at = EXCLUDED.computed_at, units = EXCLUDED.units,
       srm_p_value = EXCLUDED.srm_p_value, decision = EXCLUDED.decision, variant = EXCLUDED.variant, result = EXCLUDED.result`,
    [r.experiment, r.phase, r.computed_at, r.units, r.srm.p_value, r.decision.status, r.decision.variant, JSON.stringify(r)],
  );
}

export interface StoredDecision {
  experiment: string;
  phase: number;
  computedAt: Date;
  units: number;
  decision: string;
  variant: string | null;
  reasons: string[];
}

/** The latest stored decision of every experiment's current phase. */
export async function readDecisions(q: Queryable): Promise<StoredDecision[]> {
  const rows = await q.query<{ experiment: string; phase: number; computed_at: Date | string; units: number | string; decision: string; variant: string | null; reasons: string[] | null }>(
    `SELECT r.experiment, r.phase, r.computed_at, r.units, r.decision, r.variant, r.result -> 'decision' -> 'reasons' AS reasons
       FROM labctl.results r JOIN labctl.experiments e ON e.name = r.experiment AND e.phase = r.phase
      ORDER BY r.experiment`,
  );
  return rows.map((r) => ({ experiment: r.experiment, phase: r.phase, computedAt: new Date(r.computed_at), units: Number(r.units), decision: r.decision, variant: r.variant, reasons: r.reasons ?? [] }));
}
