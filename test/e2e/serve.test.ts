// HTTP end to end on a spawned `labctl serve` over embedded PGlite (a temp cwd after `labctl apply`):
// the contract shapes of docs/runtime.md, bad input, health and metrics, and draining on SIGTERM.
// Needs the built CLI (`npx tsc -p .`).
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assign } from '../../engine/assignment/assign.js';
import type { Snapshot } from '../../engine/assignment/snapshot.js';
import { snapshotFromDir } from '../../reconciler/load/snapshot.js';
import { MAX_BODY_BYTES } from '../../core/http.js';
import { assertFreshBuild } from '../helpers/build.js';
import { createWorkspace, waitFor, type Workspace } from '../helpers/engines.js';
import { spawnServe, type ServeProcess } from '../helpers/serve.js';

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json(): any;
}

/**
 * One request over node:http (so bodies can be chunked, oversized or absent exactly as written).
 * body: a string/Buffer sent with content-length, or a list of chunks sent chunked.
 */
function raw(base: string, method: string, path: string, opts: { body?: string | Buffer | Array<string | Buffer>; headers?: Record<string, string> } = {}): Promise<Raw> {
  const u = new URL(path, base);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...opts.headers };
    if (typeof opts.body === 'string' || Buffer.isBuffer(opts.body)) headers['content-length'] = Buffer.byteLength(opts.body);
    const req = request({ host: u.hostname, port: u.port, method, path: u.pathname + u.search, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
      });
      res.on('error', reject);
    });
    // The server may answer (413) before the whole body is sent; that is not a client failure.
    req.on('error', (e: NodeJS.ErrnoException) => (e.code === 'EPIPE' || e.code === 'ECONNRESET' ? undefined : reject(e)));
    if (Array.isArray(opts.body)) for (const c of opts.body) req.write(c);
    else if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

