import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { engines, useWorkspace } from '../helpers/engines.js';

// PGlite starts take seconds each and these tests run several CLI commands; CI machines are slow.
vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });

const ENGINES = await engines();

function edit(file: string, from: string, to: string): void {
  const text = readFileSync(file, 'utf8');
  if (!text.includes(from)) throw new Error(`${file} has no "${from}"`);
  writeFileSync(file, text.replace(from, to));
}

describe.each(ENGINES)('saved plans ($name)', ({ name, available }) => {
  const workspace = useWorkspace(name, available, { state: 'applied' });

  it('refuses a plan whose resources another apply changed (exit 3); a fresh plan applies', async () => {
    const w = workspace();
    const ranking = join(w.specs, 'search-ranking.yaml');
    edit(ranking, 'coverage: 0.2', 'coverage: 0.25');
    const planned = await w.cli(['plan', '--out', 'p.json', '--detailed-exitcode']);
    expect(planned.code, planned.stderr).toBe(2);
    expect(planned.stdout).toContain('Saved the plan to p.json; apply it with: labctl apply p.json');

    // Someone else applies a different change to the same resource.
    edit(ranking, 'coverage: 0.25', 'coverage: 0.3');
    expect((await w.cli(['apply'])).code).toBe(0);

    const stale = await w.cli(['apply', 'p.json']);
    expect(stale.code, stale.stdout + stale.stderr).toBe(3);
    expect(stale.stderr).toContain('the plan is stale: 1 resource(s) changed since it was made (Experiment/search-ranking)');
    expect(stale.stderr).toContain('run labctl plan again');
    const rows = await w.withDb(async (db) => ({
      coverage: await db.query("SELECT coverage FROM labctl.experiments WHERE name = 'search-ranking'"),
      last: await db.query<{ outcome: string }>('SELECT outcome FROM labctl.runs ORDER BY id DESC LIMIT 1'),
    }));
    expect(rows.coverage).toEqual([{ coverage: 0.3 }]);
    expect(rows.last).toEqual([{ outcome: 'stale' }]);

    edit(ranking, 'coverage: 0.3', 'coverage: 0.4');
    expect((await w.cli(['plan', '--out', 'fresh.json'])).code).toBe(0);
    const fresh = await w.cli(['apply', 'fresh.json']);
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(fresh.stdout).toContain('Apply complete: 0 added, 1 changed, 0 archived.');
    expect(await w.sql("SELECT coverage FROM labctl.experiments WHERE name = 'search-ranking'")).toEqual([{ coverage: 0.4 }]);
    expect((await w.cli(['plan', '--detailed-exitcode'])).code).toBe(0);

    // Applying the same plan twice: the second time its resources moved (generation bumped).
    const twice = await w.cli(['apply', 'fresh.json']);
    expect(twice.code).toBe(3);
  });

  it('refuses a plan when the touched resource drifted by hand', async () => {
    const w = workspace();
    edit(join(w.specs, 'search-ranking.yaml'), 'coverage: 0.2', 'coverage: 0.25');
    expect((await w.cli(['plan', '--out', 'p.json'])).code).toBe(0);
    await w.sql("UPDATE labctl.experiment_variants SET weight = 1 WHERE experiment = 'search-ranking' AND key = 'bm25'");
    const r = await w.cli(['apply', 'p.json']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('Experiment/search-ranking');
  });

  it('applies a plan when only resources it does not touch changed since planning', async () => {
    const w = workspace();
    edit(join(w.specs, 'search-ranking.yaml'), 'coverage: 0.2', 'coverage: 0.25');
    expect((await w.cli(['plan', '--out', 'p.json'])).code).toBe(0);

    // Another checkout of the repository changes only a metric, and applies it.
    // (A hidden directory, so the default --dir . of the workspace does not load it twice.)
    const other = join(w.dir, '.other');
    cpSync(w.specs, other, { recursive: true });
    edit(join(other, 'search-ranking.yaml'), 'coverage: 0.25', 'coverage: 0.2');
    edit(join(other, 'metrics.yaml'), 'window: 7d', 'window: 14d');
    const otherApply = await w.cli(['apply', '--dir', '.other']);
    expect(otherApply.code, otherApply.stderr).toBe(0);
    expect(otherApply.stdout).toContain('0 added, 1 changed');

    const r = await w.cli(['apply', 'p.json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Apply complete: 0 added, 1 changed, 0 archived.');
    const rows = await w.withDb(async (db) => ({
      coverage: await db.query("SELECT coverage FROM labctl.experiments WHERE name = 'search-ranking'"),
      window: await db.query("SELECT conversion_window FROM labctl.metrics WHERE name = 'checkout-completed'"),
      state: await db.query<{ revision: string }>('SELECT revision FROM labctl.state'),
    }));
    expect(rows.coverage).toEqual([{ coverage: 0.25 }]);
    // The other apply's change is kept: a plan file only touches its own resources.
    expect(rows.window).toEqual([{ conversion_window: '14d' }]);
    // The recorded revision describes the state as it now is (both changes).
    const plan = await w.cli(['plan', '--dir', '.other', '--format', 'json']);
    const p = JSON.parse(plan.stdout);
    expect(p.base_revision).toBe(rows.state[0]!.revision);
  });

  it('a plan with errors is refused with exit 1, from the tree and from a saved file; nothing is written', async () => {
    const w = workspace();
    // Moving units of a running experiment without a phase bump is a plan-time error.
    edit(join(w.specs, 'search-ranking.yaml'), 'weight: 70', 'weight: 60');
    const before = await w.sql('SELECT key, weight FROM labctl.experiment_variants WHERE experiment = $1 ORDER BY position', ['search-ranking']);
    const plan = await w.cli(['plan', '--out', 'bad.json']);
    expect(plan.code).toBe(1);
    expect(plan.stdout).toContain('error[reassignment-unacknowledged]');
    // A plan with errors is not saved; a JSON plan printed to stdout still carries them.
    expect(existsSync(join(w.dir, 'bad.json'))).toBe(false);
    expect(plan.stdout).toContain('Not saved to bad.json');
    const printed = await w.cli(['plan', '--format', 'json']);
    expect(printed.code).toBe(1);
    w.write('bad.json', printed.stdout);
    for (const args of [['apply'], ['apply', 'bad.json']]) {
      const r = await w.cli(args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toContain('error[reassignment-unacknowledged]');
      expect(r.stderr).toContain('nothing was applied');
    }
    const after = await w.withDb(async (db) => ({
      variants: await db.query('SELECT key, weight FROM labctl.experiment_variants WHERE experiment = $1 ORDER BY position', ['search-ranking']),
      runs: await db.query<{ outcome: string }>('SELECT outcome FROM labctl.runs ORDER BY id'),
    }));
    expect(after.variants).toEqual(before);
    expect(after.runs.map((r) => r.outcome)).toEqual(['applied', 'refused', 'refused']);
    // Acknowledging the move with a phase bump makes it applicable.
    edit(join(w.specs, 'search-ranking.yaml'), 'coverage: 0.2', 'coverage: 0.2\nphase: 2');
    const ok = await w.cli(['apply']);
    expect(ok.code, ok.stderr).toBe(0);
    expect((await w.cli(['plan', '--detailed-exitcode'])).code).toBe(0);
  });

  it('refuses a --base plan and ignores a tampered summary', async () => {
    const w = workspace();
    edit(join(w.specs, 'search-ranking.yaml'), 'owner: search', 'owner: ranking');
    expect((await w.cli(['plan', '--out', 'p.json'])).code).toBe(0);
    const plan = JSON.parse(readFileSync(join(w.dir, 'p.json'), 'utf8'));
    w.write('based.json', JSON.stringify({ ...plan, base_ref: 'origin/main' }));
    const based = await w.cli(['apply', 'based.json']);
    expect(based.code).toBe(1);
    expect(based.stderr).toContain('compares with the git ref "origin/main"');
    // The summary is derived: zeroing it must not turn the change into a no-op.
    w.write('zeroed.json', JSON.stringify({ ...plan, summary: { add: 0, change: 0, archive: 0, unchanged: 0, wouldArchive: 0 } }));
    const applied = await w.cli(['apply', 'zeroed.json']);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain('1 changed');
    expect((await w.cli(['plan', '--detailed-exitcode'])).code).toBe(0);
  });

  it('rejects plan files that are not labctl plans with exit 1', async () => {
    const w = workspace();
    expect((await w.cli(['plan', '--out', 'p.json'])).code).toBe(0);
    const plan = JSON.parse(readFileSync(join(w.dir, 'p.json'), 'utf8'));
    expect(plan.format_version).toBe('1');

    w.write('v99.json', JSON.stringify({ ...plan, format_version: '99' }));
    const wrong = await w.cli(['apply', 'v99.json']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('unsupported plan format_version "99"');
    expect(wrong.stderr).toContain('hint: pass a file written by labctl plan --out');

    w.write('garbage.json', '{ not json');
    const garbage = await w.cli(['apply', 'garbage.json']);
    expect(garbage.code).toBe(1);
    expect(garbage.stderr).toContain('plan file garbage.json is not JSON');

    for (const [file, text, says] of [
      ['null.json', 'null', 'the file is not a labctl plan (expected a JSON object)'],
      ['list.json', '[]', 'the file is not a labctl plan (expected a JSON object)'],
      ['partial.json', '{"format_version":"1","changes":[]}', 'the file is not a complete labctl plan'],
    ]) {
      w.write(file!, text!);
      const r = await w.cli(['apply', file!]);
      expect(r.code, file).toBe(1);
      expect(r.stderr, file).toContain(says);
      expect(r.stderr, file).not.toContain('internal error');
    }

    const missing = await w.cli(['apply', 'missing.json']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('cannot read plan file missing.json');

    const both = await w.cli(['apply', 'p.json', '--dir', '.']);
    expect(both.code).toBe(1);
    expect(both.stderr).toContain('pass either a plan file or --dir, not both');

    // A saved plan with no changes applies as a no-op.
    const noop = await w.cli(['apply', 'p.json']);
    expect(noop.code, noop.stderr).toBe(0);
    expect(noop.stdout).toContain('No changes.');
  });
});
