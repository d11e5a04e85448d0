import { parseDuration } from '../../core/gates/duration.js';
import type { JsonObject } from '../../core/types.js';
import type { MetricRole, MetricType } from './types.js';

// Metrics turned into per-unit components that one SQL query sums per variant. A component is one
// number per exposed unit (events counted, a 0/1 conversion, or a sum of values) over a time window
// relative to the unit's first exposure; a metric is one component (a mean over units) or two (a
// ratio, analysed with the delta method), plus an optional pre-exposure copy for CUPED.

export type ComponentSource = { kind: 'exists' } | { kind: 'count' } | { kind: 'value' } | { kind: 'property'; name: string };
export type Cap = { value: number } | { percentile: number } | null;

export interface Component {
  id: string;
  event: string;
  source: ComponentSource;
  /** post: [t0, t0 + window) (window null: no end); pre: [t0 - window, t0). */
  period: 'post' | 'pre';
  windowSeconds: number | null;
  cap: Cap;
  /** For a pre-period component, the post component whose percentile cap it shares. */
  capOf?: string;
}

export type MetricShape = { kind: 'mean'; x: string; pre?: string } | { kind: 'ratio'; m: string; d: string };

export interface PlannedMetric {
  name: string;
  role: MetricRole;
  type: MetricType;
  direction: 'increase' | 'decrease';
  shape: MetricShape;
}

export interface MetricPlan {
  components: Component[];
  /** Pairs whose per-unit product is summed (ratio parts, CUPED main × pre). */
  products: Array<[string, string]>;
  metrics: PlannedMetric[];
}

export interface PlanOptions {
  cuped: boolean;
  cupedLookbackSeconds: number;
}

function windowOf(spec: JsonObject): number | null {
  const w = spec.window as string | undefined;
  if (w === undefined) return null;
  const d = parseDuration(w);
  return d.ok ? d.seconds : null;
}

function capOf(spec: JsonObject): Cap {
  const cap = spec.cap as { value?: number; percentile?: number } | undefined;
  if (cap?.value !== undefined) return { value: cap.value };
  if (cap?.percentile !== undefined) return { percentile: cap.percentile };
  return null;
}

/** The numeric source of sum/mean metrics: a property when named, else the event's value. */
function valueSource(spec: JsonObject): ComponentSource {
  return typeof spec.property === 'string' ? { kind: 'property', name: spec.property } : { kind: 'value' };
}

/**
 * Plan the components of an experiment's metrics (roles in listing order: primary, secondary,
 * guardrails; a metric listed twice keeps its first role). Identical components are shared.
 */
export function planMetrics(roles: Array<{ name: string; role: MetricRole }>, specs: ReadonlyMap<string, JsonObject>, opts: PlanOptions): MetricPlan {
  const components: Component[] = [];
  const byKey = new Map<string, string>();
  const products: Array<[string, string]> = [];
  const productKeys = new Set<string>();
  const add = (c: Omit<Component, 'id'>): string => {
    const key = JSON.stringify(c);
    const known = byKey.get(key);
    if (known) return known;
    const id = `c${components.length}`;
    components.push({ id, ...c });
    byKey.set(key, id);
    return id;
  };
  const product = (a: string, b: string) => {
    const key = `${a}*${b}`;
    if (!productKeys.has(key)) {
      productKeys.add(key);
      products.push([a, b]);
    }
  };
  const plain = (spec: JsonObject): Omit<Component, 'id'> => {
    const type = spec.type as MetricType;
    const source: ComponentSource = type === 'conversion' ? { kind: 'exists' } : type === 'count' ? { kind: 'count' } : valueSource(spec);
    return { event: spec.event as string, source, period: 'post', windowSeconds: windowOf(spec), cap: type === 'conversion' ? null : capOf(spec) };
  };
  const metrics: PlannedMetric[] = [];
  const seen = new Set<string>();
  for (const { name, role } of roles) {
    if (seen.has(name)) continue;
    seen.add(name);
    const spec = specs.get(name);
    if (!spec) continue;
    const type = spec.type as MetricType;
    const direction = (spec.direction as 'increase' | 'decrease' | undefined) ?? 'increase';
    let shape: MetricShape;
    if (type === 'ratio') {
      const num = specs.get(spec.numerator as string);
      const den = specs.get(spec.denominator as string);
      if (!num || !den) continue;
      shape = { kind: 'ratio', m: add(plain(num)), d: add(plain(den)) };
    } else if (type === 'mean') {
      // Average value per event: the per-unit sum over the per-unit count, as a ratio.
      const base = plain(spec);
      shape = { kind: 'ratio', m: add(base), d: add({ ...base, source: { kind: 'count' }, cap: null }) };
    } else {
      const main = plain(spec);
      const x = add(main);
      shape = { kind: 'mean', x };
      if (opts.cuped) {
        const capShared = main.cap && 'percentile' in main.cap ? { capOf: x } : {};
        const pre = add({ ...main, period: 'pre', windowSeconds: opts.cupedLookbackSeconds, ...capShared });
        shape.pre = pre;
        product(x, pre);
      }
    }
    if (shape.kind === 'ratio') product(shape.m, shape.d);
    metrics.push({ name, role, type, direction, shape });
  }
  return { components, products, metrics };
}
