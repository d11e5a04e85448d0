import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../core/types.js';
import { assign, evaluate, type Assignment, type AssignmentReason } from '../../engine/assignment/assign.js';
import { hashUnit } from '../../engine/assignment/hash.js';
import { buildSnapshot, type Snapshot, type SnapshotResource } from '../../engine/assignment/snapshot.js';
import { snapshotFromDir } from '../../reconciler/load/snapshot.js';

// ---------------------------------------------------------------------------------------------
// Specs as kinds/experiment/kind.ts `normalise` produces them.

const CONTROL = { color: 'grey' };
const GREEN = { color: 'green' };
const NOW = Date.parse('2025-06-15T12:00:00.000Z');

function experiment(name: string, overrides: JsonObject = {}): SnapshotResource {
  const spec: JsonObject = {
    name,
    status: 'running',
    unit: 'user_id',
    seed: name,
    phase: 1,
    coverage: 1,
    variants: [
      { key: 'control', weight: 1, value: CONTROL },
      { key: 'green', weight: 1, value: GREEN },
    ],
    ...overrides,
  };
  return { kind: 'Experiment', name, spec };
}

function holdout(name: string, share: number, experiments?: string[]): SnapshotResource {
  const spec: JsonObject = { name, share };
  if (experiments) spec.experiments = experiments;
  return { kind: 'Holdout', name, spec };
}

const snap = (...resources: SnapshotResource[]): Snapshot => buildSnapshot(resources, 'test-revision', NOW);

// ---------------------------------------------------------------------------------------------
// Units picked by their hashes, so every row below exercises exactly the step it names.

const UNITS = Array.from({ length: 20000 }, (_, i) => `u${i}`);
function unitWhere(pred: (u: string) => boolean): string {
  const u = UNITS.find(pred);
  if (u === undefined) throw new Error('no unit satisfies the predicate');
  return u;
}

/** Split of the default 50/50 experiment 'exp' (seed 'exp'): index 0 below 0.5, 1 above. */
const split = (u: string, seed = 'exp') => hashUnit(seed, u);
const inHoldout = (u: string, name = 'h', share = 0.3) => hashUnit(`holdout:${name}`, u) < share;
const layerHash = (u: string, name = 'checkout') => hashUnit(`layer:${name}`, u);

const U_CONTROL = unitWhere((u) => split(u) < 0.5 && !inHoldout(u));
const U_GREEN = unitWhere((u) => split(u) >= 0.5 && !inHoldout(u) && layerHash(u) < 0.5);
const U_HELD = unitWhere((u) => inHoldout(u) && split(u) >= 0.5);
const U_NOT_HELD = unitWhere((u) => !inHoldout(u) && split(u) >= 0.5);
const U_IN_LAYER = unitWhere((u) => layerHash(u) < 0.5 && split(u) >= 0.5 && !inHoldout(u));
const U_OUT_OF_LAYER = unitWhere((u) => layerHash(u) >= 0.5 && !inHoldout(u));
/** Coverage 0.5 of 50/50: ranges [0, .25) and [.5, .75); this unit hashes in the gap. */
const U_UNCOVERED = unitWhere((u) => split(u) >= 0.25 && split(u) < 0.5 && layerHash(u) >= 0.5 && !inHoldout(u));
const U_COVERED = unitWhere((u) => split(u) >= 0.5 && split(u) < 0.75 && !inHoldout(u));

// ---------------------------------------------------------------------------------------------

type Expected = Pick<Assignment, 'variant' | 'inExperiment' | 'reason'> & { value?: Assignment['value'] };
interface Row {
  resources: SnapshotResource[];
  attributes: Record<string, unknown>;
  expected: Expected;
  now?: number;
  experiment?: string;
}

const SPLIT_GREEN: Expected = { variant: 'green', value: GREEN, inExperiment: true, reason: 'split' };
const notEnrolled = (reason: AssignmentReason): Expected => ({ variant: 'control', value: CONTROL, inExperiment: false, reason });

