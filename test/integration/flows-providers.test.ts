// Flows whose steps call Anthropic and OpenAI through their real SDKs, over real HTTP, against the
// local wire-compatible server (ANTHROPIC_BASE_URL / OPENAI_BASE_URL point at it), on `labctl serve`
// in-process: a model's message as JSON and streamed as server-sent events, structured output
// choosing a branch, usage and the provider's request and answer in the step log, labctl_llm_* in
// /metrics; and a provider failure after the SDK's retries, which leaves the session where it was.
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { metricValue, SAMPLE_FILES, serveFlowRoutes, stepRows, useFlowRuntime } from '../helpers/flows-runtime.js';
import { LlmWireServer, reply, type WireApi } from '../helpers/llm-wire-server.js';
import { requirePostgres } from '../helpers/postgres.js';

vi.setConfig({ testTimeout: 30_000, hookTimeout: 60_000 });

const ASK = 'What can I help you with?';
const MODEL: Record<WireApi, string> = { anthropic: 'claude-wire-1', openai: 'gpt-wire-1' };

const assistantFlow = (api: WireApi) => `kind: Flow
name: assistant-${api}
slots:
  question: { type: string }
session: { ttl: 10m, maxTurns: 20 }
steps:
  - id: ask
    collect: question
    say: "${ASK}"
    next:
      - if: { question: bye }
        then: bye
      - else: answer
  - id: answer
    say: { prompt: answer-${api} }
    next: ask
  - { id: bye, say: "Goodbye.", next: end }
`;

const answerPrompt = (api: WireApi) => `kind: Prompt
name: answer-${api}
messages:
  - role: system
    content: You answer customers of Acme in one sentence.
  - role: user
    content: "{{question}}"
variables:
  question: { type: string }
model: { provider: ${api}, name: ${MODEL[api]}, maxTokens: 100 }
`;

/** Per provider: the assistant flow and its prompt, and the sample refund flow whose decision prompt asks that provider. */
const PROVIDER_FILES: Record<string, string> = {};
for (const api of ['anthropic', 'openai'] as const) {
  PROVIDER_FILES[`flows/assistant-${api}.yaml`] = assistantFlow(api);
  PROVIDER_FILES[`prompts/answer-${api}.yaml`] = answerPrompt(api);
  PROVIDER_FILES[`flows/refund-${api}.yaml`] = SAMPLE_FILES['flows/refund-request.yaml']!.replace('name: refund-request', `name: refund-${api}`).replace('prompt: refund-decision', `prompt: decision-${api}`);
  PROVIDER_FILES[`prompts/decision-${api}.yaml`] = SAMPLE_FILES['prompts/refund-decision.yaml']!.replace('name: refund-decision', `name: decision-${api}`).replace('provider: scripted', `provider: ${api}`).replace('name: refund-fixtures', `name: ${MODEL[api]}`);
}

const available = await requirePostgres();

