import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SAMPLES, engines, useWorkspace } from '../helpers/engines.js';

// PGlite starts take seconds each and these tests run several CLI commands; CI machines are slow.
vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });

const ENGINES = await engines();

describe.each(ENGINES)('prune ($name)', ({ name, available }) => {
  const workspace = useWorkspace(name, available, { state: 'applied' });

  it('a resource removed from git would archive with --prune, is archived by apply --prune (row kept) and restored when re-added', async () => {
    const w = workspace();
    w.remove('experiments/search-ranking.yaml');

    const plan = await w.cli(['plan', '--detailed-exitcode']);
    expect(plan.code, plan.stdout).toBe(0);
    expect(plan.stdout).toContain('? Experiment search-ranking would archive with --prune');
    expect(plan.stdout).toContain('Plan: 0 to add, 0 to change, 0 to archive. 1 not in git (would archive with --prune).');
    const md = await w.cli(['plan', '--format', 'markdown']);
    expect(md.stdout).toContain('would archive with --prune');

    // Without --prune, apply leaves it active.
    const noPrune = await w.cli(['apply']);
    expect(noPrune.code).toBe(0);
    expect(noPrune.stdout).toContain('No changes.');
    expect(await w.sql("SELECT archived_at FROM labctl.resources WHERE name = 'search-ranking'")).toEqual([{ archived_at: null }]);

    const prunePlan = await w.cli(['plan', '--prune', '--detailed-exitcode']);
    expect(prunePlan.code).toBe(2);
    expect(prunePlan.stdout).toContain('- Experiment search-ranking archive');
    expect(prunePlan.stdout).toContain('Plan: 0 to add, 0 to change, 1 to archive.');

    const pruned = await w.cli(['apply', '--prune']);
    expect(pruned.code, pruned.stderr).toBe(0);
    expect(pruned.stdout).toContain('Apply complete: 0 added, 0 changed, 1 archived.');
    const rows = await w.withDb(async (db) => ({
      resource: await db.query<{ archived_at: Date | null; generation: number }>("SELECT archived_at, generation FROM labctl.resources WHERE kind = 'Experiment' AND name = 'search-ranking'"),
      typed: await db.query("SELECT name, coverage FROM labctl.experiments WHERE name = 'search-ranking'"),
      variants: await db.query<{ n: number }>("SELECT count(*)::int AS n FROM labctl.experiment_variants WHERE experiment = 'search-ranking'"),
    }));
    expect(rows.resource).toHaveLength(1);
    expect(rows.resource[0]!.archived_at).toBeInstanceOf(Date);
    expect(rows.resource[0]!.generation).toBe(2);
    expect(rows.typed).toEqual([{ name: 'search-ranking', coverage: 0.2 }]);
    expect(rows.variants[0]!.n).toBe(2);

    const status = await w.cli(['status']);
    expect(status.stdout).toMatch(/Experiment\s+2 active, 1 archived/);
    expect(status.stdout).toContain('Drift:     none');
    expect((await w.cli(['plan', '--prune', '--detailed-exitcode'])).code).toBe(0);
    // An archived resource is not "would archive" any more.
    expect((await w.cli(['plan'])).stdout).not.toContain('would archive');

    // Re-adding the spec restores it.
    w.write('experiments/search-ranking.yaml', readFileSync(join(SAMPLES, 'search-ranking.yaml'), 'utf8'));
    const restorePlan = await w.cli(['plan', '--detailed-exitcode']);
    expect(restorePlan.code).toBe(2);
    expect(restorePlan.stdout).toContain('+ Experiment search-ranking restore');
    expect(restorePlan.stdout).toContain('restores an archived resource');
    const restored = await w.cli(['apply']);
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stdout).toContain('Apply complete: 1 added, 0 changed, 0 archived.');
    expect(await w.sql("SELECT archived_at, generation FROM labctl.resources WHERE name = 'search-ranking'")).toEqual([{ archived_at: null, generation: 3 }]);
    expect((await w.cli(['plan', '--prune', '--detailed-exitcode'])).code).toBe(0);
    expect((await w.cli(['status'])).stdout).toMatch(/Experiment\s+3 active\n/);
  });

  it('refuses to archive more than half of a kind (exit 3) unless --allow-mass-archive', async () => {
    const w = workspace();
    w.remove('experiments/checkout.yaml'); // 2 of the 3 experiments
    const before = await w.sql('SELECT kind, name, archived_at, generation FROM labctl.resources ORDER BY kind, name');

    const plan = await w.cli(['plan', '--prune']);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain('this plan archives 2 of 3 Experiment resources; apply will refuse without --allow-mass-archive');

    const refused = await w.cli(['apply', '--prune']);
    expect(refused.code, refused.stdout + refused.stderr).toBe(3);
    expect(refused.stderr).toContain('refusing to archive 2 of 3 Experiment resources');
    expect(refused.stderr).toContain('--allow-mass-archive');
    expect(await w.sql('SELECT kind, name, archived_at, generation FROM labctl.resources ORDER BY kind, name')).toEqual(before);
    expect(await w.sql('SELECT outcome FROM labctl.runs ORDER BY id DESC LIMIT 1')).toEqual([{ outcome: 'refused' }]);

    const allowed = await w.cli(['apply', '--prune', '--allow-mass-archive']);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(allowed.stdout).toContain('Apply complete: 0 added, 0 changed, 2 archived.');
    expect((await w.cli(['status'])).stdout).toMatch(/Experiment\s+1 active, 2 archived/);
  });

  it('refuses to archive every resource of a kind, even one', async () => {
    const w = workspace();
    w.write('experiments/layers.yaml', readFileSync(join(SAMPLES, 'layers.yaml'), 'utf8').split('\n---\n')[0]!); // drops the only Holdout
    const refused = await w.cli(['apply', '--prune']);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('refusing to archive 1 of 1 Holdout resources');
    const saved = await w.cli(['plan', '--prune', '--out', 'p.json']);
    expect(saved.code).toBe(0);
    // The guard holds for saved plans too.
    const fromFile = await w.cli(['apply', 'p.json']);
    expect(fromFile.code).toBe(3);
    expect(fromFile.stderr).toContain('refusing to archive 1 of 1 Holdout resources');
    expect((await w.cli(['apply', 'p.json', '--allow-mass-archive'])).code).toBe(0);
  });
});
