import { describe, expect, it } from 'vitest';
import { actualRevision, diff, fingerprint, hasChanges, massArchives, revisionAfter, stateRevision, summarise, type DiffOptions } from '../../core/diff.js';
import { specHash } from '../../core/hash.js';
import type { ActualResource, Change, JsonObject, Resource } from '../../core/types.js';
import { KINDS } from '../../kinds/index.js';

const NOW = '2026-01-02T03:04:05.000Z';
const opts = (o: Partial<DiffOptions> = {}): DiffOptions => ({ prune: false, gitSha: 'abc123', now: NOW, kinds: KINDS, ...o });

/** A normalised, running 50/50 experiment spec. */
function experiment(o: Partial<Record<string, unknown>> = {}): JsonObject {
  return {
    status: 'running',
    unit: 'user_id',
    seed: 'checkout-button',
    phase: 1,
    coverage: 1,
    variants: [
      { key: 'control', weight: 50, value: { color: 'blue' } },
      { key: 'green', weight: 50, value: { color: 'green' } },
    ],
    ...o,
  } as JsonObject;
}
const metric = (event: string): JsonObject => ({ type: 'count', event, direction: 'increase' });
const sixtyForty = [
  { key: 'control', weight: 60, value: { color: 'blue' } },
  { key: 'green', weight: 40, value: { color: 'green' } },
];

const desired = (kind: string, name: string, spec: JsonObject): Resource => ({ kind, name, spec });

/** An actual row as the store returns it; recordedHash defaults to the spec's own hash (no drift). */
function actual(kind: string, name: string, spec: JsonObject, o: Partial<ActualResource> = {}): ActualResource {
  return { kind, name, spec, recordedHash: specHash(spec), generation: 1, archived: false, gitSha: 'old', appliedAt: '2026-01-01T00:00:00.000Z', ...o };
}

const only = (changes: Change[]) => {
  expect(changes).toHaveLength(1);
  return changes[0]!;
};

