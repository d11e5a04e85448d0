// The stepping engine driven through whole conversations, with no I/O: the sample refund-request
// flow (the one the docs show), a tour of every step type, sub-flows, and the error paths. Every
// state handed to the engine is deep-frozen, so a mutation of its input would throw.
import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../core/types.js';
import { advance, resume, SessionInputError, startSession, type CompiledFlow, type EffectResult, type LoadFlowEffect, type StepResult } from '../../engine/flows/index.js';
import { compileLoaded, flowsOf, loadSpecs, repoFile } from '../helpers/flows.js';

const SAMPLE = { 'flows/refund-request.yaml': repoFile('flows/refund-request.yaml'), 'prompts/refund-decision.yaml': repoFile('prompts/refund-decision.yaml') };

function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object') {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

type Answer = EffectResult extends infer R ? (R extends { id: string } ? Omit<R, 'id'> : never) : never;

/** One conversation: the flows it may load by name, the last result, and the calls a runtime would make. */
class Conversation {
  r!: StepResult;
  constructor(readonly flows: Record<string, CompiledFlow>) {}
  get flow(): CompiledFlow {
    return this.flows[this.r.state.flow]!;
  }
  start(name: string, slots?: JsonObject): StepResult {
    return (this.r = startSession(this.flows[name]!, slots));
  }
  send(text: string): StepResult {
    return (this.r = advance(this.flow, deepFreeze(structuredClone(this.r.state)), text));
  }
  answer(a: Answer): StepResult {
    return (this.r = resume(this.flow, deepFreeze(structuredClone(this.r.state)), { ...a, id: this.r.effect!.id } as EffectResult));
  }
  /** Answer a load_flow effect from the flows by name. */
  load(): StepResult {
    const e = this.r.effect as LoadFlowEffect;
    expect(e.type).toBe('load_flow');
    return this.answer({ ok: true, type: 'load_flow', flow: this.flows[e.name]! });
  }
  get texts(): string[] {
    return this.r.messages.map((m) => m.text);
  }
}

