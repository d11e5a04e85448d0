import type { Json, JsonObject } from '../../core/types.js';
import type { CompiledFlow, CompiledStep } from './compile.js';
import { renderText } from './render.js';
import { assign, beginRun, currentStep, DEFAULT_MAX_STEPS, execute, fail, finishRun, follow, goto, log, proceed, say, stop, type Run } from './run.js';
import { checkSlotValue, parseSlotInput } from './slots.js';
import { SessionInputError, type EffectResult, type SessionState, type StepResult } from './state.js';

/** Limits of one engine call. */
export interface StepOptions {
  /** Steps one call may run without waiting (default 200): a loop that never waits ends the session. */
  maxSteps?: number;
}

function checkFlow(flow: CompiledFlow, state: SessionState): void {
  if (flow.name !== state.flow || flow.version !== state.version) {
    throw new SessionInputError('wrong_flow', `the session is at flow "${state.flow}" version ${state.version.slice(0, 12)}, not "${flow.name}" version ${flow.version.slice(0, 12)}`);
  }
}

/**
 * Start a session of a flow: pin its version and prompts, fill the initial slots (each must be
 * declared and fit its type) and run to the first question, effect or stop.
 */
export function startSession(flow: CompiledFlow, initial: Readonly<JsonObject> = {}, opts: StepOptions = {}): StepResult {
  const slots: JsonObject = {};
  for (const [name, v] of Object.entries(initial)) {
    const slot = flow.slots.get(name);
    if (!slot) throw new SessionInputError('unknown_slot', `flow "${flow.name}" declares no slot "${name}" (slots: ${[...flow.slots.keys()].join(', ') || 'none'})`);
    const c = checkSlotValue(slot, v);
    if (!c.ok) throw new SessionInputError('invalid_slot', c.reason);
    slots[name] = c.value;
  }
  const state: SessionState = {
    flow: flow.name,
    version: flow.version,
    step: flow.first,
    stack: [],
    slots,
    turns: 0,
    maxTurns: flow.maxTurns,
    attempts: {},
    status: 'running',
    pending: null,
    outcome: null,
    transcript: [],
    pins: { flows: {}, prompts: Object.fromEntries([...flow.prompts.values()].map((p) => [p.name, p.version])) },
    seq: 0,
  };
  const run = beginRun(flow, state, opts.maxSteps ?? DEFAULT_MAX_STEPS);
  proceed(run);
  return finishRun(run);
}

/** Feed a user message to a session awaiting input: the collect step validates it, then the flow runs on. */
export function advance(flow: CompiledFlow, state: SessionState, text: string, opts: StepOptions = {}): StepResult {
  if (state.status !== 'awaiting_input') throw new SessionInputError('not_awaiting_input', `the session is ${state.status.replace('_', ' ')}, not waiting for a message`);
  checkFlow(flow, state);
  const run = beginRun(flow, state, opts.maxSteps ?? DEFAULT_MAX_STEPS);
  const step = currentStep(run);
  run.s.turns += 1;
  run.s.transcript.push({ role: 'user', text, flow: flow.name, step: step.id });
  const slotName = step.spec.collect!;
  const parsed = parseSlotInput(flow.slots.get(slotName)!, text);
  const key = `${flow.name}/${step.id}`;
  if (parsed.ok) {
    delete run.s.attempts[key];
    run.s.slots[slotName] = parsed.value;
    log(run, step, { input: text, output: { [slotName]: parsed.value }, next: step.next(run.s.slots) ?? 'ended' });
    follow(run, step);
    return finishRun(run);
  }
  const attempt = (run.s.attempts[key] ?? 0) + 1;
  run.s.attempts[key] = attempt;
  log(run, step, { input: text, output: { invalid: parsed.reason }, attempt });
  if (step.spec.maxAttempts !== undefined && attempt >= step.spec.maxAttempts) {
    delete run.s.attempts[key];
    fail(run, step, 'max_attempts', `no valid ${slotName} after ${attempt} attempts (${parsed.reason})`, 'max_attempts');
  } else if (run.s.turns >= run.s.maxTurns) {
    stop(run, 'ended', { reason: 'max_turns', message: `the conversation reached its limit of ${run.s.maxTurns} turns` });
  } else {
    say(run, step, retryMessage(step, run.s.slots, parsed.reason));
    run.s.status = 'awaiting_input';
  }
  return finishRun(run);
}

/** The re-ask after bad input: the step's retry text, else the reason and the question again. */
function retryMessage(step: CompiledStep, slots: JsonObject, reason: string): string {
  if (step.retryText) return renderText(step.retryText, slots);
  const why = `Sorry, ${reason}.`;
  return step.sayText ? `${why} ${renderText(step.sayText, slots)}` : why;
}

