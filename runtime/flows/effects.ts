import type { Json, JsonObject } from '../../core/types.js';
import { HttpError } from '../../core/http.js';
import { LlmError, type LlmProvider, type LlmRequest, type LlmResponse } from '../../core/llm.js';
import type { Effect, EffectResult, LlmEffect, LoadFlowEffect, ToolEffect } from '../../engine/flows/index.js';
import type { FlowCatalog } from './catalog.js';
import type { StepLogRow } from './step-log.js';

/** What performing one effect gave: the result for the engine and the step-log row (without seq and turn). */
export interface Performed {
  result: EffectResult;
  row: Omit<StepLogRow, 'seq' | 'turn'>;
  response?: LlmResponse;
}

export interface EffectContext {
  catalog: FlowCatalog;
  providers: (name: string) => LlmProvider;
  now: () => number;
  fetch: typeof fetch;
  /** Called with the assistant's text as the provider streams it (messages the flow says, not structured output). */
  onText?: (delta: string) => void;
  /** The turn's deadline: a stalled stream is cut here. */
  signal?: AbortSignal;
}

/** Where the session is when it asks for an effect: the flow at its pinned version, and the step. */
export interface SessionAt {
  flow: string;
  version: string;
  step: string;
}

/** Run one effect the engine asked for. An LLM failure is thrown (LlmError): the turn is abandoned, not stepped on. */
export async function perform(effect: Effect, ctx: EffectContext, at: SessionAt): Promise<Performed> {
  if (effect.type === 'llm') return performLlm(effect, ctx, at.version);
  if (effect.type === 'tool') return performTool(effect, ctx, at.version);
  return performLoad(effect, ctx, at);
}

/** The provider request of an llm effect, from the prompt's model settings. */
export function llmRequest(effect: LlmEffect): { provider: string; request: LlmRequest } {
  const model = (effect.model ?? {}) as JsonObject;
  const provider = typeof model.provider === 'string' ? model.provider : 'scripted';
  const request: LlmRequest = {
    model: typeof model.name === 'string' ? model.name : 'default',
    prompt: effect.prompt.name,
    messages: effect.messages,
    maxTokens: typeof model.maxTokens === 'number' ? model.maxTokens : 1024,
  };
  if (effect.system !== undefined) request.system = effect.system;
  if (typeof model.temperature === 'number') request.temperature = model.temperature;
  if (effect.output) request.output = effect.output;
  return { provider, request };
}

/** USD per million input and output tokens, from the prompt's `model.price`. */
export function priceOf(effect: LlmEffect): { input: number; output: number } | undefined {
  const price = ((effect.model ?? {}) as JsonObject).price as JsonObject | undefined;
  return price && typeof price.input === 'number' && typeof price.output === 'number' ? { input: price.input, output: price.output } : undefined;
}

async function performLlm(effect: LlmEffect, ctx: EffectContext, flowVersion: string): Promise<Performed> {
  const { provider, request } = llmRequest(effect);
  const at = ctx.now();
  const onText = effect.purpose === 'say' ? ctx.onText : undefined;
  let r: LlmResponse;
  try {
    r = await ctx.providers(provider).complete(request, { onText, signal: ctx.signal });
  } catch (e) {
    // A model that answered, but not in the shape the step asked for, is the step's failure: the
    // flow decides (onError, else the session ends). Anything else (limits, outages, keys) leaves
    // the session where it was, for the message to be sent again.
    if (!(e instanceof LlmError) || e.code !== 'invalid_output') throw e;
    const result: EffectResult = { id: effect.id, ok: false, error: { code: 'llm_invalid_output', message: e.message } };
    return {
      result,
      row: { flow: effect.flow, flowVersion, step: effect.step, type: 'llm_call', attempt: e.attempts || 1, input: { effect: effect.id, prompt: effect.prompt, purpose: effect.purpose } as Json, output: result as unknown as Json, provider: e.provider, model: request.model, error: { code: e.code, message: e.message }, at },
    };
  }
  const result: EffectResult = effect.purpose === 'say' ? { id: effect.id, ok: true, type: 'llm', text: r.text } : { id: effect.id, ok: true, type: 'llm', output: r.output, text: r.text };
  return {
    result,
    response: r,
    row: {
      flow: effect.flow,
      flowVersion,
      step: effect.step,
      type: 'llm_call',
      attempt: r.attempts,
      // The price as the prompt version declared it, so the session's cost never changes afterwards.
      input: { effect: effect.id, prompt: effect.prompt, purpose: effect.purpose, ...(priceOf(effect) ? { price: priceOf(effect)! } : {}) } as Json,
      output: { text: r.text, ...(r.output !== undefined ? { output: r.output } : {}) } as Json,
      provider: r.provider,
      model: r.model,
      request: r.providerRequest,
      response: r.providerResponse,
      inputTokens: r.usage.inputTokens,
      outputTokens: r.usage.outputTokens,
      latencyMs: r.latencyMs,
      at,
    },
  };
}

