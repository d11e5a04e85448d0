import type { JsonObject } from '../json.js';

/**
 * The gate language of PromotionPolicy: metric comparisons (`val_auc >= 0.8`,
 * `val_auc >= champion + 0.01`), a minimum age (`1h`) and required tags. Pure: parsing, evaluation
 * against values someone else fetched from MLflow, and the text a plan prints.
 */

export type GateOp = '>=' | '<=' | '>' | '<';
export type RelativeOp = '+' | '-' | '*';

export interface MetricGate {
  /** The gate in canonical spacing, e.g. `val_auc >= 0.8`, `val_auc >= champion + 0.01`. */
  text: string;
  /** The MLflow metric key. */
  metric: string;
  op: GateOp;
  /** Threshold of an absolute gate. */
  absolute?: number;
  /** A relative gate: the incumbent's value of the same metric, then `op value` (`+ 0` for the bare alias). */
  relative?: { op: RelativeOp; value: number };
}

export type GateParse = { ok: true; gate: MetricGate } | { ok: false; offset: number; message: string; hint: string };

export type DurationParse = { ok: true; seconds: number } | { ok: false; offset: number; message: string; hint: string };

export interface GateResult {
  /** The gate: the expression, `minAge 1h`, or `tag validation_status = approved`. */
  gate: string;
  type: 'metric' | 'relative' | 'age' | 'tag';
  passed: boolean;
  /** A relative gate with no version at the target alias yet: not evaluated, counts as passed. */
  skipped?: boolean;
  /** The candidate's value (metric value, age in seconds, tag value); null when unknown. */
  measured: number | string | null;
  /** What it was compared with (threshold, minimum age in seconds, required tag value). */
  threshold: number | string | null;
  /** One line for a plan, e.g. `val_auc 0.842 ≥ 0.800`. */
  text: string;
}

export interface GateCandidate {
  version: string;
  /** Creation time of the version, ms since the epoch. */
  createdAt?: number;
  tags: Record<string, string>;
  /** Latest value of every metric of the version's run; null when it has no run or the run is gone. */
  metrics: Record<string, number> | null;
}

export interface GateIncumbent {
  version: string;
  metrics: Record<string, number> | null;
}

const OP_SYMBOL: Record<GateOp, string> = { '>=': '≥', '<=': '≤', '>': '>', '<': '<' };
const METRIC_CHAR = /[A-Za-z0-9_.\-/ ]/;
const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_-]*/;
const EXAMPLE_HINT = 'write METRIC OPERATOR THRESHOLD, e.g. val_auc >= 0.8 or latency_p95_ms <= 200';

function fail(offset: number, message: string, hint: string): GateParse {
  return { ok: false, offset, message, hint };
}

/** Index of the first non-space character at or after i. */
function skipSpaces(text: string, i: number): number {
  while (i < text.length && /\s/.test(text[i]!)) i++;
  return i;
}

/** A finite number at the start of text (the literal's length too), or undefined. */
function numberAt(text: string): { value: number; length: number } | undefined {
  const m = NUMBER.exec(text);
  if (!m) return undefined;
  return { value: Number(m[0]), length: m[0].length };
}

/** Canonical spelling of a number in a gate: what JavaScript prints (`0.80` → `0.8`, `1e-3` → `0.001`). */
function numberText(n: number): string {
  return String(n);
}

/** The canonical text of a parsed gate. */
function gateText(metric: string, op: GateOp, rhs: string): string {
  return `${metric} ${op} ${rhs}`;
}

/**
 * Parse `METRIC OP RHS`. OP: `>=`, `<=`, `>`, `<` (or `≥`, `≤`); RHS: a number, or the target
 * alias optionally followed by `+ N`, `- N` or `* N`. Offsets of errors are into text as given.
 */
