import type { Resource } from '../../core/types.js';
import type { AssertSpec } from '../../engine/evaluation/spec.js';
import type { KindDef, RuleContext, RuleProblem } from '../types.js';
import { assertsProblems } from './assert-rules.js';
import { datasetProblems } from './dataset-rules.js';
import { normaliseEvaluation } from './normalise.js';
import { evaluationTable } from './table.js';
import { targetProblems } from './target-rules.js';

export { datasetPathOf } from './dataset-rules.js';

/**
 * An Evaluation scores a target (a prompt, a flow, every variant of an experiment, or a model
 * version) on a dataset with asserts. Its rules check the target exists, the asserts are ones
 * labctl knows with the fields they need, and, when the loader can read files, that a local
 * dataset parses and its rows give the target and the asserts what they read.
 */
function rules(r: Resource, ctx: RuleContext): RuleProblem[] {
  const target = targetProblems(r, ctx);
  return [...target.problems, ...assertsProblems(r.spec.asserts as unknown as AssertSpec[], target.needs), ...datasetProblems(r, target.needs, ctx)];
}

export const evaluationKind: KindDef = {
  kind: 'Evaluation',
  schemaFile: 'evaluation.schema.json',
  table: evaluationTable,
  normalise: normaliseEvaluation,
  rules,
};
