import { metricTable } from './table.js';
import type { JsonObject, Resource } from '../../core/types.js';
import { normaliseHeader, setIf } from '../common.js';
import type { KindDef, RuleProblem } from '../types.js';

export const metricKind: KindDef = {
  kind: 'Metric',
  schemaFile: 'metric.schema.json',
  table: metricTable,
  normalise(doc: JsonObject): JsonObject {
    const out = normaliseHeader(doc);
    out.type = doc.type as string;
    out.event = doc.event as string;
    setIf(out, 'property', doc.property);
    out.direction = (doc.direction as string | undefined) ?? 'increase';
    setIf(out, 'window', doc.window);
    return out;
  },
  rules(r: Resource): RuleProblem[] {
    const needsProperty = r.spec.type === 'sum' || r.spec.type === 'mean';
    if (needsProperty && r.spec.property === undefined) {
      return [{ code: 'metric-property-required', path: ['type'], summary: `a ${String(r.spec.type)} metric needs a numeric property`, hint: 'add property: <event field>, e.g. property: amount' }];
    }
    return [];
  },
};
