import { compileRegex } from '../../core/conditions/regex.js';
import { suggestHint } from '../../core/suggest.js';
import type { JsonObject } from '../../core/types.js';
import { jsonSchemaValidator } from '../../engine/evaluation/asserts.js';
import { ASSERT_FIELDS, assertKind, knownAssertTypes, METRIC_ASSERTS, TEMPLATED } from '../../engine/evaluation/catalog.js';
import type { AssertSpec } from '../../engine/evaluation/spec.js';
import { templateFields } from '../../engine/evaluation/templates.js';
import type { RuleProblem } from '../types.js';
import type { TargetNeeds } from './target-rules.js';

type Path = Array<string | number>;

const OPTIONAL = ['value', 'threshold', 'provider', 'cutoff'] as const;

/** Thresholds that are a share or a score: at most 1. */
const AT_MOST_ONE = new Set(['llm-rubric', 'accuracy', 'auc']);

function valueProblems(base: string, a: AssertSpec, path: Path): RuleProblem[] {
  const at = [...path, 'value'];
  const v = a.value;
  if (v === undefined) return [];
  if ((base === 'contains' || base === 'icontains') && typeof v !== 'string' && typeof v !== 'number') {
    return [{ code: 'invalid-assert-value', path: at, summary: `${a.type} takes a text value, got ${Array.isArray(v) ? 'a list' : v === null ? 'null' : `a ${typeof v}`}`, hint: `write the text to look for, e.g. value: "{{expected}}"` }];
  }
  if ((base === 'regex' || base === 'llm-rubric') && typeof v !== 'string') {
    return [{ code: 'invalid-assert-value', path: at, summary: `${a.type} takes a text value`, hint: base === 'regex' ? 'write the pattern as text, e.g. value: "^[0-9]{8}$"' : 'write what a good answer does, e.g. value: "Polite and answers the question"' }];
  }
  if (base === 'is-json') {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return [{ code: 'invalid-json-schema', path: at, summary: 'the value of is-json must be a JSON Schema (a mapping)', hint: 'write a schema such as value: { type: object, required: [approved] }, or no value to accept any JSON' }];
    const compiled = jsonSchemaValidator(v as JsonObject);
    if (typeof compiled === 'string') return [{ code: 'invalid-json-schema', path: at, summary: `the JSON Schema does not compile: ${compiled}`, hint: 'fix the schema (draft 2020-12 keywords: type, properties, required, items, enum …)' }];
    return [];
  }
  const problems: RuleProblem[] = [];
  if (TEMPLATED.has(base)) {
    const t = templateFields(v, at);
    for (const p of t.problems) problems.push({ code: 'invalid-placeholder', path: p.path, offset: p.offset, summary: p.message, hint: p.hint });
    // A pattern with placeholders is only known per row; one without must compile now.
    if (base === 'regex' && t.fields.length === 0 && t.problems.length === 0) {
      const re = compileRegex(v as string);
      if (!re.ok) problems.push({ code: 'invalid-regex', path: at, summary: re.message, hint: re.hint });
    }
  }
  return problems;
}

function thresholdProblems(base: string, a: AssertSpec, path: Path): RuleProblem[] {
  if (a.threshold === undefined) return [];
  const at = [...path, 'threshold'];
  if (AT_MOST_ONE.has(base) && a.threshold > 1) {
    return [{ code: 'invalid-threshold', path: at, summary: `the threshold of ${base} is ${a.threshold}; ${base === 'llm-rubric' ? 'scores' : 'its values'} run from 0 to 1`, hint: `write a number from 0 to 1, e.g. threshold: ${base === 'llm-rubric' ? 0.7 : 0.8}` }];
  }
  if ((base === 'latency' || base === 'cost') && a.threshold === 0) {
    return [{ code: 'invalid-threshold', path: at, summary: `a ${base} threshold of 0 fails every row`, hint: base === 'latency' ? 'write the most milliseconds an answer may take, e.g. threshold: 2000' : 'write the most US dollars an answer may cost, e.g. threshold: 0.01' }];
  }
  return [];
}

