import { suggestHint } from '../../core/suggest.js';
import type { Resource } from '../../core/types.js';
import { callsOf } from '../../engine/flows/compile.js';
import { flowSpecOf, type FlowSpec, type PromptUse, type SlotDecl, type StepSpec } from '../../engine/flows/spec.js';
import type { VariableDecl } from '../../engine/prompts/variables.js';
import type { RuleContext, RuleProblem } from '../types.js';
import { aOrAn } from './slot-rules.js';

type Path = Array<string | number>;

/** The prompt variable types a slot of each type can fill (resolveVariables checks the JSON type). */
const FILLS: Record<SlotDecl['type'], ReadonlyArray<VariableDecl['type']>> = {
  string: ['string', 'json'],
  enum: ['string', 'json'],
  number: ['number', 'json'],
  integer: ['number', 'json'],
  boolean: ['boolean', 'json'],
};

/** A prompt a step uses: it exists, its variables are filled by slots (or have defaults), `inputs` name real variables. */
function promptUseProblems(use: PromptUse, path: Path, f: FlowSpec, ctx: RuleContext): RuleProblem[] {
  const prompt = ctx.get('Prompt', use.prompt);
  if (!prompt) {
    return [{ code: 'unknown-prompt', path: [...path, 'prompt'], summary: `prompt "${use.prompt}" is not declared`, hint: suggestHint(use.prompt, ctx.ofKind('Prompt').map((p) => p.name), `add a document with kind: Prompt and name: ${use.prompt}`) }];
  }
  const problems: RuleProblem[] = [];
  if (prompt.spec.model === undefined) {
    // The runtime calls the provider the prompt names; without one there is no one to call.
    problems.push({ code: 'prompt-without-model', path: [...path, 'prompt'], summary: `prompt "${use.prompt}" names no model, so the step has nothing to call`, hint: `add model: { provider: anthropic, name: claude-sonnet-4-5 } (or openai, or scripted for offline runs) to prompt ${use.prompt}` });
  }
  const variables = (prompt.spec.variables ?? {}) as unknown as Record<string, VariableDecl>;
  const inputs = use.inputs ?? {};
  for (const [name, v] of Object.entries(variables)) {
    const slot = Object.hasOwn(inputs, name) ? inputs[name]! : name;
    const decl = Object.hasOwn(f.slots, slot) ? f.slots[slot]! : undefined;
    if (decl) {
      if (!FILLS[decl.type].includes(v.type)) {
        problems.push({
          code: 'prompt-variable-type',
          path: Object.hasOwn(inputs, name) ? [...path, 'inputs', name] : [...path, 'prompt'],
          summary: `variable "${name}" of prompt "${use.prompt}" is ${aOrAn(v.type)}, but slot "${slot}" is ${aOrAn(decl.type)}`,
          hint: `fill ${name} from a slot whose type gives ${aOrAn(v.type)}: inputs: { ${name}: SLOT }`,
        });
      }
    } else if (v.required && !Object.hasOwn(inputs, name)) {
      // A mapped slot that is not declared is reported as undeclared-slot already.
      problems.push({
        code: 'unsatisfied-prompt-variable',
        path: [...path, 'prompt'],
        summary: `prompt "${use.prompt}" needs variable "${name}", and no slot fills it`,
        hint: `declare a slot ${name}, or map one: inputs: { ${name}: SLOT }${Object.keys(f.slots).length ? ` (slots: ${Object.keys(f.slots).join(', ')})` : ''}`,
      });
    }
  }
  for (const name of Object.keys(inputs)) {
    if (!Object.hasOwn(variables, name)) {
      problems.push({ code: 'unknown-prompt-variable', path: [...path, 'inputs', name], summary: `prompt "${use.prompt}" has no variable "${name}"`, hint: suggestHint(name, Object.keys(variables), `its variables: ${Object.keys(variables).join(', ') || 'none'}`) });
    }
  }
  return problems;
}

/** The first chain of calls from `from` that comes back to `target` (flow names, `from` first). */
function callChain(from: string, target: string, ctx: RuleContext, seen = new Set<string>()): string[] | undefined {
  if (from === target) return [from];
  if (seen.has(from)) return undefined;
  seen.add(from);
  const flow = ctx.get('Flow', from);
  if (!flow) return undefined;
  for (const next of callsOf(flow.spec)) {
    const chain = callChain(next, target, ctx, seen);
    if (chain) return [from, ...chain];
  }
  return undefined;
}

/** A sub-flow call: the flow exists, does not lead back here, and shares slots of the same type. */
function callProblems(r: Resource, s: StepSpec, i: number, ctx: RuleContext): RuleProblem[] {
  const path = ['steps', i, 'call'];
  const name = s.call!;
  const sub = ctx.get('Flow', name);
  if (!sub) {
    return [{ code: 'unknown-flow', path, summary: `flow "${name}" is not declared`, hint: suggestHint(name, ctx.ofKind('Flow').map((x) => x.name).filter((n) => n !== r.name), `add a document with kind: Flow and name: ${name}`) }];
  }
  const chain = callChain(name, r.name, ctx);
  if (chain) {
    return [{ code: 'recursive-call', path, summary: name === r.name ? `flow "${r.name}" calls itself` : `flow "${r.name}" calls "${name}", which leads back to it (${[r.name, ...chain].join(' → ')})`, hint: 'a sub-flow returns to its caller: loop with next inside one flow instead of calling back' }];
  }
  const own = flowSpecOf(r.spec).slots;
  const theirs = flowSpecOf(sub.spec).slots;
  const problems: RuleProblem[] = [];
  for (const [slot, d] of Object.entries(own)) {
    const o = Object.hasOwn(theirs, slot) ? theirs[slot]! : undefined;
    if (o && (o.type !== d.type || JSON.stringify(o.values ?? null) !== JSON.stringify(d.values ?? null))) {
      problems.push({ code: 'call-slot-conflict', path, summary: `slot "${slot}" is ${aOrAn(d.type)} here and ${aOrAn(o.type)}${o.values ? ` of ${o.values.join(', ')}` : ''} in flow "${name}"`, detail: 'a sub-flow reads and fills the slots of the same name', hint: `declare ${slot} alike in both flows, or rename it in one` });
    }
  }
  return problems;
}

/** References from a flow's steps to prompts and sub-flows. */
export function referenceProblems(r: Resource, ctx: RuleContext): RuleProblem[] {
  const f = flowSpecOf(r.spec);
  const problems: RuleProblem[] = [];
  f.steps.forEach((s, i) => {
    if (s.llm) problems.push(...promptUseProblems(s.llm, ['steps', i, 'llm'], f, ctx));
    if (typeof s.say === 'object' && s.say !== null) problems.push(...promptUseProblems(s.say, ['steps', i, 'say'], f, ctx));
    if (s.call !== undefined) problems.push(...callProblems(r, s, i, ctx));
  });
  return problems;
}
