import { fingerprint, hasChanges, massArchives, revisionAfter, summarise } from '../../core/diff.js';
import type { ActualResource, Diagnostic, Plan, Resource } from '../../core/types.js';
import { PLAN_FORMAT_VERSION } from '../../core/types.js';
import type { Database, Queryable } from '../../core/db.js';
import { lockTransaction } from '../../adapters/db/locks.js';
import { readActualState, recordRun, setAppliedRevision, writeChanges, type RunOutcome } from '../../adapters/state/state.js';
import { makePlan, type MadePlan, type PlanDesired, type PlanOptions } from '../plan/pipeline.js';
import { staleRegistryModels, type RegistryContext } from '../plan/registry.js';
import { writeJournal } from '../../adapters/state/journal.js';
import { readModelAliases, replaceModelAliases } from '../../adapters/state/model-aliases.js';
import { GuardRefusedError, InvalidPlanFileError, PlanRejectedError, StalePlanError } from './errors.js';

import { CHANGES_CHANNEL } from '../../core/channels.js';

export { CHANGES_CHANNEL };

export interface ApplyOptions extends PlanOptions {
  actor: string;
  lockTimeoutMs: number;
  allowMassArchive: boolean;
  /** Points a plan-time problem into the resource's YAML, when sources are known. */
  locate?: PlanDesired['locate'];
  /** Hook for crash tests: runs inside the transaction after the writes, before commit. */
  beforeCommit?: () => Promise<void>;
  /**
   * The model registry: plan Models and PromotionPolicies against MLflow (or report them skipped)
   * and journal the MLflow steps. Absent: the registry is left out of the plan entirely.
   */
  registry?: RegistryContext;
}

export interface ApplyResult {
  outcome: 'applied' | 'no-op';
  plan: Plan;
  runId: string;
}

/** What to apply: desired resources (planned inside the transaction) or a saved plan. */
export type ApplyInput = { desired: readonly Resource[]; diagnostics?: readonly Diagnostic[] } | { plan: Plan };

/** Plan desired against the actual state read from q (and, with opts.registry, against MLflow). */
export async function planAgainst(q: Queryable, desired: readonly Resource[], opts: PlanOptions & { locate?: PlanDesired['locate'] }): Promise<MadePlan> {
  return makePlan({ kind: 'database', q }, { resources: desired, locate: opts.locate }, opts);
}

/**
 * Record what the managed models' aliases point at (read while planning), so the runtime resolves
 * `model: NAME@ALIAS`; rows of models no longer declared are dropped. Returns whether anything changed.
 */
async function recordAliases(q: Queryable, aliases: ReadonlyMap<string, Record<string, string>>, declared: ReadonlySet<string>): Promise<boolean> {
  let changed = false;
  for (const [model, map] of aliases) if (await replaceModelAliases(q, model, map)) changed = true;
  for (const model of (await readModelAliases(q)).keys()) {
    if (!declared.has(model) && (await replaceModelAliases(q, model, {}))) changed = true;
  }
  return changed;
}

/** A plan file's registry section, checked as the user input it is. */
function checkRegistrySection(plan: Plan): void {
  const r = plan.registry as unknown;
  if (r === undefined) return;
  const ops = new Set(['create-model', 'set-description', 'set-model-tag', 'delete-model-tag', 'set-alias']);
  const ok =
    typeof r === 'object' && r !== null &&
    Array.isArray((r as { steps?: unknown }).steps) &&
    Array.isArray((r as { models?: unknown }).models) &&
    ((r as { steps: unknown[] }).steps).every((s) => typeof s === 'object' && s !== null && ops.has((s as { op?: string }).op ?? '') && typeof (s as { model?: unknown }).model === 'string' && typeof (s as { mlflowName?: unknown }).mlflowName === 'string');
  if (!ok) throw new InvalidPlanFileError('the registry section of the plan file is malformed');
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
export async function apply(db: Database, input: ApplyInput, opts: ApplyOptions): Promise<ApplyResult> {
  let plan: Plan | undefined;
  let outcome: RunOutcome = 'failed';
  try {
    const result = await db.transaction(async (tx) => {
      await lockTransaction(tx, 'apply', opts.lockTimeoutMs);
      let actual: ActualResource[];
      let aliases: Map<string, Record<string, string>> | undefined;
      let declared: Set<string> | undefined;
      if ('plan' in input) {
        actual = await readActualState(tx, opts.kinds);
        plan = input.plan;
        try {
          checkPlanFile(plan, actual);
          checkRegistrySection(plan);
          const registry = plan.registry;
          if (registry && registry.steps.length > 0) {
            if (!opts.registry?.client) {
              outcome = 'refused';
              throw new GuardRefusedError(`the plan has ${registry.steps.length} MLflow step(s) but MLFLOW_TRACKING_URI is not set`, 'set MLFLOW_TRACKING_URI (and its credentials) as when the plan was made');
            }
            const stale = await staleRegistryModels(opts.registry.client, registry);
            if (stale.length > 0) throw new StalePlanError(stale.map((name) => ({ kind: 'Model', name: `${name} (in MLflow)` })));
          }
        } catch (e) {
          if (e instanceof StalePlanError) outcome = 'stale';
          throw e;
        }
      } else {
        ({ plan, actual, aliases } = await makePlan({ kind: 'database', q: tx }, { resources: input.desired, diagnostics: input.diagnostics, locate: opts.locate }, opts));
        declared = new Set(input.desired.filter((r) => r.kind === 'Model').map((r) => r.name));
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
      // Aliases moved outside labctl (a training job setting challenger) reach the runtime even when
      // nothing else changed.
      const aliasesMoved = aliases && declared ? await recordAliases(tx, aliases, declared) : false;
      if (aliasesMoved) await tx.query('SELECT pg_notify($1, $2)', [CHANGES_CHANNEL, 'registry']);
      if (!hasChanges(plan)) {
        const runId = await recordRun(tx, { actor: opts.actor, gitSha: opts.gitSha, gitDirty: opts.gitDirty, outcome: 'no-op', plan });
        return { outcome: 'no-op' as const, plan, runId };
      }
      await writeChanges(tx, plan.changes, { gitSha: opts.gitSha, gitDirty: opts.gitDirty, actor: opts.actor }, opts.kinds);
      // A saved plan leaves untouched resources as they are now, which may differ from planning time.
      plan = { ...plan, revision: revisionAfter(actual, plan.changes) };
      const runId = await recordRun(tx, { actor: opts.actor, gitSha: opts.gitSha, gitDirty: opts.gitDirty, outcome: 'applied', plan });
      await setAppliedRevision(tx, plan.revision, opts.gitSha, runId);
      // MLflow has no transactions: its steps are journaled here and run after the commit.
      if (plan.registry) await writeJournal(tx, runId, plan.registry.steps, { gitSha: opts.gitSha, actor: opts.actor });
      await tx.query('SELECT pg_notify($1, $2)', [CHANGES_CHANNEL, plan.revision]);
      await opts.beforeCommit?.();
      return { outcome: 'applied' as const, plan: plan, runId };
    });
    return result;
  } catch (e) {
    // The transaction rolled back; leave an audit row of the attempt (best effort).
    await recordRun(db, { actor: opts.actor, gitSha: opts.gitSha, gitDirty: opts.gitDirty, outcome, plan, error: (e as Error).message }).catch(() => undefined);
    throw e;
  }
}
