import type { Plan } from '../../core/types.js';

/** The plan as JSON: the same data `--out` writes and `apply PLAN_FILE` reads. */
export function renderPlanJson(plan: Plan): string {
  return JSON.stringify(plan, null, 2) + '\n';
}
