import { isFieldOperatorObject } from './operators.js';
import { versionComparer } from './semver.js';
import { compileRegex } from './regex.js';

/** Request attributes: any JSON-like values, dot paths reach into nested objects. */
export type Attributes = Readonly<Record<string, unknown>>;
/** A compiled targeting condition. */
export type Predicate = (attributes: Attributes) => boolean;
type ValueTest = (actual: unknown) => boolean;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isOperatorObject(v: unknown): v is Record<string, unknown> {
  if (!isPlainObject(v)) return false;
  const keys = Object.keys(v);
  return keys.length > 0 && keys.every((k) => k.startsWith('$'));
}

/** Structural equality for literals (objects, arrays, scalars). */
function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => deepEqual(x, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao);
  return ak.length === Object.keys(bo).length && ak.every((k) => Object.prototype.hasOwnProperty.call(bo, k) && deepEqual(ao[k], bo[k]));
}

const hasOwn = Object.prototype.hasOwnProperty;

/**
 * Accessor for a dot path, compiled once. A missing attribute (or a path through a missing or
 * non-object step) reads as null, as in MongoDB and GrowthBook: `{a: null}` and `$in: [null]`
 * match it and `$ne: null` does not. Only own properties count, so `toString` or `constructor`
 * are never inherited attributes.
 */
function compilePath(path: string): (attributes: Attributes) => unknown {
  if (!path.includes('.')) return (a) => (hasOwn.call(a, path) ? (a[path] ?? null) : null);
  const parts = path.split('.');
  return (a) => {
    let cur: unknown = a;
    for (const p of parts) {
      if (cur === null || typeof cur !== 'object' || !hasOwn.call(cur, p)) return null;
      cur = (cur as Record<string, unknown>)[p];
    }
    return cur ?? null;
  };
}

/** Ordering only between values of the same primitive type; mixed types never match. */
function comparable(a: unknown, b: unknown): boolean {
  return (typeof a === 'number' && typeof b === 'number' && !Number.isNaN(a) && !Number.isNaN(b)) || (typeof a === 'string' && typeof b === 'string');
}

function inList(actual: unknown, list: readonly unknown[]): boolean {
  if (Array.isArray(actual)) return actual.some((x) => list.some((y) => deepEqual(x, y)));
  return list.some((y) => deepEqual(actual, y));
}

function compileOperator(op: string, arg: unknown): ValueTest {
  switch (op) {
    case '$eq':
      return (x) => deepEqual(x, arg);
    case '$ne':
      return (x) => !deepEqual(x, arg);
    case '$lt':
      return (x) => comparable(x, arg) && (x as number) < (arg as number);
    case '$lte':
      return (x) => comparable(x, arg) && (x as number) <= (arg as number);
    case '$gt':
      return (x) => comparable(x, arg) && (x as number) > (arg as number);
    case '$gte':
      return (x) => comparable(x, arg) && (x as number) >= (arg as number);
    case '$exists':
      return arg ? (x) => x !== undefined && x !== null : (x) => x === undefined || x === null;
    case '$in': {
      // A list is required (validation says so); anything else never matches, for $nin too.
      if (!Array.isArray(arg)) return () => false;
      const list: readonly unknown[] = arg;
      // Scalars in a Set: O(1) membership for long country or user lists.
      const scalars = new Set(list.filter((v) => typeof v !== 'object' || v === null));
      const onlyScalars = scalars.size === list.length;
      return (x) => (Array.isArray(x) ? inList(x, list) : onlyScalars ? scalars.has(x) : inList(x, list));
    }
    case '$nin': {
      if (!Array.isArray(arg)) return () => false;
      const test = compileOperator('$in', arg);
      return (x) => !test(x);
    }
    case '$all': {
      if (!Array.isArray(arg)) return () => false;
      const tests = arg.map((item) => compileValue(item));
      return (x) => Array.isArray(x) && tests.every((t) => x.some((el) => t(el)));
    }
    case '$elemMatch': {
      const test: ValueTest = isFieldOperatorObject(arg) ? compileValue(arg) : ((p: Predicate): ValueTest => (el) => isPlainObject(el) && p(el))(compileCondition(arg));
      return (x) => Array.isArray(x) && x.some((el) => test(el));
    }
    case '$size': {
      const test = compileValue(arg);
      return (x) => Array.isArray(x) && test(x.length);
    }
    case '$regex': {
      const re = typeof arg === 'string' ? compileRegex(arg) : undefined;
      if (!re?.ok) return () => false;
      return (x) => typeof x === 'string' && re.test(x);
    }
    case '$not': {
      const test = compileValue(arg);
      return (x) => !test(x);
    }
    case '$veq':
    case '$vne':
    case '$vgt':
    case '$vgte':
    case '$vlt':
    case '$vlte': {
      const check: Record<string, (c: number) => boolean> = {
        $veq: (c) => c === 0,
        $vne: (c) => c !== 0,
        $vgt: (c) => c > 0,
        $vgte: (c) => c >= 0,
        $vlt: (c) => c < 0,
        $vlte: (c) => c <= 0,
      };
      const fn = check[op]!;
      const compare = versionComparer(arg); // the operand is parsed once, here
      return (x) => {
        const c = compare(x);
        return c !== undefined && fn(c);
      };
    }
    default:
      // Unknown operators are rejected by validation; at runtime they never match.
      return () => false;
  }
}

/** Test for one attribute value: an operator object, or a literal compared by equality. */
function compileValue(expected: unknown): ValueTest {
  if (isOperatorObject(expected)) {
    const tests = Object.entries(expected).map(([op, arg]) => compileOperator(op, arg));
    if (tests.length === 1) return tests[0]!;
    return (x) => tests.every((t) => t(x));
  }
  return (x) => deepEqual(x, expected);
}

/** Compile a Mongo-style condition once into a predicate over request attributes. */
export function compileCondition(condition: unknown): Predicate {
  if (!isPlainObject(condition)) return () => false;
  const parts: Predicate[] = [];
  for (const [key, value] of Object.entries(condition)) {
    if (key === '$and' || key === '$or' || key === '$nor') {
      // Malformed logic (rejected by validation) never matches rather than matching everyone.
      if (!Array.isArray(value)) {
        parts.push(() => false);
        continue;
      }
      const subs = value.map((c) => compileCondition(c));
      if (key === '$and') parts.push((a) => subs.every((s) => s(a)));
      else if (key === '$or') parts.push((a) => subs.length === 0 || subs.some((s) => s(a)));
      else parts.push((a) => !subs.some((s) => s(a)));
    } else if (key === '$not') {
      if (!isPlainObject(value)) {
        parts.push(() => false);
        continue;
      }
      const sub = compileCondition(value);
      parts.push((a) => !sub(a));
    } else {
      const get = compilePath(key);
      const test = compileValue(value);
      parts.push((a) => test(get(a)));
    }
  }
  if (parts.length === 0) return () => true;
  if (parts.length === 1) return parts[0]!;
  return (a) => {
    for (const p of parts) if (!p(a)) return false;
    return true;
  };
}
