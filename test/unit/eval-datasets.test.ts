// Evaluation datasets: JSON lines and CSV read into rows with their lines and content keys, the
// digest of the bytes, errors that name the file and line, and what a row gives a prompt or a flow.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DatasetFileError, readDatasetFile, specDirFileReader } from '../../adapters/files/datasets.js';
import { flowInputs, parseDataset, promptInputs, rowKey, type DatasetParse } from '../../engine/evaluation/index.js';

const bytes = (text: string) => Buffer.from(text, 'utf8');

function rowsOf(p: DatasetParse) {
  if (!p.ok) throw new Error(`expected rows, got line ${p.problem.line}: ${p.problem.message}`);
  return p.dataset.rows;
}

const tmp = mkdtempSync(join(tmpdir(), 'labctl-datasets-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('parseDataset', () => {
  it('reads JSON lines into rows with their line, skipping blank lines, a BOM and CRLF endings', () => {
    const text = '\uFEFF{"q": "a", "expected": 1}\r\n\r\n   \n{"q": "b", "nested": {"x": [1, 2]}}\n';
    const rows = rowsOf(parseDataset(bytes(text), 'jsonl'));
    expect(rows.map((r) => [r.index, r.line, r.values])).toEqual([
      [0, 1, { q: 'a', expected: 1 }],
      [1, 4, { q: 'b', nested: { x: [1, 2] } }],
    ]);
  });

  it('gives every row a key from its content only: equal rows share it, key order does not matter, position does not', () => {
    const rows = rowsOf(parseDataset(bytes('{"a": 1, "b": 2}\n{"b": 2, "a": 1}\n{"a": 1, "b": 3}\n'), 'jsonl'));
    expect(rows[0]!.key).toMatch(/^[0-9a-f]{64}$/);
    expect(rows[1]!.key).toBe(rows[0]!.key);
    expect(rows[2]!.key).not.toBe(rows[0]!.key);
    const moved = rowsOf(parseDataset(bytes('{"x": 0}\n{"a": 1, "b": 3}\n'), 'jsonl'));
    expect(moved[1]!.key).toBe(rows[2]!.key);
    expect(rowKey({ b: 2, a: 1 })).toBe(rows[0]!.key);
  });

  it('digests the bytes: the SHA-256 of the file, so any edit (even of white space) is another dataset', () => {
    const text = '{"a": 1}\n';
    const p = parseDataset(bytes(text), 'jsonl');
    expect(p.ok && p.dataset.digest).toBe(createHash('sha256').update(text).digest('hex'));
    const spaced = parseDataset(bytes('{"a":  1}\n'), 'jsonl');
    expect(spaced.ok && spaced.dataset.digest).not.toBe(p.ok && p.dataset.digest);
  });

  it.each([
    ['a line that is not JSON', '{"a": 1}\n{"a": \n', 2, /^not JSON: /],
    ['a line that is a list', '{"a": 1}\n\n[1, 2]\n', 3, /is a list, not a JSON object/],
    ['a line that is a string', '"text"\n', 1, /is a string, not a JSON object/],
    ['bytes that are not UTF-8', '{"a": "ok"}\n{"a": "caf\xe9"}\n', 2, /not UTF-8/],
  ])('JSON lines: %s is refused at its line', (_what, text, line, message) => {
    const buf = text.includes('\xe9') ? Buffer.concat([bytes(text.split('\xe9')[0]!), Buffer.from([0xe9]), bytes(text.split('\xe9')[1]!)]) : bytes(text);
    const p = parseDataset(buf, 'jsonl');
    expect(p.ok).toBe(false);
    if (!p.ok) {
      expect(p.problem.line).toBe(line);
      expect(p.problem.message).toMatch(message);
      expect(p.problem.hint).toMatch(/\S/);
    }
  });

  it('reads CSV by its header: cells are text, an empty cell is no field, quoted cells may hold commas and line breaks', () => {
    const text = 'question,expected,tone\n"What is 2 + 2, roughly?",4,\n"A question\nover two lines",x,cheerful\n\n5 + 5,10,plain\n';
    const rows = rowsOf(parseDataset(bytes(text), 'csv'));
    expect(rows.map((r) => [r.line, r.values])).toEqual([
      [2, { question: 'What is 2 + 2, roughly?', expected: '4' }],
      [3, { question: 'A question\nover two lines', expected: 'x', tone: 'cheerful' }],
      [6, { question: '5 + 5', expected: '10', tone: 'plain' }],
    ]);
    expect(rowsOf(parseDataset(bytes('question,expected\n'), 'csv'))).toEqual([]);
  });

  it.each([
    ['a row with too few cells', 'a,b\n1,2\n3\n', 3, /Invalid Record Length/],
    ['an unclosed quote', 'a,b\n1,"2\n', 2, /Quote Not Closed/],
    ['a header naming a column twice', 'a,b,a\n1,2,3\n', 1, /column "a" appears twice/],
    ['a header with an empty name', 'a,,c\n1,2,3\n', 1, /column 2 has no name/],
  ])('CSV: %s is refused at its line', (_what, text, line, message) => {
    const p = parseDataset(bytes(text), 'csv');
    expect(p.ok).toBe(false);
    if (!p.ok) {
      expect(p.problem.line).toBe(line);
      expect(p.problem.message).toMatch(message);
    }
  });
});

