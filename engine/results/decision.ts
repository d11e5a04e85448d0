import type { Decision, ExperimentResult, MetricResult, VariantResult } from './types.js';

// The `decision.ship` language: conditions joined by `and` that a variant must meet to ship.
// Deliberately tiny (no or, no numbers): a reviewer must read it at a glance.

export type ShipClause =
  | { kind: 'primary-significant' }
  | { kind: 'any-primary-significant' }
  | { kind: 'no-guardrail-harmed' }
  | { kind: 'no-primary-harmed' }
  | { kind: 'srm-ok' }
  | { kind: 'metric-significant'; metric: string }
  | { kind: 'metric-not-harmed'; metric: string };

export const DEFAULT_SHIP = 'primary significant and no guardrail harmed';

const CLAUSE_HINT = "write conditions joined by 'and': primary significant, any primary significant, no guardrail harmed, no primary harmed, srm ok, METRIC significant, METRIC not harmed";

export type ShipParse = { ok: true; clauses: ShipClause[] } | { ok: false; message: string; hint: string };

const FIXED: Record<string, ShipClause> = {
  'primary significant': { kind: 'primary-significant' },
  'any primary significant': { kind: 'any-primary-significant' },
  'no guardrail harmed': { kind: 'no-guardrail-harmed' },
  'no primary harmed': { kind: 'no-primary-harmed' },
  'srm ok': { kind: 'srm-ok' },
};

/** Parse a ship expression; metric names are checked by the caller (it knows the declared metrics). */
export function parseShip(text: string): ShipParse {
  const parts = text.trim().split(/\s+and\s+/i);
  const clauses: ShipClause[] = [];
  for (const raw of parts) {
    const words = raw.trim().split(/\s+/);
    const phrase = words.join(' ').toLowerCase();
    if (phrase === '') return { ok: false, message: 'empty condition', hint: CLAUSE_HINT };
    const fixed = FIXED[phrase];
    if (fixed) clauses.push(fixed);
    else if (words.length === 2 && words[1]!.toLowerCase() === 'significant') clauses.push({ kind: 'metric-significant', metric: words[0]! });
    else if (words.length === 3 && words[1]!.toLowerCase() === 'not' && words[2]!.toLowerCase() === 'harmed') clauses.push({ kind: 'metric-not-harmed', metric: words[0]! });
    else return { ok: false, message: `unknown condition "${raw.trim()}"`, hint: CLAUSE_HINT };
  }
  return { ok: true, clauses };
}

/** Metric names a ship expression refers to. */
export function shipMetrics(clauses: readonly ShipClause[]): string[] {
  return clauses.flatMap((c) => ('metric' in c ? [c.metric] : []));
}

export interface DecisionRule {
  clauses: ShipClause[];
  /** The expression as written, quoted in reasons. */
  text: string;
  minUnits: number;
  /** Seconds from the first exposure. */
  maxDurationSeconds: number | null;
}

/** A result before its decision and summary are filled in. */
export type Undecided = Omit<ExperimentResult, 'decision' | 'summary'>;

function resultFor(m: MetricResult, variant: string): VariantResult | undefined {
  return m.results.find((r) => r.variant === variant);
}

function pct(r: VariantResult): string {
  const rel = r.relative.estimate;
  if (rel === null) return 'n/a';
  return `${rel >= 0 ? '+' : ''}${(rel * 100).toFixed(1)}%`;
}

function pText(p: number | null): string {
  if (p === null) return 'n/a';
  return p < 0.0001 ? '< 0.0001' : p.toFixed(4);
}

