// Hostile input at the runtime's HTTP edge (docs/runtime.md, "Limits at the edge"), over real
// HTTP against an in-process RuntimeServer: a catastrophic regex in targeting, oversized and deeply
// nested attributes, __proto__ and constructor keys, and slow clients. Each case once froze or
// could freeze a replica; the assertion is that it is answered (or cut) and others are served.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ATTRIBUTE_LIMITS } from '../../core/attribute-limits.js';
import { snapshotFromDir } from '../../reconciler/load/snapshot.js';
import { RuntimeServer } from '../../runtime/server/server.js';
import { staticSource } from '../helpers/runtime.js';

const SPECS = `kind: Experiment
name: vip-banner
status: running
unit: user_id
targeting:
  email: { $regex: "^(a+)+$" }
variants:
  - { key: control, weight: 1, value: { banner: false } }
  - { key: shown, weight: 1, value: { banner: true } }
---
kind: Experiment
name: pro-only
status: running
unit: user_id
targeting: { plan: pro }
variants:
  - { key: control, weight: 1, value: { x: 0 } }
  - { key: treatment, weight: 1, value: { x: 1 } }
---
kind: Prompt
name: hello
template: "Hello {{name}}"
variables: { name: { type: string } }
`;

interface Answer {
  status: number;
  json: Record<string, unknown>;
  ms: number;
}

async function call(url: string, init?: RequestInit): Promise<Answer> {
  const t = performance.now();
  const res = await fetch(url, init);
  return { status: res.status, json: (await res.json()) as Record<string, unknown>, ms: performance.now() - t };
}

const post = (url: string, body: unknown) => call(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });

/** Resolve with what the server sent and whether it closed the socket, after at most waitMs. */
function trickle(port: number, chunks: string[], everyMs: number, waitMs: number): Promise<{ received: string; closedAfterMs: number | null }> {
  return new Promise((resolve) => {
    const started = performance.now();
    let received = '';
    let closedAfterMs: number | null = null;
    const socket: Socket = connect(port, '127.0.0.1');
    socket.on('data', (d) => (received += d.toString()));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      closedAfterMs = performance.now() - started;
      clearInterval(timer);
      resolve({ received, closedAfterMs });
    });
    let i = 0;
    const timer = setInterval(() => {
      if (i < chunks.length && !socket.destroyed) socket.write(chunks[i++]!);
    }, everyMs);
    setTimeout(() => {
      clearInterval(timer);
      socket.destroy();
      if (closedAfterMs === null) resolve({ received, closedAfterMs: null });
    }, waitMs);
  });
}

