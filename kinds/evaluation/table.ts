import type { Json, JsonObject } from '../../core/types.js';
import type { Queryable } from '../../core/db.js';
import { targetKindOf, type TargetSpec } from '../../engine/evaluation/spec.js';
import { HEADER_COLUMNS, headerRow, headerSpec, setPresent, upsertRows, type Column } from '../table-sql.js';
import type { KindTable } from '../types.js';

// labctl.evaluations: one row per Evaluation. The target is spread over typed columns (kind, name,
// the pinned or scored version, a model's alias and server) so runs and gates can be joined to it;
// dataset and asserts are jsonb exactly as in the normalised spec.

const EVALUATION_COLUMNS: readonly Column[] = [
  ...HEADER_COLUMNS,
  ['target_kind', 'text'],
  ['target_name', 'text'],
  ['target_version', 'text'],
  ['target_alias', 'text'],
  ['target_server', 'text'],
  ['target_output', 'jsonb'],
  ['dataset', 'jsonb'],
  ['asserts', 'jsonb'],
  ['pass_rate', 'double precision'],
];

interface EvaluationRow extends Record<string, unknown> {
  name: string;
  target_kind: 'prompt' | 'flow' | 'experiment' | 'model';
  target_name: string;
  target_version: string | null;
  target_alias: string | null;
  target_server: string | null;
  target_output: Json | null;
  dataset: JsonObject;
  asserts: Json[];
  pass_rate: number;
}

/** The target's typed columns: a prompt or flow reference `NAME@VERSION` is split at its `@`. */
function targetColumns(target: TargetSpec): Record<string, unknown> {
  const t = target as Record<string, Json | undefined>;
  const kind = targetKindOf(target)!;
  const ref = String(t[kind]);
  const at = kind === 'prompt' || kind === 'flow' ? ref.indexOf('@') : -1;
  return {
    target_kind: kind,
    target_name: at === -1 ? ref : ref.slice(0, at),
    target_version: at === -1 ? (t.version ?? null) : ref.slice(at + 1),
    target_alias: t.alias ?? null,
    target_server: t.server ?? null,
    target_output: t.output ?? null,
  };
}

/** The target spec from its columns. */
function targetSpec(r: EvaluationRow): JsonObject {
  const pinned = r.target_kind === 'prompt' || r.target_kind === 'flow';
  const t: JsonObject = { [r.target_kind]: pinned && r.target_version !== null ? `${r.target_name}@${r.target_version}` : r.target_name };
  setPresent(t, 'output', r.target_output);
  setPresent(t, 'alias', r.target_alias);
  if (!pinned) setPresent(t, 'version', r.target_version);
  setPresent(t, 'server', r.target_server);
  return t;
}

export const evaluationTable: KindTable = {
  async read(q: Queryable) {
    const rows = await q.query<EvaluationRow>('SELECT * FROM labctl.evaluations');
    return new Map(rows.map((r) => [r.name, { ...headerSpec(r), target: targetSpec(r), dataset: r.dataset, asserts: r.asserts, threshold: { pass_rate: r.pass_rate } }]));
  },
  async write(q, items) {
    await upsertRows(
      q,
      'labctl.evaluations',
      EVALUATION_COLUMNS,
      ['name'],
      items.map((i) => ({
        ...headerRow(i.name, i.spec),
        ...targetColumns(i.spec.target as unknown as TargetSpec),
        dataset: i.spec.dataset,
        asserts: i.spec.asserts,
        pass_rate: (i.spec.threshold as { pass_rate: number }).pass_rate,
      })),
    );
  },
};
