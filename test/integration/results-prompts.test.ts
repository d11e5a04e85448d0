// Prompt experiments feed the same analysis: a render with `experiment` records the unit's first
// exposure, events sent with the same attributes count towards that variant, and the report
// shows them, on both engines.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExperimentResult } from '../../engine/results/types.js';
import { createWorkspace, engines, type Workspace } from '../helpers/engines.js';
import { withRuntime } from '../helpers/runtime.js';

const SPECS = `kind: Prompt
name: greeting-warm
template: "Hello {{name}}, how can I help?"
variables: { name: { type: string } }
---
kind: Prompt
name: greeting-short
template: "Hi {{name}}."
variables: { name: { type: string } }
---
kind: Metric
name: resolved
type: conversion
event: conversation_resolved
---
kind: Experiment
name: greeting-test
status: running
unit: user_id
variants:
  - { key: warm, weight: 1, value: { prompt: greeting-warm } }
  - { key: short, weight: 1, value: { prompt: greeting-short } }
metrics: { primary: [resolved] }
`;

for (const engine of await engines()) {
  describe.skipIf(!engine.available)(`prompt renders to results on ${engine.name}`, () => {
    let ws: Workspace;
    const rendered = { warm: 0, short: 0 };
    const resolved = { warm: 0, short: 0 };
    beforeAll(async () => {
      ws = await createWorkspace(engine.name, { samples: false });
      ws.write('prompts/greeting.yaml', SPECS);
      const applied = await ws.cli(['apply']);
      expect(applied.code, applied.stderr).toBe(0);
      await ws.withDb((db) =>
        withRuntime(db, async ({ url, exposures }) => {
          const events: Array<Record<string, unknown>> = [];
          for (let i = 0; i < 400; i++) {
            const attributes = { user_id: `p${i}` };
            const res = await fetch(`${url}/v1/prompts/greeting-warm/render`, { method: 'POST', body: JSON.stringify({ variables: { name: 'Ada' }, experiment: 'greeting-test', attributes }) });
            const body = (await res.json()) as { text: string; assignment: { variant: 'warm' | 'short' } };
            expect(res.status).toBe(200);
            const v = body.assignment.variant;
            expect(body.text).toBe(v === 'warm' ? 'Hello Ada, how can I help?' : 'Hi Ada.');
            rendered[v]++;
            // Every third conversation of the short variant is resolved, every second of the warm one.
            if (i % (v === 'warm' ? 2 : 3) === 0) {
              resolved[v]++;
              events.push({ id: `r-${i}`, event: 'conversation_resolved', attributes });
            }
          }
          const r = await fetch(`${url}/v1/events`, { method: 'POST', body: JSON.stringify({ events }) });
          expect(r.status).toBe(200);
          await exposures.flush();
        }),
      );
    }, 120_000);
    afterAll(async () => ws?.dispose());

    it('counts rendered units per variant and their resolved conversations', async () => {
      const out = await ws.cli(['report', 'greeting-test', '--format', 'json']);
      expect(out.code, out.stderr).toBe(0);
      const r = JSON.parse(out.stdout) as ExperimentResult;
      expect(r.variants.map((v) => [v.key, v.units])).toEqual([['warm', rendered.warm], ['short', rendered.short]]);
      const m = r.metrics[0]!.results[0]!;
      expect(m.baseline_mean).toBeCloseTo(resolved.warm / rendered.warm, 10);
      expect(m.mean).toBeCloseTo(resolved.short / rendered.short, 10);
    });
  });
}
