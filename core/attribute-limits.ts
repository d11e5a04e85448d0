// Attributes come from anyone who can reach the runtime. Their size is bounded so one request
// cannot make targeting (`$regex`, `$elemMatch`, `$in` over a list), exposure logging or event
// storage slow or crash a replica: the body limit (1 MiB) alone still allows a 500,000-element
// array or a 100,000-level nesting, which recursive code cannot walk. Documented in docs/runtime.md.

export const ATTRIBUTE_LIMITS = {
  /** Nesting of arrays and objects (an attribute object is level 1). */
  maxDepth: 32,
  /** Characters in one string, keys included. */
  maxStringLength: 8192,
  /** Elements of one array. */
  maxArrayLength: 1000,
  /** Values in all, nested ones included. */
  maxValues: 10_000,
} as const;

const L = ATTRIBUTE_LIMITS;

/**
 * Why the attributes exceed a limit (naming the path), or undefined. Runs on every request, so the
 * walk allocates nothing until it has something to report; recursion stops at maxDepth, so a
 * deeply nested body cannot exhaust the stack.
 */
export function attributeLimitProblem(attributes: Record<string, unknown>, name = 'attributes'): string | undefined {
  const path: Array<string | number> = [];
  const state = { values: 0 };
  const why = walk(attributes, 1, path, state);
  if (!why) return undefined;
  if (why === 'values') return `${name} hold more than ${L.maxValues} values`;
  const at = name + path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('');
  return why.replace('@', at);
}

/** A problem template ('@' stands for the path, left in `path`), or undefined. */
function walk(v: unknown, depth: number, path: Array<string | number>, state: { values: number }): string | undefined {
  if (++state.values > L.maxValues) return 'values';
  if (typeof v === 'string') return v.length > L.maxStringLength ? `@ is ${v.length} characters; the limit is ${L.maxStringLength}` : undefined;
  if (typeof v !== 'object' || v === null) return undefined;
  if (depth > L.maxDepth) return `@ is nested deeper than ${L.maxDepth} levels`;
  if (Array.isArray(v)) {
    if (v.length > L.maxArrayLength) return `@ has ${v.length} elements; the limit is ${L.maxArrayLength}`;
    for (let i = 0; i < v.length; i++) {
      path.push(i);
      const why = walk(v[i], depth + 1, path, state);
      if (why) return why;
      path.pop();
    }
    return undefined;
  }
  for (const k in v) {
    if (!Object.prototype.hasOwnProperty.call(v, k)) continue;
    if (k.length > L.maxStringLength) return `a key of @ is ${k.length} characters; the limit is ${L.maxStringLength}`;
    path.push(k);
    const why = walk((v as Record<string, unknown>)[k], depth + 1, path, state);
    if (why) return why;
    path.pop();
  }
  return undefined;
}
