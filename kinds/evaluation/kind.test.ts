// The Evaluation kind through the spec loader: normalisation and defaults, the rules the bad-input
// corpus does not cover one by one (experiment and model targets, fields in the wrong place, CSV
// rows), datasets checked only when the loader can read files, the sample at the repository root,
// and the typed table: apply, an empty re-plan, and drift after a hand edit.
import { describe, expect, it, vi } from 'vitest';
import type { Diagnostic, JsonObject, SpecFile } from '../../core/types.js';
import { readSpecDir, SpecLoader } from '../../reconciler/load/index.js';
import { specDirFileReader } from '../../adapters/files/datasets.js';
import { engines, useWorkspace } from '../../test/helpers/engines.js';
import { datasetPathOf } from './kind.js';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const yaml = (...lines: string[]) => lines.join('\n') + '\n';
const loader = new SpecLoader();

const PROMPT = yaml(
  'kind: Prompt',
  'name: answer',
  'template: "Answer {{question}} in {{count}} words, {{tone}}."',
  'variables:',
  '  question: { type: string }',
  '  count: { type: number }',
  '  tone: { type: string, default: plainly }',
  'model: { provider: scripted, name: answers, price: { input: 1, output: 2 } }',
);

const MODEL = yaml(
  'kind: Model',
  'name: churn',
  'aliases:',
  '  champion: { policy: churn-champion }',
  '---',
  'kind: PromotionPolicy',
  'name: churn-champion',
  'model: churn',
  'candidate: { alias: challenger }',
  'target: champion',
  'gates: { metrics: ["val_auc >= 0.8"] }',
);

/** Load spec files and data files (by path); data files are what the reader can read. */
function load(specs: Record<string, string>, data: Record<string, string> = {}, reader = true) {
  const files: SpecFile[] = Object.entries(specs).map(([path, text]) => ({ path, bytes: Buffer.from(text) }));
  const readFile = (path: string): SpecFile => (Object.hasOwn(data, path) ? { path, bytes: Buffer.from(data[path]!) } : { path, error: 'the file (or the target of its symlink) does not exist' });
  return loader.load(files, reader ? { readFile } : {});
}

const codes = (ds: Diagnostic[]) => ds.map((d) => `${d.severity} ${d.code}@${d.range?.start.line}`);

function evaluation(...lines: string[]): string {
  return yaml('kind: Evaluation', 'name: e', ...lines);
}

describe('Evaluation normalisation', () => {
  it('fills the dataset format from the file name, the threshold, the sessions defaults; keeps fields in a fixed order', () => {
    const state = load(
      {
        'prompts/p.yaml': PROMPT,
        'evaluations/e.yaml': evaluation('description: Answers stay short', 'asserts:', '  - { value: "{{expected}}", type: icontains }', 'dataset: { path: cases.jsonl }', 'target: { output: { ok: boolean }, prompt: answer }'),
        'flows/f.yaml': yaml('kind: Flow', 'name: ask', 'steps:', '  - { id: hi, say: Hello }'),
        'evaluations/s.yaml': yaml('kind: Evaluation', 'name: s', 'target: { flow: ask }', 'dataset: { sessions: { flow: ask, since: 48h } }', 'asserts: [{ type: latency, threshold: 2000 }]', 'threshold: { pass_rate: 0.9 }'),
        'evaluations/m.yaml': yaml('kind: Evaluation', 'name: m', 'target: { model: churn, version: 3, server: "http://127.0.0.1:5001/" }', 'dataset: { uri: "s3://datasets/churn/holdout" , format: csv }', 'asserts: [{ type: auc, threshold: 0.8 }]'),
        'models/m.yaml': MODEL,
      },
      { 'evaluations/cases.jsonl': '{"question": "q", "count": 3, "expected": "x"}\n' },
    );
    expect(codes(state.diagnostics)).toEqual([]);
    const spec = (name: string) => state.resources.find((r) => r.kind === 'Evaluation' && r.name === name)!.spec;
    expect(spec('e')).toEqual({
      description: 'Answers stay short',
      target: { prompt: 'answer', output: { ok: 'boolean' } },
      dataset: { path: 'cases.jsonl', format: 'jsonl' },
      asserts: [{ type: 'icontains', value: '{{expected}}' }],
      threshold: { pass_rate: 1 },
    });
    expect(Object.keys(spec('e').target as JsonObject)).toEqual(['prompt', 'output']);
    expect(spec('s')).toMatchObject({ dataset: { sessions: { flow: 'ask', since: '2d', limit: 500 } }, threshold: { pass_rate: 0.9 } });
    expect(spec('m')).toMatchObject({ target: { model: 'churn', version: '3', server: 'http://127.0.0.1:5001' }, dataset: { uri: 's3://datasets/churn/holdout', format: 'csv' } });
  });

  it('resolves a local dataset relative to the spec file, inside the spec directory', () => {
    const r = (file: string, path: string) => datasetPathOf({ kind: 'Evaluation', name: 'e', spec: { dataset: { path } }, source: { file, line: 1, column: 1, document: 0 } });
    expect(r('evaluations/e.yaml', 'datasets/a.jsonl')).toBe('evaluations/datasets/a.jsonl');
    expect(r('evaluations/sub/e.yaml', '../a.jsonl')).toBe('evaluations/a.jsonl');
    expect(r('evaluations/e.yaml', '../../a.jsonl')).toBeUndefined();
    expect(r('evaluations/e.yaml', '/etc/a.jsonl')).toBeUndefined();
  });
});

