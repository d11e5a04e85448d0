import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { summarise } from '../../core/diff.js';
import type { Change, Diagnostic, JsonObject, Plan } from '../../core/types.js';
import {
  describeReassignment,
  MARKDOWN_LIMIT,
  renderDiagnosticsGithub,
  renderDiagnosticsJson,
  renderDiagnosticsText,
  renderPlanJson,
  renderPlanMarkdown,
  renderPlanText,
  summaryLine,
} from '../../reconciler/render/index.js';

const GOLDEN_DIR = new URL('../golden/', import.meta.url);
const UPDATE = process.env.UPDATE_GOLDEN === '1';

/** Compare with test/golden/<name>; `UPDATE_GOLDEN=1 npx vitest run test/unit/render.test.ts` rewrites it. */
function expectGolden(name: string, actual: string): void {
  const file = new URL(name, GOLDEN_DIR);
  if (UPDATE || !existsSync(file)) {
    if (!UPDATE) throw new Error(`golden file test/golden/${name} is missing; run with UPDATE_GOLDEN=1 to create it`);
    mkdirSync(GOLDEN_DIR, { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  expect(actual).toBe(readFileSync(file, 'utf8'));
}

const experiment = (variants: Array<[string, number]>, o: JsonObject = {}): JsonObject => ({
  status: 'running',
  unit: 'user_id',
  seed: 'checkout-button',
  phase: 1,
  coverage: 1,
  variants: variants.map(([key, weight]) => ({ key, weight, value: { color: key === 'control' ? 'blue' : key } })),
  ...o,
});

const source = (file: string, line: number) => ({ file, line, column: 1, document: 0 });

const diagnostics: Diagnostic[] = [
  {
    severity: 'error',
    code: 'reassignment-unacknowledged',
    summary: 'changing weights of a running experiment moves 10.00% of units to another variant or out of the experiment',
    detail: 'units that already saw one variant would see another, which biases the results',
    hint: 'set phase: 2 to start a new analysis phase, or revert the change',
    path: '/variants',
    range: { filename: 'experiments/checkout.yaml', start: { line: 9, column: 1 }, end: { line: 15, column: 1 } },
  },
  {
    severity: 'warning',
    code: 'unused-metric',
    summary: 'metric "page_error" is not used by any experiment',
    hint: 'reference it from metrics: or remove it',
    path: '',
    range: { filename: 'experiments/metrics.yaml', start: { line: 12, column: 7 }, end: { line: 12, column: 17 } },
  },
  {
    severity: 'error',
    code: 'invalid-condition',
    summary: 'targeting: invalid regular expression: 50% off, a:b\nsecond line',
    hint: "write $regex: '^abc'",
    path: '/targeting/email/$regex',
  },
];

const changes: Change[] = [
  {
    kind: 'Layer',
    name: 'checkout',
    action: 'create',
    before: null,
    after: { unit: 'user_id' },
    fields: [{ path: '(root)', after: { unit: 'user_id' } }],
    fingerprint: 'absent',
    source: source('experiments/layers.yaml', 1),
  },
  {
    kind: 'Metric',
    name: 'checkout-completed',
    action: 'no-op',
    before: null,
    after: null,
    fields: [],
    fingerprint: '0123456789abcdef',
  },
  {
    kind: 'Metric',
    name: 'old-metric',
    action: 'no-op',
    before: { type: 'count', event: 'old', direction: 'increase' },
    after: null,
    fields: [],
    pendingPrune: true,
    reason: 'not in git: would archive with --prune',
    fingerprint: '1111111111111111',
  },
  {
    kind: 'Metric',
    name: 'page-error',
    action: 'update',
    before: { type: 'count', event: 'page_error_hand_edit', direction: 'decrease' },
    after: { type: 'count', event: 'page_error', direction: 'decrease' },
    fields: [{ path: 'event', before: 'page_error_hand_edit', after: 'page_error' }],
    drift: true,
    reason: 'drift: edited outside labctl; apply restores the declared state',
    fingerprint: '2222222222222222',
    source: source('experiments/metrics.yaml', 10),
  },
  {
    kind: 'Metric',
    name: 'retired',
    action: 'archive',
    before: { type: 'count', event: 'retired', direction: 'increase' },
    after: null,
    fields: [{ path: '(root)', before: { type: 'count', event: 'retired', direction: 'increase' } }],
    fingerprint: '3333333333333333',
  },
  {
    kind: 'Experiment',
    name: 'checkout-button',
    action: 'update',
    before: experiment([['control', 50], ['green', 50]]),
    after: experiment([['control', 60], ['green', 40]], { description: 'Green | blue' }),
    fields: [
      { path: 'description', after: 'Green | blue' },
      { path: 'variants[control].weight', before: 50, after: 60 },
      { path: 'variants[green].weight', before: 50, after: 40 },
    ],
    reassignment: { changed: 0.1, moved: 0.1, entering: 0, estimated: false, acknowledged: false, causes: ['weights'] },
    fingerprint: '4444444444444444',
    source: source('experiments/checkout.yaml', 1),
  },
  {
    kind: 'Experiment',
    name: 'search-ranking',
    action: 'create',
    before: experiment([['control', 1], ['bm25', 1]], { status: 'paused' }),
    after: experiment([['control', 1], ['bm25', 1]], { coverage: 0.5 }),
    fields: [
      { path: 'coverage', before: 1, after: 0.5 },
      { path: 'status', before: 'paused', after: 'running' },
    ],
    reason: 'restores an archived resource',
    fingerprint: '5555555555555555',
    source: source('experiments/search.yaml', 3),
  },
  {
    kind: 'Experiment',
    name: 'signup-flow',
    action: 'update',
    before: experiment([['control', 1], ['short', 1]], { seed: 'signup' }),
    after: experiment([['control', 1], ['short', 1]], { seed: 'signup-v2', phase: 2 }),
    fields: [
      { path: 'phase', before: 1, after: 2 },
      { path: 'seed', before: 'signup', after: 'signup-v2' },
    ],
    reassignment: { changed: 0.5, moved: 0.5, entering: 0, estimated: true, acknowledged: true, causes: ['seed'] },
    fingerprint: '6666666666666666',
  },
  {
    kind: 'Experiment',
    name: 'upsell',
    action: 'update',
    before: experiment([['control', 1], ['offer', 1]], { coverage: 0.2 }),
    after: experiment([['control', 1], ['offer', 1]], { coverage: 0.5 }),
    fields: [{ path: 'coverage', before: 0.2, after: 0.5 }],
    reassignment: { changed: 0.3, moved: 0, entering: 0.3, estimated: false, acknowledged: false, causes: ['coverage'] },
    fingerprint: '7777777777777777',
  },
];

/** A fixed plan with every action: create, restore, update (drift, reassignment), archive, no-op, pending prune. */
const plan: Plan = {
  format_version: '1',
  revision: 'a1b2c3d4e5f6',
  base_revision: '0f0e0d0c0b0a',
  created_at: '2026-01-02T03:04:05.000Z',
  git_sha: '89abcdef0123456789abcdef0123456789abcdef',
  prune: true,
  summary: summarise(changes),
  changes,
  diagnostics,
};

describe('golden files', () => {
  it('covers every action', () => {
    expect(plan.summary).toEqual({ add: 2, change: 4, archive: 1, unchanged: 1, wouldArchive: 1 });
  });

  it.each<[string, () => string]>([
    ['plan.txt', () => renderPlanText(plan, { color: false })],
    ['plan.md', () => renderPlanMarkdown(plan)],
    ['plan.json', () => renderPlanJson(plan)],
    ['diagnostics.txt', () => renderDiagnosticsText(diagnostics, { color: false })],
    ['diagnostics.json', () => renderDiagnosticsJson(diagnostics)],
    ['diagnostics.github.txt', () => renderDiagnosticsGithub(diagnostics, 'specs/')],
  ])('%s', (name, render) => {
    expectGolden(name, render());
  });
});

describe('renderPlanJson', () => {
  it('round-trips to the same plan', () => {
    expect(JSON.parse(renderPlanJson(plan))).toEqual(JSON.parse(JSON.stringify(plan)));
  });
});

describe('summary line', () => {
  it.each<[{ add: number; change: number; archive: number; wouldArchive: number }, string]>([
    [{ add: 2, change: 1, archive: 0, wouldArchive: 0 }, 'Plan: 2 to add, 1 to change, 0 to archive.'],
    [{ add: 0, change: 0, archive: 0, wouldArchive: 0 }, 'Plan: 0 to add, 0 to change, 0 to archive.'],
    [{ add: 0, change: 0, archive: 3, wouldArchive: 0 }, 'Plan: 0 to add, 0 to change, 3 to archive.'],
    [{ add: 1, change: 0, archive: 0, wouldArchive: 2 }, 'Plan: 1 to add, 0 to change, 0 to archive. 2 not in git (would archive with --prune).'],
  ])('%j → %s', (s, line) => {
    expect(summaryLine(s)).toBe(line);
  });

  it('is the last line of the text plan, exactly', () => {
    const small: Plan = { ...plan, changes: [changes[0]!, changes[6]!, changes[5]!], diagnostics: [] };
    small.summary = summarise(small.changes);
    const lines = renderPlanText(small, { color: false }).trimEnd().split('\n');
    expect(lines.at(-1)).toBe('Plan: 2 to add, 1 to change, 0 to archive.');
  });

  it('says there is nothing to do for an empty plan', () => {
    const empty: Plan = { ...plan, changes: [changes[1]!], diagnostics: [], summary: summarise([changes[1]!]) };
    expect(renderPlanText(empty, { color: false })).toBe('No changes. The database matches the specs.\n\nPlan: 0 to add, 0 to change, 0 to archive.\n');
    expect(renderPlanMarkdown(empty)).toContain('No changes. The database matches the specs.');
  });

  it('colours only when asked', () => {
    expect(renderPlanText(plan, { color: false })).not.toMatch(/\u001b\[/);
    expect(renderDiagnosticsText(diagnostics, { color: false })).not.toMatch(/\u001b\[/);
    expect(renderPlanText(plan, { color: true })).toMatch(/\u001b\[/);
  });
});

describe('describeReassignment', () => {
  it.each<[string, Change['reassignment'], string]>([
    ['unacknowledged move', changes[5]!.reassignment, '10.00% of units move to another variant or leave (changed: weights); NOT acknowledged'],
    ['acknowledged estimate', changes[7]!.reassignment, '≈50.00% of units move to another variant or leave (changed: seed); acknowledged by the phase bump'],
    ['ramp-up', changes[8]!.reassignment, '0.00% of units move to another variant or leave, 30.00% enter (changed: coverage)'],
  ])('%s', (_name, r, text) => {
    expect(describeReassignment(r!)).toBe(text);
  });
});

describe('renderPlanMarkdown truncation', () => {
  const many: Change[] = Array.from({ length: 5000 }, (_, i) => ({
    kind: 'Experiment',
    name: `experiment-${String(i).padStart(4, '0')}`,
    action: 'update' as const,
    before: experiment([['control', 50], ['green', 50]]),
    after: experiment([['control', 60], ['green', 40]]),
    fields: [
      { path: 'variants[control].weight', before: 50, after: 60 },
      { path: 'variants[green].weight', before: 50, after: 40 },
    ],
    reassignment: { changed: 0.1, moved: 0.1, entering: 0, estimated: false, acknowledged: true, causes: ['weights'] },
    fingerprint: 'ffffffffffffffff',
  }));
  const big: Plan = { ...plan, changes: many, diagnostics: [], summary: summarise(many) };
  const md = renderPlanMarkdown(big);

  it(`stays within ${MARKDOWN_LIMIT.toLocaleString('en')} characters`, () => {
    expect(MARKDOWN_LIMIT).toBeLessThanOrEqual(60_000);
    expect(md.length).toBeLessThanOrEqual(60_000);
    expect(md.length).toBeGreaterThan(50_000);
  });

  it('starts with the summary line', () => {
    expect(md.split('\n')[0]).toBe('**labctl** — Plan: 0 to add, 5000 to change, 0 to archive. ⚠️ 5000 reassignments');
  });

  it('says that it was truncated and how to see the rest', () => {
    expect(md).toMatch(/_… truncated: \d+ more sections? not shown\. Run `labctl plan` for the full plan\._/);
    expect(md.trimEnd().endsWith(`<sub>revision ${plan.revision} · ${plan.git_sha.slice(0, 12)}</sub>`)).toBe(true);
  });

  it('never cuts a section in half', () => {
    expect(md.split('```diff').length).toBe(md.split('```\n</details>').length);
  });

  it.each([500, 2000, 10_000])('respects a smaller limit of %i', (limit) => {
    const out = renderPlanMarkdown(big, limit);
    expect(out.length).toBeLessThanOrEqual(limit);
    expect(out.startsWith('**labctl** — Plan: 0 to add, 5000 to change')).toBe(true);
    expect(out).toContain('truncated');
  });

  it('is not truncated when it fits', () => {
    expect(renderPlanMarkdown(plan)).not.toContain('truncated');
  });
});
