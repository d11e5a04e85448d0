import type { GateOp, MetricGate, GateResult, GateCandidate, GateIncumbent } from './types.js';
import type { JsonObject } from '../json.js';
import { formatAge, formatDuration, parseDuration } from './duration.js';
import { OP_SYMBOL, parseMetricGate } from './metric.js';
import { formatNumbers } from './numbers.js';

// Gates evaluated against a candidate (and the incumbent at the target alias) someone else read from MLflow.

/** Round away binary noise of a computed threshold (`0.831 + 0.01` is 0.841, not 0.8410000000000001). */
function tidy(n: number): number {
  return Number.isFinite(n) ? Number(n.toPrecision(12)) : n;
}

function compare(op: GateOp, a: number, b: number): boolean {
  switch (op) {
    case '>=':
      return a >= b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '<':
      return a < b;
  }
}

function metricOf(metrics: Record<string, number> | null, key: string): number | undefined {
  if (!metrics || !Object.hasOwn(metrics, key)) return undefined;
  const v = metrics[key];
  return typeof v === 'number' ? v : undefined;
}

function evaluateMetric(gate: MetricGate, target: string, candidate: GateCandidate, incumbent: GateIncumbent | undefined): GateResult {
  const type = gate.relative ? 'relative' : 'metric';
  const base = { gate: gate.text, type } as const;
  const value = metricOf(candidate.metrics, gate.metric);
  if (value === undefined) {
    const why = candidate.metrics === null ? `${gate.metric} unavailable: candidate version ${candidate.version} has no run (or its run was deleted)` : `${gate.metric} not logged on the candidate's run`;
    return { ...base, passed: false, measured: null, threshold: gate.absolute ?? null, text: why };
  }
  const sym = OP_SYMBOL[gate.op];
  if (gate.absolute !== undefined) {
    const [m, t] = formatNumbers([value, gate.absolute]);
    return { ...base, passed: compare(gate.op, value, gate.absolute), measured: value, threshold: gate.absolute, text: `${gate.metric} ${m} ${sym} ${t}` };
  }
  const rel = gate.relative!;
  if (!incumbent) {
    return { ...base, passed: true, skipped: true, measured: value, threshold: null, text: `${gate.text}: skipped, no version holds ${target} yet` };
  }
  const other = metricOf(incumbent.metrics, gate.metric);
  if (other === undefined) {
    const why = incumbent.metrics === null ? `version ${incumbent.version} at ${target} has no run (or its run was deleted)` : `${gate.metric} is not logged on the run of version ${incumbent.version} at ${target}`;
    return { ...base, passed: false, measured: value, threshold: null, text: `${gate.metric} cannot be compared: ${why}` };
  }
  const threshold = tidy(rel.op === '+' ? other + rel.value : rel.op === '-' ? other - rel.value : other * rel.value);
  const passed = compare(gate.op, value, threshold);
  if (rel.op === '+' && rel.value === 0) {
    const [m, o] = formatNumbers([value, other]);
    return { ...base, passed, measured: value, threshold, text: `${gate.metric} ${m} ${sym} ${target} ${o}` };
  }
  const [m, o, d, t] = formatNumbers([value, other, rel.value, threshold]);
  return { ...base, passed, measured: value, threshold, text: `${gate.metric} ${m} ${sym} ${target} ${o} ${rel.op === '*' ? '×' : rel.op} ${d} = ${t}` };
}

/**
 * Evaluate every gate of a normalised PromotionPolicy spec for a candidate version, in order:
 * metric gates as listed, then minAge, then tags (sorted by key).
 * `incumbent` is the version the target alias points at now (undefined: none yet).
 */
export function evaluateGates(policySpec: JsonObject, candidate: GateCandidate, incumbent: GateIncumbent | undefined, nowMs: number): GateResult[] {
  const target = String(policySpec.target);
  const gates = (policySpec.gates ?? {}) as { metrics?: string[]; minAge?: string; tags?: Record<string, string> };
  const results: GateResult[] = [];
  for (const text of gates.metrics ?? []) {
    const parsed = parseMetricGate(text, target);
    if (!parsed.ok) {
      results.push({ gate: text, type: 'metric', passed: false, measured: null, threshold: null, text: `invalid gate "${text}": ${parsed.message}` });
      continue;
    }
    results.push(evaluateMetric(parsed.gate, target, candidate, incumbent));
  }
  if (gates.minAge !== undefined) {
    const gate = `minAge ${gates.minAge}`;
    const min = parseDuration(gates.minAge);
    if (!min.ok) {
      results.push({ gate, type: 'age', passed: false, measured: null, threshold: null, text: `invalid minAge "${gates.minAge}": ${min.message}` });
    } else if (candidate.createdAt === undefined || !Number.isFinite(candidate.createdAt)) {
      results.push({ gate, type: 'age', passed: false, measured: null, threshold: min.seconds, text: `age unknown: MLflow reported no creation time for version ${candidate.version}` });
    } else {
      const age = Math.floor((nowMs - candidate.createdAt) / 1000);
      results.push({ gate, type: 'age', passed: age >= min.seconds, measured: age, threshold: min.seconds, text: `age ${formatAge(age)} ≥ ${formatDuration(min.seconds)}` });
    }
  }
  for (const [key, want] of Object.entries(gates.tags ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const gate = `tag ${key} = ${want}`;
    const have = Object.hasOwn(candidate.tags, key) ? candidate.tags[key]! : null;
    const passed = have === want;
    const text = passed ? gate : have === null ? `tag ${key} is not set, needs ${JSON.stringify(want)}` : `tag ${key} is ${JSON.stringify(have)}, needs ${JSON.stringify(want)}`;
    results.push({ gate, type: 'tag', passed, measured: have, threshold: want, text });
  }
  return results;
}

/** True when every gate passed (skipped relative gates count as passed; no gates at all pass). */
export function gatesPassed(results: readonly GateResult[]): boolean {
  return results.every((r) => r.passed);
}
