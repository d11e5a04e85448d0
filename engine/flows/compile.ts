import { compileCondition, type Predicate } from '../../core/conditions/conditions.js';
import { parseDuration } from '../../core/gates/duration.js';
import type { JsonObject } from '../../core/types.js';
import { bindPrompt, jsonTemplate, slotTemplate, type BoundPrompt, type JsonTemplate, type SlotTemplate } from './render.js';
import { compileSlot, type CompiledSlot } from './slots.js';
import { actionOf, END, flowSpecOf, type FlowSpec, type StepAction, type StepSpec } from './spec.js';

/** A normalised prompt spec with its version, as the runtime hands it over. */
export interface PromptSource {
  readonly version: string;
  readonly spec: JsonObject;
}

/** A step ready to run: conditions compiled and templates parsed once. */
export interface CompiledStep {
  readonly id: string;
  readonly index: number;
  readonly action: StepAction;
  readonly spec: StepSpec;
  /** The literal message of the step (a `say` step, or the companion of collect, handoff, end). */
  readonly sayText?: SlotTemplate;
  readonly retryText?: SlotTemplate;
  readonly set?: ReadonlyArray<readonly [slot: string, value: JsonTemplate]>;
  readonly tool?: { url: SlotTemplate; headers: ReadonlyArray<readonly [string, SlotTemplate]>; body?: JsonTemplate; timeoutMs: number };
  /** Where to go next (a step id or `end`) given the slots; undefined when no branch matches. */
  next(slots: JsonObject): string | undefined;
}

/** A flow version ready to step through. */
export interface CompiledFlow {
  readonly name: string;
  readonly version: string;
  readonly spec: FlowSpec;
  readonly ttlSeconds: number;
  readonly maxTurns: number;
  readonly first: string;
  readonly slots: ReadonlyMap<string, CompiledSlot>;
  readonly steps: ReadonlyMap<string, CompiledStep>;
  /** The prompt versions this flow was compiled with, by name. */
  readonly prompts: ReadonlyMap<string, BoundPrompt>;
}

/** A flow that cannot be compiled: a prompt it uses was not given (the runtime's lookup is wrong). */
export class FlowCompileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlowCompileError';
  }
}

/** Names of the prompts a normalised flow spec uses (what the runtime must hand to compileFlow). */
export function promptsOf(spec: JsonObject): string[] {
  const names = new Set<string>();
  for (const s of flowSpecOf(spec).steps) {
    if (s.llm) names.add(s.llm.prompt);
    if (typeof s.say === 'object' && s.say !== null) names.add(s.say.prompt);
  }
  return [...names].sort();
}

/** Names of the flows a normalised flow spec calls. */
export function callsOf(spec: JsonObject): string[] {
  return [...new Set(flowSpecOf(spec).steps.flatMap((s) => (s.call !== undefined ? [s.call] : [])))].sort();
}

function seconds(text: string, fallback: number): number {
  const d = parseDuration(text);
  return d.ok ? d.seconds : fallback;
}

function compileNext(step: StepSpec, following: string): (slots: JsonObject) => string | undefined {
  const next = step.next ?? following;
  if (typeof next === 'string') return () => next;
  const branches = next.map((b) => ('else' in b ? { test: (() => true) as Predicate, to: b.else } : { test: compileCondition(b.if), to: b.then }));
  return (slots) => branches.find((b) => b.test(slots))?.to;
}

function compileStep(s: StepSpec, index: number, following: string): CompiledStep {
  const say = typeof s.say === 'string' ? slotTemplate(s.say) : undefined;
  const tool = s.tool
    ? {
        url: slotTemplate(s.tool.url),
        headers: Object.entries(s.tool.headers ?? {}).map(([k, v]) => [k, slotTemplate(v)] as const),
        ...(s.tool.body !== undefined ? { body: jsonTemplate(s.tool.body) } : {}),
        timeoutMs: seconds(s.tool.timeout, 10) * 1000,
      }
    : undefined;
  return {
    id: s.id,
    index,
    action: actionOf(s),
    spec: s,
    ...(say ? { sayText: say } : {}),
    ...(s.retry !== undefined ? { retryText: slotTemplate(s.retry) } : {}),
    ...(s.set ? { set: Object.entries(s.set).map(([k, v]) => [k, jsonTemplate(v)] as const) } : {}),
    ...(tool ? { tool } : {}),
    next: compileNext(s, following),
  };
}

/**
 * Compile a normalised Flow spec (validated, with its version) and the prompts it uses, keyed by
 * name (see promptsOf). Sub-flows are not compiled in: the engine asks for them as an effect.
 */
export function compileFlow(name: string, spec: JsonObject, prompts: Readonly<Record<string, PromptSource>>): CompiledFlow {
  const f = flowSpecOf(spec);
  const bound = new Map<string, BoundPrompt>();
  for (const p of promptsOf(spec)) {
    const src = Object.hasOwn(prompts, p) ? prompts[p] : undefined;
    if (!src) throw new FlowCompileError(`flow "${name}" uses prompt "${p}", which was not given`);
    bound.set(p, bindPrompt(p, { ...src.spec, version: src.version }));
  }
  const steps = new Map<string, CompiledStep>();
  f.steps.forEach((s, i) => {
    if (!steps.has(s.id)) steps.set(s.id, compileStep(s, i, f.steps[i + 1]?.id ?? END));
  });
  return {
    name,
    version: f.version,
    spec: f,
    ttlSeconds: seconds(f.session.ttl, 1800),
    maxTurns: f.session.maxTurns,
    first: f.steps[0]!.id,
    slots: new Map(Object.entries(f.slots).map(([n, d]) => [n, compileSlot(n, d)])),
    steps,
    prompts: bound,
  };
}
