/**
 * A local server that speaks Anthropic's Messages API (`POST /v1/messages`) and OpenAI's Chat
 * Completions (`POST /v1/chat/completions`) on the wire, JSON and SSE, so the real SDKs can be
 * tested without the network. Each test queues the replies it wants (text, a tool call, an error
 * status with its headers, a slow or cut-off answer) and reads back every request the SDK sent.
 * Where the real APIs refuse a request the SDKs could send (no key; a sampling parameter on
 * Anthropic's API version 2026-10-21), this server refuses it the same way.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface WireUsage {
  input: number;
  output: number;
}

export type WireReply =
  | { kind: 'text'; text: string; chunks?: string[]; usage?: WireUsage; stopReason?: string }
  /** A tool call; `input` as an object, or as raw argument text (which may be broken JSON). */
  | { kind: 'tool'; input: unknown; name?: string; text?: string; usage?: WireUsage }
  | { kind: 'error'; status: number; headers?: Record<string, string>; message?: string }
  /** Waits before the status line, as a model that takes long to start. */
  | { kind: 'slow'; delayMs: number; then: WireReply }
  /** Streams part of the text, then ends the response without finishing the message (drop: resets the connection instead). */
  | { kind: 'cut'; text: string; drop?: boolean };

/** Reply builders for `enqueue`. */
export const reply = {
  text: (text: string, opts: { chunks?: string[]; usage?: WireUsage; stopReason?: string } = {}): WireReply => ({ kind: 'text', text, ...opts }),
  tool: (input: unknown, opts: { name?: string; text?: string; usage?: WireUsage } = {}): WireReply => ({ kind: 'tool', input, ...opts }),
  error: (status: number, headers: Record<string, string> = {}, message?: string): WireReply => ({ kind: 'error', status, headers, ...(message ? { message } : {}) }),
  slow: (delayMs: number, then: WireReply): WireReply => ({ kind: 'slow', delayMs, then }),
  cut: (text: string, opts: { drop?: boolean } = {}): WireReply => ({ kind: 'cut', text, ...opts }),
};

export type WireApi = 'anthropic' | 'openai';

export interface WireRequest {
  api: WireApi;
  path: string;
  headers: Record<string, string>;
  // The SDK's JSON body, as sent.
  body: Record<string, any>;
}

type Body = Record<string, any>;

const words = (text: string) => text.split(/\s+/).filter(Boolean).length;
const id = (prefix: string) => `${prefix}${Math.random().toString(36).slice(2, 14)}`;

