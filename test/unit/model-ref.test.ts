// Model references in experiment variants (`value: { model: NAME@ALIAS, ... }`): the parser, the
// resolution precedence (MLflow alias → pinned alias → unresolved), and the answer of assign().
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as root from '../../index.js';
import type { Json, JsonObject } from '../../core/types.js';
import { modelAliasesToken } from '../../adapters/state/model-aliases.js';
import { assign, evaluate } from '../../engine/assignment/assign.js';
import { hashUnit } from '../../engine/assignment/hash.js';
import { parseModelRef, resolveModelRef } from '../../engine/assignment/models.js';
import { buildSnapshot, type SnapshotResource } from '../../engine/assignment/snapshot.js';
import { servedRevision } from '../../runtime/live/load.js';
import { flagMetadata } from '../../kinds/experiment/openfeature-reasons.js';

const NOW = Date.parse('2026-06-15T12:00:00.000Z');

describe('parseModelRef', () => {
  it('reads NAME@ALIAS from the model field of an object value', () => {
    expect(parseModelRef({ model: 'churn-classifier@challenger', threshold: 0.4 })).toEqual({ name: 'churn-classifier', alias: 'challenger' });
    expect(parseModelRef({ model: 'm1@Champion_2-b' })).toEqual({ name: 'm1', alias: 'Champion_2-b' });
  });

  it.each<[string, Json]>([
    ['no alias', { model: 'churn-classifier' }],
    ['empty alias', { model: 'churn-classifier@' }],
    ['empty name', { model: '@champion' }],
    ['two @', { model: 'a@b@c' }],
    ['upper-case name', { model: 'Churn@champion' }],
    ['name with a slash', { model: 'team/churn@champion' }],
    ['alias with a dot', { model: 'churn@v1.2' }],
    ['spaces', { model: ' churn@champion' }],
    ['a number', { model: 3 }],
    ['null', { model: null }],
    ['an object', { model: { name: 'churn', alias: 'champion' } }],
  ])('a malformed reference (%s) is no reference', (_, value) => {
    expect(parseModelRef(value)).toBeUndefined();
  });

  it.each<[string, Json | undefined]>([
    ['a string', 'churn@champion'],
    ['an array', [{ model: 'churn@champion' }]],
    ['null', null],
    ['undefined', undefined],
    ['an object without model', { prompt: 'support', temperature: 0.2 }],
    ['a nested model field', { config: { model: 'churn@champion' } }],
  ])('a value that is not a reference (%s)', (_, value) => {
    expect(parseModelRef(value)).toBeUndefined();
  });
});

describe('resolveModelRef', () => {
  const spec: JsonObject = { mlflowName: 'Churn Classifier', tags: {}, aliases: { champion: { policy: 'churn-champion' }, baseline: { version: '3' }, challenger: { version: '5' } } };
  const ref = (alias: string) => ({ name: 'churn', alias });

  it('an alias read from MLflow beats a pinned one', () => {
    const read = new Map([['churn', { challenger: '9', champion: '7' }]]);
    expect(resolveModelRef(ref('challenger'), spec, read)).toEqual({ name: 'churn', mlflowName: 'Churn Classifier', alias: 'challenger', version: '9', uri: 'models:/Churn Classifier/9' });
    expect(resolveModelRef(ref('champion'), spec, read).version).toBe('7');
  });

  it('a pinned alias resolves without MLflow (offline) and when MLflow has no row for it', () => {
    expect(resolveModelRef(ref('baseline'), spec, undefined)).toEqual({ name: 'churn', mlflowName: 'Churn Classifier', alias: 'baseline', version: '3', uri: 'models:/Churn Classifier/3' });
    expect(resolveModelRef(ref('baseline'), spec, new Map([['churn', { champion: '7' }]])).version).toBe('3');
    // Rows of another model do not count.
    expect(resolveModelRef(ref('baseline'), spec, new Map([['other', { baseline: '1' }]])).version).toBe('3');
  });

  it('a policy alias, or an undeclared one, is unresolved offline: version and uri null', () => {
    expect(resolveModelRef(ref('champion'), spec, undefined)).toEqual({ name: 'churn', mlflowName: 'Churn Classifier', alias: 'champion', version: null, uri: null });
    expect(resolveModelRef(ref('shadow'), spec, new Map())).toMatchObject({ version: null, uri: null });
  });

  it('an undeclared model uses its name as the MLflow name', () => {
    expect(resolveModelRef({ name: 'ghost', alias: 'champion' }, undefined, new Map([['ghost', { champion: '2' }]]))).toEqual({ name: 'ghost', mlflowName: 'ghost', alias: 'champion', version: '2', uri: 'models:/ghost/2' });
    expect(resolveModelRef({ name: 'ghost', alias: 'champion' }, undefined, undefined)).toMatchObject({ mlflowName: 'ghost', version: null });
  });

  it('alias names that are Object.prototype members resolve to nothing, not to a function', () => {
    expect(resolveModelRef(ref('constructor'), spec, new Map([['churn', {}]])).version).toBeNull();
    expect(resolveModelRef(ref('toString'), spec, undefined).version).toBeNull();
  });
});