const reasonRows: Array<[string, Row]> = [
  // split
  ['split: unit hashed into the second range', { resources: [experiment('exp')], attributes: { user_id: U_GREEN }, expected: SPLIT_GREEN }],
  ['split: unit hashed into the first range', { resources: [experiment('exp')], attributes: { user_id: U_CONTROL }, expected: { variant: 'control', value: CONTROL, inExperiment: true, reason: 'split' } }],
  ['split: extra attributes do not matter', { resources: [experiment('exp')], attributes: { user_id: U_GREEN, country: 'NL', device: { os: 'ios' } }, expected: SPLIT_GREEN }],
  ['split: variant without a value gets null', { resources: [experiment('exp', { variants: [{ key: 'a', weight: 1 }, { key: 'b', weight: 1 }] })], attributes: { user_id: U_GREEN }, expected: { variant: 'b', value: null, inExperiment: true, reason: 'split' } }],
  ['split: weights are normalised (2:2 = 1:1)', { resources: [experiment('exp', { variants: [{ key: 'control', weight: 2, value: CONTROL }, { key: 'green', weight: 2, value: GREEN }] })], attributes: { user_id: U_GREEN }, expected: SPLIT_GREEN }],
  ['split: inside the schedule', { resources: [experiment('exp', { schedule: { start: '2025-01-01T00:00:00.000Z', end: '2026-01-01T00:00:00.000Z' } })], attributes: { user_id: U_GREEN }, expected: SPLIT_GREEN }],
  ['split: schedule start is inclusive', { resources: [experiment('exp', { schedule: { start: new Date(NOW).toISOString() } })], attributes: { user_id: U_GREEN }, expected: SPLIT_GREEN }],
  ['split: targeting matches', { resources: [experiment('exp', { targeting: { country: { $in: ['NL', 'BE'] } } })], attributes: { user_id: U_GREEN, country: 'NL' }, expected: SPLIT_GREEN }],
  ['split: inside the layer slice', { resources: [experiment('exp', { layer: { name: 'checkout', range: [0, 0.5] } })], attributes: { user_id: U_IN_LAYER }, expected: SPLIT_GREEN }],
  ['split: inside coverage', { resources: [experiment('exp', { coverage: 0.5 })], attributes: { user_id: U_COVERED }, expected: SPLIT_GREEN }],
  ['split: not in the holdout', { resources: [experiment('exp'), holdout('h', 0.3)], attributes: { user_id: U_NOT_HELD }, expected: SPLIT_GREEN }],
  ['split: holdout for other experiments only', { resources: [experiment('exp'), holdout('h', 0.3, ['other'])], attributes: { user_id: U_HELD }, expected: SPLIT_GREEN }],
  ['split: holdout with share 0 holds nobody', { resources: [experiment('exp'), holdout('h', 0)], attributes: { user_id: U_GREEN }, expected: SPLIT_GREEN }],
  ['split: override naming an unknown variant is ignored', { resources: [experiment('exp', { overrides: { [U_GREEN]: 'nope' } })], attributes: { user_id: U_GREEN }, expected: SPLIT_GREEN }],
  ['split: override for another unit does not apply', { resources: [experiment('exp', { overrides: { someone: 'control' } })], attributes: { user_id: U_GREEN }, expected: SPLIT_GREEN }],
  ['split: custom unit attribute', { resources: [experiment('exp', { unit: 'device_id' })], attributes: { device_id: U_GREEN, user_id: U_CONTROL }, expected: SPLIT_GREEN }],

  // override
  ['override: forces a variant the split would not give', { resources: [experiment('exp', { overrides: { [U_CONTROL]: 'green' } })], attributes: { user_id: U_CONTROL }, expected: { variant: 'green', value: GREEN, inExperiment: false, reason: 'override' } }],
  ['override: forcing the control', { resources: [experiment('exp', { overrides: { [U_GREEN]: 'control' } })], attributes: { user_id: U_GREEN }, expected: { variant: 'control', value: CONTROL, inExperiment: false, reason: 'override' } }],
  ['override: applies outside coverage', { resources: [experiment('exp', { coverage: 0, overrides: { qa: 'green' } })], attributes: { user_id: 'qa' }, expected: { variant: 'green', value: GREEN, inExperiment: false, reason: 'override' } }],

  // holdout
  ['holdout: unit held out by a global holdout', { resources: [experiment('exp'), holdout('h', 0.3)], attributes: { user_id: U_HELD }, expected: notEnrolled('holdout') }],
  ['holdout: unit held out by a holdout naming the experiment', { resources: [experiment('exp'), holdout('h', 0.3, ['exp'])], attributes: { user_id: U_HELD }, expected: notEnrolled('holdout') }],
  ['holdout: share 1 holds everyone', { resources: [experiment('exp'), holdout('all', 1)], attributes: { user_id: U_GREEN }, expected: notEnrolled('holdout') }],
  ['holdout: any of several holdouts', { resources: [experiment('exp'), holdout('none', 0), holdout('h', 0.3)], attributes: { user_id: U_HELD }, expected: notEnrolled('holdout') }],

  // targeting_miss
  ['targeting_miss: attribute differs', { resources: [experiment('exp', { targeting: { country: 'NL' } })], attributes: { user_id: U_GREEN, country: 'BE' }, expected: notEnrolled('targeting_miss') }],
  ['targeting_miss: targeted attribute missing', { resources: [experiment('exp', { targeting: { country: 'NL' } })], attributes: { user_id: U_GREEN }, expected: notEnrolled('targeting_miss') }],
  ['targeting_miss: dot path', { resources: [experiment('exp', { targeting: { 'device.os': 'ios' } })], attributes: { user_id: U_GREEN, device: { os: 'android' } }, expected: notEnrolled('targeting_miss') }],
  ['targeting_miss: version operator', { resources: [experiment('exp', { targeting: { app: { $vgte: '2.0.0' } } })], attributes: { user_id: U_GREEN, app: '1.9.9' }, expected: notEnrolled('targeting_miss') }],

  // layer_miss
  ['layer_miss: outside the layer slice', { resources: [experiment('exp', { layer: { name: 'checkout', range: [0, 0.5] } })], attributes: { user_id: U_OUT_OF_LAYER }, expected: notEnrolled('layer_miss') }],

  // coverage_miss
  ['coverage_miss: hash between the covered ranges', { resources: [experiment('exp', { coverage: 0.5 })], attributes: { user_id: U_UNCOVERED }, expected: notEnrolled('coverage_miss') }],
  ['coverage_miss: coverage 0 enrols nobody', { resources: [experiment('exp', { coverage: 0 })], attributes: { user_id: U_GREEN }, expected: notEnrolled('coverage_miss') }],

  // missing_unit
  ['missing_unit: no unit attribute', { resources: [experiment('exp')], attributes: { country: 'NL' }, expected: notEnrolled('missing_unit') }],
  ['missing_unit: unit attribute null', { resources: [experiment('exp')], attributes: { user_id: null }, expected: notEnrolled('missing_unit') }],
  ['missing_unit: unit attribute empty string', { resources: [experiment('exp')], attributes: { user_id: '' }, expected: notEnrolled('missing_unit') }],
  ['missing_unit: a different attribute than the experiment unit', { resources: [experiment('exp', { unit: 'device_id' })], attributes: { user_id: U_GREEN }, expected: notEnrolled('missing_unit') }],

  // not_running
  ['not_running: paused', { resources: [experiment('exp', { status: 'paused' })], attributes: { user_id: U_GREEN }, expected: notEnrolled('not_running') }],
  ['not_running: draft', { resources: [experiment('exp', { status: 'draft' })], attributes: { user_id: U_GREEN }, expected: notEnrolled('not_running') }],
  ['not_running: stopped', { resources: [experiment('exp', { status: 'stopped' })], attributes: { user_id: U_GREEN }, expected: notEnrolled('not_running') }],
  ['not_running: before the schedule starts', { resources: [experiment('exp', { schedule: { start: '2025-07-01T00:00:00.000Z' } })], attributes: { user_id: U_GREEN }, expected: notEnrolled('not_running') }],
  ['not_running: after the schedule ends', { resources: [experiment('exp', { schedule: { end: '2025-06-01T00:00:00.000Z' } })], attributes: { user_id: U_GREEN }, expected: notEnrolled('not_running') }],
  ['not_running: schedule end is exclusive', { resources: [experiment('exp', { schedule: { end: new Date(NOW).toISOString() } })], attributes: { user_id: U_GREEN }, expected: notEnrolled('not_running') }],
  ['not_running: one millisecond before the start', { resources: [experiment('exp', { schedule: { start: new Date(NOW + 1).toISOString() } })], attributes: { user_id: U_GREEN }, expected: notEnrolled('not_running') }],

  // unknown_experiment
  ['unknown_experiment: no such experiment', { resources: [experiment('exp')], experiment: 'nope', attributes: { user_id: U_GREEN }, expected: { variant: null, value: null, inExperiment: false, reason: 'unknown_experiment' } }],
  ['unknown_experiment: a holdout is not an experiment', { resources: [experiment('exp'), holdout('h', 0.3)], experiment: 'h', attributes: { user_id: U_GREEN }, expected: { variant: null, value: null, inExperiment: false, reason: 'unknown_experiment' } }],
  ['unknown_experiment: empty snapshot', { resources: [], attributes: { user_id: U_GREEN }, expected: { variant: null, value: null, inExperiment: false, reason: 'unknown_experiment' } }],
];

