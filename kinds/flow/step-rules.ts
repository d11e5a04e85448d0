import { parseDuration } from '../../core/gates/duration.js';
import { suggestHint } from '../../core/suggest.js';
import { actionsOf, END, isExit, STEP_ACTIONS, type StepSpec } from '../../engine/flows/spec.js';
import type { RuleProblem } from '../types.js';
import { targetsOf } from './graph.js';
import { aOrAn } from './slot-rules.js';

const TOOL_TIMEOUT_MAX_SECONDS = 300;
const STEP_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;
const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
const SLOT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SAY_HINT = 'write say: "text with {{slot}}" or say: { prompt: NAME }';
const NEXT_HINT = 'write next: STEP, next: end, or a list of - if: { slot: value } / then: STEP ending with - else: STEP';

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `say` is a text or `{ prompt, inputs? }` (the schema leaves it open, so that one precise problem is reported). */
function sayShape(v: unknown, path: Array<string | number>): RuleProblem[] {
  if (typeof v === 'string') return v.length > 0 && v.length <= 20000 ? [] : [{ code: 'invalid-say', path, summary: v.length === 0 ? 'say is empty' : 'say is longer than 20,000 characters', hint: SAY_HINT }];
  if (!isMapping(v)) return [{ code: 'invalid-say', path, summary: `say must be a text or { prompt: NAME }, got ${Array.isArray(v) ? 'a list' : JSON.stringify(v)}`, hint: SAY_HINT }];
  const extra = Object.keys(v).filter((k) => k !== 'prompt' && k !== 'inputs');
  if (extra.length > 0) return [{ code: 'unknown-field', path: [...path, extra[0]!], summary: `unknown field "${extra[0]}" in say`, hint: 'say as a prompt takes prompt: NAME and optionally inputs: { VARIABLE: SLOT }' }];
  if (typeof v.prompt !== 'string' || !NAME.test(v.prompt)) return [{ code: 'invalid-say', path: [...path, 'prompt'], summary: 'say: { prompt } needs the name of a Prompt', hint: 'write say: { prompt: greeting }' }];
  const inputs = v.inputs;
  if (inputs !== undefined && (!isMapping(inputs) || Object.entries(inputs).some(([k, x]) => !SLOT.test(k) || typeof x !== 'string' || !SLOT.test(x)))) {
    return [{ code: 'invalid-say', path: [...path, 'inputs'], summary: 'inputs maps prompt variables to slot names', hint: 'write inputs: { variable: slot_name }' }];
  }
  return [];
}

/** `next` is a step id, `end`, or a list of branches `{ if, then }` / `{ else }`. */
function nextShape(v: unknown, path: Array<string | number>): RuleProblem[] {
  const target = (x: unknown) => typeof x === 'string' && STEP_ID.test(x);
  if (typeof v === 'string') return target(v) ? [] : [{ code: 'invalid-next', path, summary: `next ${JSON.stringify(v)} is not a step id`, hint: NEXT_HINT }];
  if (!Array.isArray(v) || v.length === 0) return [{ code: 'invalid-next', path, summary: `next must be a step id or a list of branches, got ${Array.isArray(v) ? 'an empty list' : JSON.stringify(v)}`, hint: NEXT_HINT }];
  for (const [j, b] of v.entries()) {
    const at = [...path, j];
    if (!isMapping(b)) return [{ code: 'invalid-next', path: at, summary: `branch ${j + 1} must be a mapping with if and then, or else`, hint: NEXT_HINT }];
    const extra = Object.keys(b).filter((k) => k !== 'if' && k !== 'then' && k !== 'else');
    if (extra.length > 0) return [{ code: 'unknown-field', path: [...at, extra[0]!], summary: `unknown field "${extra[0]}" in branch ${j + 1}`, hint: 'a branch has if and then, or else' }];
    if (b.if !== undefined && !isMapping(b.if)) return [{ code: 'invalid-condition', path: [...at, 'if'], summary: 'if must be a condition over the slots (a mapping)', hint: 'write if: { approved: true } or if: { amount: { $gt: 100 } }' }];
    for (const k of ['then', 'else'] as const) if (b[k] !== undefined && !target(b[k])) return [{ code: 'invalid-next', path: [...at, k], summary: `${k} ${JSON.stringify(b[k])} is not a step id`, hint: NEXT_HINT }];
  }
  return [];
}

/** The shapes of `say` and `next` in every step; other rules assume them. */
export function valueShapeProblems(steps: readonly StepSpec[]): RuleProblem[] {
  return steps.flatMap((s, i) => [...(s.say !== undefined ? sayShape(s.say, ['steps', i, 'say']) : []), ...(s.next !== undefined ? nextShape(s.next, ['steps', i, 'next']) : [])]);
}

/** Fields that only some actions take. */
const ONLY_WITH: ReadonlyArray<[field: keyof StepSpec, actions: readonly string[]]> = [
  ['retry', ['collect']],
  ['maxAttempts', ['collect']],
  ['onError', ['collect', 'llm', 'tool', 'say']],
];

