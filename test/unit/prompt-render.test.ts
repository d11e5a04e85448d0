// Prompt rendering vectors (test/vectors/prompt-render.json) through the kind's normaliser and
// compilePrompt, template parse problems with their offsets, large templates, and version lookup
// by hash prefix in the prompt catalog.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../core/types.js';
import { promptKind } from '../../kinds/prompt/kind.js';
import type { Snapshot } from '../../engine/assignment/snapshot.js';
import { compilePrompt, PromptCatalog, type CompiledPrompt } from '../../kinds/prompt/catalog.js';
import { parseTemplate } from '../../engine/prompts/template.js';
import { resolveVariables, VariableError } from '../../engine/prompts/variables.js';

type Message = { role: string; content: string };
type Expected = string | Message[] | { error: { variable: string; reason: 'missing' | 'wrong_type' } };
type Vector = [name: string, body: string | Message[], declarations: Record<string, JsonObject>, given: Record<string, unknown>, expected: Expected];
type ParseVector = [name: string, template: string, placeholders: string[], problems: Array<[offset: number, message: string]>];

const file = JSON.parse(readFileSync(new URL('../vectors/prompt-render.json', import.meta.url), 'utf8')) as { cases: Vector[]; parse: ParseVector[] };

/** The YAML document of a prompt (as js-yaml would give it). */
function doc(body: string | Message[], variables: Record<string, unknown>): JsonObject {
  return { kind: 'Prompt', name: 'vector', ...(typeof body === 'string' ? { template: body } : { messages: body }), variables } as JsonObject;
}

/** Normalise like the loader does, then compile like the runtime does. */
function compile(body: string | Message[], variables: Record<string, unknown>): CompiledPrompt {
  return compilePrompt('vector', promptKind.normalise(doc(body, variables)));
}

function outcome(p: CompiledPrompt, given: Record<string, unknown>): Expected {
  try {
    const r = p.render(given);
    return r.type === 'text' ? r.text : r.messages;
  } catch (e) {
    if (e instanceof VariableError) return { error: { variable: e.variable, reason: e.reason } };
    throw e;
  }
}

describe('vector file', () => {
  it('has at least 60 rendering cases with unique names, covering every area', () => {
    expect(file.cases.length).toBeGreaterThanOrEqual(60);
    const names = file.cases.map((c) => c[0]);
    expect(new Set(names).size).toBe(names.length);
    expect(new Set(file.parse.map((c) => c[0])).size).toBe(file.parse.length);
    const errors = file.cases.filter((c) => typeof c[4] === 'object' && !Array.isArray(c[4])).map((c) => (c[4] as { error: { reason: string } }).error.reason);
    expect(new Set(errors)).toEqual(new Set(['missing', 'wrong_type']));
    expect(file.cases.some((c) => Array.isArray(c[1]))).toBe(true);
    const all = JSON.stringify(file.cases);
    for (const needle of ['\\\\{{', '{{{', '}}', '\u202e', '\u0301', '👋', '{{secret}}']) expect(all).toContain(needle);
  });
});

describe('rendering vectors (test/vectors/prompt-render.json)', () => {
  it.each(file.cases)('%s', (_name, body, declarations, given, expected) => {
    const p = compile(body, declarations);
    expect(outcome(p, given)).toStrictEqual(expected);
    // Rendering twice gives the same answer (compiled templates are not consumed).
    expect(outcome(p, given)).toStrictEqual(expected);
  });

  it.each(file.cases)('the vector prompt is valid (no rule errors): %s', (name, body, declarations) => {
    const spec = promptKind.normalise(doc(body, declarations));
    const errors = promptKind.rules!({ kind: 'Prompt', name: 'vector', spec }, { get: () => undefined, ofKind: () => [] }).filter((p) => (p.severity ?? 'error') === 'error');
    expect(errors, name).toEqual([]);
  });

  it('the type of a chat prompt is chat and its roles are kept in order', () => {
    const p = compile(
      [
        { role: 'system', content: 's {{a}}' },
        { role: 'user', content: 'u' },
        { role: 'assistant', content: 'a {{a}}' },
        { role: 'user', content: 'u2' },
      ],
      { a: { type: 'string' } },
    );
    const r = p.render({ a: 'x' });
    expect(r).toStrictEqual({
      type: 'chat',
      messages: [
        { role: 'system', content: 's x' },
        { role: 'user', content: 'u' },
        { role: 'assistant', content: 'a x' },
        { role: 'user', content: 'u2' },
      ],
    });
  });

  it('errors carry a message naming the variable and what was wrong', () => {
    const p = compile('{{n}} {{s}}', { n: { type: 'number' }, s: { type: 'string' } });
    expect(() => p.render({ n: 'x', s: 's' })).toThrow(new VariableError('n', 'wrong_type', 'variable "n" must be a number, got a string'));
    expect(() => p.render({ n: 1 })).toThrow(/variable "s" is required/);
    for (const [v, shown] of [
      [null, 'null'],
      [[1], 'a list'],
      [{ a: 1 }, 'an object'],
      [true, 'a boolean'],
    ] as const) {
      try {
        p.render({ n: v, s: 's' });
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(VariableError);
        expect((e as VariableError).message).toBe(`variable "n" must be a number, got ${shown}`);
      }
    }
  });

  it('given values that are not finite numbers are the wrong type', () => {
    const decls = promptKind.normalise(doc('{{n}}', { n: { type: 'number' } })).variables as never;
    for (const n of [NaN, Infinity, -Infinity]) {
      expect(() => resolveVariables(decls, { n })).toThrow(VariableError);
    }
    // undefined is absence (a JavaScript caller leaving a key undefined): the default applies.
    const withDefault = promptKind.normalise(doc('{{n}}', { n: { type: 'number', default: 7 } })).variables as never;
    expect(resolveVariables(withDefault, { n: undefined })).toEqual({ n: '7' });
  });

  it('inherited object properties are never variables', () => {
    // A template may legally use names such as constructor or toString; only declared own values count.
    const p = compile('[{{constructor}}|{{toString}}]', { constructor: { type: 'string', required: false }, toString: { type: 'string', default: 'd' } });
    expect(outcome(p, {})).toBe('[|d]');
    expect(outcome(p, { constructor: 'c', toString: 't' })).toBe('[c|t]');
    const req = compile('{{valueOf}}', { valueOf: { type: 'string' } });
    expect(outcome(req, {})).toStrictEqual({ error: { variable: 'valueOf', reason: 'missing' } });
  });
});