/** Two steps fail at once: the earlier step in the order of docs/assignment.md decides the reason. */
const orderRows: Array<[string, Row]> = [
  ['not running beats override', { resources: [experiment('exp', { status: 'paused', overrides: { [U_GREEN]: 'green' } })], attributes: { user_id: U_GREEN }, expected: notEnrolled('not_running') }],
  ['not running beats missing unit', { resources: [experiment('exp', { status: 'paused' })], attributes: {}, expected: notEnrolled('not_running') }],
  ['outside schedule beats override', { resources: [experiment('exp', { schedule: { end: '2025-01-01T00:00:00.000Z' }, overrides: { [U_GREEN]: 'green' } })], attributes: { user_id: U_GREEN }, expected: notEnrolled('not_running') }],
  ['not running beats holdout', { resources: [experiment('exp', { status: 'draft' }), holdout('all', 1)], attributes: { user_id: U_GREEN }, expected: notEnrolled('not_running') }],
  ['missing unit beats holdout and targeting', { resources: [experiment('exp', { targeting: { country: 'NL' } }), holdout('all', 1)], attributes: { country: 'BE' }, expected: notEnrolled('missing_unit') }],
  ['override beats holdout', { resources: [experiment('exp', { overrides: { [U_HELD]: 'green' } }), holdout('h', 0.3)], attributes: { user_id: U_HELD }, expected: { variant: 'green', value: GREEN, inExperiment: false, reason: 'override' } }],
  ['override beats targeting', { resources: [experiment('exp', { targeting: { country: 'NL' }, overrides: { [U_CONTROL]: 'green' } })], attributes: { user_id: U_CONTROL, country: 'US' }, expected: { variant: 'green', value: GREEN, inExperiment: false, reason: 'override' } }],
  ['override beats layer', { resources: [experiment('exp', { layer: { name: 'checkout', range: [0, 0.5] }, overrides: { [U_OUT_OF_LAYER]: 'green' } })], attributes: { user_id: U_OUT_OF_LAYER }, expected: { variant: 'green', value: GREEN, inExperiment: false, reason: 'override' } }],
  ['override beats coverage', { resources: [experiment('exp', { coverage: 0.5, overrides: { [U_UNCOVERED]: 'green' } })], attributes: { user_id: U_UNCOVERED }, expected: { variant: 'green', value: GREEN, inExperiment: false, reason: 'override' } }],
  ['holdout beats targeting', { resources: [experiment('exp', { targeting: { country: 'NL' } }), holdout('h', 0.3)], attributes: { user_id: U_HELD, country: 'US' }, expected: notEnrolled('holdout') }],
  ['holdout beats layer', { resources: [experiment('exp', { layer: { name: 'checkout', range: [0, 0] } }), holdout('all', 1)], attributes: { user_id: U_GREEN }, expected: notEnrolled('holdout') }],
  ['holdout beats coverage', { resources: [experiment('exp', { coverage: 0 }), holdout('all', 1)], attributes: { user_id: U_GREEN }, expected: notEnrolled('holdout') }],
  ['targeting beats layer', { resources: [experiment('exp', { targeting: { country: 'NL' }, layer: { name: 'checkout', range: [0, 0.5] } })], attributes: { user_id: U_OUT_OF_LAYER, country: 'US' }, expected: notEnrolled('targeting_miss') }],
  ['targeting beats coverage', { resources: [experiment('exp', { targeting: { country: 'NL' }, coverage: 0 })], attributes: { user_id: U_GREEN, country: 'US' }, expected: notEnrolled('targeting_miss') }],
  ['layer beats coverage', { resources: [experiment('exp', { layer: { name: 'checkout', range: [0, 0.5] }, coverage: 0.5 })], attributes: { user_id: U_UNCOVERED }, expected: notEnrolled('layer_miss') }],
];