describe.skipIf(!available)('flows on real provider SDKs', () => {
  let wire: LlmWireServer;
  beforeAll(async () => {
    wire = await LlmWireServer.start();
  });
  afterAll(() => wire?.close());
  const rt = useFlowRuntime(() => ({
    files: PROVIDER_FILES,
    env: { ANTHROPIC_API_KEY: 'sk-ant-wire', ANTHROPIC_BASE_URL: wire.anthropicUrl, OPENAI_API_KEY: 'sk-openai-wire', OPENAI_BASE_URL: wire.openaiUrl },
  }));
  beforeEach(() => wire.reset());

  async function session(api: WireApi): Promise<string> {
    const r = await rt.client.start(`assistant-${api}`, { attributes: { user_id: 'u1' } });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.messages).toEqual([{ role: 'assistant', text: ASK }]);
    return r.body.session as string;
  }

  describe.each(['anthropic', 'openai'] as const)('%s', (api) => {
    const labels = { provider: api, model: MODEL[api] };

    it('a say step with a prompt: the model text as JSON, usage and the provider exchange in GET, calls and tokens in /metrics', async () => {
      const before = await rt.client.metrics();
      const id = await session(api);
      wire.enqueue(reply.text('Your parcel ships tomorrow.', { usage: { input: 21, output: 5 } }));
      const r = await rt.client.send(id, 'Where is my parcel?');
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body).toMatchObject({ state: 'awaiting_input', step: 'ask', slots: { question: 'Where is my parcel?' }, messages: [{ role: 'assistant', text: 'Your parcel ships tomorrow.' }, { role: 'assistant', text: ASK }] });

      expect(wire.requests).toHaveLength(1);
      const sent = wire.requests[0]!;
      expect(sent.api).toBe(api);
      expect(sent.body.model).toBe(MODEL[api]);
      expect(sent.body.stream ?? false).toBe(false);
      expect(JSON.stringify(sent.body.messages)).toContain('Where is my parcel?');
      expect(JSON.stringify(api === 'anthropic' ? sent.body.system : sent.body.messages[0])).toContain('You answer customers of Acme');

      const shown = (await rt.client.get(id)).body;
      expect(shown.usage).toMatchObject({ calls: 1, inputTokens: 21, outputTokens: 5 });
      expect(shown.usage.latencyMs).toBeGreaterThan(0);
      const calls = shown.events.filter((e: { type: string }) => e.type === 'llm_call');
      expect(calls).toHaveLength(1);
      expect(calls[0]).toMatchObject({ step: 'answer', provider: api, model: MODEL[api], attempt: 1, inputTokens: 21, outputTokens: 5, output: { text: 'Your parcel ships tomorrow.' } });
      expect(calls[0].request).toEqual(sent.body);
      expect(calls[0].response).toMatchObject({ model: MODEL[api] });
      expect((await stepRows(rt.project, id)).filter((row) => row.type === 'llm_call').map((row) => row.provider)).toEqual([api]);

      const after = await rt.client.metrics();
      expect(metricValue(after, 'labctl_llm_calls_total', labels) - metricValue(before, 'labctl_llm_calls_total', labels)).toBe(1);
      expect(metricValue(after, 'labctl_llm_tokens_total', { ...labels, direction: 'input' }) - metricValue(before, 'labctl_llm_tokens_total', { ...labels, direction: 'input' })).toBe(21);
      expect(metricValue(after, 'labctl_llm_tokens_total', { ...labels, direction: 'output' }) - metricValue(before, 'labctl_llm_tokens_total', { ...labels, direction: 'output' })).toBe(5);
      expect(metricValue(after, 'labctl_llm_call_duration_seconds_count', labels) - metricValue(before, 'labctl_llm_call_duration_seconds_count', labels)).toBe(1);
    });

    it('streamed: delta events in the order the provider sent them, joining to the message and to the done answer', async () => {
      const id = await session(api);
      const chunks = ['Your ', 'refund ', 'is on ', 'its way.'];
      wire.enqueue(reply.text(chunks.join(''), { chunks, usage: { input: 9, output: 6 } }));
      const r = await rt.client.stream(id, 'And my refund?');
      expect(r.status).toBe(200);
      expect(r.type).toMatch(/^text\/event-stream/);
      expect(r.events.map((e) => e.event)).toEqual(['delta', 'delta', 'delta', 'delta', 'message', 'delta', 'message', 'done']);
      expect(r.events.slice(0, 4).map((e) => e.data.text)).toEqual(chunks);
      expect(r.events[4]!.data).toEqual({ role: 'assistant', text: chunks.join('') });
      expect(r.events[5]!.data.text).toBe(ASK);
      expect(r.events[6]!.data).toEqual({ role: 'assistant', text: ASK });
      const done = r.events[7]!.data;
      expect(done).toMatchObject({ session: id, state: 'awaiting_input', step: 'ask', messages: [{ role: 'assistant', text: chunks.join('') }, { role: 'assistant', text: ASK }] });
      expect(wire.requests[0]!.body.stream).toBe(true);
      const shown = (await rt.client.get(id)).body;
      expect(shown.usage).toMatchObject({ calls: 1, inputTokens: 9, outputTokens: 6 });
      expect(shown.transcript.map((m: { text: string }) => m.text)).toEqual([ASK, 'And my refund?', chunks.join(''), ASK]);
      expect(shown.events.find((e: { type: string }) => e.type === 'llm_call')).toMatchObject({ provider: api, output: { text: chunks.join('') } });
    });

    it('an llm step: the structured output (a forced tool call) fills the slot and picks the branch', async () => {
      const start = await rt.client.start(`refund-${api}`);
      const id = start.body.session as string;
      await rt.client.send(id, '12345678');
      wire.enqueue(reply.tool({ approved: true }));
      const yes = await rt.client.send(id, 'damaged');
      expect(yes.body, JSON.stringify(yes.body)).toMatchObject({ state: 'ended', step: 'confirm', slots: { approved: true } });
      expect(JSON.stringify(wire.requests[0]!.body.tool_choice)).toContain(`decision-${api}`);

      const other = (await rt.client.start(`refund-${api}`)).body.session as string;
      await rt.client.send(other, '12345678');
      wire.enqueue(reply.tool({ approved: false }));
      expect((await rt.client.send(other, 'changed-mind')).body).toMatchObject({ state: 'handoff', step: 'escalate', slots: { approved: false } });
    });

    it.each([
      ['a 500 the server says not to retry', () => [reply.error(500, { 'x-should-retry': 'false' }, 'the model crashed')], 502, 'llm_provider_error', 1],
      ['429s beyond the SDK retries', () => [0, 1, 2].map(() => reply.error(429, { 'retry-after': '0.01' })), 503, 'llm_rate_limited', 3],
    ] as const)('after %s: a clear 5xx naming the provider, the session unchanged, a turn_failed row, and the next message works', async (_what, replies, status, code, attempts) => {
      const id = await session(api);
      wire.enqueue(reply.text('First answer.'));
      expect((await rt.client.send(id, 'first question')).status).toBe(200);
      const before = (await rt.client.get(id)).body;

      wire.enqueue(...replies());
      const failed = await rt.client.send(id, 'second question');
      expect(failed.status).toBe(status);
      expect(failed.body.error.code).toBe(code);
      expect(failed.body.error.message).toContain(`${api}:`);
      expect(failed.body.error.message).toContain('the session is unchanged');
      expect(wire.requests).toHaveLength(1 + attempts);

      const after = (await rt.client.get(id)).body;
      for (const field of ['state', 'step', 'slots', 'transcript', 'turns', 'usage', 'version', 'pins'] as const) expect(after[field], field).toEqual(before[field]);
      const turnFailed = after.events.filter((e: { type: string }) => e.type === 'turn_failed');
      expect(turnFailed).toHaveLength(1);
      expect(turnFailed[0]).toMatchObject({ step: 'ask', input: 'second question', attempt: attempts, error: { provider: api, code: code.replace(/^llm_/, '') } });
      expect((await stepRows(rt.project, id)).filter((row) => row.type === 'turn_failed')).toHaveLength(1);

      wire.enqueue(reply.text('Second answer.'));
      const again = await rt.client.send(id, 'second question');
      expect(again.status).toBe(200);
      expect(again.body.messages[0].text).toBe('Second answer.');
      const last = (await rt.client.get(id)).body;
      expect(last.turns).toBe(before.turns + 1);
      expect(last.transcript.map((m: { text: string }) => m.text).slice(-3)).toEqual(['second question', 'Second answer.', ASK]);
      const seqs = last.events.map((e: { seq: number }) => e.seq);
      expect(seqs).toEqual([...seqs.keys()]);
    });

    it('a failure before any text is streamed is a JSON error, not an event stream', async () => {
      const id = await session(api);
      wire.enqueue(reply.error(500, { 'x-should-retry': 'false' }));
      const r = await rt.client.stream(id, 'hello');
      expect(r.status).toBe(502);
      expect(r.type).toMatch(/^application\/json/);
      expect(JSON.parse(r.raw).error.code).toBe('llm_provider_error');
      expect((await rt.client.get(id)).body).toMatchObject({ state: 'awaiting_input', step: 'ask', turns: 0 });
    });

    it('a stream cut off after some text: the deltas already sent, then an error event; the session unchanged', async () => {
      const id = await session(api);
      wire.enqueue(reply.cut('Half an ans'), reply.cut('Half an ans'), reply.cut('Half an ans'));
      const r = await rt.client.stream(id, 'hello');
      expect(r.status).toBe(200);
      const names = r.events.map((e) => e.event);
      expect(names.at(-1)).toBe('error');
      expect(names.slice(0, -1).every((n) => n === 'delta')).toBe(true);
      expect(r.events.at(-1)!.data.error).toMatchObject({ code: expect.stringMatching(/^llm_/), status: expect.any(Number), message: expect.stringContaining(`${api}:`) });
      expect(r.events.at(-1)!.data.error.status).toBeGreaterThanOrEqual(500);
      const shown = (await rt.client.get(id)).body;
      expect(shown).toMatchObject({ state: 'awaiting_input', step: 'ask', turns: 0, slots: {} });
      expect(shown.transcript.map((m: { text: string }) => m.text)).toEqual([ASK]);
      expect(shown.events.filter((e: { type: string }) => e.type === 'turn_failed')).toHaveLength(1);
    });
  });

  it('a turn that runs out of its deadline while the model is slow: a 504 that says so, the session unchanged', async () => {
    const short = await serveFlowRoutes(rt.project, { env: { ANTHROPIC_API_KEY: 'sk-ant-wire', ANTHROPIC_BASE_URL: wire.anthropicUrl }, turnTimeoutMs: 400 });
    try {
      const id = (await short.client.start('assistant-anthropic')).body.session as string;
      wire.enqueue(reply.slow(3000, reply.text('Too late.')));
      const r = await short.client.send(id, 'hello');
      expect(r.status).toBe(504);
      expect(r.body.error.code).toBe('turn_timeout');
      expect(r.body.error.message).toMatch(/^anthropic: .*time/);
      expect(r.body.error.message).not.toContain('aborted by its caller');
      expect((await short.client.get(id)).body).toMatchObject({ state: 'awaiting_input', step: 'ask', turns: 0 });
    } finally {
      await short.stop();
    }
  });
});