describe('readDatasetFile and the validator’s reader', () => {
  it('reads a file by its extension; an error names the file and the line', async () => {
    mkdirSync(join(tmp, 'evaluations'), { recursive: true });
    writeFileSync(join(tmp, 'evaluations', 'ok.jsonl'), '{"q": 1}\n{"q": 2}\n');
    writeFileSync(join(tmp, 'evaluations', 'bad.csv'), 'q,expected\n1,2\n3\n');
    const data = await readDatasetFile(tmp, 'evaluations/ok.jsonl');
    expect(data.format).toBe('jsonl');
    expect(data.rows.map((r) => r.values)).toEqual([{ q: 1 }, { q: 2 }]);
    const bad = await readDatasetFile(tmp, 'evaluations/bad.csv').catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(DatasetFileError);
    expect((bad as DatasetFileError).message).toMatch(/^evaluations\/bad\.csv:3: CSV: Invalid Record Length/);
    expect((bad as DatasetFileError).line).toBe(3);
    const missing = await readDatasetFile(tmp, 'evaluations/none.jsonl').catch((e: unknown) => e);
    expect((missing as DatasetFileError).message).toBe('evaluations/none.jsonl: cannot read the dataset: the file (or the target of its symlink) does not exist');
    await expect(readDatasetFile(tmp, 'evaluations/ok.txt')).rejects.toThrow(/format is not known/);
  });

  it('reads what the specs refer to, inside the spec directory only', () => {
    const read = specDirFileReader(join(tmp, 'evaluations'));
    expect(read('ok.jsonl').bytes?.toString()).toBe('{"q": 1}\n{"q": 2}\n');
    expect(read('none.jsonl')).toEqual({ path: 'none.jsonl', error: 'the file (or the target of its symlink) does not exist' });
    expect(read('../evaluations/ok.jsonl').bytes).toBeDefined();
    expect(read('../outside.jsonl')).toEqual({ path: '../outside.jsonl', error: 'the path leaves the spec directory' });
    expect(read('/etc/hostname').error).toBe('the path leaves the spec directory');
    symlinkSync('nowhere.jsonl', join(tmp, 'evaluations', 'dangling.jsonl'));
    expect(read('dangling.jsonl').error).toBe('the file (or the target of its symlink) does not exist');
  });
});

describe('what a row gives its target', () => {
  const decls = {
    question: { type: 'string' as const, required: true },
    tone: { type: 'string' as const, required: false, default: 'plain' },
    count: { type: 'number' as const, required: false },
    strict: { type: 'boolean' as const, required: false },
    extra: { type: 'json' as const, required: false },
  };

  it('a prompt: its variables from the fields of the same names; a variable with a default may be absent; other fields are left', () => {
    expect(promptInputs(decls, { question: 'q', expected: 'x' }, 'jsonl')).toEqual({ values: { question: 'q' }, problems: [] });
    expect(promptInputs(decls, { expected: 'x', count: '3' }, 'jsonl').problems).toEqual([
      { field: 'question', reason: 'missing', message: 'no field "question"' },
      { field: 'count', reason: 'wrong_type', message: 'field "count" is a string, not a number' },
    ]);
  });

  it('from CSV, text is read as the declared type', () => {
    expect(promptInputs(decls, { question: 'q', count: '2.5', strict: 'TRUE', extra: '{"a": [1]}' }, 'csv')).toEqual({ values: { question: 'q', count: 2.5, strict: true, extra: { a: [1] } }, problems: [] });
    expect(promptInputs(decls, { question: 'q', count: 'many', strict: 'yes' }, 'csv').problems.map((p) => p.message)).toEqual(['field "count" is "many", not a number', 'field "strict" is "yes", not a boolean']);
  });

  it('a flow: the user’s messages in order and optional starting slots (JSON in CSV cells)', () => {
    expect(flowInputs({ messages: ['12345678', 'damaged'], expected: 'x' }, 'jsonl')).toEqual({ ok: true, inputs: { messages: ['12345678', 'damaged'], slots: {} } });
    expect(flowInputs({ messages: '["hi"]', slots: '{"order_id": "12345678"}' }, 'csv')).toEqual({ ok: true, inputs: { messages: ['hi'], slots: { order_id: '12345678' } } });
    expect(flowInputs({ text: 'hi' }, 'jsonl')).toMatchObject({ ok: false, problem: { field: 'messages', reason: 'missing' } });
    expect(flowInputs({ messages: 'hi' }, 'csv')).toMatchObject({ ok: false, problem: { field: 'messages', reason: 'wrong_type' } });
    expect(flowInputs({ messages: [], slots: [1] }, 'jsonl')).toMatchObject({ ok: false, problem: { field: 'slots' } });
  });
});
