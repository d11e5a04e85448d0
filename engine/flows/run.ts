import type { Json, JsonObject } from '../../core/types.js';
import type { CompiledFlow, CompiledStep } from './compile.js';
import { renderJson, renderText, StepFailure } from './render.js';
import { checkSlotValue, outputSchema } from './slots.js';
import { END, type PromptUse } from './spec.js';
import { SessionInputError, type Effect, type PendingEffect, type SessionOutcome, type SessionState, type StepEvent, type StepResult, type TranscriptMessage } from './state.js';

// The stepping machinery shared by startSession, advance and resume: one call works on a private
// copy of the state and runs steps until the session waits for input, needs an effect, or stops.

/** Steps one call may run before it gives up on a loop that never waits (a `set` cycle, say). */
export const DEFAULT_MAX_STEPS = 200;

/** One engine call in progress. */
export interface Run {
  flow: CompiledFlow;
  readonly s: SessionState;
  readonly messages: TranscriptMessage[];
  readonly events: StepEvent[];
  effect: Effect | null;
  budget: number;
  readonly maxSteps: number;
}

/** Start a run on a copy of the state (the caller's state is never changed). */
export function beginRun(flow: CompiledFlow, state: SessionState, maxSteps: number): Run {
  return { flow, s: structuredClone(state), messages: [], events: [], effect: null, budget: maxSteps, maxSteps };
}

/** What a run hands back. */
export function finishRun(run: Run): StepResult {
  return { state: run.s, messages: run.messages, effect: run.effect, events: run.events };
}

/** The step the session is at. */
export function currentStep(run: Run): CompiledStep {
  return run.flow.steps.get(run.s.step)!;
}

/** Record a step in the log. */
export function log(run: Run, step: CompiledStep | string, e: Omit<StepEvent, 'flow' | 'step' | 'turn' | 'action'> & { action?: StepEvent['action'] }): void {
  const id = typeof step === 'string' ? step : step.id;
  const action = e.action ?? (typeof step === 'string' ? 'return' : step.action);
  run.events.push({ flow: run.flow.name, step: id, turn: run.s.turns, ...e, action });
}

/** Send an assistant message. */
export function say(run: Run, step: CompiledStep, text: string): void {
  const m: TranscriptMessage = { role: 'assistant', text, flow: run.flow.name, step: step.id };
  run.s.transcript.push(m);
  run.messages.push(m);
}

/** Stop the session. */
export function stop(run: Run, status: 'ended' | 'handoff', outcome: Omit<SessionOutcome, 'flow' | 'step'>): void {
  run.s.status = status;
  run.s.pending = null;
  run.s.outcome = { ...outcome, flow: run.flow.name, step: run.s.step };
}

/** Ask the runtime for an effect and pause. */
export function request(run: Run, effect: Effect, purpose: PendingEffect['purpose']): void {
  run.effect = effect;
  run.s.status = 'running';
  run.s.pending = { id: effect.id, type: effect.type, purpose };
}

/** The next effect id. */
export function effectId(run: Run): string {
  run.s.seq += 1;
  return `e${run.s.seq}`;
}

/** A step failed: go to its onError step when it has one, else end the session with the reason. */
export function fail(run: Run, step: CompiledStep, code: string, message: string, reason: 'error' | 'max_attempts' = 'error'): void {
  log(run, step, { output: { error: { code, message } }, next: step.spec.onError ?? 'ended' });
  if (step.spec.onError !== undefined) return goto(run, step.spec.onError);
  stop(run, 'ended', { reason, code, message });
}

/** Go to a step (or end the current flow) and run on. */
export function goto(run: Run, target: string): void {
  if (target === END) return finishFlow(run);
  run.s.step = target;
  run.s.status = 'running';
  proceed(run);
}

/** Follow the current step's `next`. */
export function follow(run: Run, step: CompiledStep): void {
  const target = step.next(run.s.slots);
  if (target === undefined) return fail(run, step, 'no_branch', `no branch of step "${step.id}" matches the slots, and it has no else`);
  goto(run, target);
}

/** The end of the current flow: the session ends, or returns to the caller of a sub-flow. */
function finishFlow(run: Run): void {
  const caller = run.s.stack[run.s.stack.length - 1];
  if (!caller) return stop(run, 'ended', { reason: 'end', message: 'the conversation is complete' });
  request(run, { type: 'load_flow', id: effectId(run), purpose: 'return', name: caller.flow, version: caller.version, prompts: { ...run.s.pins.prompts } }, 'return');
}

/** Run steps from the current one until the session waits, needs an effect or stops. */
export function proceed(run: Run): void {
  if (run.budget-- <= 0) {
    const step = currentStep(run);
    return stop(run, 'ended', { reason: 'error', code: 'step_limit', message: `${run.maxSteps} steps ran without waiting for input: a loop in the flow never stops (at step "${step.id}")` });
  }
  execute(run, currentStep(run), 'enter');
}

