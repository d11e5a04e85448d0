// GET /v1/assign answers are looked up, not built, per request (kinds/experiment/answers.ts): the
// bytes must be what JSON.stringify of the answer gives, for every reason and variant, models included.
import { describe, expect, it } from 'vitest';
import { assignCompiled, type Assignment } from '../../engine/assignment/assign.js';
import { buildSnapshot, type SnapshotResource } from '../../engine/assignment/snapshot.js';
import { snapshotFromDir } from '../../index.js';
import { assignAnswer } from '../../kinds/experiment/answers.js';
import { SAMPLES } from '../helpers/engines.js';

function built(revision: string, name: string, a: Assignment): string {
  const body: Record<string, unknown> = { revision, experiment: name, variant: a.variant, value: a.value, inExperiment: a.inExperiment, reason: a.reason };
  if (a.model) body.model = a.model;
  return JSON.stringify(body);
}

const MODELS: SnapshotResource[] = [
  { kind: 'Model', name: 'churn', spec: { mlflowName: 'churn-classifier', tags: {}, aliases: { baseline: { version: '3' } } } },
  {
    kind: 'Experiment',
    name: 'canary',
    spec: {
      status: 'running',
      unit: 'user_id',
      seed: 'canary',
      phase: 1,
      coverage: 0.7,
      targeting: { country: { $in: ['NL', 'BE'] } },
      overrides: { vip: 'plain' },
      variants: [
        { key: 'baseline', weight: 1, value: { model: 'churn@baseline', threshold: 0.4 } },
        { key: 'plain', weight: 1, value: { rule: 'threshold' } },
      ],
    },
  },
];

describe('assignAnswer', () => {
  it('gives the bytes of the answer object, for every experiment, reason and variant seen', async () => {
    const snaps = [await snapshotFromDir(SAMPLES), buildSnapshot(MODELS, 'rev-models', 0)];
    const reasons = new Set<string>();
    for (const snap of snaps) {
      for (const exp of snap.experiments.values()) {
        for (let i = 0; i < 3000; i++) {
          const attrs = i % 97 === 0 ? { user_id: 'vip', country: 'NL' } : i % 13 === 0 ? {} : { user_id: `u${i}`, country: ['NL', 'BE', 'DE'][i % 3], platform: 'ios' };
          const a = assignCompiled(exp, attrs, Date.parse('2026-12-04T00:00:00Z'));
          reasons.add(a.reason);
          expect(assignAnswer(snap.revision, exp, a).toString('utf8')).toBe(built(snap.revision, exp.name, a));
        }
      }
    }
    // The samples and the model experiment between them cover the common reasons.
    expect([...reasons].sort()).toEqual(expect.arrayContaining(['coverage_miss', 'missing_unit', 'override', 'split', 'targeting_miss']));
  });

  it('renders again for another revision, and reuses the bytes within one', () => {
    const snap = buildSnapshot(MODELS, 'rev-a', 0);
    const exp = snap.experiments.get('canary')!;
    const a = assignCompiled(exp, { user_id: 'vip' });
    expect(assignAnswer('rev-a', exp, a)).toBe(assignAnswer('rev-a', exp, a));
    expect(JSON.parse(assignAnswer('rev-b', exp, a).toString()).revision).toBe('rev-b');
    expect(JSON.parse(assignAnswer('rev-a', exp, a).toString()).revision).toBe('rev-a');
  });
});
