import type { SessionRecord } from './record.js';
import type { StepLogRow } from './step-log.js';

/** GET /v1/sessions/{id}: where the conversation is, what was said, every step, and what the models used. */
export function sessionDetail(id: string, record: SessionRecord, events: readonly StepLogRow[]) {
  const s = record.session;
  return {
    session: id,
    flow: s.flow,
    version: s.version,
    root: record.root,
    state: s.status,
    step: s.step,
    slots: s.slots,
    turns: s.turns,
    ...(s.outcome ? { outcome: s.outcome } : {}),
    ...(record.experiment ? { experiment: { name: record.experiment.name, variant: record.experiment.variant, inExperiment: record.experiment.inExperiment } } : {}),
    pins: s.pins,
    transcript: s.transcript.map((m) => ({ role: m.role, text: m.text, flow: m.flow, step: m.step })),
    usage: record.usage,
    createdAt: new Date(record.createdAt).toISOString(),
    events: events.map((e) => ({ ...e, at: new Date(e.at).toISOString() })),
  };
}
