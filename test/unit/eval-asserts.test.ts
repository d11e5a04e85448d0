// The pure asserts of offline evaluation: each per-row assert on answers it must pass and fail,
// negation, llm-rubric as a judge request graded afterwards, the dataset-level metrics against
// hand-computed values and their invariances, and a run's summary.
import { describe, expect, it } from 'vitest';
import type { Json, JsonObject } from '../../core/types.js';
import { accuracy, assertSetDigest, auc, checkAssert, computeMetric, rmse, summariseRun, type AssertOutcome, type AssertSpec, type DatasetRow, type Prediction, type RowCheck, type RowObservation } from '../../engine/evaluation/index.js';

const row = (values: JsonObject = {}): DatasetRow => ({ index: 0, line: 1, key: 'k', values });

function done(c: RowCheck): AssertOutcome {
  if (c.kind !== 'done') throw new Error(`expected a decided assert, got ${c.kind}`);
  return c.outcome;
}

const check = (a: AssertSpec, output: Json, values: JsonObject = {}, seen: Partial<RowObservation> = {}) => done(checkAssert(a, row(values), { output, ...seen }));

/** Park–Miller's minimal standard generator, so property cases are the same on every run. */
function random(seed: number): () => number {
  let s = seed % 2147483647 || 1;
  return () => (s = (s * 48271) % 2147483647) / 2147483647;
}

describe('per-row asserts', () => {
  it.each([
    ['equals', 'Paris', 'Paris', true],
    ['equals', 'Paris', 'paris', false],
    ['equals', 'Paris', ' Paris', false],
    ['contains', 'Paris', 'The capital is Paris.', true],
    ['contains', 'Paris', 'The capital is PARIS.', false],
    ['icontains', 'Paris', 'The capital is PARIS.', true],
    ['icontains', 'Lyon', 'The capital is PARIS.', false],
    ['contains', 0, 'answer: 0', true],
    ['regex', '^[0-9]{8}$', '12345678', true],
    ['regex', '^[0-9]{8}$', '1234567', false],
    ['regex', '[0-9]{4}', 'year 2026 it is', true],
  ] as const)('%s %j on %j passes: %s', (type, value, output, pass) => {
    const o = check({ type, value }, output);
    expect(o).toMatchObject({ type, pass, score: pass ? 1 : 0 });
    expect(o.error).toBeUndefined();
    expect(o.reason).toMatch(/\S/);
  });

  it('not- inverts every per-row assert, and an assert that cannot be decided fails negated or not', () => {
    for (const [a, output] of [
      [{ type: 'equals', value: 'x' }, 'x'],
      [{ type: 'contains', value: 'a' }, 'cat'],
      [{ type: 'icontains', value: 'A' }, 'cat'],
      [{ type: 'regex', value: 'c.t' }, 'cat'],
      [{ type: 'is-json' }, '{"a":1}'],
      [{ type: 'latency', threshold: 100 }, 'fast'],
    ] as const) {
      const plain = check(a, output, {}, { latencyMs: 50 });
      const negated = check({ ...a, type: `not-${a.type}` }, output, {}, { latencyMs: 50 });
      expect(plain.pass, a.type).toBe(true);
      expect(negated).toMatchObject({ type: `not-${a.type}`, pass: false, score: 0 });
    }
    expect(check({ type: 'not-contains', value: 'dog' }, 'cat').pass).toBe(true);
    const unknown = check({ type: 'not-cost', threshold: 0.01 }, 'answer');
    expect(unknown).toMatchObject({ pass: false, error: true });
    expect(check({ type: 'not-contains', value: '{{missing}}' }, 'cat')).toMatchObject({ pass: false, error: true, reason: 'row 1 has no field "missing"' });
  });

  it('fills {{field}} from the row: alone it keeps the JSON type (equals compares objects), inside text it is written as text', () => {
    const expected = { approved: true, amount: 12 };
    expect(check({ type: 'equals', value: '{{expected}}' }, { amount: 12, approved: true }, { expected }).pass).toBe(true);
    expect(check({ type: 'equals', value: '{{expected}}' }, '{"approved":true,"amount":12}', { expected }).pass).toBe(true);
    expect(check({ type: 'equals', value: '{{expected}}' }, { approved: false, amount: 12 }, { expected }).pass).toBe(false);
    expect(check({ type: 'equals', value: '{{n}}' }, 4, { n: 4 }).pass).toBe(true);
    expect(check({ type: 'equals', value: '{{n}}' }, '4', { n: 4 }).pass).toBe(true);
    expect(check({ type: 'icontains', value: 'order {{id}}' }, 'Your ORDER 42 ships', { id: 42 }).pass).toBe(true);
    expect(check({ type: 'equals', value: 'literal \\{{x}}' }, 'literal {{x}}').pass).toBe(true);
  });

  it('regex runs on the linear-time engine: a pattern that makes backtracking engines blow up answers at once', () => {
    // JavaScript's RegExp takes time exponential in n for this pattern and input.
    const hostile = { type: 'regex', value: '^(a+)+$' };
    const time = (n: number) => {
      const t0 = performance.now();
      const o = check(hostile, 'a'.repeat(n) + 'b');
      expect(o.pass).toBe(false);
      return performance.now() - t0;
    };
    time(1000);
    expect(time(100_000)).toBeLessThan(2000);
    expect(check({ type: 'regex', value: '(?=a)a' }, 'a')).toMatchObject({ pass: false, error: true, reason: expect.stringContaining('invalid regular expression') });
  });

  it('is-json accepts JSON text and structured output, optionally against a JSON Schema', () => {
    const schema = { type: 'object', required: ['approved'], properties: { approved: { type: 'boolean' } } };
    expect(check({ type: 'is-json' }, '[1, 2]').pass).toBe(true);
    expect(check({ type: 'is-json' }, 'approved').pass).toBe(false);
    expect(check({ type: 'is-json', value: schema }, { approved: true }).pass).toBe(true);
    expect(check({ type: 'is-json', value: schema }, '{"approved": "yes"}')).toMatchObject({ pass: false, reason: expect.stringContaining('/approved must be boolean') });
    expect(check({ type: 'is-json', value: { type: 12 } }, '{}')).toMatchObject({ pass: false, error: true });
  });

  it('latency and cost pass at or below the threshold; an unmeasured one cannot be decided', () => {
    expect(check({ type: 'latency', threshold: 2000 }, 'x', {}, { latencyMs: 2000 }).pass).toBe(true);
    expect(check({ type: 'latency', threshold: 2000 }, 'x', {}, { latencyMs: 2000.5 }).pass).toBe(false);
    expect(check({ type: 'latency', threshold: 2000 }, 'x')).toMatchObject({ pass: false, error: true });
    expect(check({ type: 'cost', threshold: 0.01 }, 'x', {}, { costUsd: 0.01 }).pass).toBe(true);
    expect(check({ type: 'cost', threshold: 0.01 }, 'x', {}, { costUsd: 0.0101 }).pass).toBe(false);
    expect(check({ type: 'cost', threshold: 0.01 }, 'x')).toMatchObject({ pass: false, error: true, reason: expect.stringContaining('price') });
  });
});