/** One step's action and the fields that go with it. */
function shapeProblems(s: StepSpec, i: number): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const actions = actionsOf(s);
  const at = ['steps', i];
  if (actions.length === 0) {
    problems.push({ code: 'step-action', path: [...at, 'id'], summary: `step "${s.id}" has no action`, hint: `give it exactly one of: ${STEP_ACTIONS.join(', ')}` });
    return problems;
  }
  if (actions.length > 1) {
    problems.push({ code: 'step-action', path: [...at, actions[1]!], summary: `step "${s.id}" has ${actions.length} actions (${actions.join(', ')}); a step does one thing`, hint: `split it into steps, one per action; say may go with collect, handoff or end as its message` });
    return problems;
  }
  for (const [field, allowed] of ONLY_WITH) {
    if (s[field] !== undefined && !allowed.includes(actions[0]!)) {
      problems.push({ code: 'misplaced-field', path: [...at, field], summary: `${field} does not apply to ${aOrAn(actions[0]!)} step`, hint: `${field} goes with ${allowed.join(' or ')} steps; remove it here` });
    }
  }
  if (isExit(s) && s.next !== undefined) {
    problems.push({ code: 'next-after-exit', path: [...at, 'next'], summary: `step "${s.id}" ${s.handoff !== undefined ? 'hands off' : 'ends the flow'}, so its next is never followed`, hint: 'remove next, or make the step something that goes on' });
  }
  if (s.tool) {
    const d = parseDuration(s.tool.timeout);
    if (!d.ok) problems.push({ code: 'invalid-duration', path: [...at, 'tool', 'timeout'], offset: d.offset, summary: `timeout "${s.tool.timeout}": ${d.message}`, hint: d.hint });
    else if (d.seconds < 1 || d.seconds > TOOL_TIMEOUT_MAX_SECONDS) {
      problems.push({ code: 'invalid-duration', path: [...at, 'tool', 'timeout'], summary: `timeout "${s.tool.timeout}" is outside 1s to 5m`, hint: 'a conversation waits for the tool: write a timeout from 1s to 5m, e.g. 10s' });
    }
  }
  return problems;
}

/** The shape of a conditional next: `{ if, then }` branches, one `{ else }` last. */
function branchProblems(s: StepSpec, i: number): RuleProblem[] {
  if (!Array.isArray(s.next)) return [];
  const problems: RuleProblem[] = [];
  const branches = s.next as Array<{ if?: unknown; then?: unknown; else?: unknown }>;
  branches.forEach((b, j) => {
    const path = ['steps', i, 'next', j];
    if (b.else !== undefined && (b.if !== undefined || b.then !== undefined)) {
      problems.push({ code: 'invalid-branch', path, summary: 'a branch has either if and then, or else alone', hint: 'write - if: { slot: value } / then: STEP, and finish the list with - else: STEP' });
    } else if (b.else !== undefined && j < branches.length - 1) {
      problems.push({ code: 'else-not-last', path, summary: `else is branch ${j + 1} of ${branches.length}: the branches after it are never tried`, hint: 'move the else branch to the end of the list' });
    } else if (b.else === undefined && (b.if === undefined || b.then === undefined)) {
      problems.push({ code: 'invalid-branch', path, summary: `branch ${j + 1} needs both if and then`, hint: b.if === undefined ? 'add if: { slot: value }, the condition over the slots' : 'add then: STEP, where to go when the condition holds' });
    }
  });
  if (branches[branches.length - 1]?.else === undefined) {
    problems.push({ code: 'missing-else', path: ['steps', i, 'next'], summary: `the branches of step "${s.id}" have no else`, detail: 'when no condition holds the conversation would have nowhere to go', hint: 'end the list with - else: STEP (or - else: end)' });
  }
  return problems;
}

/**
 * Structural problems of the steps: ids unique and not `end`, exactly one action per step, fields
 * that fit it, branches well-formed, every target a step. `structural` tells whether the graph
 * can be analysed (no problem here makes the edges uncertain).
 */
export function stepProblems(steps: readonly StepSpec[]): { problems: RuleProblem[]; structural: boolean } {
  const problems: RuleProblem[] = [];
  const first = new Map<string, number>();
  steps.forEach((s, i) => {
    if (s.id === END) {
      problems.push({ code: 'reserved-step-id', path: ['steps', i, 'id'], summary: 'end is not a step id: next: end ends the flow', hint: 'rename the step, e.g. goodbye' });
    }
    const seen = first.get(s.id);
    if (seen !== undefined) {
      problems.push({ code: 'duplicate-step-id', path: ['steps', i, 'id'], summary: `step id "${s.id}" is used twice`, detail: `first used by steps[${seen}]`, hint: 'give every step a unique id' });
    } else first.set(s.id, i);
    problems.push(...shapeProblems(s, i), ...branchProblems(s, i));
  });
  const ids = [...first.keys()];
  steps.forEach((s, i) => {
    for (const t of targetsOf(s, i)) {
      if (t.to === END || first.has(t.to)) continue;
      const what = t.path[t.path.length - 1] === 'onError' ? 'onError' : 'next';
      problems.push({ code: 'unknown-step', path: t.path, summary: `${what} of step "${s.id}" names step "${t.to}", which does not exist`, hint: suggestHint(t.to, [...ids, END], `use one of: ${[...ids, END].join(', ')}`) });
    }
  });
  return { problems, structural: problems.every((p) => p.severity === 'warning') };
}