/** Three pieces of a string, for streamed deltas: the SDK must join them. */
function pieces(text: string, n = 3): string[] {
  if (text.length < n) return text ? [text] : [];
  const size = Math.ceil(text.length / n);
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

function textChunks(r: { text: string; chunks?: string[] }): string[] {
  if (r.chunks) return r.chunks;
  return r.text.match(/\S+\s*|\s+/g) ?? [];
}

function requestWords(body: Body): number {
  const texts: string[] = [];
  const collect = (c: unknown) => {
    if (typeof c === 'string') texts.push(c);
    else if (Array.isArray(c)) for (const part of c) if (part && typeof part.text === 'string') texts.push(part.text);
  };
  collect(body.system);
  for (const m of body.messages ?? []) collect(m.content);
  return words(texts.join(' '));
}

/** Anthropic's non-streamed tool input is an object; raw text that is not JSON stays text. */
function parsedOr(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function toolArguments(input: unknown): string {
  return typeof input === 'string' ? input : JSON.stringify(input);
}

function forcedTool(api: WireApi, body: Body): string {
  return (api === 'anthropic' ? body.tool_choice?.name : body.tool_choice?.function?.name) ?? 'tool';
}

function usageOf(r: WireReply & { kind: 'text' | 'tool' }, body: Body): WireUsage {
  if (r.usage) return r.usage;
  const out = r.kind === 'text' ? words(r.text) : Math.ceil(toolArguments(r.input).length / 4) + words(r.text ?? '');
  return { input: requestWords(body), output: out };
}

const ANTHROPIC_ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function sendError(api: WireApi, res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  if (api === 'anthropic') {
    const requestId = id('req_');
    sendJson(res, status, { type: 'error', error: { type: ANTHROPIC_ERROR_TYPES[status] ?? 'api_error', message }, request_id: requestId }, { 'request-id': requestId, ...headers });
  } else {
    const code = status === 429 ? 'rate_limit_exceeded' : status === 401 ? 'invalid_api_key' : null;
    sendJson(res, status, { error: { message, type: status === 429 ? 'requests' : status >= 500 ? 'server_error' : 'invalid_request_error', param: null, code } }, { 'x-request-id': id('req_'), ...headers });
  }
}

function sse(res: ServerResponse): (event: string | null, data: unknown) => void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  return (event, data) => res.write(`${event ? `event: ${event}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
}

function cutOff(res: ServerResponse, r: { drop?: boolean }): void {
  if (r.drop) setTimeout(() => res.socket?.destroy(), 20);
  else res.end();
}

// ---- Anthropic Messages API -------------------------------------------------------------------

function anthropicMessage(r: WireReply & { kind: 'text' | 'tool' }, body: Body): Body {
  const usage = usageOf(r, body);
  const content: Body[] = [];
  if (r.kind === 'text') content.push({ type: 'text', text: r.text, citations: null });
  else {
    if (r.text) content.push({ type: 'text', text: r.text, citations: null });
    content.push({ type: 'tool_use', id: id('toolu_'), name: r.name ?? forcedTool('anthropic', body), input: typeof r.input === 'string' ? parsedOr(r.input) : r.input, caller: { type: 'direct' } });
  }
  return {
    id: id('msg_'),
    type: 'message',
    role: 'assistant',
    model: body.model,
    content,
    stop_reason: r.kind === 'tool' ? 'tool_use' : (r.stopReason ?? 'end_turn'),
    stop_sequence: null,
    usage: { input_tokens: usage.input, output_tokens: usage.output, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, service_tier: 'standard' },
  };
}

function anthropicStream(res: ServerResponse, r: WireReply & { kind: 'text' | 'tool' | 'cut' }, body: Body): void {
  const send = sse(res);
  const whole = r.kind === 'cut' ? undefined : anthropicMessage(r, body);
  const input = whole?.usage.input_tokens ?? requestWords(body);
  send('message_start', { type: 'message_start', message: { id: whole?.id ?? id('msg_'), type: 'message', role: 'assistant', model: body.model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: input, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, service_tier: 'standard' } } });
  let index = 0;
  const text = r.kind === 'tool' ? (r.text ?? '') : r.text;
  if (text) {
    send('content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '', citations: null } });
    send('ping', { type: 'ping' });
    for (const chunk of r.kind === 'text' ? textChunks(r) : textChunks({ text })) send('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text: chunk } });
    if (r.kind === 'cut') return cutOff(res, r);
    send('content_block_stop', { type: 'content_block_stop', index });
    index++;
  }
  if (r.kind === 'tool') {
    const block = whole!.content.at(-1);
    send('content_block_start', { type: 'content_block_start', index, content_block: { ...block, input: {} } });
    for (const part of pieces(toolArguments(r.input))) send('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: part } });
    send('content_block_stop', { type: 'content_block_stop', index });
  }
  send('message_delta', { type: 'message_delta', delta: { stop_reason: whole!.stop_reason, stop_sequence: null }, usage: { output_tokens: whole!.usage.output_tokens } });
  send('message_stop', { type: 'message_stop' });
  res.end();
}

/** What the 2026-10-21 Messages API refuses before any model runs; undefined when the request is fine. */
function anthropicRefusal(req: WireRequest): [number, string] | undefined {
  const auth = req.headers['x-api-key'] ?? req.headers.authorization?.replace(/^Bearer /, '');
  if (!auth) return [401, 'x-api-key header is required'];
  if (!req.headers['anthropic-version']) return [400, 'anthropic-version header is required'];
  for (const field of ['temperature', 'top_p', 'top_k']) if (field in req.body) return [400, `${field}: Extra inputs are not permitted`];
  for (const field of ['model', 'max_tokens', 'messages']) if (!(field in req.body)) return [400, `${field}: Field required`];
  return undefined;
}

// ---- OpenAI Chat Completions ------------------------------------------------------------------

function openAiCompletion(r: WireReply & { kind: 'text' | 'tool' }, body: Body): Body {
  const usage = usageOf(r, body);
  const message: Body = { role: 'assistant', content: r.kind === 'text' ? r.text : (r.text ?? null), refusal: null, annotations: [] };
  if (r.kind === 'tool') message.tool_calls = [{ id: id('call_'), type: 'function', function: { name: r.name ?? forcedTool('openai', body), arguments: toolArguments(r.input) } }];
  return {
    id: id('chatcmpl-'),
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: body.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: r.kind === 'tool' ? 'tool_calls' : (r.stopReason ?? 'stop') }],
    usage: { prompt_tokens: usage.input, completion_tokens: usage.output, total_tokens: usage.input + usage.output },
    system_fingerprint: 'fp_wire',
  };
}

function openAiStream(res: ServerResponse, r: WireReply & { kind: 'text' | 'tool' | 'cut' }, body: Body): void {
  const send = sse(res);
  const whole = r.kind === 'cut' ? undefined : openAiCompletion(r, body);
  const withUsage = body.stream_options?.include_usage === true;
  const base = { id: whole?.id ?? id('chatcmpl-'), object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model: body.model, system_fingerprint: 'fp_wire', ...(withUsage ? { usage: null } : {}) };
  const chunk = (delta: Body, finish: string | null = null) => send(null, { ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] });
  const text = r.kind === 'tool' ? (r.text ?? '') : r.text;
  chunk({ role: 'assistant', content: '', refusal: null });
  for (const piece of r.kind === 'text' ? textChunks(r) : textChunks({ text })) chunk({ content: piece });
  if (r.kind === 'cut') return cutOff(res, r);
  if (r.kind === 'tool') {
    const call = whole!.choices[0].message.tool_calls[0];
    chunk({ tool_calls: [{ index: 0, id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } }] });
    for (const part of pieces(call.function.arguments)) chunk({ tool_calls: [{ index: 0, function: { arguments: part } }] });
  }
  chunk({}, whole!.choices[0].finish_reason);
  if (withUsage) send(null, { ...base, choices: [], usage: whole!.usage });
  send(null, '[DONE]');
  res.end();
}

