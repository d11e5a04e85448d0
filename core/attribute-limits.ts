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

/** Why the attributes exceed a limit (naming the path), or undefined. Walks iteratively: depth is bounded by the check, not the stack. */
export function attributeLimitProblem(attributes: Record<string, unknown>, name = 'attributes'): string | undefined {
  const L = ATTRIBUTE_LIMITS;
  const stack: Array<{ v: unknown; path: string; depth: number }> = [{ v: attributes, path: name, depth: 1 }];
  let values = 0;
  while (stack.length > 0) {
    const { v, path, depth } = stack.pop()!;
    if (++values > L.maxValues) return `${name} hold more than ${L.maxValues} values`;
    if (typeof v === 'string') {
      if (v.length > L.maxStringLength) return `${path} is ${v.length} characters; the limit is ${L.maxStringLength}`;
      continue;
    }
    if (typeof v !== 'object' || v === null) continue;
    if (depth > L.maxDepth) return `${path} is nested deeper than ${L.maxDepth} levels`;
    if (Array.isArray(v)) {
      if (v.length > L.maxArrayLength) return `${path} has ${v.length} elements; the limit is ${L.maxArrayLength}`;
      for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], path: `${path}[${i}]`, depth: depth + 1 });
      continue;
    }
    const keys = Object.keys(v);
    for (let i = keys.length - 1; i >= 0; i--) {
      const k = keys[i]!;
      if (k.length > L.maxStringLength) return `a key of ${path} is ${k.length} characters; the limit is ${L.maxStringLength}`;
      stack.push({ v: (v as Record<string, unknown>)[k], path: `${path}.${k}`, depth: depth + 1 });
    }
  }
  return undefined;
}
