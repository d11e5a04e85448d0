/**
 * The one place an LLM provider is chosen, by the prompt's `model.provider`, with its key and base
 * URL from the environment the CLI passes in (the adapters themselves never read it).
 */
import { LlmError, type LlmProvider } from '../../core/llm.js';
import { suggestHint } from '../../core/suggest.js';
import { AnthropicProvider } from './anthropic.js';
import { OpenAiProvider } from './openai.js';
import { ScriptedProvider, type ScriptedFixture } from './scripted.js';

export { AnthropicProvider, anthropicBody, type AnthropicProviderOptions } from './anthropic.js';
export { OpenAiProvider, openAiBody, type MaxTokensField, type OpenAiProviderOptions } from './openai.js';
export { ScriptedProvider, type ScriptedFixture } from './scripted.js';

export const LLM_PROVIDERS = ['anthropic', 'openai', 'scripted'] as const;
export type LlmProviderName = (typeof LLM_PROVIDERS)[number];

export type LlmEnv = Readonly<Record<string, string | undefined>>;

export interface LlmProviderSettings {
  /** Retries after the first attempt, by the SDK; default 2. */
  maxRetries?: number;
  /** Per attempt; default 60 s. */
  timeoutMs?: number;
  /** What `scripted` answers from (none: every call fails with a hint to add one). */
  fixtures?: readonly ScriptedFixture[];
}

/** OpenAI-compatible local servers (vLLM, Ollama, llama.cpp) often check no key, but the SDK wants one. */
export const NO_KEY_PLACEHOLDER = 'no-key';

const set = (value: string | undefined) => (value ? value : undefined);

function missingKey(provider: string, message: string, hint: string): LlmError {
  return new LlmError(message, { code: 'auth', provider, hint });
}

function checkedUrl(provider: string, variable: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    const url = new URL(value);
    if (url.protocol === 'http:' || url.protocol === 'https:') return value;
  } catch {
    // reported below
  }
  throw new LlmError(`${variable} is not an http(s) URL: "${value}"`, { code: 'provider_error', provider, transient: false, hint: `set ${variable} to the server's base URL, e.g. http://127.0.0.1:8000${provider === 'openai' ? '/v1' : ''}` });
}

/** The provider named by a prompt's `model.provider`; LlmError `auth` when its key is missing. */
export function providerFor(name: string, env: LlmEnv, settings: LlmProviderSettings = {}): LlmProvider {
  const { maxRetries, timeoutMs } = settings;
  switch (name) {
    case 'anthropic': {
      const apiKey = set(env.ANTHROPIC_API_KEY);
      const baseUrl = checkedUrl(name, 'ANTHROPIC_BASE_URL', set(env.ANTHROPIC_BASE_URL));
      if (!apiKey) throw missingKey(name, 'ANTHROPIC_API_KEY is not set: the anthropic provider needs an API key', 'export ANTHROPIC_API_KEY=… (a key from the Claude Console), or use the scripted provider offline');
      return new AnthropicProvider({ apiKey, baseUrl, maxRetries, timeoutMs });
    }
    case 'openai': {
      const baseUrl = checkedUrl(name, 'OPENAI_BASE_URL', set(env.OPENAI_BASE_URL));
      const apiKey = set(env.OPENAI_API_KEY) ?? (baseUrl ? NO_KEY_PLACEHOLDER : undefined);
      if (!apiKey) throw missingKey(name, 'OPENAI_API_KEY is not set: the openai provider needs an API key', 'export OPENAI_API_KEY=…, or set OPENAI_BASE_URL to an OpenAI-compatible server (vLLM, Ollama, llama.cpp) that needs none');
      return new OpenAiProvider({ apiKey, baseUrl, maxRetries, timeoutMs });
    }
    case 'scripted':
      return new ScriptedProvider(settings.fixtures ?? []);
    default:
      throw new LlmError(`unknown LLM provider "${name}"`, { code: 'provider_error', provider: name, transient: false, hint: suggestHint(name, LLM_PROVIDERS, `use one of ${LLM_PROVIDERS.join(', ')}`) });
  }
}

/** A chooser that builds each provider once, so its client (and connection pool) serves every call. */
export function llmProviders(env: LlmEnv, settings: LlmProviderSettings = {}): (name: string) => LlmProvider {
  const built = new Map<string, LlmProvider>();
  return (name) => {
    let provider = built.get(name);
    if (!provider) built.set(name, (provider = providerFor(name, env, settings)));
    return provider;
  };
}
