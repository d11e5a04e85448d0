import { experimentKind } from './experiment.js';
import { holdoutKind } from './holdout.js';
import { layerKind } from './layer.js';
import { metricKind } from './metric.js';
import { modelKind } from './model.js';
import { promptKind } from './prompt.js';
import { promotionPolicyKind } from './promotion-policy.js';
import type { KindDef } from './types.js';

export type { KindDef, RuleProblem, RuleContext, ResourceProblem, ChangeCheck } from './types.js';
export { reassignmentImpact, allocationOf } from './reassignment.js';
export { evaluateGates, gatesPassed, parseDuration, parseMetricGate, formatDuration, type GateResult, type MetricGate, type GateCandidate, type GateIncumbent } from './gates.js';
export { modelRef, promptRef } from './experiment.js';

/** Every kind labctl knows, in apply order (referenced kinds first). */
export const KINDS: readonly KindDef[] = [layerKind, metricKind, promptKind, modelKind, promotionPolicyKind, experimentKind, holdoutKind];

/** Look a kind up by its `kind` field. */
export function kindByName(kind: string): KindDef | undefined {
  return KINDS.find((k) => k.kind === kind);
}