/** One assert: a type labctl knows, the fields its type takes, and values that make sense for it and the target. */
function assertProblems(a: AssertSpec, i: number, needs: TargetNeeds): RuleProblem[] {
  const path: Path = ['asserts', i];
  const kind = assertKind(a.type);
  if (kind.kind === 'code') {
    return [{ code: 'code-assert', path: [...path, 'type'], summary: `"${a.type}" asserts run code, and labctl runs no code from specs`, hint: 'check the answer with equals, contains, regex or is-json (with a JSON Schema), or grade it with llm-rubric' }];
  }
  if (kind.kind === 'unknown') {
    return [{ code: 'unknown-assert-type', path: [...path, 'type'], summary: `unknown assert type "${a.type}"`, hint: suggestHint(a.type, knownAssertTypes(), `use one of: ${knownAssertTypes().filter((t) => !t.startsWith('not-')).join(', ')} (not- negates a row assert)`) }];
  }
  const base = kind.base;
  const fields = ASSERT_FIELDS[base];
  const problems: RuleProblem[] = [];
  for (const f of OPTIONAL) {
    if (a[f] !== undefined && !fields.takes.includes(f)) problems.push({ code: 'misplaced-field', path: [...path, f], summary: `${a.type} takes no ${f}`, hint: `remove ${f}${fields.takes.length ? ` (${a.type} takes ${fields.takes.join(', ')})` : ''}` });
  }
  for (const f of fields.needs) {
    if (a[f as keyof AssertSpec] === undefined) {
      const example = f === 'provider' ? 'provider: { provider: anthropic, name: claude-sonnet-4-5 }' : f === 'threshold' ? `threshold: ${base === 'latency' ? 2000 : base === 'cost' ? 0.01 : base === 'rmse' ? 0.5 : 0.8}` : 'value: "{{expected}}"';
      problems.push({ code: 'missing-assert-field', path, summary: `${a.type} needs ${f}`, hint: `add ${example}` });
    }
  }
  if (kind.kind === 'metric' && needs.kind !== undefined && needs.kind !== 'model') {
    problems.push({ code: 'model-assert-target', path: [...path, 'type'], summary: `${base} is a metric of a model's predictions, and the target is a ${needs.kind}`, hint: `score a model target with ${METRIC_ASSERTS.join(', ')}, or check a ${needs.kind}'s answers with equals, contains or llm-rubric` });
  }
  if (base === 'cost' && ((needs.kind === 'prompt' && !needs.priced) || needs.kind === 'model')) {
    problems.push({
      code: 'cost-without-price',
      path: [...path, 'type'],
      summary: needs.kind === 'model' ? 'a model target has no price, so its cost is unknown' : `prompt "${needs.prompts[0]?.name ?? ''}" declares no price, so the cost of its answers is unknown`,
      hint: needs.kind === 'model' ? 'remove the cost assert; check latency instead' : 'add price: { input: 3, output: 15 } (US dollars per million tokens) under the prompt’s model',
    });
  }
  problems.push(...valueProblems(base, a, path), ...thresholdProblems(base, a, path));
  return problems;
}

/** Every assert of an evaluation. */
export function assertsProblems(asserts: readonly AssertSpec[], needs: TargetNeeds): RuleProblem[] {
  return asserts.flatMap((a, i) => assertProblems(a, i, needs));
}

/** The row fields the asserts read: placeholders of their values, and `expected` for the metrics. */
export function fieldsRead(asserts: readonly AssertSpec[]): Array<{ field: string; assert: number }> {
  const out: Array<{ field: string; assert: number }> = [];
  asserts.forEach((a, i) => {
    const kind = assertKind(a.type);
    if (kind.kind === 'metric') out.push({ field: 'expected', assert: i });
    else if (kind.kind === 'row' && TEMPLATED.has(kind.base)) for (const field of templateFields(a.value).fields) out.push({ field, assert: i });
  });
  return out;
}
