// The Anthropic and OpenAI providers with their real SDKs, over real HTTP, against a local server
// that answers as each API does on the wire (test/helpers/llm-wire-server.ts).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LlmError, type LlmProvider, type LlmRequest } from '../../core/llm.js';
import { AnthropicProvider, OpenAiProvider, llmProviders, providerFor } from '../../adapters/llm/index.js';
import { LlmWireServer, reply, type WireApi } from '../helpers/llm-wire-server.js';

let server: LlmWireServer;
beforeAll(async () => {
  server = await LlmWireServer.start();
});
afterAll(() => server.close());
beforeEach(() => server.reset());

const SCHEMA = {
  type: 'object',
  properties: { approved: { type: 'boolean' }, reason: { type: 'string' } },
  required: ['approved'],
  additionalProperties: false,
};

function request(over: Partial<LlmRequest> = {}): LlmRequest {
  return { model: 'model-under-test', prompt: 'refund-decision', system: 'Decide refunds. Be brief.', messages: [{ role: 'user', text: 'Order 12345678 arrived broken.' }], maxTokens: 64, ...over };
}

const structured = { output: { name: 'decide', description: 'The refund decision', schema: SCHEMA } };

/** What a failed call rejects with (the test fails when it resolves). */
async function failure(p: Promise<unknown>): Promise<LlmError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'the call should have failed').toBeInstanceOf(LlmError);
  return err as LlmError;
}

type Make = (opts?: { maxRetries?: number; timeoutMs?: number }) => LlmProvider;
const CASES: Array<[WireApi, Make, { keyVariable: string }]> = [
  ['anthropic', (o = {}) => new AnthropicProvider({ apiKey: 'sk-ant-test', baseUrl: server.anthropicUrl, maxRetries: 2, timeoutMs: 5000, ...o }), { keyVariable: 'ANTHROPIC_API_KEY' }],
  ['openai', (o = {}) => new OpenAiProvider({ apiKey: 'sk-openai-test', baseUrl: server.openaiUrl, maxRetries: 2, timeoutMs: 5000, ...o }), { keyVariable: 'OPENAI_API_KEY' }],
];