describe('llm-rubric', () => {
  const rubric: AssertSpec = { type: 'llm-rubric', value: 'Answers {{question}} politely', provider: { provider: 'anthropic', name: 'claude-sonnet-4-5' } };

  it('is a judge call for the runner to make: the provider, the model, the rubric with the row filled in, the answer, and a structured grade', () => {
    const c = checkAssert(rubric, row({ question: 'the refund question' }), { output: 'Sure, happy to help.' });
    if (c.kind !== 'judge') throw new Error('expected a judge call');
    expect(c.judge.provider).toBe('anthropic');
    expect(c.judge.request).toMatchObject({ model: 'claude-sonnet-4-5', prompt: 'llm-rubric', temperature: 0, output: { name: 'grade', schema: { required: ['reason', 'pass', 'score'] } } });
    expect(c.judge.request.messages).toEqual([{ role: 'user', text: '<Output>\nSure, happy to help.\n</Output>\n<Rubric>\nAnswers the refund question politely\n</Rubric>' }]);
  });

  it('grades the reply as promptfoo does: pass as the judge says (a missing pass passes), a threshold also on the score', () => {
    const grade = (a: AssertSpec, answer: { text: string; output?: JsonObject }) => {
      const c = checkAssert(a, row({ question: 'q' }), { output: 'answer' });
      if (c.kind !== 'judge') throw new Error('expected a judge call');
      return c.grade(answer);
    };
    expect(grade(rubric, { text: '', output: { reason: 'polite', pass: true, score: 0.9 } })).toMatchObject({ pass: true, score: 0.9, reason: 'polite' });
    expect(grade(rubric, { text: '', output: { reason: 'rude', pass: false, score: 0.2 } })).toMatchObject({ pass: false, score: 0.2 });
    expect(grade(rubric, { text: 'Here: {"reason": "fine", "score": 0.4}' })).toMatchObject({ pass: true, score: 0.4 });
    expect(grade({ ...rubric, threshold: 0.5 }, { text: '', output: { reason: 'meh', pass: true, score: 0.4 } })).toMatchObject({ pass: false, reason: 'score 0.4 is below 0.5: meh' });
    expect(grade({ ...rubric, type: 'not-llm-rubric' }, { text: '', output: { reason: 'rude', pass: false, score: 0.1 } })).toMatchObject({ pass: true, score: 0.9 });
    expect(grade({ ...rubric, type: 'not-llm-rubric' }, { text: 'I cannot grade this.' })).toMatchObject({ pass: false, error: true });
  });
});