function run(row: Row): Assignment {
  return assign(snap(...row.resources), row.experiment ?? 'exp', row.attributes, row.now ?? NOW);
}

describe('assign: every reason', () => {
  it.each(reasonRows)('%s', (_name, row) => {
    const a = run(row);
    expect(a).toEqual({ experiment: row.experiment ?? 'exp', value: row.expected.value ?? null, ...row.expected });
  });

  it('the table covers every reason', () => {
    const reasons: AssignmentReason[] = ['split', 'override', 'holdout', 'targeting_miss', 'layer_miss', 'coverage_miss', 'missing_unit', 'not_running', 'unknown_experiment'];
    expect(new Set(reasonRows.map(([, r]) => r.expected.reason))).toEqual(new Set(reasons));
  });
});

describe('assign: the order of docs/assignment.md (not running → unit → overrides → holdout → targeting → layer → coverage/split)', () => {
  it.each(orderRows)('%s', (_name, row) => {
    expect(run(row)).toEqual({ experiment: 'exp', value: row.expected.value ?? null, ...row.expected });
  });
});

describe('evaluate: details', () => {
  const exp = (s: Snapshot) => s.experiments.get('exp')!;

  it.each<[string, SnapshotResource[], Record<string, unknown>, { reason: AssignmentReason; unit: string | null; hash: 'split' | null }]>([
    ['split has the unit and its hash', [experiment('exp')], { user_id: U_GREEN }, { reason: 'split', unit: U_GREEN, hash: 'split' }],
    ['coverage_miss has the hash that missed', [experiment('exp', { coverage: 0.5 })], { user_id: U_UNCOVERED }, { reason: 'coverage_miss', unit: U_UNCOVERED, hash: 'split' }],
    ['override has the unit, no hash', [experiment('exp', { overrides: { [U_GREEN]: 'control' } })], { user_id: U_GREEN }, { reason: 'override', unit: U_GREEN, hash: null }],
    ['holdout has the unit, no hash', [experiment('exp'), holdout('all', 1)], { user_id: U_GREEN }, { reason: 'holdout', unit: U_GREEN, hash: null }],
    ['targeting_miss has the unit, no hash', [experiment('exp', { targeting: { country: 'NL' } })], { user_id: U_GREEN }, { reason: 'targeting_miss', unit: U_GREEN, hash: null }],
    ['layer_miss has the unit, no hash', [experiment('exp', { layer: { name: 'checkout', range: [0, 0.5] } })], { user_id: U_OUT_OF_LAYER }, { reason: 'layer_miss', unit: U_OUT_OF_LAYER, hash: null }],
    ['missing_unit has neither', [experiment('exp')], {}, { reason: 'missing_unit', unit: null, hash: null }],
    ['not_running has neither', [experiment('exp', { status: 'paused' })], { user_id: U_GREEN }, { reason: 'not_running', unit: null, hash: null }],
  ])('%s', (_name, resources, attributes, want) => {
    const s = snap(...resources);
    const d = evaluate(exp(s), attributes, NOW);
    expect(d.reason).toBe(want.reason);
    expect(d.unit).toBe(want.unit);
    expect(d.hash).toBe(want.hash === 'split' ? hashUnit('exp', want.unit!) : null);
    expect(d.phase).toBe(1);
    // evaluate and assign agree on the answer itself
    const { unit: _u, hash: _h, phase: _p, ...answer } = d;
    expect(answer).toEqual(assign(s, 'exp', attributes, NOW));
  });

  it('reports the phase', () => {
    expect(evaluate(exp(snap(experiment('exp', { phase: 3 }))), { user_id: 'u1' }, NOW).phase).toBe(3);
  });
});