describe('the refund-request sample', () => {
  const { flows } = flowsOf(SAMPLE);
  const refund = flows['refund-request']!;
  const ASK_ORDER = 'What is your 8-digit order number?';
  const ASK_REASON = 'Why would you like a refund: damaged, not-delivered, changed-mind or other?';
  const ESCALATE = 'I am passing you to a colleague who will look at order 12345678.';

  /** Up to the model's decision: a valid order number after one bad one, and a reason. */
  function untilDecision(): Conversation {
    const c = new Conversation(flows);
    c.start('refund-request');
    c.send('12345678');
    c.send('Damaged');
    return c;
  }

  it('asks, re-asks on bad input, asks for the model decision, and ends with the approval', () => {
    const c = new Conversation(flows);
    const started = c.start('refund-request');
    expect(c.texts).toEqual([ASK_ORDER]);
    expect(started.state).toMatchObject({ flow: 'refund-request', version: refund.version, step: 'ask-order', status: 'awaiting_input', turns: 0, maxTurns: 30, slots: {}, stack: [] });
    expect(started.state.pins.prompts).toEqual({ 'refund-decision': refund.prompts.get('refund-decision')!.version });
    expect(started.effect).toBeNull();

    c.send('1234');
    expect(c.texts).toEqual(['An order number has exactly 8 digits, like 12345678. What is yours?']);
    expect(c.r.state).toMatchObject({ status: 'awaiting_input', step: 'ask-order', turns: 1, attempts: { 'refund-request/ask-order': 1 }, slots: {} });
    expect(c.r.events).toEqual([{ flow: 'refund-request', step: 'ask-order', action: 'collect', turn: 1, input: '1234', output: { invalid: '"1234" does not match ^[0-9]{8}$' }, attempt: 1 }]);

    c.send(' 12345678 ');
    expect(c.texts).toEqual([ASK_REASON]);
    expect(c.r.state).toMatchObject({ step: 'ask-reason', slots: { order_id: '12345678' }, attempts: {} });

    c.send('Damaged');
    expect(c.texts).toEqual([]);
    expect(c.r.state).toMatchObject({ status: 'running', step: 'decide', slots: { order_id: '12345678', reason: 'damaged' }, pending: { id: 'e1', type: 'llm', purpose: 'output' } });
    expect(c.r.effect).toEqual({
      type: 'llm',
      id: 'e1',
      flow: 'refund-request',
      step: 'decide',
      purpose: 'output',
      prompt: { name: 'refund-decision', version: refund.prompts.get('refund-decision')!.version },
      model: { provider: 'scripted', name: 'refund-fixtures', maxTokens: 200 },
      system: expect.stringMatching(/^You decide refund requests for an online shop\./),
      messages: [{ role: 'user', text: 'Order 12345678, reason: damaged.' }],
      output: {
        name: 'refund-decision',
        description: 'Fill the slots approved',
        schema: { type: 'object', properties: { approved: { type: 'boolean' } }, required: ['approved'], additionalProperties: false },
      },
    });

    c.answer({ ok: true, type: 'llm', output: { approved: true } });
    expect(c.texts).toEqual(['Your refund for order 12345678 is approved. You will see it within 5 days.']);
    expect(c.r.state).toMatchObject({ status: 'ended', step: 'confirm', pending: null, slots: { approved: true }, outcome: { reason: 'end', flow: 'refund-request', step: 'confirm' } });
    expect(c.r.effect).toBeNull();
    expect(c.r.state.transcript.map((m) => `${m.role}@${m.step}: ${m.text}`)).toEqual([
      `assistant@ask-order: ${ASK_ORDER}`,
      'user@ask-order: 1234',
      'assistant@ask-order: An order number has exactly 8 digits, like 12345678. What is yours?',
      'user@ask-order:  12345678 ',
      `assistant@ask-reason: ${ASK_REASON}`,
      'user@ask-reason: Damaged',
      'assistant@confirm: Your refund for order 12345678 is approved. You will see it within 5 days.',
    ]);
  });

  it('hands off to a human when the model does not approve', () => {
    const c = untilDecision();
    c.answer({ ok: true, type: 'llm', output: { approved: false } });
    expect(c.texts).toEqual([ESCALATE]);
    expect(c.r.state).toMatchObject({ status: 'handoff', step: 'escalate', outcome: { reason: 'handoff', target: 'human' } });
  });

  it.each([
    ['the provider failed', { ok: false, error: { code: 'provider_error', message: 'HTTP 500 after 3 attempts' } }, 'provider_error'],
    ['the output has the wrong type', { ok: true, type: 'llm', output: { approved: 'yes' } }, 'invalid_output'],
    ['the output lacks the slot', { ok: true, type: 'llm', output: { approve: true } }, 'invalid_output'],
    ['no output at all', { ok: true, type: 'llm', text: 'Sure!' }, 'invalid_output'],
  ] as Array<[string, Answer, string]>)('onError escalates when %s', (_what, answer, code) => {
    const c = untilDecision();
    c.answer(answer);
    expect(c.texts).toEqual([ESCALATE]);
    expect(c.r.state.status).toBe('handoff');
    expect(c.r.events[0]).toMatchObject({ step: 'decide', output: { error: { code } }, next: 'escalate' });
    expect(c.r.state.slots).not.toHaveProperty('approved');
  });

  it('gives up on the order number after maxAttempts and takes onError', () => {
    const c = new Conversation(flows);
    c.start('refund-request');
    c.send('abc');
    c.send('123');
    expect(c.r.state.attempts).toEqual({ 'refund-request/ask-order': 2 });
    c.send('1234567');
    expect(c.texts).toEqual(['I am passing you to a colleague who will look at order .']);
    expect(c.r.state).toMatchObject({ status: 'handoff', attempts: {}, turns: 3 });
    expect(c.r.events[1]).toMatchObject({ output: { error: { code: 'max_attempts', message: 'no valid order_id after 3 attempts ("1234567" does not match ^[0-9]{8}$)' } } });
  });

  it('re-asks an enum with the reason and the question when the step has no retry text', () => {
    const c = new Conversation(flows);
    c.start('refund-request');
    c.send('12345678');
    c.send('because');
    expect(c.texts).toEqual([`Sorry, expected one of damaged, not-delivered, changed-mind, other, got "because". ${ASK_REASON}`]);
  });

  it('is deterministic: the same inputs and effect results give the same states (a replay needs no model)', () => {
    const script = () => {
      const c = untilDecision();
      c.answer({ ok: true, type: 'llm', output: { approved: true } });
      return c.r;
    };
    expect(JSON.stringify(script())).toBe(JSON.stringify(script()));
  });
});

