import type { Json, JsonObject } from '../../core/types.js';
import type { SessionOutcome, SessionState, SessionStatus, StepEvent } from '../../engine/flows/index.js';
import type { StepLogRow } from './step-log.js';

/** Model calls of a session, summed. */
export interface SessionUsage {
  calls: number;
  inputTokens: number;
  outputTokens: number;
  latencyMs: number;
}

/** What the session store holds for one conversation (compared-and-set whole). */
export interface SessionRecord {
  session: SessionState;
  /** The flow the session started in, at its pinned version. */
  root: { flow: string; version: string };
  /** The experiment that chose the flow, when one did. */
  experiment: { name: string; variant: string; inExperiment: boolean; reason: string; phase: number; unit: string | null } | null;
  createdAt: number;
  ttlMs: number;
  usage: SessionUsage;
  /** Step-log rows numbered in this record; `pending` are those not yet known to be in the database. */
  log: { next: number; pending: StepLogRow[] };
}

/** The answer to starting a session or sending it a message. */
export interface TurnAnswer {
  session: string;
  flow: string;
  version: string;
  state: SessionStatus;
  step: string;
  slots: JsonObject;
  /** The assistant's messages of this turn. */
  messages: Array<{ role: 'assistant'; text: string }>;
  outcome?: SessionOutcome;
  experiment?: { name: string; variant: string; inExperiment: boolean };
}

export function emptyUsage(): SessionUsage {
  return { calls: 0, inputTokens: 0, outputTokens: 0, latencyMs: 0 };
}

/** The pinned version of a flow the session runs or ran (the current one, a caller on the stack, or a sub-flow it entered). */
export function versionOf(s: SessionState, flow: string): string {
  if (flow === s.flow) return s.version;
  return s.stack.find((f) => f.flow === flow)?.version ?? s.pins.flows[flow] ?? '';
}

/** A step the engine ran, as a step-log row (seq is assigned when the turn is sealed). */
export function eventRow(ev: StepEvent, s: SessionState, at: number): Omit<StepLogRow, 'seq'> {
  const row: Omit<StepLogRow, 'seq'> = { flow: ev.flow, flowVersion: versionOf(s, ev.flow), turn: ev.turn, step: ev.step, type: ev.action, attempt: ev.attempt ?? 1, at };
  if (ev.input !== undefined) row.input = ev.input;
  const output = ev.next !== undefined ? ({ ...(isObject(ev.output) ? ev.output : ev.output === undefined ? {} : { value: ev.output }), next: ev.next } as Json) : ev.output;
  if (output !== undefined) row.output = output;
  return row;
}

function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