/** Use a prompt: the one the flow was compiled with, which must be the version the session pinned. */
function usePrompt(run: Run, use: PromptUse) {
  const p = run.flow.prompts.get(use.prompt)!;
  const pinned = run.s.pins.prompts[p.name];
  if (pinned !== undefined && pinned !== p.version) {
    throw new SessionInputError('wrong_flow', `flow "${run.flow.name}" was compiled with prompt "${p.name}" version ${p.version.slice(0, 12)}, but the session pinned ${pinned.slice(0, 12)}`);
  }
  run.s.pins.prompts[p.name] = p.version;
  return p;
}

/** Ask the model for a message (a `say: { prompt }`) or for slot values (an llm step). */
function askModel(run: Run, step: CompiledStep, use: PromptUse, purpose: 'say' | 'output'): void {
  const p = usePrompt(run, use);
  let rendered;
  try {
    rendered = p.render(run.s.slots, use.inputs);
  } catch (e) {
    if (e instanceof StepFailure) return fail(run, step, e.code, e.message);
    throw e;
  }
  const effect: Effect = { type: 'llm', id: effectId(run), flow: run.flow.name, step: step.id, purpose, prompt: { name: p.name, version: p.version }, model: p.model, ...rendered };
  if (purpose === 'output') {
    const names = Object.keys(step.spec.llm!.output);
    effect.output = { name: p.name, description: `Fill the slots ${names.join(', ')}`, schema: outputSchema(names.map((n) => run.flow.slots.get(n)!)) };
  }
  log(run, step, { output: { effect: effect.id, prompt: p.name }, next: 'running' });
  request(run, effect, purpose);
}

/** Set slots from values: each must fit its slot (null clears it). */
export function assign(run: Run, step: CompiledStep, values: ReadonlyArray<readonly [string, Json | undefined]>, what: string): boolean {
  const checked: JsonObject = {};
  for (const [slot, v] of values) {
    if (v === null) {
      checked[slot] = null;
      continue;
    }
    const c = checkSlotValue(run.flow.slots.get(slot)!, v);
    if (!c.ok) {
      fail(run, step, `invalid_${what}`, c.reason);
      return false;
    }
    checked[slot] = c.value;
  }
  for (const [slot, v] of Object.entries(checked)) {
    if (v === null) delete run.s.slots[slot];
    else run.s.slots[slot] = v;
  }
  return true;
}

/**
 * Run one step. `enter`: from the start, its message first; `after_say`: the message (a prompt)
 * was said, now the action.
 */
export function execute(run: Run, step: CompiledStep, phase: 'enter' | 'after_say'): void {
  const spec = step.spec;
  if (phase === 'enter' && step.action === 'collect' && run.s.turns >= run.s.maxTurns) {
    return stop(run, 'ended', { reason: 'max_turns', message: `the conversation reached its limit of ${run.s.maxTurns} turns` });
  }
  if (phase === 'enter' && spec.say !== undefined) {
    if (typeof spec.say === 'object') return askModel(run, step, spec.say, 'say');
    say(run, step, renderText(step.sayText!, run.s.slots));
    if (step.action === 'say') {
      log(run, step, { output: { say: run.messages[run.messages.length - 1]!.text } });
      return follow(run, step);
    }
  }
  switch (step.action) {
    case 'say':
      return follow(run, step);
    case 'collect':
      log(run, step, { next: 'awaiting_input' });
      run.s.status = 'awaiting_input';
      return;
    case 'handoff':
      log(run, step, { next: 'handoff' });
      return stop(run, 'handoff', { reason: 'handoff', target: spec.handoff!, message: `handed off to ${spec.handoff}` });
    case 'end':
      log(run, step, { next: END });
      return finishFlow(run);
    case 'llm':
      return askModel(run, step, spec.llm!, 'output');
    case 'set': {
      const values = step.set!.map(([slot, t]) => [slot, renderJson(t, run.s.slots)] as const);
      if (!assign(run, step, values, 'value')) return;
      log(run, step, { output: Object.fromEntries(values) as JsonObject });
      return follow(run, step);
    }
    case 'call': {
      const name = spec.call!;
      const version = run.s.pins.flows[name];
      log(run, step, { output: { call: name }, next: 'running' });
      return request(run, { type: 'load_flow', id: effectId(run), purpose: 'call', name, ...(version ? { version } : {}), prompts: { ...run.s.pins.prompts } }, 'call');
    }
    case 'tool': {
      const t = step.tool!;
      const headers: Record<string, string> = {};
      for (const [k, v] of t.headers) headers[k] = renderText(v, run.s.slots);
      const req = { method: spec.tool!.method, url: renderText(t.url, run.s.slots, encodeURIComponent), headers, ...(t.body ? { body: renderJson(t.body, run.s.slots) } : {}), timeoutMs: t.timeoutMs };
      const effect: Effect = { type: 'tool', id: effectId(run), flow: run.flow.name, step: step.id, request: req };
      log(run, step, { output: { effect: effect.id, method: req.method, url: req.url }, next: 'running' });
      return request(run, effect, 'tool');
    }
  }
}
