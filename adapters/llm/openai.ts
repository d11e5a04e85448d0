/**
 * OpenAI Chat Completions through the `openai` SDK, which also reaches the OpenAI-compatible
 * servers (vLLM, Ollama, llama.cpp) at OPENAI_BASE_URL. Structured output is a forced function
 * tool rather than `response_format: json_schema`: tool calling is the part of the API those
 * servers implement most widely, strict JSON-schema mode is not, and it keeps the request shaped
 * like the Anthropic one. `strict` is not set, because strict mode rejects schemas with optional
 * properties; the answer is validated here instead.
 */
import OpenAI from 'openai';
import type { Json } from '../../core/json.js';
import { type LlmCallOptions, type LlmProvider, type LlmRequest, type LlmResponse } from '../../core/llm.js';
import { cutShort, llmErrorFrom, type CallContext } from './errors.js';
import { checkedOutput } from './structured.js';
import { WireRecord, recordingFetch } from './wire-recorder.js';

export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';

/** `max_completion_tokens` is OpenAI's current field (its reasoning models reject the other); local servers read `max_tokens`. */
export type MaxTokensField = 'max_completion_tokens' | 'max_tokens';

export interface OpenAiProviderOptions {
  apiKey: string;
  /** Default https://api.openai.com/v1; any OpenAI-compatible server's `/v1`. */
  baseUrl?: string;
  /** Retries after the first attempt, by the SDK (429, 5xx, timeouts, connection errors); default 2. */
  maxRetries?: number;
  /** Per attempt, until the response starts; default 60 s. */
  timeoutMs?: number;
  /** Default: max_completion_tokens for api.openai.com, max_tokens for any other server. */
  maxTokensField?: MaxTokensField;
  /** Where the key came from, named in hints (default OPENAI_API_KEY). */
  keyVariable?: string;
}

type Params = OpenAI.Chat.ChatCompletionCreateParamsNonStreaming;

/** The Chat Completions body for a request (without the streaming fields). */
export function openAiBody(req: LlmRequest, maxTokensField: MaxTokensField = 'max_completion_tokens'): Params {
  const body: Params = {
    model: req.model,
    messages: [...(req.system ? [{ role: 'system' as const, content: req.system }] : []), ...req.messages.map((m) => ({ role: m.role, content: m.text }))],
    [maxTokensField]: req.maxTokens,
  };
  if (req.temperature !== undefined) body.temperature = req.temperature;
  if (req.topP !== undefined) body.top_p = req.topP;
  if (req.stop?.length) body.stop = req.stop;
  if (req.output) {
    const { name, description, schema } = req.output;
    body.tools = [{ type: 'function', function: { name, ...(description ? { description } : {}), parameters: schema } }];
    body.tool_choice = { type: 'function', function: { name } };
  }
  return body;
}

/** Thrown by the stream reader when the stream ends without a finish reason; reported by complete(). */
const CUT_SHORT = new Error('stream ended without a finish reason');

interface Assembled {
  completion: OpenAI.Chat.ChatCompletion;
  /** The forced tool's arguments (a JSON string), when it was called. */
  toolArguments: string | undefined;
}

/** LlmProvider over the OpenAI SDK; one client (and connection pool) per provider. */
export class OpenAiProvider implements LlmProvider {
  readonly name = 'openai';
  private readonly client: OpenAI;
  private readonly context: Omit<CallContext, 'attempts'>;
  private readonly maxTokensField: MaxTokensField;

  constructor(opts: OpenAiProviderOptions) {
    const baseUrl = opts.baseUrl || OPENAI_DEFAULT_BASE_URL;
    const maxRetries = opts.maxRetries ?? 2;
    const timeoutMs = opts.timeoutMs ?? 60_000;
    // Everything explicit: the SDK would otherwise read its own environment variables.
    this.client = new OpenAI({ apiKey: opts.apiKey, baseURL: baseUrl, organization: null, project: null, maxRetries, timeout: timeoutMs, fetch: recordingFetch() });
    this.maxTokensField = opts.maxTokensField ?? (new URL(baseUrl).hostname === 'api.openai.com' ? 'max_completion_tokens' : 'max_tokens');
    this.context = { provider: this.name, maxRetries, timeoutMs, baseUrl, keyVariable: opts.keyVariable ?? 'OPENAI_API_KEY', baseUrlVariable: 'OPENAI_BASE_URL' };
  }

