// The audit trail says when an apply ran from uncommitted spec edits (before, status and
// `models history` credited HEAD, a commit that did not contain what was applied). A real git
// repository and PostgreSQL; a change outside the specs leaves the apply clean. Where a commit is
// recorded with what was applied (prompt versions, the tags of MLflow versions), so is the flag:
// those parts run against a real `mlflow server` too (CI sets TEST_MLFLOW_URI).
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { renderHistoryText, type PromotionRecord } from '../../adapters/state/promotions.js';
import { openDatabase } from '../../adapters/db/open.js';
import { currentProcess } from '../../cli/host.js';
import { readPromptVersions, type PromptVersionRow } from '../../kinds/prompt/table.js';
import { cli } from '../helpers/cli.js';
import { createRepo, disposeGitDirs, type TempRepo } from '../helpers/git.js';
import { requireMlflow, uniqueName } from '../helpers/mlflow.js';
import { modelYaml, TrainingJob } from '../helpers/mlflow-models.js';
import { MlflowTestClient } from '../helpers/mlflow-test-client.js';
import { createTestDatabase, requirePostgres } from '../helpers/postgres.js';

const PG = await requirePostgres();
const MLFLOW = await requireMlflow();

/** A text prompt; with mirror, MLflow holds it under the alias production. */
function promptYaml(name: string, template: string, mirror = false): string {
  return [`kind: Prompt`, `name: ${name}`, `template: ${JSON.stringify(template)}`, 'variables:', '  customer: { type: string }', ...(mirror ? ['mlflow: { mirror: true }'] : []), ''].join('\n');
}

/** The stored versions of a prompt, oldest first, as the runtime reads them. */
async function promptVersions(url: string, name: string): Promise<PromptVersionRow[]> {
  const db = await openDatabase({ databaseUrl: url, cwd: '.', applicationName: 'labctl test', host: currentProcess() });
  try {
    return (await readPromptVersions(db)).filter((v) => v.name === name);
  } finally {
    await db.close();
  }
}

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

  it('a prompt version keeps the commit and the dirty flag of the apply that first stored it', async () => {
    repo.write('prompts/greeting.yaml', promptYaml('greeting', 'Hello {{customer}}'));
    const committed = repo.commit('a prompt');
    expect((await run(['apply'])).code).toBe(0);
    repo.edit('prompts/greeting.yaml', 'Hello', 'Hi');
    const dirty = await run(['apply']);
    expect(dirty.code, dirty.stderr).toBe(0);
    expect(dirty.stdout).toContain('1 changed');
    const [first, second] = await promptVersions(db.url, 'greeting');
    expect(first).toMatchObject({ gitSha: committed, gitDirty: false, content: { template: 'Hello {{customer}}' } });
    expect(second).toMatchObject({ gitSha: committed, gitDirty: true, content: { template: 'Hi {{customer}}' } });
    // Committing the edit applies nothing new, so the version's provenance stays as it was stored.
    repo.commit('the prompt edit');
    expect((await run(['apply'])).code).toBe(0);
    expect((await promptVersions(db.url, 'greeting')).map((v) => [v.gitSha, v.gitDirty])).toEqual([
      [committed, false],
      [committed, true],
    ]);
  });

  it('models history marks promotions journaled by a dirty apply', () => {
    const record = (gitDirty: boolean): PromotionRecord => ({ id: '1', model: 'churn', mlflowName: 'churn', alias: 'champion', from: '1', to: '2', policy: null, reason: 'pin', gates: [], gitSha: 'a'.repeat(40), gitDirty, actor: 'ann', runId: '7', status: 'done', plannedAt: '2026-12-03T10:00:00.000Z', completedAt: '2026-12-03T10:00:01.000Z' });
    expect(renderHistoryText('churn', [record(true)])).toContain('git aaaaaaaaaaaa + uncommitted changes, run #7');
    expect(renderHistoryText('churn', [record(false)])).toContain('git aaaaaaaaaaaa, run #7');
  });
});