describe('diff: one change per resource', () => {
  it('creates a resource that is not in the database', () => {
    const spec = metric('checkout_completed');
    const plan = diff([desired('Metric', 'checkouts', spec)], [], opts());
    const c = only(plan.changes);
    expect(c).toMatchObject({ kind: 'Metric', name: 'checkouts', action: 'create', before: null, after: spec, fingerprint: 'absent' });
    expect(c.fields).toEqual([{ path: '(root)', after: spec }]);
    expect(c.reason).toBeUndefined();
    expect(plan.summary).toEqual({ add: 1, change: 0, archive: 0, unchanged: 0, wouldArchive: 0 });
    expect(plan.base_revision).toBeNull();
  });

  it('updates a changed resource with field diffs', () => {
    const before = metric('checkout_completed');
    const after = { ...metric('checkout_done'), window: '7d' };
    const a = actual('Metric', 'checkouts', before);
    const c = only(diff([desired('Metric', 'checkouts', after)], [a], opts()).changes);
    expect(c).toMatchObject({ action: 'update', before, after, fingerprint: fingerprint(a) });
    expect(c.fields).toEqual([
      { path: 'event', before: 'checkout_completed', after: 'checkout_done' },
      { path: 'window', after: '7d' },
    ]);
    expect(c.drift).toBeUndefined();
    expect(c.reason).toBeUndefined();
  });

  it('reports a no-op when the actual spec equals the desired one, whatever the key order', () => {
    const spec = metric('e');
    const reordered: JsonObject = { direction: 'increase', event: 'e', type: 'count' };
    const plan = diff([desired('Metric', 'm', reordered)], [actual('Metric', 'm', spec)], opts());
    const c = only(plan.changes);
    expect(c).toMatchObject({ action: 'no-op', before: null, after: null, fields: [] });
    expect(c.pendingPrune).toBeUndefined();
    expect(hasChanges(plan)).toBe(false);
    expect(plan.summary.unchanged).toBe(1);
  });

  it('archives a resource missing from git with --prune', () => {
    const spec = metric('e');
    const a = actual('Metric', 'gone', spec);
    const plan = diff([], [a], opts({ prune: true }));
    const c = only(plan.changes);
    expect(c).toMatchObject({ action: 'archive', before: spec, after: null, fingerprint: fingerprint(a) });
    expect(c.fields).toEqual([{ path: '(root)', before: spec }]);
    expect(plan.summary).toMatchObject({ archive: 1, wouldArchive: 0 });
    expect(plan.prune).toBe(true);
    expect(hasChanges(plan)).toBe(true);
  });

  it('only flags a resource missing from git without --prune', () => {
    const spec = metric('e');
    const plan = diff([], [actual('Metric', 'gone', spec)], opts());
    const c = only(plan.changes);
    expect(c).toMatchObject({ action: 'no-op', before: spec, after: null, fields: [], pendingPrune: true, reason: 'not in git: would archive with --prune' });
    expect(plan.summary).toEqual({ add: 0, change: 0, archive: 0, unchanged: 0, wouldArchive: 1 });
    expect(hasChanges(plan)).toBe(false);
  });

  it('ignores archived resources that are not in git', () => {
    const plan = diff([], [actual('Metric', 'old', metric('e'), { archived: true })], opts({ prune: true }));
    expect(plan.changes).toEqual([]);
    expect(hasChanges(plan)).toBe(false);
  });

  it('restores an archived resource that is back in git', () => {
    const old = metric('e');
    const now = metric('f');
    const a = actual('Metric', 'back', old, { archived: true, generation: 3 });
    const c = only(diff([desired('Metric', 'back', now)], [a], opts()).changes);
    expect(c).toMatchObject({ action: 'create', reason: 'restores an archived resource', before: old, after: now, fingerprint: fingerprint(a) });
    expect(c.fields).toEqual([{ path: 'event', before: 'e', after: 'f' }]);
  });

  it('restores an archived resource even when its spec did not change', () => {
    const spec = metric('e');
    const c = only(diff([desired('Metric', 'back', spec)], [actual('Metric', 'back', spec, { archived: true })], opts()).changes);
    expect(c).toMatchObject({ action: 'create', reason: 'restores an archived resource', fields: [] });
  });
});

describe('diff: drift', () => {
  it('restores the declared state after a hand edit, with a reason', () => {
    const declared = metric('e');
    const edited = metric('hand-edited');
    const a = actual('Metric', 'm', edited, { recordedHash: specHash(declared) });
    const c = only(diff([desired('Metric', 'm', declared)], [a], opts()).changes);
    expect(c).toMatchObject({ action: 'update', drift: true, reason: 'drift: edited outside labctl; apply restores the declared state', before: edited, after: declared });
    expect(c.fields).toEqual([{ path: 'event', before: 'hand-edited', after: 'e' }]);
  });

  it('records a hand edit that brought the rows back to what git declares (no field changes)', () => {
    const declared = metric('e');
    const a = actual('Metric', 'm', declared, { recordedHash: specHash(metric('an-older-apply')) });
    const c = only(diff([desired('Metric', 'm', declared)], [a], opts()).changes);
    expect(c).toMatchObject({ action: 'update', fields: [] });
    expect(c.reason).toContain('record out of date');
  });

  it('says so when git changed as well as the live row', () => {
    const a = actual('Metric', 'm', metric('hand-edited'), { recordedHash: specHash(metric('e')) });
    const c = only(diff([desired('Metric', 'm', metric('new-in-git'))], [a], opts()).changes);
    expect(c).toMatchObject({ action: 'update', drift: true, reason: 'changed in git, and also edited outside labctl' });
  });

  it('does not require an acknowledgement to undo a hand edit of weights', () => {
    const declared = experiment();
    const edited = experiment({ variants: sixtyForty });
    const plan = diff([desired('Experiment', 'checkout-button', declared)], [actual('Experiment', 'checkout-button', edited, { recordedHash: specHash(declared) })], opts());
    const c = only(plan.changes);
    expect(c.drift).toBe(true);
    expect(c.reassignment?.moved).toBeCloseTo(0.1, 6);
    expect(plan.diagnostics).toEqual([]);
  });

  it('still requires an acknowledgement when git also moved units', () => {
    const recorded = experiment();
    const edited = experiment({ description: 'edited by hand' });
    const plan = diff(
      [desired('Experiment', 'checkout-button', experiment({ variants: sixtyForty }))],
      [actual('Experiment', 'checkout-button', edited, { recordedHash: specHash(recorded) })],
      opts(),
    );
    expect(only(plan.changes).drift).toBe(true);
    expect(plan.diagnostics.map((d) => d.code)).toEqual(['reassignment-unacknowledged']);
  });
});

