import { posix } from 'node:path';
import { parseDuration } from '../../core/gates/duration.js';
import { suggestHint } from '../../core/suggest.js';
import type { JsonObject, Resource } from '../../core/types.js';
import { parseDataset, type Dataset } from '../../engine/evaluation/dataset.js';
import { flowInputs, promptInputs } from '../../engine/evaluation/inputs.js';
import type { AssertSpec, DatasetFormat } from '../../engine/evaluation/spec.js';
import type { RuleContext, RuleProblem } from '../types.js';
import { fieldsRead } from './assert-rules.js';
import type { TargetNeeds } from './target-rules.js';

const SOURCES = ['path', 'uri', 'sessions'] as const;
const PATH = ['dataset', 'path'];

/**
 * Where a local dataset is, relative to the spec directory (`/`-separated): its `path` is relative
 * to the spec file. Undefined for other datasets, and for a path that leaves the spec directory.
 */
export function datasetPathOf(r: Resource): string | undefined {
  const path = (r.spec.dataset as { path?: unknown }).path;
  if (typeof path !== 'string' || path.startsWith('/') || /^[A-Za-z]:[\\/]/.test(path)) return undefined;
  const joined = posix.normalize(posix.join(posix.dirname(r.source?.file ?? '.'), path.replace(/\\/g, '/')));
  return joined === '..' || joined.startsWith('../') ? undefined : joined;
}

/** The dataset's shape: exactly one source, and only the fields that go with it. */
function shapeProblems(d: JsonObject, needs: TargetNeeds, ctx: RuleContext): RuleProblem[] {
  const sources = SOURCES.filter((k) => d[k] !== undefined);
  if (sources.length !== 1) {
    return [{ code: 'dataset-kind', path: ['dataset'], summary: sources.length === 0 ? 'the dataset names no rows' : `the dataset names ${sources.join(' and ')}; it must name exactly one`, hint: 'write one of path: datasets/cases.jsonl, uri: s3://bucket/cases.jsonl, or sessions: { flow: NAME }' }];
  }
  const problems: RuleProblem[] = [];
  if (d.sha256 !== undefined && d.uri === undefined) problems.push({ code: 'misplaced-field', path: ['dataset', 'sha256'], summary: 'sha256 pins an object in storage, and this dataset has no uri', hint: 'remove sha256 (a file in the repository is pinned by its commit)' });
  if (d.format !== undefined && d.sessions !== undefined) problems.push({ code: 'misplaced-field', path: ['dataset', 'format'], summary: 'recorded sessions have no file format', hint: 'remove format' });
  if ((d.path !== undefined || d.uri !== undefined) && d.format === undefined) {
    problems.push({ code: 'dataset-format', path: ['dataset', d.path !== undefined ? 'path' : 'uri'], summary: 'the dataset’s format is not known from its name', hint: 'name the file .jsonl or .csv, or add format: jsonl (or csv)' });
  }
  if (d.sessions !== undefined) {
    const s = d.sessions as { flow: string; since: string };
    if (!ctx.get('Flow', s.flow)) problems.push({ code: 'unknown-flow', path: ['dataset', 'sessions', 'flow'], summary: `flow "${s.flow}" is not declared`, hint: suggestHint(s.flow, ctx.ofKind('Flow').map((f) => f.name), `add a document with kind: Flow and name: ${s.flow}`) });
    const since = parseDuration(s.since);
    if (!since.ok) problems.push({ code: 'invalid-duration', path: ['dataset', 'sessions', 'since'], offset: since.offset, summary: `since "${s.since}": ${since.message}`, hint: since.hint });
    if (needs.kind !== undefined && !needs.flow) {
      problems.push({ code: 'sessions-dataset-target', path: ['dataset', 'sessions'], summary: `recorded flow sessions replay a flow, and the target is a ${needs.kind}`, hint: 'replay sessions against a flow target (or an experiment of flows); for a prompt or model, give rows in a file: path: datasets/cases.jsonl' });
    }
  }
  return problems;
}

/** Where a row is, for people: its number and the file's line. */
const where = (file: string, row: { index: number; line: number }) => `row ${row.index + 1} (${file}:${row.line})`;

