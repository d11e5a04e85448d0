// LabctlClient.track() against the runtime of `labctl serve` (startRuntime, in-process, a real HTTP
// server) over a real database on both engines: batches of at most 500 counted on the server's
// /metrics, the flush interval, flush() resolving only after the commit, rejected events reported
// and not resent, the bounded queue, the ingest token; and on PostgreSQL an outage (a TCP proxy in
// front of the database cut, then restored) through which every event is stored exactly once.
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../adapters/db/index.js';
import { startRuntime, type Runtime } from '../../cli/commands/serve.js';
import { currentProcess } from '../../cli/host.js';
import { LabctlClient, LabctlError, type LabctlClientOptions, type TrackFailure, type TrackRejection } from '../../runtime/client/index.js';
import { createWorkspace, engines, waitFor, type EngineName, type Workspace } from '../helpers/engines.js';
import { requirePostgres } from '../helpers/postgres.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

const ENGINES = await engines();
const PG = await requirePostgres();

interface Setup {
  ws: Workspace;
  db: Database;
  runtime: Runtime;
  url: string;
  log: () => string;
}

const open: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of open.splice(0).reverse()) await close();
});

/** A workspace with the samples applied, and the runtime `labctl serve` starts, on a database reached at databaseUrl (default: the workspace's). */
async function setup(engine: EngineName, env: Record<string, string> = {}, databaseUrl?: (ws: Workspace) => Promise<string>): Promise<Setup> {
  const ws = await createWorkspace(engine, { state: 'applied' });
  open.push(() => ws.dispose());
  const url = databaseUrl ? await databaseUrl(ws) : ws.url;
  const db = await openDatabase({ databaseUrl: url, cwd: ws.dir, applicationName: 'labctl test', host: currentProcess() });
  open.push(() => db.close());
  const stderr = new PassThrough();
  let log = '';
  stderr.on('data', (d: Buffer) => (log += d.toString()));
  const runtime = await startRuntime({ stdout: new PassThrough(), stderr, env: { ...env }, cwd: ws.dir }, db, 0, '127.0.0.1');
  open.push(() => runtime.stop());
  return { ws, db, runtime, url: `http://127.0.0.1:${runtime.port}`, log: () => log };
}

function client(s: Setup, opts: Partial<LabctlClientOptions> = {}): LabctlClient {
  const c = new LabctlClient({ baseUrl: s.url, ...opts });
  open.push(() => c.close());
  return c;
}

