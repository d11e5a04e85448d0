/** The promotion trail of a model: every alias move labctl made, newest first. */
import type { Queryable } from '../../core/db.js';
import type { AliasReason, GateResult } from '../../core/registry.js';

export interface PromotionRecord {
  id: string;
  model: string;
  mlflowName: string;
  alias: string;
  from: string | null;
  to: string;
  policy: string | null;
  reason: AliasReason;
  gates: GateResult[];
  gitSha: string;
  /** The apply that journaled this move ran from uncommitted spec edits. */
  gitDirty: boolean;
  actor: string;
  runId: string;
  /** pending: journaled, MLflow not yet changed; done: set and verified; failed: MLflow refused it. */
  status: 'pending' | 'done' | 'failed';
  plannedAt: string;
  completedAt: string | null;
}

/** The trail of one model (all aliases unless alias is given), newest first. */
export async function readPromotionHistory(q: Queryable, model: string, opts: { alias?: string; limit?: number } = {}): Promise<PromotionRecord[]> {
  const rows = await q.query<{
    id: string;
    model: string;
    mlflow_name: string;
    alias: string;
    from_version: string | null;
    to_version: string;
    policy: string | null;
    reason: AliasReason;
    gates: GateResult[] | string;
    git_sha: string;
    git_dirty: boolean | null;
    actor: string;
    run_id: string;
    status: PromotionRecord['status'];
    planned_at: Date;
    completed_at: Date | null;
  }>(
    `SELECT p.id::text AS id, p.model, p.mlflow_name, p.alias, p.from_version, p.to_version, p.policy, p.reason, p.gates, p.git_sha, r.git_dirty,
            p.actor, p.run_id::text AS run_id, p.status, p.planned_at, p.completed_at
       FROM labctl.promotions p LEFT JOIN labctl.runs r ON r.id = p.run_id
      WHERE p.model = $1 AND ($2::text IS NULL OR p.alias = $2) ORDER BY p.id DESC LIMIT $3`,
    [model, opts.alias ?? null, opts.limit ?? 100],
  );
  return rows.map((r) => ({
    id: r.id,
    model: r.model,
    mlflowName: r.mlflow_name,
    alias: r.alias,
    from: r.from_version,
    to: r.to_version,
    policy: r.policy,
    reason: r.reason,
    gates: typeof r.gates === 'string' ? (JSON.parse(r.gates) as GateResult[]) : r.gates,
    gitSha: r.git_sha,
    gitDirty: r.git_dirty ?? false,
    actor: r.actor,
    runId: r.run_id,
    status: r.status,
    plannedAt: new Date(r.planned_at).toISOString(),
    completedAt: r.completed_at ? new Date(r.completed_at).toISOString() : null,
  }));
}

/** Models that have a trail (for a did-you-mean when the name is wrong). */
export async function modelsWithHistory(q: Queryable): Promise<string[]> {
  const rows = await q.query<{ model: string }>('SELECT DISTINCT model FROM labctl.promotions ORDER BY model');
  return rows.map((r) => r.model);
}

/** The trail for a terminal. Pure. */
export function renderHistoryText(model: string, records: readonly PromotionRecord[]): string {
  if (records.length === 0) return `No alias moves recorded for model ${model}.\n`;
  const lines = [`Alias moves of model ${model} (${records[0]!.mlflowName} in MLflow), newest first:`, ''];
  for (const r of records) {
    const when = r.completedAt ?? r.plannedAt;
    const what = r.reason === 'promotion' ? `promoted version ${r.to} to ${r.alias}` : r.reason === 'restore' ? `restored ${r.alias} to version ${r.to}` : `pinned ${r.alias} to version ${r.to}`;
    const state = r.status === 'done' ? '' : ` [${r.status}]`;
    lines.push(`${when}  ${what}${r.from !== null ? ` (was version ${r.from})` : ' (was not set)'}${state}`);
    lines.push(`    ${r.policy ? `policy ${r.policy}, ` : ''}by ${r.actor}, git ${r.gitSha.slice(0, 12)}${r.gitDirty ? ' + uncommitted changes' : ''}, run #${r.runId}`);
    for (const g of r.gates) lines.push(`    ${g.skipped ? '–' : g.passed ? '✓' : '✗'} ${g.text}`);
  }
  return lines.join('\n') + '\n';
}