const TOUR = `
kind: Flow
name: tour
slots:
  name: { type: string }
  age: { type: integer }
  adult: { type: boolean }
  greeting: { type: string }
  copy: { type: integer }
  status: { type: enum, values: [open, shipped] }
  eta: { type: number }
steps:
  - id: ask-name
    collect: name
    say: Your name?
  - id: ask-age
    collect: age
    say: "How old are you, {{name}}?"
    retry: "A whole number please, {{name}}."
  - id: facts
    set: { greeting: "Hello {{name}} ({{age}})", copy: "{{age}}", adult: true }
    next:
      - if: { age: { $lt: 18 } }
        then: minor
      - else: lookup
  - id: minor
    set: { adult: false }
  - id: lookup
    tool:
      method: POST
      url: "https://shop.example/orders/{{name}}?age={{age}}"
      timeout: 5s
      headers: { X-Customer: "{{name}}" }
      body: { who: "{{name}}", age: "{{age}}", note: "age {{age}}", fixed: [1, true] }
      output: { status: order.status, eta: order.eta_days }
    onError: sorry
  - id: greet
    say: { prompt: greeter, inputs: { years: age } }
  - id: done
    say: "{{greeting}}: your order is {{status}}, in {{eta}} days."
    end: true
  - id: sorry
    say: The order service is down.
    handoff: support
---
kind: Prompt
name: greeter
template: "Greet {{name}}, who is {{years}} years old."
variables:
  name: { type: string }
  years: { type: number }
model: { provider: scripted, name: tour }
`;

describe('every step type', () => {
  const { flows } = flowsOf({ 'flows/tour.yaml': TOUR });

  function atLookup(): Conversation {
    const c = new Conversation(flows);
    c.start('tour');
    c.send('Ada Lovelace');
    c.send('twelve');
    c.send('12');
    return c;
  }

  it('collect with templates, set (a lone placeholder keeps its type), branches, a tool call, a prompt, end with a message', () => {
    const c = new Conversation(flows);
    c.start('tour');
    expect(c.texts).toEqual(['Your name?']);
    c.send('Ada Lovelace');
    expect(c.texts).toEqual(['How old are you, Ada Lovelace?']);
    c.send('twelve');
    expect(c.texts).toEqual(['A whole number please, Ada Lovelace.']);
    c.send('12');
    expect(c.r.state.slots).toEqual({ name: 'Ada Lovelace', age: 12, greeting: 'Hello Ada Lovelace (12)', copy: 12, adult: false });
    expect(c.r.events.map((e) => `${e.action} ${e.step}`)).toEqual(['collect ask-age', 'set facts', 'set minor', 'tool lookup']);
    expect(c.r.effect).toEqual({
      type: 'tool',
      id: 'e1',
      flow: 'tour',
      step: 'lookup',
      request: { method: 'POST', url: 'https://shop.example/orders/Ada%20Lovelace?age=12', headers: { 'X-Customer': 'Ada Lovelace' }, body: { who: 'Ada Lovelace', age: 12, note: 'age 12', fixed: [1, true] }, timeoutMs: 5000 },
    });
    c.answer({ ok: true, type: 'tool', status: 200, body: { order: { status: 'shipped', eta_days: 2.5 } } });
    expect(c.r.state.slots).toMatchObject({ status: 'shipped', eta: 2.5 });
    expect(c.r.effect).toMatchObject({ type: 'llm', id: 'e2', purpose: 'say', messages: [{ role: 'user', text: 'Greet Ada Lovelace, who is 12 years old.' }] });
    expect(c.r.effect).not.toHaveProperty('output');
    expect(c.r.effect).not.toHaveProperty('system');
    c.answer({ ok: true, type: 'llm', text: 'Hi Ada!' });
    expect(c.texts).toEqual(['Hi Ada!', 'Hello Ada Lovelace (12): your order is shipped, in 2.5 days.']);
    expect(c.r.state).toMatchObject({ status: 'ended', step: 'done', outcome: { reason: 'end' } });
  });

  it('an adult skips the minor step: conditions route next over the slots', () => {
    const c = new Conversation(flows);
    c.start('tour');
    c.send('Grace');
    c.send('85');
    expect(c.r.state.slots).toMatchObject({ adult: true });
    expect(c.r.events.map((e) => e.step)).toEqual(['ask-age', 'facts', 'lookup']);
  });

  it.each([
    ['a 503', { ok: true, type: 'tool', status: 503, body: { error: 'down' } }, 'tool_status', 'POST https://shop.example/orders/{{name}}?age={{age}} answered HTTP 503'],
    ['a timeout', { ok: false, error: { code: 'timeout', message: 'no answer within 5s' } }, 'timeout', 'no answer within 5s'],
    ['a missing field', { ok: true, type: 'tool', status: 200, body: { order: { status: 'open' } } }, 'invalid_output', 'has no order.eta_days'],
    ['a value the slot refuses', { ok: true, type: 'tool', status: 200, body: { order: { status: 'lost', eta_days: 1 } } }, 'invalid_output', 'slot "status" takes one of open, shipped, got string "lost"'],
  ] as Array<[string, Answer, string, string]>)('a tool failure (%s) takes onError', (_what, answer, code, message) => {
    const c = atLookup();
    c.answer(answer);
    expect(c.texts).toEqual(['The order service is down.']);
    expect(c.r.state).toMatchObject({ status: 'handoff', outcome: { target: 'support' } });
    expect(c.r.events[0]!.output).toEqual({ error: { code, message: expect.stringContaining(message) } });
    expect(c.r.state.slots).not.toHaveProperty('status');
  });
});

