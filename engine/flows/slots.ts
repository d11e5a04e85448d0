import { compileRegex } from '../../core/conditions/regex.js';
import type { Json, JsonObject } from '../../core/types.js';
import type { SlotDecl } from './spec.js';

/** A slot value accepted (canonical form) or refused (why, in words for the user and the log). */
export type SlotCheck = { ok: true; value: Json } | { ok: false; reason: string };

/** A slot declaration with its pattern compiled once. */
export interface CompiledSlot {
  readonly name: string;
  readonly decl: SlotDecl;
  /** Whether a string matches the pattern (always true without one). */
  readonly matches: (s: string) => boolean;
}

/** Compile a slot's pattern (an invalid one never matches; validation reports it). */
export function compileSlot(name: string, decl: SlotDecl): CompiledSlot {
  if (decl.pattern === undefined) return { name, decl, matches: () => true };
  const re = compileRegex(decl.pattern);
  return { name, decl, matches: re.ok ? re.test : () => false };
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${typeof v === 'string' ? JSON.stringify(v) : String(v)}`;
}

const TYPE_WORDS: Record<SlotDecl['type'], string> = { string: 'a text', number: 'a number', integer: 'a whole number', boolean: 'yes or no', enum: 'one of the listed values' };

/** A value as a slot holds it, from JSON (LLM output, tool response, `set`): no parsing of text into numbers. */
export function checkSlotValue(slot: CompiledSlot, v: unknown): SlotCheck {
  const d = slot.decl;
  switch (d.type) {
    case 'string': {
      // Numbers and booleans in a text slot are taken as their text (APIs often mix them).
      const text = typeof v === 'string' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : typeof v === 'boolean' ? String(v) : undefined;
      if (text === undefined) return { ok: false, reason: `slot "${slot.name}" takes text, got ${describe(v)}` };
      if (!slot.matches(text)) return { ok: false, reason: `slot "${slot.name}": ${JSON.stringify(text)} does not match ${d.pattern}` };
      return { ok: true, value: text };
    }
    case 'number':
      return typeof v === 'number' && Number.isFinite(v) ? { ok: true, value: v } : { ok: false, reason: `slot "${slot.name}" takes a number, got ${describe(v)}` };
    case 'integer':
      return typeof v === 'number' && Number.isSafeInteger(v) ? { ok: true, value: v } : { ok: false, reason: `slot "${slot.name}" takes a whole number, got ${describe(v)}` };
    case 'boolean':
      return typeof v === 'boolean' ? { ok: true, value: v } : { ok: false, reason: `slot "${slot.name}" takes true or false, got ${describe(v)}` };
    case 'enum':
      return typeof v === 'string' && (d.values ?? []).includes(v) ? { ok: true, value: v } : { ok: false, reason: `slot "${slot.name}" takes one of ${(d.values ?? []).join(', ')}, got ${describe(v)}` };
  }
}

const YES = new Set(['yes', 'y', 'true', 'yeah', 'yep', 'ok', 'sure']);
const NO = new Set(['no', 'n', 'false', 'nope']);

/** What a user typed, read as a value of the slot (trimmed; numbers, yes/no and enum values recognised). */
export function parseSlotInput(slot: CompiledSlot, text: string): SlotCheck {
  const t = text.trim();
  const d = slot.decl;
  if (t === '') return { ok: false, reason: `expected ${TYPE_WORDS[d.type]}, got an empty message` };
  switch (d.type) {
    case 'string':
      return slot.matches(t) ? { ok: true, value: t } : { ok: false, reason: `${JSON.stringify(t)} does not match ${d.pattern}` };
    case 'number':
    case 'integer': {
      const n = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(t) ? Number(t) : NaN;
      if (Number.isNaN(n)) return { ok: false, reason: `expected ${TYPE_WORDS[d.type]}, got ${JSON.stringify(t)}` };
      return checkSlotValue(slot, n);
    }
    case 'boolean': {
      const w = t.toLowerCase().replace(/[.!]+$/, '');
      if (YES.has(w)) return { ok: true, value: true };
      if (NO.has(w)) return { ok: true, value: false };
      return { ok: false, reason: `expected yes or no, got ${JSON.stringify(t)}` };
    }
    case 'enum': {
      // Case-insensitive, answered with the declared spelling.
      const hit = (d.values ?? []).find((v) => v.toLowerCase() === t.toLowerCase());
      return hit !== undefined ? { ok: true, value: hit } : { ok: false, reason: `expected one of ${(d.values ?? []).join(', ')}, got ${JSON.stringify(t)}` };
    }
  }
}

/** JSON Schema of one slot, for structured LLM output. */
export function slotSchema(decl: SlotDecl): JsonObject {
  const s: JsonObject = decl.type === 'enum' ? { type: 'string', enum: decl.values ?? [] } : { type: decl.type };
  if (decl.pattern !== undefined && decl.type === 'string') s.pattern = decl.pattern;
  if (decl.description !== undefined) s.description = decl.description;
  return s;
}

/** JSON Schema of an LLM step's output: an object with every named slot required, nothing else. */
export function outputSchema(slots: readonly CompiledSlot[]): JsonObject {
  const properties: JsonObject = {};
  for (const s of slots) properties[s.name] = slotSchema(s.decl);
  return { type: 'object', properties, required: slots.map((s) => s.name), additionalProperties: false };
}
