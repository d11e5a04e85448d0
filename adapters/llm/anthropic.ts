/**
 * The Anthropic Messages API through @anthropic-ai/sdk. Structured output is a forced tool
 * (`tool_choice: {type: 'tool'}`) whose input schema is the slots to fill: it works on every model
 * that calls tools and on servers that mimic the API. Streams through `messages.stream` when the
 * caller wants the text as it comes.
 */
import Anthropic from '@anthropic-ai/sdk';
import type { Json } from '../../core/json.js';
import type { LlmCallOptions, LlmProvider, LlmRequest, LlmResponse } from '../../core/llm.js';
import { cutShort, llmErrorFrom, type CallContext } from './errors.js';
import { checkedOutput } from './structured.js';
import { WireRecord, recordingFetch } from './wire-recorder.js';

export const ANTHROPIC_DEFAULT_BASE_URL = 'https://api.anthropic.com';

export interface AnthropicProviderOptions {
  apiKey: string;
  /** Default https://api.anthropic.com. */
  baseUrl?: string;
  /** Retries after the first attempt, by the SDK (429, 5xx, timeouts, connection errors); default 2. */
  maxRetries?: number;
  /** Per attempt, until the response starts; default 60 s. */
  timeoutMs?: number;
  /** Where the key came from, named in hints (default ANTHROPIC_API_KEY). */
  keyVariable?: string;
}

type MessageParams = Anthropic.MessageCreateParamsNonStreaming;

/**
 * The Messages API body for a request (without `stream`, which the SDK sets when streaming).
 * `temperature` and `topP` are not sent: API version 2026-10-21, which SDK 1.x speaks, answers 400
 * to any sampling parameter, even at its default value.
 */
export function anthropicBody(req: LlmRequest): MessageParams {
  const body: MessageParams = {
    model: req.model,
    max_tokens: req.maxTokens,
    messages: req.messages.map((m) => ({ role: m.role, content: m.text })),
  };
  if (req.system) body.system = req.system;
  if (req.stop?.length) body.stop_sequences = req.stop;
  if (req.output) {
    const { name, description, schema } = req.output;
    body.tools = [{ name, ...(description ? { description } : {}), input_schema: schema as Anthropic.Tool.InputSchema }];
    body.tool_choice = { type: 'tool', name };
  }
  return body;
}

/** LlmProvider over the Anthropic SDK; one client (and connection pool) per provider. */
export class AnthropicProvider implements LlmProvider {
  readonly name = 'anthropic';
  private readonly client: Anthropic;
  private readonly context: Omit<CallContext, 'attempts'>;

  constructor(opts: AnthropicProviderOptions) {
    const baseUrl = opts.baseUrl || ANTHROPIC_DEFAULT_BASE_URL;
    const maxRetries = opts.maxRetries ?? 2;
    const timeoutMs = opts.timeoutMs ?? 60_000;
    // Everything explicit: the SDK would otherwise read its own environment variables.
    this.client = new Anthropic({ apiKey: opts.apiKey, authToken: null, baseURL: baseUrl, maxRetries, timeout: timeoutMs, fetch: recordingFetch() });
    this.context = { provider: this.name, maxRetries, timeoutMs, baseUrl, keyVariable: opts.keyVariable ?? 'ANTHROPIC_API_KEY', baseUrlVariable: 'ANTHROPIC_BASE_URL' };
  }

  /** One Messages API call; streamed when `opts.onText` is given. */
  async complete(req: LlmRequest, opts: LlmCallOptions = {}): Promise<LlmResponse> {
    const record = new WireRecord();
    const started = performance.now();
    const body = anthropicBody(req);
    const onText = opts.onText;
    // A stream that started and then failed (short of an abort or a timeout) was cut short.
    const stream = { state: 'none' as 'none' | 'started' | 'stopped' };
    let message: Anthropic.Message;
    try {
      message = await record.run(() => {
        if (!onText) return this.client.messages.create(body, { signal: opts.signal });
        const events = this.client.messages.stream(body, { signal: opts.signal });
        events.on('text', (delta) => onText(delta));
        events.on('streamEvent', (e) => (stream.state = e.type === 'message_stop' ? 'stopped' : 'started'));
        return events.finalMessage();
      });
    } catch (err) {
      const ctx = { ...this.context, attempts: record.attempts };
      if (stream.state === 'started' && !(err instanceof Anthropic.APIUserAbortError || err instanceof Anthropic.APIConnectionTimeoutError)) throw cutShort(ctx, err);
      throw llmErrorFrom(err, Anthropic, ctx);
    }
    const text = message.content.flatMap((b) => (b.type === 'text' ? [b.text] : [])).join('');
    const toolInput = req.output ? message.content.find((b) => b.type === 'tool_use' && b.name === req.output!.name) : undefined;
    const output = req.output ? checkedOutput(req.output, { provider: this.name, attempts: record.attempts, toolInput: toolInput?.type === 'tool_use' ? toolInput.input : undefined, text }) : undefined;
    return {
      provider: this.name,
      model: message.model || req.model,
      text,
      ...(output ? { output } : {}),
      ...(message.stop_reason ? { stopReason: message.stop_reason } : {}),
      usage: { inputTokens: message.usage?.input_tokens ?? 0, outputTokens: message.usage?.output_tokens ?? 0 },
      latencyMs: performance.now() - started,
      attempts: record.attempts,
      providerRequest: record.requestBody,
      providerResponse: JSON.parse(JSON.stringify(message)) as Json,
    };
  }
}
