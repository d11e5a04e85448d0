// The whole loop on both engines: apply an experiment and its metrics, assign units over HTTP
// (exposures recorded), send events with a known true lift through POST /v1/events, then read the
// result from GET /v1/experiments/{name}/results, `labctl report`, `labctl status` and `labctl plan`.
import mt19937 from '@stdlib/random-base-mt19937';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExperimentResult } from '../../engine/results/types.js';
import { createWorkspace, engines, type Workspace } from '../helpers/engines.js';
import { withRuntime } from '../helpers/runtime.js';

/** Seeded uniform draws in [0, 1) from MT19937's 32-bit integers. */
function uniform(seed: number): () => number {
  const next = mt19937.factory({ seed });
  return () => next() / 4294967296;
}

const SPECS = `kind: Metric
name: checkout
type: conversion
event: checkout_completed
window: 7d
---
kind: Metric
name: page-errors
type: count
event: page_error
direction: decrease
---
kind: Experiment
name: button
status: running
unit: user_id
variants:
  - { key: control, weight: 1, value: { color: blue } }
  - { key: green, weight: 1, value: { color: green } }
metrics: { primary: [checkout], guardrails: [page-errors] }
decision: { minUnits: 1000, maxDuration: 28d }
`;

const UNITS = 6000;
const RATE = { control: 0.1, green: 0.13 } as const;
const TRUE_LIFT = RATE.green / RATE.control - 1;

interface Sent {
  events: Array<Record<string, unknown>>;
}

async function post(url: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

for (const engine of await engines()) {
  describe.skipIf(!engine.available)(`events to results on ${engine.name}`, () => {
    let ws: Workspace;
    let route: ExperimentResult;
    const counts = { control: 0, green: 0 };
    let duplicateAnswer: Record<string, unknown> = {};
    beforeAll(async () => {
      ws = await createWorkspace(engine.name, { samples: false });
      ws.write('experiments/button.yaml', SPECS);
      const applied = await ws.cli(['apply']);
      expect(applied.code, applied.stderr).toBe(0);
      await ws.withDb((db) =>
        withRuntime(db, async ({ url, exposures }) => {
          const rand = uniform(42);
          const batch: Sent = { events: [] };
          const flush = async () => {
            const r = await post(`${url}/v1/events`, batch);
            expect(r.status).toBe(200);
            expect(r.json).toMatchObject({ accepted: batch.events.length, duplicates: 0, rejected: [] });
            duplicateAnswer = (await post(`${url}/v1/events`, batch)).json;
            batch.events = [];
          };
          for (let i = 0; i < UNITS; i++) {
            const a = (await (await fetch(`${url}/v1/assign/button?user_id=u${i}`)).json()) as { variant: 'control' | 'green'; inExperiment: boolean };
            expect(a.inExperiment).toBe(true);
            counts[a.variant]++;
            if (rand() < RATE[a.variant]) batch.events.push({ id: `c-${i}`, event: 'checkout_completed', attributes: { user_id: `u${i}` } });
            if (rand() < 0.05) batch.events.push({ id: `e-${i}`, event: 'page_error', attributes: { user_id: `u${i}` } });
            if (batch.events.length >= 500) await flush();
          }
          if (batch.events.length) await flush();
          await exposures.flush();
          const res = await fetch(`${url}/v1/experiments/button/results`);
          expect(res.status).toBe(200);
          route = (await res.json()) as ExperimentResult;
          const missing = await fetch(`${url}/v1/experiments/nope/results`);
          expect(missing.status).toBe(404);
        }),
      );
    }, 240_000);
    afterAll(async () => ws?.dispose());

    it('counts every exposed unit once, per variant, with no sample ratio mismatch', () => {
      expect(route.units).toBe(UNITS);
      expect(route.variants.map((v) => [v.key, v.units])).toEqual([['control', counts.control], ['green', counts.green]]);
      expect(route.srm.ok).toBe(true);
    });

    it('a batch sent twice is stored once: all duplicates the second time', () => {
      expect(duplicateAnswer).toMatchObject({ accepted: 0, rejected: [] });
      expect(duplicateAnswer.duplicates).toBeGreaterThan(0);
    });

    it('finds the true lift inside the interval and ships the better variant', () => {
      const m = route.metrics.find((x) => x.name === 'checkout')!;
      const g = m.results[0]!;
      expect(g.relative.ci[0]!).toBeLessThan(TRUE_LIFT);
      expect(g.relative.ci[1]!).toBeGreaterThan(TRUE_LIFT);
      expect(g.better).toBe(true);
      expect(route.metrics.find((x) => x.name === 'page-errors')!.results[0]!.worse).toBe(false);
      expect(route.decision).toMatchObject({ status: 'ship', variant: 'green' });
    });

    it('labctl report prints the same result (json, text, markdown)', async () => {
      const json = await ws.cli(['report', 'button', '--format', 'json']);
      expect(json.code, json.stderr).toBe(0);
      const r = JSON.parse(json.stdout) as ExperimentResult;
      expect({ ...r, computed_at: '' }).toEqual({ ...route, computed_at: '' });
      const text = await ws.cli(['report', 'button']);
      expect(text.stdout.split('\n')[1]).toBe(route.summary);
      expect(text.stdout).toMatch(/Decision: ship green/);
      const md = await ws.cli(['report', 'button', '--format', 'markdown']);
      expect(md.stdout).toMatch(/\| checkout \| primary \| green \|/);
      const unknown = await ws.cli(['report', 'buton']);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toMatch(/experiment "buton" is not applied/);
      expect(unknown.stderr).toMatch(/did you mean "button"/);
    });

    it('status and plan show the decision; status --detailed-exitcode exits 2', async () => {
      const status = await ws.cli(['status', '--detailed-exitcode']);
      expect(status.code, status.stderr).toBe(2);
      expect(status.stdout).toMatch(/Experiment button: ready to ship green/);
      const plan = await ws.cli(['plan']);
      expect(plan.code, plan.stderr).toBe(0);
      expect(plan.stdout).toMatch(/Experiment button: ready to ship green/);
      const stored = await ws.sql<{ decision: string; variant: string; units: string }>("SELECT decision, variant, units::text FROM labctl.results WHERE experiment = 'button'");
      expect(stored).toEqual([{ decision: 'ship', variant: 'green', units: String(UNITS) }]);
    });
  });
}