describe('the dirty flag next to labctl.git_sha in MLflow (real MLflow and PostgreSQL)', () => {
  let repo: TempRepo;
  let db: { url: string; drop: () => Promise<void> } | undefined;
  let mlflow: MlflowTestClient;
  beforeEach(async (ctx) => {
    ctx.skip(!MLFLOW || !PG, 'TEST_MLFLOW_URI or PostgreSQL unavailable');
    mlflow = new MlflowTestClient({ trackingUri: MLFLOW! });
    repo = createRepo({ samples: false });
    db = await createTestDatabase();
  });
  afterEach(async () => {
    await db?.drop();
    db = undefined;
    disposeGitDirs();
  });

  it('tags the prompt versions the mirror registers and the versions a policy promotes', async () => {
    const env = { DATABASE_URL: db!.url, MLFLOW_TRACKING_URI: MLFLOW!, LABCTL_ACTOR: 'test' };
    const run = async (args: string[]) => {
      const r = await cli(args, { cwd: repo.dir, env });
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
      return r;
    };
    const prompt = uniqueName('greeting');
    const mlflowName = uniqueName('churn');
    const job = new TrainingJob(mlflow, mlflowName);
    const [v1] = await job.register({ metrics: { val_auc: 0.83 }, alias: 'challenger' });
    repo.write('prompts/greeting.yaml', promptYaml(prompt, 'Hello {{customer}}', true));
    repo.write('models/churn.yaml', modelYaml({ name: 'churn', mlflowName, policy: { name: 'churn-champion', metrics: ['val_auc >= 0.80'] } }));
    const first = repo.commit('a mirrored prompt and a model');

    // 1. Applied with an uncommitted template edit: both MLflow versions say so.
    repo.edit('prompts/greeting.yaml', 'Hello', 'Hi');
    const dirty = await run(['apply']);
    expect(dirty.stdout).toContain(`MLflow: prompt ${prompt}: registered version 1 (new prompt)`);
    expect(dirty.stdout).toContain(`✓ MLflow: promote ${mlflowName} version ${v1} to champion`);
    const p1 = (await mlflow.getModelVersionByAlias(prompt, 'production'))!;
    expect(p1.tags).toMatchObject({ 'mlflow.prompt.text': 'Hi {{customer}}', 'labctl.git_sha': first, 'labctl.git_dirty': 'true' });
    expect(p1.description).toContain(`(git ${first.slice(0, 12)} + uncommitted changes)`);
    expect((await mlflow.getModelVersion(mlflowName, v1!))!.tags).toMatchObject({ 'labctl.git_sha': first, 'labctl.git_dirty': 'true', 'labctl.promoted_alias': 'champion' });
    expect((await run(['models', 'history', 'churn'])).stdout).toContain(`git ${first.slice(0, 12)} + uncommitted changes`);

    // 2. A committed template and a better challenger: clean.
    repo.edit('prompts/greeting.yaml', 'Hi', 'Welcome');
    const second = repo.commit('a committed template');
    const [v2] = await job.register({ metrics: { val_auc: 0.86 }, alias: 'challenger' });
    const clean = await run(['apply']);
    expect(clean.stdout).toContain(`MLflow: prompt ${prompt}: registered version 2`);
    expect(clean.stdout).toContain(`✓ MLflow: promote ${mlflowName} version ${v2} to champion`);
    const p2 = (await mlflow.getModelVersionByAlias(prompt, 'production'))!;
    expect(p2).toMatchObject({ version: '2', tags: { 'mlflow.prompt.text': 'Welcome {{customer}}', 'labctl.git_sha': second, 'labctl.git_dirty': 'false' } });
    expect(p2.description).toContain(`(git ${second.slice(0, 12)})`);
    expect((await mlflow.getModelVersion(mlflowName, v2!))!.tags).toMatchObject({ 'labctl.git_sha': second, 'labctl.git_dirty': 'false' });
    expect((await promptVersions(db!.url, prompt)).map((v) => [v.gitSha, v.gitDirty])).toEqual([
      [first, true],
      [second, false],
    ]);
  });
});
