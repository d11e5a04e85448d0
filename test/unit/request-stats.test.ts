// /metrics keeps prom-client's exposition while requests are counted in plain arrays
// (runtime/server/request-stats.ts): the same observations give the same text and JSON as
// prom-client's own Counter and Histogram.
import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { RequestCounter, RequestHistogram, RequestStats } from '../../runtime/server/request-stats.js';

const BOUNDS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];
const COUNTER = { name: 'labctl_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['route', 'status'] as const };
const HISTOGRAM = { name: 'labctl_http_request_duration_seconds', help: 'HTTP request latency by route', labelNames: ['route'] as const, buckets: BOUNDS };

function observations(): Array<[string, number, number]> {
  const out: Array<[string, number, number]> = [];
  let x = 12345;
  for (let i = 0; i < 5000; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    const route = ['assign', 'assign_batch', 'healthz', 'events'][x % 4]!;
    const status = [200, 200, 200, 400, 404, 503][(x >> 3) % 6]!;
    // Latencies spread over every bucket, exact bounds included.
    const seconds = (x >> 5) % 10 === 0 ? BOUNDS[(x >> 9) % BOUNDS.length]! : ((x >> 7) % 100_000) / 50_000;
    out.push([route, status, seconds]);
  }
  return out;
}

describe('RequestStats exposes what prom-client would', () => {
  const ours = new Registry();
  const theirs = new Registry();
  const stats = new RequestStats(BOUNDS);
  new RequestCounter({ ...COUNTER, labelNames: [...COUNTER.labelNames], registers: [ours] }, stats);
  new RequestHistogram({ ...HISTOGRAM, labelNames: [...HISTOGRAM.labelNames], registers: [ours] }, stats);
  const counter = new Counter({ ...COUNTER, labelNames: [...COUNTER.labelNames], registers: [theirs] });
  const histogram = new Histogram({ ...HISTOGRAM, labelNames: [...HISTOGRAM.labelNames], registers: [theirs] });
  for (const [route, status, seconds] of observations()) {
    stats.observe(route, status, seconds);
    counter.labels(route, String(status)).inc();
    histogram.labels(route).observe(seconds);
  }

  it('the same Prometheus text, line by line (order within a metric aside)', async () => {
    const lines = async (r: Registry) => (await r.metrics()).split('\n').sort();
    const a = await lines(ours);
    expect(a.length).toBeGreaterThan(50);
    // Sums are added in the same order, so even the floating-point totals agree.
    expect(a).toEqual(await lines(theirs));
  });

  it('the same JSON (getMetricsAsJSON): names, labels and values', async () => {
    const norm = async (r: Registry) =>
      (await r.getMetricsAsJSON()).map((m) => ({
        name: m.name,
        type: m.type,
        values: m.values.map((v) => JSON.stringify([(v as { metricName?: string }).metricName ?? m.name, v.labels, v.value])).sort(),
      }));
    expect(await norm(ours)).toEqual(await norm(theirs));
  });

  it('counts every observation once', () => {
    const n = observations().length;
    const text = stats.histogramValues('h').filter((v) => v.metricName === 'h_count').reduce((s, v) => s + v.value, 0);
    expect(text).toBe(n);
  });
});