describe('Evaluation rules', () => {
  const prompt = { 'prompts/p.yaml': PROMPT };
  const cases = { 'evaluations/cases.jsonl': '{"question": "q", "count": 3, "expected": "x"}\n' };

  it('an experiment target feeds every prompt variant the rows; a variant with no prompt or flow has nothing to evaluate', () => {
    const experiment = (variants: string[]) => yaml('kind: Experiment', 'name: x', 'variants:', ...variants);
    const other = yaml('kind: Prompt', 'name: other', 'template: "{{topic}}"', 'variables: { topic: { type: string } }', 'model: { provider: scripted, name: a }');
    const ev = evaluation('target: { experiment: x }', 'dataset: { path: cases.jsonl }', 'asserts: [{ type: equals, value: "{{expected}}" }]');
    const ok = load({ ...prompt, 'prompts/o.yaml': other, 'experiments/x.yaml': experiment(['  - { key: a, weight: 1, value: { prompt: answer } }', '  - { key: b, weight: 1, value: { prompt: other } }']), 'evaluations/e.yaml': ev }, cases);
    expect(ok.diagnostics.map((d) => [d.code, d.summary])).toEqual([['dataset-missing-variable', 'row 1 (evaluations/cases.jsonl:1) has no field "topic", which prompt "other" needs']]);
    const plain = load({ ...prompt, 'experiments/x.yaml': experiment(['  - { key: a, weight: 1, value: { prompt: answer } }', '  - { key: b, weight: 1, value: { color: blue } }']), 'evaluations/e.yaml': ev }, cases);
    expect(codes(plain.diagnostics)).toEqual(['error variant-without-target@3']);
    const unknown = load({ ...prompt, 'evaluations/e.yaml': ev.replace('experiment: x', 'experiment: checkout') }, cases);
    expect(unknown.diagnostics.map((d) => d.code)).toEqual(['unknown-experiment']);
  });

  it('a model target scores one version: an alias or a version, a declared or candidate alias, metrics only there', () => {
    const ev = (target: string, asserts = '[{ type: auc, threshold: 0.8 }]') => load({ 'models/m.yaml': MODEL, 'evaluations/e.yaml': evaluation(`target: { ${target} }`, 'dataset: { uri: "s3://bucket/rows.jsonl" }', `asserts: ${asserts}`) });
    expect(codes(ev('model: churn, alias: challenger').diagnostics)).toEqual([]);
    expect(codes(ev('model: churn, alias: champion, version: 3').diagnostics)).toEqual(['error model-target-version@3']);
    expect(codes(ev('model: churn').diagnostics)).toEqual(['error model-target-version@3']);
    expect(codes(ev('model: churn, version: "03"').diagnostics)).toEqual(['error invalid-model-version@3']);
    expect(codes(ev('model: churn, alias: latest').diagnostics)).toEqual(['error reserved-alias@3']);
    expect(codes(ev('model: churn, alias: staging').diagnostics)).toEqual(['warning unmanaged-model-alias@3']);
    expect(ev('model: chrun, alias: challenger').diagnostics.map((d) => d.hint)).toEqual(['did you mean "churn"?']);
    expect(codes(ev('model: churn, version: 3', '[{ type: cost, threshold: 0.01 }]').diagnostics)).toEqual(['error cost-without-price@5']);
    expect(codes(ev('model: churn, version: 3, output: { p: number }').diagnostics)).toEqual(['error misplaced-field@3']);
  });

  it('each assert takes only its own fields and needs the ones it cannot do without', () => {
    const ev = (asserts: string) => load({ ...prompt, 'evaluations/e.yaml': evaluation('target: { prompt: answer, alias: x }', 'dataset: { path: cases.jsonl }', 'asserts:', asserts) }, cases);
    const d = ev(
      [
        '  - { type: equals, value: x, threshold: 2 }',
        '  - { type: llm-rubric, value: polite }',
        '  - { type: contains, value: [a, b] }',
        '  - { type: llm-rubric, value: ok, threshold: 1.5, provider: { provider: openai, name: gpt-4.1-mini } }',
        '  - { type: latency, threshold: 0 }',
        '  - { type: contains, value: "{{ broken" }',
        '  - { type: not-is-json, value: [1] }',
        '  - { type: python, value: "1" }',
      ].join('\n'),
    ).diagnostics;
    expect(codes(d)).toEqual(['error misplaced-field@3', 'error misplaced-field@6', 'error missing-assert-field@7', 'error invalid-assert-value@8', 'error invalid-threshold@9', 'error invalid-threshold@10', 'error invalid-placeholder@11', 'error invalid-json-schema@12', 'error code-assert@13']);
    expect(d.find((x) => x.code === 'missing-assert-field')!.hint).toBe('add provider: { provider: anthropic, name: claude-sonnet-4-5 }');
  });

  it('checks rows only when the loader can read the dataset; CSV text is read as the declared variable types', () => {
    const ev = (path: string) => ({ ...prompt, 'evaluations/e.yaml': evaluation('target: { prompt: answer }', `dataset: { path: ${path} }`, 'asserts: [{ type: equals, value: "{{expected}}" }]') });
    expect(codes(load(ev('missing.jsonl'), {}, false).diagnostics)).toEqual([]);
    expect(codes(load(ev('missing.jsonl')).diagnostics)).toEqual(['error unreadable-dataset@4']);
    const csv = { 'evaluations/cases.csv': 'question,count,expected\nq,3,x\nr,,y\ns,many,z\n' };
    const d = load(ev('cases.csv'), csv).diagnostics;
    expect(d.map((x) => x.summary).sort()).toEqual(['row 2 (evaluations/cases.csv:3) has no field "count", which prompt "answer" needs', 'row 3 (evaluations/cases.csv:4): field "count" is "many", not a number, the type prompt "answer" declares']);
    expect(codes(load(ev('empty.jsonl'), { 'evaluations/empty.jsonl': '\n\n' }).diagnostics)).toEqual(['error empty-dataset@4']);
  });

  it('a flow target reads messages from its rows; replaying recorded sessions needs a flow', () => {
    const flow = { 'flows/f.yaml': yaml('kind: Flow', 'name: ask', 'slots: { q: { type: string } }', 'steps:', '  - { id: ask, collect: q, say: Question? }') };
    const ev = (dataset: string) => load({ ...flow, 'evaluations/e.yaml': evaluation('target: { flow: ask }', `dataset: ${dataset}`, 'asserts: [{ type: latency, threshold: 5000 }]') }, { 'evaluations/rows.jsonl': '{"messages": ["hi"]}\n{"message": "hi"}\n' });
    expect(ev('{ path: rows.jsonl }').diagnostics.map((d) => [d.code, d.summary])).toEqual([['dataset-flow-row', 'row 2 (evaluations/rows.jsonl:2): no field "messages"']]);
    expect(codes(ev('{ sessions: { flow: ask, since: 7d } }').diagnostics)).toEqual([]);
    expect(codes(ev('{ sessions: { flow: aks, since: 7x } }').diagnostics)).toEqual(['error unknown-flow@4', 'error invalid-duration@4']);
    expect(codes(ev('{ path: rows.jsonl, uri: "s3://bucket/rows.jsonl" }').diagnostics)).toEqual(['error dataset-kind@4']);
  });

  it('the sample evaluation at the repository root validates with its dataset', async () => {
    const root = new URL('../../', import.meta.url).pathname;
    const state = loader.load(await readSpecDir(root), { readFile: specDirFileReader(root) });
    expect(state.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(state.resources.find((r) => r.kind === 'Evaluation' && r.name === 'refund-decision')?.spec).toMatchObject({ target: { prompt: 'refund-decision' }, dataset: { path: 'datasets/refund-decision.jsonl', format: 'jsonl' } });
  });
});

const ENGINES = await engines();

describe.each(ENGINES)('the evaluations table ($name)', ({ name, available }) => {
  const ws = useWorkspace(name, available, { samples: false, state: 'migrated' });
  const SPEC = evaluation('target: { prompt: answer@abc123 }', 'dataset: { path: cases.jsonl }', 'asserts: [{ type: equals, value: "{{expected}}" }, { type: cost, threshold: 0.01 }]', 'threshold: { pass_rate: 0.9 }');

  it('applies typed rows, re-plans with no change, and shows a hand edit as drift', async () => {
    const w = ws();
    w.write('prompts/p.yaml', PROMPT);
    w.write('evaluations/e.yaml', SPEC);
    w.write('evaluations/cases.jsonl', '{"question": "q", "count": 3, "expected": "x"}\n');
    w.write('models/m.yaml', MODEL);
    w.write('evaluations/m.yaml', yaml('kind: Evaluation', 'name: m', 'target: { model: churn, alias: challenger, server: "http://127.0.0.1:5001" }', 'dataset: { uri: "s3://bucket/rows.csv", sha256: "' + 'a'.repeat(64) + '" }', 'asserts: [{ type: accuracy, threshold: 0.9, cutoff: 0.5 }]'));
    const applied = await w.cli(['apply']);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(await w.sql('SELECT name, target_kind, target_name, target_version, target_alias, target_server, pass_rate FROM labctl.evaluations ORDER BY name')).toEqual([
      { name: 'e', target_kind: 'prompt', target_name: 'answer', target_version: 'abc123', target_alias: null, target_server: null, pass_rate: 0.9 },
      { name: 'm', target_kind: 'model', target_name: 'churn', target_version: null, target_alias: 'challenger', target_server: 'http://127.0.0.1:5001', pass_rate: 1 },
    ]);
    const again = await w.cli(['plan', '--detailed-exitcode']);
    expect(again.code, again.stdout).toBe(0);
    await w.sql(`UPDATE labctl.evaluations SET target_version = 'def456', asserts = '[]' WHERE name = 'e'`);
    const drift = await w.cli(['plan', '--format', 'json']);
    const change = (JSON.parse(drift.stdout) as { changes: Array<{ kind: string; name: string; action: string; drift?: boolean; fields: Array<{ path: string }> }> }).changes.find((c) => c.kind === 'Evaluation');
    expect(change).toMatchObject({ name: 'e', action: 'update', drift: true });
    expect(change!.fields.map((f) => f.path).sort()).toEqual(['asserts', 'target.prompt']);
  });
});
