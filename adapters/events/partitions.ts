import type { Queryable } from '../../core/db.js';

// The monthly partitions of labctl.events (labctl.events_YYYYMM, UTC months). They are made by
// labctl.ensure_event_partitions (migration 0006), which takes an advisory lock only when a month
// is missing, so calling it for months that exist is one cheap statement.

/** How many months after the current one `labctl migrate` creates ahead. */
export const MONTHS_AHEAD = 2;

/** First instant (epoch ms) of a UTC month; month may run past 11 (Date.UTC would read years below 100 as 19xx). */
export function utcMonth(year: number, month: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month, 1);
  return d.getTime();
}

/** First instant (epoch ms) of the UTC month holding ms. */
export function monthStart(ms: number): number {
  const d = new Date(ms);
  return utcMonth(d.getUTCFullYear(), d.getUTCMonth());
}

/** `YYYYMM` of the UTC month holding ms: the suffix of its partition's name. */
export function monthKey(ms: number): string {
  const d = new Date(ms);
  return `${String(d.getUTCFullYear()).padStart(4, '0')}${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

/**
 * Months known to have a partition, per database handle: the store skips the round trip for them.
 * Keyed weakly by the handle so each database (and each test's) has its own; a transaction handle
 * is new each time, so inside one the months are always checked.
 */
const known = new WeakMap<object, Set<string>>();

export function knownMonths(q: Queryable): Set<string> {
  let s = known.get(q);
  if (!s) known.set(q, (s = new Set()));
  return s;
}

/** Forget what is known about q's partitions (after retention dropped some, or an insert found one missing). */
export function forgetPartitions(q: Queryable): void {
  known.delete(q);
}

/** Create the partitions of the given months (epoch ms, any instant inside each) that are missing; returns how many were created. */
export async function ensureMonths(q: Queryable, instants: number[]): Promise<number> {
  if (instants.length === 0) return 0;
  const starts = [...new Set(instants.map(monthStart))].sort((a, b) => a - b);
  const rows = await q.query<{ created: number | null }>(
    'SELECT coalesce(sum(labctl.ensure_event_partitions(m, m)), 0)::int AS created FROM unnest($1::timestamptz[]) AS m',
    [starts.map((s) => new Date(s).toISOString())],
  );
  const cache = knownMonths(q);
  for (const s of starts) cache.add(monthKey(s));
  return rows[0]?.created ?? 0;
}

/** The current month and the MONTHS_AHEAD after it (run at migrate time, so live traffic never waits on DDL). */
export async function ensurePartitionsAhead(q: Queryable, nowMs: number, monthsAhead = MONTHS_AHEAD): Promise<number> {
  const d = new Date(nowMs);
  const months = Array.from({ length: monthsAhead + 1 }, (_, i) => utcMonth(d.getUTCFullYear(), d.getUTCMonth() + i));
  return ensureMonths(q, months);
}

export interface EventPartition {
  name: string;
  /** Inclusive lower bound, epoch ms. */
  from: number;
  /** Exclusive upper bound, epoch ms. */
  to: number;
}

/** The monthly partitions that exist, oldest first. */
export async function listPartitions(q: Queryable): Promise<EventPartition[]> {
  const rows = await q.query<{ name: string }>(
    `SELECT c.relname::text AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = 'labctl.events'::regclass ORDER BY c.relname`,
  );
  return rows.flatMap((r) => {
    const m = /^events_(\d{4})(\d{2})$/.exec(r.name);
    if (!m) return [];
    const y = Number(m[1]);
    const mo = Number(m[2]) - 1;
    return [{ name: r.name, from: utcMonth(y, mo), to: utcMonth(y, mo + 1) }];
  });
}
