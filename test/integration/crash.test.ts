import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Database } from '../../adapters/db/index.js';
import { assertFreshBuild } from '../helpers/build.js';
import { spawnHelper, type Helper } from '../helpers/labctl-process.js';
import { createWorkspace, engines, type Workspace } from '../helpers/engines.js';

// PGlite starts take seconds each and these tests run several CLI commands; CI machines are slow.
vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });

const ENGINES = await engines();
assertFreshBuild();

/** Everything apply writes, in a comparable form. */
async function snapshot(db: Database) {
  return {
    resources: await db.query('SELECT kind, name, spec_hash, generation, git_sha, archived_at FROM labctl.resources ORDER BY kind, name'),
    experiments: await db.query('SELECT * FROM labctl.experiments ORDER BY name'),
    variants: await db.query('SELECT * FROM labctl.experiment_variants ORDER BY experiment, position'),
    layers: await db.query('SELECT * FROM labctl.layers ORDER BY name'),
    metrics: await db.query('SELECT * FROM labctl.metrics ORDER BY name'),
    holdouts: await db.query('SELECT * FROM labctl.holdouts ORDER BY name'),
    runs: await db.query('SELECT id, outcome, revision FROM labctl.runs ORDER BY id'),
    state: await db.query('SELECT revision, git_sha, run_id FROM labctl.state'),
  };
}

describe.each(ENGINES)('SIGKILL mid-apply ($name)', ({ name, available }) => {
  let ws: Workspace | undefined;
  let helper: Helper | undefined;
  beforeEach(async (ctx) => {
    ctx.skip(!available, 'PostgreSQL is unreachable');
    ws = await createWorkspace(name, { state: 'applied' });
  });
  afterEach(async () => {
    if (helper && helper.child.exitCode === null && helper.child.signalCode === null) {
      helper.child.kill('SIGKILL');
      await helper.exited;
    }
    helper = undefined;
    await ws?.dispose();
    ws = undefined;
  });

  it('leaves the previous state intact; a normal apply then converges and the next plan is empty', async () => {
    const w = ws!;
    // A change that exercises every write path: update, create, archive (with PRUNE=1).
    const ranking = join(w.specs, 'search-ranking.yaml');
    writeFileSync(ranking, readFileSync(ranking, 'utf8').replace('coverage: 0.2', 'coverage: 0.25'));
    w.write('experiments/new.yaml', 'kind: Metric\nname: new-metric\ntype: count\nevent: new_event\n');
    const before = await w.withDb(snapshot);

    const pending = await w.cli(['plan', '--detailed-exitcode']);
    expect(pending.code, pending.stdout).toBe(2);

    helper = spawnHelper('./apply-and-hang.mjs', [w.dir], { cwd: w.dir, env: w.env });
    await helper.waitForOutput('ready');
    if (name === 'postgres') {
      // The helper's transaction holds the apply lock and its uncommitted writes right now.
      const waiting = await w.sql<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'labctl crash-test' AND state = 'idle in transaction'");
      expect(waiting[0]!.n).toBe(1);
    }
    helper.child.kill('SIGKILL');
    const exit = await helper.exited;
    expect(exit.signal).toBe('SIGKILL');

    // Nothing of the interrupted apply is visible: not the writes, not the run, not the revision.
    const after = await w.withDb(snapshot);
    expect(after).toEqual(before);
    const status = await w.cli(['status']);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain('Drift:     none');

    const apply = await w.cli(['apply', '--lock-timeout', '20']);
    expect(apply.code, apply.stderr).toBe(0);
    expect(apply.stdout).toContain('Apply complete: 1 added, 1 changed, 0 archived.');
    const plan = await w.cli(['plan', '--detailed-exitcode']);
    expect(plan.code, plan.stdout).toBe(0);
  });

  it('an interrupted prune archives nothing', async () => {
    const w = ws!;
    w.remove('experiments/search-ranking.yaml');
    const before = await w.withDb(snapshot);
    helper = spawnHelper('./apply-and-hang.mjs', [w.dir], { cwd: w.dir, env: { ...w.env, PRUNE: '1' } });
    await helper.waitForOutput('ready');
    helper.child.kill('SIGKILL');
    await helper.exited;
    expect(await w.withDb(snapshot)).toEqual(before);
    const apply = await w.cli(['apply', '--prune', '--lock-timeout', '20']);
    expect(apply.code, apply.stderr).toBe(0);
    expect(apply.stdout).toContain('Apply complete: 0 added, 0 changed, 1 archived.');
    expect((await w.cli(['plan', '--prune', '--detailed-exitcode'])).code).toBe(0);
  });
});
