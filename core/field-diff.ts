import { jsonEqual } from './hash.js';
import type { FieldDiff, Json } from './types.js';

function isObject(v: Json | undefined): v is { [k: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Arrays of objects with a string `key` (variants) are matched by key, so a reorder reads as such. */
function keyOf(item: Json | undefined): string | undefined {
  return isObject(item) && typeof item.key === 'string' ? item.key : undefined;
}

function keyed(arr: Json[]): boolean {
  const keys = arr.map(keyOf);
  return keys.every((k) => k !== undefined) && new Set(keys).size === keys.length;
}

function walk(path: string, before: Json | undefined, after: Json | undefined, out: FieldDiff[]): void {
  if (jsonEqual(before, after)) return;
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    for (const k of keys) walk(path ? `${path}.${k}` : k, before[k], after[k], out);
    return;
  }
  if (Array.isArray(before) && Array.isArray(after) && keyed(before) && keyed(after)) {
    const b = new Map(before.map((v) => [keyOf(v)!, v]));
    const a = new Map(after.map((v) => [keyOf(v)!, v]));
    // A reorder is a change in the relative order of the keys present on both sides (not an add or remove).
    const common = (x: Map<string, Json>, y: Map<string, Json>) => [...x.keys()].filter((k) => y.has(k)).join('\0');
    const order = common(b, a) !== common(a, b);
    for (const k of new Set([...b.keys(), ...a.keys()])) walk(`${path}[${k}]`, b.get(k), a.get(k), out);
    if (order) out.push({ path: `${path}(order)`, before: [...b.keys()], after: [...a.keys()] });
    return;
  }
  // Lists of objects of the same length (chat messages) are compared item by item.
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length && before.every(isObject) && after.every(isObject)) {
    before.forEach((v, i) => walk(`${path}[${i}]`, v, after[i], out));
    return;
  }
  const d: FieldDiff = { path: path || '(root)' };
  if (before !== undefined) d.before = before;
  if (after !== undefined) d.after = after;
  out.push(d);
}

/** Field-level differences between two specs, as dotted paths (`variants[green].weight`). */
export function fieldDiff(before: Json | undefined, after: Json | undefined): FieldDiff[] {
  const out: FieldDiff[] = [];
  walk('', before, after, out);
  return out;
}
