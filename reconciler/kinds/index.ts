import { experimentKind } from './experiment.js';
import { holdoutKind } from './holdout.js';
import { layerKind } from './layer.js';
import { metricKind } from './metric.js';
import { promptKind } from './prompt.js';
import type { KindDef } from './types.js';

export type { KindDef, RuleProblem, RuleContext, ResourceProblem, ChangeCheck } from './types.js';
export { reassignmentImpact, allocationOf } from './reassignment.js';

/** Every kind labctl knows, in apply order (referenced kinds first). */
export const KINDS: readonly KindDef[] = [layerKind, metricKind, promptKind, experimentKind, holdoutKind];

/** Look a kind up by its `kind` field. */
export function kindByName(kind: string): KindDef | undefined {
  return KINDS.find((k) => k.kind === kind);
}
