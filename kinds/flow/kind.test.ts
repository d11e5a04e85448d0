// The Flow kind through the spec loader: normalisation and defaults, content versions (what
// changes them and what does not), the step diff shown in plans, the rules the bad-input corpus
// does not cover one by one, and flow references in experiment variants.
import { describe, expect, it } from 'vitest';
import { canonicalJson, sha256 } from '../../core/hash.js';
import type { Diagnostic, JsonObject } from '../../core/types.js';
import { flowKind } from './kind.js';
import { loadSpecs, repoFile } from '../../test/helpers/flows.js';

/** YAML lines joined (line numbers read off the array index + 1). */
const yaml = (...lines: string[]) => lines.join('\n') + '\n';

/** code@line for every diagnostic of one file. */
const at = (ds: Diagnostic[]) => ds.map((d) => `${d.severity} ${d.code}@${d.range?.start.line}`);

function flowSpec(text: string, name: string, extra: Record<string, string> = {}): JsonObject {
  const { resources, diagnostics } = loadSpecs({ 'flows/f.yaml': text, ...extra });
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return resources.find((r) => r.kind === 'Flow' && r.name === name)!.spec;
}

const BASE = yaml(
  'kind: Flow',
  'name: greet',
  'description: Greets people',
  'owner: growth',
  'slots:',
  '  name: { type: string, description: Who we talk to }',
  'steps:',
  '  - id: ask',
  '    collect: name',
  '    say: Your name?',
  '  - id: hello',
  '    say: "Hello {{name}}."',
  '  - id: look',
  '    tool: { url: "https://api.example/{{name}}" }',
  '    onError: hello',
  '    next: end',
);