/** One diagnostic per field: the first row lacking it (or giving the wrong type), and how many do. */
function rowProblems(file: string, data: Dataset, needs: TargetNeeds, asserts: readonly AssertSpec[]): RuleProblem[] {
  const found = new Map<string, { code: string; first: { index: number; line: number }; count: number; summary: string; hint: string }>();
  const note = (key: string, code: string, row: { index: number; line: number }, summary: string, hint: string) => {
    const f = found.get(key);
    if (f) f.count++;
    else found.set(key, { code, first: row, count: 1, summary, hint });
  };
  for (const row of data.rows) {
    for (const p of needs.prompts) {
      for (const problem of promptInputs(p.variables, row.values, data.format).problems) {
        const missing = problem.reason === 'missing';
        note(`${p.name}/${problem.field}/${problem.reason}`, missing ? 'dataset-missing-variable' : 'dataset-variable-type', row, missing ? `${where(file, row)} has no field "${problem.field}", which prompt "${p.name}" needs` : `${where(file, row)}: ${problem.message}, the type prompt "${p.name}" declares`, missing ? `give every row the field "${problem.field}", or give the variable a default in prompt ${p.name}` : `write ${problem.field} as a ${p.variables[problem.field]?.type ?? 'value'} in every row`);
      }
    }
    if (needs.flow) {
      const f = flowInputs(row.values, data.format);
      if (!f.ok) note(`flow/${f.problem.field}`, 'dataset-flow-row', row, `${where(file, row)}: ${f.problem.message}`, 'give a flow’s rows "messages": the user’s messages in order, e.g. ["12345678", "damaged"], and optionally "slots": { … }');
    }
    for (const { field, assert } of fieldsRead(asserts)) {
      if (!Object.hasOwn(row.values, field)) note(`assert/${field}`, 'dataset-missing-field', row, `${where(file, row)} has no field "${field}", which asserts[${assert}] (${asserts[assert]!.type}) reads`, `give every row the field "${field}", or change the assert`);
    }
  }
  return [...found.values()].map((f) => ({ code: f.code, path: PATH, summary: f.summary, detail: f.count > 1 ? `${f.count} of ${data.rows.length} rows` : undefined, hint: f.hint }));
}

/** A local dataset's file: readable, well-formed, with rows that give the target and the asserts what they read. */
function fileProblems(r: Resource, needs: TargetNeeds, ctx: RuleContext): RuleProblem[] {
  const d = r.spec.dataset as { path: string; format?: DatasetFormat };
  const file = datasetPathOf(r)!;
  if (!ctx.readFile || d.format === undefined) return [];
  const read = ctx.readFile(file);
  if (read.bytes === undefined) return [{ code: 'unreadable-dataset', path: PATH, summary: `cannot read dataset ${file}: ${read.error ?? 'unknown error'}`, hint: 'check the path (relative to this spec file) and that the file is readable' }];
  const parsed = parseDataset(read.bytes, d.format);
  if (!parsed.ok) return [{ code: 'invalid-dataset', path: PATH, summary: `dataset ${file}:${parsed.problem.line}: ${parsed.problem.message}`, hint: parsed.problem.hint }];
  if (parsed.dataset.rows.length === 0) return [{ code: 'empty-dataset', path: PATH, summary: `dataset ${file} has no rows`, hint: d.format === 'csv' ? 'add rows under the header line' : 'add one JSON object per line' }];
  return rowProblems(file, parsed.dataset, needs, r.spec.asserts as unknown as AssertSpec[]);
}

/** The dataset of an evaluation: its shape, and a local file's contents when the loader can read it. */
export function datasetProblems(r: Resource, needs: TargetNeeds, ctx: RuleContext): RuleProblem[] {
  const d = r.spec.dataset as JsonObject;
  if (typeof d.path === 'string' && datasetPathOf(r) === undefined) {
    return [{ code: 'dataset-outside-specs', path: PATH, summary: `dataset path "${d.path}" leaves the spec directory`, hint: d.path.startsWith('s3:') ? `write uri: ${d.path} for an object in storage` : 'keep the dataset next to the specs and write its path relative to this file, e.g. datasets/cases.jsonl' }];
  }
  const shape = shapeProblems(d, needs, ctx);
  if (shape.length > 0 || d.path === undefined) return shape;
  return fileProblems(r, needs, ctx);
}
