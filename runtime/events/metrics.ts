import { Counter, type Registry } from 'prom-client';
import type { EventIngestStats } from './routes.js';

/** Counters of POST /v1/events on a runtime's registry, read from the route's running totals at scrape time. */
export function registerEventMetrics(registry: Registry, stats: EventIngestStats): void {
  const counter = (name: string, help: string, read: () => number) => {
    let seen = 0;
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        const now = read();
        if (now > seen) this.inc(now - seen);
        seen = Math.max(seen, now);
      },
    });
  };
  counter('labctl_events_accepted_total', 'Events stored by POST /v1/events', () => stats.accepted);
  counter('labctl_events_duplicate_total', 'Events whose id was already stored (retries, repeats within a batch)', () => stats.duplicates);
  counter('labctl_events_rejected_total', 'Events rejected by validation', () => stats.rejected);
  counter('labctl_events_unavailable_total', 'POST /v1/events requests answered 503 because the database was unreachable', () => stats.unavailable);
}
