import { Counter, Gauge, Registry } from 'prom-client';
import { RequestCounter, RequestHistogram, RequestStats } from './request-stats.js';
import type { ExposureWriter } from '../exposures/writer.js';
import type { LiveSnapshot } from '../live/live.js';

/** Prometheus metrics of one runtime server, on its own registry (no process-global state). */
export class RuntimeMetrics {
  readonly registry = new Registry();
  private readonly stats = new RequestStats([0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1]);

  constructor(live: () => LiveSnapshot | undefined, exposures: () => ExposureWriter | undefined) {
    const registers = [this.registry];
    new RequestCounter({ name: 'labctl_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['route', 'status'], registers }, this.stats);
    new RequestHistogram(
      { name: 'labctl_http_request_duration_seconds', help: 'HTTP request latency by route', labelNames: ['route'], buckets: [...this.stats.bounds], registers },
      this.stats,
    );
    new Gauge({
      name: 'labctl_snapshot_age_seconds',
      help: 'Seconds since the served snapshot was last confirmed against the database',
      registers,
      collect() {
        const l = live();
        if (l) this.set(l.health().ageSeconds);
      },
    });
    // Counters over monotonic totals kept elsewhere: add the growth since the last scrape.
    const counterOf = (name: string, help: string, read: () => number | undefined) => {
      let seen = 0;
      new Counter({
        name,
        help,
        registers,
        collect() {
          const now = read();
          if (now === undefined) return;
          if (now > seen) this.inc(now - seen);
          seen = Math.max(seen, now);
        },
      });
    };
    counterOf('labctl_snapshot_reloads_total', 'Snapshot reloads since start', () => live()?.health().reloads);
    new Gauge({
      name: 'labctl_snapshot_degraded',
      help: '1 while the database is unreachable and the last good snapshot is served',
      registers,
      collect() {
        const l = live();
        if (l) this.set(l.health().status === 'degraded' ? 1 : 0);
      },
    });
    new Gauge({
      name: 'labctl_snapshot_experiments',
      help: 'Experiments in the served snapshot',
      labelNames: ['state'],
      registers,
      collect() {
        const l = live();
        if (!l) return;
        this.set({ state: 'running' }, l.current.running.length);
        this.set({ state: 'all' }, l.current.experiments.size);
      },
    });
    counterOf('labctl_exposures_written_total', 'First exposures written to the database', () => exposures()?.stats.written);
    counterOf('labctl_exposures_dropped_total', 'Exposures dropped because the buffer was full', () => exposures()?.stats.dropped);
    new Gauge({
      name: 'labctl_exposures_buffered',
      help: 'Exposures waiting to be written',
      registers,
      collect() {
        const w = exposures();
        if (w) this.set(w.stats.buffered);
      },
    });
  }

  /** Record one request (plain counters; prom-client reads them when scraped). */
  observe(route: string, status: number, seconds: number): void {
    this.stats.observe(route, status, seconds);
  }
}