describe.each(CASES)('%s provider through its SDK', (api, make, { keyVariable }) => {
  it('answers plain text, with usage, latency and one attempt, from the request it was asked to send', async () => {
    server.enqueue(reply.text('A refund is on its way.', { usage: { input: 17, output: 6 } }));
    const r = await make().complete(request());
    expect(r).toMatchObject({ provider: api, model: 'model-under-test', text: 'A refund is on its way.', usage: { inputTokens: 17, outputTokens: 6 }, attempts: 1 });
    expect(r.output).toBeUndefined();
    expect(r.stopReason).toBe(api === 'anthropic' ? 'end_turn' : 'stop');
    expect(r.latencyMs).toBeGreaterThan(0);
    expect(server.requests).toHaveLength(1);
    const sent = server.requests[0]!;
    expect(sent.api).toBe(api);
    expect(sent.body.model).toBe('model-under-test');
    // OpenAI's field for a compatible server (not api.openai.com) is max_tokens too.
    expect(sent.body.max_tokens).toBe(64);
    expect(sent.body.stream ?? false).toBe(false);
    if (api === 'anthropic') {
      expect(sent.body.system).toBe('Decide refunds. Be brief.');
      expect(sent.body.messages).toEqual([{ role: 'user', content: 'Order 12345678 arrived broken.' }]);
      expect(sent.headers['anthropic-version']).toBeTruthy();
    } else {
      expect(sent.body.messages).toEqual([
        { role: 'system', content: 'Decide refunds. Be brief.' },
        { role: 'user', content: 'Order 12345678 arrived broken.' },
      ]);
    }
    expect(sent.headers['x-api-key'] ?? sent.headers.authorization).toContain(api === 'anthropic' ? 'sk-ant-test' : 'sk-openai-test');
    // The step log keeps exactly what went over the wire, and the provider's own answer.
    expect(r.providerRequest).toEqual(sent.body);
    expect(r.providerResponse).toMatchObject({ model: 'model-under-test' });
  });

  it('streams the text through onText in order, and the deltas add up to the final text', async () => {
    const chunks = ['Your ', 'refund ', 'for 12345678 ', 'is approved.'];
    server.enqueue(reply.text(chunks.join(''), { chunks, usage: { input: 20, output: 9 } }));
    const seen: string[] = [];
    const r = await make().complete(request(), { onText: (d) => seen.push(d) });
    expect(seen).toEqual(chunks);
    expect(r.text).toBe(seen.join(''));
    expect(r.usage).toEqual({ inputTokens: 20, outputTokens: 9 });
    expect(r.attempts).toBe(1);
    const sent = server.requests[0]!.body;
    expect(sent.stream).toBe(true);
    if (api === 'openai') expect(sent.stream_options).toEqual({ include_usage: true });
    expect(r.providerResponse).toMatchObject({ model: 'model-under-test' });
  });

  it.each([
    ['as JSON', false],
    ['streamed', true],
  ])('fills the structured output through a forced tool (%s)', async (_, streamed) => {
    server.enqueue(reply.tool({ approved: true, reason: 'arrived broken' }));
    const r = await make().complete(request(structured), streamed ? { onText: () => undefined } : {});
    expect(r.output).toEqual({ approved: true, reason: 'arrived broken' });
    const sent = server.requests[0]!.body;
    if (api === 'anthropic') {
      expect(sent.tools).toEqual([{ name: 'decide', description: 'The refund decision', input_schema: SCHEMA }]);
      expect(sent.tool_choice).toEqual({ type: 'tool', name: 'decide' });
    } else {
      expect(sent.tools).toEqual([{ type: 'function', function: { name: 'decide', description: 'The refund decision', parameters: SCHEMA } }]);
      expect(sent.tool_choice).toEqual({ type: 'function', function: { name: 'decide' } });
    }
  });

  it.each([
    ['as JSON', false],
    ['streamed', true],
  ])('rejects structured output that does not match the schema (%s)', async (_, streamed) => {
    server.enqueue(reply.tool({ approved: 'yes' }));
    const err = await failure(make().complete(request(structured), streamed ? { onText: () => undefined } : {}));
    expect(err.code).toBe('invalid_output');
    expect(err.message).toContain('/approved must be boolean');
    expect(err.message).toContain('"decide"');
  });

  it('rejects an answer that never calls the forced tool', async () => {
    server.enqueue(reply.text('I think so.'));
    const err = await failure(make().complete(request(structured)));
    expect(err.code).toBe('invalid_output');
    expect(err.message).toContain('did not call the tool "decide"');
  });

  it('retries a 429 after its retry-after, then succeeds (attempts = 2)', async () => {
    server.enqueue(reply.error(429, { 'retry-after': '1' }), reply.text('Done.'));
    const r = await make().complete(request());
    expect(r.text).toBe('Done.');
    expect(r.attempts).toBe(2);
    // retry-after: 1 is honoured (the SDKs' own backoff would start at 0.5 s).
    expect(r.latencyMs).toBeGreaterThanOrEqual(950);
    expect(server.requests.map((q) => q.headers['x-stainless-retry-count'])).toEqual(['0', '1']);
  });

  it('does not retry a 500 with x-should-retry: false, and says so', async () => {
    server.enqueue(reply.error(500, { 'x-should-retry': 'false' }, 'the model crashed'), reply.text('never sent'));
    const err = await failure(make().complete(request()));
    expect(err).toMatchObject({ code: 'provider_error', status: 500, attempts: 1, retriesExhausted: false, provider: api });
    expect(err.message).toContain('the model crashed');
    expect(err.message).toContain('not retried');
    // The server said a retry will not help, so a later one would not either.
    expect(err.transient).toBe(false);
    expect(server.requests).toHaveLength(1);
    expect(server.pending).toBe(1);
  });

  it('retries a 529 overloaded like any 5xx', async () => {
    server.enqueue(reply.error(529, { 'retry-after': '0.01' }), reply.text('Back.'));
    const r = await make().complete(request());
    expect(r).toMatchObject({ text: 'Back.', attempts: 2 });
  });

  it('gives up after maxRetries on 429s: rate_limited, retries exhausted', async () => {
    server.enqueue(...[0, 1, 2].map(() => reply.error(429, { 'retry-after': '0.01' })));
    const err = await failure(make({ maxRetries: 2 }).complete(request()));
    expect(err).toMatchObject({ code: 'rate_limited', status: 429, attempts: 3, retriesExhausted: true });
    expect(err.message).toContain('3 attempts');
    expect(err.hint).toBeTruthy();
    expect(err.transient).toBe(true);
    expect(server.requests).toHaveLength(3);
  });

  it('times out a slow answer (timeout, after maxRetries + 1 attempts)', async () => {
    server.enqueue(reply.slow(3000, reply.text('late')), reply.slow(3000, reply.text('late')));
    const err = await failure(make({ timeoutMs: 200, maxRetries: 1 }).complete(request()));
    expect(err).toMatchObject({ code: 'timeout', attempts: 2, retriesExhausted: true });
    expect(err.message).toContain('0.2s');
  });

  it('reports a rejected key as auth, naming the variable to fix', async () => {
    server.enqueue(reply.error(401, {}, 'invalid x-api-key'));
    const err = await failure(make().complete(request()));
    expect(err).toMatchObject({ code: 'auth', status: 401, attempts: 1 });
    expect(err.message).toContain('invalid x-api-key');
    expect(err.hint).toContain(keyVariable);
  });

  it('credits each of two concurrent calls with its own attempts', async () => {
    server.enqueue(reply.error(429, { 'retry-after': '0.05' }), reply.text('one'), reply.text('two'));
    const provider = make();
    const both = await Promise.all([provider.complete(request()), provider.complete(request())]);
    expect(both.map((r) => r.attempts).sort()).toEqual([1, 2]);
    expect(server.requests).toHaveLength(3);
  });

  it("stops when the caller's signal aborts (aborted)", async () => {
    server.enqueue(reply.slow(3000, reply.text('late')));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const err = await failure(make().complete(request(), { signal: controller.signal, onText: () => undefined }));
    expect(err.code).toBe('aborted');
    expect(err.transient).toBe(false);
  });

  it.each([
    ['the server ends it', false],
    ['the connection drops', true],
  ])('fails a stream that stops before the message is complete (%s)', async (_, drop) => {
    server.enqueue(reply.cut('Your refund', { drop }));
    const seen: string[] = [];
    const err = await failure(make({ maxRetries: 0 }).complete(request(), { onText: (d) => seen.push(d) }));
    expect(err.code).toBe('provider_error');
    expect(err.message).toContain('ended before');
    expect(seen.join('')).toBe('Your refund');
  });
});

