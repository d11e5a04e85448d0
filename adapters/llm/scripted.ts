/**
 * The `scripted` provider: answers from fixtures kept in the repo, with no network, so examples,
 * tests and offline runs go through the same steps as a real model. It behaves like one where
 * callers can tell: text streams in chunks, structured output is checked against the schema, and
 * usage is counted (in whitespace-separated words, a stand-in for tokens).
 */
import type { Json, JsonObject } from '../../core/json.js';
import { LlmError, lastUserText, type LlmCallOptions, type LlmProvider, type LlmRequest, type LlmResponse } from '../../core/llm.js';
import { checkedOutput } from './structured.js';

export interface ScriptedFixture {
  /** Every condition given must hold; no `when` matches every call. */
  when?: {
    /** The prompt's name, exactly. */
    prompt?: string;
    /** A substring of the last user message, case-insensitive. */
    input?: string;
  };
  text?: string;
  output?: JsonObject;
}

/** At most this many onText calls per answer, as a model sends a short answer in a few chunks. */
const CHUNKS = 4;

const words = (text: string) => text.split(/\s+/).filter(Boolean).length;

/** The text cut at word boundaries into at most CHUNKS pieces that join back to it exactly. */
export function chunksOf(text: string): string[] {
  const lead = /^\s*/.exec(text)![0];
  const pieces = text.slice(lead.length).match(/\S+\s*/g) ?? [];
  if (pieces.length === 0) return text ? [text] : [];
  const per = Math.ceil(pieces.length / CHUNKS);
  const out: string[] = [];
  for (let i = 0; i < pieces.length; i += per) out.push(pieces.slice(i, i + per).join(''));
  out[0] = lead + out[0];
  return out;
}

/** LlmProvider answering from fixtures: the first whose `when` matches the request wins. */
export class ScriptedProvider implements LlmProvider {
  readonly name = 'scripted';

  constructor(private readonly fixtures: readonly ScriptedFixture[]) {
    fixtures.forEach((f, i) => {
      if (f.text === undefined && f.output === undefined) throw new TypeError(`scripted fixture ${i + 1}: give it a text, an output or both`);
    });
  }

  /** The fixture answering a request, if any. */
  match(req: LlmRequest): ScriptedFixture | undefined {
    const input = lastUserText(req).toLowerCase();
    return this.fixtures.find(({ when }) => (when?.prompt === undefined || when.prompt === req.prompt) && (when?.input === undefined || input.includes(when.input.toLowerCase())));
  }

  /** The matching fixture's answer, streamed to `opts.onText` in a few chunks when given. */
  async complete(req: LlmRequest, opts: LlmCallOptions = {}): Promise<LlmResponse> {
    const started = performance.now();
    const fixture = this.match(req);
    if (!fixture) {
      const input = lastUserText(req);
      const prompt = req.prompt ?? '(no prompt name)';
      throw new LlmError(`no scripted fixture answers prompt "${prompt}" with input "${input}"`, {
        code: 'bad_response',
        provider: this.name,
        attempts: 1,
        hint: `add a fixture such as { when: { prompt: ${JSON.stringify(prompt)}, input: ${JSON.stringify(input.slice(0, 40))} }, text: "…" }`,
      });
    }
    const text = fixture.text ?? '';
    for (const chunk of opts.onText ? chunksOf(text) : []) {
      if (opts.signal?.aborted) break;
      opts.onText!(chunk);
      // Let the caller's stream write each chunk before the next, as with a real provider.
      await null;
    }
    if (opts.signal?.aborted) throw new LlmError(`the ${this.name} call was aborted by its caller`, { code: 'aborted', provider: this.name, attempts: 1 });
    const output = req.output ? checkedOutput(req.output, { provider: this.name, attempts: 1, toolInput: fixture.output, text }) : undefined;
    const sent = [req.system ?? '', ...req.messages.map((m) => m.text)].join(' ');
    const answer: JsonObject = { text, ...(output ? { output } : {}) };
    return {
      provider: this.name,
      model: req.model,
      text,
      ...(output ? { output } : {}),
      stopReason: output ? 'tool_use' : 'end_turn',
      usage: { inputTokens: words(sent), outputTokens: words(text) + (output ? words(JSON.stringify(output, null, 1)) : 0) },
      latencyMs: performance.now() - started,
      attempts: 1,
      providerRequest: JSON.parse(JSON.stringify(req)) as Json,
      providerResponse: { fixture: this.fixtures.indexOf(fixture), ...answer },
    };
  }
}