/** Whether one clause holds for a variant, and a reason when it does not. */
function holds(c: ShipClause, variant: string, result: Undecided): string | null {
  const role = (r: string) => result.metrics.filter((m) => m.role === r);
  switch (c.kind) {
    case 'srm-ok':
      return result.srm.ok ? null : 'sample ratio mismatch';
    case 'primary-significant': {
      const primaries = role('primary');
      if (primaries.length === 0) return 'the experiment names no primary metric';
      const miss = primaries.find((m) => !resultFor(m, variant)?.better);
      return miss ? `${miss.name} is not significantly better` : null;
    }
    case 'any-primary-significant':
      return role('primary').some((m) => resultFor(m, variant)?.better) ? null : 'no primary metric is significantly better';
    case 'no-primary-harmed': {
      const bad = role('primary').find((m) => resultFor(m, variant)?.worse);
      return bad ? `${bad.name} is significantly worse` : null;
    }
    case 'no-guardrail-harmed': {
      const bad = role('guardrail').find((m) => resultFor(m, variant)?.worse);
      return bad ? `guardrail ${bad.name} harmed` : null;
    }
    case 'metric-significant': {
      const m = result.metrics.find((x) => x.name === c.metric);
      return m && resultFor(m, variant)?.better ? null : `${c.metric} is not significantly better`;
    }
    case 'metric-not-harmed': {
      const m = result.metrics.find((x) => x.name === c.metric);
      return m && resultFor(m, variant)?.worse ? `${c.metric} harmed` : null;
    }
  }
}

function days(seconds: number): string {
  const d = seconds / 86400;
  return d >= 1 ? `${Math.floor(d)}d` : `${Math.floor(seconds / 3600)}h`;
}

/**
 * Decide from a computed result: stop on a sample ratio mismatch or a harmed guardrail, wait for
 * minUnits, ship the best variant meeting every clause, call it inconclusive after maxDuration,
 * else keep running. Pure: `now` is passed in.
 */
export function decide(result: Undecided, rule: DecisionRule, now: number): Decision {
  if (result.units === 0) return { status: 'keep_running', variant: null, reasons: ['no exposures yet'] };
  if (!result.srm.ok) {
    return { status: 'stop', variant: null, reasons: [`sample ratio mismatch (p = ${pText(result.srm.p_value)}): units are not split as the weights say, so the results cannot be trusted; check the assignment and the exposure logging`] };
  }
  const treatments = result.variants.slice(1).map((v) => v.key);
  for (const m of result.metrics.filter((x) => x.role === 'guardrail')) {
    for (const v of treatments) {
      const r = resultFor(m, v);
      if (r?.worse) return { status: 'stop', variant: v, reasons: [`guardrail ${m.name} harmed by ${v} (${pct(r)}, p = ${pText(r.p_value)})`] };
    }
  }
  if (result.units < rule.minUnits) return { status: 'keep_running', variant: null, reasons: [`${result.units} of ${rule.minUnits} units needed before deciding`] };
  const winners = treatments.filter((v) => rule.clauses.every((c) => holds(c, v, result) === null));
  if (winners.length > 0) {
    const first = result.metrics.find((m) => m.role === 'primary');
    const score = (v: string) => {
      const r = first ? resultFor(first, v) : undefined;
      const est = r?.relative.estimate ?? r?.absolute.estimate ?? 0;
      return first?.direction === 'decrease' ? -est : est;
    };
    const best = [...winners].sort((a, b) => score(b) - score(a))[0]!;
    const reasons = [`${best} meets "${rule.text}"`];
    for (const m of result.metrics.filter((x) => x.role === 'primary')) {
      const r = resultFor(m, best);
      if (r) reasons.push(`${m.name}: ${pct(r)} (p = ${pText(r.p_value_adjusted)})`);
    }
    return { status: 'ship', variant: best, reasons };
  }
  const why = treatments.map((v) => `${v}: ${rule.clauses.map((c) => holds(c, v, result)).find((x) => x !== null) ?? 'not met'}`);
  const started = result.started_at ? Date.parse(result.started_at) : now;
  const ran = Math.max(0, (now - started) / 1000);
  if (rule.maxDurationSeconds !== null && ran >= rule.maxDurationSeconds) {
    return { status: 'inconclusive', variant: null, reasons: [`ran ${days(ran)} of the ${days(rule.maxDurationSeconds)} allowed and no variant meets "${rule.text}"`, ...why] };
  }
  return { status: 'keep_running', variant: null, reasons: [`no variant meets "${rule.text}" yet`, ...why] };
}
