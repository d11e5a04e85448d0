// The report builder and the decision language, from per-variant sums (no database): the sums are
// computed here from simulated per-unit values, as the SQL aggregate does.
import mt19937 from '@stdlib/random-base-mt19937';
import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../core/types.js';
import { parseShip } from '../../engine/results/decision.js';
import { planMetrics, type MetricPlan } from '../../engine/results/metric-plan.js';
import { renderResultMarkdown, renderResultText } from '../../engine/results/render.js';
import { buildReport, type VariantSumsInput } from '../../engine/results/report.js';

/** Seeded uniform draws in [0, 1) from MT19937's 32-bit integers. */
function uniform(seed: number): () => number {
  const next = mt19937.factory({ seed });
  return () => next() / 4294967296;
}

const DAY = 86_400_000;
const NOW = Date.parse('2026-12-20T00:00:00Z');

const METRICS = new Map<string, JsonObject>([
  ['checkout', { type: 'conversion', event: 'checkout_completed', direction: 'increase' }],
  ['errors', { type: 'count', event: 'page_error', direction: 'decrease' }],
  ['revenue', { type: 'sum', event: 'checkout_completed', direction: 'increase' }],
  ['order-value', { type: 'mean', event: 'checkout_completed', direction: 'increase' }],
]);

function experiment(extra: JsonObject = {}): { name: string; spec: JsonObject } {
  return {
    name: 'checkout-button',
    spec: { status: 'running', unit: 'user_id', phase: 1, variants: [{ key: 'control', weight: 50 }, { key: 'green', weight: 50 }], metrics: { primary: ['checkout'], guardrails: ['errors'] }, ...extra },
  };
}

function plan(spec: JsonObject): MetricPlan {
  const m = spec.metrics as { primary?: string[]; secondary?: string[]; guardrails?: string[] };
  const roles = [...(m.primary ?? []).map((name) => ({ name, role: 'primary' as const })), ...(m.secondary ?? []).map((name) => ({ name, role: 'secondary' as const })), ...(m.guardrails ?? []).map((name) => ({ name, role: 'guardrail' as const }))];
  return planMetrics(roles, METRICS, { cuped: false, cupedLookbackSeconds: 0 });
}

/** Sums of simulated units: conversion with probability p, page errors Poisson-ish, order values. */
function simulate(p: MetricPlan, units: number, conv: number, errorRate: number, seed: number): VariantSumsInput {
  const rand = uniform(seed);
  const sums: Record<string, number> = {};
  const add = (k: string, v: number) => (sums[k] = (sums[k] ?? 0) + v);
  for (let i = 0; i < units; i++) {
    const converted = rand() < conv ? 1 : 0;
    const orders = converted ? 1 + (rand() < 0.3 ? 1 : 0) : 0;
    let value = 0;
    for (let o = 0; o < orders; o++) value += 20 + rand() * 60;
    let errors = 0;
    while (rand() < errorRate) errors++;
    const per: Record<string, number> = {};
    for (const c of p.components) {
      per[c.id] = c.event === 'page_error' ? errors : c.source.kind === 'exists' ? converted : c.source.kind === 'count' ? orders : value;
      add(`s_${c.id}`, per[c.id]!);
      add(`q_${c.id}`, per[c.id]! ** 2);
    }
    for (const [a, b] of p.products) add(`p_${a}_${b}`, per[a]! * per[b]!);
  }
  return { units, sums };
}

function report(extra: JsonObject, arms: { control: [number, number, number]; green: [number, number, number] }, startedAt = new Date(NOW - 10 * DAY)) {
  const exp = experiment(extra);
  const p = plan(exp.spec);
  const variants = new Map([
    ['control', simulate(p, ...arms.control, 1)],
    ['green', simulate(p, ...arms.green, 2)],
  ]);
  return buildReport({ experiment: exp, plan: p, startedAt, variants, now: NOW });
}