describe('provider differences', () => {
  it('anthropic: no sampling parameters, which API version 2026-10-21 refuses', async () => {
    server.enqueue(reply.text('ok'));
    const provider = new AnthropicProvider({ apiKey: 'k', baseUrl: server.anthropicUrl });
    await provider.complete(request({ temperature: 0.2, topP: 0.9, stop: ['\n\n'] }));
    expect(server.requests[0]!.body).not.toHaveProperty('temperature');
    expect(server.requests[0]!.body).not.toHaveProperty('top_p');
    expect(server.requests[0]!.body.stop_sequences).toEqual(['\n\n']);
  });

  it('openai: sampling parameters pass through; max_tokens for compatible servers, max_completion_tokens on request', async () => {
    server.enqueue(reply.text('ok'), reply.text('ok'));
    await new OpenAiProvider({ apiKey: 'k', baseUrl: server.openaiUrl }).complete(request({ temperature: 0.2, topP: 0.9, stop: ['END'] }));
    await new OpenAiProvider({ apiKey: 'k', baseUrl: server.openaiUrl, maxTokensField: 'max_completion_tokens' }).complete(request());
    expect(server.requests[0]!.body).toMatchObject({ temperature: 0.2, top_p: 0.9, stop: ['END'], max_tokens: 64 });
    expect(server.requests[1]!.body).toMatchObject({ max_completion_tokens: 64 });
    expect(server.requests[1]!.body).not.toHaveProperty('max_tokens');
  });

  it('openai: tool arguments that are not JSON are invalid output', async () => {
    server.enqueue(reply.tool('{"approved": tru'));
    const err = await failure(new OpenAiProvider({ apiKey: 'k', baseUrl: server.openaiUrl }).complete(request(structured)));
    expect(err.code).toBe('invalid_output');
    expect(err.message).toContain('not JSON');
  });

  it('openai: a server that ignores the forced tool but answers the JSON as text still fills the output', async () => {
    server.enqueue(reply.text('```json\n{"approved": false}\n```'));
    const r = await new OpenAiProvider({ apiKey: 'k', baseUrl: server.openaiUrl }).complete(request(structured));
    expect(r.output).toEqual({ approved: false });
  });
});