// ---------------------------------------------------------------------------------------------
// Snapshots: per-variant resolution happens when the snapshot is built.

const MODEL: SnapshotResource = {
  kind: 'Model',
  name: 'churn',
  spec: { mlflowName: 'churn-classifier', tags: {}, aliases: { champion: { policy: 'churn-champion' }, baseline: { version: '3' } } },
};

function canary(variants: Array<{ key: string; value: Json }>, overrides: JsonObject = {}): SnapshotResource {
  return {
    kind: 'Experiment',
    name: 'canary',
    spec: { status: 'running', unit: 'user_id', seed: 'canary', phase: 1, coverage: 1, variants: variants.map((v) => ({ ...v, weight: 1 })), ...overrides },
  };
}

const CANARY = canary([
  { key: 'champion', value: { model: 'churn@champion', threshold: 0.4 } },
  { key: 'challenger', value: { model: 'churn@challenger', threshold: 0.4 } },
  { key: 'baseline', value: { model: 'churn@baseline' } },
]);
const PLAIN: SnapshotResource = {
  kind: 'Experiment',
  name: 'plain',
  spec: {
    status: 'running',
    unit: 'user_id',
    seed: 'plain',
    phase: 1,
    coverage: 1,
    variants: [
      { key: 'control', weight: 1, value: { color: 'blue' } },
      { key: 'llm', weight: 1, value: { model: 'gpt-4o' } },
    ],
  },
};

/** A unit for each third of the 3-variant split (hash < 1/3 → champion, … ). */
const UNITS = Array.from({ length: 5000 }, (_, i) => `u${i}`);
const unitIn = (seed: string, lo: number, hi: number) => UNITS.find((u) => hashUnit(seed, u) >= lo && hashUnit(seed, u) < hi)!;
const U_CHAMPION = unitIn('canary', 0, 1 / 3);
const U_CHALLENGER = unitIn('canary', 1 / 3 + 1e-9, 2 / 3);
const U_BASELINE = unitIn('canary', 2 / 3 + 1e-9, 1);

