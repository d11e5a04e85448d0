import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { apply } from '../../reconciler/apply/apply.js';
import type { Plan } from '../../core/types.js';
import { readSpecDir, SpecLoader } from '../../reconciler/load/index.js';
import { observeModels, registryContextFromEnv } from '../../reconciler/plan/registry.js';

import { readModelAliases } from '../../adapters/state/model-aliases.js';
import { Reconciler } from '../../reconciler/watch/reconciler.js';
import { assign } from '../../engine/assignment/assign.js';
import { loadAppliedSnapshot } from '../../runtime/live/load.js';
import { createWorkspace, type Workspace } from '../helpers/engines.js';
import { closedPort, requireMlflow, uniqueName } from '../helpers/mlflow.js';
import { cli } from '../helpers/cli.js';
import { createRepo } from '../helpers/git.js';
import { modelYaml, TrainingJob } from '../helpers/mlflow-models.js';
import { requirePostgres } from '../helpers/postgres.js';
import { MlflowTestClient } from '../helpers/mlflow-test-client.js';

// Models and promotion policies against a real `mlflow server` (CI starts one and sets
// TEST_MLFLOW_URI) and a real PostgreSQL: plan, apply, drift, resume after a crash, auth.
vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });

const MLFLOW = await requireMlflow();
const PG = await requirePostgres();

const GATES = ['val_auc >= 0.80', 'latency_p95_ms <= 200', 'val_auc >= champion + 0.01'];

/**
 * An HTTP proxy in front of the real MLflow that records requests and can answer some itself:
 * intercept returns a status to fail a request with, or undefined to forward it.
 */
