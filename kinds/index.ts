import { evaluationKind } from './evaluation/kind.js';
import { experimentKind } from './experiment/kind.js';
import { flowKind } from './flow/kind.js';
import { holdoutKind } from './holdout/kind.js';
import { layerKind } from './layer/kind.js';
import { metricKind } from './metric/kind.js';
import { modelKind } from './model/kind.js';
import { promptKind } from './prompt/kind.js';
import { promotionPolicyKind } from './promotion-policy/kind.js';
import type { KindDef } from './types.js';

export type { KindDef, RuleProblem, RuleContext, ResourceProblem, ChangeCheck } from './types.js';

/** Every kind labctl knows, in apply order (referenced kinds first). */
export const KINDS: readonly KindDef[] = [layerKind, metricKind, promptKind, flowKind, modelKind, promotionPolicyKind, experimentKind, holdoutKind, evaluationKind];

/** Look a kind up by its `kind` field. */
export function kindByName(kind: string): KindDef | undefined {
  return KINDS.find((k) => k.kind === kind);
}
