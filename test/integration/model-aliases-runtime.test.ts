// The canary hook, runtime side: experiment variants reference `model: NAME@ALIAS`; the runtime
// answers the MLflow version the alias points at, read from labctl.model_aliases (written by apply
// after talking to MLflow). A promotion changes only those rows, so the served revision carries a
// token of them and replicas reload on NOTIFY (or on the next poll) to pick it up.
// Specs are applied for real (no MLflow: models are skipped in MLflow but their specs are stored);
// the alias rows are written here as apply writes them. Needs the built CLI (`npx tsc -p .`).
import { afterEach, describe, expect, it } from 'vitest';
import { CHANGES_CHANNEL } from '../../core/channels.js';
import type { Database } from '../../core/db.js';
import { modelAliasesToken, readModelAliases, replaceModelAliases } from '../../adapters/state/model-aliases.js';
import { openDatabase } from '../../adapters/db/open.js';
import { hashUnit } from '../../engine/assignment/hash.js';
import { LiveSnapshot } from '../../runtime/live/live.js';
import { readAppliedRevision } from '../../runtime/live/load.js';
import { assertFreshBuild } from '../helpers/build.js';
import { cli } from '../helpers/cli.js';
import { createWorkspace, engines, useWorkspace, waitFor, type Workspace } from '../helpers/engines.js';
import { spawnServe, type ServeProcess } from '../helpers/serve.js';
import { currentProcess } from '../../cli/host.js';

const ENGINES = await engines();
const PG = ENGINES.find((e) => e.name === 'postgres')!.available;
if (PG) assertFreshBuild();

/** No MLflow: apply stores Model specs and reports them skipped in MLflow. */
const NO_MLFLOW = { MLFLOW_TRACKING_URI: undefined };

const MODELS = `kind: Model
name: churn-classifier
mlflowName: churn_classifier
aliases:
  champion: { policy: churn-champion }
  baseline: { version: 3 }
---
kind: PromotionPolicy
name: churn-champion
model: churn-classifier
candidate:
  alias: challenger
target: champion
gates:
  metrics:
    - val_auc >= 0.80
onDrift: report
`;

const CANARY = `kind: Experiment
name: churn-canary
status: running
unit: user_id
variants:
  - key: champion
    weight: 80
    value: { model: churn-classifier@champion, threshold: 0.4 }
  - key: challenger
    weight: 10
    value: { model: churn-classifier@challenger, threshold: 0.4 }
  - key: baseline
    weight: 10
    value: { model: churn-classifier@baseline, threshold: 0.5 }
---
kind: Experiment
name: button
status: running
unit: user_id
variants:
  - { key: control, weight: 1, value: { color: blue } }
  - { key: green, weight: 1, value: { color: green } }
`;

const UNITS = Array.from({ length: 5000 }, (_, i) => `u${i}`);
const unitIn = (lo: number, hi: number) => UNITS.find((u) => hashUnit('churn-canary', u) >= lo && hashUnit('churn-canary', u) < hi)!;
const U_CHAMPION = unitIn(0, 0.8);
const U_CHALLENGER = unitIn(0.8, 0.9);
const U_BASELINE = unitIn(0.9, 1);

function writeSpecs(ws: Workspace): void {
  ws.write('models/churn.yaml', MODELS);
  ws.write('experiments/canary.yaml', CANARY);
}

async function applySpecs(ws: Workspace): Promise<string> {
  const r = await ws.cli(['apply'], NO_MLFLOW);
  expect(r.stderr).not.toMatch(/error/i);
  expect(r.code).toBe(0);
  const revision = /Revision ([0-9a-f]{12})/.exec(r.stdout)?.[1];
  expect(revision).toBeDefined();
  return revision!;
}

/** Replace the model's alias rows and notify, in one transaction, as apply does after reading MLflow. */
async function promote(db: Database, aliases: Record<string, string>, notify = true): Promise<void> {
  await db.transaction(async (tx) => {
    await replaceModelAliases(tx, 'churn-classifier', aliases);
    if (notify) await tx.query('SELECT pg_notify($1, $2)', [CHANGES_CHANNEL, 'registry']);
  });
}

interface Answer {
  revision: string;
  variant: string;
  value: unknown;
  inExperiment: boolean;
  reason: string;
  model?: { name: string; mlflowName: string; alias: string; version: string | null; uri: string | null };
}

