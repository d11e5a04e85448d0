import type { Queryable } from '../../core/db.js';
import type { StoreResult, ValidEvent } from '../../engine/events/types.js';
import { ensureMonths, forgetPartitions, knownMonths, monthKey } from './partitions.js';

// One statement per batch. The ids go into labctl.event_ids first; ON CONFLICT DO NOTHING RETURNING
// yields only the ids never stored before, and only those rows go into labctl.events. Both inserts
// are one statement, hence one atomic unit even outside a transaction: a batch is stored whole or
// not at all, and a retry of the same ids finds them all in event_ids and stores nothing twice.
// The text is the same whatever the batch size (seven array parameters), so the server parses one
// statement shape. Rows are inserted in the order of `ord`, which is the order of the ids: two
// replicas inserting overlapping batches take the unique-index locks in the same order and never
// deadlock.
const INSERT = `
WITH input AS (
  SELECT *
    FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::jsonb[], $5::float8[], $6::jsonb[], $7::int[])
      AS t(id, event, ts, attributes, value, properties, ord)
),
fresh AS (
  INSERT INTO labctl.event_ids (id, ts)
  SELECT id, ts FROM input ORDER BY ord
  ON CONFLICT (id) DO NOTHING
  RETURNING id
),
stored AS (
  INSERT INTO labctl.events (id, event, ts, attributes, value, properties)
  SELECT i.id, i.event, i.ts, i.attributes, i.value, i.properties
    FROM input i JOIN fresh f ON f.id = i.id
   ORDER BY i.ord
  RETURNING 1
)
SELECT count(*)::int AS accepted FROM stored`;

/** Whether an error is the insert finding no partition for a row's month. */
function isMissingPartition(e: unknown): boolean {
  const err = e as { code?: unknown; message?: unknown } | null;
  return err?.code === '23514' && /no partition of relation/.test(String(err.message));
}

/** The batch without repeated ids (the first occurrence wins), in id order. */
function distinctById(events: readonly ValidEvent[]): ValidEvent[] {
  const seen = new Map<string, ValidEvent>();
  for (const e of events) if (!seen.has(e.id)) seen.set(e.id, e);
  return [...seen.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function paramsOf(rows: readonly ValidEvent[]): unknown[] {
  const n = rows.length;
  const ids = new Array<string>(n);
  const names = new Array<string>(n);
  const ts = new Array<string>(n);
  const attributes = new Array<string>(n);
  const values = new Array<number | null>(n);
  const properties = new Array<string | null>(n);
  const ord = new Array<number>(n);
  rows.forEach((e, i) => {
    ids[i] = e.id;
    names[i] = e.event;
    ts[i] = new Date(e.ts).toISOString();
    attributes[i] = JSON.stringify(e.attributes);
    values[i] = e.value;
    properties[i] = e.properties === null ? null : JSON.stringify(e.properties);
    ord[i] = i;
  });
  return [ids, names, ts, attributes, values, properties, ord];
}

/**
 * Store a batch of validated events in one statement: `accepted` new ones, `duplicates` whose id was
 * stored before (by any batch, replica or import, at any time) or repeats an earlier event of this
 * batch. Creates the monthly partitions the batch needs (a backfill reaching months not yet made).
 */
export async function insertEvents(q: Queryable, events: ValidEvent[]): Promise<StoreResult> {
  if (events.length === 0) return { accepted: 0, duplicates: 0 };
  const rows = distinctById(events);
  const known = knownMonths(q);
  const missing = rows.filter((e) => !known.has(monthKey(e.ts))).map((e) => e.ts);
  if (missing.length > 0) await ensureMonths(q, missing);
  const params = paramsOf(rows);
  let result: Array<{ accepted: number }>;
  try {
    result = await q.query<{ accepted: number }>(INSERT, params);
  } catch (e) {
    // A partition this handle had seen was dropped since (retention in another process): make it
    // again and retry once. Nothing was stored by the failed statement.
    if (!isMissingPartition(e)) throw e;
    forgetPartitions(q);
    await ensureMonths(q, rows.map((r) => r.ts));
    result = await q.query<{ accepted: number }>(INSERT, params);
  }
  const accepted = result[0]?.accepted ?? 0;
  return { accepted, duplicates: events.length - accepted };
}