describe('parse problems (test/vectors/prompt-render.json "parse")', () => {
  it.each(file.parse)('%s', (_name, template, placeholders, problems) => {
    const parsed = parseTemplate(template);
    expect(parsed.placeholders).toEqual(placeholders);
    expect(parsed.problems.map((p) => p.offset)).toEqual(problems.map((p) => p[0]));
    parsed.problems.forEach((p, i) => {
      expect(p.message).toContain(problems[i]![1]);
      expect(p.hint).toMatch(/\\\{\{/);
      // The offset points at the opening braces of the problem.
      expect(template.slice(p.offset, p.offset + 2)).toBe('{{');
    });
  });

  it('segments are literal text and variables, escapes already applied', () => {
    expect(parseTemplate('a\\{{b{{x}}c{{ y }}').segments).toEqual([{ text: 'a{{b' }, { variable: 'x' }, { text: 'c' }, { variable: 'y' }]);
    expect(parseTemplate('').segments).toEqual([]);
    expect(parseTemplate('{{x}}{{x}}').segments).toEqual([{ variable: 'x' }, { variable: 'x' }]);
  });

  it('an unclosed opening keeps the rest of the text as literal text', () => {
    expect(parseTemplate('ok {{x}} then {{ y').segments).toEqual([{ text: 'ok ' }, { variable: 'x' }, { text: ' then {{ y' }]);
  });
});

describe('large templates', () => {
  const FILLER = 'The quick brown fox jumps over the lazy dog, again and again and again and again. ';

  it('100 KB with 1,000 placeholders over 50 variables renders exactly', () => {
    const variables: Record<string, JsonObject> = {};
    const given: Record<string, unknown> = {};
    for (let v = 0; v < 50; v++) {
      variables[`v${v}`] = { type: v % 3 === 0 ? 'number' : 'string' };
      given[`v${v}`] = v % 3 === 0 ? v * 1.5 : `value-${v}-ü👋`;
    }
    let template = '';
    let expected = '';
    for (let i = 0; i < 1000; i++) {
      const name = `v${(i * 7) % 50}`;
      const chunk = `${FILLER}[${i}] \\{{literal}} `;
      template += `${chunk}{{ ${name} }}\n`;
      expected += `${chunk.replace('\\{{', '{{')}${String(given[name])}\n`;
    }
    expect(template.length).toBeGreaterThan(100_000);
    expect(template.length).toBeLessThanOrEqual(200_000);
    const started = performance.now();
    const p = compile(template, variables);
    const text = (p.render(given) as { text: string }).text;
    const elapsed = performance.now() - started;
    expect(text.length).toBe(expected.length);
    expect(text).toBe(expected);
    expect(parseTemplate(template).placeholders).toHaveLength(50);
    expect(parseTemplate(template).segments.filter((s) => 'variable' in s)).toHaveLength(1000);
    // Linear work: a 100 KB template compiles and renders far below a second.
    expect(elapsed).toBeLessThan(1000);
    // Compiled once, it renders again without reparsing (much faster than the first time).
    const again = performance.now();
    for (let i = 0; i < 20; i++) p.render(given);
    expect((performance.now() - again) / 20).toBeLessThan(50);
  });

  it('1,000 distinct variables, each used once, in a 100 KB template', () => {
    const variables: Record<string, JsonObject> = {};
    const given: Record<string, string> = {};
    const parts: string[] = [];
    const want: string[] = [];
    for (let i = 0; i < 1000; i++) {
      variables[`var_${i}`] = { type: 'string' };
      given[`var_${i}`] = `<${i}>`;
      parts.push(`${'x'.repeat(90)} {{var_${i}}}`);
      want.push(`${'x'.repeat(90)} <${i}>`);
    }
    const template = parts.join('\n');
    expect(template.length).toBeGreaterThan(100_000);
    expect((compile(template, variables).render(given) as { text: string }).text).toBe(want.join('\n'));
    // Leaving one out names it.
    const { var_517: _gone, ...rest } = given;
    expect(() => compile(template, variables).render(rest)).toThrow(new VariableError('var_517', 'missing', 'variable "var_517" is required'));
  });

  it('a value of 200 KB is inserted as is, and its braces stay literal', () => {
    const big = '{{x}} \\{{ }} '.repeat(15_000);
    const p = compile('<{{x}}>', { x: { type: 'string' } });
    expect((p.render({ x: big }) as { text: string }).text).toBe(`<${big}>`);
  });

  it('a chat prompt of 200 messages renders each content', () => {
    const messages = Array.from({ length: 200 }, (_, i) => ({ role: i === 0 ? 'system' : i % 2 ? 'user' : 'assistant', content: `#${i} {{name}} ${'—'.repeat(i)}` }));
    const r = compile(messages, { name: { type: 'string' } }).render({ name: 'Ada' });
    expect(r.type).toBe('chat');
    expect((r as { messages: Message[] }).messages).toEqual(messages.map((m, i) => ({ role: m.role, content: `#${i} Ada ${'—'.repeat(i)}` })));
  });
});

describe('PromptCatalog: versions by full hash or a unique prefix of at least 6 characters', () => {
  const V_CURRENT = 'abcdef0123456789'.repeat(4);
  const V_OLD = 'abcdef9876543210'.repeat(4);
  const V_OTHER = '0123456789abcdef'.repeat(4);
  const spec = (template: string, version: string): JsonObject => ({ ...promptKind.normalise(doc(template, {})), version });
  const snapshot = {
    revision: 'rev000000000',
    resources: new Map([['Prompt', new Map([['p', spec('current', V_CURRENT)]])]]),
    promptVersions: new Map([
      [
        'p',
        [
          { version: V_OLD, spec: spec('old', V_OLD) },
          { version: V_OTHER, spec: spec('other', V_OTHER) },
          { version: V_CURRENT, spec: spec('current', V_CURRENT) },
        ],
      ],
    ]),
  } as unknown as Snapshot;
  const catalog = new PromptCatalog(snapshot);
  const text = (p: CompiledPrompt) => (p.render({}) as { text: string }).text;
  const code = (fn: () => unknown) => {
    try {
      fn();
      return 'ok';
    } catch (e) {
      return (e as { code: string }).code;
    }
  };

  it('finds the current and older versions by full hash and by prefix', () => {
    expect(text(catalog.get('p'))).toBe('current');
    expect(text(catalog.version('p', V_CURRENT))).toBe('current');
    expect(text(catalog.version('p', V_OLD))).toBe('old');
    expect(text(catalog.version('p', V_OTHER.slice(0, 6)))).toBe('other');
    expect(text(catalog.version('p', V_OLD.slice(0, 7)))).toBe('old');
    expect(text(catalog.version('p', V_CURRENT.slice(0, 7)))).toBe('current');
    expect(catalog.version('p', V_OLD.slice(0, 8))).toBe(catalog.version('p', V_OLD));
  });

  it('refuses prefixes shorter than 6 characters, unknown versions and unknown prompts', () => {
    expect(code(() => catalog.version('p', V_OTHER.slice(0, 5)))).toBe('unknown_version');
    expect(code(() => catalog.version('p', V_CURRENT.slice(0, 5)))).toBe('unknown_version');
    expect(code(() => catalog.version('p', ''))).toBe('unknown_version');
    expect(code(() => catalog.version('p', 'ffffff'))).toBe('unknown_version');
    expect(code(() => catalog.version('nope', V_CURRENT))).toBe('unknown_prompt');
    expect(code(() => catalog.get('nope'))).toBe('unknown_prompt');
  });

  it('a prefix shared by two versions is ambiguous, even when one of them is the current version', () => {
    expect(code(() => catalog.version('p', 'abcdef'))).toBe('ambiguous_version');
    expect(code(() => catalog.version('p', V_OLD.slice(0, 6)))).toBe('ambiguous_version');
  });
});