async function get(base: string, experiment: string, unit: string): Promise<Answer> {
  const res = await fetch(`${base}/v1/assign/${experiment}?user_id=${unit}&log=false`);
  expect(res.status).toBe(200);
  const body = (await res.json()) as Answer;
  expect(res.headers.get('x-labctl-revision')).toBe(body.revision);
  return body;
}

/** The map as plain nested objects (alias records have no prototype). */
const plain = (m: Map<string, Record<string, string>>) => Object.fromEntries([...m].map(([k, v]) => [k, { ...v }]));

describe.each(ENGINES)('labctl.model_aliases on $name', ({ name, available }) => {
  const ws = useWorkspace(name, available, { samples: false, state: 'migrated' });

  it('replaceModelAliases reports changes, touches only changed rows; readModelAliases and the token follow', async () => {
    await ws().withDb(async (db) => {
      expect(await readModelAliases(db)).toEqual(new Map());
      expect(await readAppliedRevision(db)).toBe('empty');
      expect(await replaceModelAliases(db, 'churn', { champion: '7', challenger: '8' })).toBe(true);
      expect(await replaceModelAliases(db, 'fraud', { production: '12' })).toBe(true);
      const first = await readModelAliases(db);
      expect([...first.keys()]).toEqual(['churn', 'fraud']);
      expect(plain(first)).toEqual({ churn: { champion: '7', challenger: '8' }, fraud: { production: '12' } });
      const token = modelAliasesToken(first);
      expect(token).toMatch(/^[0-9a-f]{8}$/);
      expect(await readAppliedRevision(db)).toBe(`empty.${token}`);

      const stamp = async (alias: string) => (await db.query<{ t: string }>(`SELECT updated_at::text AS t FROM labctl.model_aliases WHERE model = 'churn' AND alias = $1`, [alias]))[0]!.t;
      const championAt = await stamp('champion');
      await new Promise((r) => setTimeout(r, 20));
      // The same rows again: nothing changes, not even updated_at.
      expect(await replaceModelAliases(db, 'churn', { challenger: '8', champion: '7' })).toBe(false);
      expect(await stamp('champion')).toBe(championAt);
      expect(modelAliasesToken(await readModelAliases(db))).toBe(token);

      // A promotion: champion moves to 8; challenger's row is untouched.
      const challengerAt = await stamp('challenger');
      expect(await replaceModelAliases(db, 'churn', { champion: '8', challenger: '8' })).toBe(true);
      expect(await stamp('challenger')).toBe(challengerAt);
      expect(await stamp('champion')).not.toBe(championAt);
      const promoted = modelAliasesToken(await readModelAliases(db));
      expect(promoted).not.toBe(token);

      // An alias removed in MLflow: its row goes; the other model is left alone.
      expect(await replaceModelAliases(db, 'churn', { champion: '8' })).toBe(true);
      expect(plain(await readModelAliases(db))).toEqual({ churn: { champion: '8' }, fraud: { production: '12' } });
      expect(await replaceModelAliases(db, 'churn', {})).toBe(true);
      expect(await replaceModelAliases(db, 'churn', {})).toBe(false);
      expect([...(await readModelAliases(db)).keys()]).toEqual(['fraud']);
      expect(await replaceModelAliases(db, 'fraud', {})).toBe(true);
      expect(await readAppliedRevision(db)).toBe('empty');
    });
  });

  it('alias names that are Object.prototype members are plain rows', async () => {
    await ws().withDb(async (db) => {
      expect(await replaceModelAliases(db, 'm', { constructor: '1', __proto__x: '2' })).toBe(true);
      const read = (await readModelAliases(db)).get('m')!;
      expect(read.constructor).toBe('1');
      expect(Object.keys(read).sort()).toEqual(['__proto__x', 'constructor']);
    });
  });
});