export function parseMetricGate(text: string, targetAlias: string): GateParse {
  // The metric: everything up to the operator, trimmed.
  let i = 0;
  while (i < text.length && !'<>≥≤=!'.includes(text[i]!)) {
    if (!METRIC_CHAR.test(text[i]!)) {
      return fail(i, `unexpected character ${JSON.stringify(text[i])} in the metric name`, `the left side is an MLflow metric key (letters, digits, _ . - / and spaces) as logged; ${EXAMPLE_HINT}`);
    }
    i++;
  }
  const metric = text.slice(0, i).trim();
  const metricStart = skipSpaces(text, 0);
  if (metric === '') {
    return fail(metricStart, i >= text.length ? 'empty gate' : 'the gate starts without a metric name', EXAMPLE_HINT);
  }
  if (i >= text.length) {
    return fail(text.length, `no comparison after "${metric}"`, `add an operator (>=, <=, > or <) and a threshold: ${metric} >= 0.8`);
  }
  // The operator.
  let op: GateOp;
  const c = text[i]!;
  const next = text[i + 1];
  if (c === '≥' || c === '≤') {
    op = c === '≥' ? '>=' : '<=';
    i += 1;
  } else if ((c === '>' || c === '<') && next === '=') {
    op = c === '>' ? '>=' : '<=';
    i += 2;
  } else if (c === '>' || c === '<') {
    op = c;
    i += 1;
  } else if (c === '=' && (next === '>' || next === '<')) {
    return fail(i, `"=${next}" is not an operator`, `write ${next}= instead`);
  } else {
    const written = c === '!' || next === '=' ? text.slice(i, i + 2) : c;
    return fail(i, `"${written}" is not a supported operator`, 'gates compare with >=, <=, > or < (metrics are real numbers: equality is too strict), e.g. val_auc >= 0.8');
  }
  if (text[i] === '=' || text[i] === '<' || text[i] === '>') {
    return fail(i, `unexpected "${text[i]}" after the operator ${op}`, `write a single operator, e.g. ${metric} ${op} 0.8`);
  }
  // The right-hand side.
  const rhsStart = skipSpaces(text, i);
  const rhs = text.slice(rhsStart);
  if (rhs.trim() === '') {
    return fail(rhsStart, `no threshold after ${op}`, `write a number or the target alias, e.g. ${metric} ${op} 0.8 or ${metric} ${op} ${targetAlias}`);
  }
  const num = numberAt(rhs);
  if (num) {
    if (!Number.isFinite(num.value)) return fail(rhsStart, `threshold ${rhs.slice(0, num.length)} is out of range`, 'write a threshold between about -1e308 and 1e308');
    const after = skipSpaces(text, rhsStart + num.length);
    if (after < text.length) return unexpectedAfter(text, after, metric, op, targetAlias);
    return { ok: true, gate: { text: gateText(metric, op, numberText(num.value)), metric, op, absolute: num.value } };
  }
  return parseRelative(text, rhsStart, metric, op, targetAlias);
}