describe('not-enrolled units get the control value', () => {
  const variants: Array<{ key: string; weight: number; value: JsonObject }> = [
    { key: 'off', weight: 1, value: { enabled: false, copy: 'Buy' } },
    { key: 'on', weight: 1, value: { enabled: true, copy: 'Buy now' } },
    { key: 'on-red', weight: 1, value: { enabled: true, copy: 'BUY', color: 'red' } },
  ];
  const s = snap(experiment('exp', { variants, coverage: 0.3, targeting: { country: 'NL' }, layer: { name: 'checkout', range: [0.1, 0.9] } }), holdout('h', 0.2));
  it('every non-split answer is the first variant with inExperiment false; every split answer is in the experiment', () => {
    const seen = new Set<AssignmentReason>();
    for (const u of UNITS.slice(0, 3000)) {
      for (const country of ['NL', 'US']) {
        const a = assign(s, 'exp', { user_id: u, country }, NOW);
        seen.add(a.reason);
        if (a.reason === 'split') {
          expect(a.inExperiment).toBe(true);
          expect(variants.map((v) => v.key)).toContain(a.variant);
        } else {
          expect(a).toEqual({ experiment: 'exp', variant: 'off', value: variants[0]!.value, inExperiment: false, reason: a.reason });
        }
      }
    }
    expect(seen).toEqual(new Set(['split', 'holdout', 'targeting_miss', 'layer_miss', 'coverage_miss']));
  });
});