describe('the runtime edge under hostile input', () => {
  let dir: string;
  let server: RuntimeServer;
  let url: string;
  let port: number;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'labctl-edge-'));
    mkdirSync(join(dir, 'experiments'));
    writeFileSync(join(dir, 'experiments', 'edge.yaml'), SPECS);
    const current = await snapshotFromDir(dir);
    server = new RuntimeServer({ source: staticSource(current), timeouts: { headersMs: 500, requestMs: 1000 } });
    port = await server.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    await server?.shutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a catastrophic targeting regex answers at once, and other requests are served meanwhile', async () => {
    // The case: a backtracking engine took 93 s on this 33-character email.
    const hostile = `${'a'.repeat(32)}b`;
    const started = performance.now();
    const hostileCalls = Array.from({ length: 20 }, () => call(`${url}/v1/assign/vip-banner?user_id=u1&email=${hostile}`));
    const health = await call(`${url}/healthz`);
    const answers = await Promise.all(hostileCalls);
    expect(health.status).toBe(200);
    for (const a of answers) expect(a.json).toMatchObject({ inExperiment: false, reason: 'targeting_miss' });
    expect(performance.now() - started).toBeLessThan(5000);
    // And the longest string allowed, through POST, too.
    const long = await post(`${url}/v1/assign`, { attributes: { user_id: 'u1', email: `${'a'.repeat(ATTRIBUTE_LIMITS.maxStringLength - 1)}b` }, experiments: ['vip-banner'] });
    expect(long.status).toBe(200);
    expect(long.json).toMatchObject({ assignments: { 'vip-banner': { reason: 'targeting_miss' } } });
    const match = await call(`${url}/v1/assign/vip-banner?user_id=u1&email=${'a'.repeat(40)}`);
    expect(match.json).toMatchObject({ reason: 'split' });
  });

  const deep = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
  it.each<[string, () => string, RegExp]>([
    ['a string over the limit', () => JSON.stringify({ attributes: { user_id: 'u1', email: 'x'.repeat(ATTRIBUTE_LIMITS.maxStringLength + 1) } }), /attributes\.email is 8193 characters; the limit is 8192/],
    ['a list over the limit', () => JSON.stringify({ attributes: { user_id: 'u1', tags: Array.from({ length: ATTRIBUTE_LIMITS.maxArrayLength + 1 }, (_, i) => i) } }), /attributes\.tags has 1001 elements/],
    ['nesting over the limit', () => `{"attributes":${deep(ATTRIBUTE_LIMITS.maxDepth + 1)}}`, /nested deeper than 32 levels/],
    ['100,000 levels of nesting', () => `{"attributes":${deep(100_000)}}`, /nested deeper than 32 levels/],
    ['a key over the limit', () => JSON.stringify({ attributes: { ['k'.repeat(ATTRIBUTE_LIMITS.maxStringLength + 1)]: 1 } }), /a key of attributes is 8193 characters/],
    ['too many values in all', () => JSON.stringify({ attributes: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`l${i}`, Array.from({ length: 1000 }, () => 1)])) }), /hold more than 10000 values/],
  ])('POST /v1/assign refuses %s with a 400 naming the path', async (_name, body, message) => {
    const a = await post(`${url}/v1/assign`, body());
    expect(a.status).toBe(400);
    expect(a.json).toMatchObject({ error: { code: 'attributes_too_large', message: expect.stringMatching(message) } });
    expect((a.json.error as { message: string }).message).toContain('docs/runtime.md');
  });

  it('the same limits hold for query strings, OFREP contexts and prompt renders', async () => {
    const q = await call(`${url}/v1/assign/pro-only?user_id=u1&email=${'x'.repeat(ATTRIBUTE_LIMITS.maxStringLength + 1)}`);
    expect(q.status).toBe(400);
    expect(q.json).toMatchObject({ error: { code: 'attributes_too_large', message: expect.stringMatching(/query\.email is 8193 characters/) } });
    const ofrep = await post(`${url}/ofrep/v1/evaluate/flags/pro-only`, { context: { targetingKey: 'u1', tags: Array.from({ length: 1001 }, () => 'x') } });
    expect(ofrep.status).toBe(400);
    expect(ofrep.json).toMatchObject({ key: 'pro-only', errorCode: 'INVALID_CONTEXT', errorDetails: expect.stringMatching(/context\.tags has 1001 elements/) });
    // An oversized body is 413 GENERAL on both OFREP endpoints (docs/runtime.md once said 400 for bulk).
    for (const path of ['/ofrep/v1/evaluate/flags', '/ofrep/v1/evaluate/flags/pro-only']) {
      const big = await post(`${url}${path}`, ' '.repeat(1_100_000));
      expect(big.status, path).toBe(413);
      expect(big.json).toMatchObject({ errorCode: 'GENERAL' });
    }
    const render = await post(`${url}/v1/prompts/hello/render`, { variables: { name: 'Ada' }, attributes: { user_id: 'x'.repeat(9000) } });
    expect(render.status).toBe(400);
    expect(render.json).toMatchObject({ error: { code: 'attributes_too_large' } });
  });

  it('__proto__ and constructor are attributes like any other, never the prototype', async () => {
    const plain = await call(`${url}/v1/assign/pro-only?user_id=u1&plan=pro`);
    const withProto = await call(`${url}/v1/assign/pro-only?user_id=u1&plan=pro&__proto__=a&__proto__=b&constructor=c`);
    expect(withProto.status).toBe(200);
    expect(withProto.json).toEqual(plain.json);
    // A prototype carrying the unit or a targeted attribute must not enrol anyone.
    const viaBody = await post(`${url}/v1/assign`, '{"attributes":{"__proto__":{"user_id":"u1","plan":"pro"}},"experiments":["pro-only"]}');
    expect(viaBody.status).toBe(200);
    expect(viaBody.json).toMatchObject({ assignments: { 'pro-only': { inExperiment: false } } });
    const viaQuery = await call(`${url}/v1/assign/pro-only?__proto__=x&user_id=u2`);
    expect(viaQuery.json).toMatchObject({ reason: 'targeting_miss' });
    expect(({} as Record<string, unknown>).plan).toBeUndefined();
    expect(({} as Record<string, unknown>).user_id).toBeUndefined();
  });

  it('a client that sends its headers a byte at a time is cut after the header timeout; others are served', async () => {
    const request = `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ${'y'.repeat(200)}\r\n\r\n`;
    const slow = trickle(port, [...request], 50, 5000);
    await new Promise((r) => setTimeout(r, 200));
    expect((await call(`${url}/healthz`)).status).toBe(200);
    const r = await slow;
    expect(r.closedAfterMs).not.toBeNull();
    // Headers timeout 500 ms, checked every 500 ms: cut within about a second, long before the
    // 10 s the trickle would need, and never answered.
    expect(r.closedAfterMs!).toBeLessThan(3000);
    expect(r.received).not.toContain('"status":"ok"');
  });

  it('a body that trickles in is answered 408 after the request timeout', async () => {
    const head = `POST /v1/assign HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 400\r\n\r\n`;
    const r = await trickle(port, [head, ...'{"attributes":{"user_id":"u1"'.split('')], 150, 6000);
    expect(r.closedAfterMs).not.toBeNull();
    expect(r.closedAfterMs!).toBeLessThan(4000);
    expect(r.received).toMatch(/^HTTP\/1\.1 408/);
  });
});
