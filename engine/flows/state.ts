import type { Json, JsonObject } from '../../core/types.js';
import type { CompiledFlow } from './compile.js';
import type { LlmMessage, LlmStructuredOutput } from '../../core/llm.js';
import type { StepAction, ToolMethod } from './spec.js';

// A session's state is plain JSON (it is stored in Redis or a table and compared-and-set whole).

/** Where a session stands. `running`: an effect is pending; the runtime performs it and calls resume. */
export type SessionStatus = 'awaiting_input' | 'running' | 'ended' | 'handoff';

/** One message of the conversation, with the step that produced or received it. */
export interface TranscriptMessage {
  role: 'user' | 'assistant';
  text: string;
  flow: string;
  step: string;
}

/** A caller waiting for a sub-flow: it resumes at `step` (the call step), whose `next` decides where to go. */
export interface CallFrame {
  flow: string;
  version: string;
  step: string;
}

/** Why a session stopped. */
export interface SessionOutcome {
  reason: 'end' | 'handoff' | 'max_turns' | 'max_attempts' | 'error';
  message: string;
  /** The handoff target (handoff), or the failure's code (error). */
  target?: string;
  code?: string;
  flow: string;
  step: string;
}

/** The effect a running session waits for. */
export interface PendingEffect {
  id: string;
  type: Effect['type'];
  /** What the result is for: a step's LLM output, its message, its HTTP call, entering a sub-flow, or returning to the caller. */
  purpose: 'output' | 'say' | 'tool' | 'call' | 'return';
}

/** The whole state of one conversation. */
export interface SessionState {
  /** The flow of the current step and its pinned version (a sub-flow while one runs). */
  flow: string;
  version: string;
  /** The current step; the one that ended the session once it is over. */
  step: string;
  /** Callers of the running sub-flow, outermost first. */
  stack: CallFrame[];
  slots: JsonObject;
  /** User messages accepted so far. */
  turns: number;
  /** From the root flow's session settings. */
  maxTurns: number;
  /** Rejected inputs per collect step (`flow/step`), reset when the step accepts one. */
  attempts: Record<string, number>;
  status: SessionStatus;
  pending: PendingEffect | null;
  outcome: SessionOutcome | null;
  transcript: TranscriptMessage[];
  /** Versions first used by this session, kept for its lifetime: sub-flows and prompts. */
  pins: { flows: Record<string, string>; prompts: Record<string, string> };
  /** Effects requested so far (effect ids are `e1`, `e2` …, so a replay asks for the same ones). */
  seq: number;
}

/** A model call: rendered messages, and the JSON Schema of the slots it must fill (llm steps) or none (a message to say). */
export interface LlmEffect {
  type: 'llm';
  id: string;
  flow: string;
  step: string;
  purpose: 'output' | 'say';
  prompt: { name: string; version: string };
  /** The prompt's model settings (provider, name, temperature, maxTokens …), null without. */
  model: Json;
  /** The prompt's system messages, joined; absent without any. */
  system?: string;
  messages: LlmMessage[];
  /** Structured output: named after the prompt, an object schema whose properties are the slots to fill. */
  output?: LlmStructuredOutput;
}

/** An HTTP call declared by a tool step. */
export interface ToolEffect {
  type: 'tool';
  id: string;
  flow: string;
  step: string;
  request: { method: ToolMethod; url: string; headers: Record<string, string>; body?: Json; timeoutMs: number };
}

/** Load a flow: a sub-flow to enter (its pinned version when the session used it before), or the caller to return to. */
export interface LoadFlowEffect {
  type: 'load_flow';
  id: string;
  purpose: 'call' | 'return';
  name: string;
  version?: string;
  /** Prompt versions the session pinned: compile the flow with these where it uses them. */
  prompts: Record<string, string>;
}

/** Something the runtime must do before the session can go on. */
export type Effect = LlmEffect | ToolEffect | LoadFlowEffect;

/** The outcome of an effect, fed back through resume. */
export type EffectResult =
  | { id: string; ok: true; type: 'llm'; text?: string; output?: JsonObject }
  | { id: string; ok: true; type: 'tool'; status: number; body?: Json }
  | { id: string; ok: true; type: 'load_flow'; flow: CompiledFlow }
  | { id: string; ok: false; error: { code: string; message: string } };

/** One executed step, for the step log. */
export interface StepEvent {
  flow: string;
  step: string;
  action: StepAction | 'return';
  turn: number;
  /** What the step took in: the user's text, an effect's result. */
  input?: Json;
  /** What it produced: slot values, a message, the effect it asked for, a failure. */
  output?: Json;
  attempt?: number;
  /** Where it went: a step id, `end`, or the status it left the session in. */
  next?: string;
}

/** What one call of the engine returns. */
export interface StepResult {
  state: SessionState;
  /** Assistant messages produced by this call, in order (also appended to the transcript). */
  messages: TranscriptMessage[];
  /** What the runtime must do next, then call resume(); set exactly when state.status is `running`. */
  effect: Effect | null;
  events: StepEvent[];
}

/** A call the session cannot take: wrong status, an effect result it does not wait for, a flow that is not its own, bad initial slots. */
export class SessionInputError extends Error {
  constructor(
    readonly code: 'not_awaiting_input' | 'not_running' | 'unexpected_result' | 'wrong_flow' | 'unknown_slot' | 'invalid_slot',
    message: string,
  ) {
    super(message);
    this.name = 'SessionInputError';
  }
}
