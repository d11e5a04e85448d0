import type { Resource } from '../../core/types.js';
import { parseDuration } from '../../core/gates/duration.js';
import { flowSpecOf } from '../../engine/flows/spec.js';
import type { KindDef, RuleContext, RuleProblem } from '../types.js';
import { describeFlowChange } from './describe.js';
import { graphProblems } from './graph.js';
import { normaliseFlow } from './normalise.js';
import { referenceProblems } from './references.js';
import { slotProblems } from './slot-rules.js';
import { stepProblems, valueShapeProblems } from './step-rules.js';
import { flowTable } from './table.js';

function rules(r: Resource, ctx: RuleContext): RuleProblem[] {
  const f = flowSpecOf(r.spec);
  const problems: RuleProblem[] = [];
  const ttl = parseDuration(f.session.ttl);
  if (!ttl.ok) problems.push({ code: 'invalid-duration', path: ['session', 'ttl'], offset: ttl.offset, summary: `ttl "${f.session.ttl}": ${ttl.message}`, hint: ttl.hint });
  else if (ttl.seconds < 60) problems.push({ code: 'invalid-duration', path: ['session', 'ttl'], summary: `ttl "${f.session.ttl}" is shorter than a minute`, hint: 'give people time to answer: write at least 1m, e.g. 30m' });
  const shapes = valueShapeProblems(f.steps);
  if (shapes.length > 0) return [...problems, ...shapes];
  const steps = stepProblems(f.steps);
  problems.push(...steps.problems);
  // Reachability only means something once every step has one action and every target exists.
  if (steps.structural) problems.push(...graphProblems(f.steps));
  problems.push(...slotProblems(f), ...referenceProblems(r, ctx));
  return problems;
}

export const flowKind: KindDef = {
  kind: 'Flow',
  schemaFile: 'flow.schema.json',
  table: flowTable,
  normalise: normaliseFlow,
  rules,
  describeChange: describeFlowChange,
};
