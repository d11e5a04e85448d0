// Whole conversations through the refund-request sample on `labctl serve` (in-process, real HTTP,
// real PostgreSQL, the scripted provider from fixtures/): the re-ask on bad input, slots filled,
// the llm step's structured output choosing the branch, the states a session goes through, the
// step log behind GET /v1/sessions/{id}, and the 4xx answers for what a client can get wrong.
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { stepRows, useFlowRuntime } from '../helpers/flows-runtime.js';
import { requirePostgres } from '../helpers/postgres.js';

vi.setConfig({ testTimeout: 30_000, hookTimeout: 60_000 });

const ASK_ORDER = 'What is your 8-digit order number?';
const ASK_REASON = 'Why would you like a refund: damaged, not-delivered, changed-mind or other?';
const RETRY = 'An order number has exactly 8 digits, like 12345678. What is yours?';
const CONFIRM = 'Your refund for order 12345678 is approved. You will see it within 5 days.';
const ESCALATE = (order: string) => `I am passing you to a colleague who will look at order ${order}.`;

const available = await requirePostgres();

describe.skipIf(!available)('a conversation through the refund-request sample', () => {
  const rt = useFlowRuntime(() => ({}));
  let version: string;
  beforeAll(async () => {
    version = (await rt.project.sql<{ current_version: string }>(`SELECT current_version FROM labctl.flows WHERE name = 'refund-request'`))[0]!.current_version;
  });

  it('damaged: bad input is re-asked with the retry text, slots fill, the model approves, the session ends at confirm', async () => {
    const started = await rt.client.start('refund-request', { attributes: { user_id: 'u1' } });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    expect(started.body).toEqual({ session: expect.any(String), flow: 'refund-request', version, state: 'awaiting_input', step: 'ask-order', slots: {}, messages: [{ role: 'assistant', text: ASK_ORDER }] });
    const id = started.body.session as string;

    const bad = await rt.client.send(id, '1234');
    expect(bad.status).toBe(200);
    expect(bad.body).toMatchObject({ state: 'awaiting_input', step: 'ask-order', slots: {}, messages: [{ role: 'assistant', text: RETRY }] });

    const order = await rt.client.send(id, ' 12345678 ');
    expect(order.body).toMatchObject({ state: 'awaiting_input', step: 'ask-reason', slots: { order_id: '12345678' }, messages: [{ role: 'assistant', text: ASK_REASON }] });

    const badReason = await rt.client.send(id, 'bored');
    expect(badReason.body.step).toBe('ask-reason');
    expect(badReason.body.messages).toHaveLength(1);
    expect(badReason.body.messages[0].text).toContain(ASK_REASON);
    expect(badReason.body.slots).toEqual({ order_id: '12345678' });

    const done = await rt.client.send(id, 'damaged');
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ session: id, version, state: 'ended', step: 'confirm', slots: { order_id: '12345678', reason: 'damaged', approved: true }, messages: [{ role: 'assistant', text: CONFIRM }], outcome: { reason: 'end' } });

    const shown = await rt.client.get(id);
    expect(shown.status).toBe(200);
    expect(shown.body).toMatchObject({ session: id, flow: 'refund-request', version, state: 'ended', step: 'confirm', turns: 4, slots: done.body.slots, root: { flow: 'refund-request', version } });
    expect(shown.body.transcript.map((m: { role: string; text: string }) => `${m.role}: ${m.text}`)).toEqual([
      `assistant: ${ASK_ORDER}`,
      'user: 1234',
      `assistant: ${RETRY}`,
      'user:  12345678 ',
      `assistant: ${ASK_REASON}`,
      'user: bored',
      `assistant: ${badReason.body.messages[0].text}`,
      'user: damaged',
      `assistant: ${CONFIRM}`,
    ]);
    // The scripted model's one call: tokens counted, the request and answer kept in the log.
    expect(shown.body.usage).toMatchObject({ calls: 1, inputTokens: expect.any(Number), outputTokens: expect.any(Number) });
    expect(shown.body.usage.inputTokens).toBeGreaterThan(0);
    const call = shown.body.events.filter((e: { type: string }) => e.type === 'llm_call');
    expect(call).toHaveLength(1);
    expect(call[0]).toMatchObject({ step: 'decide', provider: 'scripted', model: 'refund-fixtures', output: { output: { approved: true } }, turn: 4 });
    const seqs = shown.body.events.map((e: { seq: number }) => e.seq);
    expect(seqs).toEqual([...seqs.keys()]);
    // Every row of GET is in the database, once.
    expect((await stepRows(rt.project, id)).map((r) => r.seq)).toEqual(seqs);
    expect(shown.body.events.filter((e: { type: string }) => e.type === 'user').map((e: { input: string }) => e.input)).toEqual(['1234', ' 12345678 ', 'bored', 'damaged']);
  });

  it('changed-mind: the model declines and the session is handed off; a message after that is a 409', async () => {
    const id = (await rt.client.start('refund-request')).body.session as string;
    await rt.client.send(id, '87654321');
    const handoff = await rt.client.send(id, 'changed-mind');
    expect(handoff.body).toMatchObject({ state: 'handoff', step: 'escalate', slots: { order_id: '87654321', reason: 'changed-mind', approved: false }, messages: [{ role: 'assistant', text: ESCALATE('87654321') }], outcome: { reason: 'handoff', target: 'human' } });

    const late = await rt.client.send(id, 'hello?');
    expect(late.status).toBe(409);
    expect(late.body.error).toMatchObject({ code: 'not_awaiting_input', message: expect.stringContaining('handoff') });
    const shown = await rt.client.get(id);
    expect(shown.body).toMatchObject({ state: 'handoff', turns: 2 });
    expect(shown.body.transcript.at(-1).text).toBe(ESCALATE('87654321'));
  });

  it('three bad order numbers go to the onError step (escalate), and an ended session refuses messages with 409', async () => {
    const id = (await rt.client.start('refund-request')).body.session as string;
    expect((await rt.client.send(id, 'a')).body.state).toBe('awaiting_input');
    expect((await rt.client.send(id, 'b')).body.state).toBe('awaiting_input');
    const third = await rt.client.send(id, 'c');
    expect(third.body).toMatchObject({ state: 'handoff', step: 'escalate' });

    const ended = (await rt.client.start('refund-request')).body.session as string;
    await rt.client.send(ended, '12345678');
    expect((await rt.client.send(ended, 'not-delivered')).body).toMatchObject({ state: 'ended', slots: { approved: true } });
    const after = await rt.client.send(ended, 'thanks');
    expect(after.status).toBe(409);
    expect(after.body).toMatchObject({ error: { code: 'not_awaiting_input', message: expect.stringContaining('ended') } });
  });

  it('initial slots are checked against the flow, and fill the session', async () => {
    const given = await rt.client.start('refund-request', { slots: { order_id: '11112222' } });
    expect(given.status).toBe(201);
    expect(given.body.slots).toEqual({ order_id: '11112222' });
    const unknown = await rt.client.start('refund-request', { slots: { colour: 'red' } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.code).toBe('unknown_slot');
    const invalid = await rt.client.start('refund-request', { slots: { order_id: 'abc' } });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.code).toBe('invalid_slot');
  });

  it.each([
    ['an unknown flow', () => rt.client.start('no-such-flow'), 404, 'unknown_flow'],
    ['a message to an unknown session', () => rt.client.send('no-such-session', 'hi'), 404, 'unknown_session'],
    ['GET of an unknown session', () => rt.client.get('no-such-session'), 404, 'unknown_session'],
    ['a message body that is not JSON', () => rt.client.post('/v1/sessions/x/messages', '{"text":'), 400, undefined],
    ['a message body that is an array', () => rt.client.post('/v1/sessions/x/messages', '["hi"]'), 400, 'invalid_body'],
    ['a message without text', () => rt.client.post('/v1/sessions/x/messages', { message: 'hi' }), 400, 'invalid_field'],
    ['a message whose text is a number', () => rt.client.post('/v1/sessions/x/messages', { text: 12345678 }), 400, 'invalid_field'],
    ['a message of 8193 characters', () => rt.client.post('/v1/sessions/x/messages', { text: 'x'.repeat(8193) }), 400, 'text_too_long'],
    ['an empty message body', () => rt.client.post('/v1/sessions/x/messages', ''), 400, undefined],
    ['attributes that are not an object', () => rt.client.start('refund-request', { attributes: 'u1' }), 400, 'invalid_field'],
    ['slots that are a list', () => rt.client.start('refund-request', { slots: ['12345678'] }), 400, 'invalid_field'],
    ['an experiment that is not a name', () => rt.client.start('refund-request', { experiment: 7 }), 400, 'invalid_field'],
    ['an unknown experiment', () => rt.client.start('refund-request', { experiment: 'nope' }), 404, 'unknown_experiment'],
  ] as const)("%s is a JSON error", async (_what, send, status, code) => {
    const r = await send();
    expect(r.status).toBe(status);
    expect(r.body).toMatchObject({ error: { code: code ?? expect.any(String), message: expect.any(String) } });
    expect(r.body.error.message).not.toMatch(/\n\s+at /);
  });

  it('a start without a body is fine (the body is optional there)', async () => {
    const r = await fetch(`${rt.serve.url}/v1/flows/refund-request/sessions`, { method: 'POST' });
    expect(r.status).toBe(201);
    expect(((await r.json()) as { step: string }).step).toBe('ask-order');
  });
});

