import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { didYouMean } from '../../core/suggest.js';

export { didYouMean };
import type { Diagnostic, JsonObject } from '../../core/types.js';
import type { KindDef } from '../../kinds/types.js';
import { packageRoot } from '../../adapters/paths.js';
import { fromPointer, locate } from './locate.js';
import type { ParsedDocument } from './parse.js';

// ajv-formats is CommonJS with a default export.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

/** A short description of a value for messages: `a list`, `string "x"` … */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  const text = JSON.stringify(v);
  return `${typeof v} ${text.length > 80 ? `${text.slice(0, 77)}…"` : text}`;
}

const TYPE_WORDS: Record<string, string> = {
  number: 'a number',
  integer: 'a whole number',
  string: 'a string',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
  null: 'null',
};

/** "a number", "a list" … for an ajv type name (possibly "string,number"). */
function typeWords(type: string): string {
  return type
    .split(',')
    .map((t) => TYPE_WORDS[t] ?? t)
    .join(' or ');
}

/** A fix hint that leads with what to write and keeps the schema's description as context. */
function withDescription(fix: string, description: string | undefined): string {
  return description ? `${fix} (${description.replace(/\.$/, '')})` : fix;
}

/** "between 0 and 1", "greater than 0" … from the numeric bounds of a schema. */
function boundsText(schema: { minimum?: number; maximum?: number; exclusiveMinimum?: number; exclusiveMaximum?: number }): string {
  const low = schema.minimum !== undefined ? `${schema.minimum}` : schema.exclusiveMinimum !== undefined ? `${schema.exclusiveMinimum}` : undefined;
  const high = schema.maximum !== undefined ? `${schema.maximum}` : schema.exclusiveMaximum !== undefined ? `${schema.exclusiveMaximum}` : undefined;
  const lowOpen = schema.minimum === undefined && schema.exclusiveMinimum !== undefined;
  const highOpen = schema.maximum === undefined && schema.exclusiveMaximum !== undefined;
  if (low !== undefined && high !== undefined) {
    if (!lowOpen && !highOpen) return `from ${low} to ${high}`;
    return `${lowOpen ? 'greater than' : 'at least'} ${low} and ${highOpen ? 'less than' : 'at most'} ${high}`;
  }
  if (low !== undefined) return `${lowOpen ? 'greater than' : 'at least'} ${low}`;
  if (high !== undefined) return `${highOpen ? 'less than' : 'at most'} ${high}`;
  return 'within the allowed range';
}

function fieldName(pointer: string): string {
  const segs = fromPointer(pointer);
  return segs.length ? segs.map((s) => (/^\d+$/.test(s) ? `[${s}]` : `.${s}`)).join('').replace(/^\./, '') : 'document';
}