/** POST /v1/events answers the server counted, by status (labctl_http_requests_total). */
async function served(s: Setup): Promise<Record<string, number>> {
  const text = await (await fetch(`${s.url}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^labctl_http_requests_total\{([^}]*)\} (\S+)$/gm)) {
    const labels = Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    if (labels.route === 'events') out[labels.status!] = Number(m[2]);
  }
  return out;
}

async function count(db: Database): Promise<number> {
  const [r] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM labctl.events');
  return r!.n;
}

const ev = (i: number, extra: Record<string, unknown> = {}) => ({ id: `e-${i}`, event: 'checkout_completed', attributes: { user_id: `u${i}` }, value: i, ...extra });

describe.each(ENGINES)('LabctlClient.track ($name)', ({ name, available }) => {
  it.skipIf(!available)('sends ceil(N/500) requests: full batches at once, the rest on flush(), which resolves after the commit', async () => {
    const s = await setup(name);
    const c = client(s, { flushIntervalMs: 600_000 });
    for (let i = 0; i < 1000; i++) expect(c.track(ev(i))).toBe(`e-${i}`);
    // Two full batches go without a flush and without the (10-minute) timer.
    await waitFor(async () => (await count(s.db)) === 1000, 'two full batches to be stored');
    for (let i = 1000; i < 1234; i++) c.track(ev(i));
    await new Promise((r) => setTimeout(r, 300));
    expect(await count(s.db)).toBe(1000);
    expect(c.stats.queued).toBe(234);
    await c.flush();
    // No waiting: flush() resolved after the runtime answered, which it does only after the commit.
    expect(await count(s.db)).toBe(1234);
    expect(c.stats).toMatchObject({ queued: 0, accepted: 1234, duplicates: 0, rejected: 0, dropped: 0, failed: 0, requests: 3, retries: 0, lastError: null });
    expect(await served(s)).toEqual({ '200': 3 });
    const [row] = await s.db.query<{ attributes: unknown; value: number; ts: Date }>("SELECT attributes, value, ts FROM labctl.events WHERE id = 'e-7'");
    expect(row).toMatchObject({ attributes: { user_id: 'u7' }, value: 7 });
    // Stamped when track() was called, not when the batch left.
    expect(Date.now() - new Date(row!.ts).getTime()).toBeLessThan(30_000);
    // A flush with nothing queued resolves at once, sending nothing.
    await c.flush();
    expect(c.stats.requests).toBe(3);
  });

  it.skipIf(!available)('sends a partial batch after flushIntervalMs, and smaller batches with batchSize', async () => {
    const s = await setup(name);
    const c = client(s, { flushIntervalMs: 150, batchSize: 2 });
    const t0 = Date.now();
    for (let i = 0; i < 5; i++) c.track(ev(i));
    await waitFor(async () => (await count(s.db)) === 5, 'the timer to send the last event');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    expect(c.stats.requests).toBe(3);
    expect(await served(s)).toEqual({ '200': 3 });
  });

  it.skipIf(!available)('reports rejected events through onRejected, never resends them, stores the rest; resending the same ids stores nothing', async () => {
    const s = await setup(name);
    const rejected: TrackRejection[] = [];
    const c = client(s, { onRejected: (r) => rejected.push(...r) });
    c.track(ev(1));
    c.track(ev(2, { value: 'lots' as unknown as number }));
    c.track(ev(3, { timestamp: '2999-01-01T00:00:00Z' }));
    c.track(ev(4, { timestamp: new Date('2026-11-30T12:00:00Z'), properties: { currency: 'EUR' } }));
    // JSON.stringify would send NaN as null, which the runtime takes for "no value".
    c.track(ev(5, { value: NaN }));
    await c.flush();
    expect(rejected.map((r) => [r.event.id, r.code])).toEqual([
      ['e-2', 'invalid_value'],
      ['e-3', 'future_timestamp'],
      ['e-5', 'invalid_value'],
    ]);
    expect(rejected[0]!.event).toMatchObject({ event: 'checkout_completed', attributes: { user_id: 'u2' }, value: 'lots' });
    expect(c.stats).toMatchObject({ accepted: 2, rejected: 3, requests: 1, retries: 0 });
    const rows = await s.db.query<{ id: string; ts: Date; properties: unknown }>('SELECT id, ts, properties FROM labctl.events ORDER BY id');
    expect(rows.map((r) => [r.id, r.properties])).toEqual([
      ['e-1', null],
      ['e-4', { currency: 'EUR' }],
    ]);
    expect(new Date(rows[1]!.ts).toISOString()).toBe('2026-11-30T12:00:00.000Z');

    // Another client sending the same ids (an application restarted mid-flush): all duplicates.
    const again = client(s);
    again.track(ev(1));
    again.track(ev(4, { timestamp: '2026-11-30T12:00:00Z' }));
    await again.flush();
    expect(again.stats).toMatchObject({ accepted: 0, duplicates: 2 });
    expect(await count(s.db)).toBe(2);
  });

  it.skipIf(!available)('refuses new events when the queue is full, counting them, and keeps what it holds', async () => {
    const s = await setup(name);
    const c = client(s, { maxQueue: 10, flushIntervalMs: 600_000 });
    const ids = Array.from({ length: 15 }, (_, i) => c.track(ev(i)));
    expect(ids.slice(0, 10)).toEqual(Array.from({ length: 10 }, (_, i) => `e-${i}`));
    expect(ids.slice(10)).toEqual([null, null, null, null, null]);
    expect(c.stats).toMatchObject({ queued: 10, dropped: 5 });
    await c.close();
    expect(await count(s.db)).toBe(10);
    expect(() => c.track(ev(99))).toThrow(/closed/);
    // Ids are random UUIDs when the application gives none.
    const d = client(s);
    const id = d.track({ event: 'signup', attributes: { user_id: 'u1' } });
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    await d.flush();
    expect(await s.db.query('SELECT event FROM labctl.events WHERE id = $1', [id])).toEqual([{ event: 'signup' }]);
  });

  it.skipIf(!available)('with LABCTL_INGEST_TOKEN: a wrong token is a 401 reported through onError, not retried; the right one is stored', async () => {
    const s = await setup(name, { LABCTL_INGEST_TOKEN: 's3cret' });
    const failures: TrackFailure[] = [];
    const wrong = client(s, { token: 'guess', onError: (f) => failures.push(f) });
    for (let i = 0; i < 3; i++) wrong.track(ev(i));
    await wrong.flush();
    expect(failures).toHaveLength(1);
    const err = failures[0]!.error;
    expect(err).toBeInstanceOf(LabctlError);
    expect(err).toMatchObject({ status: 401, code: 'unauthorized' });
    expect(failures[0]!.events.map((e) => e.id)).toEqual(['e-0', 'e-1', 'e-2']);
    expect(wrong.stats).toMatchObject({ failed: 3, accepted: 0, requests: 1, retries: 0 });
    expect(wrong.stats.lastError).toMatch(/token/);
    expect(await count(s.db)).toBe(0);

    const right = client(s, { token: 's3cret', onError: (f) => failures.push(f) });
    for (let i = 0; i < 3; i++) right.track(ev(i));
    await right.flush();
    expect(right.stats).toMatchObject({ accepted: 3, failed: 0 });
    expect(failures).toHaveLength(1);
    expect(await served(s)).toEqual({ '200': 1, '401': 1 });
  });
});

describe('LabctlClient.track through a database outage (postgres)', () => {
  let proxy: TcpProxy | undefined;
  afterEach(async () => {
    await proxy?.stop();
    proxy = undefined;
  });

  it.skipIf(!PG)('resends the same ids while the runtime answers 503, no sooner than Retry-After, and stores every event exactly once', async () => {
    const s = await setup('postgres', {}, async (ws) => {
      const front = await TcpProxy.inFrontOf(ws.url!);
      proxy = front.proxy;
      return front.url;
    });
    // Checked on a connection of its own, not through the proxy.
    const direct = await openDatabase({ databaseUrl: s.ws.url, cwd: s.ws.dir, applicationName: 'labctl test', host: currentProcess() });
    open.push(() => direct.close());
    const answers: Array<{ at: number; status: number | 'error'; retryAfter: string | null; ids: string[] }> = [];
    const failures: TrackFailure[] = [];
    const c = client(s, {
      batchSize: 100,
      retry: { initialMs: 50, maxMs: 500 },
      onError: (f) => failures.push(f),
      // Watches what the real fetch sends and gets.
      fetch: async (input, init) => {
        const ids = (JSON.parse(String(init?.body)) as { events: Array<{ id: string }> }).events.map((e) => e.id);
        try {
          const res = await fetch(input, init);
          answers.push({ at: Date.now(), status: res.status, retryAfter: res.headers.get('retry-after'), ids });
          return res;
        } catch (e) {
          answers.push({ at: Date.now(), status: 'error', retryAfter: null, ids });
          throw e;
        }
      },
    });
    for (let i = 0; i < 150; i++) c.track(ev(i));
    await c.flush();
    expect(await count(direct)).toBe(150);

    await proxy!.stop();
    for (let i = 150; i < 450; i++) c.track(ev(i));
    const flushed = c.flush();
    await waitFor(() => answers.filter((a) => a.status === 503).length >= 2, 'two 503 answers during the outage', 20_000);
    expect(await count(direct)).toBe(150);
    await proxy!.start();
    await flushed;

    const rows = await direct.query<{ id: string }>('SELECT id FROM labctl.events');
    expect(rows).toHaveLength(450);
    expect(new Set(rows.map((r) => r.id)).size).toBe(450);
    const ids = await direct.query<{ n: number }>('SELECT count(*)::int AS n FROM labctl.event_ids');
    expect(ids[0]!.n).toBe(450);
    expect(failures).toEqual([]);
    expect(c.stats).toMatchObject({ queued: 0, accepted: 450, failed: 0, rejected: 0 });
    expect(c.stats.retries).toBeGreaterThanOrEqual(2);

    // Each 503 carried Retry-After; the same batch went again, no sooner than it asked.
    const unavailable = answers.filter((a) => a.status === 503);
    for (const a of unavailable) {
      expect(a.retryAfter).toMatch(/^\d+$/);
      const next = answers[answers.indexOf(a) + 1];
      expect(next!.ids).toEqual(a.ids);
      expect(next!.at - a.at).toBeGreaterThanOrEqual(Number(a.retryAfter) * 1000 - 20);
    }
    // Batches of 100 in order: 150 → two, then 300 → three, each answered 200 once in the end.
    const ok = answers.filter((a) => a.status === 200).map((a) => [a.ids[0], a.ids.length]);
    expect(ok).toEqual([
      ['e-0', 100],
      ['e-100', 50],
      ['e-150', 100],
      ['e-250', 100],
      ['e-350', 100],
    ]);
    expect(s.log()).toContain('events: database unavailable, answering 503');
  });
});
