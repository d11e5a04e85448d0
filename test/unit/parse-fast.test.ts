import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { locate } from '../../reconciler/load/locate.js';
import { parseSpecFile } from '../../reconciler/load/parse.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The full parser's reading of a file: every non-empty document as plain data. */
function fullValues(text: string): unknown[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS())
    .filter((v) => v !== null && v !== undefined);
}

const samples = readdirSync(join(ROOT, 'experiments')).map((f) => join('experiments', f));

const CASES: Array<[string, string]> = [
  ['several documents, comments and a trailing marker', 'kind: Layer\nname: a\n---\n# only a comment\n---\nkind: Layer # trailing\nname: b\n---\n'],
  ['leading marker and document end markers', '---\nkind: Metric\nname: m\ntype: count\nevent: e\n...\n---\nkind: Layer\nname: l\n'],
  ['CRLF line endings', 'kind: Layer\r\nname: crlf\r\ndescription: "x"\r\n'],
  ['flow mappings, quoted strings, numbers and nulls', "kind: Experiment\nname: e\nvariants: [{key: a, weight: 1.5, value: null}, {key: 'b', weight: 0x10, value: {n: -2e3, t: true, s: 'it''s'}}]\n"],
  ['block scalars', 'kind: Layer\nname: l\ndescription: |\n  line one\n  line two\nowner: >-\n  folded\n  text\n'],
  ['timestamps stay strings (YAML 1.2 core)', 'kind: Experiment\nname: e\nschedule: {start: 2026-12-01T00:00:00Z}\nvariants: []\n'],
  ['anchors and aliases (full parser)', 'kind: Experiment\nname: e\nvariants:\n  - &v {key: a, weight: 1}\n  - *v\n'],
  ['a marker with content (full parser)', '--- {kind: Layer, name: inline}\n'],
];

describe('fast path and full parser agree', () => {
  it.each(samples)('%s', (file) => {
    const text = readFileSync(join(ROOT, file), 'utf8');
    const parsed = parseSpecFile(file, Buffer.from(text));
    expect(parsed.diagnostics).toEqual([]);
    expect(parsed.documents.map((d) => d.value)).toEqual(fullValues(text));
    for (const d of parsed.documents) {
      // The cheap kind position matches the positioned tree's.
      expect(d.kindAt ?? locate(d, ['kind']).start).toEqual(locate(d, ['kind']).start);
    }
  });

  it.each(CASES)('%s', (_name, text) => {
    const parsed = parseSpecFile('x.yaml', Buffer.from(text));
    expect(parsed.diagnostics).toEqual([]);
    expect(parsed.documents.map((d) => d.value)).toEqual(fullValues(text));
  });

  it('points into the right document of a many-document file through the lazily built tree', () => {
    const text = ['kind: Layer', 'name: a', '---', 'kind: Layer', 'name: b', 'unit: user_id', '---', 'kind: Layer', 'name: c'].join('\n');
    const docs = parseSpecFile('l.yaml', Buffer.from(text)).documents;
    expect(docs.map((d) => d.kindAt?.line)).toEqual([1, 4, 8]);
    expect(locate(docs[1]!, ['unit']).start).toEqual({ line: 6, column: 7 });
    expect(locate(docs[2]!, ['name'], { key: true }).start).toEqual({ line: 9, column: 1 });
  });

  it('skips empty documents on the full parser too (a trailing --- or a comment-only document)', () => {
    const text = 'kind: Layer\nname: &a a\n---\n# nothing here\n---\n';
    const parsed = parseSpecFile('e.yaml', Buffer.from(text));
    expect(parsed.diagnostics).toEqual([]);
    expect(parsed.documents.map((d) => d.value)).toEqual([{ kind: 'Layer', name: 'a' }]);
  });

  it('leaves duplicate keys and syntax errors to the full parser, which positions them', () => {
    const dup = parseSpecFile('d.yaml', Buffer.from('kind: Layer\nname: a\nname: b\n'));
    expect(dup.documents).toEqual([]);
    expect(dup.diagnostics[0]).toMatchObject({ code: 'duplicate-key', range: { start: { line: 3 } } });
    const bad = parseSpecFile('b.yaml', Buffer.from('kind: Layer\nname: [a\n'));
    expect(bad.diagnostics[0]?.code).toBe('yaml-syntax');
  });
});