describe('a live snapshot follows alias moves (PGlite, in-process)', () => {
  let live: LiveSnapshot | undefined;
  let ws: Workspace | undefined;
  let db: Database | undefined;
  afterEach(async () => {
    await live?.close();
    live = undefined;
    await db?.close();
    db = undefined;
    await ws?.dispose();
    ws = undefined;
  });

  it('revision and answers change with the rows; no rows is the spec revision exactly', async () => {
    ws = await createWorkspace('pglite', { samples: false });
    writeSpecs(ws);
    const specRevision = await applySpecs(ws);
    db = await openDatabase({ cwd: ws.dir, applicationName: 'labctl test', host: currentProcess() });
    live = await LiveSnapshot.open({ db, pollMs: 100 });
    const l = live;
    const d = db;
    expect(l.current.revision).toBe(specRevision);
    const exp = () => l.current.experiments.get('churn-canary')!;
    // Nothing read from MLflow yet: the pinned alias resolves, the others do not.
    expect(exp().variants.map((v) => v.model && [v.model.mlflowName, v.model.alias, v.model.version])).toEqual([
      ['churn_classifier', 'champion', null],
      ['churn_classifier', 'challenger', null],
      ['churn_classifier', 'baseline', '3'],
    ]);
    expect(l.current.experiments.get('button')!.variants.every((v) => v.model === null)).toBe(true);

    const changes: string[] = [];
    l.on('change', (s: { revision: string }) => changes.push(s.revision));
    await promote(d, { champion: '7', challenger: '8' });
    const r1 = `${specRevision}.${modelAliasesToken(await readModelAliases(d))}`;
    await waitFor(() => l.current.revision === r1, `revision ${r1}`);
    expect(exp().variants.map((v) => v.model?.version)).toEqual(['7', '8', '3']);
    expect(exp().variants[0]!.model!.uri).toBe('models:/churn_classifier/7');

    // MLflow's alias beats the pin; a promotion moves champion. No NOTIFY this time: the poll finds it.
    await promote(d, { champion: '8', challenger: '8', baseline: '4' }, false);
    const r2 = `${specRevision}.${modelAliasesToken(await readModelAliases(d))}`;
    expect(r2).not.toBe(r1);
    await waitFor(() => l.current.revision === r2, `revision ${r2} by polling`);
    expect(exp().variants.map((v) => v.model?.version)).toEqual(['8', '8', '4']);
    // The polled revision equals the served one: a settled replica does not reload on every poll.
    const reloads = l.health().reloads;
    await new Promise((r) => setTimeout(r, 450));
    expect(l.health().reloads).toBe(reloads);

    await promote(d, {});
    await waitFor(() => l.current.revision === specRevision, 'the spec revision again');
    expect(exp().variants.map((v) => v.model?.version ?? null)).toEqual([null, null, '3']);
    expect(changes).toEqual([r1, r2, specRevision]);
  });
});

describe('labctl serve answers the resolved version (PostgreSQL)', () => {
  let ws: Workspace | undefined;
  let serve: ServeProcess | undefined;
  let db: Database | undefined;
  afterEach(async () => {
    await serve?.stop();
    serve = undefined;
    await db?.close();
    db = undefined;
    await ws?.dispose();
    ws = undefined;
  });

  it.skipIf(!PG)('GET and POST /v1/assign and OFREP carry the model; a promotion reaches the replica through NOTIFY', async () => {
    ws = await createWorkspace('postgres', { samples: false });
    writeSpecs(ws);
    const specRevision = await applySpecs(ws);
    serve = await spawnServe({ cwd: ws.dir, env: { ...ws.env, ...NO_MLFLOW } });
    const base = serve.url;
    db = await openDatabase({ databaseUrl: ws.url, cwd: ws.dir, applicationName: 'labctl test', host: currentProcess() });

    const before = await get(base, 'churn-canary', U_CHAMPION);
    expect(before).toEqual({
      revision: specRevision,
      experiment: 'churn-canary',
      variant: 'champion',
      value: { model: 'churn-classifier@champion', threshold: 0.4 },
      inExperiment: true,
      reason: 'split',
      model: { name: 'churn-classifier', mlflowName: 'churn_classifier', alias: 'champion', version: null, uri: null },
    });
    expect((await get(base, 'churn-canary', U_BASELINE)).model).toMatchObject({ alias: 'baseline', version: '3', uri: 'models:/churn_classifier/3' });
    expect(await get(base, 'button', 'u1')).not.toHaveProperty('model');

    await promote(db, { champion: '7', challenger: '8' });
    const r1 = `${specRevision}.${modelAliasesToken(await readModelAliases(db))}`;
    const served = await waitFor(async () => {
      const a = await get(base, 'churn-canary', U_CHALLENGER);
      return a.revision === r1 ? a : undefined;
    }, `serve answering revision ${r1}`, 5000);
    expect(served).toMatchObject({ variant: 'challenger', value: { model: 'churn-classifier@challenger', threshold: 0.4 }, model: { alias: 'challenger', version: '8', uri: 'models:/churn_classifier/8' } });
    expect((await get(base, 'churn-canary', U_CHAMPION)).model?.version).toBe('7');

    // POST: the model rides along per assignment; experiments without one are unchanged.
    const post = (await (
      await fetch(`${base}/v1/assign`, { method: 'POST', body: JSON.stringify({ attributes: { user_id: U_CHAMPION }, log: false }) })
    ).json()) as { revision: string; assignments: Record<string, Answer> };
    expect(post.revision).toBe(r1);
    expect(post.assignments['churn-canary']).toEqual({
      variant: 'champion',
      value: { model: 'churn-classifier@champion', threshold: 0.4 },
      inExperiment: true,
      reason: 'split',
      model: { name: 'churn-classifier', mlflowName: 'churn_classifier', alias: 'champion', version: '7', uri: 'models:/churn_classifier/7' },
    });
    expect(Object.keys(post.assignments.button!)).toEqual(['variant', 'value', 'inExperiment', 'reason']);

    // OFREP: flag metadata holds the model flattened.
    const ofrep = (await (
      await fetch(`${base}/ofrep/v1/evaluate/flags/churn-canary`, { method: 'POST', body: JSON.stringify({ context: { targetingKey: U_CHALLENGER, log: false } }) })
    ).json()) as { variant: string; metadata: Record<string, unknown> };
    expect(ofrep.variant).toBe('challenger');
    expect(ofrep.metadata).toEqual({
      experiment: 'churn-canary',
      inExperiment: true,
      revision: r1,
      labctlReason: 'split',
      modelName: 'churn-classifier',
      modelAlias: 'challenger',
      modelVersion: '8',
      modelUri: 'models:/churn_classifier/8',
    });

    // The promotion: champion moves to the challenger's version.
    await promote(db, { champion: '8', challenger: '8' });
    const r2 = `${specRevision}.${modelAliasesToken(await readModelAliases(db))}`;
    await waitFor(async () => (await get(base, 'churn-canary', U_CHAMPION)).revision === r2, `serve answering revision ${r2}`, 5000);
    expect((await get(base, 'churn-canary', U_CHAMPION)).model).toMatchObject({ alias: 'champion', version: '8', uri: 'models:/churn_classifier/8' });
    expect(serve.stderr()).toContain(`now serving revision ${r2}`);
  });
});