function openAiRefusal(req: WireRequest): [number, string] | undefined {
  if (!req.headers.authorization?.startsWith('Bearer ')) return [401, "You didn't provide an API key."];
  for (const field of ['model', 'messages']) if (!(field in req.body)) return [400, `Missing required parameter: '${field}'.`];
  return undefined;
}

// ---- the server -------------------------------------------------------------------------------

export class LlmWireServer {
  /** Every request received, in order (failed attempts included). */
  readonly requests: WireRequest[] = [];
  private readonly queue: WireReply[] = [];
  private server: Server | undefined;
  private port = 0;

  /** Start on an ephemeral port of 127.0.0.1. */
  static async start(): Promise<LlmWireServer> {
    const s = new LlmWireServer();
    s.server = createServer((req, res) => void s.handle(req, res));
    await new Promise<void>((resolve) => s.server!.listen(0, '127.0.0.1', resolve));
    s.port = (s.server.address() as AddressInfo).port;
    return s;
  }

  /** The base URL for the Anthropic SDK (it adds /v1/messages). */
  get anthropicUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The base URL for the OpenAI SDK (it adds /chat/completions). */
  get openaiUrl(): string {
    return `http://127.0.0.1:${this.port}/v1`;
  }

  /** Queue replies, one per request, in order; a request with none queued gets a 500 that says so. */
  enqueue(...replies: WireReply[]): this {
    this.queue.push(...replies);
    return this;
  }

  /** Forget queued replies and recorded requests (between tests). */
  reset(): void {
    this.queue.length = 0;
    this.requests.length = 0;
  }

  /** Replies not yet used. */
  get pending(): number {
    return this.queue.length;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const api: WireApi | undefined = req.method === 'POST' && path === '/v1/messages' ? 'anthropic' : req.method === 'POST' && path === '/v1/chat/completions' ? 'openai' : undefined;
    if (!api) return sendJson(res, 404, { error: { message: `no route ${req.method} ${path}` } });
    let body: Body;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Body;
    } catch {
      return sendError(api, res, 400, 'the body is not JSON');
    }
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]));
    const recorded: WireRequest = { api, path, headers, body };
    this.requests.push(recorded);
    const refusal = api === 'anthropic' ? anthropicRefusal(recorded) : openAiRefusal(recorded);
    if (refusal) return sendError(api, res, refusal[0], refusal[1], { 'x-should-retry': 'false' });
    let next = this.queue.shift();
    if (!next) return sendError(api, res, 500, 'llm-wire-server: no reply queued for this request', { 'x-should-retry': 'false' });
    while (next.kind === 'slow') {
      const { delayMs } = next;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delayMs);
        res.once('close', () => (clearTimeout(timer), resolve()));
      });
      if (res.destroyed || res.writableEnded) return;
      next = next.then;
    }
    if (next.kind === 'error') {
      const message = next.message ?? (next.status === 429 ? 'rate limit exceeded' : next.status === 529 ? 'Overloaded' : `wire server error ${next.status}`);
      return sendError(api, res, next.status, message, next.headers);
    }
    const stream = body.stream === true;
    if (next.kind === 'cut' && !stream) return void res.socket?.destroy();
    if (stream) return api === 'anthropic' ? anthropicStream(res, next, body) : openAiStream(res, next, body);
    const answer = next as WireReply & { kind: 'text' | 'tool' };
    return sendJson(res, 200, api === 'anthropic' ? anthropicMessage(answer, body) : openAiCompletion(answer, body), api === 'anthropic' ? { 'request-id': id('req_') } : { 'x-request-id': id('req_') });
  }
}
