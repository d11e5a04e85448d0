import { describe, expect, it, vi } from 'vitest';
import { MlflowError, type Run } from '../../adapters/mlflow/index.js';
import { requireMlflow, uniqueName } from '../helpers/mlflow.js';
import { MlflowTestClient } from '../helpers/mlflow-test-client.js';

// The typed MLflow client against a real `mlflow server` (CI starts one and sets TEST_MLFLOW_URI;
// under CI=true a missing server fails here instead of skipping). The server is shared between
// runs and keeps everything, so every name is unique.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const MLFLOW = await requireMlflow();
const PROMPT_TAG = 'mlflow.prompt.is_prompt';

async function failure(p: Promise<unknown>): Promise<MlflowError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(MlflowError);
  return e as MlflowError;
}

describe.skipIf(!MLFLOW)('MLflow REST client (real MLflow server)', () => {
  const client = (opts: { concurrency?: number } = {}) => new MlflowTestClient({ trackingUri: MLFLOW!, ...opts });

  /** An experiment and a run in it, with losses logged at steps 0..n-1 and an accuracy. */
  async function loggedRun(c: MlflowTestClient, n: number): Promise<{ experimentId: string; run: Run; losses: number[] }> {
    const experimentId = await c.createExperiment(uniqueName('labctl-client'));
    const run = await c.createRun({ experimentId, runName: 'train', startTime: 1_700_000_000_000, tags: { team: 'ml' } });
    const losses = Array.from({ length: n }, (_, i) => Number((1 / (i + 1)).toFixed(6)));
    await c.logBatch(run.runId, {
      metrics: [...losses.map((value, step) => ({ key: 'loss', value, step, timestamp: 1_700_000_000_000 + step })), { key: 'accuracy', value: 0.93, step: 4, timestamp: 1_700_000_000_500 }],
      params: { lr: '0.01', epochs: String(n) },
      tags: { stage: 'train' },
    });
    return { experimentId, run, losses };
  }

  it('creates an experiment (a second create is isAlreadyExists) and finds it by name', async () => {
    const c = client();
    const name = uniqueName('labctl-exp');
    const id = await c.createExperiment(name);
    expect(id).toMatch(/^\d+$/);
    expect(await c.getExperimentByName(name)).toEqual({ experimentId: id, name, lifecycleStage: 'active' });
    const e = await failure(c.createExperiment(name));
    expect(e.isAlreadyExists).toBe(true);
    expect(e.status).toBe(400);
    expect(await c.getExperimentByName(uniqueName('labctl-no-such-exp'))).toBeUndefined();
  });

  it('logs a run and reads back the latest metric values, params, tags and the full history across pages', async () => {
    const c = client();
    const { experimentId, run, losses } = await loggedRun(c, 7);
    expect(run).toMatchObject({ experimentId, status: 'RUNNING', runName: 'train', startTime: 1_700_000_000_000, tags: { team: 'ml' } });
    expect(run.runId).toMatch(/^[0-9a-f]{32}$/);

    const got = await c.getRun(run.runId);
    expect(got).toBeDefined();
    // runs/get reports the value at the highest step: the last one logged here.
    expect(got!.metrics).toEqual({
      loss: { value: losses[6], step: 6, timestamp: 1_700_000_000_006 },
      accuracy: { value: 0.93, step: 4, timestamp: 1_700_000_000_500 },
    });
    expect(got!.params).toEqual({ lr: '0.01', epochs: '7' });
    expect(got!.tags).toMatchObject({ team: 'ml', stage: 'train', 'mlflow.runName': 'train' });

    c.resetStats();
    const history = await c.getMetricHistory(run.runId, 'loss', { pageSize: 3 });
    expect(history).toEqual(losses.map((value, step) => ({ value, step, timestamp: 1_700_000_000_000 + step })));
    // 7 points in pages of 3: three requests, following the server's page tokens.
    expect(c.stats.byEndpoint['GET /api/2.0/mlflow/metrics/get-history']).toBe(3);
    expect(await c.getMetricHistory(run.runId, 'loss')).toEqual(history);
    expect(await c.getMetricHistory(run.runId, 'no-such-metric')).toEqual([]);

    await c.updateRun(run.runId, 'FINISHED');
    const done = await c.getRun(run.runId);
    expect(done!.status).toBe('FINISHED');
    expect(done!.endTime).toBeGreaterThanOrEqual(done!.startTime!);
    expect(await c.getRun('0123456789abcdef0123456789abcdef')).toBeUndefined();
  });

  it('logs NaN, and a repeated batch (what a retry sends) leaves the history as it was', async () => {
    const c = client();
    const experimentId = await c.createExperiment(uniqueName('labctl-client'));
    const { runId } = await c.createRun({ experimentId });
    await c.logBatch(runId, { metrics: [{ key: 'score', value: Number.NaN, step: 0, timestamp: 10 }] });
    const batch = { metrics: [{ key: 'score', value: 2, step: 1, timestamp: 11 }, { key: 'score', value: 3, step: 2, timestamp: 12 }], params: { seed: '1' }, tags: { t: 'x' } };
    await c.logBatch(runId, batch);
    await c.logBatch(runId, batch); // identical points are skipped, an unchanged param accepted, tags overwritten
    const history = await c.getMetricHistory(runId, 'score');
    expect(history).toHaveLength(3);
    expect(history[0]!.value).toBeNaN();
    expect(history.slice(1)).toEqual([
      { value: 2, step: 1, timestamp: 11 },
      { value: 3, step: 2, timestamp: 12 },
    ]);
    expect((await c.getRun(runId))!.params).toEqual({ seed: '1' });
    const e = await failure(c.logBatch(runId, { params: { seed: '2' } }));
    expect(e.code).toBe('INVALID_PARAMETER_VALUE');
  });

  it('registers a model (twice is isAlreadyExists), versions from a run, and searches them', async () => {
    const c = client();
    const { run } = await loggedRun(c, 2);
    const name = uniqueName('labctl-model');
    const model = await c.createRegisteredModel({ name, description: 'churn model', tags: { team: 'ml' } });
    expect(model).toMatchObject({ name, description: 'churn model', tags: { team: 'ml' }, aliases: {} });
    const again = await failure(c.createRegisteredModel({ name }));
    expect(again.isAlreadyExists).toBe(true);
    expect(again.status).toBe(400);

    const v1 = await c.createModelVersion({ name, source: `runs:/${run.runId}/model`, runId: run.runId, tags: { 'labctl.version': 'a' } });
    const v2 = await c.createModelVersion({ name, source: `runs:/${run.runId}/model`, runId: run.runId });
    expect([v1.version, v2.version]).toEqual(['1', '2']);
    expect(v1).toMatchObject({ name, runId: run.runId, status: 'READY', tags: { 'labctl.version': 'a' } });

    const got = await c.getModelVersion(name, '1');
    expect(got).toMatchObject({ name, version: '1', runId: run.runId, source: `runs:/${run.runId}/model` });
    expect(await c.getModelVersion(name, '9')).toBeUndefined();
    expect(await c.getModelVersion(uniqueName('labctl-no-such-model'), '1')).toBeUndefined();

    const versions = await c.searchAllModelVersions({ filter: `name = '${name}'`, maxResults: 1 });
    expect(versions.map((v) => v.version).sort()).toEqual(['1', '2']);
  });

  it('pages through registered models and never returns prompt entries', async () => {
    const c = client({ concurrency: 4 });
    const prefix = uniqueName('labctl-search');
    const names = [`${prefix}-a`, `${prefix}-b`, `${prefix}-c`];
    await Promise.all(names.map((name) => c.createRegisteredModel({ name })));
    const prompt = `${prefix}-prompt`;
    await c.createRegisteredModel({ name: prompt, tags: { [PROMPT_TAG]: 'true' } });
    expect((await c.getRegisteredModel(prompt))?.tags[PROMPT_TAG]).toBe('true');

    c.resetStats();
    const found = await c.searchAllRegisteredModels({ filter: `name LIKE '${prefix}-%'`, maxResults: 1 });
    expect(found.map((m) => m.name).sort()).toEqual(names);
    expect(c.stats.byEndpoint['GET /api/2.0/mlflow/registered-models/search']).toBeGreaterThanOrEqual(3);

    const first = await c.searchRegisteredModels({ filter: `name LIKE '${prefix}-%'`, maxResults: 2, orderBy: ['name DESC'] });
    expect(first.registeredModels.map((m) => m.name)).toEqual([`${prefix}-c`, `${prefix}-b`]);
    expect(first.nextPageToken).toBeDefined();
    const second = await c.searchRegisteredModels({ filter: `name LIKE '${prefix}-%'`, maxResults: 2, orderBy: ['name DESC'], pageToken: first.nextPageToken });
    expect(second.registeredModels.map((m) => m.name)).toEqual([`${prefix}-a`]);
    expect(second.nextPageToken).toBeUndefined();

    // Asked for prompts explicitly, the server sends the prompt entry; the client still drops it.
    expect(await c.searchAllRegisteredModels({ filter: `name LIKE '${prefix}-%' AND tags.\`${PROMPT_TAG}\` = 'true'` })).toEqual([]);
    const raw = await c.request<{ registered_models?: Array<{ name: string }> }>('GET', 'registered-models/search', {
      query: { filter: `name LIKE '${prefix}-%' AND tags.\`${PROMPT_TAG}\` = 'true'` },
      idempotent: true,
    });
    expect(raw.registered_models?.map((m) => m.name)).toEqual([prompt]);
  });

  it('sets, reads, moves and deletes aliases; deleting a missing alias or model is done', async () => {
    const c = client();
    const name = uniqueName('labctl-alias');
    await c.createRegisteredModel({ name });
    await c.createModelVersion({ name, source: 'mlflow-artifacts:/labctl/v1' });
    await c.createModelVersion({ name, source: 'mlflow-artifacts:/labctl/v2' });

    await c.setAlias(name, 'champion', '1');
    expect((await c.getModelVersionByAlias(name, 'champion'))?.version).toBe('1');
    await c.setAlias(name, 'champion', '2');
    expect((await c.getModelVersionByAlias(name, 'champion'))?.version).toBe('2');
    expect((await c.getRegisteredModel(name))?.aliases).toEqual({ champion: '2' });
    expect((await c.getModelVersion(name, '2'))?.aliases).toEqual(['champion']);

    await c.deleteAlias(name, 'champion');
    expect(await c.getModelVersionByAlias(name, 'champion')).toBeUndefined();
    expect((await c.getRegisteredModel(name))?.aliases).toEqual({});
    await c.deleteAlias(name, 'champion'); // gone already
    await c.deleteAlias(name, 'never-set');
    await c.deleteAlias(uniqueName('labctl-no-such-model'), 'champion');
    const reserved = await failure(c.deleteAlias(name, 'latest'));
    expect(reserved.code).toBe('INVALID_PARAMETER_VALUE');
  });

  it('sets and deletes tags on a model and a version', async () => {
    const c = client();
    const name = uniqueName('labctl-tags');
    await c.createRegisteredModel({ name });
    await c.createModelVersion({ name, source: 'mlflow-artifacts:/labctl/v1' });

    await c.setRegisteredModelTag(name, 'team', 'ml');
    await c.setRegisteredModelTag(name, 'keep', 'yes');
    await c.setModelVersionTag(name, '1', 'labctl.version', 'h1');
    expect((await c.getRegisteredModel(name))?.tags).toEqual({ team: 'ml', keep: 'yes' });
    expect((await c.getModelVersion(name, '1'))?.tags).toEqual({ 'labctl.version': 'h1' });

    await c.deleteRegisteredModelTag(name, 'team');
    await c.deleteModelVersionTag(name, '1', 'labctl.version');
    expect((await c.getRegisteredModel(name))?.tags).toEqual({ keep: 'yes' });
    expect((await c.getModelVersion(name, '1'))?.tags).toEqual({});

    // A tag that is not there is fine; a model or version that is not there is not.
    await c.deleteRegisteredModelTag(name, 'team');
    await c.deleteModelVersionTag(name, '1', 'labctl.version');
    expect((await failure(c.deleteRegisteredModelTag(uniqueName('labctl-no-such-model'), 'team'))).isNotFound).toBe(true);
    expect((await failure(c.deleteModelVersionTag(name, '9', 'team'))).isNotFound).toBe(true);
  });

  it('answers many parallel calls with at most `concurrency` in flight', async () => {
    let open = 0;
    let max = 0;
    const counting: typeof fetch = async (input, init) => {
      open++;
      max = Math.max(max, open);
      try {
        const res = await fetch(input, init);
        // The client reads the body inside its slot: count until it is read.
        const body = await res.text();
        return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
      } finally {
        open--;
      }
    };
    const c = new MlflowTestClient({ trackingUri: MLFLOW!, concurrency: 3, fetch: counting });
    const name = uniqueName('labctl-parallel');
    await c.createRegisteredModel({ name });
    c.resetStats();
    const got = await Promise.all(Array.from({ length: 24 }, () => c.getRegisteredModel(name)));
    expect(got.every((m) => m?.name === name)).toBe(true);
    expect(max).toBe(3);
    expect(c.stats).toEqual({ requests: 24, byEndpoint: { 'GET /api/2.0/mlflow/registered-models/get': 24 } });
  });
});