describe('unit values', () => {
  const s = snap(experiment('exp', { overrides: { '42': 'green', true: 'green' } }), experiment('plain'));

  it.each<[string, unknown, string]>([
    ['integer', 42, '42'],
    ['negative integer', -7, '-7'],
    ['float', 3.5, '3.5'],
    ['large integer', 12345678901234, '12345678901234'],
    ['boolean', false, 'false'],
  ])('a %s unit is hashed as its string', (_name, value, asString) => {
    const e = s.experiments.get('plain')!;
    const d = evaluate(e, { user_id: value }, NOW);
    expect(d.unit).toBe(asString);
    expect(assign(s, 'plain', { user_id: value }, NOW)).toEqual(assign(s, 'plain', { user_id: asString }, NOW));
    expect(d.hash).toBe(hashUnit('plain', asString));
  });

  it('numeric units are stringified over many values', () => {
    for (let i = 0; i < 2000; i++) expect(assign(s, 'plain', { user_id: i }, NOW)).toEqual(assign(s, 'plain', { user_id: String(i) }, NOW));
  });

  it('an override keyed by the string form applies to a number unit', () => {
    expect(assign(s, 'exp', { user_id: 42 }, NOW)).toMatchObject({ variant: 'green', reason: 'override' });
    expect(assign(s, 'exp', { user_id: true }, NOW)).toMatchObject({ variant: 'green', reason: 'override' });
  });

  it('0 is a unit, not a missing one', () => {
    expect(assign(s, 'plain', { user_id: 0 }, NOW).reason).not.toBe('missing_unit');
  });

  it('the unit is hashed exactly: no trimming or case folding', () => {
    const d = (u: string) => evaluate(s.experiments.get('plain')!, { user_id: u }, NOW).hash;
    expect(d(' U1 ')).toBe(hashUnit('plain', ' U1 '));
    expect(d('U1')).toBe(hashUnit('plain', 'U1'));
  });
});