describe('labctl assign (offline)', () => {
  let ws: Workspace | undefined;
  afterEach(async () => {
    await ws?.dispose();
    ws = undefined;
  });

  it('prints the pinned version, or says a policy alias resolves at runtime; --json has model', async () => {
    ws = await createWorkspace('pglite', { samples: false });
    writeSpecs(ws);
    const run = (unit: string, json = false) => cli(['assign', 'churn-canary', '--unit', unit, ...(json ? ['--json'] : [])], { cwd: ws!.dir, env: NO_MLFLOW });

    const champion = await run(U_CHAMPION);
    expect(champion.code).toBe(0);
    expect(champion.stdout).toContain('churn-canary → champion  in experiment (reason: split)');
    expect(champion.stdout).toContain('  model:  churn-classifier@champion → resolved at runtime from MLflow (alias moved by policy churn-champion)');
    const challenger = await run(U_CHALLENGER);
    expect(challenger.stdout).toContain('  model:  churn-classifier@challenger → resolved at runtime from MLflow (candidate alias of policy churn-champion)');
    const baseline = await run(U_BASELINE);
    expect(baseline.stdout).toContain('  model:  churn-classifier@baseline → version 3 (models:/churn_classifier/3; pinned in the Model spec)');

    const json = JSON.parse((await run(U_BASELINE, true)).stdout) as Record<string, unknown>;
    expect(json).toMatchObject({ experiment: 'churn-canary', variant: 'baseline', value: { model: 'churn-classifier@baseline', threshold: 0.5 }, reason: 'split' });
    expect(json.model).toEqual({ name: 'churn-classifier', mlflowName: 'churn_classifier', alias: 'baseline', version: '3', uri: 'models:/churn_classifier/3' });
    expect((JSON.parse((await run(U_CHAMPION, true)).stdout) as { model: unknown }).model).toEqual({ name: 'churn-classifier', mlflowName: 'churn_classifier', alias: 'champion', version: null, uri: null });

    const plain = await cli(['assign', 'button', '--unit', 'u1', '--json'], { cwd: ws.dir, env: NO_MLFLOW });
    expect(JSON.parse(plain.stdout)).not.toHaveProperty('model');
    expect((await cli(['assign', 'button', '--unit', 'u1'], { cwd: ws.dir, env: NO_MLFLOW })).stdout).not.toContain('model:');
  });
});
