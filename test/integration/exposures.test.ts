// First exposures in labctl.exposures: deduplicated across two runtime replicas on one PostgreSQL
// database, nothing for log=false or for units that are not enrolled, a bounded buffer that never
// blocks while the database is unreachable, and new rows after a phase bump.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import type { Queryable } from '../../core/db.js';
import { openDatabase } from '../../adapters/db/index.js';
import { assign } from '../../engine/assignment/assign.js';
import type { Snapshot } from '../../engine/assignment/snapshot.js';
import { ExposureWriter } from '../../runtime/exposures/writer.js';
import { LiveSnapshot } from '../../runtime/live/live.js';
import { snapshotFromDir } from '../../reconciler/load/snapshot.js';
import { RuntimeServer } from '../../runtime/server/server.js';
import { createWorkspace, waitFor, type Workspace } from '../helpers/engines.js';
import { requirePostgres } from '../helpers/postgres.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { currentProcess } from '../../cli/host.js';

const PG = await requirePostgres();

/** One runtime replica: its own connection pool, live snapshot, exposure writer and HTTP server. */
interface Replica {
  live: LiveSnapshot;
  writer: ExposureWriter;
  server: RuntimeServer;
  url: string;
  close(): Promise<void>;
}

async function startReplica(databaseUrl: string): Promise<Replica> {
  const live = await LiveSnapshot.open({ databaseUrl, cwd: process.cwd(), host: currentProcess() });
  // A long flush interval: the test flushes explicitly, so what is written is decided by the test.
  const writer = new ExposureWriter(live.db, { flushMs: 60_000 });
  const server = new RuntimeServer({ source: live, exposures: writer });
  const port = await server.listen(0, '127.0.0.1');
  return {
    live,
    writer,
    server,
    url: `http://127.0.0.1:${port}`,
    async close() {
      await server.shutdown();
      await writer.close();
      await live.close();
    },
  };
}

interface Row {
  experiment: string;
  phase: number;
  unit: string;
  variant: string;
  revision: string;
}

const byKey = (a: Row, b: Row) => (a.experiment + '\0' + a.phase + '\0' + a.unit < b.experiment + '\0' + b.phase + '\0' + b.unit ? -1 : 1);

async function exposures(w: Workspace): Promise<Row[]> {
  const rows = await w.sql<Row>('SELECT experiment, phase, unit, variant, revision FROM labctl.exposures');
  return rows.sort(byKey);
}

async function getJson(url: string): Promise<Record<string, unknown>> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