/** `ALIAS`, `ALIAS + N`, `ALIAS - N` or `ALIAS * N` starting at start. */
function parseRelative(text: string, start: number, metric: string, op: GateOp, target: string): GateParse {
  const rhs = text.slice(start);
  const relHint = `relative gates compare with the version at the target alias: write \`${metric} ${op} ${target} + 0.01\``;
  // The target alias itself may contain "-", so "champion-0.01" is tried as the alias followed by "- 0.01" first.
  let idLength: number | undefined;
  if (rhs.startsWith(target)) {
    const rest = rhs.slice(target.length);
    if (rest.trim() === '' || /^\s*[+\-*]\s*[+-]?(?:\d|\.\d)/.test(rest)) idLength = target.length;
  }
  if (idLength === undefined) {
    const id = IDENTIFIER.exec(rhs);
    if (!id) return fail(start, `expected a number or "${target}" after ${op}, found ${JSON.stringify(rhs.trim().slice(0, 20))}`, `write a number (\`${metric} ${op} 0.8\`) or compare with the version at the target alias (\`${metric} ${op} ${target} + 0.01\`)`);
    if (id[0] !== target) return fail(start, `unknown name "${id[0]}": the only name a gate can compare with is the target alias "${target}"`, relHint);
    idLength = id[0].length;
  }
  let i = skipSpaces(text, start + idLength);
  if (i >= text.length) {
    return { ok: true, gate: { text: gateText(metric, op, target), metric, op, relative: { op: '+', value: 0 } } };
  }
  const rop = text[i]!;
  if (rop !== '+' && rop !== '-' && rop !== '*') {
    if (rop === '.') return fail(i, `unexpected "${text.slice(i).trim()}" after ${target}`, `a relative gate compares the same metric on the version at ${target}: write \`${metric} ${op} ${target} + 0.01\``);
    if (rop === '/') return fail(i, 'division is not supported in a gate', `multiply instead: write \`${metric} ${op} ${target} * 0.9\``);
    return fail(i, `unexpected "${text.slice(i).trim()}" after ${target}`, `after ${target} write + N, - N or * N, e.g. \`${metric} ${op} ${target} + 0.01\``);
  }
  i = skipSpaces(text, i + 1);
  const num = numberAt(text.slice(i));
  if (!num) {
    return fail(i, i >= text.length ? `no number after "${rop}"` : `expected a number after "${rop}", found ${JSON.stringify(text.slice(i).trim().slice(0, 20))}`, `write a number after ${rop}, e.g. \`${metric} ${op} ${target} ${rop} ${rop === '*' ? '1.05' : '0.01'}\``);
  }
  if (!Number.isFinite(num.value)) return fail(i, `number ${text.slice(i, i + num.length)} is out of range`, 'write a number between about -1e308 and 1e308');
  const after = skipSpaces(text, i + num.length);
  if (after < text.length) return unexpectedAfter(text, after, metric, op, target);
  return {
    ok: true,
    gate: { text: gateText(metric, op, `${target} ${rop} ${numberText(num.value)}`), metric, op, relative: { op: rop, value: num.value } },
  };
}

function unexpectedAfter(text: string, at: number, metric: string, op: GateOp, target: string): GateParse {
  const rest = text.slice(at).trim();
  if (/^(and|or|&&|\|\|)\b/i.test(rest) || rest.startsWith('&&') || rest.startsWith('||') || rest.startsWith(',')) {
    return fail(at, `unexpected "${rest.slice(0, 20)}": one gate holds one comparison`, 'write each condition as its own list item under gates.metrics (all of them must pass)');
  }
  return fail(at, `unexpected "${rest.slice(0, 20)}" after the threshold`, `a gate is METRIC OPERATOR THRESHOLD, e.g. ${metric} ${op} 0.8 or ${metric} ${op} ${target} + 0.01`);
}

// ---- durations -------------------------------------------------------------------------------

const UNIT_SECONDS: Record<string, number> = { w: 604800, d: 86400, h: 3600, m: 60, s: 1 };
const DURATION_HINT = 'write a whole number with a unit, e.g. 30m, 1h, 2d or 1h30m (units: s, m, h, d, w)';

