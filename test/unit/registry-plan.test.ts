// The model-registry planner (pure): desired Models and PromotionPolicies, loaded and normalised by
// the spec loader from in-memory YAML, against hand-built observations of MLflow → steps, policy
// decisions, notes and problems; the stale-plan fingerprint; the runs planning reads; and the
// registry section of the text and markdown plans.
import { describe, expect, it } from 'vitest';
import { summarise } from '../../core/diff.js';
import type { Change, JsonObject, Plan, Resource } from '../../core/types.js';
import { SpecLoader } from '../../reconciler/load/index.js';
import { candidateRule, observedFingerprint, planRegistry, runsNeeded, selectCandidate, type RegistryPlanOutput } from '../../reconciler/plan/registry-assemble.js';
import type { ObservedModel, ObservedVersion, PromotionDecision, RegistryObservation, RegistryPlan, RegistryStep } from '../../core/registry.js';
import { renderPlanMarkdown, renderPlanText } from '../../reconciler/render/index.js';
import { registrySummaryLine, renderRegistryMarkdown, renderRegistryText } from '../../reconciler/render/registry.js';

const NOW = Date.parse('2025-03-01T12:00:00Z');
const DAY = 86_400_000;
const loader = new SpecLoader();
const yaml = (...lines: string[]) => lines.join('\n') + '\n';