describe('Flow normalisation and content versions', () => {
  it('fills session defaults, next (the following step, end after the last) and tool defaults; the version hashes slots, session and steps', () => {
    const s = flowSpec(BASE, 'greet');
    expect(s).toEqual({
      description: 'Greets people',
      owner: 'growth',
      slots: { name: { type: 'string', description: 'Who we talk to' } },
      session: { ttl: '30m', maxTurns: 30 },
      steps: [
        { id: 'ask', collect: 'name', say: 'Your name?', next: 'hello' },
        { id: 'hello', say: 'Hello {{name}}.', next: 'look' },
        { id: 'look', tool: { method: 'GET', url: 'https://api.example/{{name}}', timeout: '10s' }, next: 'end', onError: 'hello' },
      ],
      version: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(s.version).toBe(sha256(canonicalJson({ slots: s.slots!, session: s.session!, steps: s.steps! })));
  });

  it('the same content gives the same version: header fields, defaults written out, key order and formatting do not count', () => {
    const v = flowSpec(BASE, 'greet').version;
    const same = yaml(
      'name: greet',
      'kind: Flow',
      'apiVersion: labctl/v1',
      'labels: { team: growth }',
      'session: { maxTurns: 30, ttl: 1800s }',
      'slots: { name: { description: Who we talk to, type: string } }',
      'steps:',
      '  - { say: Your name?, collect: name, id: ask, next: hello }',
      '  - { id: hello, say: "Hello {{name}}." }',
      '  - { id: look, onError: hello, next: end, tool: { timeout: 10s, method: GET, url: "https://api.example/{{name}}" } }',
    );
    expect(flowSpec(same, 'greet').version).toBe(v);
  });

  it.each([
    ['a slot type', '  name: { type: string, description: Who we talk to }', '  name: { type: enum, values: [a], description: Who we talk to }'],
    ['a message', 'say: "Hello {{name}}."', 'say: "Hi {{name}}."'],
    ['a target', 'onError: hello', 'onError: ask'],
    ['the session', 'slots:', 'session: { maxTurns: 5 }\nslots:'],
  ])('changing %s changes the version', (_what, from, to) => {
    expect(BASE).toContain(from);
    expect(flowSpec(BASE.replace(from, to), 'greet').version).not.toBe(flowSpec(BASE, 'greet').version);
  });

  it('canonical durations: 90m is 1h30m in the spec and the version', () => {
    const a = flowSpec(BASE.replace('slots:', 'session: { ttl: 90m }\nslots:'), 'greet');
    const b = flowSpec(BASE.replace('slots:', 'session: { ttl: 1h30m }\nslots:'), 'greet');
    expect(a.session).toEqual({ ttl: '1h30m', maxTurns: 30 });
    expect(a.version).toBe(b.version);
  });
});

describe('the plan shows a step diff', () => {
  it('a unified diff of the YAML of slots, session and steps, headed by the short versions', () => {
    const before = flowSpec(BASE, 'greet');
    const after = flowSpec(BASE.replace('say: "Hello {{name}}."', 'say: "Welcome, {{name}}!"'), 'greet');
    const d = flowKind.describeChange!(before, after)!;
    expect(d.split('\n').slice(0, 2)).toEqual([`--- version ${String(before.version).slice(0, 12)}`, `+++ version ${String(after.version).slice(0, 12)}`]);
    expect(d).toContain('\n   - id: hello\n-    say: Hello {{name}}.\n+    say: Welcome, {{name}}!\n     next: look\n');
  });

  it('nothing to show when only header fields changed', () => {
    const before = flowSpec(BASE, 'greet');
    const after = flowSpec(BASE.replace('owner: growth', 'owner: support'), 'greet');
    expect(flowKind.describeChange!(before, after)).toBeUndefined();
  });
});

describe('Flow rules beyond the corpus', () => {
  const check = (text: string, extra: Record<string, string> = {}) => loadSpecs({ 'flows/f.yaml': text, ...extra }).diagnostics;

  it('a collect loop with a way out is fine; a collect that gives up (maxAttempts) is a way out', () => {
    expect(check(yaml('kind: Flow', 'name: loop', 'slots: { more: { type: boolean } }', 'steps:', '  - { id: ask, collect: more, say: More?, next: [ { if: { more: true }, then: ask }, { else: end } ] }'))).toEqual([]);
    expect(check(yaml('kind: Flow', 'name: loop', 'slots: { more: { type: boolean } }', 'steps:', '  - { id: ask, collect: more, say: More?, maxAttempts: 2, next: ask }'))).toEqual([]);
  });

  it.each([
    ['reserved-step-id', yaml('kind: Flow', 'name: f', 'steps:', '  - id: end', '    say: Bye.'), 4],
    ['misplaced-field', yaml('kind: Flow', 'name: f', 'steps:', '  - id: a', '    say: Hi.', '    retry: Again?'), 6],
    ['step-action', yaml('kind: Flow', 'name: f', 'steps:', '  - id: a', '    next: end'), 4],
    ['invalid-branch', yaml('kind: Flow', 'name: f', 'slots: { ok: { type: boolean } }', 'steps:', '  - id: a', '    set: { ok: true }', '    next: [ { if: { ok: true } }, { else: end } ]'), 7],
    ['invalid-condition', yaml('kind: Flow', 'name: f', 'slots: { n: { type: number } }', 'steps:', '  - id: a', '    set: { n: 1 }', '    next:', '      - if: { n: { $gtt: 1 } }', '        then: end', '      - else: end'), 8],
    ['invalid-placeholder', yaml('kind: Flow', 'name: f', 'steps:', '  - id: a', '    say: "Hi {{ a b }}"'), 5],
    ['enum-values', yaml('kind: Flow', 'name: f', 'slots: { c: { type: enum } }', 'steps:', '  - { id: a, collect: c, say: C? }'), 3],
    ['pattern-type', yaml('kind: Flow', 'name: f', 'slots: { n: { type: number, pattern: "^1" } }', 'steps:', '  - { id: a, collect: n, say: N? }'), 3],
    ['invalid-duration', yaml('kind: Flow', 'name: f', 'steps:', '  - id: a', '    tool: { url: "https://x.example", timeout: 10m }'), 5],
    ['unknown-step', yaml('kind: Flow', 'name: f', 'steps:', '  - id: a', '    tool: { url: "https://x.example" }', '    onError: oops'), 6],
    ['invalid-next', yaml('kind: Flow', 'name: f', 'steps:', '  - id: a', '    say: Hi.', '    next: "not an id"'), 6],
    ['prompt-without-model', yaml('kind: Flow', 'name: f', 'steps:', '  - id: a', '    say: { prompt: p }'), 5],
    ['unknown-prompt-variable', yaml('kind: Flow', 'name: f', 'slots: { s: { type: string } }', 'steps:', '  - id: a', '    say: { prompt: p, inputs: { nope: s } }'), 6],
  ])('%s', (code, text, line) => {
    const ds = check(text, { 'prompts/p.yaml': 'kind: Prompt\nname: p\ntemplate: hi\n' });
    expect(at(ds)).toContain(`error ${code}@${line}`);
    expect(ds.every((d) => d.hint && d.range)).toBe(true);
  });

  it('a sub-flow sharing a slot name with another type is a conflict; a cycle between other flows is reported on them, not on the caller', () => {
    const ds = check(
      yaml(
        'kind: Flow', // 1
        'name: main', // 2
        'slots: { n: { type: string } }', // 3
        'steps:', // 4
        '  - { id: a, call: sub }', // 5
        '---', // 6
        'kind: Flow', // 7
        'name: sub', // 8
        'slots: { n: { type: integer } }', // 9
        'steps:', // 10
        '  - { id: b, call: subsub }', // 11
        '---', // 12
        'kind: Flow', // 13
        'name: subsub', // 14
        'steps:', // 15
        '  - { id: c, call: sub }', // 16
      ),
    );
    expect(at(ds)).toEqual(['error call-slot-conflict@5', 'error recursive-call@11', 'error recursive-call@16']);
    expect(ds[0]!.summary).toBe('slot "n" is a string here and an integer in flow "sub"');
  });

  it('the shipped sample flow and its prompt validate together', () => {
    const { diagnostics, resources } = loadSpecs({ 'flows/refund-request.yaml': repoFile('flows/refund-request.yaml'), 'prompts/refund-decision.yaml': repoFile('prompts/refund-decision.yaml') });
    expect(diagnostics).toEqual([]);
    expect(resources.map((r) => `${r.kind}/${r.name}`)).toEqual(['Flow/refund-request', 'Prompt/refund-decision']);
  });
});

describe('flow references in experiment variants', () => {
  const FLOW = yaml('kind: Flow', 'name: refund-request', 'steps:', '  - { id: hi, say: Hi. }');
  const experiment = (...values: string[]) => yaml('kind: Experiment', 'name: flows', 'status: running', 'variants:', ...values.flatMap((v, i) => [`  - key: v${i}`, '    weight: 1', `    value: ${v}`]));
  const lineOf = (i: number) => 7 + 3 * i;
  const load = (...values: string[]) => loadSpecs({ 'flows/f.yaml': FLOW, 'experiments/e.yaml': experiment(...values) }).diagnostics;

  it('by name, or pinned to a prefix of the current version, is fine', () => {
    const v = flowSpec(FLOW, 'refund-request').version as string;
    expect(load('{ flow: refund-request }', `{ flow: "refund-request@${v.slice(0, 8)}" }`, '{ flow: refund-request }')).toEqual([]);
  });

  it('unknown-flow, invalid-flow-ref and the pinned-flow-version warning, at the variant', () => {
    const ds = load('{ flow: refund-reqest }', '{ flow: "refund-request@xyz" }', '{ flow: "refund-request@abcdef0" }', '{ flow: 7 }');
    expect(at(ds)).toEqual([`error unknown-flow@${lineOf(0)}`, `error invalid-flow-ref@${lineOf(1)}`, `warning pinned-flow-version@${lineOf(2)}`, `error invalid-flow-ref@${lineOf(3)}`]);
    expect(ds[0]).toMatchObject({ path: '/variants/0/value/flow', hint: 'did you mean "refund-request"?' });
  });
});
