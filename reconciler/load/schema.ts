import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { closest, distance } from 'fastest-levenshtein';
import type { Diagnostic, JsonObject } from '../core/types.js';
import type { KindDef } from '../kinds/types.js';
import { packageRoot } from '../paths.js';
import { fromPointer, locate } from './locate.js';
import type { ParsedDocument } from './parse.js';

// ajv-formats is CommonJS with a default export.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

/** The best "did you mean" candidate, if any is close enough to be a typo. */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  if (candidates.length === 0) return undefined;
  const best = closest(word, candidates as string[]);
  return distance(word.toLowerCase(), best.toLowerCase()) <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}

function fieldName(pointer: string): string {
  const segs = fromPointer(pointer);
  return segs.length ? segs.map((s) => (/^\d+$/.test(s) ? `[${s}]` : `.${s}`)).join('').replace(/^\./, '') : 'document';
}

function toDiagnostic(e: ErrorObject, pd: ParsedDocument): Diagnostic {
  const path = fromPointer(e.instancePath);
  const field = fieldName(e.instancePath);
  const schema = (e.parentSchema ?? {}) as { description?: string; properties?: Record<string, unknown> };
  const base = { severity: 'error' as const, path: e.instancePath };
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
    case 'type':
      return { ...base, code: 'wrong-type', summary: `${field} must be ${(e.params as { type: string }).type}, got ${describeValue(e.data)}`, hint: schema.description ?? `write a ${(e.params as { type: string }).type}`, range: locate(pd, path) };
    case 'enum':
    case 'const': {
      const allowed = e.keyword === 'enum' ? ((e.params as { allowedValues: unknown[] }).allowedValues as string[]) : [(e.params as { allowedValue: string }).allowedValue];
      const guess = typeof e.data === 'string' ? didYouMean(e.data, allowed.map(String)) : undefined;
      return { ...base, code: 'invalid-value', summary: `${field} is ${describeValue(e.data)}, expected ${allowed.map((a) => JSON.stringify(a)).join(' | ')}`, hint: guess ? `did you mean "${guess}"?` : `use one of: ${allowed.join(', ')}`, range: locate(pd, path) };
    }
    case 'minItems':
    case 'maxItems':
      return { ...base, code: 'item-count', summary: `${field} ${e.message}`, hint: field === 'variants' ? 'an experiment compares at least two variants: keep a control and add a treatment' : (schema.description ?? 'adjust the number of items'), range: locate(pd, path) };
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return { ...base, code: 'out-of-range', summary: `${field} ${e.message}, got ${describeValue(e.data)}`, hint: schema.description ?? 'use a value within the allowed range', range: locate(pd, path) };
    case 'format':
      return { ...base, code: 'invalid-format', summary: `${field} is not a valid ${(e.params as { format: string }).format}: ${describeValue(e.data)}`, hint: 'write an RFC 3339 timestamp such as 2026-12-01T00:00:00Z', range: locate(pd, path) };
    case 'pattern':
      return { ...base, code: 'invalid-format', summary: `${field} ${describeValue(e.data)} does not match ${(e.params as { pattern: string }).pattern}`, hint: schema.description ?? 'see docs/spec-reference.md', range: locate(pd, path) };
    default:
      return { ...base, code: `schema-${e.keyword}`, summary: `${field} ${e.message ?? 'is invalid'}`, hint: schema.description ?? 'see docs/spec-reference.md', range: locate(pd, path) };
  }
}

/** Schema validation for every kind, compiled once per validator. */
export class SchemaValidator {
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(kinds: readonly KindDef[]) {
    const ajv = new Ajv2020({ allErrors: true, strict: true, verbose: true });
    addFormats(ajv);
    for (const k of kinds) {
      const schema = JSON.parse(readFileSync(join(packageRoot(), 'specs', k.schemaFile), 'utf8')) as object;
      this.compiled.set(k.kind, ajv.compile(schema));
    }
  }

  /** Diagnostics for one document of a known kind; empty when it is schema-valid. */
  check(kind: string, pd: ParsedDocument): Diagnostic[] {
    const fn = this.compiled.get(kind)!;
    if (fn(pd.value as JsonObject)) return [];
    const errs = (fn.errors ?? []).filter((e) => e.keyword !== 'if');
    return errs.map((e) => toDiagnostic(e, pd));
  }
}
