import { parseDuration } from '../../core/gates/duration.js';
import type { JsonObject } from '../../core/types.js';
import { parseShip, shipMetrics } from '../../engine/results/decision.js';
import type { RuleProblem } from '../types.js';

/** Problems of an experiment's `analysis` and `decision` blocks (the schema checked their shapes). */
export function analysisProblems(s: JsonObject): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const analysis = s.analysis as { cupedLookback?: string } | undefined;
  if (analysis?.cupedLookback !== undefined) {
    const d = parseDuration(analysis.cupedLookback);
    if (!d.ok) problems.push({ code: 'invalid-duration', path: ['analysis', 'cupedLookback'], summary: `cupedLookback: ${d.message}`, hint: d.hint });
  }
  const decision = s.decision as { ship?: string; maxDuration?: string } | undefined;
  if (!decision) return problems;
  if (decision.maxDuration !== undefined) {
    const d = parseDuration(decision.maxDuration);
    if (!d.ok) problems.push({ code: 'invalid-duration', path: ['decision', 'maxDuration'], summary: `maxDuration: ${d.message}`, hint: d.hint });
  }
  if (decision.ship !== undefined) {
    const parsed = parseShip(decision.ship);
    if (!parsed.ok) {
      problems.push({ code: 'invalid-ship-condition', path: ['decision', 'ship'], summary: `decision.ship: ${parsed.message}`, hint: parsed.hint });
    } else {
      const metrics = (s.metrics ?? {}) as Record<string, string[]>;
      const named = new Set(Object.values(metrics).flat());
      for (const m of shipMetrics(parsed.clauses)) {
        if (!named.has(m)) problems.push({ code: 'unknown-metric', path: ['decision', 'ship'], summary: `decision.ship names metric "${m}", which this experiment does not list under metrics`, hint: `add ${m} to metrics.primary, secondary or guardrails, or use one of: ${[...named].join(', ') || '(none listed)'}` });
      }
      const usesPrimary = parsed.clauses.some((c) => c.kind === 'primary-significant' || c.kind === 'any-primary-significant');
      if (usesPrimary && !(metrics.primary?.length)) {
        problems.push({ code: 'decision-without-primary', path: ['decision', 'ship'], summary: 'decision.ship needs a primary metric, and the experiment lists none', hint: 'add metrics: { primary: [<metric>] }' });
      }
    }
  } else if (!((s.metrics as Record<string, string[]> | undefined)?.primary?.length)) {
    problems.push({ code: 'decision-without-primary', path: ['decision'], summary: 'the default ship condition ("primary significant and no guardrail harmed") needs a primary metric', hint: 'add metrics: { primary: [<metric>] }, or write decision.ship with conditions on the metrics you list' });
  }
  return problems;
}