describe('providerFor: keys and base URLs from the environment', () => {
  it.each([
    ['anthropic', 'ANTHROPIC_API_KEY'],
    ['openai', 'OPENAI_API_KEY'],
  ])('%s without a key names the variable to set', async (name, variable) => {
    const err = await failure(Promise.resolve().then(() => providerFor(name, {})));
    expect(err.code).toBe('auth');
    expect(err.message).toContain(variable);
    expect(err.hint).toContain(variable);
  });

  it('anthropic: ANTHROPIC_BASE_URL and ANTHROPIC_API_KEY reach the SDK', async () => {
    server.enqueue(reply.text('hello'));
    const r = await providerFor('anthropic', { ANTHROPIC_API_KEY: 'sk-env', ANTHROPIC_BASE_URL: server.anthropicUrl }).complete(request());
    expect(r.text).toBe('hello');
    const h = server.requests[0]!.headers;
    expect(h['x-api-key'] ?? h.authorization).toContain('sk-env');
  });

  it('openai: OPENAI_BASE_URL alone is enough (local servers need no key); a placeholder key is sent', async () => {
    server.enqueue(reply.text('hi from a local model'));
    const r = await providerFor('openai', { OPENAI_BASE_URL: server.openaiUrl }).complete(request());
    expect(r.text).toBe('hi from a local model');
    expect(server.requests[0]!.headers.authorization).toBe('Bearer no-key');
  });

  it('retry and timeout settings reach the SDK', async () => {
    server.enqueue(reply.error(429, { 'retry-after': '0.01' }), reply.text('never'));
    const err = await failure(providerFor('openai', { OPENAI_BASE_URL: server.openaiUrl }, { maxRetries: 0 }).complete(request()));
    expect(err).toMatchObject({ code: 'rate_limited', attempts: 1, retriesExhausted: true });
  });

  it('a base URL that is not http(s) is refused up front', async () => {
    const err = await failure(Promise.resolve().then(() => providerFor('openai', { OPENAI_BASE_URL: 'localhost:8000' })));
    expect(err.message).toContain('OPENAI_BASE_URL');
    expect(err.transient).toBe(false);
  });

  it('an unknown provider suggests the closest name', async () => {
    const err = await failure(Promise.resolve().then(() => providerFor('antropic', {})));
    expect(err.hint).toContain('"anthropic"');
    expect(err.transient).toBe(false);
  });

  it('llmProviders builds each provider once', () => {
    const choose = llmProviders({ OPENAI_BASE_URL: server.openaiUrl }, { fixtures: [{ text: 'hi' }] });
    expect(choose('openai')).toBe(choose('openai'));
    expect(choose('scripted').name).toBe('scripted');
  });
});
