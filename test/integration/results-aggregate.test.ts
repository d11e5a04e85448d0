// The SQL aggregate behind every result, checked against a reference computed in TypeScript from
// the same simulated exposures and events: per component (windows, pre-periods, properties, caps
// by value and by percentile) and per product, on PostgreSQL and on PGlite.
import mt19937 from '@stdlib/random-base-mt19937';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../core/types.js';
import { aggregateExperiment } from '../../adapters/results/aggregate.js';
import { insertEvents } from '../../adapters/events/store.js';
import type { ValidEvent } from '../../engine/events/types.js';
import { planMetrics, type Component, type MetricPlan } from '../../engine/results/metric-plan.js';
import { createWorkspace, engines, type Workspace } from '../helpers/engines.js';

/** Seeded uniform draws in [0, 1) from MT19937's 32-bit integers. */
function uniform(seed: number): () => number {
  const next = mt19937.factory({ seed });
  return () => next() / 4294967296;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.parse('2026-11-20T00:00:00Z');
const UNTIL = new Date(T0 + 20 * DAY);

const METRICS = new Map<string, JsonObject>([
  ['converted-2d', { type: 'conversion', event: 'checkout', window: '2d' }],
  ['errors', { type: 'count', event: 'page_error' }],
  ['revenue-capped', { type: 'sum', event: 'checkout', cap: { value: 50 } }],
  ['amount', { type: 'sum', event: 'checkout', property: 'amount', window: '7d' }],
  ['order-value', { type: 'mean', event: 'checkout' }],
  ['visits', { type: 'count', event: 'visit', cap: { percentile: 0.9 } }],
  ['revenue-per-visit', { type: 'ratio', numerator: 'revenue-capped', denominator: 'visits' }],
]);

interface Unit {
  unit: string;
  variant: string;
  t0: number;
}

/** Exposures and events with a fixed seed: events before, inside and after windows, and for units never exposed. */
function simulate(seed: number): { units: Unit[]; events: ValidEvent[] } {
  const rand = uniform(seed);
  const units: Unit[] = [];
  const events: ValidEvent[] = [];
  let id = 0;
  const ev = (unit: string, event: string, ts: number, value: number | null, properties: JsonObject | null) =>
    events.push({ id: `e${id++}`, event, attributes: { user_id: unit, country: 'NL' }, value, ts, properties });
  for (let i = 0; i < 400; i++) {
    const unit = `u${i}`;
    const t0 = T0 + Math.floor(rand() * 5 * DAY);
    units.push({ unit, variant: rand() < 0.5 ? 'control' : 'green', t0 });
    const n = Math.floor(rand() * 6);
    for (let k = 0; k < n; k++) {
      // From 4 days before to 12 days after the first exposure.
      const ts = t0 + Math.floor((rand() * 16 - 4) * DAY);
      const r = rand();
      if (r < 0.4) ev(unit, 'checkout', ts, Math.round(rand() * 10000) / 100, rand() < 0.8 ? { amount: Math.round(rand() * 500) / 10 } : { amount: 'n/a' });
      else if (r < 0.7) ev(unit, 'visit', ts, null, null);
      else ev(unit, 'page_error', ts, null, null);
    }
  }
  // Events of units that were never exposed, and of an unrelated event name: both must be ignored.
  for (let i = 0; i < 50; i++) ev(`stranger${i}`, 'checkout', T0 + DAY, 10, null);
  for (let i = 0; i < 50; i++) ev('u1', 'unrelated', T0 + DAY, 10, null);
  return { units, events };
}

/** The value of one component for one unit, as the SQL defines it. */
function componentValue(c: Component, u: Unit, events: readonly ValidEvent[]): number {
  const mine = events.filter((e) => e.attributes.user_id === u.unit && e.event === c.event && e.ts <= UNTIL.getTime()).filter((e) => {
    if (c.period === 'post') return e.ts >= u.t0 && (c.windowSeconds === null || e.ts < u.t0 + c.windowSeconds * 1000);
    return e.ts < u.t0 && e.ts >= u.t0 - (c.windowSeconds ?? 0) * 1000;
  });
  switch (c.source.kind) {
    case 'exists':
      return mine.length > 0 ? 1 : 0;
    case 'count':
      return mine.length;
    case 'value':
      return mine.reduce((a, e) => a + (e.value ?? 0), 0);
    case 'property': {
      const name = c.source.name;
      return mine.reduce((a, e) => a + (typeof e.properties?.[name] === 'number' ? (e.properties[name] as number) : 0), 0);
    }
  }
}

/** percentile_cont: linear interpolation between the closest ranks. */
function percentileCont(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  const pos = p * (s.length - 1);
  const lo = Math.floor(pos);
  return s[lo]! + (s[Math.min(lo + 1, s.length - 1)]! - s[lo]!) * (pos - lo);
}

function reference(plan: MetricPlan, units: Unit[], events: ValidEvent[]): Map<string, { units: number; sums: Record<string, number> }> {
  const raw = units.map((u) => ({ u, v: Object.fromEntries(plan.components.map((c) => [c.id, componentValue(c, u, events)])) as Record<string, number> }));
  const caps: Record<string, number> = {};
  for (const c of plan.components) {
    if (c.cap && 'percentile' in c.cap) caps[c.id] = percentileCont(raw.map((r) => r.v[c.id]!).filter((x) => x > 0), c.cap.percentile);
  }
  const out = new Map<string, { units: number; sums: Record<string, number> }>();
  for (const { u, v } of raw) {
    for (const c of plan.components) {
      if (c.cap && 'value' in c.cap) v[c.id] = Math.min(v[c.id]!, c.cap.value);
      const k = caps[c.id] ?? (c.capOf ? caps[c.capOf] : undefined);
      if (k !== undefined) v[c.id] = Math.min(v[c.id]!, k);
    }
    const agg = out.get(u.variant) ?? { units: 0, sums: {} };
    agg.units++;
    const add = (key: string, x: number) => (agg.sums[key] = (agg.sums[key] ?? 0) + x);
    for (const c of plan.components) {
      add(`s_${c.id}`, v[c.id]!);
      add(`q_${c.id}`, v[c.id]! ** 2);
    }
    for (const [a, b] of plan.products) add(`p_${a}_${b}`, v[a]! * v[b]!);
    out.set(u.variant, agg);
  }
  return out;
}

const ALL = [...METRICS.keys()].filter((n) => n !== 'revenue-capped').map((name) => ({ name, role: 'primary' as const }));

for (const engine of await engines()) {
  describe.skipIf(!engine.available)(`results aggregate on ${engine.name}`, () => {
    let ws: Workspace;
    const { units, events } = simulate(7);
    beforeAll(async () => {
      ws = await createWorkspace(engine.name, { state: 'migrated', samples: false });
      await ws.withDb(async (db) => {
        for (const u of units) {
          await db.query('INSERT INTO labctl.exposures (experiment, phase, unit, variant, revision, first_exposed_at) VALUES ($1, 1, $2, $3, $4, $5)', ['exp', u.unit, u.variant, 'r1', new Date(u.t0).toISOString()]);
        }
        // A later phase's exposure must not count.
        await db.query("INSERT INTO labctl.exposures VALUES ('exp', 2, 'u1', 'green', 'r2', $1)", [new Date(T0).toISOString()]);
        for (let i = 0; i < events.length; i += 500) await insertEvents(db, events.slice(i, i + 500));
      });
    }, 120_000);
    afterAll(async () => ws?.dispose());

    for (const cuped of [false, true]) {
      it(`matches the reference sums for every component${cuped ? ' with CUPED pre-periods' : ''}`, async () => {
        const plan = planMetrics(ALL, METRICS, { cuped, cupedLookbackSeconds: 3 * 86400 });
        expect(plan.components.length).toBeGreaterThanOrEqual(cuped ? 10 : 6);
        const agg = await ws.withDb((db) => aggregateExperiment(db, { experiment: 'exp', phase: 1, unit: 'user_id', plan, until: UNTIL }));
        const want = reference(plan, units, events);
        expect([...agg.variants.keys()].sort()).toEqual(['control', 'green']);
        for (const [variant, w] of want) {
          const got = agg.variants.get(variant)!;
          expect(got.units).toBe(w.units);
          for (const [k, x] of Object.entries(w.sums)) expect(got.sums[k], `${variant} ${k}`).toBeCloseTo(x, 6);
        }
        expect(agg.startedAt?.getTime()).toBe(Math.min(...units.map((u) => u.t0)));
      });
    }

    it('counts only what happened until the given time', async () => {
      const plan = planMetrics([{ name: 'errors', role: 'primary' }], METRICS, { cuped: false, cupedLookbackSeconds: 0 });
      const early = new Date(T0 + 2 * DAY);
      const agg = await ws.withDb((db) => aggregateExperiment(db, { experiment: 'exp', phase: 1, unit: 'user_id', plan, until: early }));
      const exposed = units.filter((u) => u.t0 <= early.getTime());
      const total = [...agg.variants.values()].reduce((a, v) => a + v.units, 0);
      expect(total).toBe(exposed.length);
      const errors = events.filter((e) => e.event === 'page_error' && e.ts <= early.getTime() && exposed.some((u) => u.unit === e.attributes.user_id && e.ts >= u.t0)).length;
      expect([...agg.variants.values()].reduce((a, v) => a + v.sums.s_c0!, 0)).toBe(errors);
    });
  });
}
