import { specHash } from '../../core/hash.js';
import type { ActualResource, Change, JsonObject, Plan } from '../../core/types.js';
import type { Queryable } from '../../core/db.js';
import { KINDS } from '../../kinds/index.js';
import type { KindDef } from '../../kinds/types.js';

interface ResourceRow {
  kind: string;
  name: string;
  spec_hash: string;
  generation: number;
  git_sha: string;
  applied_at: Date;
  archived_at: Date | null;
}

/** Read the actual state: every managed resource with its spec rebuilt from the typed tables. */
export async function readActualState(q: Queryable, kinds: readonly KindDef[] = KINDS): Promise<ActualResource[]> {
  const rows = await q.query<ResourceRow>('SELECT kind, name, spec_hash, generation, git_sha, applied_at, archived_at FROM labctl.resources');
  const specs = new Map<string, Map<string, JsonObject>>();
  for (const k of kinds) specs.set(k.kind, await k.table.read(q));
  return rows.map((r) => ({
    kind: r.kind,
    name: r.name,
    // A typed row deleted by hand reads as an empty spec: drift that the next apply restores.
    spec: specs.get(r.kind)?.get(r.name) ?? {},
    recordedHash: r.spec_hash,
    generation: r.generation,
    archived: r.archived_at !== null,
    gitSha: r.git_sha,
    appliedAt: new Date(r.applied_at).toISOString(),
  }));
}

export interface WriteMeta {
  gitSha: string;
  /** The spec files differed from gitSha (uncommitted edits). */
  gitDirty?: boolean;
  actor: string;
}

/** Write the plan's changes (creates, updates, archives) into the typed tables and the resource index. */
export async function writeChanges(q: Queryable, changes: readonly Change[], meta: WriteMeta, kinds: readonly KindDef[] = KINDS): Promise<void> {
  const byKind = new Map<string, Change[]>();
  for (const c of changes) {
    if (c.action !== 'create' && c.action !== 'update') continue;
    const list = byKind.get(c.kind) ?? [];
    list.push(c);
    byKind.set(c.kind, list);
  }
  for (const [kind, list] of byKind) {
    const table = kinds.find((k) => k.kind === kind)?.table;
    // Unreachable for validated specs (every kind has a table); a plan file may name anything.
    if (!table) throw new Error(`no table for kind ${kind}`);
    await table.write(q, list.map((c) => ({ name: c.name, spec: c.after! })), { gitSha: meta.gitSha, gitDirty: meta.gitDirty ?? false });
  }
  const upserts = changes
    .filter((c) => c.action === 'create' || c.action === 'update')
    .map((c) => ({ kind: c.kind, name: c.name, spec_hash: specHash(c.after!), source_file: c.source?.file ?? null }));
  if (upserts.length > 0) {
    await q.query(
      `INSERT INTO labctl.resources (kind, name, spec_hash, generation, git_sha, source_file, applied_at, archived_at)
       SELECT kind, name, spec_hash, 1, $2, source_file, now(), NULL FROM jsonb_to_recordset($1::jsonb) AS t(kind text, name text, spec_hash text, source_file text)
       ON CONFLICT (kind, name) DO UPDATE SET spec_hash = EXCLUDED.spec_hash, generation = labctl.resources.generation + 1,
         git_sha = EXCLUDED.git_sha, source_file = EXCLUDED.source_file, applied_at = EXCLUDED.applied_at, archived_at = NULL`,
      [JSON.stringify(upserts), meta.gitSha],
    );
  }
  const archives = changes.filter((c) => c.action === 'archive').map((c) => ({ kind: c.kind, name: c.name }));
  if (archives.length > 0) {
    await q.query(
      `UPDATE labctl.resources r SET archived_at = now(), generation = r.generation + 1, git_sha = $2
         FROM jsonb_to_recordset($1::jsonb) AS t(kind text, name text) WHERE r.kind = t.kind AND r.name = t.name`,
      [JSON.stringify(archives), meta.gitSha],
    );
  }
}

export type RunOutcome = 'applied' | 'no-op' | 'failed' | 'refused' | 'stale';