/** Feed the result of the pending effect back: the step that asked for it completes, and the flow runs on. */
export function resume(flow: CompiledFlow, state: SessionState, result: EffectResult, opts: StepOptions = {}): StepResult {
  const pending = state.pending;
  if (state.status !== 'running' || !pending) throw new SessionInputError('not_running', `the session is ${state.status.replace('_', ' ')}, not waiting for an effect`);
  if (result.id !== pending.id || (result.ok && result.type !== pending.type)) {
    throw new SessionInputError('unexpected_result', `the session waits for ${pending.type} effect ${pending.id}, not ${result.ok ? result.type : 'a failure of'} ${result.id}`);
  }
  checkFlow(flow, state);
  const run = beginRun(flow, state, opts.maxSteps ?? DEFAULT_MAX_STEPS);
  run.s.pending = null;
  run.s.status = 'running';
  const step = currentStep(run);
  if (!result.ok) {
    if (pending.purpose === 'return') stop(run, 'ended', { reason: 'error', code: result.error.code, message: `cannot return to flow "${run.s.stack[run.s.stack.length - 1]?.flow}": ${result.error.message}` });
    else fail(run, step, result.error.code, result.error.message);
    return finishRun(run);
  }
  switch (pending.purpose) {
    case 'say':
      saidByModel(run, step, (result as { text?: string }).text ?? '');
      break;
    case 'output':
      slotsFromModel(run, step, (result as { output?: JsonObject }).output);
      break;
    case 'tool':
      slotsFromTool(run, step, result as { status: number; body?: Json });
      break;
    case 'call':
      enterSubflow(run, step, (result as { flow: CompiledFlow }).flow);
      break;
    case 'return':
      returnToCaller(run, (result as { flow: CompiledFlow }).flow);
      break;
  }
  return finishRun(run);
}

function saidByModel(run: Run, step: CompiledStep, text: string): void {
  if (text !== '') say(run, step, text);
  if (step.action !== 'say') return execute(run, step, 'after_say');
  log(run, step, { input: { text }, output: { say: text } });
  follow(run, step);
}

function slotsFromModel(run: Run, step: CompiledStep, output: JsonObject | undefined): void {
  const names = Object.keys(step.spec.llm!.output);
  if (output === undefined || output === null || typeof output !== 'object' || Array.isArray(output)) {
    return fail(run, step, 'invalid_output', `the model answered no JSON object for slots ${names.join(', ')}`);
  }
  const missing = names.filter((n) => !Object.hasOwn(output, n) || output[n] === undefined || output[n] === null);
  if (missing.length > 0) return fail(run, step, 'invalid_output', `the model's output lacks slot${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
  if (!assign(run, step, names.map((n) => [n, output[n]] as const), 'output')) return;
  log(run, step, { input: output, output: Object.fromEntries(names.map((n) => [n, run.s.slots[n] ?? null])) as JsonObject });
  follow(run, step);
}

/** A value at a dot path of a JSON document (`order.status`, `items.0.id`); undefined when absent. */
export function atPath(doc: Json | undefined, path: string): Json | undefined {
  let cur: Json | undefined = doc;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    if (Array.isArray(cur)) cur = /^\d+$/.test(part) ? cur[Number(part)] : undefined;
    else cur = Object.hasOwn(cur, part) ? cur[part] : undefined;
  }
  return cur;
}

function slotsFromTool(run: Run, step: CompiledStep, r: { status: number; body?: Json }): void {
  const t = step.spec.tool!;
  if (r.status < 200 || r.status > 299) return fail(run, step, 'tool_status', `${t.method} ${t.url} answered HTTP ${r.status}`);
  const output = Object.entries(t.output ?? {});
  const missing = output.filter(([, path]) => atPath(r.body, path) === undefined).map(([, path]) => path);
  if (missing.length > 0) return fail(run, step, 'invalid_output', `the response of ${t.method} ${t.url} has no ${missing.join(', ')}`);
  if (!assign(run, step, output.map(([slot, path]) => [slot, atPath(r.body, path)] as const), 'output')) return;
  log(run, step, { input: { status: r.status }, output: Object.fromEntries(output.map(([slot]) => [slot, run.s.slots[slot] ?? null])) as JsonObject });
  follow(run, step);
}

function enterSubflow(run: Run, step: CompiledStep, sub: CompiledFlow): void {
  const pinned = run.s.pins.flows[step.spec.call!];
  if (sub.name !== step.spec.call || (pinned !== undefined && sub.version !== pinned)) {
    throw new SessionInputError('wrong_flow', `step "${step.id}" calls flow "${step.spec.call}"${pinned ? ` version ${pinned.slice(0, 12)}` : ''}, not "${sub.name}" version ${sub.version.slice(0, 12)}`);
  }
  run.s.stack.push({ flow: run.flow.name, version: run.flow.version, step: step.id });
  run.s.pins.flows[sub.name] = sub.version;
  for (const p of sub.prompts.values()) run.s.pins.prompts[p.name] ??= p.version;
  log(run, step, { input: { flow: sub.name, version: sub.version }, next: `${sub.name}/${sub.first}` });
  run.flow = sub;
  run.s.flow = sub.name;
  run.s.version = sub.version;
  goto(run, sub.first);
}

function returnToCaller(run: Run, caller: CompiledFlow): void {
  const frame = run.s.stack[run.s.stack.length - 1]!;
  if (caller.name !== frame.flow || caller.version !== frame.version) {
    throw new SessionInputError('wrong_flow', `the sub-flow returns to "${frame.flow}" version ${frame.version.slice(0, 12)}, not "${caller.name}" version ${caller.version.slice(0, 12)}`);
  }
  const from = run.flow.name;
  run.s.stack.pop();
  run.flow = caller;
  run.s.flow = caller.name;
  run.s.version = caller.version;
  run.s.step = frame.step;
  const callStep = currentStep(run);
  log(run, callStep, { action: 'return', input: { flow: from } });
  follow(run, callStep);
}