describe('hash-based steps use the seeds docs/assignment.md names', () => {
  const sample = UNITS.slice(0, 4000);

  it('split: variant from hash(seed, unit) and the weighted, covered ranges', () => {
    const variants = [
      { key: 'a', weight: 2 },
      { key: 'b', weight: 3 },
      { key: 'c', weight: 5 },
    ];
    const s = snap(experiment('exp', { seed: 'checkout-2025', variants, coverage: 0.8 }));
    // normalised .2/.3/.5 with coverage .8: [0, .16), [.2, .44), [.5, .9)
    const expectedOf = (h: number) => (h < 0.16 ? 'a' : h >= 0.2 && h < 0.44 ? 'b' : h >= 0.5 && h < 0.9 ? 'c' : null);
    const counts: Record<string, number> = {};
    for (const u of sample) {
      const h = hashUnit('checkout-2025', u);
      const a = assign(s, 'exp', { user_id: u }, NOW);
      const want = expectedOf(h);
      if (want === null) expect(a).toMatchObject({ variant: 'a', inExperiment: false, reason: 'coverage_miss' });
      else expect(a).toMatchObject({ variant: want, inExperiment: true, reason: 'split' });
      counts[a.reason === 'split' ? a.variant! : 'out'] = (counts[a.reason === 'split' ? a.variant! : 'out'] ?? 0) + 1;
    }
    // shares roughly .16/.24/.40/.20
    expect(counts.a! / sample.length).toBeCloseTo(0.16, 1);
    expect(counts.b! / sample.length).toBeCloseTo(0.24, 1);
    expect(counts.c! / sample.length).toBeCloseTo(0.4, 1);
    expect(counts.out! / sample.length).toBeCloseTo(0.2, 1);
  });

  it("the experiment's seed field is what is hashed", () => {
    const a = snap(experiment('exp', { seed: 'one' }));
    const b = snap(experiment('exp', { seed: 'two' }));
    const differ = sample.filter((u) => assign(a, 'exp', { user_id: u }, NOW).variant !== assign(b, 'exp', { user_id: u }, NOW).variant);
    expect(differ.length).toBeGreaterThan(sample.length * 0.3);
    for (const u of sample.slice(0, 500)) expect(evaluate(a.experiments.get('exp')!, { user_id: u }, NOW).hash).toBe(hashUnit('one', u));
  });

  it.each<[string, [number, number]]>([
    ['lower half', [0, 0.5]],
    ['middle slice', [0.2, 0.6]],
    ['upper slice', [0.75, 1]],
  ])("layer membership: hash('layer:' + name, unit) in [start, end) — %s", (_name, range) => {
    const s = snap(experiment('exp', { seed: 'exp-seed', layer: { name: 'search', range } }));
    let inside = 0;
    for (const u of sample) {
      const lh = hashUnit('layer:search', u);
      const member = lh >= range[0] && lh < range[1];
      const a = assign(s, 'exp', { user_id: u }, NOW);
      expect(a.reason === 'layer_miss').toBe(!member);
      if (member) inside++;
    }
    expect(inside / sample.length).toBeCloseTo(range[1] - range[0], 1);
  });

  it('layer membership does not depend on the experiment seed or name', () => {
    const layer = { name: 'search', range: [0.2, 0.6] };
    const a = snap(experiment('exp', { seed: 'x', layer }));
    const b = snap(experiment('exp', { seed: 'y', layer }));
    for (const u of sample) expect(assign(a, 'exp', { user_id: u }, NOW).reason === 'layer_miss').toBe(assign(b, 'exp', { user_id: u }, NOW).reason === 'layer_miss');
  });

  it('experiments in one layer with disjoint slices never both enrol a unit', () => {
    const s = snap(experiment('left', { layer: { name: 'search', range: [0, 0.5] } }), experiment('right', { layer: { name: 'search', range: [0.5, 1] } }));
    for (const u of sample) {
      const l = assign(s, 'left', { user_id: u }, NOW).reason === 'layer_miss';
      const r = assign(s, 'right', { user_id: u }, NOW).reason === 'layer_miss';
      expect(l).not.toBe(r);
    }
  });

  it.each([0.1, 0.25, 0.5])("holdout: hash('holdout:' + name, unit) < share — share %d", (share) => {
    const s = snap(experiment('exp'), experiment('other'), holdout('global-q3', share));
    let held = 0;
    for (const u of sample) {
      const want = hashUnit('holdout:global-q3', u) < share;
      const a = assign(s, 'exp', { user_id: u }, NOW);
      expect(a.reason === 'holdout').toBe(want);
      // the same units are held out of every experiment the holdout covers
      expect(assign(s, 'other', { user_id: u }, NOW).reason === 'holdout').toBe(want);
      if (want) held++;
    }
    expect(held / sample.length).toBeCloseTo(share, 1);
  });

  it('holdout membership ignores the experiment seed and the unit attribute name', () => {
    const s = snap(experiment('exp', { seed: 'a' }), experiment('dev', { seed: 'b', unit: 'device_id' }), holdout('h', 0.3));
    for (const u of sample.slice(0, 1000)) {
      expect(assign(s, 'exp', { user_id: u }, NOW).reason === 'holdout').toBe(assign(s, 'dev', { device_id: u }, NOW).reason === 'holdout');
    }
  });
});

