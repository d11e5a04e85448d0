// The gate language of PromotionPolicy: parsing metric gates (with the offset of every error),
// durations, and evaluating gates against a candidate version and the incumbent at the target alias,
// including the one-line texts a plan prints.
import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../core/types.js';
import { evaluateGates, formatDuration, formatNumbers, gatesPassed, parseDuration, parseMetricGate, type GateCandidate, type GateResult } from '../../core/gates/index.js';

describe('parseMetricGate: what parses', () => {
  it.each([
    ['val_auc >= 0.80', { text: 'val_auc >= 0.8', metric: 'val_auc', op: '>=', absolute: 0.8 }],
    ['latency_p95_ms <= 200', { text: 'latency_p95_ms <= 200', metric: 'latency_p95_ms', op: '<=', absolute: 200 }],
    ['loss<0.3', { text: 'loss < 0.3', metric: 'loss', op: '<', absolute: 0.3 }],
    ['  recall   >   -1  ', { text: 'recall > -1', metric: 'recall', op: '>', absolute: -1 }],
    ['val_auc ≥ 1e-3', { text: 'val_auc >= 0.001', metric: 'val_auc', op: '>=', absolute: 0.001 }],
    ['latency ≤ .5', { text: 'latency <= 0.5', metric: 'latency', op: '<=', absolute: 0.5 }],
    ['eval/accuracy top-1 >= 0.9', { text: 'eval/accuracy top-1 >= 0.9', metric: 'eval/accuracy top-1', op: '>=', absolute: 0.9 }],
    ['val.auc-v2 >= +2', { text: 'val.auc-v2 >= 2', metric: 'val.auc-v2', op: '>=', absolute: 2 }],
  ] as const)('%j', (text, gate) => {
    expect(parseMetricGate(text, 'champion')).toEqual({ ok: true, gate });
  });

  it.each([
    ['val_auc >= champion + 0.01', 'val_auc >= champion + 0.01', { op: '+', value: 0.01 }],
    ['val_auc>=champion+0.01', 'val_auc >= champion + 0.01', { op: '+', value: 0.01 }],
    ['val_auc >= champion', 'val_auc >= champion', { op: '+', value: 0 }],
    ['val_auc >= champion - 0.02', 'val_auc >= champion - 0.02', { op: '-', value: 0.02 }],
    ['val_auc >= champion-0.02', 'val_auc >= champion - 0.02', { op: '-', value: 0.02 }],
    ['latency_ms <= champion * 1.1', 'latency_ms <= champion * 1.1', { op: '*', value: 1.1 }],
    ['latency_ms ≤ champion*1.10', 'latency_ms <= champion * 1.1', { op: '*', value: 1.1 }],
  ] as const)('relative %j', (text, canonical, relative) => {
    const r = parseMetricGate(text, 'champion');
    expect(r).toEqual({ ok: true, gate: { text: canonical, metric: text.split(/[<>≥≤]/)[0]!.trim(), op: text.includes('<') || text.includes('≤') ? '<=' : '>=', relative } });
  });

  it('the target alias may itself contain dashes and digits', () => {
    expect(parseMetricGate('auc >= prod-2 + 0.01', 'prod-2')).toMatchObject({ ok: true, gate: { text: 'auc >= prod-2 + 0.01', relative: { op: '+', value: 0.01 } } });
    expect(parseMetricGate('auc >= prod-2-0.01', 'prod-2')).toMatchObject({ ok: true, gate: { text: 'auc >= prod-2 - 0.01' } });
    expect(parseMetricGate('auc >= prod-2', 'prod-2')).toMatchObject({ ok: true, gate: { relative: { op: '+', value: 0 } } });
  });
});