describe('diff: reassignment of running experiments', () => {
  const run = (before: JsonObject, after: JsonObject, o: Partial<DiffOptions> = {}) =>
    diff([desired('Experiment', 'checkout-button', after)], [actual('Experiment', 'checkout-button', before)], opts(o));

  it('is an error when weights change without a phase bump', () => {
    const plan = run(experiment(), experiment({ variants: sixtyForty }));
    const c = only(plan.changes);
    expect(c.action).toBe('update');
    expect(c.reassignment).toMatchObject({ moved: 0.1, entering: 0, changed: 0.1, estimated: false, acknowledged: false, causes: ['weights'] });
    expect(plan.diagnostics).toHaveLength(1);
    expect(plan.diagnostics[0]).toMatchObject({ severity: 'error', code: 'reassignment-unacknowledged', path: '/variants' });
    expect(plan.diagnostics[0]!.range).toBeUndefined();
  });

  it('is accepted with a phase bump', () => {
    const plan = run(experiment(), experiment({ variants: sixtyForty, phase: 2 }));
    expect(only(plan.changes).reassignment).toMatchObject({ moved: 0.1, acknowledged: true });
    expect(plan.diagnostics).toEqual([]);
  });

  it('needs no acknowledgement for a coverage ramp-up (units only enter)', () => {
    const plan = run(experiment({ coverage: 0.5 }), experiment({ coverage: 1 }));
    expect(only(plan.changes).reassignment).toMatchObject({ moved: 0, entering: 0.5, acknowledged: false, causes: ['coverage'] });
    expect(plan.diagnostics).toEqual([]);
  });

  it('needs an acknowledgement for a coverage ramp-down', () => {
    const plan = run(experiment({ coverage: 1 }), experiment({ coverage: 0.5 }));
    expect(plan.diagnostics.map((d) => [d.code, d.path])).toEqual([['reassignment-unacknowledged', '/coverage']]);
  });

  it('does not check draft experiments', () => {
    const plan = run(experiment({ status: 'draft' }), experiment({ status: 'draft', variants: sixtyForty }));
    expect(only(plan.changes).reassignment).toBeUndefined();
    expect(plan.diagnostics).toEqual([]);
  });

  it('positions the diagnostic through locate', () => {
    const range = { filename: 'experiments/checkout.yaml', start: { line: 7, column: 3 }, end: { line: 7, column: 12 } };
    const calls: Array<[string, ReadonlyArray<string | number>]> = [];
    const plan = run(experiment(), experiment({ variants: sixtyForty }), {
      locate: (r, path) => {
        calls.push([r.name, path]);
        return range;
      },
    });
    expect(calls).toEqual([['checkout-button', ['variants']]]);
    expect(plan.diagnostics[0]!.range).toEqual(range);
  });
});