describe('determinism', () => {
  const resources = (): SnapshotResource[] => [
    experiment('checkout-button', {
      seed: 'checkout-button',
      coverage: 0.8,
      variants: [
        { key: 'control', weight: 1, value: { color: 'grey' } },
        { key: 'green', weight: 1, value: { color: 'green' } },
        { key: 'blue', weight: 2, value: { color: 'blue' } },
      ],
      targeting: { country: { $in: ['NL', 'BE', 'DE'] } },
      layer: { name: 'checkout', range: [0, 0.6] },
      overrides: { 'qa-1': 'blue' },
    }),
    experiment('search-ranking', { unit: 'device_id', seed: 'search-v2', coverage: 0.5 }),
    holdout('global', 0.05),
  ];
  const units = UNITS.slice(0, 5000);
  const attrsOf = (u: string, i: number) => ({ user_id: u, device_id: `d-${u}`, country: ['NL', 'BE', 'US', 'DE'][i % 4] });
  const answers = (s: Snapshot) => units.flatMap((u, i) => ['checkout-button', 'search-ranking'].map((e) => assign(s, e, attrsOf(u, i), NOW)));

  it('two snapshots built separately (resources in a different order) answer identically', () => {
    const a = buildSnapshot(resources(), 'a', NOW);
    const b = buildSnapshot(resources().reverse(), 'b', NOW + 1000);
    expect(answers(a)).toEqual(answers(b));
  });

  it('repeated calls on one snapshot answer identically, interleaved with other units', () => {
    const s = buildSnapshot(resources(), 'a', NOW);
    const first = answers(s);
    const second = answers(s);
    expect(second).toEqual(first);
    // answers are fresh objects: holding one does not see later calls
    const held = assign(s, 'checkout-button', { user_id: 'u1', country: 'NL' }, NOW);
    const copy = structuredClone(held);
    assign(s, 'checkout-button', { user_id: 'u2', country: 'US' }, NOW);
    expect(held).toEqual(copy);
  });

  describe('a snapshot from YAML (snapshotFromDir) answers like hand-built specs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'labctl-assign-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(
      join(dir, 'experiments.yaml'),
      `kind: Layer
name: checkout
unit: user_id
---
kind: Experiment
name: checkout-button
status: running
coverage: 0.8
variants:
  - key: control
    weight: 1
    value: { color: grey }
  - key: green
    weight: 1
    value: { color: green }
  - key: blue
    weight: 2
    value: { color: blue }
targeting:
  country: { $in: [NL, BE, DE] }
layer: { name: checkout, range: [0, 0.6] }
overrides:
  qa-1: blue
---
kind: Experiment
name: search-ranking
status: running
unit: device_id
seed: search-v2
coverage: 0.5
variants:
  - key: control
    weight: 1
    value: { color: grey }
  - key: green
    weight: 1
    value: { color: green }
---
kind: Holdout
name: global
share: 0.05
`,
    );

    it('same answers for 10,000 assignments', async () => {
      const fromYaml = await snapshotFromDir(dir);
      expect(answers(fromYaml)).toEqual(answers(buildSnapshot(resources(), 'hand', NOW)));
      expect(assign(fromYaml, 'checkout-button', { user_id: 'qa-1', country: 'US' }, NOW)).toEqual({ experiment: 'checkout-button', variant: 'blue', value: { color: 'blue' }, inExperiment: false, reason: 'override' });
    });

    it('two loads of the same directory have the same revision and answers', async () => {
      const a = await snapshotFromDir(dir);
      const b = await snapshotFromDir(dir);
      expect(a.revision).toBe(b.revision);
      expect(answers(a)).toEqual(answers(b));
    });
  });
});