describe('assign with model references', () => {
  const read = new Map([['churn', { champion: '7', challenger: '8' }]]);
  const live = buildSnapshot([MODEL, CANARY, PLAIN], 'r1.abcd0123', NOW, { modelAliases: read });

  it('precomputes the resolution per variant', () => {
    expect(live.experiments.get('canary')!.variants.map((v) => v.model?.version ?? null)).toEqual(['7', '8', '3']);
    expect(live.experiments.get('plain')!.variants.map((v) => v.model)).toEqual([null, null]);
    expect(live.modelAliases).toBe(read);
  });

  it('answers the resolved model and returns the value unchanged', () => {
    const a = assign(live, 'canary', { user_id: U_CHALLENGER }, NOW);
    expect(a).toEqual({
      experiment: 'canary',
      variant: 'challenger',
      value: { model: 'churn@challenger', threshold: 0.4 },
      inExperiment: true,
      reason: 'split',
      model: { name: 'churn', mlflowName: 'churn-classifier', alias: 'challenger', version: '8', uri: 'models:/churn-classifier/8' },
    });
    expect(assign(live, 'canary', { user_id: U_CHAMPION }, NOW).model).toEqual({ name: 'churn', mlflowName: 'churn-classifier', alias: 'champion', version: '7', uri: 'models:/churn-classifier/7' });
    expect(assign(live, 'canary', { user_id: U_BASELINE }, NOW).model?.version).toBe('3');
  });

  it('a unit that is not enrolled gets the control and its model', () => {
    const a = assign(live, 'canary', {}, NOW);
    expect(a).toMatchObject({ variant: 'champion', reason: 'missing_unit', model: { alias: 'champion', version: '7' } });
  });

  it('variants without a reference carry no model field at all', () => {
    for (const u of UNITS.slice(0, 50)) {
      const a = assign(live, 'plain', { user_id: u }, NOW);
      expect(Object.keys(a)).toEqual(['experiment', 'variant', 'value', 'inExperiment', 'reason']);
      expect('model' in evaluate(live.experiments.get('plain')!, { user_id: u }, NOW)).toBe(false);
    }
    // `model: gpt-4o` (no @ALIAS) is an LLM name in the payload, not a model reference.
    expect(assign(live, 'plain', { user_id: UNITS.find((u) => hashUnit('plain', u) >= 0.5)! }, NOW)).toEqual({
      experiment: 'plain',
      variant: 'llm',
      value: { model: 'gpt-4o' },
      inExperiment: true,
      reason: 'split',
    });
    expect('model' in assign(live, 'nope', { user_id: 'u1' }, NOW)).toBe(false);
  });

  it('offline (no alias rows): pinned aliases resolve, the others answer version null', () => {
    const offline = buildSnapshot([MODEL, CANARY], 'r1', NOW);
    expect(offline.modelAliases).toBeUndefined();
    expect(assign(offline, 'canary', { user_id: U_BASELINE }, NOW).model).toMatchObject({ version: '3', uri: 'models:/churn-classifier/3' });
    expect(assign(offline, 'canary', { user_id: U_CHAMPION }, NOW).model).toEqual({ name: 'churn', mlflowName: 'churn-classifier', alias: 'champion', version: null, uri: null });
    expect(assign(offline, 'canary', { user_id: U_CHALLENGER }, NOW).model).toMatchObject({ alias: 'challenger', version: null, uri: null });
  });

  it('MLflow moving an alias is a new snapshot, not a change to the old one', () => {
    const before = buildSnapshot([MODEL, CANARY], 'r1.a', NOW, { modelAliases: new Map([['churn', { champion: '7' }]]) });
    const after = buildSnapshot([MODEL, CANARY], 'r1.b', NOW, { modelAliases: new Map([['churn', { champion: '9' }]]) });
    expect(assign(before, 'canary', { user_id: U_CHAMPION }, NOW).model?.version).toBe('7');
    expect(assign(after, 'canary', { user_id: U_CHAMPION }, NOW).model?.version).toBe('9');
    expect(Object.isFrozen(assign(after, 'canary', { user_id: U_CHAMPION }, NOW).model)).toBe(true);
  });

  it('evaluate (labctl assign) carries the same model', () => {
    const d = evaluate(live.experiments.get('canary')!, { user_id: U_CHALLENGER }, NOW);
    expect(d).toMatchObject({ variant: 'challenger', reason: 'split', model: { version: '8' } });
    expect(d.hash).toBeCloseTo(hashUnit('canary', U_CHALLENGER), 10);
  });

  it('flag metadata flattens the model (OpenFeature metadata holds no objects)', () => {
    expect(flagMetadata('canary', assign(live, 'canary', { user_id: U_CHALLENGER }, NOW), 'r1.x')).toEqual({
      experiment: 'canary',
      inExperiment: true,
      revision: 'r1.x',
      labctlReason: 'split',
      modelName: 'churn',
      modelAlias: 'challenger',
      modelVersion: '8',
      modelUri: 'models:/churn-classifier/8',
    });
    const offline = buildSnapshot([MODEL, CANARY], 'r1', NOW);
    const m = flagMetadata('canary', assign(offline, 'canary', { user_id: U_CHAMPION }, NOW), 'r1');
    expect(m).toMatchObject({ modelName: 'churn', modelAlias: 'champion' });
    expect('modelVersion' in m || 'modelUri' in m).toBe(false);
    expect(Object.keys(flagMetadata('plain', assign(live, 'plain', { user_id: 'u1' }, NOW), 'r1'))).toEqual(['experiment', 'inExperiment', 'revision', 'labctlReason']);
  });
});

