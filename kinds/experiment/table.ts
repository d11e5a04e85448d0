import type { Json, JsonObject } from '../../core/types.js';
import type { Queryable } from '../../core/db.js';
import { HEADER_COLUMNS, headerRow, headerSpec, setPresent, upsertRows, type Column } from '../table-sql.js';
import type { KindTable } from '../types.js';

const EXPERIMENT_COLUMNS: readonly Column[] = [
  ...HEADER_COLUMNS,
  ['status', 'text'],
  ['unit', 'text'],
  ['seed', 'text'],
  ['coverage', 'double precision'],
  ['phase', 'integer'],
  ['layer_name', 'text'],
  ['layer_start', 'double precision'],
  ['layer_end', 'double precision'],
  ['schedule_start', 'timestamptz'],
  ['schedule_end', 'timestamptz'],
  ['targeting', 'jsonb'],
  ['overrides', 'jsonb'],
  ['primary_metrics', 'text[]'],
  ['guardrail_metrics', 'text[]'],
  ['secondary_metrics', 'text[]'],
  ['analysis', 'jsonb'],
  ['decision', 'jsonb'],
];

const VARIANT_COLUMNS: readonly Column[] = [
  ['experiment', 'text'],
  ['position', 'integer'],
  ['key', 'text'],
  ['weight', 'double precision'],
  // Rows carry { v: value } so a JSON null value survives jsonb_to_recordset (which maps JSON null to SQL NULL).
  ['value', 'jsonb', "value -> 'v'"],
  ['description', 'text'],
];

interface ExperimentRow extends Record<string, unknown> {
  name: string;
  status: string;
  unit: string;
  seed: string;
  coverage: number;
  phase: number;
  layer_name: string | null;
  layer_start: number | null;
  layer_end: number | null;
  schedule_start: Date | null;
  schedule_end: Date | null;
  targeting: Json | null;
  overrides: Json | null;
  primary_metrics: string[] | null;
  guardrail_metrics: string[] | null;
  secondary_metrics: string[] | null;
  analysis: Json | null;
  decision: Json | null;
}

interface VariantRow {
  experiment: string;
  key: string;
  weight: number;
  value: Json | null;
  has_value: boolean;
  description: string | null;
}

function toRow(name: string, s: JsonObject): Record<string, unknown> {
  const layer = s.layer as { name: string; range: [number, number] } | undefined;
  const schedule = (s.schedule ?? {}) as { start?: string; end?: string };
  const metrics = (s.metrics ?? {}) as Record<string, string[] | undefined>;
  return {
    ...headerRow(name, s),
    status: s.status,
    unit: s.unit,
    seed: s.seed,
    coverage: s.coverage,
    phase: s.phase,
    layer_name: layer?.name ?? null,
    layer_start: layer?.range[0] ?? null,
    layer_end: layer?.range[1] ?? null,
    schedule_start: schedule.start ?? null,
    schedule_end: schedule.end ?? null,
    targeting: s.targeting ?? null,
    overrides: s.overrides ?? null,
    primary_metrics: metrics.primary ?? null,
    guardrail_metrics: metrics.guardrails ?? null,
    secondary_metrics: metrics.secondary ?? null,
    analysis: s.analysis ?? null,
    decision: s.decision ?? null,
  };
}

function fromRows(r: ExperimentRow, variants: VariantRow[]): JsonObject {
  const s = headerSpec(r);
  s.status = r.status;
  s.unit = r.unit;
  s.seed = r.seed;
  s.phase = r.phase;
  s.coverage = r.coverage;
  s.variants = variants.map((v) => {
    const out: JsonObject = { key: v.key, weight: v.weight };
    if (v.has_value) out.value = v.value;
    setPresent(out, 'description', v.description);
    return out;
  });
  setPresent(s, 'targeting', r.targeting);
  if (r.layer_name !== null) s.layer = { name: r.layer_name, range: [r.layer_start ?? 0, r.layer_end ?? 0] };
  if (r.schedule_start || r.schedule_end) {
    const sch: JsonObject = {};
    if (r.schedule_start) sch.start = new Date(r.schedule_start).toISOString();
    if (r.schedule_end) sch.end = new Date(r.schedule_end).toISOString();
    s.schedule = sch;
  }
  setPresent(s, 'overrides', r.overrides);
  const m: JsonObject = {};
  if (r.primary_metrics?.length) m.primary = r.primary_metrics;
  if (r.secondary_metrics?.length) m.secondary = r.secondary_metrics;
  if (r.guardrail_metrics?.length) m.guardrails = r.guardrail_metrics;
  if (Object.keys(m).length) s.metrics = m;
  setPresent(s, 'analysis', r.analysis);
  setPresent(s, 'decision', r.decision);
  return s;
}

export const experimentTable: KindTable = {
  async read(q: Queryable) {
    const rows = await q.query<ExperimentRow>('SELECT * FROM labctl.experiments');
    // JSON null is a legitimate variant value; value IS NOT NULL tells it apart from an absent one.
    const vrows = await q.query<VariantRow>(
      "SELECT experiment, key, weight, value, (value IS NOT NULL) AS has_value, description FROM labctl.experiment_variants ORDER BY experiment, position",
    );
    const byExp = new Map<string, VariantRow[]>();
    for (const v of vrows) {
      const list = byExp.get(v.experiment) ?? [];
      list.push(v);
      byExp.set(v.experiment, list);
    }
    return new Map(rows.map((r) => [r.name, fromRows(r, byExp.get(r.name) ?? [])]));
  },
  async write(q: Queryable, items) {
    if (items.length === 0) return;
    await upsertRows(q, 'labctl.experiments', EXPERIMENT_COLUMNS, ['name'], items.map((i) => toRow(i.name, i.spec)));
    await q.query('DELETE FROM labctl.experiment_variants WHERE experiment = ANY($1::text[])', [items.map((i) => i.name)]);
    const variants = items.flatMap((i) =>
      (i.spec.variants as JsonObject[]).map((v, position) => ({
        experiment: i.name,
        position,
        key: v.key,
        weight: v.weight,
        value: v.value === undefined ? null : { v: v.value },
        description: v.description ?? null,
      })),
    );
    await upsertRows(q, 'labctl.experiment_variants', VARIANT_COLUMNS, ['experiment', 'key'], variants);
  },
};
