import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { engines, useWorkspace } from '../helpers/engines.js';

// PGlite starts take seconds each and these tests run several CLI commands; CI machines are slow.
vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });

const ENGINES = await engines();

/**
 * Every field of every kind the typed tables store. Each version is applied and then planned: an
 * empty plan proves the tables rebuild the spec exactly (types, nulls, absent fields, order).
 */
const VERSIONS: Array<{ what: string; files: Record<string, string>; add: number; change: number }> = [
  {
    what: 'every field set',
    add: 12,
    change: 0,
    files: {
      'experiments/layers.yaml': `
kind: Layer
name: checkout
description: Checkout layer
owner: payments
labels: { team: payments, tier: "1" }
unit: account_id
---
kind: Layer
name: bare-layer
`,
      'experiments/metrics.yaml': `
kind: Metric
name: revenue
description: Revenue per user
owner: finance
labels: { unit: eur }
type: sum
event: order_paid
property: amount
direction: increase
window: 72h
---
kind: Metric
name: errors
type: count
event: page_error
direction: decrease
`,
      'experiments/holdouts.yaml': `
kind: Holdout
name: some-holdout
description: held out of two
owner: growth
labels: { purpose: long-term }
share: 0.015
experiments: [full, minimal]
---
kind: Holdout
name: global
share: 0
`,
      'models/models.yaml': `
kind: Model
name: full
description: "Every field: unicode ✓ and a 'quote'"
owner: growth-ml
labels: { team: growth, "k8s.io/name": x }
mlflowName: Full Model/v2
tags: { team: growth, "mlflow.note": "a b", empty: "" }
aliases:
  baseline: { version: 3 }
  pinned-str: { version: "12" }
  champion: { policy: full-champion }
  staging: { policy: newest-policy }
---
kind: Model
name: bare
---
kind: PromotionPolicy
name: full-champion
description: Promote the challenger when it beats the champion.
owner: growth-ml
labels: { tier: "1" }
model: full
candidate: { alias: challenger }
target: champion
gates:
  metrics:
    - val_auc >= 0.80
    - "latency_p95_ms≤200"
    - val_auc >= champion + 0.01
    - "eval/loss < champion * 1.10"
  minAge: 90m
  tags: { validation_status: approved, "team/reviewer": "x y" }
onDrift: restore
---
kind: PromotionPolicy
name: newest-policy
model: full
candidate: { newest: { tags: { validation_status: approved } } }
target: staging
gates: { minAge: 24h }
`,
      'experiments/experiments.yaml': `
apiVersion: labctl/v1
kind: Experiment
name: full
description: "Every field: unicode ✓, quotes \\" and a | pipe"
owner: growth
labels: { area: checkout, "k8s.io/name": x }
status: draft
unit: account_id
seed: full-seed-v2
phase: 3
coverage: 0.125
variants:
  - key: control
    weight: 1.5
    value: null
    description: JSON null payload
  - key: absent
    weight: 2
  - key: object
    weight: 0.25
    value: { nested: { list: [1, 2.5, "x", true, null], empty: {} }, n: -0.0001 }
  - key: scalar-string
    weight: 3
    value: "0"
  - key: scalar-false
    weight: 1
    value: false
  - key: list
    weight: 1
    value: [null, { a: 1 }]
targeting:
  $and:
    - country: { $in: [NL, BE] }
    - $or: [{ plan: pro }, { seats: { $gte: 10 } }]
    - beta: { $exists: true }
    - app_version: { $vgte: "2.3.0" }
layer: { name: checkout, range: [0.1, 0.35] }
schedule: { start: "2026-12-01T09:30:00+01:00", end: 2027-01-15T00:00:00.123Z }
overrides: { qa-user-1: object, "qa user 2": absent }
metrics: { primary: [revenue], secondary: [errors, revenue], guardrails: [errors] }
---
kind: Experiment
name: minimal
variants:
  - key: a
    weight: 1
  - key: b
    weight: 1
`,
    },
  },
  {
    what: 'every field changed',
    add: 0,
    change: 12,
    files: {
      'experiments/layers.yaml': `
kind: Layer
name: checkout
description: Checkout layer, renamed
owner: web
labels: { team: web }
---
kind: Layer
name: bare-layer
description: now described
unit: device_id
`,
      'experiments/metrics.yaml': `
kind: Metric
name: revenue
type: mean
event: order_paid_v2
property: net_amount
direction: decrease
window: 7d
---
kind: Metric
name: errors
description: errors, now a conversion
owner: platform
labels: { sev: high }
type: conversion
event: page_error
window: 1h
`,
      'experiments/holdouts.yaml': `
kind: Holdout
name: some-holdout
share: 1
---
kind: Holdout
name: global
description: now with experiments
owner: growth
labels: { a: b }
share: 0.5
experiments: [minimal]
`,
      'models/models.yaml': `
kind: Model
name: full
aliases:
  baseline: { version: 4 }
  champion: { policy: full-champion }
  staging: { policy: newest-policy }
---
kind: Model
name: bare
description: now described
owner: someone
labels: { x: y }
mlflowName: bare_model
tags: { k: v }
aliases: { pinned: { version: 1 } }
---
kind: PromotionPolicy
name: full-champion
model: full
candidate: { newest: {} }
target: champion
gates:
  metrics: [val_auc > champion]
---
kind: PromotionPolicy
name: newest-policy
description: now with every field
owner: o
labels: { a: b }
model: full
candidate: { alias: candidate }
target: staging
gates:
  metrics: ["val_auc >= 1e-3"]
  minAge: 1w
  tags: { stage: ready }
onDrift: restore
`,
      'experiments/experiments.yaml': `
kind: Experiment
name: full
status: running
unit: account_id
seed: full-seed-v3
phase: 4
coverage: 1
variants:
  - key: object
    weight: 5
    value: { nested: { list: [2] } }
  - key: control
    weight: 1
    value: { was: null }
  - key: absent
    weight: 2
    value: null
layer: { name: checkout, range: [0.5, 1] }
schedule: { end: "2027-02-01T00:00:00Z" }
overrides: { qa-user-1: control }
metrics: { guardrails: [errors] }
---
kind: Experiment
name: minimal
description: filled in
owner: someone
labels: { x: y }
status: paused
unit: device_id
seed: other
phase: 2
coverage: 0
variants:
  - key: b
    weight: 3
    value: 42
    description: b first now
  - key: a
    weight: 1
    value: null
targeting: { device: ios }
layer: { name: bare-layer, range: [0, 0.2] }
schedule: { start: 2027-03-01T00:00:00Z }
overrides: { u1: a }
metrics: { secondary: [revenue] }
`,
    },
  },
  {
    what: 'optional fields removed again',
    add: 0,
    change: 12,
    files: {
      'experiments/layers.yaml': `
kind: Layer
name: checkout
---
kind: Layer
name: bare-layer
`,
      'experiments/metrics.yaml': `
kind: Metric
name: revenue
type: sum
event: order_paid
property: amount
---
kind: Metric
name: errors
type: count
event: page_error
`,
      'experiments/holdouts.yaml': `
kind: Holdout
name: some-holdout
share: 0.3
---
kind: Holdout
name: global
share: 0.01
`,
      'models/models.yaml': `
kind: Model
name: full
aliases:
  champion: { policy: full-champion }
  staging: { policy: newest-policy }
---
kind: Model
name: bare
---
kind: PromotionPolicy
name: full-champion
model: full
candidate: { alias: challenger }
target: champion
gates: { minAge: 0s }
---
kind: PromotionPolicy
name: newest-policy
model: full
candidate: { newest: { tags: { a: b } } }
target: staging
gates: { tags: { a: b } }
`,
      'experiments/experiments.yaml': `
kind: Experiment
name: full
status: stopped
variants:
  - key: control
    weight: 1
  - key: absent
    weight: 1
---
kind: Experiment
name: minimal
status: stopped
variants:
  - key: a
    weight: 1
  - key: b
    weight: 1
    value: null
`,
    },
  },
];

