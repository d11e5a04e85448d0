// "Database stopped → still serving": a spawned `labctl serve` reaches PostgreSQL through a TCP proxy
// that the test cuts (every connection destroyed, nothing listening) and later restores on the same
// port. The shared server itself keeps running for the other test files.
// Needs the built CLI (`npx tsc -p .`).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { assign } from '../../engine/assignment/assign.js';
import { snapshotFromDir } from '../../reconciler/load/snapshot.js';
import { assertFreshBuild } from '../helpers/build.js';
import { createWorkspace, waitFor, type Workspace } from '../helpers/engines.js';
import { requirePostgres } from '../helpers/postgres.js';
import { spawnServe, type ServeProcess } from '../helpers/serve.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

const PG = await requirePostgres();
if (PG) assertFreshBuild();

interface Ready {
  status: 'ready' | 'degraded';
  revision: string;
  snapshotAgeSeconds: number;
  lastError: string | null;
}

async function readyz(r: ServeProcess): Promise<Ready> {
  const res = await fetch(`${r.url}/readyz`);
  expect(res.status).toBe(200);
  return (await res.json()) as Ready;
}

/** The value of one unlabelled metric in the Prometheus text of /metrics. */
async function metric(r: ServeProcess, name: string): Promise<number> {
  const text = await (await fetch(`${r.url}/metrics`)).text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  if (!m) throw new Error(`metric ${name} missing from /metrics:\n${text}`);
  return Number(m[1]);
}

interface Served {
  revision: string;
  variant: string;
  value: { label: string };
  inExperiment: boolean;
  reason: string;
}

async function assignCopy(r: ServeProcess, unit: string): Promise<Served> {
  const res = await fetch(`${r.url}/v1/assign/checkout-copy?user_id=${encodeURIComponent(unit)}`);
  expect(res.status).toBe(200);
  return (await res.json()) as Served;
}

