// Spec regexes run in linear time (core/conditions/regex.ts): the patterns that make a backtracking
// engine take exponential time finish at once on long hostile input, with the same answers, and the
// constructs RE2 cannot run are refused by validation with a hint.
import { describe, expect, it } from 'vitest';
import { compileCondition } from '../../core/conditions/conditions.js';
import { checkCondition } from '../../core/conditions/operators.js';
import { compileRegex } from '../../core/conditions/regex.js';

// Classic catastrophic patterns (nested or overlapping quantifiers) and inputs that make
// JavaScript's RegExp backtrack exponentially: a run of matching characters and one that fails.
const HOSTILE: Array<[pattern: string, input: string]> = [
  ['^(a+)+$', `${'a'.repeat(5000)}b`],
  ['^(a|a)*$', `${'a'.repeat(5000)}b`],
  ['^(\\w+\\s?)*$', `${'word '.repeat(2000)}!`],
  ['(x+x+)+y', 'x'.repeat(5000)],
  ['^([a-zA-Z0-9]+\\.)+[a-zA-Z]{2,}$', `${'a.'.repeat(3000)}1`],
];

describe('$regex runs in linear time', () => {
  it.each(HOSTILE)('%s on a hostile input of %#', (pattern, input) => {
    const match = compileCondition({ email: { $regex: pattern } });
    const started = performance.now();
    expect(match({ email: input })).toBe(false);
    // A backtracking engine needs longer than the age of the universe here; linear time is
    // milliseconds. The bound is loose so a busy machine cannot fail it.
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('the issue case: a 33-character a…ab email against ^(a+)+$ answers at once', () => {
    const match = compileCondition({ email: { $regex: '^(a+)+$' } });
    const started = performance.now();
    expect(match({ email: `${'a'.repeat(32)}b` })).toBe(false);
    expect(match({ email: 'a'.repeat(33) })).toBe(true);
    expect(performance.now() - started).toBeLessThan(200);
  });

  it('a megabyte of hostile input is still answered (a backtracking engine would never finish)', () => {
    const match = compileCondition({ email: { $regex: '^(a|aa)+$' } });
    const started = performance.now();
    expect(match({ email: `${'a'.repeat(1 << 20)}b` })).toBe(false);
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it.each<[string, string, boolean]>([
    ['@example\\.com$', 'ann@example.com', true],
    ['@example\\.com$', 'ann@example.org', false],
    ['^beta-', 'beta-user', true],
    ['^(ios|android)$', 'android', true],
    ['^(ios|android)$', 'androids', false],
    ['\\d{3}-\\d{4}', 'call 555-1234 now', true],
    ['^[^@]+@[^@]+$', 'a@b@c', false],
    ['(?i)^NL$', 'nl', true],
    ['\\bfoo\\b', 'a foo b', true],
    ['\\bfoo\\b', 'afoob', false],
  ])('%s on %s → %s (the same as JavaScript for ordinary patterns)', (pattern, input, expected) => {
    expect(compileCondition({ v: { $regex: pattern } })({ v: input })).toBe(expected);
    if (!pattern.startsWith('(?i)')) expect(new RegExp(pattern).test(input)).toBe(expected);
  });
});

describe('validation refuses what RE2 cannot run, with a hint', () => {
  it.each<[string, RegExp]>([
    ['^(?=.*\\d)', /lookarounds/],
    ['^(?!admin)', /lookarounds/],
    ['(?<=@)example', /lookarounds/],
    ['(a)\\1', /backreferences/],
  ])('%s', (pattern, hint) => {
    const problems = checkCondition({ email: { $regex: pattern } });
    expect(problems).toHaveLength(1);
    expect(problems[0]!.path).toEqual(['email', '$regex']);
    expect(problems[0]!.message).toMatch(/^invalid regular expression: /);
    expect(problems[0]!.hint).toMatch(hint);
    // Never compiled into a matcher that could run: the condition matches nothing.
    expect(compileCondition({ email: { $regex: pattern } })({ email: '1admin@example' })).toBe(false);
  });

  it('a syntax error is refused with an RE2 hint', () => {
    const problems = checkCondition({ email: { $regex: '(unclosed' } });
    expect(problems).toMatchObject([{ path: ['email', '$regex'], message: expect.stringMatching(/missing closing \)/) }]);
    expect(problems[0]!.hint).toMatch(/RE2 syntax/);
  });
});
