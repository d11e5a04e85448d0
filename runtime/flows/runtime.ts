import { randomUUID } from 'node:crypto';
import type { JsonObject } from '../../core/types.js';
import { HttpError } from '../../core/http.js';
import { LlmError, type LlmProvider } from '../../core/llm.js';
import type { SessionStore } from '../../core/sessions.js';
import { assignCompiled, unitValue } from '../../engine/assignment/assign.js';
import { advance, resume, SessionInputError, startSession, type CompiledFlow, type SessionState, type StepResult } from '../../engine/flows/index.js';
import { flowRef } from '../../kinds/flow/variant-ref.js';
import type { ExposureSink, SnapshotSource } from '../../kinds/routes.js';
import { flowCatalog, type FlowCatalog } from './catalog.js';
import { llmFailure, perform, type Performed } from './effects.js';
import { emptyUsage, eventRow, type SessionRecord, type TurnAnswer } from './record.js';
import type { StepLogRow, StepLogStore } from './step-log.js';
import { TurnQueue } from './turn-queue.js';

export interface FlowRuntimeOptions {
  source: SnapshotSource;
  store: SessionStore;
  log: StepLogStore;
  providers: (name: string) => LlmProvider;
  exposures?: ExposureSink;
  now?: () => number;
  fetch?: typeof fetch;
  newId?: () => string;
  /** Longest a turn may take, model calls included (default 120 s). */
  turnTimeoutMs?: number;
  /** Called with each LLM call's provider, model, tokens and latency (for /metrics). */
  onLlmCall?: (p: Performed) => void;
}

export interface TurnHooks {
  /** Assistant text as it is produced: model text as the provider streams it, literal messages whole. */
  onText?: (delta: string) => void;
  /** Each assistant message once complete. */
  onMessage?: (text: string) => void;
}

/** Writes that lost a compare-and-set race are redone on the new state this many times. */
const CAS_TRIES = 3;

/**
 * Conversations over flows: start a session (pinning the flow version, or letting an experiment
 * choose it), take a user message, show a session. A turn runs the pure engine, performs the
 * effects it asks for (model and tool calls, sub-flow loads), and writes the session back with a
 * compare-and-set; the step log rows ride in that write and are flushed to the database after it.
 */
export class FlowRuntime {
  private readonly now: () => number;
  private readonly newId: () => string;
  private readonly fetch: typeof fetch;
  /** Sessions whose log rows below this seq are known to be in the database (skips re-flushing them). */
  private readonly flushed = new Map<string, number>();
  private readonly turns = new TurnQueue();

  constructor(private readonly opts: FlowRuntimeOptions) {
    this.now = opts.now ?? Date.now;
    this.newId = opts.newId ?? randomUUID;
    this.fetch = opts.fetch ?? fetch;
  }

  /** POST /v1/flows/{name}/sessions. */
  async start(name: string, input: { attributes?: JsonObject; experiment?: string; slots?: JsonObject }, hooks: TurnHooks = {}): Promise<TurnAnswer> {
    const snap = this.opts.source.current;
    const catalog = flowCatalog(snap);
    const { flow, experiment } = this.choose(catalog, name, input);
    const turn = new Turn(this, catalog, hooks);
    const started = turn.engine(() => startSession(flow, input.slots ?? {}));
    turn.row({ flow: flow.name, flowVersion: flow.version, turn: 0, step: flow.first, type: 'start', attempt: 1, input: { slots: input.slots ?? {}, ...(experiment ? { experiment } : {}) }, output: { flow: flow.name, version: flow.version, prompts: started.state.pins.prompts }, at: this.now() });
    let state: SessionState;
    try {
      state = await turn.drive(started);
    } catch (e) {
      if (e instanceof LlmError) throw llmFailure(e, 'no session was started; try again');
      throw e;
    }
    const record: SessionRecord = {
      session: state,
      root: { flow: flow.name, version: flow.version },
      experiment,
      createdAt: this.now(),
      ttlMs: flow.ttlSeconds * 1000,
      usage: turn.usage,
      log: { next: 0, pending: [] },
    };
    turn.seal(record);
    const id = this.newId();
    if (!(await this.opts.store.create(id, flow.name, record as unknown as JsonObject, record.ttlMs))) throw new HttpError(409, 'session_exists', `session ${id} exists`);
    await this.flush(id, record.log.pending);
    if (experiment?.inExperiment && experiment.unit) this.opts.exposures?.record({ experiment: experiment.name, phase: experiment.phase, unit: experiment.unit, variant: experiment.variant, revision: snap.revision, at: this.now() });
    return answer(id, record, turn);
  }

  /**
   * POST /v1/sessions/{id}/messages. Messages to one session are taken in turn here; a write lost
   * to another replica is redone on the new state, except with hooks that stream: that is a 409
   * (the text is already out).
   */
  message(id: string, text: string, hooks: TurnHooks = {}): Promise<TurnAnswer> {
    return this.turns.run(id, () => this.takeMessage(id, text, hooks));
  }