describe('experiment report', () => {
  it('ships a variant with a real lift and no harmed guardrail', () => {
    const r = report({}, { control: [20_000, 0.1, 0.05], green: [20_000, 0.12, 0.05] });
    const m = r.metrics.find((x) => x.name === 'checkout')!;
    const g = m.results[0]!;
    expect(g.baseline_mean).toBeCloseTo(0.1, 1);
    expect(g.mean).toBeCloseTo(0.12, 1);
    expect(g.relative.ci[0]!).toBeGreaterThan(0);
    expect(g.better).toBe(true);
    expect(r.decision).toMatchObject({ status: 'ship', variant: 'green' });
    expect(r.summary).toMatch(/^Ship green/);
    expect(r.srm.ok).toBe(true);
  });

  it('stops when a guardrail is harmed, whatever the primary metric says', () => {
    const r = report({}, { control: [20_000, 0.1, 0.05], green: [20_000, 0.12, 0.09] });
    expect(r.metrics.find((x) => x.name === 'errors')!.results[0]!.worse).toBe(true);
    expect(r.decision.status).toBe('stop');
    expect(r.decision.reasons[0]).toMatch(/guardrail errors harmed by green/);
  });

  it('stops on a sample ratio mismatch', () => {
    const r = report({}, { control: [20_000, 0.1, 0.05], green: [19_000, 0.1, 0.05] });
    expect(r.srm.ok).toBe(false);
    expect(r.srm.p_value!).toBeLessThan(0.001);
    expect(r.decision.status).toBe('stop');
    expect(r.decision.variant).toBeNull();
  });

  it('keeps running below minUnits and without a significant primary; inconclusive after maxDuration', () => {
    expect(report({ decision: { minUnits: 50_000 } }, { control: [20_000, 0.1, 0.05], green: [20_000, 0.12, 0.05] }).decision).toMatchObject({ status: 'keep_running', reasons: ['40000 of 50000 units needed before deciding'] });
    const flat = { control: [5_000, 0.1, 0.05], green: [5_000, 0.1, 0.05] } as const;
    expect(report({}, { control: [...flat.control], green: [...flat.green] }).decision.status).toBe('keep_running');
    const late = report({ decision: { maxDuration: '7d' } }, { control: [...flat.control], green: [...flat.green] });
    expect(late.decision.status).toBe('inconclusive');
    expect(late.decision.reasons[0]).toMatch(/ran 10d of the 7d allowed/);
  });

  it('adjusts p-values over primary and secondary metrics × variants, and tests guardrails one-sided', () => {
    const r = report(
      { variants: [{ key: 'control', weight: 1 }, { key: 'green', weight: 1 }, { key: 'blue', weight: 1 }], metrics: { primary: ['checkout'], secondary: ['revenue', 'order-value'], guardrails: ['errors'] } },
      { control: [10_000, 0.1, 0.05], green: [10_000, 0.105, 0.05] },
    );
    const family = r.metrics.filter((m) => m.role !== 'guardrail').flatMap((m) => m.results).filter((x) => !x.error);
    expect(family.length).toBeGreaterThan(2);
    for (const x of family) expect(x.p_value_adjusted!).toBeGreaterThanOrEqual(x.p_value!);
    // blue has no units at all: no test, and never significant.
    const blue = r.metrics[0]!.results.find((x) => x.variant === 'blue')!;
    expect(blue.error).toBe('too_few_units');
    expect(blue.significant).toBe(false);
    expect(r.metrics.find((m) => m.name === 'order-value')!.type).toBe('mean');
  });

  it('honours the ship expression: a named metric and no primary harmed', () => {
    const r = report({ metrics: { primary: ['checkout'], secondary: ['revenue'], guardrails: ['errors'] }, decision: { ship: 'revenue significant and no guardrail harmed' } }, { control: [20_000, 0.1, 0.05], green: [20_000, 0.13, 0.05] });
    expect(r.decision.status).toBe('ship');
    expect(r.decision.reasons[0]).toBe('green meets "revenue significant and no guardrail harmed"');
  });

  it('renders text and markdown with the summary first and pipes escaped', () => {
    const r = report({}, { control: [20_000, 0.1, 0.05], green: [20_000, 0.12, 0.05] });
    const text = renderResultText(r);
    expect(text.split('\n')[1]).toBe(r.summary);
    expect(text).toMatch(/checkout\s+primary\s+green/);
    expect(text).toMatch(/errors\s+guardrail\s+green.*not harmed/);
    const md = renderResultMarkdown({ ...r, summary: 'a | b' });
    expect(md).toContain('**a \\| b**');
    expect(md).toMatch(/\| checkout \| primary \| green \|/);
  });
});

describe('the ship language', () => {
  it('parses conditions joined by and', () => {
    expect(parseShip('primary significant and no guardrail harmed')).toEqual({ ok: true, clauses: [{ kind: 'primary-significant' }, { kind: 'no-guardrail-harmed' }] });
    expect(parseShip('revenue significant AND page-error not harmed AND srm ok')).toEqual({ ok: true, clauses: [{ kind: 'metric-significant', metric: 'revenue' }, { kind: 'metric-not-harmed', metric: 'page-error' }, { kind: 'srm-ok' }] });
  });

  it('refuses what it does not know, with a hint listing the conditions', () => {
    const r = parseShip('primary significant or no guardrail harmed');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.message).toBe('unknown condition "primary significant or no guardrail harmed"');
      expect(r.hint).toMatch(/no guardrail harmed/);
    }
    expect(parseShip('primary significant and ').ok).toBe(false);
  });
});
