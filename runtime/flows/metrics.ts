import { Counter, Histogram, type Registry } from 'prom-client';
import type { Performed } from './effects.js';

/**
 * labctl_llm_* on a runtime's registry: calls, tokens in and out, and latency per provider and
 * model. Observed as each call returns: a model call takes milliseconds, so prom-client's own
 * cost per observation does not matter here (unlike the assignment route's request counters).
 */
export function llmCallMetrics(registry: Registry): (p: Performed) => void {
  const labelNames = ['provider', 'model'] as const;
  const calls = new Counter({ name: 'labctl_llm_calls_total', help: 'Model calls made by flow sessions', labelNames, registers: [registry] });
  const tokens = new Counter({ name: 'labctl_llm_tokens_total', help: 'Tokens of model calls made by flow sessions, by direction (input, output)', labelNames: [...labelNames, 'direction'], registers: [registry] });
  const latency = new Histogram({
    name: 'labctl_llm_call_duration_seconds',
    help: 'Latency of model calls made by flow sessions, retries included',
    labelNames,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
    registers: [registry],
  });
  return (p) => {
    const r = p.response;
    if (!r) return;
    const l = { provider: r.provider, model: r.model };
    calls.inc(l);
    tokens.inc({ ...l, direction: 'input' }, r.usage.inputTokens);
    tokens.inc({ ...l, direction: 'output' }, r.usage.outputTokens);
    latency.observe(l, r.latencyMs / 1000);
  };
}
