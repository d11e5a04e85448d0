import { diff, fingerprint, hasChanges, massArchives, revisionAfter, summarise } from '../core/diff.js';
import type { ActualResource, Plan, Resource, SourceRange } from '../core/types.js';
import { PLAN_FORMAT_VERSION } from '../core/types.js';
import { KINDS } from '../kinds/index.js';
import type { Database, Queryable } from '../stores/db.js';
import { lockTransaction } from '../stores/locks.js';
import { readActualState, recordRun, setAppliedRevision, writeChanges, type RunOutcome } from '../stores/state.js';
import { GuardRefusedError, InvalidPlanFileError, PlanRejectedError, StalePlanError } from './errors.js';

/** NOTIFY channel that tells every runtime replica a new revision is applied. */
export const CHANGES_CHANNEL = 'labctl_changes';

export interface PlanOptions {
  prune: boolean;
  gitSha: string;
  now: () => Date;
  locate?: (resource: Resource, path: ReadonlyArray<string | number>) => SourceRange | undefined;
}

export interface ApplyOptions extends PlanOptions {
  actor: string;
  lockTimeoutMs: number;
  allowMassArchive: boolean;
  /** Hook for crash tests: runs inside the transaction after the writes, before commit. */
  beforeCommit?: () => Promise<void>;
}

export interface ApplyResult {
  outcome: 'applied' | 'no-op';
  plan: Plan;
  runId: string;
}

/** Plan desired against the actual state read from q. */
export async function planAgainst(q: Queryable, desired: readonly Resource[], opts: PlanOptions): Promise<{ plan: Plan; actual: ActualResource[] }> {
  const actual = await readActualState(q);
  const plan = diff(desired, actual, { prune: opts.prune, gitSha: opts.gitSha, now: opts.now().toISOString(), kinds: KINDS, locate: opts.locate });
  return { plan, actual };
}

/** Check a plan read from a file: its format and its per-resource fingerprints against the actual state. */
export function checkPlanFile(plan: Plan, actual: readonly ActualResource[]): void {
  // The file is user input: any JSON value may arrive here.
  const p = plan as Partial<Plan> | null;
  if (p === null || typeof p !== 'object' || Array.isArray(p)) throw new InvalidPlanFileError('the file is not a labctl plan (expected a JSON object)');
  if (p.format_version !== PLAN_FORMAT_VERSION) {
    throw new InvalidPlanFileError(`unsupported plan format_version ${JSON.stringify(p.format_version)} (this labctl writes ${PLAN_FORMAT_VERSION})`);
  }
  if (!Array.isArray(p.changes) || !Array.isArray(p.diagnostics) || typeof p.summary !== 'object' || p.summary === null) {
    throw new InvalidPlanFileError('the file is not a complete labctl plan (changes, diagnostics and summary are required)');
  }
  const actions = new Set(['create', 'update', 'archive', 'no-op']);
  const isSpec = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
  p.changes.forEach((c, i) => {
    const ok = isSpec(c) && typeof c.kind === 'string' && typeof c.name === 'string' && actions.has(c.action) && typeof c.fingerprint === 'string' && ((c.action !== 'create' && c.action !== 'update') || isSpec(c.after));
    if (!ok) throw new InvalidPlanFileError(`change #${i + 1} of the plan file is malformed (kind, name, action, fingerprint and, for create/update, after are required)`);
  });
  if ((p as { base_ref?: unknown }).base_ref) {
    throw new InvalidPlanFileError(`this plan compares with the git ref ${JSON.stringify((p as { base_ref?: unknown }).base_ref)}, not with the database, so it cannot be applied`);
  }
  // The summary is derived data: recompute it so an edited file cannot hide changes.
  plan.summary = summarise(plan.changes);
  const byKey = new Map(actual.map((a) => [`${a.kind}/${a.name}`, a]));
  const stale = plan.changes
    .filter((c) => c.action !== 'no-op')
    .filter((c) => fingerprint(byKey.get(`${c.kind}/${c.name}`)) !== c.fingerprint)
    .map((c) => ({ kind: c.kind, name: c.name }));
  if (stale.length > 0) throw new StalePlanError(stale);
}

function refuseMassArchive(plan: Plan, actual: readonly ActualResource[], allowed: boolean): void {
  const mass = massArchives(plan, actual);
  if (mass.length === 0 || allowed) return;
  const what = mass.map((m) => `${m.archived} of ${m.active} ${m.kind} resources`).join(', ');
  throw new GuardRefusedError(`refusing to archive ${what}: that is all or more than half of a kind`, 'check --dir points at the right directory; if this is intended, add --allow-mass-archive');
}

/**
 * Converge the database on the desired state (or apply a saved plan) in one transaction under the
 * apply lock. Nothing is written unless everything is; NOTIFY is delivered on commit.
 */
export async function apply(db: Database, input: { desired: readonly Resource[] } | { plan: Plan }, opts: ApplyOptions): Promise<ApplyResult> {
  let plan: Plan | undefined;
  let outcome: RunOutcome = 'failed';
  try {
    const result = await db.transaction(async (tx) => {
      await lockTransaction(tx, 'apply', opts.lockTimeoutMs);
      let actual: ActualResource[];
      if ('plan' in input) {
        actual = await readActualState(tx);
        plan = input.plan;
        try {
          checkPlanFile(plan, actual);
        } catch (e) {
          if (e instanceof StalePlanError) outcome = 'stale';
          throw e;
        }
      } else {
        ({ plan, actual } = await planAgainst(tx, input.desired, opts));
      }
      const errors = plan.diagnostics.filter((d) => d.severity === 'error');
      if (errors.length > 0) {
        outcome = 'refused';
        throw new PlanRejectedError(plan.diagnostics);
      }
      try {
        refuseMassArchive(plan, actual, opts.allowMassArchive);
      } catch (e) {
        outcome = 'refused';
        throw e;
      }
      if (!hasChanges(plan)) {
        const runId = await recordRun(tx, { actor: opts.actor, gitSha: opts.gitSha, outcome: 'no-op', plan });
        return { outcome: 'no-op' as const, plan, runId };
      }
      await writeChanges(tx, plan.changes, { gitSha: opts.gitSha, actor: opts.actor });
      // A saved plan leaves untouched resources as they are now, which may differ from planning time.
      plan = { ...plan, revision: revisionAfter(actual, plan.changes) };
      const runId = await recordRun(tx, { actor: opts.actor, gitSha: opts.gitSha, outcome: 'applied', plan });
      await setAppliedRevision(tx, plan.revision, opts.gitSha, runId);
      await tx.query('SELECT pg_notify($1, $2)', [CHANGES_CHANNEL, plan.revision]);
      await opts.beforeCommit?.();
      return { outcome: 'applied' as const, plan: plan, runId };
    });
    return result;
  } catch (e) {
    // The transaction rolled back; leave an audit row of the attempt (best effort).
    await recordRun(db, { actor: opts.actor, gitSha: opts.gitSha, outcome, plan, error: (e as Error).message }).catch(() => undefined);
    throw e;
  }
}