async function performTool(effect: ToolEffect, ctx: EffectContext, flowVersion: string): Promise<Performed> {
  const { method, url, headers, body, timeoutMs } = effect.request;
  const at = ctx.now();
  const started = performance.now();
  let result: EffectResult;
  let response: Json | undefined;
  try {
    const signal = ctx.signal ? AbortSignal.any([ctx.signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs);
    const res = await ctx.fetch(url, { method, headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers }, body: body === undefined ? undefined : JSON.stringify(body), signal });
    const text = await res.text();
    let parsed: Json = text;
    try {
      parsed = text === '' ? null : (JSON.parse(text) as Json);
    } catch {
      // Not JSON: the step sees the text, and output paths into it find nothing.
    }
    response = { status: res.status, body: parsed };
    result = { id: effect.id, ok: true, type: 'tool', status: res.status, body: parsed };
  } catch (e) {
    const timedOut = (e as Error).name === 'TimeoutError';
    result = { id: effect.id, ok: false, error: { code: timedOut ? 'tool_timeout' : 'tool_error', message: timedOut ? `${method} ${url} did not answer within ${timeoutMs} ms` : `${method} ${url} failed: ${(e as Error).message}` } };
  }
  return {
    result,
    row: {
      flow: effect.flow,
      flowVersion,
      step: effect.step,
      type: 'tool_call',
      attempt: 1,
      input: { effect: effect.id },
      output: result as unknown as Json,
      request: effect.request as unknown as Json,
      ...(response !== undefined ? { response } : {}),
      latencyMs: performance.now() - started,
      ...(result.ok ? {} : { error: result.error }),
      at,
    },
  };
}

async function performLoad(effect: LoadFlowEffect, ctx: EffectContext, from: SessionAt): Promise<Performed> {
  const at = ctx.now();
  let result: EffectResult;
  try {
    const flow = ctx.catalog.load(effect.name, effect.version, effect.prompts);
    result = { id: effect.id, ok: true, type: 'load_flow', flow };
  } catch (e) {
    if (!(e instanceof HttpError)) throw e;
    result = { id: effect.id, ok: false, error: { code: e.code, message: e.message } };
  }
  const loaded = result.ok && result.type === 'load_flow' ? { flow: result.flow.name, version: result.flow.version } : null;
  return {
    result,
    // Logged where the session is (the caller entering, the sub-flow returning), so flow and version name one version; the loaded flow is the output.
    row: { flow: from.flow, flowVersion: from.version, step: from.step, type: 'load_flow', attempt: 1, input: { effect: effect.id, purpose: effect.purpose, flow: effect.name }, output: loaded, ...(result.ok ? {} : { error: result.error }), at },
  };
}

/** An LLM failure as the HTTP answer: the session is left where it was. */
export function llmFailure(e: LlmError, outcome: string): HttpError {
  // The only signal the runtime gives a call is the turn's deadline: an aborted call ran out of the
  // turn's time (the provider's words, "aborted by its caller", would blame the client).
  if (e.code === 'aborted') return new HttpError(504, 'turn_timeout', `${e.provider}: the turn ran out of time before the model answered; ${outcome}`);
  const status = e.code === 'rate_limited' ? 503 : e.code === 'timeout' ? 504 : 502;
  return new HttpError(status, `llm_${e.code}`, `${e.provider}: ${e.message}${e.hint ? ` (${e.hint})` : ''}; ${outcome}`);
}
