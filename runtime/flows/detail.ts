import type { SessionRecord } from './record.js';
import type { StepLogRow } from './step-log.js';

/**
 * What the session's model calls cost, from the price each prompt version declared (`model.price`,
 * USD per million tokens). `usd` covers the priced calls; `unpriced` counts calls without a price.
 */
export function sessionCost(events: readonly StepLogRow[]): { usd: number; unpriced: number } {
  let usd = 0;
  let unpriced = 0;
  for (const e of events) {
    if (e.type !== 'llm_call') continue;
    const price = (e.input as { price?: { input: number; output: number } } | undefined)?.price;
    if (!price) {
      unpriced++;
      continue;
    }
    usd += ((e.inputTokens ?? 0) * price.input + (e.outputTokens ?? 0) * price.output) / 1_000_000;
  }
  return { usd: Math.round(usd * 1e6) / 1e6, unpriced };
}

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
    cost: sessionCost(events),
    createdAt: new Date(record.createdAt).toISOString(),
    events: events.map((e) => ({ ...e, at: new Date(e.at).toISOString() })),
  };
}