/** The plan as kept in the audit trail: no-op entries dropped to keep it small. */
function auditPlan(plan: Plan | undefined): string | null {
  if (!plan) return null;
  return JSON.stringify({ ...plan, changes: plan.changes.filter((c) => c.action !== 'no-op') });
}

/** Append a row to the audit trail; returns its id. */
export async function recordRun(q: Queryable, r: { actor: string; gitSha: string; gitDirty?: boolean; outcome: RunOutcome; plan?: Plan; error?: string }): Promise<string> {
  const s = r.plan?.summary;
  const rows = await q.query<{ id: string }>(
    `INSERT INTO labctl.runs (actor, git_sha, git_dirty, revision, outcome, added, changed, archived, error, plan, finished_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, now()) RETURNING id::text AS id`,
    [r.actor, r.gitSha, r.gitDirty ?? false, r.plan?.revision ?? null, r.outcome, s?.add ?? 0, s?.change ?? 0, s?.archive ?? 0, r.error ?? null, auditPlan(r.plan)],
  );
  return rows[0]!.id;
}

/** Record the revision now applied. */
export async function setAppliedRevision(q: Queryable, revision: string, gitSha: string, runId: string): Promise<void> {
  await q.query(
    `INSERT INTO labctl.state (id, revision, git_sha, run_id, applied_at) VALUES (true, $1, $2, $3, now())
     ON CONFLICT (id) DO UPDATE SET revision = EXCLUDED.revision, git_sha = EXCLUDED.git_sha, run_id = EXCLUDED.run_id, applied_at = EXCLUDED.applied_at`,
    [revision, gitSha, runId],
  );
}

export interface StatusReport {
  revision: string | null;
  gitSha: string | null;
  /** The applied specs differed from gitSha (an apply of uncommitted edits). */
  gitDirty: boolean;
  appliedAt: string | null;
  lastRun: { id: string; actor: string; outcome: string; startedAt: string; gitSha: string; gitDirty: boolean; error: string | null } | null;
  counts: Array<{ kind: string; active: number; archived: number }>;
  drift: Array<{ kind: string; name: string }>;
}

/** What `labctl status` shows: applied revision, last run, counts per kind, drifted resources. */
export async function readStatus(q: Queryable): Promise<StatusReport> {
  const state = (
    await q.query<{ revision: string; git_sha: string; git_dirty: boolean | null; applied_at: Date }>(
      'SELECT s.revision, s.git_sha, r.git_dirty, s.applied_at FROM labctl.state s LEFT JOIN labctl.runs r ON r.id = s.run_id',
    )
  )[0];
  const run = (
    await q.query<{ id: string; actor: string; outcome: string; started_at: Date; git_sha: string; git_dirty: boolean; error: string | null }>(
      'SELECT r.id::text AS id, r.actor, r.outcome, r.started_at, r.git_sha, r.git_dirty, r.error FROM labctl.runs r ORDER BY r.id DESC LIMIT 1',
    )
  )[0];
  const actual = await readActualState(q);
  const counts = new Map<string, { kind: string; active: number; archived: number }>();
  for (const a of actual) {
    const c = counts.get(a.kind) ?? { kind: a.kind, active: 0, archived: 0 };
    if (a.archived) c.archived++;
    else c.active++;
    counts.set(a.kind, c);
  }
  return {
    revision: state?.revision ?? null,
    gitSha: state?.git_sha ?? null,
    gitDirty: state?.git_dirty ?? false,
    appliedAt: state ? new Date(state.applied_at).toISOString() : null,
    lastRun: run ? { id: run.id, actor: run.actor, outcome: run.outcome, startedAt: new Date(run.started_at).toISOString(), gitSha: run.git_sha, gitDirty: run.git_dirty, error: run.error } : null,
    counts: [...counts.values()].sort((a, b) => a.kind.localeCompare(b.kind)),
    drift: actual.filter((a) => !a.archived && specHash(a.spec) !== a.recordedHash).map((a) => ({ kind: a.kind, name: a.name })),
  };
}