describe('diff: summary and order', () => {
  const actualState = [
    actual('Metric', 'same', metric('same')),
    actual('Metric', 'changed', metric('a')),
    actual('Metric', 'gone', metric('gone')),
    actual('Layer', 'checkout', {}),
    actual('Metric', 'archived-earlier', metric('x'), { archived: true }),
  ];
  const desiredState = [
    desired('Experiment', 'b-exp', experiment({ status: 'draft' })),
    desired('Metric', 'same', metric('same')),
    desired('Metric', 'changed', metric('b')),
    desired('Metric', 'new', metric('new')),
    desired('Experiment', 'a-exp', experiment({ status: 'draft' })),
    desired('Layer', 'checkout', {}),
    desired('Holdout', 'global', { share: 0.05 }),
  ];

  it.each<[string, boolean, { add: number; change: number; archive: number; unchanged: number; wouldArchive: number }]>([
    ['without --prune', false, { add: 4, change: 1, archive: 0, unchanged: 2, wouldArchive: 1 }],
    ['with --prune', true, { add: 4, change: 1, archive: 1, unchanged: 2, wouldArchive: 0 }],
  ])('counts every action %s', (_name, prune, summary) => {
    const plan = diff(desiredState, actualState, opts({ prune }));
    expect(plan.summary).toEqual(summary);
    expect(summarise(plan.changes)).toEqual(summary);
  });

  it('orders changes by kind (apply order), then name', () => {
    const plan = diff(desiredState, actualState, opts());
    expect(plan.changes.map((c) => `${c.kind}/${c.name}`)).toEqual([
      'Layer/checkout',
      'Metric/changed',
      'Metric/gone',
      'Metric/new',
      'Metric/same',
      'Experiment/a-exp',
      'Experiment/b-exp',
      'Holdout/global',
    ]);
  });

  it('carries the plan header', () => {
    const plan = diff(desiredState, actualState, opts());
    expect(plan).toMatchObject({ format_version: '1', created_at: NOW, git_sha: 'abc123', prune: false, diagnostics: [] });
    expect(plan.base_revision).toBe(actualRevision(actualState));
    expect(plan.revision).toMatch(/^[0-9a-f]{12}$/);
  });
});

describe('massArchives (the prune guard)', () => {
  const metrics = (n: number) => Array.from({ length: n }, (_, i) => actual('Metric', `m${i}`, metric(`e${i}`)));
  const keep = (ms: ActualResource[], k: number) => ms.slice(0, k).map((a) => desired(a.kind, a.name, a.spec));

  it.each<[string, number, number, boolean]>([
    ['all of one', 1, 0, true],
    ['all of several', 3, 0, true],
    ['more than half', 3, 1, true],
    ['5 of 8', 8, 3, true],
    ['exactly half is allowed', 4, 2, false],
    ['fewer than half', 5, 3, false],
    ['nothing archived', 2, 2, false],
  ])('%s', (_name, total, kept, flagged) => {
    const act = metrics(total);
    const plan = diff(keep(act, kept), act, opts({ prune: true }));
    const guard = massArchives(plan, act);
    if (flagged) expect(guard).toEqual([{ kind: 'Metric', archived: total - kept, active: total }]);
    else expect(guard).toEqual([]);
  });

  it('counts per kind and ignores archived rows in the active count', () => {
    const act = [...metrics(4), actual('Metric', 'old', metric('old'), { archived: true }), actual('Layer', 'l1', {}), actual('Layer', 'l2', {})];
    const plan = diff([...keep(act, 2), desired('Layer', 'l1', {})], act, opts({ prune: true }));
    expect(massArchives(plan, act)).toEqual([]);
    const plan2 = diff(keep(act, 1), act, opts({ prune: true }));
    expect(massArchives(plan2, act)).toEqual([
      { kind: 'Layer', archived: 2, active: 2 },
      { kind: 'Metric', archived: 3, active: 4 },
    ]);
  });

  it('ignores pending prunes', () => {
    const act = metrics(2);
    expect(massArchives(diff([], act, opts({ prune: false })), act)).toEqual([]);
  });
});

/** Deterministic permutation (reverse and rotate) so tests stay reproducible. */
const shuffled = <T>(xs: readonly T[]): T[] => {
  const r = [...xs].reverse();
  return [...r.slice(1), ...r.slice(0, 1)];
};

