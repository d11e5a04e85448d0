// Tool steps on `labctl serve` (in-process) against a local HTTP server the test runs: the request
// the spec declares (method, URL, headers and body with slots filled in), response JSON mapped into
// slots, and the error path the engine defines (onError, else the session ends with the code) for
// a timeout, an error status, a response without the mapped field, and a connection refused.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { stepRows, useFlowRuntime } from '../helpers/flows-runtime.js';
import { requirePostgres } from '../helpers/postgres.js';

vi.setConfig({ testTimeout: 30_000, hookTimeout: 60_000 });

const SLOW = '99999999';
const MISSING = '44444444';
const EMPTY = '55555555';

const orderFlow = (name: string, base: string, onError: boolean) => `kind: Flow
name: ${name}
slots:
  order_id: { type: string, pattern: "^[0-9]{8}$" }
  status: { type: string }
  eta: { type: integer }
steps:
  - id: ask
    collect: order_id
    say: "Which order?"
  - id: lookup
    tool:
      method: POST
      url: "${base}/orders/{{order_id}}?source=chat"
      timeout: 1s
      headers: { x-order: "{{order_id}}" }
      body: { order: "{{order_id}}", channel: chat }
      output: { status: order.status, eta: order.eta_days }
${onError ? '    onError: sorry\n' : ''}  - { id: tell, say: "Order {{order_id}} is {{status}}; it arrives in {{eta}} days.", next: end }
${onError ? '  - { id: sorry, say: "I cannot look up order {{order_id}} right now.", handoff: human }\n' : ''}`;

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

const available = await requirePostgres();

describe.skipIf(!available)('tool steps', () => {
  let tools: Server;
  let base = '';
  let deadPort = 0;
  const seen: Seen[] = [];
  beforeAll(async () => {
    tools = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
        const id = /\/orders\/(\d+)/.exec(req.url ?? '')?.[1];
        const send = (status: number, doc: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(doc));
        };
        if (id === SLOW) setTimeout(() => !res.destroyed && send(200, { order: { status: 'late', eta_days: 9 } }), 3000).unref();
        else if (id === MISSING) send(404, { error: 'no such order' });
        else if (id === EMPTY) send(200, { order: {} });
        else send(200, { order: { status: 'shipped', eta_days: 3, carrier: 'DHL' } });
      });
    });
    await new Promise<void>((r) => tools.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(tools.address() as AddressInfo).port}`;
    // A port nothing listens on: bound, then closed.
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    deadPort = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
  });
  afterAll(async () => {
    tools?.closeAllConnections();
    await new Promise((r) => tools?.close(r));
  });
  const rt = useFlowRuntime(() => ({
    samples: false,
    files: {
      'flows/order-status.yaml': orderFlow('order-status', base, true),
      'flows/order-status-strict.yaml': orderFlow('order-status-strict', base, false),
      'flows/order-status-down.yaml': orderFlow('order-status-down', `http://127.0.0.1:${deadPort}`, true),
    },
  }));

  async function lookup(flow: string, order: string) {
    const id = (await rt.client.start(flow)).body.session as string;
    const before = seen.length;
    const answer = await rt.client.send(id, order);
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    return { id, answer: answer.body, requests: seen.slice(before), shown: (await rt.client.get(id)).body };
  }

  it('sends the declared request with the slots filled in, and maps the response JSON into slots', async () => {
    const { answer, requests, shown } = await lookup('order-status', '12345678');
    expect(answer).toMatchObject({ state: 'ended', step: 'tell', slots: { order_id: '12345678', status: 'shipped', eta: 3 }, messages: [{ text: 'Order 12345678 is shipped; it arrives in 3 days.' }] });
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ method: 'POST', url: '/orders/12345678?source=chat', headers: { 'x-order': '12345678', 'content-type': 'application/json' } });
    expect(JSON.parse(requests[0]!.body)).toEqual({ order: '12345678', channel: 'chat' });
    const call = shown.events.find((e: { type: string }) => e.type === 'tool_call');
    expect(call).toMatchObject({ step: 'lookup', request: { method: 'POST', timeoutMs: 1000 }, response: { status: 200, body: { order: { status: 'shipped' } } } });
    expect(call.error).toBeUndefined();
  });

  it('a tool that does not answer within its timeout: the onError step, after about the timeout', async () => {
    const t0 = Date.now();
    const { id, answer } = await lookup('order-status', SLOW);
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(950);
    expect(took).toBeLessThan(2900);
    expect(answer).toMatchObject({ state: 'handoff', step: 'sorry', messages: [{ text: `I cannot look up order ${SLOW} right now.` }] });
    expect(answer.slots.status).toBeUndefined();
    const rows = await stepRows(rt.project, id);
    expect(rows.find((r) => r.type === 'tool_call')?.error).toMatchObject({ code: 'tool_timeout', message: expect.stringContaining('1000 ms') });
    // The step's failure is in the log too, with where it went.
    const failed = (await rt.client.get(id)).body.events.find((e: { type: string; output?: { error?: unknown } }) => e.type === 'tool' && e.output?.error);
    expect(failed.output).toMatchObject({ error: { code: 'tool_timeout' }, next: 'sorry' });
  });

  it('without onError, a timeout ends the session with the code', async () => {
    const { answer } = await lookup('order-status-strict', SLOW);
    expect(answer).toMatchObject({ state: 'ended', step: 'lookup', outcome: { reason: 'error', code: 'tool_timeout' } });
    expect(answer.messages).toEqual([]);
  });

  it.each([
    ['an error status', 'tool_status', 'order-status', MISSING],
    ['a response without the mapped field', 'invalid_output', 'order-status', EMPTY],
    ['a connection refused', 'tool_error', 'order-status-down', '12345678'],
  ])('%s takes the onError path (%s)', async (_what, code, flow, order) => {
    const { answer, shown } = await lookup(flow, order);
    expect(answer).toMatchObject({ state: 'handoff', step: 'sorry' });
    const failed = shown.events.find((e: { type: string; output?: { error?: unknown } }) => e.type === 'tool' && e.output?.error);
    expect(failed.output.error.code).toBe(code);
  });
});
