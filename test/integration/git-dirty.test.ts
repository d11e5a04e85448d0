// The audit trail says when an apply ran from uncommitted spec edits (before, status and
// `models history` credited HEAD, a commit that did not contain what was applied). A real git
// repository and PostgreSQL; a change outside the specs leaves the apply clean.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderHistoryText, type PromotionRecord } from '../../adapters/state/promotions.js';
import { cli } from '../helpers/cli.js';
import { createRepo, disposeGitDirs, type TempRepo } from '../helpers/git.js';
import { createTestDatabase, requirePostgres } from '../helpers/postgres.js';

const PG = await requirePostgres();

interface Status {
  gitSha: string;
  gitDirty: boolean;
  lastRun: { gitSha: string; gitDirty: boolean; outcome: string };
}

describe.skipIf(!PG)('apply from a working tree with uncommitted spec edits', () => {
  let repo: TempRepo;
  let db: { url: string; drop: () => Promise<void> };
  const run = (args: string[]) => cli(args, { cwd: repo.dir, env: { DATABASE_URL: db.url, LABCTL_ACTOR: 'test' } });
  const status = async () => {
    const r = await run(['status', '--json']);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as Status;
  };
  beforeAll(async () => {
    repo = createRepo();
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
    disposeGitDirs();
  });

  it('a clean checkout is recorded clean, and a change outside the specs keeps it clean', async () => {
    expect((await run(['apply'])).code).toBe(0);
    expect(await status()).toMatchObject({ gitSha: repo.head(), gitDirty: false, lastRun: { gitDirty: false } });
    repo.write('README.md', '# the app\n');
    repo.write('scripts/seed.yaml', 'rows: 10\n');
    const again = await run(['apply']);
    expect(again.code, again.stderr).toBe(0);
    expect(await status()).toMatchObject({ gitDirty: false, lastRun: { outcome: 'no-op', gitDirty: false } });
    const text = await run(['status']);
    expect(text.stdout).not.toContain('uncommitted');
  });

  it('an edited spec marks the apply, the status and the plan comment', async () => {
    repo.edit('experiments/checkout.yaml', /description: .*/, 'description: edited, not committed yet');
    const md = await run(['plan', '--format', 'markdown']);
    expect(md.code === 0 || md.code === 2, md.stderr).toBe(true);
    expect(md.stdout).toMatch(new RegExp(`<sub>revision \\w+ · ${repo.head().slice(0, 12)} \\+ uncommitted changes</sub>`));
    expect((await run(['apply'])).code).toBe(0);
    const s = await status();
    expect(s).toMatchObject({ gitSha: repo.head(), gitDirty: true, lastRun: { outcome: 'applied', gitDirty: true } });
    expect((await run(['status'])).stdout).toMatch(new RegExp(`git ${repo.head().slice(0, 12)} \\+ uncommitted changes, applied`));
  });

  it('a saved plan keeps the provenance it was made with', async () => {
    repo.commit('the edit');
    const clean = await run(['plan', '--out', 'plan.json']);
    expect([0, 2]).toContain(clean.code);
    // The plan file itself is untracked but not a spec (it is JSON): the plan was clean.
    repo.edit('experiments/checkout.yaml', /description: .*/, 'description: edited after the plan');
    const applied = await run(['apply', 'plan.json']);
    expect(applied.code, applied.stderr).toBe(0);
    expect((await status()).lastRun.gitDirty).toBe(false);
  });

  it('models history marks promotions journaled by a dirty apply', () => {
    const record = (gitDirty: boolean): PromotionRecord => ({ id: '1', model: 'churn', mlflowName: 'churn', alias: 'champion', from: '1', to: '2', policy: null, reason: 'pin', gates: [], gitSha: 'a'.repeat(40), gitDirty, actor: 'ann', runId: '7', status: 'done', plannedAt: '2026-12-03T10:00:00.000Z', completedAt: '2026-12-03T10:00:01.000Z' });
    expect(renderHistoryText('churn', [record(true)])).toContain('git aaaaaaaaaaaa + uncommitted changes, run #7');
    expect(renderHistoryText('churn', [record(false)])).toContain('git aaaaaaaaaaaa, run #7');
  });
});