describe('parseMetricGate: errors point at the offending character', () => {
  const cases: Array<[string, number, RegExp, RegExp]> = [
    // text, offset, message, hint
    ['val_auc >= baseline + 0.01', 11, /unknown name "baseline"/, /relative gates compare with the version at the target alias: write `val_auc >= champion \+ 0.01`/],
    ['val_auc >= challenger', 11, /unknown name "challenger"/, /target alias/],
    ['val_auc >= champion-v2', 11, /unknown name "champion-v2"/, /target alias/],
    ['val_auc = 0.8', 8, /"=" is not a supported operator/, />=, <=, > or </],
    ['val_auc == 0.8', 8, /"==" is not a supported operator/, />=/],
    ['val_auc != 0.8', 8, /"!=" is not a supported operator/, />=/],
    ['val_auc => 0.8', 8, /"=>" is not an operator/, /write >= instead/],
    ['val_auc =< 0.8', 8, /"=<" is not an operator/, /write <= instead/],
    ['val_auc >> 0.8', 9, /unexpected ">" after the operator >/, /single operator/],
    ['val_auc', 7, /no comparison after "val_auc"/, /val_auc >= 0.8/],
    ['val_auc >=', 10, /no threshold after >=/, /val_auc >= champion/],
    ['>= 0.8', 0, /without a metric name/, /METRIC OPERATOR THRESHOLD/],
    ['', 0, /empty gate/, /METRIC/],
    ['val#auc >= 0.8', 3, /unexpected character "#"/, /metric key/],
    ['val_auc + 1 >= 0.8', 8, /unexpected character "\+"/, /metric key/],
    ['val_auc >= 0.8x', 14, /unexpected "x" after the threshold/, /METRIC OPERATOR THRESHOLD/],
    ['val_auc >= 0.8 and loss < 1', 15, /one gate holds one comparison/, /own list item/],
    ['val_auc >= champion / 2', 20, /division/, /champion \* 0.9/],
    ['val_auc >= champion.val_auc', 19, /unexpected ".val_auc" after champion/, /same metric/],
    ['val_auc >= champion +', 21, /no number after "\+"/, /champion \+ 0.01/],
    ['val_auc >= champion + x', 22, /expected a number after "\+"/, /champion \+ 0.01/],
    ['val_auc >= champion + 0.01 + 1', 27, /unexpected "\+ 1"/, /METRIC OPERATOR THRESHOLD/],
    ['val_auc >= -champion', 11, /expected a number or "champion"/, /champion \+ 0.01/],
    ['val_auc >= 1e999', 11, /out of range/, /1e308/],
  ];
  it.each(cases)('%j → offset %i', (text, offset, message, hint) => {
    const r = parseMetricGate(text, 'champion');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.offset).toBe(offset);
    expect(r.message).toMatch(message);
    expect(r.hint).toMatch(hint);
    expect(r.hint).not.toContain('\n');
  });
});

describe('durations', () => {
  it.each([
    ['45s', 45, '45s'],
    ['1h', 3600, '1h'],
    ['90m', 5400, '1h30m'],
    ['1h30m', 5400, '1h30m'],
    ['1h 30m', 5400, '1h30m'],
    ['24h', 86400, '1d'],
    ['2d', 172800, '2d'],
    ['1w', 604800, '7d'],
    ['0s', 0, '0s'],
    ['1d1s', 86401, '1d1s'],
  ] as const)('%s = %i s, canonical %s', (text, seconds, canonical) => {
    expect(parseDuration(text)).toEqual({ ok: true, seconds });
    expect(formatDuration(seconds)).toBe(canonical);
  });

  it.each([
    ['1.5h', 0, /fractional/, /90m/],
    ['10', 2, /no unit/, /10m/],
    ['5min', 1, /unknown duration unit "min"/, /write 5m/],
    ['2 days', 2, /unknown duration unit "days"/, /write 2d/],
    ['1y', 1, /unknown duration unit "y"/, /write 1h/],
    ['', 0, /empty/, /1h/],
    ['-1h', 0, /unexpected "-1h"/, /1h/],
    ['1h-30m', 2, /unexpected "-30m"/, /1h30m/],
  ] as const)('%j is refused at offset %i', (text, offset, message, hint) => {
    const r = parseDuration(text);
    expect(r).toMatchObject({ ok: false, offset });
    if (r.ok) return;
    expect(r.message).toMatch(message);
    expect(r.hint).toMatch(hint);
  });
});

describe('formatNumbers', () => {
  it('integers as integers, others with three shared decimals', () => {
    expect(formatNumbers([250, 200])).toEqual(['250', '200']);
    expect(formatNumbers([0.842, 0.8])).toEqual(['0.842', '0.800']);
    expect(formatNumbers([0.84 + 0.0000000001])).toEqual(['0.840']);
    expect(formatNumbers([1, 0.8])).toEqual(['1', '0.800']);
  });

  it('more decimals when three would hide a difference or show a non-zero as zero', () => {
    expect(formatNumbers([0.8421, 0.8419])).toEqual(['0.8421', '0.8419']);
    expect(formatNumbers([0.9999, 1])).toEqual(['0.9999', '1']);
    // A short number (a threshold someone wrote) is shown exactly; a long measured value is not.
    expect(formatNumbers([0.842, 0.8425])).toEqual(['0.8420', '0.8425']);
    expect(formatNumbers([0.84213456789, 0.8])).toEqual(['0.842', '0.800']);
    expect(formatNumbers([0.00001])).toEqual(['0.00001']);
    expect(formatNumbers([NaN, Infinity, -Infinity])).toEqual(['NaN', '∞', '-∞']);
  });
});

