import type { Json, JsonObject } from '../../core/types.js';
import { parseTemplate, type TemplateProblem } from '../prompts/template.js';

// Assert values are templates over the row's fields, in the prompts' placeholder syntax:
// `{{expected}}` alone is the field itself, with its JSON type (so `equals` can compare objects);
// inside other text a field is written as text (objects and lists as JSON).

/** A row field written into text. */
function asText(v: Json): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** A value with the row's fields filled in, or the first field the row lacks. */
export type Rendered = { ok: true; value: Json } | { ok: false; missing: string };

/** Fill `{{field}}` placeholders in every string of value (recursively) from the row. */
export function renderValue(value: Json, row: JsonObject): Rendered {
  if (typeof value === 'string') {
    const t = parseTemplate(value);
    // Broken placeholders are the validator's to report; at run time they stay literal text.
    if (t.problems.length > 0) return { ok: true, value };
    for (const name of t.placeholders) if (!Object.hasOwn(row, name)) return { ok: false, missing: name };
    const only = t.segments.length === 1 ? t.segments[0]! : undefined;
    if (only && 'variable' in only) return { ok: true, value: row[only.variable]! };
    return { ok: true, value: t.segments.map((s) => ('text' in s ? s.text : asText(row[s.variable]!))).join('') };
  }
  if (Array.isArray(value)) {
    const out: Json[] = [];
    for (const v of value) {
      const r = renderValue(v, row);
      if (!r.ok) return r;
      out.push(r.value);
    }
    return { ok: true, value: out };
  }
  if (value !== null && typeof value === 'object') {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) {
      const r = renderValue(v, row);
      if (!r.ok) return r;
      out[k] = r.value;
    }
    return { ok: true, value: out };
  }
  return { ok: true, value };
}

/** A placeholder problem inside a value, with the path to the string it is in. */
export interface ValueProblem extends TemplateProblem {
  path: Array<string | number>;
}

/** The row fields a value's templates read, and its malformed placeholders. */
export function templateFields(value: Json | undefined, path: Array<string | number> = []): { fields: string[]; problems: ValueProblem[] } {
  const fields: string[] = [];
  const problems: ValueProblem[] = [];
  const walk = (v: Json | undefined, p: Array<string | number>) => {
    if (typeof v === 'string') {
      const t = parseTemplate(v);
      for (const name of t.placeholders) if (!fields.includes(name)) fields.push(name);
      for (const pr of t.problems) problems.push({ ...pr, path: p });
    } else if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...p, i]));
    else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...p, k]);
  };
  walk(value, path);
  return { fields, problems };
}