const SUBFLOWS = `
kind: Flow
name: signup
slots:
  email: { type: string, pattern: "@" }
  verified: { type: boolean }
steps:
  - id: verify
    call: verify-email
    next:
      - if: { verified: true }
        then: welcome
      - else: again
  - { id: again, call: verify-email, next: [ { if: { verified: true }, then: welcome }, { else: bye } ] }
  - { id: welcome, say: "Welcome, {{email}}.", end: true }
  - { id: bye, say: "We could not verify you.", end: true }
---
kind: Flow
name: verify-email
slots:
  email: { type: string, pattern: "@" }
  code: { type: string, pattern: "^[0-9]{4}$" }
  verified: { type: boolean }
steps:
  - { id: ask-email, collect: email, say: "Your email?" }
  - { id: ask-code, collect: code, say: "The code we sent to {{email}}?" }
  - id: check
    set: { verified: true }
    next: [ { if: { code: "0000" }, then: wrong }, { else: end } ]
  - { id: wrong, set: { verified: false }, next: end }
`;

describe('sub-flows', () => {
  const flows = flowsOf({ 'flows/s.yaml': SUBFLOWS }).flows as { signup: CompiledFlow; 'verify-email': CompiledFlow };

  it('enter with a load_flow effect, share the slots, and return to the caller, whose next routes on what the sub-flow set', () => {
    const c = new Conversation(flows);
    c.start('signup');
    expect(c.texts).toEqual([]);
    expect(c.r.effect).toEqual({ type: 'load_flow', id: 'e1', purpose: 'call', name: 'verify-email', prompts: {} });
    c.load();
    expect(c.texts).toEqual(['Your email?']);
    expect(c.r.state).toMatchObject({ flow: 'verify-email', version: flows['verify-email'].version, step: 'ask-email', stack: [{ flow: 'signup', version: flows.signup.version, step: 'verify' }], pins: { flows: { 'verify-email': flows['verify-email'].version } } });
    c.send('ada@example.org');
    expect(c.texts).toEqual(['The code we sent to ada@example.org?']);
    c.send('0000');
    expect(c.r.effect).toEqual({ type: 'load_flow', id: 'e2', purpose: 'return', name: 'signup', version: flows.signup.version, prompts: {} });
    expect(c.r.state.slots).toMatchObject({ verified: false });
    c.load();
    expect(c.r.state).toMatchObject({ flow: 'signup', step: 'again', stack: [] });
    // The second call asks for the version the session pinned at the first.
    expect(c.r.effect).toEqual({ type: 'load_flow', id: 'e3', purpose: 'call', name: 'verify-email', version: flows['verify-email'].version, prompts: {} });
    c.load();
    c.send('ada@example.org');
    c.send('1234');
    c.load();
    expect(c.texts).toEqual(['Welcome, ada@example.org.']);
    expect(c.r.state).toMatchObject({ status: 'ended', flow: 'signup', step: 'welcome', outcome: { reason: 'end' } });
  });

  it('refuses a loaded flow that is not the one asked for, and ends when the caller cannot be loaded', () => {
    const c = new Conversation(flows);
    c.start('signup');
    expect(() => c.answer({ ok: true, type: 'load_flow', flow: flows.signup })).toThrow(expect.objectContaining({ code: 'wrong_flow' }));
    c.load();
    c.send('ada@example.org');
    c.send('1234');
    c.answer({ ok: false, error: { code: 'unknown_version', message: 'flow "signup" has no applied version' } });
    expect(c.r.state).toMatchObject({ status: 'ended', outcome: { reason: 'error', code: 'unknown_version' } });
  });
});

