import { metricTable } from './table.js';
import type { JsonObject, Resource } from '../../core/types.js';
import { suggestHint } from '../../core/suggest.js';
import { normaliseHeader, setIf } from '../common.js';
import type { KindDef, RuleContext, RuleProblem } from '../types.js';

function normalise(doc: JsonObject): JsonObject {
  const out = normaliseHeader(doc);
  out.type = doc.type as string;
  setIf(out, 'event', doc.event);
  setIf(out, 'property', doc.property);
  setIf(out, 'numerator', doc.numerator);
  setIf(out, 'denominator', doc.denominator);
  out.direction = (doc.direction as string | undefined) ?? 'increase';
  setIf(out, 'window', doc.window);
  setIf(out, 'cap', doc.cap);
  return out;
}

/** A ratio's part: declared, and not a ratio itself (the delta method needs one sum per unit each side). */
function partProblems(r: Resource, side: 'numerator' | 'denominator', ctx: RuleContext): RuleProblem[] {
  const name = r.spec[side] as string | undefined;
  if (name === undefined) return [{ code: 'ratio-part-required', path: ['type'], summary: `a ratio metric needs a ${side}`, hint: `add ${side}: <metric name>, e.g. numerator: revenue and denominator: sessions` }];
  const part = ctx.get('Metric', name);
  if (!part) {
    const names = ctx.ofKind('Metric').filter((m) => m.spec.type !== 'ratio').map((m) => m.name);
    return [{ code: 'unknown-metric', path: [side], summary: `metric "${name}" is not declared`, hint: suggestHint(name, names, `add a document with kind: Metric and name: ${name}`) }];
  }
  if (part.spec.type === 'ratio') return [{ code: 'nested-ratio', path: [side], summary: `"${name}" is itself a ratio metric`, hint: `use a conversion, count or sum metric as the ${side}` }];
  if (part.name === r.name) return [{ code: 'nested-ratio', path: [side], summary: 'a ratio metric cannot use itself', hint: `name another metric as the ${side}` }];
  return [];
}

function rules(r: Resource, ctx: RuleContext): RuleProblem[] {
  const s = r.spec;
  if (s.type === 'ratio') {
    const problems = [...partProblems(r, 'numerator', ctx), ...partProblems(r, 'denominator', ctx)];
    for (const f of ['event', 'property', 'window', 'cap'] as const) {
      if (s[f] !== undefined) problems.push({ code: 'ratio-own-field', path: [f], summary: `a ratio metric takes "${f}" from its numerator and denominator`, hint: `move ${f} to the numerator or denominator metric, or remove it here` });
    }
    return problems;
  }
  const problems: RuleProblem[] = [];
  if (s.event === undefined) problems.push({ code: 'metric-event-required', path: ['type'], summary: `a ${String(s.type)} metric needs an event`, hint: 'add event: <event name>, e.g. event: checkout_completed' });
  for (const f of ['numerator', 'denominator'] as const) {
    if (s[f] !== undefined) problems.push({ code: 'ratio-field-on-plain-metric', path: [f], summary: `"${f}" only applies to type: ratio`, hint: `write type: ratio, or remove ${f}` });
  }
  if (s.property !== undefined && s.type !== 'sum' && s.type !== 'mean') {
    problems.push({ code: 'property-unused', path: ['property'], summary: `a ${String(s.type)} metric does not read a property`, hint: 'use type: sum or type: mean, or remove property' });
  }
  if (s.cap !== undefined && s.type === 'conversion') {
    problems.push({ code: 'cap-unused', path: ['cap'], summary: 'a conversion metric is 0 or 1 per unit; a cap does nothing', hint: 'remove cap, or use type: count or sum' });
  }
  return problems;
}

export const metricKind: KindDef = {
  kind: 'Metric',
  schemaFile: 'metric.schema.json',
  table: metricTable,
  normalise,
  rules,
};
