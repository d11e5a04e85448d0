import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JsonObject } from '../../core/types.js';
import { checkAttributeLimits, decodeSegment, HttpError, isObject, readJson, sendJson } from '../../core/http.js';
import type { KindRoute } from '../../kinds/routes.js';
import type { FlowRuntime, TurnHooks } from './runtime.js';
import type { TurnAnswer } from './record.js';
import { sessionDetail } from './detail.js';

/** Longest user message accepted (characters). */
const MAX_TEXT = 8192;

function optionalObject(body: Record<string, unknown>, field: string): JsonObject | undefined {
  const v = body[field];
  if (v === undefined) return undefined;
  if (!isObject(v)) throw new HttpError(400, 'invalid_field', `"${field}" must be an object`);
  checkAttributeLimits(v, field);
  return v as JsonObject;
}

function wantsStream(req: IncomingMessage): boolean {
  return (req.headers.accept ?? '').includes('text/event-stream');
}

/**
 * Answer a turn as JSON, or as server-sent events (`delta` with text as it is produced, `message`
 * per complete assistant message, then `done` with the JSON answer, or `error`).
 */
async function turnRoute(req: IncomingMessage, res: ServerResponse, status: number, run: (hooks: TurnHooks) => Promise<TurnAnswer>, revision: string): Promise<void> {
  if (!wantsStream(req)) {
    sendJson(res, status, await run({}), revision);
    return;
  }
  let open = false;
  const send = (event: string, data: unknown) => {
    if (!open) {
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-labctl-revision': revision });
      open = true;
    }
    res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  try {
    const done = await run({ onText: (text) => send('delta', { text }), onMessage: (text) => send('message', { role: 'assistant', text }) });
    send('done', done);
  } catch (e) {
    // Before anything was sent, an error is an ordinary JSON answer; after, an `error` event.
    if (!open) throw e;
    const err = e instanceof HttpError ? e : new HttpError(500, 'internal', 'internal error');
    send('error', { error: { code: err.code, message: err.message, status: err.status } });
  }
  res.end();
}

async function body(req: IncomingMessage, required: boolean): Promise<Record<string, unknown>> {
  let b: unknown;
  try {
    b = await readJson(req);
  } catch (e) {
    if (!required && e instanceof HttpError && e.code === 'missing_body') return {};
    throw e;
  }
  if (!isObject(b)) throw new HttpError(400, 'invalid_body', 'request body must be a JSON object');
  return b;
}

/** The flow runtime's routes on `labctl serve`. */
export function flowRoutes(runtime: FlowRuntime): KindRoute[] {
  return [
    {
      name: 'flow_session_start',
      method: 'POST',
      path: '/v1/flows/*name/sessions',
      handle: async (ctx, { req, res, params }) => {
        const name = decodeSegment(params.name!);
        const b = await body(req, false);
        if (b.experiment !== undefined && typeof b.experiment !== 'string') throw new HttpError(400, 'invalid_field', '"experiment" must be an experiment name');
        const input = { attributes: optionalObject(b, 'attributes'), slots: optionalObject(b, 'slots'), experiment: b.experiment as string | undefined };
        await turnRoute(req, res, 201, (hooks) => runtime.start(name, input, hooks), ctx.source.current.revision);
      },
    },
    {
      name: 'flow_session_message',
      method: 'POST',
      path: '/v1/sessions/:id/messages',
      handle: async (ctx, { req, res, params }) => {
        const id = decodeSegment(params.id!);
        const b = await body(req, true);
        if (typeof b.text !== 'string') throw new HttpError(400, 'invalid_field', '"text" must be the user\'s message as a string');
        if (b.text.length > MAX_TEXT) throw new HttpError(400, 'text_too_long', `"text" has ${b.text.length} characters; the limit is ${MAX_TEXT}`);
        const text = b.text;
        await turnRoute(req, res, 200, (hooks) => runtime.message(id, text, hooks), ctx.source.current.revision);
      },
    },
    {
      name: 'flow_session_get',
      method: 'GET',
      path: '/v1/sessions/:id',
      handle: async (ctx, { res, params }) => {
        const got = await runtime.get(decodeSegment(params.id!));
        sendJson(res, 200, sessionDetail(decodeSegment(params.id!), got.record, got.events), ctx.source.current.revision);
      },
    },
  ];
}
