import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { engines, useWorkspace } from '../helpers/engines.js';

// PGlite starts take seconds each and these tests run several CLI commands; CI machines are slow.
vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });

const ENGINES = await engines();

describe.each(ENGINES)('apply the sample tree ($name)', ({ name, available }) => {
  const workspace = useWorkspace(name, available, { state: 'migrated' });

  it('applies, then plan is empty, a second apply is a no-op, and status shows counts and the last run', async () => {
    const w = workspace();
    const first = await w.cli(['apply']);
    expect(first.stderr).not.toMatch(/error/i);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('Apply complete: 7 added, 0 changed, 0 archived.');
    const revision = /Revision ([0-9a-f]{12})/.exec(first.stdout)?.[1];
    expect(revision).toBeDefined();

    const plan = await w.cli(['plan', '--detailed-exitcode']);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain('No changes.');
    expect(plan.stdout).toContain('Plan: 0 to add, 0 to change, 0 to archive.');

    const again = await w.cli(['apply']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`No changes. Nothing to apply (revision ${revision}).`);

    const status = await w.cli(['status']);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`Database:  ${name}`);
    expect(status.stdout).toContain(`Revision:  ${revision}`);
    expect(status.stdout).toMatch(/Last run:  #\d+ no-op by test/);
    expect(status.stdout).toMatch(/Experiment\s+3 active/);
    expect(status.stdout).toMatch(/Holdout\s+1 active/);
    expect(status.stdout).toMatch(/Layer\s+1 active/);
    expect(status.stdout).toMatch(/Metric\s+2 active/);
    expect(status.stdout).toContain('Drift:     none');

    const json = await w.cli(['status', '--json']);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout);
    expect(report.revision).toBe(revision);
    expect(report.lastRun).toMatchObject({ outcome: 'no-op', actor: 'test' });
    expect(report.counts).toEqual([
      { kind: 'Experiment', active: 3, archived: 0 },
      { kind: 'Holdout', active: 1, archived: 0 },
      { kind: 'Layer', active: 1, archived: 0 },
      { kind: 'Metric', active: 2, archived: 0 },
    ]);
    expect(report.drift).toEqual([]);

    // The audit trail and the typed tables hold what was applied.
    await w.withDb(async (db) => {
      const runs = await db.query<{ outcome: string; added: number; revision: string }>('SELECT outcome, added, revision FROM labctl.runs ORDER BY id');
      expect(runs).toEqual([
        { outcome: 'applied', added: 7, revision },
        { outcome: 'no-op', added: 0, revision },
      ]);
      const state = await db.query<{ revision: string }>('SELECT revision FROM labctl.state');
      expect(state).toEqual([{ revision }]);
      const gens = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM labctl.resources WHERE generation = 1 AND archived_at IS NULL');
      expect(gens[0]!.n).toBe(7);
      const exp = await db.query('SELECT name, status, seed, coverage, layer_name, layer_start, layer_end, primary_metrics FROM labctl.experiments ORDER BY name');
      expect(exp).toEqual([
        { name: 'checkout-button', status: 'running', seed: 'checkout-button', coverage: 1, layer_name: 'checkout', layer_start: 0, layer_end: 0.5, primary_metrics: ['checkout-completed'] },
        { name: 'checkout-copy', status: 'running', seed: 'checkout-copy', coverage: 1, layer_name: 'checkout', layer_start: 0.5, layer_end: 1, primary_metrics: ['checkout-completed'] },
        { name: 'search-ranking', status: 'running', seed: 'search-ranking', coverage: 0.2, layer_name: null, layer_start: null, layer_end: null, primary_metrics: ['checkout-completed'] },
      ]);
      const variants = await db.query('SELECT experiment, position, key, weight, value FROM labctl.experiment_variants ORDER BY experiment, position');
      expect(variants).toContainEqual({ experiment: 'search-ranking', position: 1, key: 'learned', weight: 30, value: { ranker: 'ltr-v3' } });
      expect(variants).toHaveLength(6);
    });
  });

  it('status before anything is applied says so', async () => {
    const status = await workspace().cli(['status']);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('Revision:  nothing applied yet');
    expect(status.stdout).toContain('Drift:     none');
  });
});
