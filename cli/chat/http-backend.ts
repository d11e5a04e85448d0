import type { JsonObject } from '../../core/types.js';
import type { TurnAnswer, TurnHooks } from '../../runtime/flows/index.js';
import { CliError } from '../errors.js';
import { RuntimeAnswerError, type ChatBackend } from './types.js';

/** Talk to a flow on a running `labctl serve` over HTTP, with the assistant's text streamed as server-sent events. */
export class HttpChatBackend implements ChatBackend {
  readonly where: string;

  constructor(private readonly base: string) {
    this.where = base;
  }

  start(flow: string, input: { attributes?: JsonObject; experiment?: string; slots?: JsonObject }, hooks: TurnHooks): Promise<TurnAnswer> {
    return this.turn(`/v1/flows/${encodeURIComponent(flow)}/sessions`, input, hooks);
  }

  message(session: string, text: string, hooks: TurnHooks): Promise<TurnAnswer> {
    return this.turn(`/v1/sessions/${encodeURIComponent(session)}/messages`, { text }, hooks);
  }

  async close(): Promise<void> {}

  private async turn(path: string, body: unknown, hooks: TurnHooks): Promise<TurnAnswer> {
    let res: Response;
    try {
      res = await fetch(this.base + path, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/event-stream' }, body: JSON.stringify(body) });
    } catch (e) {
      throw new CliError(`cannot reach labctl serve at ${this.base}: ${((e as Error).cause as Error | undefined)?.message ?? (e as Error).message}`, 'start it with npx labctl serve (or up), or chat in-process with --dir');
    }
    if (!(res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
      const text = await res.text();
      let err: { code?: string; message?: string } = {};
      try {
        err = (JSON.parse(text) as { error?: typeof err }).error ?? {};
      } catch {
        // not JSON: shown below as it came
      }
      throw new RuntimeAnswerError(res.status, err.code ?? 'http_error', err.message ?? `HTTP ${res.status}: ${text.slice(0, 200)}`);
    }
    let done: TurnAnswer | undefined;
    for await (const ev of events(res.body!)) {
      const data = JSON.parse(ev.data) as Record<string, unknown>;
      if (ev.event === 'delta') hooks.onText?.(data.text as string);
      else if (ev.event === 'message') hooks.onMessage?.(data.text as string);
      else if (ev.event === 'done') done = data as unknown as TurnAnswer;
      else if (ev.event === 'error') {
        const e = data.error as { code: string; message: string; status: number };
        throw new RuntimeAnswerError(e.status, e.code, e.message);
      }
    }
    if (!done) throw new RuntimeAnswerError(502, 'stream_cut', 'the answer stream ended before the turn was complete');
    return done;
  }
}

/** Server-sent events of a response body: `event:` and `data:` lines, a blank line ends one. */
async function* events(body: ReadableStream<Uint8Array>): AsyncGenerator<{ event: string; data: string }> {
  const decoder = new TextDecoder();
  let buf = '';
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buf += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buf.indexOf('\n\n')) !== -1) {
      const block = buf.slice(0, end);
      buf = buf.slice(end + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length) yield { event, data: data.join('\n') };
    }
  }
}