const MAIN = `kind: Flow
name: main
slots:
  name: { type: string }
steps:
  - { id: hello, say: "Hi.", next: who }
  - { id: who, call: ask-name }
  - { id: bye, say: "Bye {{name}}.", next: end }
`;
const ASK_NAME = `kind: Flow
name: ask-name
slots:
  name: { type: string }
steps:
  - { id: q, collect: name, say: "Your name?" }
  - { id: thanks, say: "Thanks {{name}}.", next: end }
`;

describe.skipIf(!available)('a sub-flow through the runtime', () => {
  const rt = useFlowRuntime(() => ({ samples: false, files: { 'flows/main.yaml': MAIN, 'flows/ask-name.yaml': ASK_NAME } }));
  const versions = async () => Object.fromEntries((await rt.project.sql<{ name: string; v: string }>('SELECT name, current_version AS v FROM labctl.flows')).map((r) => [r.name, r.v]));

  it('enters the sub-flow, returns to the caller, keeps the sub-flow version it entered; every log row names a real flow version', async () => {
    const v1 = await versions();
    const start = await rt.client.start('main');
    expect(start.body).toMatchObject({ flow: 'ask-name', version: v1['ask-name'], step: 'q', messages: [{ text: 'Hi.' }, { text: 'Your name?' }] });
    const id = start.body.session as string;

    rt.project.write('flows/ask-name.yaml', ASK_NAME.replace('Thanks', 'Cheers'));
    await rt.project.apply();
    await rt.serve.reload();
    const v2 = await versions();
    expect(v2['ask-name']).not.toBe(v1['ask-name']);

    const done = await rt.client.send(id, 'Ann');
    expect(done.body).toMatchObject({ flow: 'main', version: v1.main, state: 'ended', step: 'bye', messages: [{ text: 'Thanks Ann.' }, { text: 'Bye Ann.' }] });
    const shown = (await rt.client.get(id)).body;
    expect(shown.pins.flows).toEqual({ 'ask-name': v1['ask-name'] });
    for (const e of shown.events) expect([e.seq, e.flow, e.flowVersion]).toEqual([e.seq, e.flow, v1[e.flow]]);
    const loads = shown.events.filter((e: { type: string }) => e.type === 'load_flow');
    expect(loads.map((e: { flow: string; step: string; input: { purpose: string; flow: string }; output: { flow: string } }) => [e.flow, e.step, e.input.purpose, e.input.flow, e.output.flow])).toEqual([
      ['main', 'who', 'call', 'ask-name', 'ask-name'],
      ['ask-name', 'thanks', 'return', 'main', 'main'],
    ]);

    const fresh = await rt.client.start('main');
    expect(fresh.body).toMatchObject({ version: v2['ask-name'] });
    expect((await rt.client.send(fresh.body.session, 'Bo')).body.messages[0].text).toBe('Cheers Bo.');
  });
});
