// The Model and PromotionPolicy kinds through the spec loader on small YAML trees: normalised specs
// (defaults, canonical gates and durations), every rule at the right line, the cross-references
// between models, policies and experiments, and the repository's samples under models/.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { Diagnostic, JsonObject, Resource } from '../../core/types.js';
import { modelRef } from '../experiment/kind.js';
import { KINDS } from '../index.js';
import { readSpecDir, SpecLoader } from '../../reconciler/load/index.js';

const root = mkdtempSync(join(tmpdir(), 'labctl-model-kind-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const loader = new SpecLoader();
let n = 0;

async function load(files: Record<string, string>): Promise<{ resources: Resource[]; diagnostics: Diagnostic[] }> {
  const dir = join(root, `t${n++}`);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  const state = loader.load(await readSpecDir(dir));
  return { resources: state.resources, diagnostics: state.diagnostics };
}

const yaml = (...lines: string[]) => lines.join('\n') + '\n';

/** severity code@file:line:column for every diagnostic. */
function at(ds: Diagnostic[]): string[] {
  return ds.map((d) => `${d.severity} ${d.code}@${d.range?.filename}:${d.range?.start.line}:${d.range?.start.column}`);
}

function find(ds: Diagnostic[], code: string): Diagnostic {
  const d = ds.find((x) => x.code === code);
  expect(d, `${code} in ${at(ds).join(', ')}`).toBeDefined();
  return d!;
}

async function specs(files: Record<string, string>): Promise<Map<string, JsonObject>> {
  const { resources, diagnostics } = await load(files);
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return new Map(resources.map((r) => [`${r.kind}/${r.name}`, r.spec]));
}

/** A model with a champion alias moved by `policy`, and that policy (valid together). */
const PAIR = yaml(
  'kind: Model', // 1
  'name: churn', // 2
  'aliases:', // 3
  '  champion: { policy: churn-champion }', // 4
  '---', // 5
  'kind: PromotionPolicy', // 6
  'name: churn-champion', // 7
  'model: churn', // 8
  'candidate: { alias: challenger }', // 9
  'target: champion', // 10
  'gates:', // 11
  '  metrics: [val_auc >= 0.8]', // 12
);

describe('kinds are registered in apply order', () => {
  it('Layer, Metric, Prompt, Flow, Model, PromotionPolicy, Experiment, Holdout, Evaluation', () => {
    expect(KINDS.map((k) => k.kind)).toEqual(['Layer', 'Metric', 'Prompt', 'Flow', 'Model', 'PromotionPolicy', 'Experiment', 'Holdout', 'Evaluation']);
  });
});

describe('normalised specs', () => {
  it('Model: mlflowName, tags and aliases defaulted; versions as strings', async () => {
    const s = await specs({
      'm.yaml': yaml(
        'apiVersion: labctl/v1',
        'kind: Model',
        'name: bare',
        '---',
        'kind: Model',
        'name: full',
        'description: every field',
        'owner: ml',
        'labels: { tier: "1" }',
        'mlflowName: Full Model/v2',
        'tags: { team: growth, "mlflow.note": x }',
        'aliases:',
        '  baseline: { version: 3 }',
        '  pinned-str: { version: "12" }',
        '  champion: { policy: full-champion }',
        '---',
        'kind: PromotionPolicy',
        'name: full-champion',
        'model: full',
        'candidate: { alias: challenger }',
        'target: champion',
        'gates: { metrics: ["auc >= 0.5"] }',
      ),
    });
    expect(s.get('Model/bare')).toEqual({ mlflowName: 'bare', tags: {}, aliases: {} });
    expect(s.get('Model/full')).toEqual({
      description: 'every field',
      owner: 'ml',
      labels: { tier: '1' },
      mlflowName: 'Full Model/v2',
      tags: { team: 'growth', 'mlflow.note': 'x' },
      aliases: { baseline: { version: '3' }, 'pinned-str': { version: '12' }, champion: { policy: 'full-champion' } },
    });
  });

  it('PromotionPolicy: canonical gates and minAge, defaults for onDrift and newest.tags, empty tags dropped', async () => {
    const s = await specs({
      'm.yaml': yaml(
        'kind: Model',
        'name: churn',
        'aliases:',
        '  champion: { policy: full }',
        '  staging: { policy: minimal }',
        '  canary: { policy: newest }',
        '---',
        'kind: PromotionPolicy',
        'name: full',
        'description: d',
        'owner: o',
        'labels: { a: b }',
        'model: churn',
        'candidate: { alias: challenger }',
        'target: champion',
        'gates:',
        '  metrics:',
        '    - val_auc >= 0.80',
        '    - "latency_p95_ms≤200"',
        '    - val_auc>=champion+0.01',
        '    - "loss < champion * 1.10"',
        '  minAge: 90m',
        '  tags: { validation_status: approved }',
        'onDrift: restore',
        '---',
        'kind: PromotionPolicy',
        'name: minimal',
        'model: churn',
        'candidate: { newest: {} }',
        'target: staging',
        'gates: { tags: {}, minAge: 24h }',
        '---',
        'kind: PromotionPolicy',
        'name: newest',
        'model: churn',
        'candidate: { newest: { tags: { validation_status: approved } } }',
        'target: canary',
        'gates: { minAge: 1w }',
      ),
    });
    expect(s.get('PromotionPolicy/full')).toEqual({
      description: 'd',
      owner: 'o',
      labels: { a: 'b' },
      model: 'churn',
      candidate: { alias: 'challenger' },
      target: 'champion',
      gates: { metrics: ['val_auc >= 0.8', 'latency_p95_ms <= 200', 'val_auc >= champion + 0.01', 'loss < champion * 1.1'], minAge: '1h30m', tags: { validation_status: 'approved' } },
      onDrift: 'restore',
    });
    expect(s.get('PromotionPolicy/minimal')).toEqual({ model: 'churn', candidate: { newest: { tags: {} } }, target: 'staging', gates: { metrics: [], minAge: '1d' }, onDrift: 'report' });
    expect(s.get('PromotionPolicy/newest')).toMatchObject({ candidate: { newest: { tags: { validation_status: 'approved' } } }, gates: { metrics: [], minAge: '7d' } });
  });

  it('equal meaning, equal spec: spacing of gates and spelling of durations do not matter', async () => {
    const a = await specs({ 'm.yaml': PAIR.replace('[val_auc >= 0.8]', '["val_auc>=0.80"]') });
    const b = await specs({ 'm.yaml': PAIR.replace('[val_auc >= 0.8]', '["val_auc ≥ .8"]') });
    expect(a.get('PromotionPolicy/churn-champion')).toEqual(b.get('PromotionPolicy/churn-champion'));
  });
});

describe('Model rules', () => {
  it('reserved-alias: latest in any case and v<digits>', async () => {
    const { diagnostics } = await load({
      'm.yaml': yaml(
        'kind: Model', // 1
        'name: m', // 2
        'aliases:', // 3
        '  latest: { version: 1 }', // 4
        '  LATEST: { version: 1 }', // 5
        '  v2: { version: 2 }', // 6
        '  V10: { version: 2 }', // 7
        '  v2b: { version: 2 }', // 8
        '  version2: { version: 2 }', // 9
      ),
    });
    expect(at(diagnostics)).toEqual(['error reserved-alias@m.yaml:4:11', 'error reserved-alias@m.yaml:5:11', 'error reserved-alias@m.yaml:6:7', 'error reserved-alias@m.yaml:7:8']);
    expect(diagnostics[0]!.summary).toContain('"latest" always means the newest version');
    expect(diagnostics[0]!.hint).toContain('newest');
    expect(diagnostics[2]!.summary).toContain('v<number> names a version');
    expect(diagnostics[2]!.path).toBe('/aliases/v2');
  });

  it('alias-version-and-policy and invalid-alias-version', async () => {
    const { diagnostics } = await load({
      'm.yaml': yaml(
        'kind: Model', // 1
        'name: m', // 2
        'aliases:', // 3
        '  both: { version: 3, policy: p }', // 4
        '  zero: { version: 0 }', // 5
        '  frac: { version: 1.5 }', // 6
        '  word: { version: three }', // 7
        '  padded: { version: "03" }', // 8
        '  list:', // 9
        '    version: [3]', // 10
        '  ok-int: { version: 3 }', // 11
        '  ok-str: { version: "42" }', // 12
      ),
    });
    expect(at(diagnostics)).toEqual([
      'error alias-version-and-policy@m.yaml:4:9',
      'error invalid-alias-version@m.yaml:5:20',
      'error invalid-alias-version@m.yaml:6:20',
      'error invalid-alias-version@m.yaml:7:20',
      'error invalid-alias-version@m.yaml:8:22',
      'error invalid-alias-version@m.yaml:10:14',
    ]);
    expect(diagnostics[0]!.summary).toBe('alias "both" has both version and policy; it needs exactly one');
    expect(diagnostics[0]!.hint).toContain('version: 3');
    expect(diagnostics[1]!.summary).toBe('alias "zero": version must be a positive whole number, got "0"');
    expect(diagnostics[3]!.summary).toContain('got "three"');
    expect(diagnostics[5]!.summary).toContain('got [3]');
  });

  it('an empty alias mapping is a schema error (empty-mapping)', async () => {
    const { diagnostics } = await load({ 'm.yaml': yaml('kind: Model', 'name: m', 'aliases:', '  champion: {}') });
    expect(at(diagnostics)).toEqual(['error empty-mapping@m.yaml:4:13']);
    expect(diagnostics[0]!.hint).toContain('version or policy');
  });

  it('unknown-policy with a did-you-mean', async () => {
    const { diagnostics } = await load({ 'm.yaml': PAIR.replace('{ policy: churn-champion }', '{ policy: churn-champoin }') });
    const d = find(diagnostics, 'unknown-policy');
    expect(at([d])).toEqual(['error unknown-policy@m.yaml:4:23']);
    expect(d.hint).toBe('did you mean "churn-champion"?');
    // The policy, now undelegated, says so too.
    expect(find(diagnostics, 'alias-not-delegated').summary).toBe('alias "champion" of model "churn" is delegated to policy "churn-champoin", not to this one');
  });

  it('unknown-policy without a close name says what to add', async () => {
    const { diagnostics } = await load({ 'm.yaml': yaml('kind: Model', 'name: m', 'aliases:', '  champion: { policy: promote-it }') });
    expect(find(diagnostics, 'unknown-policy').hint).toBe('add a document with kind: PromotionPolicy, name: promote-it, model: m, target: champion');
  });

  it('policy-mismatch: the named policy moves another alias or belongs to another model', async () => {
    const { diagnostics } = await load({
      'm.yaml': yaml(
        'kind: Model', // 1
        'name: churn', // 2
        'aliases:', // 3
        '  champion: { policy: churn-champion }', // 4
        '  prod: { policy: churn-champion }', // 5
        '  other: { policy: fraud-champion }', // 6
        '---',
        'kind: Model',
        'name: fraud',
        'aliases: { champion: { policy: fraud-champion } }',
        '---',
        'kind: PromotionPolicy',
        'name: churn-champion',
        'model: churn',
        'candidate: { alias: challenger }',
        'target: champion',
        '---',
        'kind: PromotionPolicy',
        'name: fraud-champion',
        'model: fraud',
        'candidate: { alias: challenger }',
        'target: champion',
      ),
    });
    const mismatches = diagnostics.filter((d) => d.code === 'policy-mismatch');
    expect(at(mismatches)).toEqual(['error policy-mismatch@m.yaml:5:19', 'error policy-mismatch@m.yaml:6:20']);
    expect(mismatches[0]!.summary).toBe('alias "prod" is delegated to policy "churn-champion", but that policy moves alias "champion", not "prod"');
    expect(mismatches[0]!.hint).toBe('in policy churn-champion set model: churn and target: prod, or name the right policy here');
    expect(mismatches[1]!.summary).toBe('alias "other" is delegated to policy "fraud-champion", but that policy moves alias "champion" of model "fraud"');
    expect(mismatches[1]!.detail).toBe('fraud-champion is declared at m.yaml:18');
  });

  it('duplicate-mlflow-name: two models, or a model and a mirrored prompt, on one registered model', async () => {
    const { diagnostics } = await load({
      'm.yaml': yaml(
        'kind: Model', // 1
        'name: churn', // 2
        '---', // 3
        'kind: Model', // 4
        'name: churn-v2', // 5
        'mlflowName: churn', // 6
        '---', // 7
        'kind: Model', // 8
        'name: other', // 9
        'mlflowName: support-assistant', // 10
        '---', // 11
        'kind: Model', // 12
        'name: unmirrored', // 13
        'mlflowName: plain-prompt', // 14
      ),
      'p.yaml': yaml(
        'kind: Prompt',
        'name: support-assistant',
        'template: hi',
        'mlflow: { mirror: true }',
        '---',
        'kind: Prompt',
        'name: plain-prompt',
        'template: hi',
      ),
    });
    expect(at(diagnostics)).toEqual(['error duplicate-mlflow-name@m.yaml:2:7', 'error duplicate-mlflow-name@m.yaml:6:13', 'error duplicate-mlflow-name@m.yaml:10:13']);
    expect(diagnostics[0]!.summary).toBe('models "churn" and "churn-v2" both manage the MLflow registered model "churn"');
    expect(diagnostics[0]!.detail).toBe('churn-v2 is declared at m.yaml:4');
    expect(diagnostics[2]!.summary).toBe('model "other" uses the MLflow name "support-assistant", which prompt "support-assistant" is mirrored to');
  });

  it('mlflowName: quotes, backticks and surrounding spaces are refused by the schema', async () => {
    for (const bad of ['"it\'s"', '"a`b"', '" padded"', '"padded "', '""']) {
      const { diagnostics } = await load({ 'm.yaml': yaml('kind: Model', 'name: m', `mlflowName: ${bad}`) });
      expect(diagnostics.map((d) => d.code), bad).toEqual([bad === '""' ? 'invalid-length' : 'invalid-format']);
      expect(diagnostics[0]!.range?.start.line).toBe(3);
    }
    const ok = await specs({ 'm.yaml': yaml('kind: Model', 'name: m', 'mlflowName: "Team A/churn model v2.1_x-y"') });
    expect(ok.get('Model/m')!.mlflowName).toBe('Team A/churn model v2.1_x-y');
  });

  it('alias names with other characters are refused by the schema, at the key', async () => {
    const { diagnostics } = await load({ 'm.yaml': yaml('kind: Model', 'name: m', 'aliases:', '  champ.ion: { version: 1 }') });
    expect(at(diagnostics)).toEqual(['error invalid-format@m.yaml:4:3']);
  });
});

describe('PromotionPolicy rules', () => {
  it('a valid pair has no diagnostics', async () => {
    expect((await load({ 'm.yaml': PAIR })).diagnostics).toEqual([]);
  });

  it('unknown-model with a did-you-mean', async () => {
    const { diagnostics } = await load({ 'm.yaml': PAIR.replace('model: churn\n', 'model: chrn\n') });
    const d = find(diagnostics, 'unknown-model');
    expect(at([d])).toEqual(['error unknown-model@m.yaml:8:8']);
    expect(d.hint).toBe('did you mean "churn"?');
  });

  it('alias-not-delegated: undeclared, pinned, or given to another policy — the hint is the line to write', async () => {
    const undeclared = await load({ 'm.yaml': PAIR.replace('target: champion', 'target: production') });
    const d = find(undeclared.diagnostics, 'alias-not-delegated');
    expect(at([d])).toEqual(['error alias-not-delegated@m.yaml:10:9']);
    expect(d.summary).toBe('model "churn" does not declare alias "production", so this policy would move an alias labctl does not manage');
    expect(d.hint).toBe('add this line under aliases: of model churn (m.yaml): production: { policy: churn-champion }');
    expect(d.detail).toBe('model churn is declared at m.yaml:1');
    // The model side reports the mismatch of its champion alias too.
    expect(find(undeclared.diagnostics, 'policy-mismatch').summary).toContain('moves alias "production", not "champion"');

    const pinned = await load({ 'm.yaml': PAIR.replace('{ policy: churn-champion }', '{ version: 4 }') });
    const p = find(pinned.diagnostics, 'alias-not-delegated');
    expect(p.summary).toBe('alias "champion" of model "churn" is pinned to version 4, not delegated to this policy');
    expect(p.hint).toBe('make this line under aliases: of model churn (m.yaml): champion: { policy: churn-champion }');

    const other = await load({
      'm.yaml': PAIR + yaml('---', 'kind: PromotionPolicy', 'name: rogue', 'model: churn', 'candidate: { alias: other }', 'target: champion', 'gates: { minAge: 1h }'),
    });
    const o = other.diagnostics.filter((x) => x.code === 'alias-not-delegated');
    expect(o.map((x) => x.summary)).toEqual(['alias "champion" of model "churn" is delegated to policy "churn-champion", not to this one']);
  });

  it('duplicate-policy-target on both policies', async () => {
    const { diagnostics } = await load({
      'm.yaml': PAIR + yaml('---', 'kind: PromotionPolicy', 'name: rogue', 'model: churn', 'candidate: { alias: other }', 'target: champion', 'gates: { minAge: 1h }'),
    });
    const dups = diagnostics.filter((d) => d.code === 'duplicate-policy-target');
    expect(at(dups)).toEqual(['error duplicate-policy-target@m.yaml:10:9', 'error duplicate-policy-target@m.yaml:18:9']);
    expect(dups[0]!.summary).toBe('policies "churn-champion" and "rogue" all move alias "champion" of model "churn"');
    expect(dups[0]!.detail).toBe('rogue is declared at m.yaml:14');
  });

  it('candidate-is-target, candidate-alias-and-newest, reserved target and candidate aliases', async () => {
    const same = await load({ 'm.yaml': PAIR.replace('{ alias: challenger }', '{ alias: champion }') });
    expect(at(same.diagnostics)).toEqual(['error candidate-is-target@m.yaml:9:21']);
    const both = await load({ 'm.yaml': PAIR.replace('{ alias: challenger }', '{ alias: challenger, newest: {} }') });
    expect(at(both.diagnostics)).toEqual(['error candidate-alias-and-newest@m.yaml:9:12']);
    const latest = await load({ 'm.yaml': PAIR.replace('{ alias: challenger }', '{ alias: latest }') });
    expect(at(latest.diagnostics)).toEqual(['error reserved-alias@m.yaml:9:21']);
    expect(latest.diagnostics[0]!.summary).toContain('candidate alias "latest"');
    const v3 = await load({ 'm.yaml': PAIR.replaceAll('champion: { policy', 'v3: { policy').replace('target: champion', 'target: v3') });
    expect(at(v3.diagnostics)).toEqual(['error reserved-alias@m.yaml:4:7', 'error reserved-alias@m.yaml:10:9']);
  });

  it('invalid-gate points inside the gate string, in flow and block lists and quoted strings', async () => {
    const { diagnostics } = await load({
      'm.yaml': PAIR.replace(
        '  metrics: [val_auc >= 0.8]',
        yaml(
          '  metrics:', // 12
          '    - val_auc >= baseline + 0.01', // 13
          '    - "latency_p95_ms =< 200"', // 14
          '    - val_auc >= 0.8', // 15
          '    - recall >= champion / 2', // 16
        ).trimEnd(),
      ),
    });
    expect(at(diagnostics)).toEqual(['error invalid-gate@m.yaml:13:18', 'error invalid-gate@m.yaml:14:23', 'error invalid-gate@m.yaml:16:26']);
    expect(diagnostics[0]!.summary).toBe('gate "val_auc >= baseline + 0.01": unknown name "baseline": the only name a gate can compare with is the target alias "champion"');
    expect(diagnostics[0]!.hint).toBe('relative gates compare with the version at the target alias: write `val_auc >= champion + 0.01`');
    expect(diagnostics[0]!.path).toBe('/gates/metrics/0');
    expect(diagnostics[1]!.hint).toBe('write <= instead');
  });

  it('a relative gate names the target alias; renaming the target invalidates it', async () => {
    const { diagnostics } = await load({
      'm.yaml': PAIR.replace('champion: { policy', 'prod: { policy').replace('target: champion', 'target: prod').replace('[val_auc >= 0.8]', '["val_auc >= champion"]'),
    });
    expect(at(diagnostics)).toEqual(['error invalid-gate@m.yaml:12:25']);
    expect(diagnostics[0]!.hint).toContain('`val_auc >= prod + 0.01`');
  });

  it('invalid-duration points at the offending part of minAge', async () => {
    const { diagnostics } = await load({ 'm.yaml': PAIR.replace('  metrics: [val_auc >= 0.8]', '  minAge: 5min') });
    expect(at(diagnostics)).toEqual(['error invalid-duration@m.yaml:12:12']);
    expect(diagnostics[0]!.summary).toBe('minAge "5min": unknown duration unit "min"');
    expect(diagnostics[0]!.hint).toContain('5m');
  });

  it('minAge as a number is a schema error', async () => {
    const { diagnostics } = await load({ 'm.yaml': PAIR.replace('  metrics: [val_auc >= 0.8]', '  minAge: 3600') });
    // The policy is skipped after its schema error, so the model's reference to it dangles too.
    expect(at(diagnostics)).toEqual(['error unknown-policy@m.yaml:4:23', 'error wrong-type@m.yaml:12:11']);
  });

  it('no-gates: a warning, not an error, with or without an empty gates mapping', async () => {
    for (const replacement of ['gates: {}', 'gates: { metrics: [], tags: {} }', 'onDrift: report']) {
      const { diagnostics } = await load({ 'm.yaml': PAIR.replace('gates:\n  metrics: [val_auc >= 0.8]', replacement) });
      expect(diagnostics.map((d) => `${d.severity} ${d.code}`), replacement).toEqual(['warning no-gates']);
      expect(diagnostics[0]!.summary).toBe('policy "churn-champion" has no gates: every new candidate is promoted to champion unconditionally');
    }
  });

  it('newest-candidate tag values cannot hold a single quote (labctl searches MLflow with them)', async () => {
    const { diagnostics } = await load({ 'm.yaml': PAIR.replace('{ alias: challenger }', `{ newest: { tags: { note: "it's ok" } } }`) });
    expect(at(diagnostics)).toEqual(['error unknown-policy@m.yaml:4:23', 'error invalid-format@m.yaml:9:38']);
  });
});

describe('model references in experiment variants', () => {
  it('modelRef: undefined for no reference, null for a malformed one', () => {
    expect(modelRef({ model: 'churn@champion', threshold: 0.4 })).toEqual({ name: 'churn', alias: 'champion' });
    expect(modelRef({ model: 'm1@Champion_2-b' })).toEqual({ name: 'm1', alias: 'Champion_2-b' });
    for (const v of [undefined, null, 'churn@champion', [{ model: 'a@b' }], { prompt: 'x' }, { model: 3 }, { model: null }, { model: 'gpt-4.1-mini' }, { model: 'churn' }]) {
      expect(modelRef(v), JSON.stringify(v)).toBeUndefined();
    }
    for (const bad of ['churn@', '@champion', 'a@b@c', 'Churn@champion', 'churn@v1.2', ' churn@champion', 'team/churn@x']) {
      expect(modelRef({ model: bad }), bad).toBeNull();
    }
  });

  const experiment = (...values: string[]) =>
    yaml(
      'kind: Experiment', // 1
      'name: canary', // 2
      'variants:', // 3
      ...values.flatMap((v, i) => [`  - key: v${i}`, '    weight: 1', `    value: ${v}`]), // 4.., 3 lines each; value on 6, 9, 12 …
    );

  it('invalid-model-ref, unknown-model, unmanaged-model-alias; declared and candidate aliases are fine', async () => {
    const { diagnostics } = await load({
      'm.yaml': PAIR,
      'e.yaml': experiment(
        '{ model: churn@champion }', // 6: declared alias
        '{ model: churn@challenger }', // 9: the policy's candidate alias
        '{ model: "churn@" }', // 12: malformed
        '{ model: chrn@champion }', // 15: unknown model
        '{ model: churn@shadow }', // 18: unmanaged alias
        '{ model: churn }', // 21: a declared model without an alias
        '{ model: gpt-4.1-mini, temperature: 0.2 }', // 24: an LLM name, not a reference
      ),
    });
    expect(at(diagnostics)).toEqual(['error invalid-model-ref@e.yaml:12:21', 'error unknown-model@e.yaml:15:21', 'warning unmanaged-model-alias@e.yaml:18:21', 'error invalid-model-ref@e.yaml:21:21']);
    const [malformed, unknown, unmanaged, noAlias] = diagnostics;
    expect(malformed!.hint).toBe('write model: churn-classifier@champion');
    expect(malformed!.path).toBe('/variants/2/value/model');
    expect(unknown!.hint).toBe('did you mean "churn"?');
    expect(unmanaged!.summary).toBe('model "churn" does not declare alias "shadow" and no promotion policy uses it as candidate');
    expect(noAlias!.summary).toBe('model reference "churn" has no alias');
    expect(noAlias!.hint).toContain('churn@champion');
  });
});

describe('the samples in models/', () => {
  it('validate without diagnostics and normalise as documented', async () => {
    const dir = fileURLToPath(new URL('../../models', import.meta.url));
    const state = loader.load(await readSpecDir(dir));
    expect(state.diagnostics).toEqual([]);
    const byKey = new Map(state.resources.map((r) => [`${r.kind}/${r.name}`, r.spec]));
    expect([...byKey.keys()].sort()).toEqual(['Model/churn-classifier', 'Model/fraud-scorer', 'PromotionPolicy/churn-champion']);
    expect(byKey.get('Model/churn-classifier')).toMatchObject({ mlflowName: 'churn_classifier', aliases: { champion: { policy: 'churn-champion' }, baseline: { version: '3' } } });
    expect(byKey.get('PromotionPolicy/churn-champion')).toMatchObject({
      candidate: { alias: 'challenger' },
      target: 'champion',
      gates: { metrics: ['val_auc >= 0.8', 'latency_p95_ms <= 200', 'val_auc >= champion + 0.01'], minAge: '1h', tags: { validation_status: 'approved' } },
      onDrift: 'report',
    });
    expect(byKey.get('Model/fraud-scorer')).toMatchObject({ mlflowName: 'fraud-scorer', aliases: { production: { version: '12' } } });
  });
});

describe('alias names that are Object.prototype members are plain data', () => {
  it('__proto__ and constructor aliases are kept and checked like any other', async () => {
    const s = await specs({ 'm.yaml': yaml('kind: Model', 'name: m', 'aliases:', '  __proto__: { version: 2 }', '  constructor: { version: 3 }') });
    expect(Object.keys(s.get('Model/m')!.aliases as object)).toEqual(['__proto__', 'constructor']);
    const { diagnostics } = await load({ 'm.yaml': PAIR.replace('target: champion', 'target: constructor') });
    expect(find(diagnostics, 'alias-not-delegated').summary).toContain('does not declare alias "constructor"');
  });
});
