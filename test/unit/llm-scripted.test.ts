// The scripted provider: fixtures in, the same response shape and errors as a real provider out.
import { describe, expect, it } from 'vitest';
import { LlmError, type LlmRequest } from '../../core/llm.js';
import { ScriptedProvider, providerFor, type ScriptedFixture } from '../../adapters/llm/index.js';
import { chunksOf } from '../../adapters/llm/scripted.js';

const FIXTURES: ScriptedFixture[] = [
  { when: { prompt: 'refund-decision', input: 'broken' }, output: { approved: true } },
  { when: { prompt: 'refund-decision' }, output: { approved: false } },
  { when: { input: 'HELLO' }, text: 'Hello! How can I help with your order?' },
  { when: { prompt: 'greeting' }, text: 'Welcome.' },
];

const SCHEMA = { type: 'object', properties: { approved: { type: 'boolean' } }, required: ['approved'] };

function request(prompt: string | undefined, input: string, over: Partial<LlmRequest> = {}): LlmRequest {
  return { model: 'scripted-model', ...(prompt ? { prompt } : {}), system: 'Be kind.', messages: [{ role: 'assistant', text: 'Hi there' }, { role: 'user', text: input }], maxTokens: 50, ...over };
}

const provider = new ScriptedProvider(FIXTURES);

describe('scripted provider', () => {
  it.each([
    ['prompt and input both match', 'refund-decision', 'The parcel arrived BROKEN', 0],
    ['the first match wins over a later, looser one', 'refund-decision', 'it is late', 1],
    ['input matches case-insensitively, whatever the prompt', 'other', 'hello there', 2],
    ['a prompt-only fixture', 'greeting', 'anything', 3],
  ])('%s', (_, prompt, input, index) => {
    expect(provider.match(request(prompt, input))).toBe(FIXTURES[index]);
  });

  it('matches the last user message only, not earlier turns', () => {
    const req = request('greeting', 'fine', { messages: [{ role: 'user', text: 'hello' }, { role: 'assistant', text: 'Hi' }, { role: 'user', text: 'fine' }] });
    expect(provider.match(req)).toBe(FIXTURES[3]);
  });

  it('answers text with usage in words, one attempt, and a loggable request and response', async () => {
    const r = await provider.complete(request('greeting', 'hello'));
    expect(r).toMatchObject({ provider: 'scripted', model: 'scripted-model', text: 'Hello! How can I help with your order?', attempts: 1, stopReason: 'end_turn' });
    // "Be kind." + "Hi there" + "hello" = 5 words in; 8 words out.
    expect(r.usage).toEqual({ inputTokens: 5, outputTokens: 8 });
    expect(r.latencyMs).toBeGreaterThanOrEqual(0);
    expect(r.providerRequest).toMatchObject({ prompt: 'greeting', model: 'scripted-model' });
    expect(r.providerResponse).toEqual({ fixture: 2, text: 'Hello! How can I help with your order?' });
  });

  it('streams the text in a few chunks that join back to it', async () => {
    const seen: string[] = [];
    const r = await provider.complete(request('greeting', 'hello'), { onText: (d) => seen.push(d) });
    expect(seen.length).toBeGreaterThan(1);
    expect(seen.length).toBeLessThanOrEqual(4);
    expect(seen.join('')).toBe(r.text);
  });

  it.each([['one'], ['  leading and trailing  '], ['a b c d e f g h i j'], ['']])('chunks of %j join back exactly', (text) => {
    const chunks = chunksOf(text);
    expect(chunks.join('')).toBe(text);
    expect(chunks.length).toBeLessThanOrEqual(4);
  });

  it('fills structured output, checked against the schema', async () => {
    const r = await provider.complete(request('refund-decision', 'broken box', { output: { name: 'decide', schema: SCHEMA } }));
    expect(r.output).toEqual({ approved: true });
    expect(r.text).toBe('');
    expect(r.stopReason).toBe('tool_use');
  });

  it('rejects a fixture output that does not match the schema, as a model would be', async () => {
    const bad = new ScriptedProvider([{ output: { approved: 'yes' } }]);
    const err = await bad.complete(request('refund-decision', 'x', { output: { name: 'decide', schema: SCHEMA } })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LlmError);
    expect((err as LlmError).code).toBe('invalid_output');
    expect((err as LlmError).message).toContain('/approved must be boolean');
  });

  it('without a matching fixture, names the prompt and the input and says how to add one', async () => {
    const err = await provider.complete(request('farewell', 'Bye now')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LlmError);
    const e = err as LlmError;
    expect(e.code).toBe('bad_response');
    expect(e.provider).toBe('scripted');
    expect(e.message).toContain('"farewell"');
    expect(e.message).toContain('"Bye now"');
    expect(e.hint).toContain('add a fixture');
    expect(e.hint).toContain('when: { prompt: "farewell", input: "Bye now" }');
  });

  it('stops when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const err = await provider.complete(request('greeting', 'hello'), { signal: controller.signal, onText: () => undefined }).catch((e: unknown) => e);
    expect((err as LlmError).code).toBe('aborted');
  });

  it('refuses a fixture with neither text nor output', () => {
    expect(() => new ScriptedProvider([{ when: { prompt: 'x' } }])).toThrow(/fixture 1: give it a text, an output or both/);
  });

  it('is what providerFor("scripted") gives, with the fixtures passed in and no environment needed', async () => {
    const p = providerFor('scripted', {}, { fixtures: [{ text: 'offline answer' }] });
    expect((await p.complete(request(undefined, 'anything'))).text).toBe('offline answer');
  });
});