/** Flows for the limits and error paths, from one YAML text (validated). */
function limitFlows(yaml: string): Record<string, CompiledFlow> {
  return flowsOf({ 'flows/l.yaml': yaml }).flows;
}

describe('limits and error paths', () => {
  const LOOP = `
kind: Flow
name: loop
slots:
  again: { type: boolean }
  n: { type: integer }
session: { maxTurns: 2 }
steps:
  - id: ask
    collect: again
    say: Again?
    next: [ { if: { again: true }, then: ask }, { else: end } ]
---
kind: Flow
name: spin
slots:
  n: { type: integer }
steps:
  - id: a
    set: { n: 1 }
    next: [ { if: { n: 2 }, then: end }, { else: a } ]
---
kind: Flow
name: strict
slots:
  code: { type: string, pattern: "^[A-Z]{3}$" }
steps:
  - { id: ask, collect: code, say: Code?, maxAttempts: 2 }
  - { id: ok, say: "Got {{code}}." }
`;
  const flows = limitFlows(LOOP);

  it('maxTurns ends the session with a clear reason instead of asking again', () => {
    const c = new Conversation(flows);
    c.start('loop');
    c.send('yes');
    expect(c.texts).toEqual(['Again?']);
    c.send('y');
    expect(c.texts).toEqual([]);
    expect(c.r.state).toMatchObject({ status: 'ended', turns: 2, outcome: { reason: 'max_turns', message: 'the conversation reached its limit of 2 turns', step: 'ask' } });
  });

  it('maxTurns also ends a session whose last turn was bad input', () => {
    const c = new Conversation(flows);
    c.start('loop');
    c.send('yes');
    c.send('perhaps');
    expect(c.r.state.outcome).toMatchObject({ reason: 'max_turns' });
  });

  it('maxAttempts without onError ends the session', () => {
    const c = new Conversation(flows);
    c.start('strict');
    c.send('ab');
    expect(c.texts).toEqual(['Sorry, "ab" does not match ^[A-Z]{3}$. Code?']);
    c.send('abc');
    expect(c.r.state).toMatchObject({ status: 'ended', outcome: { reason: 'max_attempts', code: 'max_attempts' } });
  });

  it('a loop that never waits ends the session after the step limit', () => {
    const r = startSession(flows.spin!, {}, { maxSteps: 10 });
    expect(r.state).toMatchObject({ status: 'ended', outcome: { reason: 'error', code: 'step_limit', message: '10 steps ran without waiting for input: a loop in the flow never stops (at step "a")' } });
  });

  it('initial slots must be declared and fit; valid ones are kept', () => {
    const strict = flows.strict!;
    expect(startSession(strict, { code: 'ABC' }).state.slots).toEqual({ code: 'ABC' });
    expect(() => startSession(strict, { coed: 'ABC' })).toThrow(new SessionInputError('unknown_slot', 'flow "strict" declares no slot "coed" (slots: code)'));
    expect(() => startSession(strict, { code: 'abc' })).toThrow(expect.objectContaining({ code: 'invalid_slot' }));
  });

  it('refuses calls the session cannot take: input while running, results while waiting, a wrong effect id, another flow', () => {
    const c = new Conversation(flowsOf(SAMPLE).flows);
    const waiting = c.start('refund-request').state;
    expect(() => resume(c.flow, waiting, { id: 'e1', ok: true, type: 'llm', text: 'x' })).toThrow(expect.objectContaining({ code: 'not_running' }));
    expect(() => advance(flows.strict!, waiting, '12345678')).toThrow(expect.objectContaining({ code: 'wrong_flow' }));
    c.send('12345678');
    c.send('other');
    expect(() => advance(c.flow, c.r.state, 'hello')).toThrow(expect.objectContaining({ code: 'not_awaiting_input' }));
    expect(() => resume(c.flow, c.r.state, { id: 'e9', ok: true, type: 'llm', output: { approved: true } })).toThrow(expect.objectContaining({ code: 'unexpected_result' }));
    expect(() => resume(c.flow, c.r.state, { id: 'e1', ok: true, type: 'tool', status: 200 })).toThrow(expect.objectContaining({ code: 'unexpected_result' }));
  });

  it('a session keeps the prompt versions it pinned: a flow compiled with another version is refused', () => {
    const { resources } = loadSpecs(SAMPLE);
    const prompt = resources.find((r) => r.kind === 'Prompt')!.spec;
    const edited: JsonObject = { ...prompt, version: 'f'.repeat(64) };
    const newer = compileLoaded(resources, 'refund-request', { 'refund-decision': edited });
    const c = new Conversation(flowsOf(SAMPLE).flows);
    c.start('refund-request');
    c.send('12345678');
    expect(() => advance(newer, c.r.state, 'damaged')).toThrow(/compiled with prompt "refund-decision" version f{12}, but the session pinned/);
  });

  it('a prompt variable whose slot is not filled yet ends the session with missing_slot', () => {
    const { flows: f } = flowsOf({
      'flows/early.yaml': 'kind: Flow\nname: early\nslots:\n  order_id: { type: string }\n  ok: { type: boolean }\nsteps:\n  - { id: decide, llm: { prompt: p, output: { ok: boolean } } }\n',
      'prompts/p.yaml': 'kind: Prompt\nname: p\ntemplate: "{{order_id}}"\nvariables:\n  order_id: { type: string }\nmodel: { provider: scripted, name: t }\n',
    });
    const r = startSession(f.early!);
    expect(r.state).toMatchObject({ status: 'ended', outcome: { reason: 'error', code: 'missing_slot', message: 'prompt "p": variable "order_id" is required (from slot "order_id", not filled yet)' } });
  });

  it('a question from a prompt: collect asks the model first, then waits', () => {
    const { flows: f } = flowsOf({
      'flows/ask.yaml': 'kind: Flow\nname: ask\nslots:\n  topic: { type: string }\nsteps:\n  - { id: q, collect: topic, say: { prompt: opener } }\n  - { id: bye, say: "Noted: {{topic}}." }\n',
      'prompts/opener.yaml': 'kind: Prompt\nname: opener\nmessages:\n  - { role: system, content: Be brief. }\n  - { role: user, content: Ask what the user wants to talk about. }\nmodel: { provider: openai, name: gpt-4.1-mini }\n',
    });
    const c = new Conversation(f);
    c.start('ask');
    expect(c.r.effect).toMatchObject({ type: 'llm', purpose: 'say', system: 'Be brief.', messages: [{ role: 'user', text: 'Ask what the user wants to talk about.' }] });
    c.answer({ ok: true, type: 'llm', text: 'What shall we talk about?' });
    expect(c.texts).toEqual(['What shall we talk about?']);
    expect(c.r.state).toMatchObject({ status: 'awaiting_input', step: 'q' });
    c.send('flows');
    expect(c.texts).toEqual(['Noted: flows.']);
    expect(c.r.state.status).toBe('ended');
  });

  it('a branch list without else that matches nothing ends the session (validation refuses such a flow)', () => {
    const { resources } = loadSpecs({ 'flows/l.yaml': LOOP });
    const loop = resources.find((r) => r.name === 'loop')!;
    const steps = structuredClone(loop.spec.steps) as JsonObject[];
    steps[0]!.next = [{ if: { again: true }, then: 'ask' }];
    const f = compileLoaded([{ ...loop, spec: { ...loop.spec, steps } }], 'loop');
    const c = new Conversation({ loop: f });
    c.start('loop');
    c.send('no');
    expect(c.r.state).toMatchObject({ status: 'ended', outcome: { reason: 'error', code: 'no_branch' } });
  });
});