async function postJson(url: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

/** The rows a set of units should leave: one per enrolled (experiment, unit), with the assigned variant. */
function expectedRows(snap: Snapshot, experiments: string[], units: string[], attributes: Record<string, string>, phase: number): Row[] {
  const rows: Row[] = [];
  for (const experiment of experiments) {
    for (const unit of units) {
      const a = assign(snap, experiment, { ...attributes, user_id: unit });
      if (a.inExperiment) rows.push({ experiment, phase, unit, variant: a.variant!, revision: snap.revision });
    }
  }
  return rows.sort(byKey);
}

describe('exposures on PostgreSQL', () => {
  let ws: Workspace | undefined;
  const replicas: Replica[] = [];
  afterEach(async () => {
    await Promise.all(replicas.splice(0).map((r) => r.close()));
    await ws?.dispose();
    ws = undefined;
  });

  async function setup(): Promise<[Workspace, Replica, Replica]> {
    ws = await createWorkspace('postgres', { applied: true });
    const [a, b] = await Promise.all([startReplica(ws.url!), startReplica(ws.url!)]);
    replicas.push(a!, b!);
    return [ws, a!, b!];
  }

  it.skipIf(!PG)('two replicas asked for the same units write exactly one row per (experiment, phase, unit), with the assigned variant', async () => {
    const [w, a, b] = await setup();
    const desired = await snapshotFromDir(w.specs);
    expect(a.live.current.revision).toBe(desired.revision);
    const units = Array.from({ length: 150 }, (_, i) => `unit-${i}`);
    const experiments = ['checkout-button', 'checkout-copy'];
    const attrs = { country: 'NL' };

    // Replica A by GET in one order, replica B by POST in the opposite order, each unit asked twice.
    for (let round = 0; round < 2; round++) {
      await Promise.all([
        (async () => {
          for (const unit of units) {
            for (const e of experiments) {
              const got = await getJson(`${a.url}/v1/assign/${e}?user_id=${unit}&country=NL`);
              const want = assign(desired, e, { user_id: unit, ...attrs });
              expect(got).toEqual({ revision: desired.revision, experiment: e, variant: want.variant, value: want.value, inExperiment: want.inExperiment, reason: want.reason });
            }
          }
        })(),
        (async () => {
          for (const unit of [...units].reverse()) {
            const got = await postJson(`${b.url}/v1/assign`, { attributes: { user_id: unit, ...attrs }, experiments });
            expect(Object.keys(got.assignments as object)).toEqual(experiments);
          }
        })(),
      ]);
    }
    const want = expectedRows(desired, experiments, units, attrs, 1);
    expect(want.length).toBeGreaterThan(60);
    // Each replica remembers what it already recorded: the second round added nothing.
    expect(a.writer.stats.buffered).toBe(want.length);
    expect(b.writer.stats.buffered).toBe(want.length);

    // Both replicas write the same keys at the same time, in opposite orders.
    await Promise.all([a.writer.flush(), b.writer.flush()]);
    expect(a.writer.stats).toMatchObject({ buffered: 0, dropped: 0, failures: 0 });
    expect(b.writer.stats).toMatchObject({ buffered: 0, dropped: 0, failures: 0 });
    expect(await exposures(w)).toEqual(want);

    // Asking again (both replicas, more units) only adds the new units.
    const more = Array.from({ length: 20 }, (_, i) => `late-${i}`);
    for (const unit of [...units.slice(0, 50), ...more]) {
      await postJson(`${a.url}/v1/assign`, { attributes: { user_id: unit, ...attrs } });
      await getJson(`${b.url}/v1/assign/checkout-copy?user_id=${unit}&country=NL`);
    }
    await Promise.all([a.writer.flush(), b.writer.flush()]);
    // Without "experiments" every running experiment is evaluated; search-ranking only enrols inside its schedule.
    const all = desired.running.map((e) => e.name);
    const expected = [...want, ...expectedRows(desired, all, [...units.slice(0, 50), ...more], attrs, 1)];
    const unique = new Map(expected.map((r) => [`${r.experiment}\0${r.unit}`, r]));
    const rows = await exposures(w);
    expect(rows).toEqual([...unique.values()].sort(byKey));
    const firsts = await w.sql<{ n: number }>('SELECT count(DISTINCT (experiment, phase, unit))::int AS n FROM labctl.exposures');
    expect(firsts[0]!.n).toBe(rows.length);
  }, 60_000);

  it.skipIf(!PG)('writers of two replicas flushing overlapping keys at once, in opposite orders, never deadlock', async () => {
    ws = await createWorkspace('postgres', { applied: true });
    const w = ws;
    const dbs = await Promise.all([0, 1].map(() => openDatabase({ databaseUrl: w.url, cwd: w.dir, applicationName: 'labctl test', host: currentProcess() })));
    try {
      const [a, b] = dbs.map((db) => new ExposureWriter(db, { batchSize: 5000, flushMs: 60_000 })) as [ExposureWriter, ExposureWriter];
      const units = Array.from({ length: 3000 }, (_, i) => `dl-${i}`);
      for (let phase = 1; phase <= 4; phase++) {
        const e = (unit: string) => ({ experiment: 'checkout-copy', phase, unit, variant: 'control', revision: 'r', at: Date.now() });
        for (const u of units) a.record(e(u));
        for (const u of [...units].reverse()) b.record(e(u));
        await Promise.all([a.flush(), b.flush()]);
        expect(a.stats).toMatchObject({ failures: 0, buffered: 0 });
        expect(b.stats).toMatchObject({ failures: 0, buffered: 0 });
      }
      const n = await w.sql<{ n: number }>('SELECT count(*)::int AS n FROM labctl.exposures');
      expect(n[0]!.n).toBe(units.length * 4);
    } finally {
      await Promise.all(dbs.map((db) => db.close()));
    }
  }, 60_000);

  it.skipIf(!PG)('records nothing for log=false, "log": false, or units that are not enrolled', async () => {
    const [w, a, b] = await setup();
    const desired = await snapshotFromDir(w.specs);
    const units = Array.from({ length: 100 }, (_, i) => `quiet-${i}`);
    for (const unit of units) {
      const got = await getJson(`${a.url}/v1/assign/checkout-copy?user_id=${unit}&log=false`);
      // "log" is not an attribute: the answer is the one without it.
      expect(got.variant).toBe(assign(desired, 'checkout-copy', { user_id: unit }).variant);
      await getJson(`${b.url}/v1/assign/checkout-copy?user_id=${unit}&log=0`);
      await postJson(`${a.url}/v1/assign`, { attributes: { user_id: unit, country: 'NL' }, log: false });
      await postJson(`${b.url}/v1/assign`, { attributes: { user_id: unit, country: 'NL' }, experiments: ['checkout-button'], log: false });
    }
    expect(units.some((u) => assign(desired, 'checkout-copy', { user_id: u }).inExperiment)).toBe(true);

    // Not enrolled: targeting miss, override, missing unit, unknown experiment.
    const notEnrolled: Array<{ body: Record<string, unknown>; reason: string }> = [
      { body: { attributes: { user_id: 'quiet-1', country: 'US' }, experiments: ['checkout-button'] }, reason: 'targeting_miss' },
      { body: { attributes: { user_id: 'qa-user-1', country: 'NL' }, experiments: ['checkout-button'] }, reason: 'override' },
      { body: { attributes: { country: 'NL' }, experiments: ['checkout-button'] }, reason: 'missing_unit' },
      { body: { attributes: { user_id: 'quiet-1' }, experiments: ['no-such-experiment'] }, reason: 'unknown_experiment' },
    ];
    for (const { body, reason } of notEnrolled) {
      const got = await postJson(`${a.url}/v1/assign`, body);
      const [only] = Object.values(got.assignments as Record<string, { inExperiment: boolean; reason: string }>);
      expect(only).toMatchObject({ inExperiment: false, reason });
    }
    const layerMisses = units.filter((u) => assign(desired, 'checkout-copy', { user_id: u }).reason === 'layer_miss');
    expect(layerMisses.length).toBeGreaterThan(0);
    for (const unit of layerMisses) await getJson(`${b.url}/v1/assign/checkout-copy?user_id=${unit}`);

    await Promise.all([a.writer.flush(), b.writer.flush()]);
    expect(a.writer.stats).toMatchObject({ written: 0, buffered: 0, dropped: 0 });
    expect(b.writer.stats).toMatchObject({ written: 0, buffered: 0, dropped: 0 });
    expect(await exposures(w)).toEqual([]);
  }, 60_000);

  it.skipIf(!PG)('a phase bump starts new rows; the earlier phase keeps its own', async () => {
    const [w, a, b] = await setup();
    const first = await snapshotFromDir(w.specs);
    const units = Array.from({ length: 120 }, (_, i) => `phase-${i}`);
    for (const unit of units) await getJson(`${a.url}/v1/assign/checkout-button?user_id=${unit}&country=BE`);
    await a.writer.flush();
    const phase1 = expectedRows(first, ['checkout-button'], units, { country: 'BE' }, 1);
    expect(await exposures(w)).toEqual(phase1);

    // Move units (weights 50/50 → 20/80), acknowledged by phase: 2.
    const file = join(w.specs, 'checkout.yaml');
    const text = readFileSync(file, 'utf8');
    const next = text
      .replace('name: checkout-button\n', 'name: checkout-button\nphase: 2\n')
      .replace('    weight: 50\n    value: { color: blue }', '    weight: 20\n    value: { color: blue }')
      .replace('    weight: 50\n    value: { color: green }', '    weight: 80\n    value: { color: green }');
    expect(next).not.toBe(text);
    writeFileSync(file, next);
    const applied = await w.cli(['apply']);
    expect(applied.stderr).not.toMatch(/error/i);
    expect(applied.code).toBe(0);
    const second = await snapshotFromDir(w.specs);
    await waitFor(() => a.live.current.revision === second.revision && b.live.current.revision === second.revision, 'both replicas to load the phase bump', 10_000);
    expect(a.live.current.experiments.get('checkout-button')!.phase).toBe(2);

    for (const unit of units) await getJson(`${b.url}/v1/assign/checkout-button?user_id=${unit}&country=BE`);
    for (const unit of units) await getJson(`${a.url}/v1/assign/checkout-button?user_id=${unit}&country=BE`);
    await Promise.all([a.writer.flush(), b.writer.flush()]);
    const phase2 = expectedRows(second, ['checkout-button'], units, { country: 'BE' }, 2);
    expect(phase2.length).toBeGreaterThan(0);
    // Some units changed variant between the phases, and each phase records its own variant.
    const moved = phase2.filter((r) => phase1.some((p) => p.unit === r.unit && p.variant !== r.variant));
    expect(moved.length).toBeGreaterThan(0);
    expect(await exposures(w)).toEqual([...phase1, ...phase2].sort(byKey));
  }, 60_000);
});

describe('exposure buffer while the database is unreachable', () => {
  let proxy: TcpProxy | undefined;
  let pool: pg.Pool | undefined;
  afterEach(async () => {
    await proxy?.stop();
    await pool?.end();
    proxy = pool = undefined;
  });

  it('record() returns at once, keeps at most maxBuffer rows and counts the drops', async () => {
    // A port that refuses connections: a proxy that listened once and stopped.
    proxy = new TcpProxy('127.0.0.1', 9);
    const port = await proxy.start();
    await proxy.stop();
    pool = new pg.Pool({ connectionString: `postgres://postgres@127.0.0.1:${port}/none`, connectionTimeoutMillis: 2000 });
    pool.on('error', () => undefined);
    const p = pool;
    const db: Queryable = {
      query: async <R>(sql: string, params?: unknown[]) => (await p.query(sql, params)).rows as R[],
      exec: async (sql: string) => void (await p.query(sql)),
    };
    const writer = new ExposureWriter(db, { maxBuffer: 10, batchSize: 5, flushMs: 1 });

    const started = performance.now();
    for (let i = 0; i < 10_000; i++) writer.record({ experiment: 'checkout-copy', phase: 1, unit: `u${i}`, variant: 'control', revision: 'r', at: Date.now() });
    const elapsed = performance.now() - started;
    console.info(`10,000 record() calls on an unreachable database: ${elapsed.toFixed(1)} ms`);
    expect(elapsed).toBeLessThan(200);
    expect(writer.stats).toMatchObject({ buffered: 10, dropped: 9990, written: 0 });

    // Flushing fails and keeps the rows; repeats of a buffered unit are not drops.
    await writer.flush();
    expect(writer.stats.failures).toBeGreaterThanOrEqual(1);
    writer.record({ experiment: 'checkout-copy', phase: 1, unit: 'u0', variant: 'control', revision: 'r', at: Date.now() });
    expect(writer.stats).toMatchObject({ buffered: 10, dropped: 9990, written: 0 });
    const closing = performance.now();
    await writer.close(500);
    expect(performance.now() - closing).toBeLessThan(2500);
    // Closed: record() is a no-op.
    writer.record({ experiment: 'checkout-copy', phase: 1, unit: 'after-close', variant: 'control', revision: 'r', at: Date.now() });
    expect(writer.stats.dropped).toBe(9990);
  }, 60_000);
});
