import type { Json, JsonObject } from '../../core/types.js';
import type { DatasetFormat } from './spec.js';

// What a row gives its target. A prompt reads its declared variables from the row's fields of the
// same names (other fields, such as `expected`, are for the asserts). A flow reads the user's
// messages, in order, from `messages`, and optional starting slots from `slots`. CSV cells are text:
// a number, boolean or json variable is read from it; `messages` and `slots` cells hold JSON.

/** A prompt variable as the normalised Prompt spec declares it. */
export interface VariableShape {
  type: 'string' | 'number' | 'boolean' | 'json';
  required: boolean;
  default?: unknown;
}

/** A variable a row does not supply, or supplies with the wrong type. */
export interface InputProblem {
  field: string;
  reason: 'missing' | 'wrong_type';
  message: string;
}

const NUMBER = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;

/** A CSV cell read as the declared type; undefined when it cannot be. */
function fromText(type: VariableShape['type'], text: string): Json | undefined {
  if (type === 'string') return text;
  if (type === 'number') return NUMBER.test(text) ? Number(text) : undefined;
  if (type === 'boolean') return /^\s*true\s*$/i.test(text) ? true : /^\s*false\s*$/i.test(text) ? false : undefined;
  try {
    return JSON.parse(text) as Json;
  } catch {
    return text;
  }
}

function typeOk(type: VariableShape['type'], v: Json): boolean {
  if (type === 'json') return true;
  if (type === 'number') return typeof v === 'number' && Number.isFinite(v);
  return typeof v === type;
}

function kindOf(v: Json): string {
  if (v === null) return 'null';
  return Array.isArray(v) ? 'a list' : `a ${typeof v}`;
}

/** The prompt variables a row supplies (typed), and those it lacks or gets wrong; a variable with a default may be absent. */
export function promptInputs(decls: Readonly<Record<string, VariableShape>>, row: JsonObject, format: DatasetFormat): { values: JsonObject; problems: InputProblem[] } {
  const values: JsonObject = {};
  const problems: InputProblem[] = [];
  for (const [name, d] of Object.entries(decls)) {
    if (!Object.hasOwn(row, name) || row[name] === null) {
      if (d.required) problems.push({ field: name, reason: 'missing', message: `no field "${name}"` });
      continue;
    }
    const raw = row[name]!;
    const v = format === 'csv' && typeof raw === 'string' ? fromText(d.type, raw) : raw;
    if (v === undefined || !typeOk(d.type, v)) {
      problems.push({ field: name, reason: 'wrong_type', message: `field "${name}" is ${format === 'csv' ? `"${String(raw)}"` : kindOf(raw)}, not a ${d.type}` });
      continue;
    }
    values[name] = v;
  }
  return { values, problems };
}

/** What a row gives a flow: the user's messages in order and the slots to start with. */
export interface FlowInputs {
  messages: string[];
  slots: JsonObject;
}

/** A CSV cell that holds JSON, parsed; other values as they are. */
function jsonCell(v: Json, format: DatasetFormat): Json | undefined {
  if (format !== 'csv' || typeof v !== 'string') return v;
  try {
    return JSON.parse(v) as Json;
  } catch {
    return undefined;
  }
}

/** The messages and slots of a row for a flow target, or what is wrong with them. */
export function flowInputs(row: JsonObject, format: DatasetFormat): { ok: true; inputs: FlowInputs } | { ok: false; problem: InputProblem } {
  if (!Object.hasOwn(row, 'messages')) return { ok: false, problem: { field: 'messages', reason: 'missing', message: 'no field "messages"' } };
  const messages = jsonCell(row.messages!, format);
  if (!Array.isArray(messages) || !messages.every((m) => typeof m === 'string')) {
    return { ok: false, problem: { field: 'messages', reason: 'wrong_type', message: 'field "messages" is not a list of texts (the user’s messages, in order)' } };
  }
  const slots = Object.hasOwn(row, 'slots') ? jsonCell(row.slots!, format) : {};
  if (slots === null || typeof slots !== 'object' || Array.isArray(slots)) {
    return { ok: false, problem: { field: 'slots', reason: 'wrong_type', message: 'field "slots" is not an object of slot values' } };
  }
  return { ok: true, inputs: { messages: messages as string[], slots: slots as JsonObject } };
}