  /** One Chat Completions call; streamed when `opts.onText` is given. */
  async complete(req: LlmRequest, opts: LlmCallOptions = {}): Promise<LlmResponse> {
    const record = new WireRecord();
    const started = performance.now();
    const body = openAiBody(req, this.maxTokensField);
    const progress = { chunks: 0 };
    let assembled: Assembled;
    try {
      assembled = await record.run(() => (opts.onText ? this.streamed(body, req.output?.name, opts.onText, opts.signal, progress) : this.whole(body, req.output?.name, opts.signal)));
    } catch (err) {
      const ctx = { ...this.context, attempts: record.attempts };
      // A stream that started and then failed (short of an abort or a timeout) was cut short.
      if (err === CUT_SHORT || (progress.chunks > 0 && !(err instanceof OpenAI.APIUserAbortError || err instanceof OpenAI.APIConnectionTimeoutError))) throw cutShort(ctx, err);
      throw llmErrorFrom(err, OpenAI, ctx);
    }
    const { completion, toolArguments } = assembled;
    const choice = completion.choices[0];
    const text = choice?.message.content ?? '';
    const output = req.output ? checkedOutput(req.output, { provider: this.name, attempts: record.attempts, toolInput: toolArguments, text }) : undefined;
    return {
      provider: this.name,
      model: completion.model || req.model,
      text,
      ...(output ? { output } : {}),
      ...(choice?.finish_reason ? { stopReason: choice.finish_reason } : {}),
      usage: { inputTokens: completion.usage?.prompt_tokens ?? 0, outputTokens: completion.usage?.completion_tokens ?? 0 },
      latencyMs: performance.now() - started,
      attempts: record.attempts,
      providerRequest: record.requestBody,
      providerResponse: JSON.parse(JSON.stringify(completion)) as Json,
    };
  }

  private async whole(body: Params, tool: string | undefined, signal: AbortSignal | undefined): Promise<Assembled> {
    const completion = await this.client.chat.completions.create(body, { signal });
    const call = completion.choices[0]?.message.tool_calls?.find((c) => c.type === 'function' && c.function.name === tool);
    return { completion, toolArguments: call?.type === 'function' ? call.function.arguments : undefined };
  }

  /** Streams the chunks, passing text on, and assembles them into the completion they add up to. */
  private async streamed(body: Params, tool: string | undefined, onText: (delta: string) => void, signal: AbortSignal | undefined, progress: { chunks: number }): Promise<Assembled> {
    const stream = await this.client.chat.completions.create({ ...body, stream: true, stream_options: { include_usage: true } }, { signal });
    let id = '';
    let model = '';
    let created = 0;
    let content = '';
    let finish: OpenAI.Chat.ChatCompletion.Choice['finish_reason'] | undefined;
    let usage: OpenAI.CompletionUsage | undefined;
    const calls: Array<{ id: string; name: string; arguments: string }> = [];
    for await (const chunk of stream) {
      progress.chunks++;
      id ||= chunk.id;
      model ||= chunk.model;
      created ||= chunk.created;
      if (chunk.usage) usage = chunk.usage;
      // vLLM ends with a usage chunk whose choices are null.
      const choice = chunk.choices?.[0];
      if (!choice) continue;
      if (choice.finish_reason) finish = choice.finish_reason;
      if (choice.delta?.content) {
        content += choice.delta.content;
        onText(choice.delta.content);
      }
      for (const d of choice.delta?.tool_calls ?? []) {
        const call = (calls[d.index] ??= { id: '', name: '', arguments: '' });
        if (d.id) call.id = d.id;
        if (d.function?.name) call.name += d.function.name;
        if (d.function?.arguments) call.arguments += d.function.arguments;
      }
    }
    // The SDK ends the iteration quietly when the stream is aborted; an answer without a finish reason is cut short.
    if (signal?.aborted) throw new OpenAI.APIUserAbortError();
    if (finish === undefined) throw CUT_SHORT;
    const toolCalls = calls.filter(Boolean).map((c) => ({ id: c.id, type: 'function' as const, function: { name: c.name, arguments: c.arguments } }));
    const completion: OpenAI.Chat.ChatCompletion = {
      id,
      object: 'chat.completion',
      created,
      model,
      choices: [{ index: 0, finish_reason: finish, logprobs: null, message: { role: 'assistant', content: content || null, refusal: null, ...(toolCalls.length ? { tool_calls: toolCalls } : {}) } }],
      ...(usage ? { usage } : {}),
    };
    return { completion, toolArguments: toolCalls.find((c) => c.function.name === tool)?.function.arguments };
  }
}
