import type { Json, JsonObject } from '../../core/types.js';

// The normalised shape of a Flow spec, as the Flow kind stores it and the stepping engine reads it.

/** Declared type of a slot. */
export type SlotType = 'string' | 'number' | 'integer' | 'boolean' | 'enum';

/** The slot types, in the order docs and hints list them. */
export const SLOT_TYPES: readonly SlotType[] = ['string', 'number', 'integer', 'boolean', 'enum'];

/** One declared slot: a typed value the conversation fills. */
export interface SlotDecl {
  type: SlotType;
  /** A regular expression (RE2 syntax, searched like JSON Schema's `pattern`) string values must match. */
  pattern?: string;
  /** The allowed values of an `enum` slot. */
  values?: string[];
  description?: string;
}

/** Session limits: `ttl` as a canonical duration (`30m`), `maxTurns` as user messages. */
export interface SessionConfig {
  ttl: string;
  maxTurns: number;
}

/** One branch of a conditional `next`. */
export type NextBranch = { if: JsonObject; then: string } | { else: string };

/** Where a step goes: a step id, `end`, or branches over the slots. */
export type Next = string | NextBranch[];

/** The target name that ends the current flow (returning to the caller inside a sub-flow). */
export const END = 'end';

/** A prompt used by a step; `inputs` maps prompt variables to slots whose names differ. */
export interface PromptUse {
  prompt: string;
  inputs?: Record<string, string>;
}

/** An HTTP method a tool step may use. */
export type ToolMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** An HTTP call declared in the spec. */
export interface ToolSpec {
  method: ToolMethod;
  /** An absolute http(s) URL; `{{slot}}` placeholders are URL-encoded. */
  url: string;
  /** A canonical duration (`10s`). */
  timeout: string;
  headers?: Record<string, string>;
  /** JSON sent as the request body; string leaves may hold `{{slot}}` placeholders. */
  body?: Json;
  /** Slot → dot path into the response JSON (`order.status`, `items.0.id`). */
  output?: Record<string, string>;
}

/** The LLM step: a prompt whose structured output fills the named slots. */
export interface LlmSpec extends PromptUse {
  output: Record<string, SlotType>;
}

/** One step: an id, exactly one action (with `say` also a companion of collect, handoff and end), and where to go. */
export interface StepSpec {
  id: string;
  collect?: string;
  say?: string | PromptUse;
  retry?: string;
  maxAttempts?: number;
  llm?: LlmSpec;
  set?: Record<string, Json>;
  call?: string;
  tool?: ToolSpec;
  handoff?: string;
  end?: true;
  next?: Next;
  /** Where to go when the step fails: collect after maxAttempts, llm and tool when the call or its output fails. */
  onError?: string;
}

/** A normalised Flow spec (header fields aside). */
export interface FlowSpec {
  slots: Record<string, SlotDecl>;
  session: SessionConfig;
  steps: StepSpec[];
  version: string;
}

/** The action keys of a step. */
export type StepAction = 'collect' | 'llm' | 'set' | 'call' | 'tool' | 'handoff' | 'end' | 'say';

/** Every action key, `say` last: it is the action only when no other is present. */
export const STEP_ACTIONS: readonly StepAction[] = ['collect', 'llm', 'set', 'call', 'tool', 'handoff', 'end', 'say'];

/** Actions that may carry a `say` as their message (the question, a farewell). */
export const SAY_COMPANIONS: readonly StepAction[] = ['collect', 'handoff', 'end'];

/** The action keys a step holds (a companion `say` not counted); a well-formed step has exactly one. */
export function actionsOf(step: StepSpec): StepAction[] {
  const present = STEP_ACTIONS.filter((a) => step[a] !== undefined);
  return present.length > 1 && present.includes('say') && present.some((a) => SAY_COMPANIONS.includes(a)) ? present.filter((a) => a !== 'say') : present;
}

/** The action of a well-formed step. */
export function actionOf(step: StepSpec): StepAction {
  return actionsOf(step)[0]!;
}

/** Whether a step leaves the flow itself (so `next` does not apply). */
export function isExit(step: StepSpec): boolean {
  return step.handoff !== undefined || step.end !== undefined;
}

/** The view of a normalised spec as a FlowSpec. */
export function flowSpecOf(spec: JsonObject): FlowSpec {
  return spec as unknown as FlowSpec;
}