  private async takeMessage(id: string, text: string, hooks: TurnHooks): Promise<TurnAnswer> {
    const tries = hooks.onText ? 1 : CAS_TRIES;
    for (let attempt = 1; ; attempt++) {
      const stored = await this.opts.store.get(id);
      if (!stored) throw new HttpError(404, 'unknown_session', `session ${id} does not exist or has expired`);
      const record = stored.state as unknown as SessionRecord;
      await this.flushPending(id, record);
      const catalog = flowCatalog(this.opts.source.current);
      const turn = new Turn(this, catalog, hooks);
      const s = record.session;
      turn.row({ flow: s.flow, flowVersion: s.version, turn: s.turns + 1, step: s.step, type: 'user', attempt: 1, input: text, at: this.now() });
      let state: SessionState;
      try {
        state = await turn.drive(turn.engine(() => advance(turn.flowOf(s), s, text)));
      } catch (e) {
        if (!(e instanceof LlmError)) throw e;
        // The conversation stays where it was; only the failed attempt is written to the log.
        const failed: SessionRecord = { ...record, log: { ...record.log, pending: [...record.log.pending] } };
        turn.row({ flow: s.flow, flowVersion: s.version, turn: s.turns + 1, step: s.step, type: 'turn_failed', attempt: e.attempts, input: text, error: { code: e.code, message: e.message, provider: e.provider }, at: this.now() });
        turn.seal(failed);
        if ((await this.opts.store.update(id, stored.version, failed as unknown as JsonObject, record.ttlMs)).ok) await this.flush(id, failed.log.pending);
        throw llmFailure(e, 'the session is unchanged; send the message again');
      }
      const next: SessionRecord = { ...record, session: state, usage: addUsage(record.usage, turn.usage), log: { ...record.log, pending: [...record.log.pending] } };
      turn.seal(next);
      const w = await this.opts.store.update(id, stored.version, next as unknown as JsonObject, record.ttlMs);
      if (w.ok) {
        await this.flush(id, next.log.pending);
        return answer(id, next, turn);
      }
      if (w.reason === 'missing') throw new HttpError(404, 'unknown_session', `session ${id} expired during the turn`);
      if (attempt >= tries) throw new HttpError(409, 'session_busy', `another message to session ${id} was taken first; send this one again`);
    }
  }

  /** GET /v1/sessions/{id}: the session with its step log. */
  async get(id: string): Promise<{ record: SessionRecord; events: StepLogRow[] }> {
    const stored = await this.opts.store.get(id);
    if (!stored) throw new HttpError(404, 'unknown_session', `session ${id} does not exist or has expired`);
    const record = stored.state as unknown as SessionRecord;
    const logged = await this.opts.log.read(id);
    const seen = new Set(logged.map((r) => r.seq));
    return { record, events: [...logged, ...record.log.pending.filter((r) => !seen.has(r.seq))].sort((a, b) => a.seq - b.seq) };
  }

  /** Flow and experiment for a new session: the path's flow, or the variant an experiment assigns. */
  private choose(catalog: FlowCatalog, name: string, input: { attributes?: JsonObject; experiment?: string }): { flow: CompiledFlow; experiment: SessionRecord['experiment'] } {
    if (input.experiment === undefined) return { flow: catalog.current(name), experiment: null };
    const snap = this.opts.source.current;
    const exp = snap.experiments.get(input.experiment);
    if (!exp) throw new HttpError(404, 'unknown_experiment', `experiment "${input.experiment}" does not exist in revision ${snap.revision}`);
    const refs = exp.variants.map((v) => flowRef(v.value));
    if (!refs.some((r) => r?.name === name)) {
      throw new HttpError(400, 'flow_not_in_experiment', `experiment "${exp.name}" does not choose between versions of flow "${name}" (its variants: ${exp.variants.map((v, i) => `${v.key} → ${refs[i]?.name ?? 'no flow'}`).join(', ')})`);
    }
    const attributes = input.attributes ?? {};
    const a = assignCompiled(exp, attributes, this.now());
    const ref = refs[exp.variants.findIndex((v) => v.key === a.variant)];
    // A spec may mix flow and other values; the unit's variant must still name a flow to run.
    if (!ref) throw new HttpError(409, 'variant_without_flow', `variant "${a.variant}" of experiment "${exp.name}" names no flow, so no session can start for this unit; give every variant a value { flow: NAME }`);
    return {
      flow: catalog.load(ref.name, ref.version, {}),
      experiment: { name: exp.name, variant: a.variant!, inExperiment: a.inExperiment, reason: a.reason, phase: exp.phase, unit: unitValue(exp, attributes) },
    };
  }

