// POST /v1/events while PostgreSQL is unreachable: a spawned `labctl serve` reaches the database
// through a TCP proxy that the test cuts and restores (the shared server keeps running). The
// answer is a quick 503 with Retry-After, never a hang; clients that resend each batch with the
// same ids until it is answered 200 lose nothing and store nothing twice.
// Needs the built CLI (`npx tsc -p .`).
import { afterEach, describe, expect, it } from 'vitest';
import { assertFreshBuild } from '../helpers/build.js';
import { createWorkspace, waitFor, type Workspace } from '../helpers/engines.js';
import { requirePostgres } from '../helpers/postgres.js';
import { spawnServe, type ServeProcess } from '../helpers/serve.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

const PG = await requirePostgres();
if (PG) assertFreshBuild();

const TOKEN = 'outage-token';

interface Answer {
  status: number;
  retryAfter: string | null;
  json: Record<string, unknown>;
  ms: number;
}

async function post(url: string, events: unknown[]): Promise<Answer> {
  const started = performance.now();
  const res = await fetch(`${url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: JSON.stringify({ events }) });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), json: (await res.json()) as Record<string, unknown>, ms: performance.now() - started };
}

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  if (!m) throw new Error(`metric ${name} missing from /metrics`);
  return Number(m[1]);
}

const ev = (id: string) => ({ id, event: 'checkout_completed', attributes: { user_id: `u-${id}` }, value: 1 });

describe('POST /v1/events while PostgreSQL is unreachable', () => {
  let ws: Workspace | undefined;
  let proxy: TcpProxy | undefined;
  let serve: ServeProcess | undefined;
  afterEach(async () => {
    proxy?.thaw();
    await serve?.stop();
    await proxy?.stop();
    await ws?.dispose();
    serve = proxy = ws = undefined;
  });

  async function start(): Promise<{ w: Workspace; p: TcpProxy; r: ServeProcess }> {
    ws = await createWorkspace('postgres', { state: 'migrated', samples: false });
    const front = await TcpProxy.inFrontOf(ws.url!);
    proxy = front.proxy;
    serve = await spawnServe({ cwd: ws.dir, env: { DATABASE_URL: front.url, LABCTL_INGEST_TOKEN: TOKEN } });
    return { w: ws, p: proxy, r: serve };
  }

  it.skipIf(!PG)('answers 503 with Retry-After at once when cut; clients retrying the same ids store every event exactly once', async () => {
    const { w, p, r } = await start();
    expect((await post(r.url, [ev('warm-1')])).json).toEqual({ accepted: 1, duplicates: 0, rejected: [] });

    // Cut: a quick 503, nothing stored.
    await p.stop();
    const down = await post(r.url, [ev('down-1')]);
    expect(down.status).toBe(503);
    expect(down.json).toMatchObject({ error: { code: 'database_unavailable' } });
    expect(Number(down.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(down.retryAfter)).toBeLessThanOrEqual(5);
    expect(down.ms).toBeLessThan(6000);
    await p.start();
    await waitFor(async () => (await post(r.url, [ev('warm-2')])).status === 200, 'the runtime to reach the database again');

    // Three clients, 12 batches of 100 each; batches overlap across clients (the same ids sent by
    // two of them) and repeat ids within themselves. The proxy is cut while they run.
    const clients = 3;
    const batches = 12;
    const sent = new Set<string>();
    let total = 0;
    const plan: string[][][] = [];
    for (let c = 0; c < clients; c++) {
      plan.push([]);
      for (let b = 0; b < batches; b++) {
        const ids = Array.from({ length: 100 }, (_, i) => `b${b}-e${(i + c * 40) % 180}`);
        ids.push(ids[0]!);
        plan[c]!.push(ids);
        for (const id of ids) sent.add(id);
        total += ids.length;
      }
    }
    const answers: Array<{ accepted: number; duplicates: number }> = [];
    let refused = 0;
    const badRetryAfter: Array<string | null> = [];
    let done = 0;
    const client = async (c: number) => {
      for (const ids of plan[c]!) {
        for (;;) {
          const a = await post(r.url, ids.map(ev)).catch(() => undefined);
          if (a?.status === 200) {
            answers.push(a.json as { accepted: number; duplicates: number });
            break;
          }
          if (a) {
            expect(a.status).toBe(503);
            refused++;
            if (!(Number(a.retryAfter) >= 1 && Number(a.retryAfter) <= 5)) badRetryAfter.push(a.retryAfter);
          }
          // Honour Retry-After scaled down (a tenth) to keep the test short.
          await new Promise((res) => setTimeout(res, 100 * Number(a?.retryAfter ?? 1)));
        }
        done++;
        await new Promise((res) => setTimeout(res, 40));
      }
    };
    const running = Promise.all(Array.from({ length: clients }, (_, c) => client(c)));
    await waitFor(() => done >= 4, 'a few batches before the cut');
    await p.stop();
    await waitFor(() => refused >= 3, 'clients to be refused while cut', 15_000);
    const duringCut = done;
    await new Promise((res) => setTimeout(res, 1500));
    expect(done).toBe(duringCut);
    await p.start();
    await running;

    expect(badRetryAfter).toEqual([]);
    expect(answers).toHaveLength(clients * batches);
    expect(answers.reduce((n, a) => n + a.accepted + a.duplicates, 0)).toBe(total);
    const accepted = answers.reduce((n, a) => n + a.accepted, 0);
    // A batch may commit while its answer is lost in the cut; its retry then counts duplicates.
    expect(accepted).toBeLessThanOrEqual(sent.size);
    expect(accepted).toBeGreaterThan(sent.size - 200);
    const rows = await w.sql<{ id: string; n: number }>("SELECT id, count(*)::int AS n FROM labctl.events WHERE id LIKE 'b%' GROUP BY id");
    expect(rows.filter((x) => x.n !== 1)).toEqual([]);
    expect(new Set(rows.map((x) => x.id))).toEqual(sent);
    expect(await w.sql("SELECT id FROM labctl.events WHERE id = 'down-1'")).toEqual([]);

    expect(await metric(r.url, 'labctl_events_unavailable_total')).toBeGreaterThanOrEqual(refused + 1);
    expect(r.stderr()).toContain('events: database unavailable, answering 503');
    expect(r.stderr()).toContain('events: database reachable again');
    expect(r.stderr()).not.toContain('error: POST /v1/events');
  }, 90_000);

  it.skipIf(!PG)('a silent partition (nothing refused, nothing answered) is a 503 within the timeout, and the batch is never doubled', async () => {
    const { w, p, r } = await start();
    const batch = Array.from({ length: 20 }, (_, i) => ev(`frozen-${i}`));
    expect((await post(r.url, [ev('warm-1')])).status).toBe(200);
    p.freeze();
    const frozen = await post(r.url, batch);
    expect(frozen.status).toBe(503);
    expect(frozen.json).toMatchObject({ error: { code: 'database_unavailable' } });
    expect(frozen.ms).toBeLessThan(12_000);
    p.thaw();
    // The held statement may commit once the partition heals: the retry then finds duplicates.
    const retried = await waitFor(async () => {
      const a = await post(r.url, batch);
      return a.status === 200 ? a : undefined;
    }, 'the retry to succeed', 20_000);
    expect((retried.json.accepted as number) + (retried.json.duplicates as number)).toBe(batch.length);
    expect(await w.sql("SELECT count(*)::int AS n, count(DISTINCT id)::int AS d FROM labctl.events WHERE id LIKE 'frozen-%'")).toEqual([{ n: 20, d: 20 }]);
  }, 60_000);
});
