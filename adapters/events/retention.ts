import type { Queryable } from '../../core/db.js';
import { ensurePartitionsAhead, forgetPartitions } from './partitions.js';

/**
 * Drop the monthly partitions that end at or before nowMs - retentionMs; returns their names.
 * Whole partitions only: a month is kept until its last instant is past the retention, and the
 * validator rejects events older than the retention meanwhile. The ids stay in labctl.event_ids.
 */
export async function dropExpiredPartitions(q: Queryable, nowMs: number, retentionMs: number): Promise<string[]> {
  const rows = await q.query<{ name: string }>('SELECT labctl.drop_event_partitions($1::timestamptz) AS name', [new Date(nowMs - retentionMs).toISOString()]);
  if (rows.length > 0) forgetPartitions(q);
  return rows.map((r) => r.name);
}

export interface EventStorageReport {
  /** Partitions created ahead. */
  created: number;
  /** Partitions dropped by retention. */
  dropped: string[];
}

/**
 * What every command that migrates does to the event store: create the current month's
 * partition and the next ones, and apply the retention when one is set.
 */
export async function maintainEventStorage(q: Queryable, opts: { nowMs: number; retentionMs?: number }): Promise<EventStorageReport> {
  const dropped = opts.retentionMs === undefined ? [] : await dropExpiredPartitions(q, opts.nowMs, opts.retentionMs);
  const created = await ensurePartitionsAhead(q, opts.nowMs);
  return { created, dropped };
}