describe('evaluateGates', () => {
  const NOW = Date.parse('2026-06-15T12:00:00Z');
  const policy = (gates: JsonObject, target = 'champion'): JsonObject => ({ model: 'churn', candidate: { alias: 'challenger' }, target, gates, onDrift: 'report' });
  const cand = (over: Partial<GateCandidate> = {}): GateCandidate => ({ version: '7', createdAt: NOW - 3 * 3600_000, tags: { validation_status: 'approved' }, metrics: { val_auc: 0.842, latency_p95_ms: 250 }, ...over });
  const texts = (rs: GateResult[]) => rs.map((r) => `${r.passed ? (r.skipped ? '-' : '✓') : '✗'} ${r.text}`);

  it('absolute gates: measured against the threshold, exact decision, formatted text', () => {
    const rs = evaluateGates(policy({ metrics: ['val_auc >= 0.8', 'latency_p95_ms <= 200', 'val_auc > 0.842'] }), cand(), undefined, NOW);
    expect(rs).toEqual([
      { gate: 'val_auc >= 0.8', type: 'metric', passed: true, measured: 0.842, threshold: 0.8, text: 'val_auc 0.842 ≥ 0.800' },
      { gate: 'latency_p95_ms <= 200', type: 'metric', passed: false, measured: 250, threshold: 200, text: 'latency_p95_ms 250 ≤ 200' },
      { gate: 'val_auc > 0.842', type: 'metric', passed: false, measured: 0.842, threshold: 0.842, text: 'val_auc 0.842 > 0.842' },
    ]);
    expect(gatesPassed(rs)).toBe(false);
  });

  it('relative gates compare with the incumbent and show the arithmetic', () => {
    const rs = evaluateGates(
      policy({ metrics: ['val_auc >= champion + 0.01', 'val_auc >= champion', 'latency_p95_ms <= champion * 1.1', 'val_auc >= champion - 0.02'] }),
      cand(),
      { version: '5', metrics: { val_auc: 0.831, latency_p95_ms: 240 } },
      NOW,
    );
    expect(texts(rs)).toEqual([
      '✓ val_auc 0.842 ≥ champion 0.831 + 0.010 = 0.841',
      '✓ val_auc 0.842 ≥ champion 0.831',
      '✓ latency_p95_ms 250 ≤ champion 240 × 1.100 = 264',
      '✓ val_auc 0.842 ≥ champion 0.831 - 0.020 = 0.811',
    ]);
    expect(rs[0]).toMatchObject({ type: 'relative', measured: 0.842, threshold: 0.841 });
    expect(gatesPassed(rs)).toBe(true);
  });

  it('a computed threshold carries no binary noise: 0.831 + 0.01 is exactly 0.841', () => {
    const [r] = evaluateGates(policy({ metrics: ['val_auc >= champion + 0.01'] }), cand({ metrics: { val_auc: 0.841 } }), { version: '5', metrics: { val_auc: 0.831 } }, NOW);
    expect(r).toMatchObject({ passed: true, threshold: 0.841, text: 'val_auc 0.841 ≥ champion 0.831 + 0.010 = 0.841' });
    const [s] = evaluateGates(policy({ metrics: ['val_auc >= champion * 1.1'] }), cand({ metrics: { val_auc: 0.9141 } }), { version: '5', metrics: { val_auc: 0.831 } }, NOW);
    expect(s).toMatchObject({ passed: true, threshold: 0.9141 });
  });

  it('a difference below the third decimal is shown, not hidden', () => {
    const [r] = evaluateGates(policy({ metrics: ['val_auc >= 0.8425'] }), cand(), undefined, NOW);
    expect(r).toMatchObject({ passed: false, text: 'val_auc 0.8420 ≥ 0.8425' });
  });

  it('relative gates are skipped (and pass) while no version holds the target alias', () => {
    const rs = evaluateGates(policy({ metrics: ['val_auc >= champion + 0.01'] }), cand(), undefined, NOW);
    expect(rs).toEqual([{ gate: 'val_auc >= champion + 0.01', type: 'relative', passed: true, skipped: true, measured: 0.842, threshold: null, text: 'val_auc >= champion + 0.01: skipped, no version holds champion yet' }]);
    expect(gatesPassed(rs)).toBe(true);
  });

  it('a metric missing on the candidate fails; a run that is gone fails every metric gate', () => {
    const missing = evaluateGates(policy({ metrics: ['f1 >= 0.5', 'f1 >= champion'] }), cand(), undefined, NOW);
    expect(texts(missing)).toEqual(["✗ f1 not logged on the candidate's run", "✗ f1 not logged on the candidate's run"]);
    expect(missing[0]).toMatchObject({ measured: null, threshold: 0.5 });
    const gone = evaluateGates(policy({ metrics: ['val_auc >= 0.8'] }), cand({ metrics: null }), undefined, NOW);
    expect(gone[0]).toMatchObject({ passed: false, measured: null, text: 'val_auc unavailable: candidate version 7 has no run (or its run was deleted)' });
  });

  it('a relative gate fails when the incumbent lacks the metric or its run', () => {
    const [a] = evaluateGates(policy({ metrics: ['val_auc >= champion'] }), cand(), { version: '5', metrics: { loss: 1 } }, NOW);
    expect(a).toMatchObject({ passed: false, type: 'relative', measured: 0.842, threshold: null, text: 'val_auc cannot be compared: val_auc is not logged on the run of version 5 at champion' });
    const [b] = evaluateGates(policy({ metrics: ['val_auc >= champion'] }), cand(), { version: '5', metrics: null }, NOW);
    expect(b!.text).toBe('val_auc cannot be compared: version 5 at champion has no run (or its run was deleted)');
  });

  it('metric names that are Object.prototype members are not found by accident', () => {
    const [r] = evaluateGates(policy({ metrics: ['constructor >= 0'] }), cand(), undefined, NOW);
    expect(r).toMatchObject({ passed: false, text: "constructor not logged on the candidate's run" });
  });

  it('minAge: the version must be old enough; unknown creation time fails', () => {
    const ok = evaluateGates(policy({ metrics: [], minAge: '1h' }), cand({ createdAt: NOW - (3 * 3600 + 12 * 60 + 5) * 1000 }), undefined, NOW);
    expect(ok).toEqual([{ gate: 'minAge 1h', type: 'age', passed: true, measured: 11525, threshold: 3600, text: 'age 3h12m ≥ 1h' }]);
    const young = evaluateGates(policy({ metrics: [], minAge: '1h' }), cand({ createdAt: NOW - 20 * 60_000 }), undefined, NOW);
    expect(young[0]).toMatchObject({ passed: false, measured: 1200, text: 'age 20m ≥ 1h' });
    const exact = evaluateGates(policy({ metrics: [], minAge: '1d' }), cand({ createdAt: NOW - 86_400_000 }), undefined, NOW);
    expect(exact[0]).toMatchObject({ passed: true, text: 'age 1d ≥ 1d' });
    const unknown = evaluateGates(policy({ metrics: [], minAge: '1h' }), cand({ createdAt: undefined }), undefined, NOW);
    expect(unknown[0]).toMatchObject({ passed: false, measured: null, threshold: 3600, text: 'age unknown: MLflow reported no creation time for version 7' });
  });

  it('tags: exact values; missing and different values fail with what is there', () => {
    const rs = evaluateGates(policy({ metrics: [], tags: { validation_status: 'approved', reviewed_by: 'ml-lead', stage: 'ready' } }), cand({ tags: { validation_status: 'approved', stage: 'pending' } }), undefined, NOW);
    expect(rs).toEqual([
      { gate: 'tag reviewed_by = ml-lead', type: 'tag', passed: false, measured: null, threshold: 'ml-lead', text: 'tag reviewed_by is not set, needs "ml-lead"' },
      { gate: 'tag stage = ready', type: 'tag', passed: false, measured: 'pending', threshold: 'ready', text: 'tag stage is "pending", needs "ready"' },
      { gate: 'tag validation_status = approved', type: 'tag', passed: true, measured: 'approved', threshold: 'approved', text: 'tag validation_status = approved' },
    ]);
  });

  it('order: metric gates as listed, then minAge, then tags; no gates at all pass', () => {
    const rs = evaluateGates(policy({ metrics: ['latency_p95_ms <= 300', 'val_auc >= 0.5'], minAge: '1h', tags: { validation_status: 'approved' } }), cand(), undefined, NOW);
    expect(rs.map((r) => r.type)).toEqual(['metric', 'metric', 'age', 'tag']);
    expect(gatesPassed(rs)).toBe(true);
    expect(evaluateGates(policy({ metrics: [] }), cand(), undefined, NOW)).toEqual([]);
    expect(gatesPassed([])).toBe(true);
  });

  it('a gate that does not parse (never in a validated spec) fails instead of throwing', () => {
    const [r] = evaluateGates(policy({ metrics: ['val_auc >= baseline'] }), cand(), undefined, NOW);
    expect(r).toMatchObject({ passed: false, text: expect.stringContaining('invalid gate') });
  });
});