  /** Rows a committed write carried that the database may not have yet (a crash or outage after the write). */
  private async flushPending(id: string, record: SessionRecord): Promise<void> {
    const known = this.flushed.get(id) ?? 0;
    const rows = record.log.pending.filter((r) => r.seq >= known);
    if (rows.length > 0) await this.flush(id, rows);
    if ((this.flushed.get(id) ?? 0) >= record.log.next) record.log.pending = [];
  }

  private async flush(id: string, rows: readonly StepLogRow[]): Promise<void> {
    if (rows.length === 0) return;
    try {
      await this.opts.log.append(id, rows);
      this.flushed.set(id, Math.max(this.flushed.get(id) ?? 0, rows[rows.length - 1]!.seq + 1));
      // Bounded: the map only saves re-flushing; forgetting an entry costs one idempotent insert.
      if (this.flushed.size > 100_000) this.flushed.clear();
    } catch {
      // The rows stay in the session's record and are written by its next turn.
    }
  }

  /** For Turn: what performing effects needs. */
  effectContext(catalog: FlowCatalog, hooks: TurnHooks) {
    return { catalog, providers: this.opts.providers, now: this.now, fetch: this.fetch, onText: hooks.onText, signal: AbortSignal.timeout(this.opts.turnTimeoutMs ?? 120_000) };
  }

  get clock(): () => number {
    return this.now;
  }

  llmCalled(p: Performed): void {
    this.opts.onLlmCall?.(p);
  }
}

/** One engine run with its effects: the rows, messages and usage it produced. */
class Turn {
  readonly rows: Array<Omit<StepLogRow, 'seq'>> = [];
  readonly messages: string[] = [];
  readonly usage = emptyUsage();
  private readonly ctx: ReturnType<FlowRuntime['effectContext']>;

  constructor(private readonly rt: FlowRuntime, private readonly catalog: FlowCatalog, private readonly hooks: TurnHooks) {
    this.ctx = rt.effectContext(catalog, hooks);
  }

  /** Run an engine call; bad input to the session is a 4xx. */
  engine(fn: () => StepResult): StepResult {
    try {
      return fn();
    } catch (e) {
      if (e instanceof SessionInputError) throw new HttpError(e.code === 'not_awaiting_input' ? 409 : 400, e.code, e.message);
      throw e;
    }
  }

  flowOf(s: SessionState): CompiledFlow {
    return this.catalog.load(s.flow, s.version, s.pins.prompts);
  }

  row(r: Omit<StepLogRow, 'seq'>): void {
    this.rows.push(r);
  }

  /** Perform effects until the session waits for input or stops. */
  async drive(first: StepResult): Promise<SessionState> {
    let r = first;
    let streamed: string | undefined;
    for (;;) {
      for (const ev of r.events) this.rows.push(eventRow(ev, r.state, this.rt.clock()));
      for (const m of r.messages) {
        if (m.role !== 'assistant') continue;
        if (streamed !== undefined && m.text === streamed) streamed = undefined;
        else this.hooks.onText?.(m.text);
        this.messages.push(m.text);
        this.hooks.onMessage?.(m.text);
      }
      const effect = r.effect;
      if (!effect) return r.state;
      const p = await perform(effect, this.ctx, { flow: r.state.flow, version: r.state.version, step: r.state.step });
      this.rows.push({ ...p.row, turn: r.state.turns });
      if (p.response) {
        this.usage.calls += 1;
        this.usage.inputTokens += p.response.usage.inputTokens;
        this.usage.outputTokens += p.response.usage.outputTokens;
        this.usage.latencyMs += p.response.latencyMs;
        this.rt.llmCalled(p);
        if (effect.type === 'llm' && effect.purpose === 'say' && this.hooks.onText) streamed = p.response.text;
      }
      const state = r.state;
      r = this.engine(() => resume(this.flowOf(state), state, p.result));
    }
  }

  /** Number this turn's rows after the record's and add them to its pending log. */
  seal(record: SessionRecord): void {
    for (const row of this.rows) record.log.pending.push({ ...row, seq: record.log.next++ });
  }
}

function addUsage(a: SessionRecord['usage'], b: SessionRecord['usage']): SessionRecord['usage'] {
  return { calls: a.calls + b.calls, inputTokens: a.inputTokens + b.inputTokens, outputTokens: a.outputTokens + b.outputTokens, latencyMs: a.latencyMs + b.latencyMs };
}

function answer(id: string, record: SessionRecord, turn: Turn): TurnAnswer {
  const s = record.session;
  const out: TurnAnswer = { session: id, flow: s.flow, version: s.version, state: s.status, step: s.step, slots: s.slots, messages: turn.messages.map((text) => ({ role: 'assistant', text })) };
  if (s.outcome) out.outcome = s.outcome;
  if (record.experiment) out.experiment = { name: record.experiment.name, variant: record.experiment.variant, inExperiment: record.experiment.inExperiment };
  return out;
}
