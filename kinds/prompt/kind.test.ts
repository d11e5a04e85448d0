// The Prompt kind through the spec loader on small YAML trees: each rule at the right line, content
// versions (what changes them and what does not), the unified template diff shown in plans, and
// prompt references in experiment variants.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { canonicalJson, sha256 } from '../../core/hash.js';
import type { Diagnostic, JsonObject, Resource } from '../../core/types.js';
import { promptKind } from './kind.js';
import { readSpecDir, SpecLoader } from '../../reconciler/load/index.js';

const root = mkdtempSync(join(tmpdir(), 'labctl-prompt-kind-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const loader = new SpecLoader();
let n = 0;

/** Write a tree of files into a fresh temp dir and load it as the CLI does. */
async function load(files: Record<string, string>): Promise<{ resources: Resource[]; diagnostics: Diagnostic[] }> {
  const dir = join(root, `t${n++}`);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  const state = loader.load(await readSpecDir(dir));
  return { resources: state.resources, diagnostics: state.diagnostics };
}

/** YAML lines joined (so line numbers in the tests can be read off the array index + 1). */
const yaml = (...lines: string[]) => lines.join('\n') + '\n';

function only(ds: Diagnostic[], code: string): Diagnostic[] {
  return ds.filter((d) => d.code === code);
}

/** code@file:line for every diagnostic, for compact assertions. */
function at(ds: Diagnostic[]): string[] {
  return ds.map((d) => `${d.severity} ${d.code}@${d.range?.filename}:${d.range?.start.line}`);
}

async function spec(files: Record<string, string>, name: string): Promise<JsonObject> {
  const { resources, diagnostics } = await load(files);
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const r = resources.find((x) => x.kind === 'Prompt' && x.name === name);
  expect(r, `Prompt ${name}`).toBeDefined();
  return r!.spec;
}

describe('Prompt rules fire at the right line', () => {
  it('prompt-body: neither template nor messages, or both', async () => {
    const { diagnostics } = await load({
      'prompts/none.yaml': yaml('kind: Prompt', 'name: none', 'description: nothing to send'),
      'prompts/both.yaml': yaml('# a comment first', 'kind: Prompt', 'name: both', 'template: hi', 'messages:', '  - role: user', '    content: hi'),
    });
    expect(at(diagnostics)).toEqual(['error prompt-body@prompts/both.yaml:2', 'error prompt-body@prompts/none.yaml:1']);
    expect(diagnostics[0]!.summary).toBe('a prompt needs exactly one of template (text) or messages (chat)');
    expect(diagnostics[0]!.hint).toContain('template:');
  });

  it('invalid-placeholder in a text template and in the chat message that has it', async () => {
    const { diagnostics } = await load({
      'p.yaml': yaml(
        'kind: Prompt', // 1
        'name: bad-text', // 2
        'template: |', // 3
        '  Hello {{ user.name }}', // 4
        '  and {{', // 5
        '---', // 6
        'kind: Prompt', // 7
        'name: bad-chat', // 8
        'messages:', // 9
        '  - role: system', // 10
        '    content: fine', // 11
        '  - role: user', // 12
        '    content: "{{ a + b }}"', // 13
      ),
    });
    // Positions point at the placeholder itself, inside the block scalar.
    expect(at(diagnostics)).toEqual(['error invalid-placeholder@p.yaml:4', 'error invalid-placeholder@p.yaml:5', 'error invalid-placeholder@p.yaml:13']);
    expect(diagnostics.map((d) => d.range?.start.column)).toEqual([9, 7, 15]);
    expect(diagnostics.map((d) => d.path)).toEqual(['/template', '/template', '/messages/1/content']);
    expect(diagnostics[0]!.summary).toBe('invalid placeholder "{{ user.name }}"');
    expect(diagnostics[1]!.summary).toContain('unclosed placeholder');
    expect(diagnostics[2]!.summary).toBe('invalid placeholder "{{ a + b }}"');
    for (const d of diagnostics) expect(d.hint).toContain('\\{{');
  });

  it('undeclared-variable (error), unused-variable and required-with-default (warnings)', async () => {
    const { diagnostics } = await load({
      'p.yaml': yaml(
        'kind: Prompt', // 1
        'name: vars', // 2
        'messages:', // 3
        '  - role: system', // 4
        '    content: You help with {{product}}.', // 5
        '  - role: user', // 6
        '    content: "{{question}} {{ question }}"', // 7
        'variables:', // 8
        '  product: { type: string }', // 9
        '  spare: { type: number, required: false }', // 10
        '  tone:', // 11
        '    type: string', // 12
        '    required: true', // 13
        '    default: friendly', // 14
      ),
    });
    expect(at(diagnostics)).toEqual([
      'error undeclared-variable@p.yaml:7',
      'warning unused-variable@p.yaml:10',
      'warning unused-variable@p.yaml:11',
      'warning required-with-default@p.yaml:11',
    ]);
    const [undeclared, spare, tone, withDefault] = diagnostics;
    expect(undeclared!.summary).toBe('placeholder {{question}} is not declared under variables');
    expect(undeclared!.hint).toContain('question: { type: string }');
    expect(spare!.summary).toBe('variable "spare" is declared but no template uses it');
    expect(tone!.path).toBe('/variables/tone');
    expect(withDefault!.summary).toContain('"tone" is required but has a default');
  });

  it('a placeholder used twice and declared once is fine; escaped braces need no declaration', async () => {
    const { diagnostics } = await load({
      'p.yaml': yaml('kind: Prompt', 'name: ok', 'template: "{{a}} {{ a }} \\\\{{b}} { c } }}"', 'variables:', '  a: { type: string }'),
    });
    expect(diagnostics).toEqual([]);
  });

  it('names of Object.prototype members are placeholders like any other: undeclared is an error', async () => {
    const { diagnostics } = await load({
      'p.yaml': yaml('kind: Prompt', 'name: proto', 'template: "{{constructor}} {{toString}} {{hasOwnProperty}} {{__proto__}}"'),
    });
    expect(at(diagnostics)).toEqual(Array(4).fill('error undeclared-variable@p.yaml:3'));
    expect(diagnostics.map((d) => d.summary)).toEqual(['constructor', 'toString', 'hasOwnProperty', '__proto__'].map((v) => `placeholder {{${v}}} is not declared under variables`));
  });

  it('a variable named like an Object.prototype member is declared and renders', async () => {
    const { diagnostics, resources } = await load({
      'p.yaml': yaml('kind: Prompt', 'name: proto', 'template: "{{constructor}}"', 'variables:', '  constructor: { type: string, default: c }'),
    });
    expect(diagnostics).toEqual([]);
    expect(resources[0]!.spec.variables).toEqual({ constructor: { type: 'string', required: false, default: 'c' } });
  });

  it('schema problems come first: an unknown variable type, a template that is not a string, an unknown role', async () => {
    const { diagnostics } = await load({
      'a.yaml': yaml('kind: Prompt', 'name: a', 'template: "{{x}}"', 'variables:', '  x: { type: text }'),
      'b.yaml': yaml('kind: Prompt', 'name: b', 'template: [1, 2]'),
      'c.yaml': yaml('kind: Prompt', 'name: c', 'messages:', '  - role: tool', '    content: hi'),
    });
    expect(diagnostics.map((d) => `${d.range?.filename}:${d.range?.start.line}`)).toEqual(['a.yaml:5', 'b.yaml:3', 'c.yaml:4']);
    expect(diagnostics.every((d) => d.severity === 'error')).toBe(true);
  });
});

describe('Prompt normalisation and content versions', () => {
  const BASE = yaml(
    'kind: Prompt',
    'name: greet',
    'description: Greets people',
    'owner: growth',
    'tags: [a, b]',
    'labels: { team: growth }',
    'template: |',
    '  Hello {{name}}, you are {{age}}.',
    'variables:',
    '  name: { type: string }',
    '  age: { type: number, default: 30 }',
    'model: { provider: anthropic, name: claude-sonnet-4-5, temperature: 0.2 }',
  );
  const version = async (text: string) => (await spec({ 'p.yaml': text }, 'greet')).version as string;
  const edit = (from: string, to: string) => {
    expect(BASE).toContain(from);
    return BASE.replace(from, to);
  };

  it('normalises type, required and the version; the version is the SHA-256 of the canonical content', async () => {
    const s = await spec({ 'p.yaml': BASE }, 'greet');
    expect(s).toEqual({
      description: 'Greets people',
      owner: 'growth',
      labels: { team: 'growth' },
      tags: ['a', 'b'],
      type: 'text',
      template: 'Hello {{name}}, you are {{age}}.\n',
      variables: { name: { type: 'string', required: true }, age: { type: 'number', required: false, default: 30 } },
      model: { provider: 'anthropic', name: 'claude-sonnet-4-5', temperature: 0.2 },
      version: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    const content = { type: s.type, template: s.template, variables: s.variables, model: s.model };
    expect(s.version).toBe(sha256(canonicalJson(content as JsonObject)));
    // Independently of canonicalJson: sorted keys, no white space.
    expect(s.version).toBe(
      sha256(
        '{"model":{"name":"claude-sonnet-4-5","provider":"anthropic","temperature":0.2},"template":"Hello {{name}}, you are {{age}}.\\n","type":"text",' +
          '"variables":{"age":{"default":30,"required":false,"type":"number"},"name":{"required":true,"type":"string"}}}',
      ),
    );
    const chat = await spec({ 'c.yaml': yaml('kind: Prompt', 'name: c', 'messages:', '  - { role: user, content: hi }') }, 'c');
    expect(chat).toMatchObject({ type: 'chat', variables: {}, messages: [{ role: 'user', content: 'hi' }] });
    expect(chat.version).toBe(sha256('{"messages":[{"content":"hi","role":"user"}],"type":"chat","variables":{}}'));
  });

  it('the same content gives the same version, whatever the file, name or formatting', async () => {
    const v = await version(BASE);
    const reformatted = yaml(
      'name: greet',
      'kind: Prompt',
      'apiVersion: labctl/v1',
      'model:',
      '  temperature: 0.2',
      '  name: "claude-sonnet-4-5"',
      '  provider: anthropic',
      'variables:',
      '  age:',
      '    default: 30',
      '    type: number',
      '  name: { required: true }',
      'template: "Hello {{name}}, you are {{age}}.\\n"',
    );
    expect(await version(reformatted)).toBe(v);
    const renamed = await spec({ 'other/dir/renamed.yaml': BASE.replace('name: greet', 'name: greet-two') }, 'greet-two');
    expect(renamed.version).toBe(v);
  });

  it.each([
    ['description', 'description: Greets people', 'description: Says hello to people'],
    ['owner', 'owner: growth', 'owner: support'],
    ['tags', 'tags: [a, b]', 'tags: [b, c, d]'],
    ['labels', 'labels: { team: growth }', 'labels: { team: support, tier: gold }'],
    ['mlflow mirroring', 'tags: [a, b]', 'tags: [a, b]\nmlflow: { mirror: true, alias: champion }'],
    ['required spelled out as its default', 'name: { type: string }', 'name: { type: string, required: true }'],
    ['type spelled out as its default', 'name: { type: string }', 'name: {}'],
  ])('changing %s keeps the version', async (_what, from, to) => {
    expect(await version(edit(from, to))).toBe(await version(BASE));
  });

  it.each([
    ['the template text', 'Hello {{name}}, you', 'Hi {{name}}, you'],
    ['white space in the template', 'Hello {{name}}, you', 'Hello  {{name}}, you'],
    ['a variable type', 'age: { type: number, default: 30 }', 'age: { type: json, default: 30 }'],
    ['a variable default', 'age: { type: number, default: 30 }', 'age: { type: number, default: 31 }'],
    ['whether a variable is required', 'name: { type: string }', 'name: { type: string, required: false }'],
    ['a new variable', "  age: { type: number, default: 30 }", "  age: { type: number, default: 30 }\n  extra: { type: string, required: false }"],
    ['the model temperature', 'temperature: 0.2', 'temperature: 0.3'],
    ['the model name', 'claude-sonnet-4-5', 'claude-opus-4-1'],
    ['removing the model', '\nmodel: { provider: anthropic, name: claude-sonnet-4-5, temperature: 0.2 }', ''],
  ])('changing %s makes a new version', async (_what, from, to) => {
    const v = await version(BASE);
    const changed = await version(edit(from, to));
    expect(changed).toMatch(/^[0-9a-f]{64}$/);
    expect(changed).not.toBe(v);
    // The same change again gives the same version: content addressing, not a counter.
    expect(await version(edit(from, to))).toBe(changed);
  });

  it('chat: a role or a content change makes a new version; text and chat with the same words differ', async () => {
    const chat = (role: string, content: string) => yaml('kind: Prompt', 'name: greet', 'messages:', `  - { role: ${role}, content: "${content}" }`);
    const v = await version(chat('user', 'hi'));
    expect(await version(chat('user', 'hi'))).toBe(v);
    expect(await version(chat('system', 'hi'))).not.toBe(v);
    expect(await version(chat('user', 'hi!'))).not.toBe(v);
    expect(await version(yaml('kind: Prompt', 'name: greet', 'template: hi'))).not.toBe(v);
  });
});

describe('describeChange: a unified diff of the template text', () => {
  const norm = (doc: Record<string, unknown>) => promptKind.normalise({ kind: 'Prompt', name: 'p', ...doc } as JsonObject);

  it('text: a header naming both versions, one hunk with context, - and + lines', () => {
    const before = norm({ template: 'line 1\nline 2\nline 3\nline 4\nline 5\nline 6\nline 7\nline 8\n' });
    const after = norm({ template: 'line 1\nline 2\nline 3\nline 4\nline FIVE\nline 6\nline 7\nline 8\n' });
    const d = promptKind.describeChange!(before, after)!;
    expect(d).toBe(
      [
        `--- version ${(before.version as string).slice(0, 12)}`,
        `+++ version ${(after.version as string).slice(0, 12)}`,
        '@@ -2,7 +2,7 @@',
        ' line 2',
        ' line 3',
        ' line 4',
        '-line 5',
        '+line FIVE',
        ' line 6',
        ' line 7',
        ' line 8',
      ].join('\n'),
    );
  });

  it('chat: messages as [role] blocks; an added message is all + lines', () => {
    const before = norm({ messages: [{ role: 'system', content: 'Be brief.' }] });
    const after = norm({ messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: '{{q}}\nthanks' }], variables: { q: {} } });
    const d = promptKind.describeChange!(before, after)!;
    const lines = d.split('\n');
    expect(lines[0]).toMatch(/^--- version [0-9a-f]{12}$/);
    expect(lines[1]).toMatch(/^\+\+\+ version [0-9a-f]{12}$/);
    expect(lines.slice(2)).toEqual(['@@ -1,2 +1,5 @@', ' [system]', ' Be brief.', '+[user]', '+{{q}}', '+thanks']);
  });

  it('two separate hunks for changes far apart, and unicode lines intact', () => {
    const base = Array.from({ length: 20 }, (_, i) => `row ${i} ✓`);
    const changed = [...base];
    changed[1] = 'row 1 — changed 👋';
    changed[18] = 'שורה 18';
    const d = promptKind.describeChange!(norm({ template: base.join('\n') }), norm({ template: changed.join('\n') }))!;
    expect(d.split('\n').filter((l) => l.startsWith('@@'))).toEqual(['@@ -1,5 +1,5 @@', '@@ -16,5 +16,5 @@']);
    expect(d).toContain('\n-row 1 ✓\n+row 1 — changed 👋\n');
    expect(d).toContain('\n-row 18 ✓\n+שורה 18\n');
    expect(d).not.toContain('\\ No newline at end of file');
  });

  it('nothing to show when the text is the same (only the model or variables changed)', () => {
    const a = norm({ template: 'hi {{x}}', variables: { x: {} } });
    const b = norm({ template: 'hi {{x}}', variables: { x: { type: 'json' } }, model: { provider: 'openai', name: 'gpt-4.1-mini' } });
    expect(a.version).not.toBe(b.version);
    expect(promptKind.describeChange!(a, b)).toBeUndefined();
  });
});

describe('prompt references in experiment variants', () => {
  const PROMPT = yaml('kind: Prompt', 'name: support-assistant', 'template: "Hi {{name}}"', 'variables:', '  name: { type: string }');
  const experiment = (...values: string[]) =>
    yaml(
      'kind: Experiment', // 1
      'name: prompts', // 2
      'status: running', // 3
      'unit: user_id', // 4
      'variants:', // 5
      ...values.flatMap((v, i) => [`  - key: v${i}`, '    weight: 1', `    value: ${v}`]), // value i at line 8 + 3i
    );
  const lineOf = (i: number) => 8 + 3 * i;

  it('a known prompt, by name or pinned to the current version, is fine', async () => {
    const current = (await spec({ 'p.yaml': PROMPT }, 'support-assistant')).version as string;
    const { diagnostics } = await load({
      'p.yaml': PROMPT,
      'e.yaml': experiment('{ prompt: support-assistant }', `{ prompt: "support-assistant@${current.slice(0, 6)}" }`, `{ prompt: "support-assistant@${current}" }`, '{ other: value }'),
    });
    expect(diagnostics).toEqual([]);
  });

  it('unknown-prompt with a did-you-mean hint, at the variant', async () => {
    const { diagnostics } = await load({
      'p.yaml': PROMPT,
      'e.yaml': experiment('{ prompt: support-assistant }', '{ prompt: support-asistant }', '{ prompt: "billing-bot@abcdef12" }'),
    });
    expect(at(diagnostics)).toEqual([`error unknown-prompt@e.yaml:${lineOf(1)}`, `error unknown-prompt@e.yaml:${lineOf(2)}`]);
    expect(diagnostics[0]).toMatchObject({ summary: 'prompt "support-asistant" is not declared', hint: 'did you mean "support-assistant"?', path: '/variants/1/value/prompt' });
    expect(diagnostics[1]).toMatchObject({ summary: 'prompt "billing-bot" is not declared', hint: 'add a document with kind: Prompt and name: billing-bot' });
  });

  it.each([
    ['spaces and capitals', '"Support Assistant"'],
    ['a version prefix shorter than 6', '"support-assistant@abc12"'],
    ['a version that is not hex', '"support-assistant@zzzzzz"'],
    ['upper-case hex', '"support-assistant@ABCDEF"'],
    ['an empty version', '"support-assistant@"'],
    ['two @', '"support-assistant@abcdef@abcdef"'],
    ['a number', '42'],
    ['null', 'null'],
    ['a list', '[support-assistant]'],
  ])('invalid-prompt-ref: %s', async (_what, ref) => {
    const { diagnostics } = await load({ 'p.yaml': PROMPT, 'e.yaml': experiment('{ prompt: support-assistant }', `{ prompt: ${ref} }`) });
    expect(at(diagnostics)).toEqual([`error invalid-prompt-ref@e.yaml:${lineOf(1)}`]);
    expect(diagnostics[0]!.summary).toContain('NAME or NAME@VERSION');
  });

  it('pinned-prompt-version: a warning when the pin is not the current version', async () => {
    const current = (await spec({ 'p.yaml': PROMPT }, 'support-assistant')).version as string;
    const other = current[0] === 'a' ? 'bbbbbbb' : 'aaaaaaa';
    const { diagnostics } = await load({ 'p.yaml': PROMPT, 'e.yaml': experiment(`{ prompt: "support-assistant@${other}" }`, '{ prompt: support-assistant }') });
    expect(at(diagnostics)).toEqual([`warning pinned-prompt-version@e.yaml:${lineOf(0)}`]);
    expect(diagnostics[0]!.summary).toBe(`prompt "support-assistant" is pinned to version ${other}, not the current ${current.slice(0, 12)}`);
    expect(diagnostics[0]!.hint).toContain('404');
  });

  it('the shipped samples validate together without errors', async () => {
    const { readFileSync } = await import('node:fs');
    const read = (p: string) => readFileSync(new URL(`../../${p}`, import.meta.url), 'utf8');
    const { diagnostics, resources } = await load({
      'prompts/support-assistant.yaml': read('prompts/support-assistant.yaml'),
      'prompts/support-prompt.yaml': read('prompts/support-prompt.yaml'),
    });
    expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(resources.filter((r) => r.kind === 'Prompt').map((r) => r.spec.type)).toEqual(['chat', 'chat']);
  });
});
