import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { engines, useWorkspace } from '../helpers/engines.js';
import { planBlock } from '../helpers/cli.js';

// PGlite starts take seconds each and these tests run several CLI commands; CI machines are slow.
vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });

const ENGINES = await engines();

/** Hand edits of the typed tables, and what the plan must show for each. */
const EDITS: Array<{ what: string; sql: string[]; resource: string; shows: string; alone?: boolean }> = [
  {
    what: 'experiment coverage',
    sql: ["UPDATE labctl.experiments SET coverage = 0.3 WHERE name = 'checkout-button'"],
    resource: 'Experiment checkout-button',
    shows: 'coverage: 0.3 → 1',
  },
  {
    what: 'variant weight',
    sql: ["UPDATE labctl.experiment_variants SET weight = 9 WHERE experiment = 'search-ranking' AND key = 'bm25'"],
    resource: 'Experiment search-ranking',
    shows: 'variants[bm25].weight: 9 → 70',
  },
  {
    what: 'a deleted variant row',
    sql: ["DELETE FROM labctl.experiment_variants WHERE experiment = 'checkout-copy' AND key = 'pay-now'"],
    resource: 'Experiment checkout-copy',
    shows: 'variants[pay-now]: (absent) →',
  },
  {
    what: 'a deleted experiment row (variants cascade)',
    // Overlaps the variant-weight edit, so it is tested on its own.
    alone: true,
    sql: ["DELETE FROM labctl.experiments WHERE name = 'search-ranking'"],
    resource: 'Experiment search-ranking',
    shows: 'status: (absent) → "running"',
  },
  {
    what: 'a variant value set to JSON null and a targeting edit',
    sql: [
      `UPDATE labctl.experiment_variants SET value = 'null'::jsonb WHERE experiment = 'checkout-button' AND key = 'green'`,
      `UPDATE labctl.experiments SET targeting = '{"country": "DE"}' WHERE name = 'checkout-button'`,
    ],
    resource: 'Experiment checkout-button',
    shows: 'variants[green].value: null → {"color":"green"}',
  },
  {
    what: 'metric direction',
    sql: ["UPDATE labctl.metrics SET direction = 'increase' WHERE name = 'page-error'"],
    resource: 'Metric page-error',
    shows: 'direction: "increase" → "decrease"',
  },
  {
    what: 'holdout share',
    sql: ["UPDATE labctl.holdouts SET share = 0.5 WHERE name = 'global-holdout'"],
    resource: 'Holdout global-holdout',
    shows: 'share: 0.5 → 0.02',
  },
  {
    what: 'layer unit removed',
    sql: ["UPDATE labctl.layers SET unit = NULL WHERE name = 'checkout'"],
    resource: 'Layer checkout',
    shows: 'unit: (absent) → "user_id"',
  },
];

const COMBINED = EDITS.filter((e) => !e.alone);

describe.each(ENGINES)('drift ($name)', ({ name, available }) => {
  const workspace = useWorkspace(name, available, { state: 'applied' });

  it('a hand edit shows as drift in plan and status; apply restores it; the next plan is empty', async () => {
    const w = workspace();
    const runsBefore = await w.withDb(async (db) => {
      for (const e of COMBINED) for (const s of e.sql) await db.query(s);
      return (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM labctl.runs'))[0]!.n;
    });

    const plan = await w.cli(['plan', '--detailed-exitcode']);
    expect(plan.code, plan.stderr).toBe(2);
    const resources = [...new Set(COMBINED.map((e) => e.resource))];
    expect(plan.stdout).toContain(`Plan: 0 to add, ${resources.length} to change, 0 to archive.`);
    for (const e of COMBINED) {
      const block = planBlock(plan.stdout, `~ ${e.resource} update`);
      expect(block, e.what).toContain('drift: edited outside labctl; apply restores the declared state');
      expect(block, e.what).toContain(e.shows);
    }
    // Restoring the declared state needs no phase bump: git did not change.
    expect(plan.stdout).not.toMatch(/^error/m);

    const json = await w.cli(['plan', '--format', 'json']);
    const changes = JSON.parse(json.stdout).changes.filter((c: { action: string }) => c.action === 'update');
    expect(changes).toHaveLength(resources.length);
    for (const c of changes) expect(c).toMatchObject({ drift: true, reason: 'drift: edited outside labctl; apply restores the declared state' });

    const status = await w.cli(['status']);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`Drift:     ${resources.length} resource(s) edited outside labctl`);
    for (const r of resources) expect(status.stdout).toContain(r.replace(' ', '/'));
    const statusJson = JSON.parse((await w.cli(['status', '--json'])).stdout);
    expect(statusJson.drift).toHaveLength(resources.length);

    const apply = await w.cli(['apply']);
    expect(apply.code, apply.stderr).toBe(0);
    expect(apply.stdout).toContain(`Apply complete: 0 added, ${resources.length} changed, 0 archived.`);

    const after = await w.cli(['plan', '--detailed-exitcode']);
    expect(after.code, after.stdout).toBe(0);
    expect(after.stdout).toContain('No changes.');
    expect((await w.cli(['status'])).stdout).toContain('Drift:     none');
    await w.withDb(async (db) => {
      expect(await db.query("SELECT coverage FROM labctl.experiments WHERE name = 'checkout-button'")).toEqual([{ coverage: 1 }]);
      expect(await db.query("SELECT key, weight FROM labctl.experiment_variants WHERE experiment = 'checkout-copy' ORDER BY position")).toEqual([
        { key: 'control', weight: 1 },
        { key: 'pay-now', weight: 1 },
      ]);
      const runs = await db.query<{ outcome: string }>('SELECT outcome FROM labctl.runs WHERE id > $1 ORDER BY id', [runsBefore]);
      expect(runs.map((r) => r.outcome)).toEqual(['applied']);
    });
  });

  it.each(EDITS.filter((e) => e.alone))('drift in $what is planned and restored', async (e) => {
    const w = workspace();
    await w.withDb(async (db) => {
      for (const s of e.sql) await db.query(s);
    });
    const plan = await w.cli(['plan', '--detailed-exitcode']);
    expect(plan.code, plan.stderr).toBe(2);
    expect(plan.stdout).toContain('Plan: 0 to add, 1 to change, 0 to archive.');
    expect(planBlock(plan.stdout, `~ ${e.resource} update`)).toContain(e.shows);
    expect((await w.cli(['apply'])).code).toBe(0);
    const after = await w.cli(['plan', '--detailed-exitcode']);
    expect(after.code, after.stdout).toBe(0);
  });
});
