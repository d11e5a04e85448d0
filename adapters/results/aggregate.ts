import type { Database, Queryable } from '../../core/db.js';
import type { Component, MetricPlan } from '../../engine/results/metric-plan.js';

// One SQL query per experiment turns exposures and events into per-variant sufficient statistics:
// per component c the sums Σc (s_c) and Σc² (q_c), per product pair Σa·b (p_a_b), and the unit
// count n. The statistics are computed from these few numbers in TypeScript (engine/stats), so the
// database only scans and sums, which is what it is good at (and what a warehouse can do the same).

export interface VariantSums {
  units: number;
  /** s_<id>, q_<id>, p_<a>_<b>. */
  sums: Record<string, number>;
}

export interface Aggregates {
  /** First exposure of the phase, null before any. */
  startedAt: Date | null;
  variants: Map<string, VariantSums>;
}

export interface AggregateInput {
  experiment: string;
  phase: number;
  /** The attribute that links an event to a unit (the experiment's `unit`). */
  unit: string;
  plan: MetricPlan;
  /** Count exposures and events up to this time. */
  until: Date;
  /** The first exposure of the phase: events before it (less any pre-period) are skipped. */
  from?: Date;
}

/** Whole seconds as an interval literal (values come from parsed durations, never from a request). */
function seconds(n: number): string {
  return `interval '${Math.max(0, Math.floor(n))} seconds'`;
}

function componentSql(c: Component, param: (v: unknown) => string, propertyColumn: (name: string) => string): string {
  const ev = param(c.event);
  let cond = `e.event = ${ev}`;
  if (c.period === 'post') {
    cond += ' AND e.ts >= x.t0';
    if (c.windowSeconds !== null) cond += ` AND e.ts < x.t0 + ${seconds(c.windowSeconds)}`;
  } else {
    cond += ` AND e.ts < x.t0 AND e.ts >= x.t0 - ${seconds(c.windowSeconds ?? 0)}`;
  }
  switch (c.source.kind) {
    case 'exists':
      return `(count(*) FILTER (WHERE ${cond}) > 0)::int::float8`;
    case 'count':
      return `(count(*) FILTER (WHERE ${cond}))::float8`;
    case 'value':
      return `coalesce(sum(e.value) FILTER (WHERE ${cond}), 0)::float8`;
    case 'property':
      return `coalesce(sum(e.${propertyColumn(c.source.name)}) FILTER (WHERE ${cond}), 0)::float8`;
  }
}

/**
 * The SQL and its parameters for one experiment (exported for the tests and the benchmark).
 *
 * Shaped for PostgreSQL's planner: events are inner-joined to the exposures (a parallel hash
 * join; PostgreSQL 15 cannot run a right join in parallel) and only the columns the components
 * read travel through it (a property is extracted in the scan, never the whole jsonb). Units
 * without any event add nothing to a sum, so they are only counted, from the exposures.
 */