const STACK = /\n\s+at |\bat [\w.<>]+ \(|\.(ts|js):\d+/;

/** An error of docs/runtime.md: JSON `{"error":{"code","message"}}`, no stack trace. */
function expectError(r: Raw, status: number, code?: string): { code: string; message: string } {
  expect(r.status).toBe(status);
  expect(r.headers['content-type']).toMatch(/^application\/json/);
  expect(r.text).not.toMatch(STACK);
  const body = r.json();
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message']);
  expect(body.error.code).toEqual(expect.any(String));
  expect(body.error.message).toEqual(expect.any(String));
  if (code) expect(body.error.code).toBe(code);
  return body.error;
}

describe('labctl serve over HTTP (spawned, PGlite)', () => {
  let ws: Workspace;
  let serve: ServeProcess;
  let desired: Snapshot;
  let base: string;
  const post = (path: string, body: unknown, headers?: Record<string, string>) =>
    raw(base, 'POST', path, { body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });

  beforeAll(async () => {
    assertFreshBuild();
    ws = await createWorkspace('pglite', { applied: true });
    desired = await snapshotFromDir(ws.specs);
    serve = await spawnServe({ cwd: ws.dir, env: ws.env });
    base = serve.url;
  });
  afterAll(async () => {
    await serve?.stop('SIGKILL');
    await ws?.dispose();
  });

  it('reports where it listens and what it serves', () => {
    expect(serve.stderr()).toMatch(new RegExp(`listening on http://127\\.0\\.0\\.1:${serve.port} — revision ${desired.revision}, 3 running experiment\\(s\\), pglite`));
  });

  it('GET /v1/assign/{experiment}: query parameters are attributes; the §6 shape exactly', async () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ user_id: 'u1', country: 'NL' }, 'checkout-button'],
      [{ user_id: 'u1', country: 'US' }, 'checkout-button'],
      [{ user_id: 'qa-user-1', country: 'NL' }, 'checkout-button'],
      [{ country: 'NL' }, 'checkout-button'],
      [{ user_id: 'u1' }, 'checkout-copy'],
      [{ user_id: 'u7' }, 'checkout-copy'],
      [{ user_id: 'u1' }, 'search-ranking'],
    ];
    const reasons = new Set<string>();
    for (const [attrs, experiment] of cases) {
      const r = await raw(base, 'GET', `/v1/assign/${experiment}?${new URLSearchParams(attrs)}`);
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toMatch(/^application\/json/);
      const body = r.json();
      expect(r.headers['x-labctl-revision']).toBe(desired.revision);
      const want = assign(desired, experiment, attrs);
      expect(body).toStrictEqual({ revision: desired.revision, experiment, variant: want.variant, value: want.value, inExperiment: want.inExperiment, reason: want.reason });
      expect(Object.keys(body)).toEqual(['revision', 'experiment', 'variant', 'value', 'inExperiment', 'reason']);
      reasons.add(body.reason);
    }
    expect([...reasons].sort()).toEqual(expect.arrayContaining(['missing_unit', 'override', 'targeting_miss']));
    // The engine's answers are what docs/assignment.md says for these units.
    expect((await raw(base, 'GET', '/v1/assign/checkout-button?user_id=qa-user-1&country=NL')).json()).toMatchObject({ variant: 'green', value: { color: 'green' }, inExperiment: false, reason: 'override' });
    expect((await raw(base, 'GET', '/v1/assign/checkout-button?country=NL')).json()).toMatchObject({ variant: 'control', value: { color: 'blue' }, inExperiment: false, reason: 'missing_unit' });
  });

  it('POST /v1/assign: the listed experiments, or every running one without "experiments"', async () => {
    const attributes = { user_id: 'u1', country: 'NL' };
    const all = await post('/v1/assign', { attributes });
    expect(all.status).toBe(200);
    expect(all.headers['x-labctl-revision']).toBe(desired.revision);
    const body = all.json();
    expect(Object.keys(body)).toEqual(['revision', 'assignments']);
    expect(body.revision).toBe(desired.revision);
    expect(Object.keys(body.assignments)).toEqual(desired.running.map((e) => e.name));
    expect(Object.keys(body.assignments)).toEqual(['checkout-button', 'checkout-copy', 'search-ranking']);
    for (const [name, a] of Object.entries(body.assignments as Record<string, unknown>)) {
      const want = assign(desired, name, attributes);
      expect(a).toStrictEqual({ variant: want.variant, value: want.value, inExperiment: want.inExperiment, reason: want.reason });
    }

    const some = (await post('/v1/assign', { attributes: { user_id: 'u7' }, experiments: ['checkout-copy', 'no-such-experiment'] })).json();
    expect(Object.keys(some.assignments)).toEqual(['checkout-copy', 'no-such-experiment']);
    const want = assign(desired, 'checkout-copy', { user_id: 'u7' });
    expect(some.assignments['checkout-copy']).toStrictEqual({ variant: want.variant, value: want.value, inExperiment: want.inExperiment, reason: want.reason });
    expect(some.assignments['no-such-experiment']).toStrictEqual({ variant: null, value: null, inExperiment: false, reason: 'unknown_experiment' });

    // "attributes" may be left out (then nothing identifies a unit); "log" is optional.
    const none = (await post('/v1/assign', { experiments: ['checkout-copy'], log: false })).json();
    expect(none.assignments['checkout-copy']).toMatchObject({ inExperiment: false, reason: 'missing_unit', variant: 'control' });
    expect((await post('/v1/assign', { attributes, experiments: [] })).json()).toStrictEqual({ revision: desired.revision, assignments: {} });
  });

  it('rejects bad input with 4xx JSON errors naming the problem, never a stack trace', async () => {
    const noBody = await raw(base, 'POST', '/v1/assign');
    expectError(noBody, 400);
    expectError(await raw(base, 'POST', '/v1/assign', { body: '' }), 400);
    expectError(await post('/v1/assign', '{"attributes": {"user_id": "u1"'), 400);
    expectError(await post('/v1/assign', 'not json at all'), 400);
    expectError(await post('/v1/assign', '[1, 2]'), 400);
    expectError(await post('/v1/assign', 'null'), 400);

    for (const [body, field] of [
      [{ attributes: 'user_id=u1' }, 'attributes'],
      [{ attributes: ['u1'] }, 'attributes'],
      [{ attributes: 42 }, 'attributes'],
      [{ attributes: { user_id: 'u1' }, experiments: 'checkout-copy' }, 'experiments'],
      [{ attributes: { user_id: 'u1' }, experiments: { 'checkout-copy': true } }, 'experiments'],
      [{ attributes: { user_id: 'u1' }, experiments: ['checkout-copy', 7] }, 'experiments'],
      [{ attributes: { user_id: 'u1' }, log: 'false' }, 'log'],
      [{ attributes: { user_id: 'u1' }, log: 0 }, 'log'],
    ] as const) {
      const err = expectError(await post('/v1/assign', body), 400);
      expect(err.message).toContain(`"${field}"`);
    }

    // Over 1 MiB: declared by content-length, and streamed chunked without one.
    const big = JSON.stringify({ attributes: { user_id: 'u1', pad: 'x'.repeat(MAX_BODY_BYTES) } });
    expectError(await post('/v1/assign', big), 413);
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    expectError(await raw(base, 'POST', '/v1/assign', { body: ['{"attributes":{}', ...Array.from({ length: 20 }, () => chunk), '}'], headers: { 'content-type': 'application/json' } }), 413);
    // Just under the limit is fine (in strings within the attribute limits of docs/runtime.md).
    const pad: Record<string, string> = { user_id: 'u1' };
    for (let i = 0; JSON.stringify({ attributes: pad }).length + 4110 <= MAX_BODY_BYTES - 100; i++) pad[`p${i}`] = 'x'.repeat(4096);
    pad.last = 'x'.repeat(MAX_BODY_BYTES - 100 - JSON.stringify({ attributes: { ...pad, last: '' } }).length);
    const fits = JSON.stringify({ attributes: pad });
    expect(fits.length).toBe(MAX_BODY_BYTES - 100);
    expect((await post('/v1/assign', fits)).status).toBe(200);

    const unknown = await raw(base, 'GET', '/v1/assign/no-such-experiment?user_id=u1');
    expect(expectError(unknown, 404, 'unknown_experiment').message).toContain('no-such-experiment');
    expect(unknown.headers['x-labctl-revision']).toBe(desired.revision);
    expectError(await raw(base, 'GET', '/v1/assign/'), 404);
    // A malformed escape in the path is bad input, not a server error.
    expectError(await raw(base, 'GET', '/v1/assign/%E0%A4%A?user_id=u1'), 400);

    for (const path of ['/', '/v1', '/v1/assignments', '/v2/assign/checkout-copy', '/healthz/x']) expectError(await raw(base, 'GET', path), 404, 'not_found');

    for (const [method, path, allowed] of [
      ['GET', '/v1/assign', 'POST'],
      ['PUT', '/v1/assign', 'POST'],
      ['POST', '/v1/assign/checkout-copy', 'GET'],
      ['DELETE', '/v1/assign/checkout-copy', 'GET'],
      ['GET', '/ofrep/v1/evaluate/flags', 'POST'],
      ['GET', '/ofrep/v1/evaluate/flags/checkout-copy', 'POST'],
    ] as const) {
      const r = await raw(base, method, path);
      expectError(r, 405, 'method_not_allowed');
      expect(r.headers.allow).toBe(allowed);
    }
  });

  it('GET /healthz, /readyz and /metrics', async () => {
    const health = await raw(base, 'GET', '/healthz');
    expect(health.status).toBe(200);
    expect(health.json()).toEqual({ status: 'ok' });

    const ready = await raw(base, 'GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', revision: desired.revision, snapshotAgeSeconds: expect.any(Number), lastError: null });

    const count = async (route: string, status: number) => {
      const text = (await raw(base, 'GET', '/metrics')).text;
      const m = new RegExp(`^labctl_http_requests_total\\{route="${route}",status="${status}"\\} (\\d+)$`, 'm').exec(text);
      return m ? Number(m[1]) : 0;
    };
    const before = await count('assign_get', 200);
    for (let i = 0; i < 3; i++) await raw(base, 'GET', `/v1/assign/checkout-copy?user_id=m${i}`);
    expect(await count('assign_get', 200)).toBe(before + 3);

    const metrics = await raw(base, 'GET', '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = metrics.text;
    for (const line of [
      '# TYPE labctl_http_requests_total counter',
      '# TYPE labctl_http_request_duration_seconds histogram',
      'labctl_snapshot_degraded 0',
      'labctl_snapshot_experiments{state="running"} 3',
      'labctl_snapshot_experiments{state="all"} 3',
      'labctl_exposures_dropped_total 0',
    ]) {
      expect(text).toContain(line);
    }
    expect(text).toMatch(/^labctl_http_request_duration_seconds_count\{route="assign_get"\} \d+$/m);
    expect(text).toMatch(/^labctl_http_requests_total\{route="assign_post",status="400"\} \d+$/m);
    expect(text).toMatch(/^labctl_http_requests_total\{route="not_found",status="404"\} \d+$/m);
    expect(text).toMatch(/^labctl_snapshot_age_seconds [\d.e+-]+$/m);
    expect(text).toMatch(/^labctl_exposures_buffered \d+$/m);
    expect(text).toMatch(/^labctl_exposures_written_total \d+$/m);
    // Every sample line parses as Prometheus text.
    for (const l of text.split('\n').filter((x) => x && !x.startsWith('#'))) expect(l).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? ([-+]?[\d.eE+-]+|NaN|[+-]Inf)$/);
  });

  it('on SIGTERM stops accepting, lets in-flight requests finish, and exits 0', async () => {
    // Requests in flight: headers and half a body sent, the rest held back until after SIGTERM.
    const units = ['drain-1', 'drain-2', 'drain-3'];
    const inFlight = units.map((unit) => {
      const body = Buffer.from(JSON.stringify({ attributes: { user_id: unit, country: 'NL' }, experiments: ['checkout-button', 'checkout-copy'] }));
      const u = new URL(base);
      let req!: ReturnType<typeof request>;
      const answered = new Promise<Raw>((resolve, reject) => {
        req = request({ host: u.hostname, port: u.port, method: 'POST', path: '/v1/assign', agent: false, headers: { 'content-type': 'application/json', 'content-length': body.length } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
          });
        });
        req.on('error', reject);
      });
      req.flushHeaders();
      req.write(body.subarray(0, 10));
      return { unit, finish: () => req.end(body.subarray(10)), answered };
    });
    // A full round trip on another connection after the partial ones: the server has read their headers.
    expect((await raw(base, 'GET', '/healthz')).status).toBe(200);

    serve.child.kill('SIGTERM');
    await waitFor(() => serve.stderr().includes('SIGTERM, draining'), 'serve to start draining', 10_000);
    // New connections are refused once draining began.
    await waitFor(
      () =>
        raw(base, 'GET', '/healthz').then(
          () => false,
          (e: NodeJS.ErrnoException) => e.code === 'ECONNREFUSED',
        ),
      'new connections to be refused',
      5000,
    );
    expect(serve.child.exitCode).toBeNull();

    for (const f of inFlight) f.finish();
    for (const f of inFlight) {
      const r = await f.answered;
      expect(r.status).toBe(200);
      const body = r.json();
      expect(body.revision).toBe(desired.revision);
      for (const name of ['checkout-button', 'checkout-copy']) {
        const want = assign(desired, name, { user_id: f.unit, country: 'NL' });
        expect(body.assignments[name]).toStrictEqual({ variant: want.variant, value: want.value, inExperiment: want.inExperiment, reason: want.reason });
      }
    }
    expect(await serve.exited).toEqual({ code: 0, signal: null });
    expect(serve.stderr()).not.toMatch(STACK);
    expect(serve.stdout()).toBe('');
  });
});