async function mlflowProxy(intercept: (req: IncomingMessage) => number | undefined): Promise<{ uri: string; close: () => Promise<void> }> {
  const target = new URL(MLFLOW!);
  const proxy: Server = createServer((req, res) => {
    const status = intercept(req);
    if (status !== undefined) {
      req.resume();
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error_code: 'TEMPORARILY_UNAVAILABLE', message: `HTTP ${status} from the test proxy` }));
      return;
    }
    const headers = { ...req.headers, host: target.host };
    delete headers.authorization;
    const up = httpRequest({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    req.pipe(up);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
  return {
    uri: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    close: async () => {
      proxy.closeAllConnections();
      await new Promise<void>((r) => proxy.close(() => r()));
    },
  };
}

describe('models and promotion policies (real MLflow and PostgreSQL)', () => {
  let ws: Workspace;
  let mlflow: MlflowTestClient;
  let job: TrainingJob;
  let mlflowName: string;
  let env: Record<string, string>;

  beforeEach(async (ctx) => {
    ctx.skip(!MLFLOW || !PG, 'TEST_MLFLOW_URI or PostgreSQL unavailable');
    mlflow = new MlflowTestClient({ trackingUri: MLFLOW! });
    mlflowName = uniqueName('churn');
    job = new TrainingJob(mlflow, mlflowName);
    ws = await createWorkspace('postgres', { samples: false, state: 'migrated' });
    env = { MLFLOW_TRACKING_URI: MLFLOW! };
  });
  afterEach(async () => {
    await ws?.dispose();
  });

  const writeSpec = (extra: Partial<Parameters<typeof modelYaml>[0]> = {}, policy: Partial<NonNullable<Parameters<typeof modelYaml>[0]['policy']>> = {}) =>
    ws.write(
      'models/churn.yaml',
      modelYaml({ name: 'churn', mlflowName, description: 'Predicts churn.', tags: { team: 'growth' }, policy: { name: 'churn-champion', metrics: GATES, ...policy }, ...extra }),
    );
  const jsonPlan = async (): Promise<Plan> => {
    const r = await ws.cli(['plan', '--format', 'json'], env);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as Plan;
  };
  /** What a crash between the commit and the MLflow calls leaves: apply() commits the database and the journal, nothing runs the steps. */
  const applyThenCrash = async () => {
    const state = new SpecLoader().load(await readSpecDir(ws.dir));
    await ws.withDb((db) =>
      apply(db, { desired: state.resources }, { prune: false, gitSha: 'abc123', now: () => new Date(), actor: 'crashed', lockTimeoutMs: 5000, allowMassArchive: false, registry: registryContextFromEnv(env) }),
    );
  };
  const decision = (plan: Plan) => plan.registry!.decisions.find((d) => d.policy === 'churn-champion')!;

  it('promotes a candidate that passes its gates, records it in Postgres and on the version, and converges', async () => {
    const [v1, v2] = await job.register({ metrics: { val_auc: 0.83, latency_p95_ms: 150 } }, { metrics: { val_auc: 0.85, latency_p95_ms: 140 }, alias: 'challenger' });
    writeSpec({ pinned: { baseline: v1! } });

    const text = await ws.cli(['plan', '--detailed-exitcode'], env);
    expect(text.code, text.stderr).toBe(2);
    expect(text.stdout).toContain(`promote version ${v2} (alias challenger) to champion`);
    expect(text.stdout).toMatch(/✓ val_auc 0\.85\d* ≥ 0\.8/);
    expect(text.stdout).toMatch(/✓ latency_p95_ms 140 ≤ 200/);
    expect(text.stdout).toContain('no version holds champion yet');

    const plan = await jsonPlan();
    expect(plan.registry!.status).toBe('planned');
    expect(decision(plan).outcome).toBe('promote');
    expect(decision(plan).gates.map((g) => [g.type, g.passed])).toEqual([
      ['metric', true],
      ['metric', true],
      ['relative', true],
    ]);
    expect(plan.registry!.steps.map((s) => s.op)).toEqual(['set-description', 'set-model-tag', 'set-alias', 'set-alias']);

    const applied = await ws.cli(['apply'], env);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain(`✓ MLflow: promote ${mlflowName} version ${v2} to champion`);

    expect(await job.alias('champion')).toBe(v2);
    expect(await job.alias('baseline')).toBe(v1);
    const rm = (await mlflow.getRegisteredModel(mlflowName))!;
    expect(rm.description).toBe('Predicts churn.');
    expect(rm.tags.team).toBe('growth');
    const promoted = (await mlflow.getModelVersion(mlflowName, v2!))!;
    expect(Date.parse(promoted.tags['labctl.promoted_at']!)).toBeGreaterThan(Date.now() - 120_000);
    expect(promoted.tags['labctl.previous_version']).toBe('');
    expect(promoted.tags['labctl.policy']).toBe('churn-champion');

    const rows = await ws.sql<{ alias: string; from_version: string | null; to_version: string; reason: string; status: string; gates: Array<{ passed: boolean }>; actor: string }>(
      'SELECT alias, from_version, to_version, reason, status, gates, actor FROM labctl.promotions ORDER BY id',
    );
    expect(rows.map((r) => [r.alias, r.from_version, r.to_version, r.reason, r.status])).toEqual([
      ['baseline', null, v1, 'pin', 'done'],
      ['champion', null, v2, 'promotion', 'done'],
    ]);
    expect(rows[1]!.gates).toHaveLength(3);
    expect(rows[1]!.actor).toBe('test');
    const aliases = await ws.withDb(readModelAliases);
    expect(aliases.get('churn')).toEqual({ baseline: v1, champion: v2, challenger: v2 });

    const again = await ws.cli(['plan', '--detailed-exitcode'], env);
    expect(again.code, again.stdout).toBe(0);
    expect(again.stdout).toContain(`version ${v2} (alias challenger) already holds champion`);
  });

  it('blocks a candidate that fails a relative gate, then promotes a better one; history shows the trail', async () => {
    const [, v2] = await job.register({ metrics: { val_auc: 0.83, latency_p95_ms: 150 } }, { metrics: { val_auc: 0.85, latency_p95_ms: 140 }, alias: 'challenger' });
    writeSpec();
    expect((await ws.cli(['apply'], env)).code).toBe(0);
    expect(await job.alias('champion')).toBe(v2);

    // Better, but not by the required 0.01.
    const [v3] = await job.register({ metrics: { val_auc: 0.855, latency_p95_ms: 130 }, alias: 'challenger' });
    const blocked = await jsonPlan();
    const d = decision(blocked);
    expect(d.outcome).toBe('blocked');
    expect(d.candidate).toBe(v3);
    expect(d.incumbent).toBe(v2);
    const relative = d.gates.find((g) => g.type === 'relative')!;
    expect(relative.passed).toBe(false);
    expect(relative.measured).toBeCloseTo(0.855);
    expect(blocked.registry!.steps).toEqual([]);
    const text = await ws.cli(['plan', '--detailed-exitcode'], env);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/✗ val_auc 0\.855 ≥ champion 0\.85/);
    expect((await ws.cli(['apply'], env)).code).toBe(0);
    expect(await job.alias('champion')).toBe(v2);

    const [v4] = await job.register({ metrics: { val_auc: 0.87, latency_p95_ms: 120 }, alias: 'challenger' });
    const applied = await ws.cli(['apply'], env);
    expect(applied.code, applied.stderr).toBe(0);
    expect(await job.alias('champion')).toBe(v4);
    expect((await mlflow.getModelVersion(mlflowName, v4!))!.tags['labctl.previous_version']).toBe(v2);

    const history = await ws.cli(['models', 'history', 'churn', '--json']);
    expect(history.code, history.stderr).toBe(0);
    const trail = (JSON.parse(history.stdout) as { promotions: Array<{ alias: string; from: string | null; to: string; status: string; reason: string }> }).promotions;
    expect(trail.filter((p) => p.alias === 'champion').map((p) => [p.from, p.to, p.status])).toEqual([
      [v2, v4, 'done'],
      [null, v2, 'done'],
    ]);
    const textHistory = await ws.cli(['models', 'history', 'churn']);
    expect(textHistory.stdout).toContain(`promoted version ${v4} to champion (was version ${v2})`);
    const unknown = await ws.cli(['models', 'history', 'chrun']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('did you mean "churn"');
  });

  it('blocks on an absolute threshold and on a metric the run never logged; nothing changes', async () => {
    await job.register({ metrics: { val_auc: 0.75 }, alias: 'challenger' });
    writeSpec();
    const plan = await jsonPlan();
    const d = decision(plan);
    expect(d.outcome).toBe('blocked');
    expect(d.gates.filter((g) => !g.passed).map((g) => g.gate)).toEqual(['val_auc >= 0.8', 'latency_p95_ms <= 200'].map((g) => d.gates.find((x) => x.gate.startsWith(g.split(' ')[0]!) && x.type === 'metric')!.gate));
    expect(d.gates.find((g) => g.gate.startsWith('latency'))!.measured).toBeNull();
    expect(plan.registry!.steps.filter((s) => s.op === 'set-alias')).toEqual([]);
    expect((await ws.cli(['apply'], env)).code).toBe(0);
    expect(await job.alias('champion')).toBeUndefined();
    expect(await ws.sql('SELECT 1 FROM labctl.promotions')).toEqual([]);
  });

  it('checks minimum age and required tags, and picks the newest version with the candidate tags', async () => {
    const [, , v3] = await job.register(
      { metrics: { val_auc: 0.9 }, tags: { validation_status: 'approved' } },
      { metrics: { val_auc: 0.95 }, tags: { validation_status: 'pending' } },
      { metrics: { val_auc: 0.91 }, tags: { validation_status: 'approved' } },
    );
    writeSpec({}, { newestWithTags: { validation_status: 'approved' }, metrics: ['val_auc >= 0.8'], minAge: '1h', tags: { validation_status: 'approved' } });
    const young = decision(await jsonPlan());
    expect(young.candidate).toBe(v3);
    expect(young.outcome).toBe('blocked');
    expect(young.gates.find((g) => g.type === 'age')!.passed).toBe(false);
    expect(young.gates.find((g) => g.type === 'tag')!.passed).toBe(true);

    writeSpec({}, { newestWithTags: { validation_status: 'approved' }, metrics: ['val_auc >= 0.8'], minAge: '0s' });
    expect((await ws.cli(['apply'], env)).code).toBe(0);
    expect(await job.alias('champion')).toBe(v3);
  });

  it('reports a hand-moved policy alias (onDrift: report), restores it with onDrift: restore, and always restores a pinned alias', async () => {
    const [v1, v2] = await job.register({ metrics: { val_auc: 0.83, latency_p95_ms: 150 } }, { metrics: { val_auc: 0.85, latency_p95_ms: 140 }, alias: 'challenger' });
    writeSpec({ pinned: { baseline: v1! } });
    expect((await ws.cli(['apply'], env)).code).toBe(0);
    // A hand rollback of champion, and a hand move of the pinned alias.
    await mlflow.setAlias(mlflowName, 'champion', v1!);
    await mlflow.setAlias(mlflowName, 'baseline', v2!);

    const reported = await jsonPlan();
    expect(decision(reported).outcome).toBe('held');
    expect(decision(reported).message).toContain(`moved by hand to version ${v1}`);
    const pin = reported.registry!.steps.find((s) => s.op === 'set-alias' && s.alias === 'baseline');
    expect(pin).toMatchObject({ version: v1, from: v2, reason: 'restore', drift: true });
    expect(reported.registry!.steps.some((s) => s.op === 'set-alias' && s.alias === 'champion')).toBe(false);
    expect((await ws.cli(['apply'], env)).code).toBe(0);
    expect(await job.alias('baseline')).toBe(v1);
    expect(await job.alias('champion')).toBe(v1);

    writeSpec({ pinned: { baseline: v1! } }, { onDrift: 'restore' });
    const restoring = await jsonPlan();
    expect(decision(restoring).outcome).toBe('restore');
    expect((await ws.cli(['apply'], env)).code).toBe(0);
    expect(await job.alias('champion')).toBe(v2);
    const last = await ws.sql<{ reason: string; from_version: string; to_version: string }>("SELECT reason, from_version, to_version FROM labctl.promotions WHERE alias = 'champion' ORDER BY id DESC LIMIT 1");
    expect(last[0]).toEqual({ reason: 'restore', from_version: v1, to_version: v2 });
  });

  it('completes MLflow steps left pending by a crash between the commit and the MLflow calls (apply --resume, then idempotent)', async () => {
    const [v1] = await job.register({ metrics: { val_auc: 0.83, latency_p95_ms: 150 }, alias: 'challenger' });
    writeSpec();
    await applyThenCrash();
    expect(await job.alias('champion')).toBeUndefined();
    const pending = await ws.sql<{ status: string }>('SELECT status FROM labctl.mlflow_journal ORDER BY id');
    expect(pending.map((r) => r.status)).toEqual(['pending', 'pending', 'pending']);
    const status = await ws.cli(['status']);
    expect(status.stdout).toContain('3 step(s) pending');
    expect((await ws.sql<{ status: string }>('SELECT status FROM labctl.promotions'))[0]!.status).toBe('pending');

    const resumed = await ws.cli(['apply', '--resume'], env);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain(`✓ MLflow: promote ${mlflowName} version ${v1} to champion`);
    expect(await job.alias('champion')).toBe(v1);
    expect((await mlflow.getModelVersion(mlflowName, v1!))!.tags['labctl.git_sha']).toBe('abc123');
    const rows = await ws.sql<{ status: string; actor: string }>('SELECT status, actor FROM labctl.promotions');
    expect(rows).toEqual([{ status: 'done', actor: 'crashed' }]);

    const twice = await ws.cli(['apply', '--resume'], env);
    expect(twice.stdout).toContain('No pending MLflow steps.');
    const plan = await ws.cli(['plan', '--detailed-exitcode'], env);
    expect(plan.code, plan.stdout).toBe(0);
  });

  it('a plain apply first completes steps an earlier apply left pending', async () => {
    const [v1] = await job.register({ metrics: { val_auc: 0.83, latency_p95_ms: 150 }, alias: 'challenger' });
    writeSpec();
    await applyThenCrash();
    const applied = await ws.cli(['apply'], env);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain(`✓ MLflow: earlier apply: promote ${mlflowName} version ${v1} to champion`);
    expect(applied.stdout).toContain('No changes.');
    expect(await job.alias('champion')).toBe(v1);
    expect(await ws.sql("SELECT 1 FROM labctl.mlflow_journal WHERE status <> 'done'")).toEqual([]);
  });

  it('the watch reconciler promotes, and a later reconcile picks up a new challenger', async () => {
    const [v1] = await job.register({ metrics: { val_auc: 0.83, latency_p95_ms: 150 }, alias: 'challenger' });
    writeSpec();
    await ws.withDb(async (db) => {
      const logs: string[] = [];
      const r = new Reconciler({ db, load: async () => new SpecLoader().load(await readSpecDir(ws.dir)), actor: async () => 'watcher', git: async () => ({ sha: 'unknown', dirty: false }), env, log: (l) => logs.push(l) });
      try {
        await r.reconcileNow();
        expect(r.status.state, r.status.lastError ?? '').toBe('Ready');
        expect(await job.alias('champion')).toBe(v1);
        expect(logs.join('\n')).toContain(`MLflow: promote ${mlflowName} version ${v1} to champion: done`);
        const [v2] = await job.register({ metrics: { val_auc: 0.9, latency_p95_ms: 150 }, alias: 'challenger' });
        await r.reconcileNow();
        expect(await job.alias('champion')).toBe(v2);
        expect((await readModelAliases(db)).get('churn')).toMatchObject({ champion: v2, challenger: v2 });
      } finally {
        await r.stop();
      }
    });
  });

  it('canary: an experiment variant referencing churn@challenger is served the version MLflow resolves, and follows a new challenger', async () => {
    const [, v2] = await job.register({ metrics: { val_auc: 0.83, latency_p95_ms: 150 } }, { metrics: { val_auc: 0.85, latency_p95_ms: 140 }, alias: 'challenger' });
    writeSpec();
    ws.write(
      'experiments/churn-canary.yaml',
      [
        'kind: Experiment',
        'name: churn-canary',
        'status: running',
        'variants:',
        '  - { key: champion, weight: 90, value: { model: churn@champion } }',
        '  - { key: challenger, weight: 10, value: { model: churn@challenger } }',
        'overrides: { qa-1: challenger, qa-2: champion }',
      ].join('\n') + '\n',
    );
    expect((await ws.cli(['apply'], env)).code).toBe(0);
    const served = async () => {
      const snap = await ws.withDb((db) => loadAppliedSnapshot(db));
      return { challenger: assign(snap, 'churn-canary', { user_id: 'qa-1' }).model, champion: assign(snap, 'churn-canary', { user_id: 'qa-2' }).model };
    };
    const first = await served();
    expect(first.challenger).toEqual({ name: 'churn', mlflowName, alias: 'challenger', version: v2, uri: `models:/${mlflowName}/${v2}` });
    expect(first.champion?.version).toBe(v2);
    // The training job registers a new challenger; the next apply records it and the runtime follows.
    const [v3] = await job.register({ metrics: { val_auc: 0.851, latency_p95_ms: 140 }, alias: 'challenger' });
    expect((await ws.cli(['apply'], env)).code).toBe(0);
    const second = await served();
    expect(second.challenger?.version).toBe(v3);
    expect(second.champion?.version).toBe(v2);
  });

  it('plan --base shows the promotion decision in a pull request, with no database', async () => {
    const [v1] = await job.register({ metrics: { val_auc: 0.83, latency_p95_ms: 150 }, alias: 'challenger' });
    const repo = createRepo({ samples: false });
    repo.write('models/churn.yaml', modelYaml({ name: 'churn', mlflowName, tags: { team: 'growth' } }));
    repo.commit('the model, without a policy');
    repo.write('models/churn.yaml', modelYaml({ name: 'churn', mlflowName, tags: { team: 'growth' }, policy: { name: 'churn-champion', metrics: ['val_auc >= 0.9'] } }));
    const r = await cli(['plan', '--base', 'HEAD', '--format', 'markdown'], { cwd: repo.dir, env: { ...env, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`**churn-champion**: version ${v1} (alias challenger) is blocked`);
    expect(r.stdout).toMatch(/✗ val_auc 0\.83\d* ≥ 0\.9/);
  });

  it('applies a saved plan with its promotion, and renders the registry section in markdown', async () => {
    const [v1] = await job.register({ metrics: { val_auc: 0.83, latency_p95_ms: 150 }, alias: 'challenger' });
    writeSpec();
    const md = await ws.cli(['plan', '--format', 'markdown', '--out', 'plan.json'], env);
    expect(md.code, md.stderr).toBe(0);
    expect(md.stdout).toContain('#### Model registry');
    expect(md.stdout).toContain(`**churn-champion**: promote version ${v1} (alias challenger) to champion`);
    expect(md.stdout).toContain('MLflow: 3 steps, 1 promotion.');
    const applied = await ws.cli(['apply', 'plan.json'], env);
    expect(applied.code, applied.stderr).toBe(0);
    expect(await job.alias('champion')).toBe(v1);
    expect((await ws.cli(['plan', '--detailed-exitcode'], env)).code).toBe(0);
  });

  it('refuses a saved plan when MLflow moved since planning (exit 3)', async () => {
    await job.register({ metrics: { val_auc: 0.83, latency_p95_ms: 150 }, alias: 'challenger' });
    writeSpec();
    expect((await ws.cli(['plan', '--out', 'plan.json'], env)).code).toBe(0);
    await job.register({ metrics: { val_auc: 0.9, latency_p95_ms: 150 }, alias: 'challenger' });
    const stale = await ws.cli(['apply', 'plan.json'], env);
    expect(stale.code, stale.stderr).toBe(3);
    expect(stale.stderr).toContain('churn (in MLflow)');
    expect(await job.alias('champion')).toBeUndefined();
    const noUri = await ws.cli(['apply', 'plan.json']);
    expect(noUri.code).toBe(3);
    expect(noUri.stderr).toContain('MLFLOW_TRACKING_URI is not set');
  });

  it('creates a declared model that MLflow lacks, with its description and tags', async () => {
    writeSpec();
    const plan = await jsonPlan();
    expect(plan.registry!.steps.map((s) => s.op)).toEqual(['create-model']);
    expect(decision(plan).outcome).toBe('waiting');
    expect((await ws.cli(['apply'], env)).code).toBe(0);
    const rm = (await mlflow.getRegisteredModel(mlflowName))!;
    expect(rm.description).toBe('Predicts churn.');
    expect(rm.tags).toMatchObject({ team: 'growth' });
    // A tag dropped from the spec is deleted; tags labctl does not manage are left alone.
    await mlflow.setRegisteredModelTag(mlflowName, 'owner-notes', 'hand-written');
    writeSpec({ tags: {} });
    expect((await ws.cli(['apply'], env)).code).toBe(0);
    const after = (await mlflow.getRegisteredModel(mlflowName))!;
    expect(after.tags.team).toBeUndefined();
    expect(after.tags['owner-notes']).toBe('hand-written');
  });

  it('never treats an MLflow prompt as a model', async () => {
    await mlflow.createRegisteredModel({ name: mlflowName, tags: { 'mlflow.prompt.is_prompt': 'true' } });
    writeSpec();
    const r = await ws.cli(['plan'], env);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toContain('mlflow-name-is-prompt');
  });

  it('sends the Bearer token or Basic credentials from the MLflow environment variables', async () => {
    await job.register({ metrics: { val_auc: 0.83, latency_p95_ms: 150 }, alias: 'challenger' });
    writeSpec();
    const seen: Array<string | undefined> = [];
    const { uri, close } = await mlflowProxy((req) => {
      seen.push(req.headers.authorization);
      return undefined;
    });
    try {
      const bearer = await ws.cli(['plan'], { MLFLOW_TRACKING_URI: uri, MLFLOW_TRACKING_TOKEN: 's3cret' });
      expect(bearer.code, bearer.stderr).toBe(0);
      expect(seen.length).toBeGreaterThan(0);
      expect(new Set(seen)).toEqual(new Set(['Bearer s3cret']));
      seen.length = 0;
      const basic = await ws.cli(['plan'], { MLFLOW_TRACKING_URI: uri, MLFLOW_TRACKING_USERNAME: 'ana', MLFLOW_TRACKING_PASSWORD: 'pw' });
      expect(basic.code, basic.stderr).toBe(0);
      expect(new Set(seen)).toEqual(new Set([`Basic ${Buffer.from('ana:pw').toString('base64')}`]));
    } finally {
      await close();
    }
  });

  it('keeps the database applied and the steps pending when MLflow fails after the commit; --resume finishes them', async () => {
    const [v1] = await job.register({ metrics: { val_auc: 0.83, latency_p95_ms: 150 }, alias: 'challenger' });
    writeSpec();
    // MLflow answers reads, but setting an alias fails with 503 (an overloaded server or proxy).
    const { uri, close } = await mlflowProxy((req) => (req.method === 'POST' && req.url?.includes('registered-models/alias') ? 503 : undefined));
    try {
      const failed = await ws.cli(['apply'], { MLFLOW_TRACKING_URI: uri, MLFLOW_HTTP_REQUEST_MAX_RETRIES: '0' });
      expect(failed.code).toBe(1);
      expect(failed.stderr).toMatch(/the database was applied \(revision \w+\), but 1 MLflow step\(s\) are pending/);
      expect(failed.stderr).toContain('labctl apply --resume');
    } finally {
      await close();
    }
    expect(await ws.sql('SELECT name FROM labctl.models')).toEqual([{ name: 'churn' }]);
    expect(await job.alias('champion')).toBeUndefined();
    const journal = await ws.sql<{ status: string; error: string | null }>('SELECT status, error FROM labctl.mlflow_journal ORDER BY id');
    expect(journal.map((j) => j.status)).toEqual(['done', 'done', 'pending']);
    expect(journal[2]!.error).toContain('503');
    const resumed = await ws.cli(['apply', '--resume'], env);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(await job.alias('champion')).toBe(v1);
  });
});

describe('models without a reachable MLflow', () => {
  let ws: Workspace | undefined;
  beforeEach(async () => {
    ws = await createWorkspace('pglite', { samples: false, state: 'migrated' });
    ws.write('models/churn.yaml', modelYaml({ name: 'churn', mlflowName: 'churn_classifier', policy: { name: 'churn-champion', metrics: GATES } }));
  });
  afterEach(async () => {
    await ws?.dispose();
  });

  it('validates and plans without MLFLOW_TRACKING_URI, listing models and policies as skipped', async () => {
    expect((await ws!.cli(['validate'])).code).toBe(0);
    const r = await ws!.cli(['plan', '--detailed-exitcode'], { MLFLOW_TRACKING_URI: undefined });
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('Model churn: skipped: MLflow not configured');
    expect(r.stdout).toContain('PromotionPolicy churn-champion: skipped: MLflow not configured');
    const applied = await ws!.cli(['apply'], { MLFLOW_TRACKING_URI: undefined });
    expect(applied.code, applied.stderr).toBe(0);
    expect(await ws!.sql('SELECT name, mlflow_name FROM labctl.models')).toEqual([{ name: 'churn', mlflow_name: 'churn_classifier' }]);
  });

  it('the watch reconciler applies experiments while MLflow is down, reports it, and retries the models', async () => {
    ws!.write('experiments/button.yaml', 'kind: Experiment\nname: button\nstatus: running\nvariants:\n  - { key: a, weight: 1 }\n  - { key: b, weight: 1 }\n');
    const port = await closedPort();
    await ws!.withDb(async (db) => {
      const logs: string[] = [];
      const r = new Reconciler({
        db,
        load: async () => new SpecLoader().load(await readSpecDir(ws!.dir)),
        actor: async () => 'watcher',
        git: async () => ({ sha: 'unknown', dirty: false }),
        env: { MLFLOW_TRACKING_URI: `http://127.0.0.1:${port}`, MLFLOW_HTTP_REQUEST_MAX_RETRIES: '0' },
        log: (l) => logs.push(l),
        maxBackoffMs: 60_000,
      });
      try {
        await r.reconcileNow();
        expect(r.status.state).toBe('Stalled');
        expect(r.status.lastError).toMatch(/^MLflow: cannot reach MLflow at .*; the database is applied, models and policies are retried$/);
        expect(r.status.lastAppliedRevision).toBeTruthy();
        expect(await db.query('SELECT name FROM labctl.experiments')).toEqual([{ name: 'button' }]);
        expect(await db.query('SELECT name FROM labctl.models')).toEqual([{ name: 'churn' }]);
        expect(logs.join('\n')).toMatch(/models and policies are retried; retrying in/);
      } finally {
        await r.stop();
      }
    });
  });

  it('fails plan with a one-line reason when MLflow is set but unreachable, and applies nothing', async () => {
    const port = await closedPort();
    const r = await ws!.cli(['plan'], { MLFLOW_TRACKING_URI: `http://127.0.0.1:${port}`, MLFLOW_HTTP_REQUEST_MAX_RETRIES: '0' });
    expect(r.code).toBe(1);
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('error:'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(`cannot reach MLflow at http://127.0.0.1:${port}/`);
    const a = await ws!.cli(['apply'], { MLFLOW_TRACKING_URI: `http://127.0.0.1:${port}`, MLFLOW_HTTP_REQUEST_MAX_RETRIES: '0' });
    expect(a.code).toBe(1);
    expect(await ws!.sql('SELECT 1 FROM labctl.models')).toEqual([]);
  });
});

describe('reading many models from MLflow', () => {
  it('one search page finds 25 managed models; a prompt entry and a missing name are told apart by GET', async (ctx) => {
    ctx.skip(!MLFLOW, 'TEST_MLFLOW_URI unavailable');
    const client = new MlflowTestClient({ trackingUri: MLFLOW! });
    // Names that sort first, so the first search page holds them on a server shared with other runs.
    const prefix = uniqueName('0many');
    const names = Array.from({ length: 25 }, (_, i) => `${prefix}-${String(i).padStart(2, '0')}`);
    await Promise.all(names.slice(0, 23).map((name) => client.createRegisteredModel({ name, tags: { team: 'bench' } })));
    await client.createRegisteredModel({ name: names[23]!, tags: { 'mlflow.prompt.is_prompt': 'true' } });
    // names[24] does not exist.
    client.resetStats();
    const observed = await observeModels(client, names.map((n, i) => ({ model: `m${i}`, mlflowName: n })));
    expect([...observed.values()].filter((o) => o.exists && !o.isPrompt).map((o) => o.mlflowName).sort()).toEqual(names.slice(0, 23));
    expect(observed.get('m23')).toMatchObject({ exists: true, isPrompt: true, versions: [] });
    expect(observed.get('m24')).toMatchObject({ exists: false });
    const by = client.stats.byEndpoint;
    expect(by['GET /api/2.0/mlflow/registered-models/get']).toBe(2);
    expect(by['GET /api/2.0/mlflow/registered-models/search'] ?? 0).toBeGreaterThanOrEqual(1);
    expect(by['GET /api/2.0/mlflow/model-versions/search']).toBe(23);
  });
});