describe('dataset-level metrics', () => {
  const pairs = (scores: Json[], labels: Json[]): Prediction[] => scores.map((s, i) => ({ prediction: s, expected: labels[i]! }));

  it('auc of a small set matches the ROC drawn by hand', () => {
    // Positives 0.35 and 0.8, negatives 0.1 and 0.4: of the four positive-negative pairs, the
    // positive scores higher in three (0.35 loses to 0.4), so the area is 3/4.
    expect(auc(pairs([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]))).toEqual({ value: 0.75, rows: 4 });
    // A tie between a positive and a negative counts half.
    expect(auc(pairs([0.5, 0.5, 0.9], [0, 1, 1])).value).toBeCloseTo(0.75, 12);
    expect(auc(pairs([0.9, 0.8, 0.1], [1, 1, 0])).value).toBe(1);
    expect(auc(pairs([0.1, 0.2, 0.9], [1, 1, 0])).value).toBe(0);
    // Labels as booleans or CSV text, scores as predict_proba pairs.
    expect(auc(pairs([[0.9, 0.1], [0.6, 0.4], [0.65, 0.35], [0.2, 0.8]], [false, '0', '1', true])).value).toBe(0.75);
    expect(auc(pairs([0.3, 0.7], [1, 1]))).toEqual({ value: null, rows: 2 });
  });

  it('auc equals the share of positive-negative pairs ordered right, and is unchanged by strictly increasing transforms', () => {
    const next = random(7);
    for (let trial = 0; trial < 40; trial++) {
      const n = 5 + Math.floor(next() * 60);
      // Scores on a coarse grid, so ties happen.
      const scores = Array.from({ length: n }, () => Math.round(next() * 20) / 20);
      const labels = scores.map((s) => (next() < 0.3 + 0.4 * s ? 1 : 0));
      if (!labels.includes(0) || !labels.includes(1)) continue;
      let wins = 0;
      let total = 0;
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (labels[i] === 1 && labels[j] === 0) {
        total++;
        wins += scores[i]! > scores[j]! ? 1 : scores[i] === scores[j] ? 0.5 : 0;
      }
      const value = auc(pairs(scores, labels)).value!;
      expect(value).toBeCloseTo(wins / total, 12);
      for (const f of [(x: number) => Math.exp(3 * x) + 7, (x: number) => x ** 3 - 2, (x: number) => 1 / (1 + Math.exp(-10 * (x - 0.5)))]) {
        expect(auc(pairs(scores.map(f), labels)).value).toBeCloseTo(value, 12);
      }
      // Reversing the order of the scores turns the area around.
      expect(auc(pairs(scores.map((x) => -x), labels)).value).toBeCloseTo(1 - value, 12);
    }
  });

  it('rmse is the square root of the mean squared difference, zero on exact predictions, and scales with the values', () => {
    expect(rmse(pairs([2, 4, 6], [1, 4, 8]))).toEqual({ value: Math.sqrt((1 + 0 + 4) / 3), rows: 3 });
    const next = random(11);
    for (let trial = 0; trial < 20; trial++) {
      const ys = Array.from({ length: 30 }, () => next() * 100 - 50);
      const xs = ys.map((y) => y + (next() - 0.5) * 10);
      const direct = Math.sqrt(xs.reduce((s, x, i) => s + (x - ys[i]!) ** 2, 0) / xs.length);
      expect(rmse(pairs(xs, ys)).value).toBeCloseTo(direct, 10);
      expect(rmse(pairs(ys, ys)).value).toBe(0);
      expect(rmse(pairs(xs.map((x) => -3 * x), ys.map((y) => -3 * y))).value).toBeCloseTo(3 * direct, 9);
    }
    // Rows without a number on both sides are left out and counted apart.
    expect(rmse(pairs([1, 'n/a', 3], [1, 2, '3']))).toEqual({ value: 0, rows: 2 });
  });

  it('accuracy compares classes (numbers as numbers, text exactly), or scores against a cutoff', () => {
    expect(accuracy(pairs([1, 0, 1, 1], [1, 0, 0, '1']))).toEqual({ value: 0.75, rows: 4 });
    expect(accuracy(pairs(['cat', 'dog'], ['cat', 'Dog']))).toEqual({ value: 0.5, rows: 2 });
    expect(accuracy(pairs([0.7, 0.2, 0.5, [0.6, 0.4]], [1, 0, 0, 0]), 0.5)).toEqual({ value: 0.75, rows: 4 });
  });

  it('a metric passes at or above its threshold (rmse at or below), and fails when it cannot be computed', () => {
    const p = pairs([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]);
    expect(computeMetric({ type: 'auc', threshold: 0.75 }, p)).toMatchObject({ value: 0.75, pass: true, rows: 4, reason: 'auc 0.75 is at least 0.75' });
    expect(computeMetric({ type: 'auc', threshold: 0.8 }, p)).toMatchObject({ pass: false, reason: 'auc 0.75 is below 0.8' });
    expect(computeMetric({ type: 'rmse', threshold: 0.5 }, p)).toMatchObject({ pass: true });
    expect(computeMetric({ type: 'rmse', threshold: 0.1 }, p)).toMatchObject({ pass: false });
    expect(computeMetric({ type: 'auc', threshold: 0.5 }, pairs([0.2, 'x'], [1, 1]))).toMatchObject({ value: null, pass: false, reason: expect.stringContaining('1 row left out') });
  });
});

