import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { compileRegex } from '../../core/conditions/regex.js';
import { canonicalJson, jsonEqual } from '../../core/hash.js';
import type { Json, JsonObject } from '../../core/types.js';
import { assertKind, type RowAssertType } from './catalog.js';
import { rubricCheck } from './judge.js';
import type { AssertSpec } from './spec.js';
import { renderValue } from './templates.js';
import type { AssertOutcome, DatasetRow, RowCheck, RowObservation } from './types.js';

// Per-row asserts, pure: what promptfoo's assertion of the same name decides, on one answer.

/** The answer as text: a string as it is, anything else (structured output, a prediction) as JSON. */
export function outputText(output: Json): string {
  return typeof output === 'string' ? output : JSON.stringify(output);
}

/** The answer as a JSON value: structured output as it is, text parsed; undefined when text is not JSON. */
function outputJson(output: Json): Json | undefined {
  if (typeof output !== 'string') return output;
  try {
    return JSON.parse(output) as Json;
  } catch {
    return undefined;
  }
}

const clip = (s: string, n = 80) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const yes = (type: string, reason: string): AssertOutcome => ({ type, pass: true, score: 1, reason });
const no = (type: string, reason: string): AssertOutcome => ({ type, pass: false, score: 0, reason });
const undecided = (type: string, reason: string): AssertOutcome => ({ type, pass: false, score: 0, reason, error: true });

// Schemas come from specs; keywords ajv does not know are left to the schema's author.
const ajv = new Ajv2020({ strict: false, allErrors: true });
const schemas = new Map<string, ValidateFunction | string>();
const MAX_SCHEMAS = 200;

/** A compiled JSON Schema, or why it does not compile (memoised: every row asks for the same one). */
export function jsonSchemaValidator(schema: JsonObject): ValidateFunction | string {
  const key = canonicalJson(schema);
  let v = schemas.get(key);
  if (v === undefined) {
    try {
      v = ajv.compile(schema);
    } catch (e) {
      v = (e as Error).message;
    }
    if (schemas.size >= MAX_SCHEMAS) schemas.delete(schemas.keys().next().value!);
    schemas.set(key, v);
  }
  return v;
}

function isJson(type: string, value: Json | undefined, output: Json): AssertOutcome {
  const parsed = outputJson(output);
  if (parsed === undefined) return no(type, `the answer is not JSON: ${clip(outputText(output))}`);
  if (value === undefined) return yes(type, 'the answer is JSON');
  const validate = jsonSchemaValidator(value as JsonObject);
  if (typeof validate === 'string') return undecided(type, `the schema does not compile: ${validate}`);
  if (validate(parsed)) return yes(type, 'the answer is JSON and matches the schema');
  const problems = (validate.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}`);
  return no(type, `the answer does not match the schema: ${problems.join('; ')}`);
}

function atMost(type: string, what: string, measured: number | undefined, threshold: number, unit: string, unknown: string): AssertOutcome {
  if (measured === undefined || !Number.isFinite(measured)) return undecided(type, unknown);
  const text = `${what} ${measured}${unit}`;
  return measured <= threshold ? yes(type, `${text} is at most ${threshold}${unit}`) : no(type, `${text} is above ${threshold}${unit}`);
}

/** An assert whose value is known (rendered from the row), on an answer. */
function decide(base: Exclude<RowAssertType, 'llm-rubric'>, type: string, a: AssertSpec, value: Json | undefined, seen: RowObservation): AssertOutcome {
  const text = outputText(seen.output);
  switch (base) {
    case 'equals': {
      if (typeof value === 'string') return text === value ? yes(type, 'the answer equals the value') : no(type, `expected ${clip(JSON.stringify(value))}, got ${clip(JSON.stringify(text))}`);
      const parsed = outputJson(seen.output);
      return parsed !== undefined && jsonEqual(parsed, value) ? yes(type, 'the answer equals the value as JSON') : no(type, `expected ${clip(JSON.stringify(value))}, got ${clip(text)}`);
    }
    case 'contains':
    case 'icontains': {
      if (typeof value !== 'string' && typeof value !== 'number') return undecided(type, `the value is ${value === null ? 'null' : typeof value}, not text`);
      const needle = String(value);
      const found = base === 'icontains' ? text.toLowerCase().includes(needle.toLowerCase()) : text.includes(needle);
      return found ? yes(type, `the answer contains ${clip(JSON.stringify(needle))}`) : no(type, `${clip(JSON.stringify(needle))} is not in ${clip(JSON.stringify(text))}`);
    }
    case 'regex': {
      if (typeof value !== 'string') return undecided(type, 'the pattern is not text');
      const re = compileRegex(value);
      if (!re.ok) return undecided(type, re.message);
      return re.test(text) ? yes(type, `the answer matches /${clip(value, 40)}/`) : no(type, `/${clip(value, 40)}/ does not match ${clip(JSON.stringify(text))}`);
    }
    case 'is-json':
      return isJson(type, value, seen.output);
    case 'latency':
      return atMost(type, 'latency', seen.latencyMs, a.threshold!, ' ms', 'the latency was not measured');
    case 'cost':
      return atMost(type, 'cost', seen.costUsd, a.threshold!, ' USD', "the answer's cost is unknown: give the prompt's model a price");
  }
}

/** A negated assert passes where the assert fails; one that could not be decided fails either way. */
function negate(o: AssertOutcome): AssertOutcome {
  if (o.error) return o;
  return { ...o, pass: !o.pass, score: 1 - o.score, reason: `not: ${o.reason}` };
}

/**
 * One per-row assert on one answer. Pure: `llm-rubric` comes back as the judge call to make and a
 * function that grades its answer. Metrics (accuracy, auc, rmse) are not per-row: see metrics.ts.
 */
export function checkAssert(a: AssertSpec, row: DatasetRow, seen: RowObservation): RowCheck {
  const kind = assertKind(a.type);
  if (kind.kind !== 'row') return { kind: 'done', outcome: undecided(a.type, `"${a.type}" is not an assert of one row`) };
  // is-json's value is a JSON Schema, not a template.
  const rendered = a.value === undefined || kind.base === 'is-json' ? { ok: true as const, value: a.value } : renderValue(a.value, row.values);
  if (!rendered.ok) return { kind: 'done', outcome: undecided(a.type, `row ${row.index + 1} has no field "${rendered.missing}"`) };
  const sign = kind.negated ? negate : (o: AssertOutcome) => o;
  if (kind.base === 'llm-rubric') {
    const { judge, grade } = rubricCheck(a, outputText(rendered.value ?? ''), outputText(seen.output));
    return { kind: 'judge', judge, grade: (answer) => sign(grade(answer)) };
  }
  return { kind: 'done', outcome: sign(decide(kind.base, a.type, a, rendered.value, seen)) };
}

/** Whether every outcome of a row passed (a row with no per-row assert passes when it was answered). */
export function rowPassed(outcomes: readonly AssertOutcome[]): boolean {
  return outcomes.every((o) => o.pass);
}
