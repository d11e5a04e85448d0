import { skipSpaces } from './text.js';
import type { GateOp, GateParse } from './types.js';

// Metric gates: `val_auc >= 0.8`, `val_auc >= champion + 0.01` (relative to the target alias).

/** How a plan prints each operator. */
export const OP_SYMBOL: Record<GateOp, string> = { '>=': '≥', '<=': '≤', '>': '>', '<': '<' };
const METRIC_CHAR = /[A-Za-z0-9_.\-/ ]/;
const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_-]*/;
const EXAMPLE_HINT = 'write METRIC OPERATOR THRESHOLD, e.g. val_auc >= 0.8 or latency_p95_ms <= 200';

function fail(offset: number, message: string, hint: string): GateParse {
  return { ok: false, offset, message, hint };
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