type Rows = Array<[string, Record<string, string>]>;
const rows = (...r: Rows) => new Map(r);

describe('the package root', () => {
  it('assign on a snapshot of YAML gives the model: pinned aliases resolve offline, others are null', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'labctl-model-ref-'));
    try {
      mkdirSync(join(dir, 'models'));
      mkdirSync(join(dir, 'experiments'));
      writeFileSync(
        join(dir, 'models', 'churn.yaml'),
        'kind: Model\nname: churn\nmlflowName: churn_classifier\naliases:\n  baseline: { version: 3 }\n',
      );
      writeFileSync(
        join(dir, 'experiments', 'canary.yaml'),
        'kind: Experiment\nname: canary\nstatus: running\nunit: user_id\nvariants:\n' +
          '  - { key: champion, weight: 1, value: { model: churn@champion } }\n' +
          '  - { key: challenger, weight: 1, value: { model: churn@challenger } }\n' +
          '  - { key: baseline, weight: 1, value: { model: churn@baseline } }\n',
      );
      const snap = await root.snapshotFromDir(dir);
      const a = root.assign(snap, 'canary', { user_id: U_BASELINE });
      expect(a).toEqual({
        experiment: 'canary',
        variant: 'baseline',
        value: { model: 'churn@baseline' },
        inExperiment: true,
        reason: 'split',
        model: { name: 'churn', mlflowName: 'churn_classifier', alias: 'baseline', version: '3', uri: 'models:/churn_classifier/3' },
      } satisfies root.Assignment);
      const m: root.ResolvedModel | undefined = root.assign(snap, 'canary', { user_id: U_CHALLENGER }).model;
      expect(m).toEqual({ name: 'churn', mlflowName: 'churn_classifier', alias: 'challenger', version: null, uri: null });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the served revision', () => {
  it('is the spec revision without alias rows, and spec revision + token with them', () => {
    expect(modelAliasesToken(new Map())).toBe('');
    expect(modelAliasesToken(new Map([['churn', {}]]))).toBe('');
    expect(servedRevision('ef402be589bd', '')).toBe('ef402be589bd');
    const token = modelAliasesToken(new Map([['churn', { champion: '7', challenger: '8' }]]));
    expect(token).toMatch(/^[0-9a-f]{8}$/);
    expect(servedRevision('ef402be589bd', token)).toBe(`ef402be589bd.${token}`);
  });

  it('the token is stable across row order and changes with any row', () => {
    const base = modelAliasesToken(rows(['a', { champion: '7', challenger: '8' }], ['b', { x: '1' }]));
    expect(modelAliasesToken(rows(['b', { x: '1' }], ['a', { challenger: '8', champion: '7' }]))).toBe(base);
    expect(modelAliasesToken(rows(['a', { champion: '9', challenger: '8' }], ['b', { x: '1' }]))).not.toBe(base);
    expect(modelAliasesToken(rows(['a', { champion: '7', challenger: '8' }], ['b', { y: '1' }]))).not.toBe(base);
    expect(modelAliasesToken(rows(['a', { champion: '7', challenger: '8' }]))).not.toBe(base);
    // Field boundaries count: ("ab","c") is not ("a","bc").
    expect(modelAliasesToken(rows(['ab', { c: '1' }]))).not.toBe(modelAliasesToken(rows(['a', { bc: '1' }])));
  });
});
