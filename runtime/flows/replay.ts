import type { Json, JsonObject } from '../../core/types.js';
import { advance, resume, startSession, type CompiledFlow, type EffectResult, type SessionState, type StepResult, type TranscriptMessage } from '../../engine/flows/index.js';
import type { FlowCatalog } from './catalog.js';
import type { StepLogRow } from './step-log.js';

/** A session run again from its step log: the same flow and prompt versions, model and tool answers read from the log. */
export interface Replay {
  state: SessionState;
  transcript: TranscriptMessage[];
  /** User messages fed again (failed attempts left out). */
  messages: number;
}

/** A log that cannot be replayed: no start row, or an effect whose answer was never recorded. */
export class ReplayError extends Error {
  constructor(readonly code: 'no_start' | 'not_recorded', message: string) {
    super(message);
    this.name = 'ReplayError';
  }
}

function obj(v: Json | undefined): JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? v : {};
}

/**
 * Run a session again from its log without calling a model or a tool: what a recorded
 * conversation does on the versions it ran on (replay must give the same transcript), and the
 * ground the offline evaluation of a new version stands on.
 */
export function replaySession(catalog: FlowCatalog, rows: readonly StepLogRow[]): Replay {
  const start = rows.find((r) => r.type === 'start');
  if (!start) throw new ReplayError('no_start', 'the step log has no start row');
  const begun = obj(start.output);
  const pins = obj(begun.prompts) as Record<string, string>;
  // The answer of each effect as last recorded: a retried turn recorded the answers it used last.
  const answers = new Map<string, StepLogRow>();
  for (const r of rows) if (r.type === 'llm_call' || r.type === 'tool_call') answers.set(obj(r.input).effect as string, r);

  const flowOf = (s: SessionState): CompiledFlow => catalog.load(s.flow, s.version, s.pins.prompts);
  const drive = (first: StepResult): SessionState => {
    let r = first;
    while (r.effect) {
      const e = r.effect;
      let result: EffectResult;
      if (e.type === 'load_flow') result = { id: e.id, ok: true, type: 'load_flow', flow: catalog.load(e.name, e.version, e.prompts) };
      else {
        const row = answers.get(e.id);
        if (!row) throw new ReplayError('not_recorded', `effect ${e.id} (${e.type} at step ${e.step}) has no recorded answer`);
        // Tool rows, and model calls that failed the step, hold the engine's EffectResult as it was fed.
        if (e.type === 'tool' || obj(row.output).ok === false) result = row.output as unknown as EffectResult;
        else {
          const out = obj(row.output);
          result = { id: e.id, ok: true, type: 'llm', text: (out.text as string | undefined) ?? '', ...(out.output !== undefined ? { output: out.output as JsonObject } : {}) };
        }
      }
      const state = r.state;
      r = resume(flowOf(state), state, result);
    }
    return r.state;
  };

  const first = catalog.load(begun.flow as string, begun.version as string, pins);
  let state = drive(startSession(first, obj(obj(start.input).slots)));
  let messages = 0;
  for (const text of acceptedMessages(rows)) {
    state = drive(advance(flowOf(state), state, text));
    messages++;
  }
  return { state, transcript: state.transcript, messages };
}

/** User messages of turns that completed: a user row whose turn ended in turn_failed was not taken. */
function acceptedMessages(rows: readonly StepLogRow[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < rows.length; i++) {
    if (rows[i]!.type !== 'user') continue;
    let failed = false;
    for (let j = i + 1; j < rows.length && rows[j]!.type !== 'user'; j++) if (rows[j]!.type === 'turn_failed') failed = true;
    if (!failed) out.push(rows[i]!.input as string);
  }
  return out;
}