describe.each(ENGINES)('typed tables rebuild specs exactly ($name)', ({ name, available }) => {
  const workspace = useWorkspace(name, available, { samples: false, state: 'migrated' });

  it('applies each version of every kind, and each time the next plan is empty', async () => {
    const w = workspace();
    for (const v of VERSIONS) {
      for (const [file, text] of Object.entries(v.files)) w.write(file, text);
      const validate = await w.cli(['validate']);
      expect(validate.code, `${v.what}: ${validate.stdout}`).toBe(0);
      const planned = await w.cli(['plan', '--detailed-exitcode']);
      expect(planned.code, `${v.what}: ${planned.stdout}${planned.stderr}`).toBe(2);
      const applied = await w.cli(['apply']);
      expect(applied.code, `${v.what}: ${applied.stdout}${applied.stderr}`).toBe(0);
      expect(applied.stdout).toContain(`Apply complete: ${v.add} added, ${v.change} changed, 0 archived.`);
      const plan = await w.cli(['plan', '--detailed-exitcode', '--format', 'json']);
      const parsed = JSON.parse(plan.stdout);
      const changed = parsed.changes.filter((c: { action: string }) => c.action !== 'no-op');
      expect(changed, `${v.what}: the tables do not rebuild the applied spec`).toEqual([]);
      expect(plan.code).toBe(0);
    }
  });

  it('stores models and policies in their typed columns', async () => {
    const w = workspace();
    for (const [file, text] of Object.entries(VERSIONS[0]!.files)) w.write(file, text);
    expect((await w.cli(['apply'])).code).toBe(0);
    const models = await w.sql('SELECT name, mlflow_name, description, tags, aliases FROM labctl.models ORDER BY name');
    expect(models).toEqual([
      { name: 'bare', mlflow_name: 'bare', description: null, tags: {}, aliases: {} },
      {
        name: 'full',
        mlflow_name: 'Full Model/v2',
        description: "Every field: unicode ✓ and a 'quote'",
        tags: { team: 'growth', 'mlflow.note': 'a b', empty: '' },
        aliases: { baseline: { version: '3' }, 'pinned-str': { version: '12' }, champion: { policy: 'full-champion' }, staging: { policy: 'newest-policy' } },
      },
    ]);
    const policies = await w.sql('SELECT name, model, candidate, target_alias, gates, on_drift FROM labctl.promotion_policies ORDER BY name');
    expect(policies).toEqual([
      {
        name: 'full-champion',
        model: 'full',
        candidate: { alias: 'challenger' },
        target_alias: 'champion',
        gates: { metrics: ['val_auc >= 0.8', 'latency_p95_ms <= 200', 'val_auc >= champion + 0.01', 'eval/loss < champion * 1.1'], minAge: '1h30m', tags: { validation_status: 'approved', 'team/reviewer': 'x y' } },
        on_drift: 'restore',
      },
      { name: 'newest-policy', model: 'full', candidate: { newest: { tags: { validation_status: 'approved' } } }, target_alias: 'staging', gates: { metrics: [], minAge: '1d' }, on_drift: 'report' },
    ]);
  });

  it('stores a JSON null variant value as a jsonb null and an absent value as SQL NULL', async () => {
    const w = workspace();
    for (const [file, text] of Object.entries(VERSIONS[0]!.files)) w.write(file, text);
    expect((await w.cli(['apply'])).code).toBe(0);
    const rows = await w.sql<{ key: string; value: unknown; is_sql_null: boolean; type: string | null }>(
      "SELECT key, value, value IS NULL AS is_sql_null, jsonb_typeof(value) AS type FROM labctl.experiment_variants WHERE experiment = 'full' ORDER BY position",
    );
    expect(rows.slice(0, 2)).toEqual([
      { key: 'control', value: null, is_sql_null: false, type: 'null' },
      { key: 'absent', value: null, is_sql_null: true, type: null },
    ]);
    const exp = await w.sql("SELECT seed, phase, coverage, schedule_start, primary_metrics, secondary_metrics FROM labctl.experiments WHERE name = 'full'");
    expect(exp).toEqual([
      {
        seed: 'full-seed-v2',
        phase: 3,
        coverage: 0.125,
        schedule_start: new Date('2026-12-01T08:30:00Z'),
        primary_metrics: ['revenue'],
        secondary_metrics: ['errors', 'revenue'],
      },
    ]);
  });
});
