/**
 * The provider-neutral shape of one LLM call: what a flow step or an evaluation asks for, what it
 * gets back (with what the step log keeps), and the one error type every provider raises. The
 * Anthropic, OpenAI and scripted providers all speak it, so the callers never see an SDK type.
 */
import type { Json, JsonObject } from './json.js';

export type LlmRole = 'user' | 'assistant';

/** One turn of the conversation sent to the model (the system text travels apart). */
export interface LlmMessage {
  role: LlmRole;
  text: string;
}

/** Structured output: the model fills an object matching `schema` (a JSON Schema of the slots). */
export interface LlmStructuredOutput {
  /** The tool or function name the provider sees: letters, digits, `_` and `-`. */
  name: string;
  description?: string;
  schema: JsonObject;
}

export interface LlmRequest {
  /** The provider's model name, e.g. claude-sonnet-4-5 or gpt-4.1-mini. */
  model: string;
  /** The prompt's name, for scripted fixtures, logs and error messages. */
  prompt?: string;
  system?: string;
  messages: LlmMessage[];
  maxTokens: number;
  temperature?: number;
  topP?: number;
  stop?: string[];
  output?: LlmStructuredOutput;
}

export interface LlmUsage {
  inputTokens: number;
  outputTokens: number;
}

export interface LlmResponse {
  /** Which provider answered (`anthropic`, `openai`, `scripted`). */
  provider: string;
  /** The model the provider says answered (it may resolve an alias), else the one asked for. */
  model: string;
  /** The assistant's text (empty when the answer is only structured output). */
  text: string;
  /** The structured output, validated against the request's schema; only when one was asked for. */
  output?: JsonObject;
  /** Why generation stopped, in the provider's words (`end_turn`, `max_tokens`, `stop`, `length`…). */
  stopReason?: string;
  usage: LlmUsage;
  /** From the call to the complete answer, retries and their waits included. */
  latencyMs: number;
  /** HTTP requests made: 1 without retries. */
  attempts: number;
  /** The body sent to the provider (the last attempt), for the step log and replay. */
  providerRequest: Json;
  /** The provider's answer (a streamed answer as the message it assembles to), for the step log. */
  providerResponse: Json;
}

export interface LlmCallOptions {
  /** Streams the text as it is generated; without it the call is not streamed. */
  onText?(delta: string): void;
  signal?: AbortSignal;
}

/** One LLM backend, chosen by the prompt's `model.provider`. */
export interface LlmProvider {
  readonly name: string;
  complete(req: LlmRequest, opts?: LlmCallOptions): Promise<LlmResponse>;
}

export type LlmErrorCode =
  /** 429: the provider's rate limit. */
  | 'rate_limited'
  /** Any other failure of the provider, or of the connection to it. */
  | 'provider_error'
  /** No answer within the timeout. */
  | 'timeout'
  /** An answer that cannot be read at all (not the provider's API, no matching scripted fixture). */
  | 'bad_response'
  /** The model answered, but its structured output is missing, not JSON, or does not fit the schema: the step's failure, not the provider's. */
  | 'invalid_output'
  /** The key is missing or rejected. */
  | 'auth'
  /** The caller's signal aborted the call. */
  | 'aborted';

export interface LlmErrorDetails {
  code: LlmErrorCode;
  provider: string;
  /** The provider's HTTP status, when it answered with one. */
  status?: number;
  /** The call was retried as many times as allowed and failed every time. */
  retriesExhausted?: boolean;
  attempts?: number;
  hint?: string;
  /** Overrides the default of `transient` (false for settings that are wrong, whatever the code). */
  transient?: boolean;
}

/** A failed LLM call, after the SDK's own retries; the message says what happened, the hint what to do. */
export class LlmError extends Error {
  readonly code: LlmErrorCode;
  readonly provider: string;
  readonly status: number | undefined;
  readonly retriesExhausted: boolean;
  readonly attempts: number;
  readonly hint: string | undefined;
  /** Worth trying again later (the session stays where it was): rate limits, outages, timeouts, cut streams. */
  readonly transient: boolean;

  constructor(message: string, details: LlmErrorDetails, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LlmError';
    this.code = details.code;
    this.provider = details.provider;
    this.status = details.status;
    this.retriesExhausted = details.retriesExhausted ?? false;
    this.attempts = details.attempts ?? 0;
    this.hint = details.hint;
    const { code, status } = details;
    this.transient = details.transient ?? (code === 'rate_limited' || code === 'timeout' || (code === 'provider_error' && (status === undefined || status >= 500)));
  }
}

/** The last user message's text ('' when there is none): what fixtures and logs match on. */
export function lastUserText(req: LlmRequest): string {
  for (let i = req.messages.length - 1; i >= 0; i--) if (req.messages[i]!.role === 'user') return req.messages[i]!.text;
  return '';
}
