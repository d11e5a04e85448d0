// LABCTL_RESULTS_DATABASE_URL: the results aggregate runs on a read replica, the spec is read from
// and the result saved to the primary. No streaming replica can be set up here, so the replica is
// stood in for by a copy of the primary that refuses writes (default_transaction_read_only, as a
// hot standby does) and holds events the primary lacks: a report that counts them read the
// replica, and one that succeeds wrote nothing there.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import type { ExperimentResult } from '../../engine/results/types.js';
import { createWorkspace, type Workspace } from '../helpers/engines.js';
import { createTestDatabase, requirePostgres } from '../helpers/postgres.js';
import { spawnServe } from '../helpers/serve.js';
import { assertFreshBuild } from '../helpers/build.js';

const PG = await requirePostgres();
if (PG) assertFreshBuild();

const SPECS = `kind: Metric
name: checkout
type: conversion
event: checkout_completed
---
kind: Experiment
name: button
status: running
unit: user_id
variants:
  - { key: control, weight: 1, value: { color: blue } }
  - { key: green, weight: 1, value: { color: green } }
metrics: { primary: [checkout] }
decision: { minUnits: 10 }
`;

async function onDb<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Conversions of the report's green variant (its mean × units). */
function conversions(r: ExperimentResult): number {
  const g = r.metrics[0]!.results[0]!;
  return Math.round((g.mean ?? 0) * g.units + (g.baseline_mean ?? 0) * g.baseline_units);
}

describe.skipIf(!PG)('results from a read replica (LABCTL_RESULTS_DATABASE_URL)', () => {
  let ws: Workspace;
  let replica: { url: string; drop: () => Promise<void> };
  beforeAll(async () => {
    ws = await createWorkspace('postgres', { samples: false });
    ws.write('experiments/button.yaml', SPECS);
    const applied = await ws.cli(['apply']);
    expect(applied.code, applied.stderr).toBe(0);
    await onDb(ws.url!, async (c) => {
      await c.query(`INSERT INTO labctl.exposures (experiment, phase, unit, variant, revision, first_exposed_at)
        SELECT 'button', 1, 'u' || g, CASE WHEN g % 2 = 0 THEN 'control' ELSE 'green' END, 'r', now() - interval '1 day'
          FROM generate_series(1, 200) g`);
      await c.query(`INSERT INTO labctl.events (id, event, ts, attributes)
        SELECT 'p' || g, 'checkout_completed', now() - interval '1 hour', jsonb_build_object('user_id', 'u' || g) FROM generate_series(1, 20) g`);
    });
    replica = await createTestDatabase(ws.url!);
    await onDb(replica.url, async (c) => {
      // The replica is ahead of what the primary holds here: 30 more conversions, all by green's
      // (odd) units, so green wins there (40 to 10) and ties on the primary (10 to 10).
      await c.query(`INSERT INTO labctl.events (id, event, ts, attributes)
        SELECT 'r' || g, 'checkout_completed', now() - interval '1 hour', jsonb_build_object('user_id', 'u' || g) FROM generate_series(21, 79, 2) g`);
      await c.query(`ALTER DATABASE ${new URL(replica.url).pathname.slice(1)} SET default_transaction_read_only = on`);
    });
  }, 60_000);
  afterAll(async () => {
    await replica?.drop();
    await ws?.dispose();
  });

  it('labctl report aggregates on the replica and saves the result on the primary', async () => {
    const primary = await ws.cli(['report', 'button', '--format', 'json']);
    expect(primary.code, primary.stderr).toBe(0);
    expect(conversions(JSON.parse(primary.stdout) as ExperimentResult)).toBe(20);

    const fromReplica = await ws.cli(['report', 'button', '--format', 'json'], { LABCTL_RESULTS_DATABASE_URL: replica.url });
    expect(fromReplica.code, fromReplica.stderr).toBe(0);
    const r = JSON.parse(fromReplica.stdout) as ExperimentResult;
    expect(r.units).toBe(200);
    expect(conversions(r)).toBe(50);
    const saved = await ws.sql<{ n: number }>("SELECT count(*)::int AS n FROM labctl.results WHERE experiment = 'button'");
    expect(saved[0]!.n).toBeGreaterThanOrEqual(1);
    const latest = await ws.sql<{ result: ExperimentResult }>("SELECT result FROM labctl.results WHERE experiment = 'button'");
    expect(conversions(latest[0]!.result)).toBe(50);
  });

  it('status reads decisions through the replica too', async () => {
    const out = await ws.cli(['status', '--json'], { LABCTL_RESULTS_DATABASE_URL: replica.url });
    expect(out.code, out.stderr).toBe(0);
    const status = JSON.parse(out.stdout) as { decisions: Array<{ experiment: string; status: string; variant: string | null; units: number }>; decisionErrors: unknown[] };
    expect(status.decisionErrors).toEqual([]);
    expect(status.decisions).toMatchObject([{ experiment: 'button', status: 'ship', variant: 'green', units: 200 }]);
  });

  it("plan's experiment decisions read the replica: green ships on the replica's numbers, not on the primary's", async () => {
    const decision = async (env: Record<string, string | undefined>) => {
      const out = await ws.cli(['plan', '--format', 'json'], env);
      expect(out.code, out.stderr).toBe(0);
      const plan = JSON.parse(out.stdout) as { decisions?: Array<{ experiment: string; status: string; variant: string | null; units: number }>; diagnostics: Array<{ code: string }> };
      expect(plan.diagnostics.filter((d) => d.code === 'results-unavailable')).toEqual([]);
      expect(plan.decisions).toHaveLength(1);
      return plan.decisions![0]!;
    };
    expect(await decision({})).toMatchObject({ experiment: 'button', status: 'keep_running', variant: null, units: 200 });
    expect(await decision({ LABCTL_RESULTS_DATABASE_URL: replica.url })).toMatchObject({ experiment: 'button', status: 'ship', variant: 'green', units: 200 });
    const text = await ws.cli(['plan'], { LABCTL_RESULTS_DATABASE_URL: replica.url });
    expect(text.stdout).toMatch(/Experiment button: ready to ship green/);
  });

  it('labctl serve answers results from the replica', async () => {
    const serve = await spawnServe({ cwd: ws.dir, env: { DATABASE_URL: ws.url, LABCTL_RESULTS_DATABASE_URL: replica.url } });
    try {
      const res = await fetch(`${serve.url}/v1/experiments/button/results`);
      expect(res.status).toBe(200);
      expect(conversions((await res.json()) as ExperimentResult)).toBe(50);
    } finally {
      await serve.stop();
    }
  });

  it('without DATABASE_URL the setting is refused with a hint', async () => {
    const out = await ws.cli(['report', 'button'], { DATABASE_URL: undefined, LABCTL_RESULTS_DATABASE_URL: replica.url });
    expect(out.code).toBe(1);
    expect(out.stderr).toContain('LABCTL_RESULTS_DATABASE_URL is set but DATABASE_URL is not');
    expect(out.stderr).toContain('hint:');
  });
});
