import { Counter, Histogram, type Registry } from 'prom-client';
import type { Performed } from './effects.js';

/** Model calls made by flow sessions, by provider and model (fed by the flow runtime). */
export interface LlmCallStats {
  observe(p: Performed): void;
  readonly calls: Map<string, { provider: string; model: string; calls: number; inputTokens: number; outputTokens: number; latencies: number[] }>;
}

export function newLlmCallStats(): LlmCallStats {
  const calls: LlmCallStats['calls'] = new Map();
  return {
    calls,
    observe(p) {
      const r = p.response;
      if (!r) return;
      const key = `${r.provider}\u0000${r.model}`;
      let c = calls.get(key);
      if (!c) calls.set(key, (c = { provider: r.provider, model: r.model, calls: 0, inputTokens: 0, outputTokens: 0, latencies: [] }));
      c.calls++;
      c.inputTokens += r.usage.inputTokens;
      c.outputTokens += r.usage.outputTokens;
      c.latencies.push(r.latencyMs / 1000);
    },
  };
}

/** labctl_llm_* on a runtime's registry: calls, tokens in and out, and latency per provider and model. */
export function registerLlmMetrics(registry: Registry, stats: LlmCallStats): void {
  const seen = new Map<string, { calls: number; inputTokens: number; outputTokens: number }>();
  const labels = ['provider', 'model'] as const;
  // Brought up to date from the running totals at scrape time, by the first metric collected.
  const sync = () => {
    for (const [key, c] of stats.calls) {
      const s = seen.get(key) ?? { calls: 0, inputTokens: 0, outputTokens: 0 };
      const l = { provider: c.provider, model: c.model };
      if (c.calls > s.calls) calls.inc(l, c.calls - s.calls);
      if (c.inputTokens > s.inputTokens) tokens.inc({ ...l, direction: 'input' }, c.inputTokens - s.inputTokens);
      if (c.outputTokens > s.outputTokens) tokens.inc({ ...l, direction: 'output' }, c.outputTokens - s.outputTokens);
      for (const seconds of c.latencies.splice(0)) latency.observe(l, seconds);
      seen.set(key, { calls: c.calls, inputTokens: c.inputTokens, outputTokens: c.outputTokens });
    }
  };
  const calls = new Counter({ name: 'labctl_llm_calls_total', help: 'Model calls made by flow sessions', labelNames: labels, registers: [registry], collect: sync });
  const tokens = new Counter({ name: 'labctl_llm_tokens_total', help: 'Tokens of model calls made by flow sessions, by direction (input, output)', labelNames: [...labels, 'direction'], registers: [registry] });
  const latency = new Histogram({
    name: 'labctl_llm_call_duration_seconds',
    help: 'Latency of model calls made by flow sessions, retries included',
    labelNames: labels,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
    registers: [registry],
  });
}
