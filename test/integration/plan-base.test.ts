// plan --base REF: a pull request is planned against the specs at its base commit, read from git's
// object database, with no database at all. The comparison with a database plan is the oracle: apply
// the base tree to a fresh database, and both plans must agree change by change.
import { cpSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Change, Plan } from '../../core/types.js';
import { cli } from '../helpers/cli.js';
import { createWorkspace, SAMPLES, type Workspace } from '../helpers/engines.js';
import { createRepo, disposeGitDirs, tempDir, type TempRepo } from '../helpers/git.js';
import { requirePostgres } from '../helpers/postgres.js';

const PG = await requirePostgres();

/** Nothing listens on port 1: any connection attempt fails, so a plan that succeeds made none. */
const NO_DB = { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/labctl_must_not_connect' };

const plan = (repo: TempRepo, args: string[], opts: { cwd?: string; env?: Record<string, string | undefined> } = {}) =>
  cli(['plan', ...args], { cwd: opts.cwd ?? repo.dir, env: { ...NO_DB, ...opts.env } });

/** What a change means, without the parts that depend on how the actual state was read. */
function meaning(c: Change) {
  return { kind: c.kind, name: c.name, action: c.action, fields: c.fields, reassignment: c.reassignment, pendingPrune: c.pendingPrune, before: c.before, after: c.after };
}

/** Working-tree edits of the samples: a field, an acknowledged reassignment, a new file, a removed file. */
function editSamples(repo: TempRepo): void {
  repo.edit('experiments/checkout.yaml', 'label: Continue }', 'label: Continue now }');
  // checkout-button: 50/50 → 60/40 with a phase bump (acknowledged; moves 10% of its half of the layer).
  repo.edit('experiments/checkout.yaml', /(name: checkout-button[\s\S]*?)weight: 50([\s\S]*?)weight: 50/, '$1weight: 60$2weight: 40');
  repo.edit('experiments/checkout.yaml', /(name: checkout-button[\s\S]*?)coverage: 1\n/, '$1coverage: 1\nphase: 2\n');
  repo.edit('experiments/metrics.yaml', 'Client-side errors per unit; must not go up.', 'Client-side errors per unit; must never go up.');
  repo.write(
    'experiments/cart.yaml',
    ['kind: Metric', 'name: add-to-cart', 'description: Units that add a product to the cart.', 'owner: payments', 'type: conversion', 'event: add_to_cart', 'direction: increase', ''].join('\n'),
  );
  repo.remove('experiments/search-ranking.yaml');
}

const WEIGHTS_ONLY = (repo: TempRepo) => repo.edit('experiments/checkout.yaml', /(name: checkout-button[\s\S]*?)weight: 50([\s\S]*?)weight: 50/, '$1weight: 60$2weight: 40');

afterEach(() => disposeGitDirs());

describe('plan --base agrees with a database plan', () => {
  let ws: Workspace | undefined;
  afterEach(async () => {
    await ws?.dispose();
    ws = undefined;
  });

  it('same changes, field diffs, reassignment shares and revision; no database connection', async () => {
    const repo = createRepo();
    // The oracle: HEAD's tree applied to a fresh database (Postgres when there is one, else PGlite).
    ws = await createWorkspace(PG ? 'postgres' : 'pglite', { samples: false });
    cpSync(repo.specs, ws.specs, { recursive: true });
    const applied = await ws.cli(['apply', '--dir', 'experiments']);
    expect(applied.code, applied.stderr).toBe(0);

    editSamples(repo);
    cpSync(repo.specs, ws.specs, { recursive: true });
    ws.remove('experiments/search-ranking.yaml');

    const fromDb = await ws.cli(['plan', '--dir', 'experiments', '--format', 'json']);
    expect(fromDb.code, fromDb.stderr).toBe(0);
    const fromGit = await plan(repo, ['--base', 'HEAD', '--dir', 'experiments', '--format', 'json']);
    expect(fromGit.code, fromGit.stderr).toBe(0);
    expect(existsSync(join(repo.dir, '.labctl')), 'plan --base opened an embedded database').toBe(false);

    const db = JSON.parse(fromDb.stdout) as Plan;
    const base = JSON.parse(fromGit.stdout) as Plan;
    expect(base.changes.map(meaning)).toEqual(db.changes.map(meaning));
    expect(base.summary).toEqual(db.summary);
    expect(base.summary).toEqual({ add: 1, change: 3, archive: 0, unchanged: 3, wouldArchive: 1 });
    expect(base.revision).toBe(db.revision);
    expect(base.base_revision).toBe(db.base_revision);
    expect(base.diagnostics).toEqual(db.diagnostics);

    // The numbers themselves: exactly the edited fields, and 10% of the layer's first half moved.
    const byName = new Map(base.changes.map((c) => [c.name, c]));
    expect(byName.get('checkout-copy')!.fields).toEqual([{ path: 'variants[control].value.label', before: 'Continue', after: 'Continue now' }]);
    expect(byName.get('page-error')!.fields).toEqual([{ path: 'description', before: 'Client-side errors per unit; must not go up.', after: 'Client-side errors per unit; must never go up.' }]);
    const button = byName.get('checkout-button')!;
    expect(button.fields.map((f) => f.path).sort()).toEqual(['phase', 'variants[control].weight', 'variants[green].weight']);
    expect(button.reassignment).toMatchObject({ acknowledged: true, causes: ['weights'], estimated: false });
    expect(button.reassignment!.moved).toBeCloseTo(0.05, 10);
    expect(byName.get('add-to-cart')).toMatchObject({ action: 'create' });
    expect(byName.get('search-ranking')).toMatchObject({ action: 'no-op', pendingPrune: true });

    // Text: the same story for people.
    const text = await plan(repo, ['--base', 'HEAD', '--dir', 'experiments']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('variants[control].value.label: "Continue" → "Continue now"');
    expect(text.stdout).toContain('reassignment: 5.00% of units move to another variant or leave (changed: weights); acknowledged by the phase bump');
    expect(text.stdout).toMatch(/Experiment search-ranking would archive with --prune/);
    expect(text.stdout).toContain('Plan: 1 to add, 3 to change, 0 to archive. 1 not in git (would archive with --prune).');
    expect(existsSync(join(repo.dir, '.labctl'))).toBe(false);
  });
});

describe('plan --base: where and what', () => {
  it('no working-tree change → no changes, exit 0 (2 with --detailed-exitcode only when something changed)', async () => {
    const repo = createRepo();
    const r = await plan(repo, ['--base', 'HEAD', '--dir', 'experiments', '--detailed-exitcode']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Plan: 0 to add, 0 to change, 0 to archive.');
    repo.edit('experiments/checkout.yaml', 'label: Continue }', 'label: Go }');
    const changed = await plan(repo, ['--base', 'HEAD', '--dir', 'experiments', '--detailed-exitcode']);
    expect(changed.code, changed.stderr).toBe(2);
  });

  it('--dir pointing at a subdirectory, and run from inside it, give the same plan', async () => {
    const repo = createRepo();
    editSamples(repo);
    const fromRoot = JSON.parse((await plan(repo, ['--base', 'HEAD', '--dir', 'experiments', '--format', 'json'])).stdout) as Plan;
    const fromSub = await plan(repo, ['--base', 'HEAD', '--format', 'json'], { cwd: repo.specs });
    expect(fromSub.code, fromSub.stderr).toBe(0);
    const sub = JSON.parse(fromSub.stdout) as Plan;
    expect(sub.changes.map(meaning)).toEqual(fromRoot.changes.map(meaning));
    expect(sub.summary).toEqual({ add: 1, change: 3, archive: 0, unchanged: 3, wouldArchive: 1 });
    // A deeper --dir from a subdirectory: specs in experiments/team, run from experiments/.
    const nested = createRepo({ samples: false });
    cpSync(SAMPLES, join(nested.dir, 'experiments', 'team'), { recursive: true });
    nested.commit('nested');
    nested.edit('experiments/team/checkout.yaml', 'label: Continue }', 'label: Go }');
    const deep = await plan(nested, ['--base', 'HEAD', '--dir', 'team'], { cwd: join(nested.dir, 'experiments') });
    expect(deep.code, deep.stderr).toBe(0);
    expect(deep.stdout).toContain('variants[control].value.label: "Continue" → "Go"');
    expect(deep.stdout).toContain('Plan: 0 to add, 1 to change, 0 to archive.');
  });

  it('specs at the repository root', async () => {
    const repo = createRepo({ samples: false });
    cpSync(SAMPLES, repo.dir, { recursive: true });
    repo.commit('root');
    repo.edit('layers.yaml', 'owner: growth', 'owner: platform');
    const r = await plan(repo, ['--base', 'HEAD']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('owner: "growth" → "platform"');
    expect(r.stdout).toContain('Plan: 0 to add, 1 to change, 0 to archive.');
  });

  it('removed files show "would archive with --prune"; with --prune they archive', async () => {
    const repo = createRepo();
    repo.remove('experiments/search-ranking.yaml');
    const r = await plan(repo, ['--base', 'HEAD', '--dir', 'experiments']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\? Experiment search-ranking would archive with --prune/);
    expect(r.stdout).toContain('1 not in git (would archive with --prune)');
    const pruned = await plan(repo, ['--base', 'HEAD', '--dir', 'experiments', '--prune']);
    expect(pruned.code, pruned.stderr).toBe(0);
    expect(pruned.stdout).toContain('Plan: 0 to add, 0 to change, 1 to archive.');
  });

  it('.labctlignore is read at the ref, not from the working tree', async () => {
    const repo = createRepo();
    const draft = ['kind: Metric', 'name: draft-metric', 'description: Not ready.', 'owner: growth', 'type: count', 'event: draft', 'direction: increase', ''].join('\n');
    repo.write('experiments/drafts/wip.yaml', draft);
    repo.write('experiments/.labctlignore', '# work in progress\ndrafts\n');
    repo.commit('ignored drafts');

    // Same ignore in both: the draft is in neither state.
    const same = await plan(repo, ['--base', 'HEAD', '--dir', 'experiments', '--format', 'json']);
    expect(same.code, same.stderr).toBe(0);
    const samePlan = JSON.parse(same.stdout) as Plan;
    expect(samePlan.changes.map((c) => c.name)).not.toContain('draft-metric');
    expect(samePlan.summary).toMatchObject({ add: 0, change: 0, wouldArchive: 0 });

    // The working tree stops ignoring drafts: the base (which ignored it) lacks it → create.
    repo.remove('experiments/.labctlignore');
    const unignored = JSON.parse((await plan(repo, ['--base', 'HEAD', '--dir', 'experiments', '--format', 'json'])).stdout) as Plan;
    expect(unignored.changes.find((c) => c.name === 'draft-metric')).toMatchObject({ action: 'create' });

    // The reverse: a base without the ignore has the draft; the working tree ignores it → would archive.
    repo.commit('no ignore');
    repo.write('experiments/.labctlignore', 'drafts\n');
    const ignoredNow = JSON.parse((await plan(repo, ['--base', 'HEAD', '--dir', 'experiments', '--format', 'json'])).stdout) as Plan;
    expect(ignoredNow.changes.find((c) => c.name === 'draft-metric')).toMatchObject({ action: 'no-op', pendingPrune: true });
    // And HEAD~1 (which ignored it) agrees with the working tree again.
    const older = JSON.parse((await plan(repo, ['--base', 'HEAD~1', '--dir', 'experiments', '--format', 'json'])).stdout) as Plan;
    expect(older.changes.map((c) => c.name)).not.toContain('draft-metric');
  });

  it('a branch name and a commit SHA work as refs', async () => {
    const repo = createRepo();
    const first = repo.head();
    repo.git('branch', 'base');
    repo.edit('experiments/checkout.yaml', 'label: Continue }', 'label: Go }');
    repo.commit('go');
    for (const ref of ['base', first, first.slice(0, 10), 'HEAD~1']) {
      const r = await plan(repo, ['--base', ref, '--dir', 'experiments']);
      expect(r.code, `${ref}: ${r.stderr}`).toBe(0);
      expect(r.stdout).toContain('Plan: 0 to add, 1 to change, 0 to archive.');
    }
  });

  it('an unknown ref → exit 1 with a hint', async () => {
    const repo = createRepo();
    const r = await plan(repo, ['--base', 'origin/no-such-branch', '--dir', 'experiments']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error: unknown git ref "origin/no-such-branch"');
    expect(r.stderr).toMatch(/hint: .*git fetch/);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(r.stdout).toBe('');
  });

  it('not a git repository → exit 1 with a hint', async () => {
    const dir = tempDir('labctl-nogit-');
    cpSync(SAMPLES, join(dir, 'experiments'), { recursive: true });
    const r = await cli(['plan', '--base', 'HEAD', '--dir', 'experiments'], { cwd: dir, env: NO_DB });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error: .*is not inside a git repository/);
    expect(r.stderr).toContain('hint: --base needs a git checkout');
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(existsSync(join(dir, '.labctl'))).toBe(false);
  });
});

describe('plan --base: formats and diagnostics', () => {
  it('markdown starts with the summary line', async () => {
    const repo = createRepo();
    editSamples(repo);
    const r = await plan(repo, ['--base', 'HEAD', '--dir', 'experiments', '--format', 'markdown']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('**labctl** — Plan: 1 to add, 3 to change, 0 to archive. 1 not in git (would archive with --prune). ⚠️ 1 reassignment');
    expect(r.stdout).toContain('**Reassignment:** 5.00% of units move to another variant or leave (changed: weights); acknowledged by the phase bump');
    expect(r.stdout).toContain('+ variants[control].value.label: "Continue now"');
  });

  it('github: an unacknowledged reassignment is an ::error annotation at its file and line; exit 1', async () => {
    const repo = createRepo();
    WEIGHTS_ONLY(repo);
    const r = await plan(repo, ['--base', 'HEAD', '--dir', 'experiments', '--format', 'github']);
    expect(r.code).toBe(1);
    const annotations = r.stdout.split('\n').filter((l) => l.startsWith('::'));
    expect(annotations).toHaveLength(1);
    // `variants:` of checkout-button is line 9 of checkout.yaml; the path is relative to the repository root.
    expect(annotations[0]).toMatch(/^::error file=experiments\/checkout\.yaml,line=9,col=1,endLine=\d+,endColumn=\d+,title=labctl reassignment-unacknowledged::changing weights of a running experiment moves 5\.00%25 of units/);
    expect(annotations[0]).toContain('hint: set phase: 2');
    expect(r.stdout).toContain('Plan: 0 to add, 1 to change, 0 to archive.');
    // The same error in text form, with the JSON plan also carrying it.
    const json = JSON.parse((await plan(repo, ['--base', 'HEAD', '--dir', 'experiments', '--format', 'json'])).stdout) as Plan;
    expect(json.diagnostics).toMatchObject([{ severity: 'error', code: 'reassignment-unacknowledged', range: { filename: 'checkout.yaml', start: { line: 9 } } }]);
    expect(json.changes.find((c) => c.name === 'checkout-button')!.reassignment).toMatchObject({ acknowledged: false, moved: 0.05 });
  });

  it('a base with invalid specs gives the base-invalid warning (and the plan still works)', async () => {
    const repo = createRepo();
    repo.edit('experiments/metrics.yaml', 'type: count', 'type: sometimes');
    const bad = repo.commit('broken metric');
    repo.edit('experiments/metrics.yaml', 'type: sometimes', 'type: count');
    const r = await plan(repo, ['--base', 'HEAD', '--dir', 'experiments', '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const p = JSON.parse(r.stdout) as Plan;
    const warning = p.diagnostics.find((d) => d.code === 'base-invalid');
    expect(warning).toMatchObject({ severity: 'warning', hint: 'run labctl validate on HEAD to see them' });
    expect(warning!.summary).toContain(`the specs at HEAD (${bad.slice(0, 12)}) have`);
    // The resource that failed at the base is compared as new.
    expect(p.changes.find((c) => c.name === 'page-error')).toMatchObject({ action: 'create' });
    const text = await plan(repo, ['--base', 'HEAD', '--dir', 'experiments']);
    expect(text.stdout + text.stderr).toMatch(/warning\[base-invalid\]/);
    const gh = await plan(repo, ['--base', 'HEAD', '--dir', 'experiments', '--format', 'github']);
    expect(gh.stdout).toMatch(/^::warning title=labctl base-invalid::the specs at HEAD/m);
  });

  it('invalid working-tree specs fail before git is read (exit 1, diagnostics in the chosen format)', async () => {
    const repo = createRepo();
    repo.edit('experiments/metrics.yaml', 'type: count', 'type: sometimes');
    const r = await plan(repo, ['--base', 'HEAD', '--dir', 'experiments', '--format', 'github']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^::error file=experiments\/metrics\.yaml,line=\d+/m);
    expect(r.stderr).toContain('no plan was made');
  });
});
