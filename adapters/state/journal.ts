/**
 * The MLflow journal: an apply writes its registry steps (and a pending promotion record for every
 * alias move) in its own transaction; they run after the commit and are marked done one by one.
 * Whatever is left pending — a crash, MLflow down — is completed by the next apply or
 * `labctl apply --resume`.
 */
import type { Queryable } from '../../core/db.js';
import type { RegistryStep } from '../../core/registry.js';

export interface JournalEntry {
  id: string;
  runId: string;
  seq: number;
  model: string;
  step: RegistryStep;
  attempts: number;
  error: string | null;
  createdAt: string;
  /** The commit and actor of the apply that wrote it, and whether its specs differed from that commit. */
  gitSha: string;
  gitDirty: boolean;
  actor: string;
}

/** Write the steps of one apply (inside its transaction). */
export async function writeJournal(q: Queryable, runId: string, steps: readonly RegistryStep[], meta: { gitSha: string; actor: string }): Promise<void> {
  if (steps.length === 0) return;
  const rows = await q.query<{ id: string; seq: number }>(
    `INSERT INTO labctl.mlflow_journal (run_id, seq, model, step)
     SELECT $1::bigint, t.seq, t.model, t.step FROM jsonb_to_recordset($2::jsonb) AS t(seq int, model text, step jsonb)
     RETURNING id::text AS id, seq`,
    [runId, JSON.stringify(steps.map((s, i) => ({ seq: i + 1, model: s.model, step: s })))],
  );
  const idBySeq = new Map(rows.map((r) => [r.seq, r.id]));
  const moves = steps.flatMap((s, i) =>
    s.op === 'set-alias'
      ? [{ model: s.model, mlflow_name: s.mlflowName, alias: s.alias, from_version: s.from, to_version: s.version, policy: s.policy ?? null, reason: s.reason, gates: s.gates ?? [], journal_id: idBySeq.get(i + 1) }]
      : [],
  );
  if (moves.length === 0) return;
  await q.query(
    `INSERT INTO labctl.promotions (model, mlflow_name, alias, from_version, to_version, policy, reason, gates, git_sha, actor, run_id, journal_id)
     SELECT t.model, t.mlflow_name, t.alias, t.from_version, t.to_version, t.policy, t.reason, t.gates, $2, $3, $4::bigint, t.journal_id
       FROM jsonb_to_recordset($1::jsonb) AS t(model text, mlflow_name text, alias text, from_version text, to_version text, policy text, reason text, gates jsonb, journal_id bigint)`,
    [JSON.stringify(moves), meta.gitSha, meta.actor, runId],
  );
}

/** Steps not yet done (failed ones excluded), oldest first. */
export async function readPending(q: Queryable): Promise<JournalEntry[]> {
  const rows = await q.query<{ id: string; run_id: string; seq: number; model: string; step: RegistryStep; attempts: number; error: string | null; created_at: Date; git_sha: string; git_dirty: boolean; actor: string }>(
    `SELECT j.id::text AS id, j.run_id::text AS run_id, j.seq, j.model, j.step, j.attempts, j.error, j.created_at, r.git_sha, r.git_dirty, r.actor
       FROM labctl.mlflow_journal j JOIN labctl.runs r ON r.id = j.run_id
      WHERE j.status = 'pending' ORDER BY j.id`,
  );
  return rows.map((r) => ({
    id: r.id,
    runId: r.run_id,
    seq: r.seq,
    model: r.model,
    step: typeof r.step === 'string' ? (JSON.parse(r.step) as RegistryStep) : r.step,
    attempts: r.attempts,
    error: r.error,
    createdAt: new Date(r.created_at).toISOString(),
    gitSha: r.git_sha,
    gitDirty: r.git_dirty,
    actor: r.actor,
  }));
}

/** Mark a step done (and its promotion record completed). */
export async function markDone(q: Queryable, id: string): Promise<void> {
  await q.query(`UPDATE labctl.mlflow_journal SET status = 'done', attempts = attempts + 1, error = NULL, done_at = now() WHERE id = $1`, [id]);
  await q.query(`UPDATE labctl.promotions SET status = 'done', completed_at = now() WHERE journal_id = $1`, [id]);
}

/** Record a failed attempt: terminal failures are not retried, the others stay pending. */
export async function markFailed(q: Queryable, id: string, error: string, terminal: boolean): Promise<void> {
  await q.query(`UPDATE labctl.mlflow_journal SET status = $2, attempts = attempts + 1, error = $3 WHERE id = $1`, [id, terminal ? 'failed' : 'pending', error]);
  if (terminal) await q.query(`UPDATE labctl.promotions SET status = 'failed' WHERE journal_id = $1`, [id]);
}

/** How many steps are pending (for status). */
export async function countPending(q: Queryable): Promise<number> {
  const rows = await q.query<{ n: string }>(`SELECT count(*)::text AS n FROM labctl.mlflow_journal WHERE status = 'pending'`);
  return Number(rows[0]?.n ?? 0);
}