describe('run summary', () => {
  const rows = (pass: number, fail: number, errors = 0) => [...Array.from({ length: pass }, () => ({ pass: true })), ...Array.from({ length: fail }, () => ({ pass: false })), ...Array.from({ length: errors }, () => ({ pass: false, error: true }))];

  it('passes at or above the pass rate with every metric passing; errors count as failed rows', () => {
    expect(summariseRun(rows(19, 1), [], { pass_rate: 0.95 })).toMatchObject({ rows: 20, passed: 19, failed: 1, errors: 0, passRate: 0.95, status: 'passed' });
    expect(summariseRun(rows(18, 1, 1), [], { pass_rate: 0.95 })).toMatchObject({ passed: 18, failed: 2, errors: 1, passRate: 0.9, status: 'failed' });
    const metric = { type: 'auc', value: 0.7, threshold: 0.8, pass: false, rows: 20, reason: 'auc 0.7 is below 0.8' };
    expect(summariseRun(rows(20, 0), [metric], { pass_rate: 1 }).status).toBe('failed');
    expect(summariseRun([], [], { pass_rate: 0 })).toMatchObject({ rows: 0, passRate: 0, status: 'failed' });
  });

  it('an assert set has one digest whatever the key order, and another with other asserts or threshold', () => {
    const a = [{ type: 'equals', value: { b: 1, a: 2 } }, { type: 'latency', threshold: 2000 }];
    const same = [{ value: { a: 2, b: 1 }, type: 'equals' }, { threshold: 2000, type: 'latency' }];
    expect(assertSetDigest(a, { pass_rate: 1 })).toMatch(/^[0-9a-f]{64}$/);
    expect(assertSetDigest(same, { pass_rate: 1 })).toBe(assertSetDigest(a, { pass_rate: 1 }));
    expect(assertSetDigest(a, { pass_rate: 0.9 })).not.toBe(assertSetDigest(a, { pass_rate: 1 }));
    expect(assertSetDigest([a[1]!, a[0]!], { pass_rate: 1 })).not.toBe(assertSetDigest(a, { pass_rate: 1 }));
  });
});