export function aggregateSql(input: AggregateInput): { sql: string; params: unknown[] } {
  const params: unknown[] = [input.experiment, input.phase, input.until.toISOString(), input.unit];
  const param = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  const { components, products } = input.plan;
  const events = [...new Set(components.map((c) => c.event))];
  const eventsParam = param(events);
  const fromParam = param((input.from ?? new Date(0)).toISOString());
  const lookback = Math.max(0, ...components.filter((c) => c.period === 'pre').map((c) => c.windowSeconds ?? 0));
  const properties = new Map<string, string>();
  const propertyColumn = (name: string) => {
    let col = properties.get(name);
    if (!col) {
      col = `pv${properties.size}`;
      properties.set(name, col);
    }
    return col;
  };
  const perUnit = components.map((c) => `${componentSql(c, param, propertyColumn)} AS ${c.id}`);
  const eventColumns = ['ev.attributes ->> $4 AS unit', 'ev.event', 'ev.ts'];
  if (components.some((c) => c.source.kind === 'value')) eventColumns.push('ev.value');
  for (const [name, col] of properties) {
    const p = param(name);
    eventColumns.push(`CASE WHEN jsonb_typeof(ev.properties -> ${p}) = 'number' THEN (ev.properties ->> ${p})::float8 END AS ${col}`);
  }
  const percentiles = components.filter((c) => c.cap && 'percentile' in c.cap);
  const capped = components.map((c) => {
    if (c.cap && 'value' in c.cap) return `LEAST(u.${c.id}, ${param(c.cap.value)}::float8) AS ${c.id}`;
    if (c.cap && 'percentile' in c.cap) return `LEAST(u.${c.id}, coalesce(k.k_${c.id}, u.${c.id})) AS ${c.id}`;
    if (c.capOf && percentiles.some((p) => p.id === c.capOf)) return `LEAST(u.${c.id}, coalesce(k.k_${c.capOf}, u.${c.id})) AS ${c.id}`;
    return `u.${c.id}`;
  });
  const caps = percentiles.map((c) => `percentile_cont(${param((c.cap as { percentile: number }).percentile)}::float8) WITHIN GROUP (ORDER BY u.${c.id}) FILTER (WHERE u.${c.id} > 0) AS k_${c.id}`);
  const sums = [
    ...components.flatMap((c) => [`sum(v.${c.id})::float8 AS s_${c.id}`, `sum(v.${c.id} * v.${c.id})::float8 AS q_${c.id}`]),
    ...products.map(([a, b]) => `sum(v.${a} * v.${b})::float8 AS p_${a}_${b}`),
  ];
  const sql = `
WITH x AS (
  SELECT unit, variant, first_exposed_at AS t0 FROM labctl.exposures
   WHERE experiment = $1 AND phase = $2 AND first_exposed_at <= $3::timestamptz
),
e AS (
  SELECT ${eventColumns.join(', ')}
    FROM labctl.events ev
   WHERE ev.event = ANY(${eventsParam}::text[]) AND ev.ts <= $3::timestamptz
     AND ev.ts >= ${fromParam}::timestamptz - ${seconds(lookback)}
),
u AS (
  SELECT x.variant${perUnit.map((p) => `,\n         ${p}`).join('')}
    FROM x JOIN e ON e.unit = x.unit
   GROUP BY x.unit, x.variant
),
k AS (${caps.length > 0 ? `SELECT ${caps.join(', ')} FROM u` : 'SELECT 1 AS none'}),
v AS (SELECT u.variant${capped.map((c) => `, ${c}`).join('')} FROM u CROSS JOIN k),
s AS (SELECT v.variant, ${sums.join(', ')} FROM v GROUP BY v.variant),
n AS (
  SELECT variant, count(*)::float8 AS n FROM labctl.exposures
   WHERE experiment = $1 AND phase = $2 AND first_exposed_at <= $3::timestamptz
   GROUP BY variant
)
SELECT n.variant, n.n${sums.map((x) => `, s.${x.slice(x.lastIndexOf(' AS ') + 4)}`).join('')} FROM n LEFT JOIN s ON s.variant = n.variant`;
  return { sql, params };
}

/**
 * Run fn in a transaction with settings for one large scan-join-aggregate: enough work_mem for the
 * per-unit hash aggregate to stay in memory (the 4 MB default spills a million units to disk), and
 * no JIT (its compile time is a large share of a query that runs for seconds), and parallel workers
 * for the join and a partial aggregate. SET LOCAL ends
 * with the transaction, so pooled connections are not affected.
 */
async function tuned<T>(q: Queryable | Database, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  if (!('transaction' in q)) return fn(q);
  return q.transaction(async (tx) => {
    await tx.query("SET LOCAL work_mem = '256MB'");
    await tx.query('SET LOCAL jit = off');
    // The join hands millions of narrow rows to the aggregate: at the default tuple cost the
    // planner never runs it in parallel, although two workers halve it (measured in bench/results.js).
    await tx.query('SET LOCAL parallel_tuple_cost = 0.01');
    return fn(tx);
  });
}

/** Per-variant sums of an experiment phase (variants without exposures are absent). */
export async function aggregateExperiment(db: Queryable | Database, input: AggregateInput): Promise<Aggregates> {
  return tuned(db, (q) => aggregateIn(q, input));
}

async function aggregateIn(q: Queryable, input: AggregateInput): Promise<Aggregates> {
  const started = await q.query<{ t: Date | string | null }>('SELECT min(first_exposed_at) AS t FROM labctl.exposures WHERE experiment = $1 AND phase = $2', [input.experiment, input.phase]);
  const variants = new Map<string, VariantSums>();
  if (input.plan.components.length === 0) {
    const rows = await q.query<{ variant: string; n: number | string }>(
      'SELECT variant, count(*) AS n FROM labctl.exposures WHERE experiment = $1 AND phase = $2 AND first_exposed_at <= $3::timestamptz GROUP BY variant',
      [input.experiment, input.phase, input.until.toISOString()],
    );
    for (const r of rows) variants.set(r.variant, { units: Number(r.n), sums: {} });
  } else {
    const first = started[0]?.t;
    const { sql, params } = aggregateSql({ ...input, from: first ? new Date(first) : input.until });
    const rows = await q.query<Record<string, unknown> & { variant: string; n: number }>(sql, params);
    for (const r of rows) {
      const sums: Record<string, number> = {};
      for (const [k, v] of Object.entries(r)) if (k !== 'variant' && k !== 'n') sums[k] = v === null ? 0 : Number(v);
      variants.set(r.variant, { units: Number(r.n), sums });
    }
  }
  const t = started[0]?.t;
  return { startedAt: t ? new Date(t) : null, variants };
}