describe('runtime while PostgreSQL is unreachable', () => {
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

  it.skipIf(!PG)('keeps serving the last revision, reports degraded, reconnects, catches up and writes the buffered exposures', async () => {
    ws = await createWorkspace('postgres', { applied: true });
    const w = ws;
    const front = await TcpProxy.inFrontOf(w.url!);
    proxy = front.proxy;
    serve = await spawnServe({ cwd: w.dir, env: { DATABASE_URL: front.url } });
    const r = serve;

    const healthy = await readyz(r);
    expect(healthy).toMatchObject({ status: 'ready', lastError: null });
    const r1 = healthy.revision;
    expect(await metric(r, 'labctl_snapshot_degraded')).toBe(0);
    const before = await assignCopy(r, 'u1');
    expect(before.revision).toBe(r1);

    // Cut the database off.
    await proxy.stop();
    const down = await waitFor(async () => {
      const h = await readyz(r);
      return h.status === 'degraded' ? h : undefined;
    }, 'readyz to report degraded', 10_000);
    expect(down.revision).toBe(r1);
    expect(down.lastError).toEqual(expect.any(String));
    const later = await waitFor(async () => {
      const h = await readyz(r);
      return h.snapshotAgeSeconds > down.snapshotAgeSeconds ? h : undefined;
    }, 'snapshotAgeSeconds to grow', 10_000);
    expect(later).toMatchObject({ status: 'degraded', revision: r1 });
    expect(await metric(r, 'labctl_snapshot_degraded')).toBe(1);
    // /readyz rounds to 0.1 s (possibly up); the gauge is exact.
    expect(await metric(r, 'labctl_snapshot_age_seconds')).toBeGreaterThanOrEqual(later.snapshotAgeSeconds - 0.05);
    expect(r.stderr()).toContain('database unreachable, serving the last snapshot');

    // Assignments keep coming from the last snapshot, and enrolled ones are buffered as exposures.
    const desired = await snapshotFromDir(w.specs);
    expect(desired.revision).toBe(r1);
    const units = Array.from({ length: 60 }, (_, i) => `outage-${i}`);
    const enrolled: Array<{ unit: string; variant: string }> = [];
    for (const unit of units) {
      const got = await assignCopy(r, unit);
      const want = assign(desired, 'checkout-copy', { user_id: unit });
      expect(got).toEqual({ revision: r1, experiment: 'checkout-copy', variant: want.variant, value: want.value, inExperiment: want.inExperiment, reason: want.reason });
      if (got.inExperiment) enrolled.push({ unit, variant: got.variant });
    }
    expect(enrolled.length).toBeGreaterThan(5);
    expect(await metric(r, 'labctl_exposures_buffered')).toBe(enrolled.length);
    expect(await metric(r, 'labctl_exposures_written_total')).toBe(0);
    expect(await w.sql('SELECT * FROM labctl.exposures')).toEqual([]);

    // A change applied straight to the database during the outage; the replica cannot know yet.
    const file = join(w.specs, 'checkout.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('value: { label: Continue }', 'value: { label: Continue now }'));
    const applied = await w.cli(['apply']);
    expect(applied.code).toBe(0);
    const r2 = /Revision ([0-9a-f]{12})/.exec(applied.stdout)?.[1];
    expect(r2).toBeDefined();
    expect(r2).not.toBe(r1);
    expect((await assignCopy(r, 'u1')).revision).toBe(r1);
    expect((await readyz(r)).status).toBe('degraded');

    // Restore the database on the same port: the runtime reconnects with backoff and catches up.
    const restoredAt = Date.now();
    await proxy.start();
    const after = await waitFor(async () => {
      const a = await assignCopy(r, 'u1');
      return a.revision === r2 ? a : undefined;
    }, `the replica to serve ${r2} after the database came back`, 30_000);
    console.info(`outage: caught up with revision ${r2} ${Date.now() - restoredAt} ms after the database came back`);
    expect(after).toMatchObject({ variant: 'control', value: { label: 'Continue now' }, reason: 'layer_miss' });
    await waitFor(async () => (await readyz(r)).status === 'ready', 'readyz to report ready', 10_000);
    const recovered = await readyz(r);
    expect(recovered).toMatchObject({ status: 'ready', revision: r2, lastError: null });
    // Confirmed against the database again: at most one poll interval (5 s) old.
    expect(recovered.snapshotAgeSeconds).toBeLessThan(6);
    expect(await metric(r, 'labctl_snapshot_degraded')).toBe(0);

    // The exposures buffered during the outage are written once the database is back.
    const rows = await waitFor(async () => {
      const got = await w.sql<{ experiment: string; phase: number; unit: string; variant: string; revision: string }>(
        'SELECT experiment, phase, unit, variant, revision FROM labctl.exposures ORDER BY unit',
      );
      return got.length >= enrolled.length ? got : undefined;
    }, 'the buffered exposures to be written', 20_000);
    expect(rows).toEqual(
      enrolled
        .map(({ unit, variant }) => ({ experiment: 'checkout-copy', phase: 1, unit, variant, revision: r1 }))
        .sort((a, b) => (a.unit < b.unit ? -1 : a.unit > b.unit ? 1 : 0)),
    );
    await waitFor(async () => (await metric(r, 'labctl_exposures_buffered')) === 0, 'the exposure buffer to drain', 5000);
    expect(await metric(r, 'labctl_exposures_written_total')).toBe(enrolled.length);
    expect(await metric(r, 'labctl_exposures_dropped_total')).toBe(0);

    expect(await r.stop()).toEqual({ code: 0, signal: null });
    expect(r.stderr()).not.toMatch(/\n\s+at /);
  }, 60_000);
  it.skipIf(!PG)('a silent outage (nothing refused, nothing answered) is reported as degraded, and the runtime catches up once it heals', async () => {
    ws = await createWorkspace('postgres', { applied: true });
    const w = ws;
    const front = await TcpProxy.inFrontOf(w.url!);
    proxy = front.proxy;
    serve = await spawnServe({ cwd: w.dir, env: { DATABASE_URL: front.url } });
    const r = serve;
    const r1 = (await readyz(r)).revision;

    // A partition: connections stay open, queries and new connections get no answer.
    proxy.freeze();
    const frozenAt = Date.now();
    const down = await waitFor(async () => {
      const h = await readyz(r);
      return h.status === 'degraded' ? h : undefined;
    }, 'readyz to report degraded during a silent outage', 25_000);
    console.info(`silent outage: degraded after ${Date.now() - frozenAt} ms`);
    expect(down).toMatchObject({ revision: r1, lastError: expect.any(String) });
    expect(await metric(r, 'labctl_snapshot_degraded')).toBe(1);
    const served = await assignCopy(r, 'u1');
    expect(served).toMatchObject({ revision: r1, variant: 'control', reason: 'layer_miss' });

    // Applied meanwhile, straight to the database.
    const file = join(w.specs, 'checkout.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('value: { label: Continue }', 'value: { label: Continue later }'));
    const applied = await w.cli(['apply']);
    expect(applied.code).toBe(0);
    const r2 = /Revision ([0-9a-f]{12})/.exec(applied.stdout)?.[1];
    expect(r2).toBeDefined();

    const healedAt = Date.now();
    proxy.thaw();
    await waitFor(async () => (await assignCopy(r, 'u1')).revision === r2, `the replica to serve ${r2} after the partition healed`, 30_000);
    console.info(`silent outage: caught up ${Date.now() - healedAt} ms after it healed`);
    await waitFor(async () => (await readyz(r)).status === 'ready', 'readyz to report ready', 10_000);
    expect(await metric(r, 'labctl_snapshot_degraded')).toBe(0);
    expect(await r.stop()).toEqual({ code: 0, signal: null });
  }, 60_000);
});
