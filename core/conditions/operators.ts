import { suggestHint } from '../suggest.js';
import { compileRegex } from './regex.js';

/** Targeting operators (Mongo style), docs/assignment.md#5-targeting. */
export const LOGICAL_OPERATORS = ['$and', '$or', '$nor', '$not'] as const;
export const FIELD_OPERATORS = [
  '$eq', '$ne', '$lt', '$lte', '$gt', '$gte', '$exists', '$in', '$nin', '$all', '$elemMatch', '$size',
  '$regex', '$vgt', '$vgte', '$vlt', '$vlte', '$veq', '$vne', '$not',
] as const;

export interface ConditionProblem {
  path: Array<string | number>;
  message: string;
  hint: string;
}

const FIELD_SET = new Set<string>(FIELD_OPERATORS);
const ARRAY_OPERATORS = new Set(['$in', '$nin', '$all']);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An $elemMatch argument made only of field operators tests the elements themselves; otherwise it is a condition on element objects. */
export function isFieldOperatorObject(v: unknown): v is Record<string, unknown> {
  if (!isPlainObject(v)) return false;
  const keys = Object.keys(v);
  return keys.length > 0 && keys.every((k) => FIELD_SET.has(k));
}

function checkFieldValue(value: unknown, path: Array<string | number>, out: ConditionProblem[]): void {
  if (!isPlainObject(value)) return; // a literal: equality
  const keys = Object.keys(value);
  const ops = keys.filter((k) => k.startsWith('$'));
  if (ops.length === 0) return; // an object literal compared by equality
  if (ops.length !== keys.length) {
    out.push({ path, message: 'mixes operators and plain keys', hint: 'use either operators ($eq, $in, …) or a literal object, not both' });
    return;
  }
  for (const op of ops) {
    const p = [...path, op];
    const arg = value[op];
    if (!FIELD_SET.has(op)) {
      out.push({ path: p, message: `unknown operator ${op}`, hint: suggestHint(op, FIELD_OPERATORS, `use one of ${FIELD_OPERATORS.join(' ')}`) });
    } else if (ARRAY_OPERATORS.has(op) && !Array.isArray(arg)) {
      out.push({ path: p, message: `${op} needs a list`, hint: `write ${op}: [a, b]` });
    } else if (op === '$exists' && typeof arg !== 'boolean') {
      out.push({ path: p, message: '$exists needs true or false', hint: 'write $exists: true' });
    } else if (op === '$regex') {
      if (typeof arg !== 'string') out.push({ path: p, message: '$regex needs a string', hint: "write $regex: '^abc'" });
      else {
        const re = compileRegex(arg);
        if (!re.ok) out.push({ path: p, message: re.message, hint: re.hint });
      }
    } else if (op === '$elemMatch') {
      if (!isPlainObject(arg)) out.push({ path: p, message: '$elemMatch needs a condition', hint: 'write $elemMatch: { $gt: 3 } or a field condition' });
      else if (isFieldOperatorObject(arg)) checkFieldValue(arg, p, out);
      else checkConditionAt(arg, p, out);
    } else if (op === '$not' || op === '$size') {
      checkFieldValue(arg, p, out);
    }
  }
}

function checkConditionAt(cond: unknown, path: Array<string | number>, out: ConditionProblem[]): void {
  if (!isPlainObject(cond)) {
    out.push({ path, message: 'a condition must be a mapping', hint: 'write attribute: value or attribute: { $op: value }' });
    return;
  }
  for (const [key, value] of Object.entries(cond)) {
    const p = [...path, key];
    if (key === '$and' || key === '$or' || key === '$nor') {
      if (!Array.isArray(value)) out.push({ path: p, message: `${key} needs a list of conditions`, hint: `write ${key}: [ {…}, {…} ]` });
      else value.forEach((c, i) => checkConditionAt(c, [...p, i], out));
    } else if (key === '$not') {
      checkConditionAt(value, p, out);
    } else if (key.startsWith('$')) {
      out.push({ path: p, message: `unknown operator ${key} at condition level`, hint: suggestHint(key, LOGICAL_OPERATORS, 'use $and $or $nor $not here, or an attribute name') });
    } else {
      checkFieldValue(value, p, out);
    }
  }
}

/** Structural problems of a targeting condition (unknown operators, wrong argument types). */
export function checkCondition(cond: unknown): ConditionProblem[] {
  const out: ConditionProblem[] = [];
  checkConditionAt(cond, [], out);
  return out;
}