function toDiagnostic(e: ErrorObject, pd: ParsedDocument, schemaFile: string): Diagnostic {
  const path = fromPointer(e.instancePath);
  const field = fieldName(e.instancePath);
  const schema = (e.parentSchema ?? {}) as { description?: string; properties?: Record<string, unknown>; minimum?: number; maximum?: number; exclusiveMinimum?: number; exclusiveMaximum?: number };
  const base = { severity: 'error' as const, path: e.instancePath };
  const fallbackHint = schema.description ?? `see the schema specs/${schemaFile} in the labctl package`;
  switch (e.keyword) {
    case 'additionalProperties': {
      const prop = (e.params as { additionalProperty: string }).additionalProperty;
      const allowed = Object.keys(schema.properties ?? {});
      const guess = didYouMean(prop, allowed);
      return {
        ...base,
        code: 'unknown-field',
        path: `${e.instancePath}/${prop}`,
        summary: `unknown field "${prop}"${path.length ? ` in ${field}` : ''}`,
        hint: guess ? `did you mean "${guess}"?` : `allowed fields: ${allowed.join(', ')}`,
        range: locate(pd, [...path, prop], { key: true }),
      };
    }
    case 'required': {
      const prop = (e.params as { missingProperty: string }).missingProperty;
      return { ...base, code: 'missing-field', path: `${e.instancePath}/${prop}`, summary: `missing required field "${prop}"${path.length ? ` in ${field}` : ''}`, hint: `add ${prop}: …`, range: locate(pd, path) };
    }
    case 'type': {
      const want = typeWords(String((e.params as { type: string | string[] }).type));
      return { ...base, code: 'wrong-type', summary: `${field} must be ${want}, got ${describeValue(e.data)}`, hint: withDescription(`write ${want} here`, schema.description), range: locate(pd, path) };
    }
    case 'enum':
    case 'const': {
      const allowed = e.keyword === 'enum' ? ((e.params as { allowedValues: unknown[] }).allowedValues as string[]) : [(e.params as { allowedValue: string }).allowedValue];
      const guess = typeof e.data === 'string' ? didYouMean(e.data, allowed.map(String)) : undefined;
      return { ...base, code: 'invalid-value', summary: `${field} is ${describeValue(e.data)}, expected ${allowed.map((a) => JSON.stringify(a)).join(' | ')}`, hint: guess ? `did you mean "${guess}"?` : `use one of: ${allowed.join(', ')}`, range: locate(pd, path) };
    }
    case 'minItems':
    case 'maxItems': {
      const limit = (e.params as { limit: number }).limit;
      const count = Array.isArray(e.data) ? e.data.length : 0;
      const items = (n: number) => `${n} item${n === 1 ? '' : 's'}`;
      const rule = e.keyword === 'minItems' ? `at least ${limit} ${limit === 1 ? 'is' : 'are'} required` : `at most ${limit} ${limit === 1 ? 'is' : 'are'} allowed`;
      const fix = e.keyword === 'minItems' ? `add ${items(limit - count)}` : `remove ${items(count - limit)}`;
      return {
        ...base,
        code: 'item-count',
        summary: `${field} has ${items(count)}; ${rule}`,
        hint: field === 'variants' && e.keyword === 'minItems' ? 'an experiment compares at least two variants: keep a control and add a treatment' : withDescription(fix, schema.description),
        range: locate(pd, path),
      };
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return { ...base, code: 'out-of-range', summary: `${field} ${e.message}, got ${describeValue(e.data)}`, hint: withDescription(`use a number ${boundsText(schema)}`, schema.description), range: locate(pd, path) };
    case 'format':
      return { ...base, code: 'invalid-format', summary: `${field} is not a valid ${(e.params as { format: string }).format}: ${describeValue(e.data)}`, hint: 'write an RFC 3339 timestamp such as 2026-12-01T00:00:00Z', range: locate(pd, path) };
    case 'pattern': {
      const pattern = (e.params as { pattern: string }).pattern;
      if (e.propertyName !== undefined) {
        // From propertyNames: the offending key of a mapping (e.g. a label name).
        return {
          ...base,
          code: 'invalid-format',
          path: `${e.instancePath}/${e.propertyName}`,
          summary: `key ${JSON.stringify(e.propertyName)} in ${field} does not match ${pattern}`,
          hint: `rename the key to match ${pattern}`,
          range: locate(pd, [...path, e.propertyName], { key: true }),
        };
      }
      return { ...base, code: 'invalid-format', summary: `${field} ${describeValue(e.data)} does not match ${pattern}`, hint: schema.description ?? `write a value that matches ${pattern}`, range: locate(pd, path) };
    }
    case 'uniqueItems': {
      const { i, j } = e.params as { i: number; j: number };
      const [first, again] = [Math.min(i, j), Math.max(i, j)];
      const item = Array.isArray(e.data) ? (e.data[again] as unknown) : undefined;
      return {
        ...base,
        code: 'duplicate-item',
        path: `${e.instancePath}/${again}`,
        summary: `${field} lists ${describeValue(item)} twice (items [${first}] and [${again}])`,
        hint: 'remove the repeated entry',
        range: locate(pd, [...path, again]),
      };
    }
    case 'minProperties':
      return {
        ...base,
        code: 'empty-mapping',
        summary: `${field} is empty`,
        hint: `add ${Object.keys(schema.properties ?? {}).join(' or ') || 'an entry'}, or remove ${field}`,
        range: locate(pd, path),
      };
    case 'minLength':
    case 'maxLength': {
      const limit = (e.params as { limit: number }).limit;
      const length = typeof e.data === 'string' ? [...e.data].length : 0;
      const summary = e.keyword === 'minLength' ? (length === 0 ? `${field} is empty` : `${field} has ${length} characters; at least ${limit} are required`) : `${field} has ${length} characters; at most ${limit} are allowed`;
      return { ...base, code: 'invalid-length', summary, hint: withDescription(e.keyword === 'minLength' ? 'write a non-empty value' : `shorten it to ${limit} characters or fewer`, schema.description), range: locate(pd, path) };
    }
    default:
      return { ...base, code: `schema-${e.keyword}`, summary: `${field} ${e.message ?? 'is invalid'}`, hint: fallbackHint, range: locate(pd, path) };
  }
}

/** Schema validation for every kind, compiled once per validator. */
export class SchemaValidator {
  private readonly compiled = new Map<string, ValidateFunction>();
  private readonly files = new Map<string, string>();

  constructor(kinds: readonly KindDef[]) {
    const ajv = new Ajv2020({ allErrors: true, strict: true, verbose: true });
    addFormats(ajv);
    for (const k of kinds) {
      const schema = k.schema ?? (JSON.parse(readFileSync(join(packageRoot(), 'specs', k.schemaFile), 'utf8')) as object);
      this.compiled.set(k.kind, ajv.compile(schema));
      this.files.set(k.kind, k.schemaFile);
    }
  }

  /** Diagnostics for one document of a known kind; empty when it is schema-valid. */
  check(kind: string, pd: ParsedDocument): Diagnostic[] {
    const fn = this.compiled.get(kind)!;
    if (fn(pd.value as JsonObject)) return [];
    // `if` and `propertyNames` only wrap the errors of their subschemas, which are reported themselves.
    const errs = (fn.errors ?? []).filter((e) => e.keyword !== 'if' && e.keyword !== 'propertyNames');
    const schemaFile = this.files.get(kind)!;
    return errs.map((e) => toDiagnostic(e, pd, schemaFile));
  }
}