/** Parse `1h`, `90m`, `1h30m`, `2d`, `1w`, `45s` (whole numbers; several parts add up) into seconds. */
export function parseDuration(text: string): DurationParse {
  let i = skipSpaces(text, 0);
  if (i >= text.length) return { ok: false, offset: i, message: 'empty duration', hint: DURATION_HINT };
  let seconds = 0;
  while (i < text.length) {
    const m = /^(\d+)(\.\d+)?\s*([A-Za-z]*)/.exec(text.slice(i));
    if (!m || m[0] === '') return { ok: false, offset: i, message: `unexpected ${JSON.stringify(text.slice(i).trim().slice(0, 20))} in duration`, hint: DURATION_HINT };
    if (m[2]) return { ok: false, offset: i, message: `fractional duration "${m[0].trim()}"`, hint: 'use whole numbers of a smaller unit: 90m instead of 1.5h' };
    const unit = m[3]!;
    if (unit === '') return { ok: false, offset: i + m[1]!.length, message: `duration "${m[1]}" has no unit`, hint: `add a unit: ${m[1]}s, ${m[1]}m, ${m[1]}h or ${m[1]}d` };
    const factor = UNIT_SECONDS[unit];
    if (factor === undefined) {
      const first = unit[0]!.toLowerCase();
      const guess = Object.hasOwn(UNIT_SECONDS, first) ? first : 'h';
      return { ok: false, offset: i + m[0].length - unit.length, message: `unknown duration unit "${unit}"`, hint: `units are s, m, h, d and w: write ${m[1]}${guess}` };
    }
    seconds += Number(m[1]) * factor;
    i = skipSpaces(text, i + m[0].length);
  }
  if (!Number.isSafeInteger(seconds)) return { ok: false, offset: 0, message: 'duration is too long', hint: 'write at most a few years, e.g. 52w' };
  return { ok: true, seconds };
}

/**
 * The canonical form of a duration: days, hours, minutes, seconds, largest first, zero parts
 * left out (`90m` → `1h30m`, `24h` → `1d`, `1w` → `7d`, `0s` → `0s`).
 */
export function formatDuration(seconds: number): string {
  let rest = Math.max(0, Math.floor(seconds));
  if (rest === 0) return '0s';
  let out = '';
  for (const [unit, size] of [['d', 86400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  return out;
}

/** An age for people: the two largest parts (`3h12m`, `2d4h`, `45s`). */
function formatAge(seconds: number): string {
  const full = formatDuration(seconds);
  const parts = full.match(/\d+[a-z]/g) ?? ['0s'];
  return parts.slice(0, 2).join('');
}

// ---- numbers ---------------------------------------------------------------------------------

/** Decimals of the shortest exact spelling of v (`0.8425` → 4; `1e-7` → 7). */
function exactDecimals(v: number): number {
  const [mantissa, exp] = String(Math.abs(v)).split('e');
  const frac = (mantissa!.split('.')[1] ?? '').length;
  return Math.max(0, frac - Number(exp ?? 0));
}

/**
 * Numbers shown together in one line: integers as written, others with a shared number of
 * decimals: 3, or as many as a short number needs to be shown exactly (a threshold of 0.8425 shows
 * as 0.8425, up to 6 decimals), or more when fewer would hide a difference or show a non-zero as 0.
 */
export function formatNumbers(values: readonly number[]): string[] {
  const fractional = values.filter((v) => Number.isFinite(v) && !Number.isInteger(v));
  let decimals = Math.max(3, ...fractional.map(exactDecimals).filter((d) => d <= 6));
  const clash = (d: number) => {
    const seen = new Map<string, number>();
    for (const v of fractional) {
      const s = v.toFixed(d);
      if (Number(s) === 0 && v !== 0) return true;
      const prev = seen.get(s);
      if (prev !== undefined && prev !== v) return true;
      seen.set(s, v);
    }
    // A fractional value must not round onto an integer it is compared with.
    for (const v of values) if (Number.isInteger(v) && fractional.some((f) => Number(f.toFixed(d)) === v)) return true;
    return false;
  };
  while (decimals < 12 && clash(decimals)) decimals++;
  return values.map((v) => {
    if (Number.isNaN(v)) return 'NaN';
    if (!Number.isFinite(v)) return v > 0 ? '∞' : '-∞';
    if (Number.isInteger(v)) return Math.abs(v) < 1e21 ? String(v) : v.toExponential(3);
    if (Math.abs(v) >= 1e21) return v.toExponential(3);
    return v.toFixed(decimals);
  });
}

// ---- evaluation ------------------------------------------------------------------------------

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