describe('revisions', () => {
  const act = [
    actual('Metric', 'a', metric('a')),
    actual('Metric', 'b', metric('b')),
    actual('Metric', 'gone', metric('gone')),
    actual('Layer', 'l', {}),
    actual('Metric', 'arch', metric('x'), { archived: true }),
  ];
  const des = [desired('Metric', 'a', metric('a2')), desired('Metric', 'b', metric('b')), desired('Layer', 'l', {}), desired('Metric', 'c', metric('c')), desired('Metric', 'arch', metric('x'))];

  it('stateRevision does not depend on order', () => {
    const rows = [
      { kind: 'Metric', name: 'a', hash: 'h1' },
      { kind: 'Layer', name: 'l', hash: 'h2' },
      { kind: 'Experiment', name: 'e', hash: 'h3' },
    ];
    expect(stateRevision(shuffled(rows))).toBe(stateRevision(rows));
    expect(stateRevision([rows[2]!, rows[0]!, rows[1]!])).toBe(stateRevision(rows));
    expect(stateRevision(rows)).not.toBe(stateRevision([{ ...rows[0]!, hash: 'other' }, rows[1]!, rows[2]!]));
    expect(stateRevision(rows)).toMatch(/^[0-9a-f]{12}$/);
  });

  it.each([false, true])('plan.revision equals revisionAfter(actual, changes) (prune: %s)', (prune) => {
    const plan = diff(des, act, opts({ prune }));
    expect(revisionAfter(act, plan.changes)).toBe(plan.revision);
  });

  it.each([false, true])('does not depend on the order of desired, actual or changes (prune: %s)', (prune) => {
    const plan = diff(des, act, opts({ prune }));
    const other = diff(shuffled(des), shuffled(act), opts({ prune }));
    expect(other.revision).toBe(plan.revision);
    expect(other.base_revision).toBe(plan.base_revision);
    expect(other.changes).toEqual(plan.changes);
    expect(revisionAfter(shuffled(act), shuffled(plan.changes))).toBe(plan.revision);
  });

  it('applying the plan and planning again gives the same revision and no changes', () => {
    const plan = diff(des, act, opts({ prune: true }));
    const applied: ActualResource[] = des.map((r) => actual(r.kind, r.name, r.spec));
    const again = diff(des, applied, opts({ prune: true }));
    expect(hasChanges(again)).toBe(false);
    expect(again.base_revision).toBe(plan.revision);
    expect(again.revision).toBe(plan.revision);
  });

  it('prune changes the revision; without it the missing resource stays', () => {
    expect(diff(des, act, opts({ prune: true })).revision).not.toBe(diff(des, act, opts({ prune: false })).revision);
  });

  it('base revision ignores archived rows', () => {
    const active = act.filter((a) => !a.archived);
    expect(actualRevision(act)).toBe(actualRevision(active));
    expect(actualRevision([])).toBeNull();
  });
});

describe('fingerprint', () => {
  const base = actual('Metric', 'm', metric('e'));
  it('is "absent" for a resource that does not exist', () => expect(fingerprint(undefined)).toBe('absent'));
  it('is 16 hex characters and stable', () => {
    expect(fingerprint(base)).toMatch(/^[0-9a-f]{16}$/);
    expect(fingerprint({ ...base, spec: { event: 'e', direction: 'increase', type: 'count' } })).toBe(fingerprint(base));
  });
  it('ignores who applied it and when', () => {
    expect(fingerprint({ ...base, gitSha: 'other', appliedAt: '2030-01-01T00:00:00Z' })).toBe(fingerprint(base));
  });
  it.each<[string, Partial<ActualResource>]>([
    ['spec', { spec: metric('other') }],
    ['recorded hash', { recordedHash: specHash(metric('other')) }],
    ['generation', { generation: 2 }],
    ['archived', { archived: true }],
  ])('moves when the %s changes', (_name, patch) => {
    expect(fingerprint({ ...base, ...patch })).not.toBe(fingerprint(base));
  });
  it('is what every change of an existing resource carries', () => {
    const a = actual('Metric', 'm', metric('e'), { generation: 7 });
    for (const prune of [false, true]) {
      for (const d of [[desired('Metric', 'm', metric('e'))], [desired('Metric', 'm', metric('f'))], []]) {
        expect(only(diff(d, [a], opts({ prune })).changes).fingerprint).toBe(fingerprint(a));
      }
    }
  });
});
