/**
 * The one executor of external steps: what an apply asks of systems outside the state store, run
 * after the commit (MLflow has no transactions). Two kinds of steps today, sharing their MLflow
 * moves (adapters/mlflow/converge.ts):
 * - model registry steps, journaled in the apply's transaction and marked done one by one;
 * - the prompt mirror, derived from the applied state each time, so it needs no journal.
 * Callers: apply/converge.ts (registry steps), the CLI's apply and the watcher (mirror).
 */
import type { Database, Queryable } from '../../core/db.js';
import type { Plan } from '../../core/types.js';
import type { MlflowClient } from '../../adapters/mlflow/client.js';
import { countPending } from '../../adapters/state/journal.js';
import { changedPrompts, mirrorPrompts, readMirrorTargets, type MirrorReport, type MirrorTarget } from './prompt-mirror.js';
import { executeJournal, type ExecutionReport } from './registry-steps.js';

/** Where external steps go and how long to keep at them. */
export interface ExternalContext {
  /** The MLflow client; absent when MLFLOW_TRACKING_URI is unset. */
  client?: MlflowClient;
  /** The environment, for the prompt mirror's MLflow settings. */
  env: NodeJS.ProcessEnv;
  /** Aborts the steps still to run (a watcher stopping). */
  signal?: AbortSignal;
}

/** Run every journaled registry step still pending; without MLflow, count them instead. */
export async function runRegistrySteps(db: Database, ctx: Pick<ExternalContext, 'client' | 'signal'>): Promise<{ report?: ExecutionReport; unconfiguredPending: number }> {
  if (!ctx.client) return { unconfiguredPending: await countPending(db) };
  return { report: await executeJournal(db, ctx.client, { signal: ctx.signal }), unconfiguredPending: 0 };
}

/** The prompts to mirror after a plan was applied, read back from the store (the prompts it changed get a full check). */
export function mirrorTargetsAfter(q: Queryable, plan: Plan | undefined, alsoChanged: ReadonlySet<string> = new Set()): Promise<MirrorTarget[]> {
  return readMirrorTargets(q, new Set([...(plan ? changedPrompts(plan) : []), ...alsoChanged]));
}

/** Mirror the targets into MLflow (or report them skipped); never throws for an MLflow failure. */
export function runMirror(targets: readonly MirrorTarget[], ctx: Pick<ExternalContext, 'env' | 'signal'>): Promise<MirrorReport> {
  // The mirror makes its own client from env: prompts are mirrored even where models are not declared.
  return mirrorPrompts(targets, { env: ctx.env, signal: ctx.signal });
}
