/**
 * Turns what an SDK throws after its own retries into an LlmError a user can act on. Both SDKs
 * come from one generator and share their error classes' shape (status, headers, body), so one
 * mapping serves both; each adapter passes its own classes.
 */
import { LlmError, type LlmErrorCode } from '../../core/llm.js';

type ErrorClass = abstract new (...args: never[]) => Error;

/** The SDK's error classes, from the most specific: abort and timeout extend the connection error. */
export interface SdkErrors {
  APIError: ErrorClass;
  APIUserAbortError: ErrorClass;
  APIConnectionTimeoutError: ErrorClass;
  APIConnectionError: ErrorClass;
}

export interface CallContext {
  provider: string;
  attempts: number;
  maxRetries: number;
  timeoutMs: number;
  baseUrl: string;
  /** The variables the key and base URL come from, named in hints (e.g. ANTHROPIC_API_KEY). */
  keyVariable: string;
  baseUrlVariable: string;
}

interface ApiErrorShape {
  status?: number;
  headers?: Headers;
  error?: unknown;
  message: string;
}

/** The provider's own words: `{error: {message}}` (Anthropic's body, OpenAI's inner error) or the SDK's message. */
function providerMessage(err: ApiErrorShape): string {
  const body = err.error as { message?: unknown; error?: { message?: unknown } } | undefined;
  const text = body?.error?.message ?? body?.message;
  return typeof text === 'string' && text ? text : err.message.replace(/^\d{3} /, '');
}

/** A stream that began and stopped before its last event (the server ended it, or the connection dropped). */
export function cutShort(ctx: CallContext, cause?: unknown): LlmError {
  return new LlmError(`the ${ctx.provider} stream ended before the answer was complete (${ctx.attempts === 1 ? '1 attempt' : `${ctx.attempts} attempts`})`, { code: 'provider_error', provider: ctx.provider, attempts: ctx.attempts, hint: `try again; check that ${ctx.baseUrl} is up and that no proxy cuts long responses` }, { cause });
}

/** The LlmError for anything an SDK call threw. */
export function llmErrorFrom(err: unknown, sdk: SdkErrors, ctx: CallContext): LlmError {
  if (err instanceof LlmError) return err;
  const { provider, attempts } = ctx;
  const make = (code: LlmErrorCode, message: string, hint: string, status?: number, exhausted = false, transient?: boolean) =>
    new LlmError(message, { code, provider, attempts, hint, status, retriesExhausted: exhausted, ...(transient === undefined ? {} : { transient }) }, { cause: err });
  const tries = attempts === 1 ? '1 attempt' : `${attempts} attempts`;
  const exhausted = attempts > ctx.maxRetries;

  if (err instanceof sdk.APIUserAbortError) {
    return make('aborted', `the ${provider} call was aborted by its caller`, 'nothing to fix: the caller gave up on the answer');
  }
  if (err instanceof sdk.APIConnectionTimeoutError) {
    return make('timeout', `${provider} did not answer within ${ctx.timeoutMs / 1000}s (${tries})`, `check that ${ctx.baseUrl} is up, or allow a longer timeout`, undefined, exhausted);
  }
  if (err instanceof sdk.APIConnectionError) {
    const cause = (err as Error & { cause?: unknown }).cause;
    const why = cause instanceof Error ? `: ${cause.message}` : '';
    return make('provider_error', `cannot reach ${provider} at ${ctx.baseUrl} (${tries})${why}`, `check ${ctx.baseUrlVariable} and that the server is up`, undefined, exhausted);
  }
  if (!(err instanceof sdk.APIError) || (err as ApiErrorShape).status === undefined) {
    const text = err instanceof Error ? err.message : String(err);
    return make('bad_response', `${provider} sent an answer that cannot be read: ${text}`, `check that ${ctx.baseUrl} speaks the ${provider} API`);
  }

  const api = err as ApiErrorShape;
  const status = api.status!;
  const said = providerMessage(api);
  // The server may forbid a retry whatever the status; then the retries were not used up.
  const refused = api.headers?.get('x-should-retry') === 'false';
  if (status === 401 || status === 403) {
    return make('auth', `${provider} rejected the API key (${status}): ${said}`, `set ${ctx.keyVariable} to a valid key for ${ctx.baseUrl}`, status);
  }
  if (status === 429) {
    return make('rate_limited', `${provider} rate-limited the call (429, ${tries}): ${said}`, 'wait and try again, send fewer calls at once, or raise the rate limit of the account', status, exhausted && !refused);
  }
  if (status >= 500) {
    const what = status === 529 ? `${provider} is overloaded (529, ${tries})` : `${provider} failed with ${status} (${tries}${refused ? ', not retried: the server said x-should-retry: false' : ''})`;
    return make('provider_error', `${what}: ${said}`, refused ? 'the provider says retrying will not help: check the request and the provider status page' : 'try again later; the provider status page may say more', status, exhausted && !refused, !refused);
  }
  return make('provider_error', `${provider} rejected the request (${status}): ${said}`, "check the prompt's model settings (model.name, maxTokens, temperature)", status);
}
