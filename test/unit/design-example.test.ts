import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SpecLoader, readSpecDir } from '../../reconciler/load/index.js';
import { assign } from '../../engine/assignment/assign.js';
import { snapshotFromDir } from '../../reconciler/load/snapshot.js';

// The normative Experiment of the spec format (docs/spec-reference.md), verbatim, plus the Layer and Metrics it references.
const EXAMPLE = `kind: Experiment
name: checkout-button
description: Does a green checkout button raise completed checkouts?
owner: payments
status: running          # draft | running | paused | stopped
unit: user_id            # request attribute whose value is hashed
seed: checkout-button    # optional, defaults to name; changing it re-randomises every unit
coverage: 1              # 0..1, share of eligible units enrolled
variants:                # ≥2; weights are relative and normalised to sum 1
  - key: control
    weight: 50
    value: { color: blue }   # any JSON payload; may also reference a prompt, flow or model
  - key: green
    weight: 50
    value: { color: green }
targeting:               # optional condition on request attributes (operators in §5)
  country: { $in: [NL, BE] }
layer: { name: checkout, range: [0, 0.5] }   # optional; running experiments in a layer must not overlap
schedule: { start: 2026-12-01T00:00:00Z, end: 2027-01-15T00:00:00Z }   # optional
overrides: { qa-user-1: green }              # optional forced assignments
metrics: { primary: [checkout_completed], guardrails: [page_error] }  # optional, names of Metric specs
`;

const REFERENCED = `kind: Layer
name: checkout
---
kind: Metric
name: checkout_completed
type: conversion
event: checkout_completed
---
kind: Metric
name: page_error
type: count
event: page_error
`;

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'labctl-design-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe('the normative example of docs/spec-reference.md', () => {
  it('validates as written, with its layer and metrics declared', async () => {
    const state = new SpecLoader().load(await readSpecDir(tree({ 'experiment.yaml': EXAMPLE, 'refs.yaml': REFERENCED })));
    expect(state.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(state.resources.map((r) => `${r.kind}/${r.name}`).sort()).toEqual(['Experiment/checkout-button', 'Layer/checkout', 'Metric/checkout_completed', 'Metric/page_error']);
  });

  it('reports each undeclared reference with its line when the example stands alone', async () => {
    const state = new SpecLoader().load(await readSpecDir(tree({ 'experiment.yaml': EXAMPLE })));
    const codes = state.diagnostics.map((d) => `${d.code}@${d.range?.start.line}`);
    expect(codes).toEqual(expect.arrayContaining(['unknown-layer@18', 'unknown-metric@21']));
  });

  it('serves the override and the schedule in the order of docs/assignment.md', async () => {
    const snap = await snapshotFromDir(tree({ 'experiment.yaml': EXAMPLE, 'refs.yaml': REFERENCED }));
    const during = Date.parse('2026-12-10T00:00:00Z');
    expect(assign(snap, 'checkout-button', { user_id: 'qa-user-1' }, during)).toMatchObject({ variant: 'green', reason: 'override' });
    expect(assign(snap, 'checkout-button', { user_id: 'u1', country: 'DE' }, during)).toMatchObject({ variant: 'control', inExperiment: false, reason: 'targeting_miss' });
    expect(assign(snap, 'checkout-button', { user_id: 'u1', country: 'NL' }, Date.parse('2026-11-01T00:00:00Z'))).toMatchObject({ reason: 'not_running' });
  });
});