/** Load YAML documents (file name → text) as the CLI does, without touching the disk. */
function load(files: Record<string, string>): Resource[] {
  const state = loader.load(Object.entries(files).map(([path, text]) => ({ path, bytes: Buffer.from(text) })));
  expect(state.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return state.resources;
}

interface ModelOpts {
  name?: string;
  mlflowName?: string;
  description?: string;
  tags?: Record<string, string>;
  pinned?: Record<string, number>;
  /** alias → policy name */
  policies?: Record<string, string>;
}

function modelDoc(o: ModelOpts = {}): string {
  const lines = ['kind: Model', `name: ${o.name ?? 'churn'}`];
  if (o.mlflowName !== undefined) lines.push(`mlflowName: ${o.mlflowName}`);
  if (o.description !== undefined) lines.push(`description: ${JSON.stringify(o.description)}`);
  if (o.tags) lines.push(`tags: ${JSON.stringify(o.tags)}`);
  const aliases = [
    ...Object.entries(o.pinned ?? {}).map(([a, v]) => `  ${a}: { version: ${v} }`),
    ...Object.entries(o.policies ?? {}).map(([a, p]) => `  ${a}: { policy: ${p} }`),
  ];
  if (aliases.length > 0) lines.push('aliases:', ...aliases);
  return yaml(...lines);
}

interface PolicyOpts {
  name?: string;
  model?: string;
  target?: string;
  /** candidate alias (default challenger) */
  alias?: string;
  /** candidate newest version with these tags (instead of an alias) */
  newest?: Record<string, string>;
  metrics?: string[];
  minAge?: string;
  gateTags?: Record<string, string>;
  onDrift?: 'report' | 'restore';
}

function policyDoc(o: PolicyOpts = {}): string {
  const lines = ['kind: PromotionPolicy', `name: ${o.name ?? 'churn-champion'}`, `model: ${o.model ?? 'churn'}`];
  lines.push(o.newest ? `candidate: { newest: { tags: ${JSON.stringify(o.newest)} } }` : `candidate: { alias: ${o.alias ?? 'challenger'} }`);
  lines.push(`target: ${o.target ?? 'champion'}`, 'gates:');
  lines.push(`  metrics: ${JSON.stringify(o.metrics ?? GATES)}`);
  if (o.minAge !== undefined) lines.push(`  minAge: ${o.minAge}`);
  if (o.gateTags) lines.push(`  tags: ${JSON.stringify(o.gateTags)}`);
  if (o.onDrift) lines.push(`onDrift: ${o.onDrift}`);
  return yaml(...lines);
}

const GATES = ['val_auc >= 0.80', 'latency_p95_ms <= 200', 'val_auc >= champion + 0.01'];

/** The usual pair: model churn (MLflow churn_classifier) with champion delegated to churn-champion. */
function churn(model: ModelOpts = {}, policy: PolicyOpts = {}): Resource[] {
  return load({
    'models/churn.yaml': modelDoc({ mlflowName: 'churn_classifier', description: 'Predicts churn.', tags: { team: 'growth' }, policies: { champion: 'churn-champion' }, ...model }) + '---\n' + policyDoc(policy),
  });
}

const ver = (version: string, o: Partial<ObservedVersion> = {}): ObservedVersion => ({ version, status: 'READY', runId: `run-${version}`, createdAt: NOW - DAY, tags: {}, ...o });

const observed = (o: Partial<ObservedModel> = {}): ObservedModel => ({
  mlflowName: 'churn_classifier',
  exists: true,
  isPrompt: false,
  description: 'Predicts churn.',
  tags: { team: 'growth' },
  aliases: {},
  versions: [],
  ...o,
});

const absent = (mlflowName = 'churn_classifier'): ObservedModel => ({ mlflowName, exists: false, isPrompt: false, description: '', tags: {}, aliases: {}, versions: [] });

function observation(models: Record<string, ObservedModel>, runs: Record<string, Record<string, number> | null> = {}, lastSet: Record<string, string> = {}): RegistryObservation {
  return { models: new Map(Object.entries(models)), runs: new Map(Object.entries(runs)), lastSet: new Map(Object.entries(lastSet)) };
}

function plan(desired: Resource[], obs: RegistryObservation, previous: Record<string, JsonObject> = {}): RegistryPlanOutput {
  return planRegistry({ desired, previous: new Map(Object.entries(previous)), observation: obs, nowMs: NOW });
}

const only = <T>(xs: readonly T[]): T => {
  expect(xs).toHaveLength(1);
  return xs[0]!;
};
const aliasSteps = (out: RegistryPlanOutput) => out.steps.filter((s): s is Extract<RegistryStep, { op: 'set-alias' }> => s.op === 'set-alias');
const problemCodes = (out: RegistryPlanOutput) => out.problems.map((p) => `${p.resource.name}:${p.problem.code}`);

/** Three versions: v1 and v2 good, v3 better by more than 0.01; challenger at v3 unless said otherwise. */
const GOOD_RUNS = {
  'run-1': { val_auc: 0.83, latency_p95_ms: 150 },
  'run-2': { val_auc: 0.85, latency_p95_ms: 140 },
  'run-3': { val_auc: 0.87, latency_p95_ms: 120 },
};
const THREE = [ver('1'), ver('2'), ver('3')];

describe('a model MLflow does not have yet', () => {
  it('one create-model step with description and tags; policies wait; a pinned alias is a problem, not a step', () => {
    const desired = churn({ tags: { team: 'growth', tier: 'gold' }, pinned: { baseline: 1 } });
    const out = plan(desired, observation({ churn: absent() }));
    expect(out.steps).toEqual([{ model: 'churn', mlflowName: 'churn_classifier', op: 'create-model', description: 'Predicts churn.', tags: { team: 'growth', tier: 'gold' } }]);
    expect(aliasSteps(out)).toEqual([]);
    const d = only(out.decisions);
    expect(d.outcome).toBe('waiting');
    expect(d.message).toContain('"churn_classifier" does not exist in MLflow yet');
    expect(problemCodes(out)).toEqual(['churn:pinned-version-missing']);
    expect(out.problems[0]!.problem.path).toEqual(['aliases', 'baseline', 'version']);
    expect(out.problems[0]!.problem.summary).toContain('the registered model does not exist yet');
    expect(out.models).toEqual([{ model: 'churn', mlflowName: 'churn_classifier', exists: false, fingerprint: observedFingerprint(absent()) }]);
  });

  it('a model without description: create-model carries no description; the MLflow name defaults to the labctl name', () => {
    const desired = load({ 'm.yaml': modelDoc({ name: 'fraud' }) });
    const out = plan(desired, observation({ fraud: absent('fraud') }));
    expect(out.steps).toEqual([{ model: 'fraud', mlflowName: 'fraud', op: 'create-model', tags: {} }]);
    expect(out.decisions).toEqual([]);
    expect(out.problems).toEqual([]);
  });
});

describe('description and tags of an existing model', () => {
  it('a different description and tag values become set-description / set-model-tag steps with before, tags by key', () => {
    const desired = churn({ description: 'Predicts churn (v2).', tags: { team: 'growth', tier: 'gold', domain: 'retention' } });
    const out = plan(desired, observation({ churn: observed({ description: 'old text', tags: { team: 'growth', tier: 'silver' } }) }));
    const base = { model: 'churn', mlflowName: 'churn_classifier' };
    expect(out.steps).toEqual([
      { ...base, op: 'set-description', description: 'Predicts churn (v2).', before: 'old text' },
      { ...base, op: 'set-model-tag', key: 'domain', value: 'retention' },
      { ...base, op: 'set-model-tag', key: 'tier', value: 'gold', before: 'silver' },
    ]);
    expect('before' in out.steps[1]!).toBe(false);
  });

  it('a tag removed from the spec and still in MLflow is deleted; tags labctl never managed are left alone', () => {
    const desired = churn({ tags: { team: 'growth' } });
    const previous = { churn: { tags: { team: 'growth', tier: 'gold', gone: 'already' } } as JsonObject };
    const out = plan(desired, observation({ churn: observed({ tags: { team: 'growth', tier: 'gold', 'owner-notes': 'hand-written' } }) }), previous);
    expect(out.steps).toEqual([{ model: 'churn', mlflowName: 'churn_classifier', op: 'delete-model-tag', key: 'tier', before: 'gold' }]);
    // Without the previous spec, labctl does not know it managed tier: nothing is deleted.
    expect(plan(desired, observation({ churn: observed({ tags: { team: 'growth', tier: 'gold' } }) })).steps).toEqual([]);
  });

  it('nothing differs → no steps; a spec without description leaves MLflow\'s alone', () => {
    const same = plan(churn(), observation({ churn: observed() }));
    expect(same.steps).toEqual([]);
    const noDescription = load({ 'm.yaml': modelDoc({ mlflowName: 'churn_classifier', tags: { team: 'growth' } }) });
    expect(plan(noDescription, observation({ churn: observed({ description: 'written in the UI' }) })).steps).toEqual([]);
  });
});

describe('pinned aliases', () => {
  const desired = () => churn({ pinned: { baseline: 2 } });

  it('already at the pinned version → no step', () => {
    const out = plan(desired(), observation({ churn: observed({ versions: THREE, aliases: { baseline: '2' } }) }));
    expect(out.steps).toEqual([]);
    expect(out.problems).toEqual([]);
    expect(out.notes).toEqual([]);
  });

  it('elsewhere or unset → set-alias with reason pin, no drift, no note', () => {
    const moved = plan(desired(), observation({ churn: observed({ versions: THREE, aliases: { baseline: '3' } }) }));
    expect(moved.steps).toEqual([{ model: 'churn', mlflowName: 'churn_classifier', op: 'set-alias', alias: 'baseline', version: '2', from: '3', reason: 'pin' }]);
    expect(moved.notes).toEqual([]);
    // labctl last set version 1 (the pin was 1 before the spec changed): not drift either.
    const repinned = plan(desired(), observation({ churn: observed({ versions: THREE, aliases: { baseline: '1' } }) }, {}, { 'churn/baseline': '1' }));
    expect(only(aliasSteps(repinned))).toMatchObject({ version: '2', from: '1', reason: 'pin' });
    expect(only(aliasSteps(repinned)).drift).toBeUndefined();
    const unset = plan(desired(), observation({ churn: observed({ versions: THREE }) }));
    expect(only(aliasSteps(unset))).toMatchObject({ alias: 'baseline', version: '2', from: null, reason: 'pin' });
  });

  it('moved by hand away from what labctl set → restore with drift and a warning note', () => {
    const out = plan(desired(), observation({ churn: observed({ versions: THREE, aliases: { baseline: '3' } }) }, {}, { 'churn/baseline': '2' }));
    expect(out.steps).toEqual([{ model: 'churn', mlflowName: 'churn_classifier', op: 'set-alias', alias: 'baseline', version: '2', from: '3', reason: 'restore', drift: true }]);
    const note = only(out.notes);
    expect(note).toMatchObject({ model: 'churn', level: 'warning' });
    expect(note.message).toContain('alias baseline was moved by hand to version 3');
    expect(note.message).toContain('pinned to version 2');
  });

  it('pinned to a version MLflow does not list → problem pinned-version-missing, no step', () => {
    const out = plan(churn({ pinned: { baseline: 7 } }), observation({ churn: observed({ versions: THREE, aliases: { baseline: '1' } }) }));
    expect(aliasSteps(out)).toEqual([]);
    expect(problemCodes(out)).toEqual(['churn:pinned-version-missing']);
    const p = out.problems[0]!.problem;
    expect(p.path).toEqual(['aliases', 'baseline', 'version']);
    expect(p.summary).toContain('pinned to version 7');
    expect(p.summary).toContain('MLflow does not have');
    expect(p.hint).toContain('1, 2, 3');
  });
});

describe('promotion decisions', () => {
  const decision = (out: RegistryPlanOutput): PromotionDecision => only(out.decisions);

  it('promote: every gate passes; the step carries gates, from and policy', () => {
    const out = plan(churn(), observation({ churn: observed({ versions: THREE, aliases: { champion: '2', challenger: '3' } }) }, GOOD_RUNS));
    const d = decision(out);
    expect(d).toMatchObject({ policy: 'churn-champion', model: 'churn', target: 'champion', outcome: 'promote', candidate: '3', incumbent: '2', candidateRule: 'alias challenger' });
    expect(d.gates.map((g) => [g.type, g.passed])).toEqual([
      ['metric', true],
      ['metric', true],
      ['relative', true],
    ]);
    expect(d.message).toBe('promote version 3 (alias challenger) to champion, replacing version 2');
    const step = only(out.steps);
    expect(step).toMatchObject({ op: 'set-alias', alias: 'champion', version: '3', from: '2', reason: 'promotion', policy: 'churn-champion' });
    expect(step.op === 'set-alias' && step.gates).toEqual(d.gates);
    expect(step.op === 'set-alias' && step.drift).toBeUndefined();
  });

  it('blocked by a failing absolute gate: no step', () => {
    const runs = { ...GOOD_RUNS, 'run-3': { val_auc: 0.75, latency_p95_ms: 120 } };
    const out = plan(churn({}, { metrics: ['val_auc >= 0.8', 'latency_p95_ms <= 200'] }), observation({ churn: observed({ versions: THREE, aliases: { challenger: '3' } }) }, runs));
    const d = decision(out);
    expect(d.outcome).toBe('blocked');
    expect(d.gates.filter((g) => !g.passed).map((g) => g.gate)).toEqual(['val_auc >= 0.8']);
    expect(d.message).toBe('version 3 (alias challenger) is blocked: 1 of 2 gates failed');
    expect(out.steps).toEqual([]);
  });

  it('blocked by a failing relative gate (better, but not by the required margin)', () => {
    const runs = { ...GOOD_RUNS, 'run-3': { val_auc: 0.855, latency_p95_ms: 130 } };
    const out = plan(churn(), observation({ churn: observed({ versions: THREE, aliases: { champion: '2', challenger: '3' } }) }, runs));
    const d = decision(out);
    expect(d.outcome).toBe('blocked');
    const failed = only(d.gates.filter((g) => !g.passed));
    expect(failed).toMatchObject({ type: 'relative', measured: 0.855, threshold: 0.86 });
    expect(failed.text).toMatch(/^val_auc 0\.855 ≥ champion 0\.850 \+ 0\.010 = 0\.860$/);
    expect(out.steps).toEqual([]);
  });

  it('blocked when the candidate\'s run is gone: every metric gate fails', () => {
    const runs = { ...GOOD_RUNS, 'run-3': null };
    const out = plan(churn(), observation({ churn: observed({ versions: THREE, aliases: { champion: '2', challenger: '3' } }) }, runs));
    const d = decision(out);
    expect(d.outcome).toBe('blocked');
    expect(d.gates.map((g) => g.passed)).toEqual([false, false, false]);
    expect(d.gates[0]!.text).toContain('candidate version 3 has no run');
    expect(out.steps).toEqual([]);
  });

  it('current: the candidate already holds the target', () => {
    const out = plan(churn(), observation({ churn: observed({ versions: THREE, aliases: { champion: '3', challenger: '3' } }) }, GOOD_RUNS));
    const d = decision(out);
    expect(d).toMatchObject({ outcome: 'current', candidate: '3', incumbent: '3', gates: [] });
    expect(d.message).toBe('version 3 (alias challenger) already holds champion');
    expect(out.steps).toEqual([]);
  });

  it('no-candidate: the candidate alias is unset, or points at a version MLflow does not list', () => {
    const unset = decision(plan(churn(), observation({ churn: observed({ versions: THREE, aliases: { champion: '2' } }) }, GOOD_RUNS)));
    expect(unset).toMatchObject({ outcome: 'no-candidate', candidate: null, incumbent: '2' });
    expect(unset.message).toBe('no candidate: alias challenger is not set in MLflow');
    const dangling = decision(plan(churn(), observation({ churn: observed({ versions: THREE, aliases: { challenger: '9' } }) }, GOOD_RUNS)));
    expect(dangling.outcome).toBe('no-candidate');
    expect(dangling.message).toContain('points at version 9');
  });

  it('no-candidate: no READY version has the candidate tags', () => {
    const desired = churn({}, { newest: { validation_status: 'approved' }, metrics: ['val_auc >= 0.8'] });
    const versions = [ver('1', { tags: { validation_status: 'pending' } }), ver('2', { status: 'PENDING_REGISTRATION', tags: { validation_status: 'approved' } })];
    const d = decision(plan(desired, observation({ churn: observed({ versions }) }, GOOD_RUNS)));
    expect(d).toMatchObject({ outcome: 'no-candidate', candidate: null, candidateRule: 'newest ready version with validation_status=approved' });
    expect(d.message).toBe('no candidate: no ready version has validation_status=approved');
  });

  it('a candidate alias at a version that is not READY → blocked without evaluating gates', () => {
    const versions = [ver('1'), ver('2', { status: 'PENDING_REGISTRATION' })];
    const out = plan(churn(), observation({ churn: observed({ versions, aliases: { challenger: '2' } }) }, GOOD_RUNS));
    const d = decision(out);
    expect(d).toMatchObject({ outcome: 'blocked', candidate: '2', gates: [] });
    expect(d.message).toBe('version 2 (alias challenger) is PENDING_REGISTRATION, not READY');
    expect(out.steps).toEqual([]);
  });

  it('newest with tags: the highest version number (numerically) among READY versions having every tag', () => {
    const desired = churn({}, { newest: { validation_status: 'approved', team: 'growth' }, metrics: ['val_auc >= 0.8'] });
    const approved = { validation_status: 'approved', team: 'growth' };
    const versions = [
      ver('10', { tags: approved }),
      ver('9', { tags: approved }),
      ver('11', { tags: { validation_status: 'approved' } }), // lacks team
      ver('12', { tags: { ...approved, validation_status: 'pending' } }),
      ver('13', { tags: approved, status: 'FAILED_REGISTRATION' }),
      ver('2', { tags: approved }),
    ];
    const runs = { 'run-10': { val_auc: 0.9 } };
    const out = plan(desired, observation({ churn: observed({ versions }) }, runs));
    const d = decision(out);
    expect(d).toMatchObject({ outcome: 'promote', candidate: '10' });
    expect(d.candidateRule).toBe('newest ready version with validation_status=approved, team=growth');
    expect(only(aliasSteps(out))).toMatchObject({ version: '10', from: null });
    const picked = selectCandidate(desired.find((r) => r.kind === 'PromotionPolicy')!.spec, observed({ versions }));
    expect('version' in picked && picked.version.version).toBe('10');
  });

  it('newest without tags: any READY version; the rule says so', () => {
    const desired = churn({}, { newest: {}, metrics: ['val_auc >= 0.8'] });
    const policy = desired.find((r) => r.kind === 'PromotionPolicy')!.spec;
    expect(candidateRule(policy)).toBe('newest ready version');
    const picked = selectCandidate(policy, observed({ versions: [ver('1'), ver('3'), ver('4', { status: 'PENDING_REGISTRATION' })] }));
    expect('version' in picked && picked.version.version).toBe('3');
  });

  it('a relative gate is skipped (and passes) while the target alias is unset', () => {
    const out = plan(churn(), observation({ churn: observed({ versions: THREE, aliases: { challenger: '3' } }) }, GOOD_RUNS));
    const d = decision(out);
    expect(d.outcome).toBe('promote');
    const rel = d.gates.find((g) => g.type === 'relative')!;
    expect(rel).toMatchObject({ passed: true, skipped: true });
    expect(rel.text).toContain('no version holds champion yet');
    expect(d.message).toBe('promote version 3 (alias challenger) to champion');
    expect(only(aliasSteps(out)).from).toBeNull();
  });

  it('minAge is measured against nowMs; tag gates read the candidate version\'s tags', () => {
    const desired = churn({}, { metrics: ['val_auc >= 0.8'], minAge: '1h', gateTags: { validation_status: 'approved' } });
    const young = [ver('1'), ver('2', { createdAt: NOW - 10 * 60_000, tags: { validation_status: 'approved' } })];
    const d = only(plan(desired, observation({ churn: observed({ versions: young, aliases: { challenger: '2' } }) }, GOOD_RUNS)).decisions);
    expect(d.outcome).toBe('blocked');
    expect(d.gates.map((g) => [g.type, g.passed])).toEqual([
      ['metric', true],
      ['age', false],
      ['tag', true],
    ]);
    const old = [ver('1'), ver('2', { createdAt: NOW - 2 * 3_600_000, tags: { validation_status: 'approved' } })];
    expect(only(plan(desired, observation({ churn: observed({ versions: old, aliases: { challenger: '2' } }) }, GOOD_RUNS)).decisions).outcome).toBe('promote');
  });
});

describe('drift on a policy alias (labctl set champion to 2; someone moved it to 1 by hand)', () => {
  const drifted = (aliases: Record<string, string>, versions = THREE) => observation({ churn: observed({ versions, aliases }) }, GOOD_RUNS, { 'churn/champion': '2' });

  it('onDrift report: held with a warning note, no step (the candidate is that same version 2)', () => {
    const out = plan(churn(), drifted({ champion: '1', challenger: '2' }));
    const d = only(out.decisions);
    expect(d).toMatchObject({ outcome: 'held', candidate: '2', incumbent: '1' });
    expect(d.message).toContain('champion was moved by hand to version 1 (labctl last set version 2)');
    expect(d.message).toContain('onDrift: report only reports it');
    expect(out.steps).toEqual([]);
    const note = only(out.notes);
    expect(note).toMatchObject({ model: 'churn', level: 'warning' });
    expect(note.message).toBe(`policy churn-champion: ${d.message}`);
  });

  it('onDrift report also holds when the candidate is blocked or there is none', () => {
    const blockedRuns = { ...GOOD_RUNS, 'run-3': { val_auc: 0.5, latency_p95_ms: 120 } };
    const blocked = plan(churn(), observation({ churn: observed({ versions: THREE, aliases: { champion: '1', challenger: '3' } }) }, blockedRuns, { 'churn/champion': '2' }));
    expect(only(blocked.decisions).outcome).toBe('held');
    expect(blocked.steps).toEqual([]);
    const none = plan(churn(), drifted({ champion: '1' }));
    expect(only(none.decisions).outcome).toBe('held');
    expect(only(none.decisions).message).toContain('no candidate');
    expect(none.steps).toEqual([]);
  });

  it('onDrift restore: a restore step back to the version labctl last set, not a promotion', () => {
    const out = plan(churn({}, { onDrift: 'restore' }), drifted({ champion: '1', challenger: '2' }));
    const d = only(out.decisions);
    expect(d.outcome).toBe('restore');
    expect(d.message).toContain('onDrift: restore puts version 2 back');
    expect(out.steps).toEqual([
      { model: 'churn', mlflowName: 'churn_classifier', op: 'set-alias', alias: 'champion', version: '2', from: '1', reason: 'restore', policy: 'churn-champion', drift: true },
    ]);
    // Unset by hand: restored from nothing.
    const unset = plan(churn({}, { onDrift: 'restore' }), drifted({ challenger: '2' }));
    expect(only(aliasSteps(unset))).toMatchObject({ version: '2', from: null, reason: 'restore', drift: true });
  });

  it('onDrift restore cannot restore a version MLflow no longer lists: held with a warning', () => {
    const out = plan(churn({}, { onDrift: 'restore' }), drifted({ champion: '1', challenger: '3' }, [ver('1'), ver('3', { status: 'PENDING_REGISTRATION' })]));
    const d = only(out.decisions);
    expect(d.outcome).toBe('held');
    expect(d.message).toContain('cannot restore a version MLflow no longer lists');
    expect(out.steps).toEqual([]);
    expect(only(out.notes).level).toBe('warning');
  });

  it('a new candidate that passes while drifted is promoted (drift: true, with a warning note)', () => {
    for (const onDrift of ['report', 'restore'] as const) {
      const out = plan(churn({}, { onDrift }), drifted({ champion: '1', challenger: '3' }));
      const d = only(out.decisions);
      expect(d).toMatchObject({ outcome: 'promote', candidate: '3', incumbent: '1' });
      expect(out.steps).toEqual([expect.objectContaining({ op: 'set-alias', alias: 'champion', version: '3', from: '1', reason: 'promotion', drift: true })]);
      const note = only(out.notes);
      expect(note.level).toBe('warning');
      expect(note.message).toContain('moved by hand to version 1');
      expect(note.message).toContain('a new candidate passed its gates and is promoted');
    }
  });

  it('moved by hand onto the candidate: kept when it passes the gates, a gate bypass otherwise (held, or restored)', () => {
    const passing = plan(churn(), drifted({ champion: '3', challenger: '3' }));
    expect(only(passing.decisions)).toMatchObject({ outcome: 'current', candidate: '3', incumbent: '3' });
    expect(passing.steps).toEqual([]);
    expect(only(passing.notes).message).toContain('it passes the gates, so it is kept');

    const weak = { ...GOOD_RUNS, 'run-3': { val_auc: 0.7, latency_p95_ms: 120 } };
    const obs = (onDrift: 'report' | 'restore') => plan(churn({}, { onDrift }), observation({ churn: observed({ versions: THREE, aliases: { champion: '3', challenger: '3' } }) }, weak, { 'churn/champion': '2' }));
    const held = obs('report');
    expect(only(held.decisions).outcome).toBe('held');
    expect(only(held.decisions).message).toContain('fails');
    expect(held.steps).toEqual([]);
    const restored = obs('restore');
    expect(only(restored.decisions).outcome).toBe('restore');
    expect(only(aliasSteps(restored))).toMatchObject({ version: '2', from: '3', reason: 'restore' });
  });

  it('no drift when the alias is where labctl last set it', () => {
    const out = plan(churn(), observation({ churn: observed({ versions: THREE, aliases: { champion: '2', challenger: '3' } }) }, GOOD_RUNS, { 'churn/champion': '2' }));
    expect(only(out.decisions).outcome).toBe('promote');
    expect(only(aliasSteps(out)).drift).toBeUndefined();
    expect(out.notes).toEqual([]);
  });
});

describe('a registered model that is an MLflow prompt', () => {
  it('problem mlflow-name-is-prompt at mlflowName, and no steps or decisions', () => {
    const out = plan(churn({ pinned: { baseline: 1 }, description: 'changed' }), observation({ churn: observed({ isPrompt: true, versions: THREE, tags: { 'mlflow.prompt.is_prompt': 'true' } }) }, GOOD_RUNS));
    expect(out.steps).toEqual([]);
    expect(out.decisions).toEqual([]);
    expect(problemCodes(out)).toEqual(['churn:mlflow-name-is-prompt']);
    expect(out.problems[0]!.problem.path).toEqual(['mlflowName']);
    expect(out.problems[0]!.problem.summary).toContain('"churn_classifier" is a prompt');
    expect(out.models).toEqual([expect.objectContaining({ model: 'churn', exists: true })]);
  });

  it('with the MLflow name defaulted to the model name, the problem does not point at a mlflowName the spec lacks', () => {
    const desired = load({ 'm.yaml': modelDoc({ name: 'summariser' }) });
    const out = plan(desired, observation({ summariser: observed({ mlflowName: 'summariser', isPrompt: true }) }));
    expect(problemCodes(out)).toEqual(['summariser:mlflow-name-is-prompt']);
    expect(out.problems[0]!.problem.path).toEqual([]);
  });
});

describe('step order', () => {
  it('per model: create / description / tags, then pinned aliases (by alias), then promotions; models by name', () => {
    const desired = load({
      'models/z.yaml':
        modelDoc({ name: 'zeta', description: 'Z', tags: { b: '2', a: '1' }, pinned: { stable: 1, baseline: 1 }, policies: { champion: 'zeta-champion' } }) +
        '---\n' +
        policyDoc({ name: 'zeta-champion', model: 'zeta', metrics: [] }),
      'models/a.yaml': modelDoc({ name: 'alpha', description: 'A', tags: { k: 'v' } }),
      'models/m.yaml': modelDoc({ name: 'mu', description: 'M', pinned: { baseline: 1 } }),
    });
    const out = plan(
      desired,
      observation({
        zeta: observed({ mlflowName: 'zeta', description: 'old', tags: {}, versions: [ver('1'), ver('2')], aliases: { challenger: '2' } }),
        alpha: absent('alpha'),
        mu: observed({ mlflowName: 'mu', description: 'M', tags: {}, versions: [ver('1')] }),
      }),
    );
    expect(out.steps.map((s) => `${s.model} ${s.op}${s.op === 'set-alias' ? ` ${s.alias} ${s.reason}` : s.op === 'set-model-tag' ? ` ${s.key}` : ''}`)).toEqual([
      'alpha create-model',
      'mu set-alias baseline pin',
      'zeta set-description',
      'zeta set-model-tag a',
      'zeta set-model-tag b',
      'zeta set-alias baseline pin',
      'zeta set-alias stable pin',
      'zeta set-alias champion promotion',
    ]);
    expect(out.models.map((m) => m.model)).toEqual(['alpha', 'mu', 'zeta']);
  });
});

describe('runsNeeded', () => {
  it('candidate and incumbent runs of policies with metric gates only; deduplicated and sorted; none for absent models', () => {
    const desired = load({
      'a.yaml': modelDoc({ name: 'a', policies: { champion: 'a-champion' } }) + '---\n' + policyDoc({ name: 'a-champion', model: 'a' }),
      'b.yaml': modelDoc({ name: 'b', policies: { champion: 'b-champion' } }) + '---\n' + policyDoc({ name: 'b-champion', model: 'b', metrics: [], minAge: '1h' }),
      'c.yaml': modelDoc({ name: 'c', policies: { champion: 'c-champion' } }) + '---\n' + policyDoc({ name: 'c-champion', model: 'c' }),
      'd.yaml': modelDoc({ name: 'd', policies: { champion: 'd-champion', prod: 'd-prod' } }) + '---\n' + policyDoc({ name: 'd-champion', model: 'd' }) + '---\n' + policyDoc({ name: 'd-prod', model: 'd', target: 'prod', alias: 'champion', metrics: ['val_auc >= prod'] }),
    });
    const models = new Map<string, ObservedModel>([
      ['a', observed({ mlflowName: 'a', versions: [ver('1', { runId: 'r-a1' }), ver('2', { runId: 'r-a2' })], aliases: { champion: '1', challenger: '2' } })],
      ['b', observed({ mlflowName: 'b', versions: [ver('1', { runId: 'r-b1' }), ver('2', { runId: 'r-b2' })], aliases: { champion: '1', challenger: '2' } })],
      ['c', absent('c')],
      // d: champion and prod share versions, so the runs repeat; challenger at a version without a run.
      ['d', observed({ mlflowName: 'd', versions: [ver('1', { runId: 'r-d1' }), ver('2', { runId: 'r-d2' }), ver('3', { runId: '' })], aliases: { challenger: '3', champion: '2', prod: '1' } })],
    ]);
    expect(runsNeeded(desired, models)).toEqual(['r-a1', 'r-a2', 'r-d1', 'r-d2']);
  });
});

describe('observedFingerprint', () => {
  const base = () => observed({ versions: [ver('1', { tags: { a: '1' } }), ver('2')], aliases: { champion: '1' } });

  it('moves when an alias moves, a version or a version tag is added, or a model tag changes', () => {
    const fp = observedFingerprint(base());
    expect(fp).toMatch(/^[0-9a-f]{16}$/);
    expect(observedFingerprint(base())).toBe(fp);
    expect(observedFingerprint({ ...base(), aliases: { champion: '2' } })).not.toBe(fp);
    expect(observedFingerprint({ ...base(), aliases: { champion: '1', challenger: '2' } })).not.toBe(fp);
    expect(observedFingerprint({ ...base(), versions: [...base().versions, ver('3')] })).not.toBe(fp);
    expect(observedFingerprint({ ...base(), versions: [ver('1', { tags: { a: '1' } }), ver('2', { tags: { validation_status: 'approved' } })] })).not.toBe(fp);
    expect(observedFingerprint({ ...base(), versions: [ver('1', { tags: { a: '1' } }), ver('2', { status: 'FAILED_REGISTRATION' })] })).not.toBe(fp);
    expect(observedFingerprint({ ...base(), tags: { team: 'core' } })).not.toBe(fp);
    expect(observedFingerprint({ ...base(), exists: false })).not.toBe(fp);
    expect(observedFingerprint(undefined)).toBe('unread');
  });

  it('is stable under the order MLflow lists versions and keys in', () => {
    const fp = observedFingerprint(base());
    const reordered = observed({ versions: [ver('2'), ver('1', { tags: { a: '1' } })], aliases: { champion: '1' } });
    expect(observedFingerprint(reordered)).toBe(fp);
    const manyA = observed({ versions: ['10', '9', '1'].map((v) => ver(v)), aliases: { x: '1', y: '9' } });
    const manyB = observed({ versions: ['1', '9', '10'].map((v) => ver(v)), aliases: { y: '9', x: '1' } });
    expect(observedFingerprint(manyA)).toBe(observedFingerprint(manyB));
  });

  it('is what planRegistry records per model', () => {
    const o = base();
    const out = plan(churn(), observation({ churn: o }, GOOD_RUNS));
    expect(out.models).toEqual([{ model: 'churn', mlflowName: 'churn_classifier', exists: true, fingerprint: observedFingerprint(o) }]);
  });
});

// ---- renderers ------------------------------------------------------------------------------

function registryOf(desired: Resource[], out: RegistryPlanOutput): RegistryPlan {
  return {
    status: 'planned',
    trackingUri: 'http://mlflow.test:5000',
    declared: { models: desired.filter((r) => r.kind === 'Model').map((r) => r.name).sort(), policies: desired.filter((r) => r.kind === 'PromotionPolicy').map((r) => r.name).sort() },
    models: out.models,
    steps: out.steps,
    decisions: out.decisions,
    notes: out.notes,
  };
}

/** churn (promotes 3 over 2, baseline pinned back to 1) and fraud (blocked: val_auc too low). */
function mixed(): RegistryPlan {
  const desired = load({
    'churn.yaml': modelDoc({ mlflowName: 'churn_classifier', description: 'Predicts churn.', tags: { team: 'growth' }, pinned: { baseline: 1 }, policies: { champion: 'churn-champion' } }) + '---\n' + policyDoc(),
    'fraud.yaml': modelDoc({ name: 'fraud', tags: { team: 'risk' }, policies: { champion: 'fraud-champion' } }) + '---\n' + policyDoc({ name: 'fraud-champion', model: 'fraud', metrics: ['val_auc >= 0.9', 'latency_p95_ms <= 200', 'val_auc >= champion + 0.01'] }),
  });
  const out = plan(
    desired,
    observation(
      {
        churn: observed({ versions: THREE, aliases: { champion: '2', challenger: '3', baseline: '2' } }),
        fraud: observed({ mlflowName: 'fraud', description: '', tags: { team: 'risk' }, versions: [ver('1', { runId: 'f1' })], aliases: { challenger: '1' } }),
      },
      { ...GOOD_RUNS, f1: { val_auc: 0.85, latency_p95_ms: 180 } },
    ),
  );
  return registryOf(desired, out);
}

const change: Change = { kind: 'Experiment', name: 'checkout-button', action: 'create', before: null, after: { status: 'running' }, fields: [{ path: 'status', after: 'running' }], fingerprint: 'x' };

function planWith(registry: RegistryPlan | undefined, changes: Change[] = [change]): Plan {
  return {
    format_version: '1',
    revision: 'r2',
    base_revision: 'r1',
    created_at: '2025-03-01T12:00:00Z',
    git_sha: '0123456789abcdef0123',
    prune: false,
    summary: summarise(changes),
    changes,
    diagnostics: [],
    ...(registry ? { registry } : {}),
  };
}

describe('registry renderers', () => {
  it('text: steps, each decision with its gate lines (✓ ✗ –), and the summary line', () => {
    const r = mixed();
    const lines = renderRegistryText(r);
    expect(lines[0]).toBe('Model registry (MLflow at http://mlflow.test:5000):');
    expect(lines).toContain('  ~ churn_classifier: alias baseline → version 1 (was version 2) — pinned');
    expect(lines).toContain('  ⇑ policy churn-champion: promote version 3 (alias challenger) to champion, replacing version 2');
    expect(lines).toContain('      ✓ val_auc 0.870 ≥ 0.800');
    expect(lines).toContain('      ✓ latency_p95_ms 120 ≤ 200');
    expect(lines).toContain('      ✓ val_auc 0.870 ≥ champion 0.850 + 0.010 = 0.860');
    expect(lines).toContain('  ✗ policy fraud-champion: version 1 (alias challenger) is blocked: 1 of 3 gates failed');
    expect(lines).toContain('      ✗ val_auc 0.850 ≥ 0.900');
    expect(lines).toContain('      – val_auc >= champion + 0.01: skipped, no version holds champion yet');
    // A promotion is shown once, with its decision, not again as a step line.
    expect(lines.filter((l) => l.includes('alias champion'))).toEqual([]);
    // The blocked decision's gates follow it, not the promoted one.
    const blockedAt = lines.findIndex((l) => l.includes('policy fraud-champion'));
    expect(lines.slice(blockedAt + 1, blockedAt + 4).every((l) => l.startsWith('      '))).toBe(true);
    expect(registrySummaryLine(r)).toBe('MLflow: 2 steps, 1 promotion, 1 blocked.');
  });

  it('text: restores are labelled, and a drift warning the decision does not repeat is shown', () => {
    const desired = churn({ pinned: { baseline: 1 } });
    const out = plan(desired, observation({ churn: observed({ versions: THREE, aliases: { champion: '1', challenger: '3', baseline: '2' } }) }, GOOD_RUNS, { 'churn/champion': '2', 'churn/baseline': '1' }));
    const text = renderRegistryText(registryOf(desired, out)).join('\n');
    expect(text).toContain('alias baseline → version 1 (was version 2) — moved by hand; pinned in git, restored');
    expect(text).toContain('⇑ policy churn-champion: promote version 3');
    // The promotion overwrites a hand move of champion: people must see that before applying.
    expect(text).toContain('champion was moved by hand to version 1 (labctl last set version 2)');
    const md = renderRegistryMarkdown(registryOf(desired, out));
    expect(md).toContain('champion was moved by hand to version 1 (labctl last set version 2)');
  });

  it('text: a held decision is printed once (its note is not repeated)', () => {
    const desired = churn();
    const out = plan(desired, observation({ churn: observed({ versions: THREE, aliases: { champion: '1', challenger: '2' } }) }, GOOD_RUNS, { 'churn/champion': '2' }));
    const text = renderRegistryText(registryOf(desired, out)).join('\n');
    expect(text).toContain('! policy churn-champion: champion was moved by hand to version 1');
    expect(text.split('moved by hand').length - 1).toBe(1);
  });

  it('text: nothing to do when MLflow matches', () => {
    const desired = load({ 'm.yaml': modelDoc({ mlflowName: 'churn_classifier', description: 'Predicts churn.', tags: { team: 'growth' } }) });
    const r = registryOf(desired, plan(desired, observation({ churn: observed() })));
    expect(renderRegistryText(r)).toContain('  nothing to do: MLflow matches the specs');
    expect(registrySummaryLine(r)).toBe('MLflow: 0 steps, 0 promotions.');
    expect(renderRegistryMarkdown(r)).toContain('_MLflow matches the specs._');
  });

  it('skipped: every declared model and policy is listed as skipped; the summary counts them', () => {
    const r: RegistryPlan = { status: 'skipped', reason: 'MLflow not configured', declared: { models: ['churn', 'fraud'], policies: ['churn-champion'] }, models: [], steps: [], decisions: [], notes: [] };
    const lines = renderRegistryText(r);
    expect(lines[0]).toBe('Model registry: skipped: MLflow not configured');
    expect(lines).toContain('  · Model churn: skipped: MLflow not configured');
    expect(lines).toContain('  · Model fraud: skipped: MLflow not configured');
    expect(lines).toContain('  · PromotionPolicy churn-champion: skipped: MLflow not configured');
    expect(lines.some((l) => l.includes('MLFLOW_TRACKING_URI'))).toBe(true);
    expect(registrySummaryLine(r)).toBe('MLflow: skipped (MLflow not configured); 2 model(s) and 1 policy not checked.');
    expect(renderRegistryMarkdown(r)).toContain('_skipped: MLflow not configured_ — 2 model(s) and 1 policy not checked.');
  });

  it('renderPlanText includes the registry section before the summary lines, and only when plan.registry is set', () => {
    const text = renderPlanText(planWith(mixed()), { color: false });
    expect(text).toContain('Model registry (MLflow at http://mlflow.test:5000):');
    expect(text).toContain('⇑ policy churn-champion: promote version 3');
    expect(text.indexOf('Model registry')).toBeGreaterThan(text.indexOf('Experiment checkout-button'));
    expect(text.trimEnd().endsWith('MLflow: 2 steps, 1 promotion, 1 blocked.')).toBe(true);
    const without = renderPlanText(planWith(undefined), { color: false });
    expect(without).not.toContain('Model registry');
    expect(without).not.toContain('MLflow:');
  });

  it('markdown: the registry section right after the change table, gate lines, and the blocked-promotion badge', () => {
    const md = renderPlanMarkdown(planWith(mixed()));
    const head = md.split('\n')[0]!;
    expect(head).toContain('MLflow: 2 steps, 1 promotion, 1 blocked.');
    expect(head).toContain('⛔ 1 blocked promotion');
    const table = md.indexOf('| 🟢 | Experiment | `checkout-button` |');
    const section = md.indexOf('#### Model registry');
    const details = md.indexOf('<details>');
    expect(table).toBeGreaterThan(-1);
    expect(section).toBeGreaterThan(table);
    expect(details).toBeGreaterThan(section);
    expect(md).toContain('- ⬆️ **churn-champion**: promote version 3 (alias challenger) to champion, replacing version 2');
    expect(md).toContain('- ⛔ **fraud-champion**: version 1 (alias challenger) is blocked: 1 of 3 gates failed');
    expect(md).toContain('  - ✗ val_auc 0.850 ≥ 0.900');
    expect(md).toContain('  - ✓ val_auc 0.870 ≥ 0.800');
    expect(md).toContain('- churn_classifier: alias baseline → version 1 (was version 2) — pinned');
  });

  it('markdown: no blocked badge when nothing is blocked; a skipped registry still shows its section', () => {
    const r = mixed();
    const unblocked: RegistryPlan = { ...r, decisions: r.decisions.filter((d) => d.outcome !== 'blocked') };
    expect(renderPlanMarkdown(planWith(unblocked))).not.toContain('blocked promotion');
    const skipped: RegistryPlan = { status: 'skipped', reason: 'MLflow not configured', declared: { models: ['churn'], policies: [] }, models: [], steps: [], decisions: [], notes: [] };
    const md = renderPlanMarkdown(planWith(skipped));
    expect(md).toContain('#### Model registry');
    expect(md).toContain('MLflow: skipped (MLflow not configured); 1 model(s) and 0 policies not checked.');
  });
});
